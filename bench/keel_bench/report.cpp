#include "report.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <thread>

namespace keel::bench {

namespace {

std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string human(double v) {
  char buf[64];
  if (v != 0 && std::fabs(v) < 10) {
    std::snprintf(buf, sizeof buf, "%.3g", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  }
  return buf;
}

std::string hostName() {
  char buf[256] = {0};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

}  // namespace

ScenarioResult failed(ScenarioResult r, const std::string& why) {
  r.ok = false;
  r.error = why;
  return r;
}

double percentile(std::vector<double> samples, double p) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  double rank = std::ceil(p / 100.0 * static_cast<double>(samples.size()));
  size_t index = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return samples[std::min(index, samples.size() - 1)];
}

void printTable(std::ostream& out, const std::vector<ScenarioResult>& results) {
  for (const auto& r : results) {
    std::string note =
        r.ok ? (r.error.empty() ? "" : "  [" + r.error + "]") : "  [FAILED: " + r.error + "]";
    out << "== " << r.scenario << note << "\n";
    std::string params;
    for (const auto& [k, v] : r.params) {
      params += (params.empty() ? "" : "  ") + k + "=" + v;
    }
    out << "   " << params << "  (wall " << human(r.wall_seconds) << " s)\n";
    size_t w = 6;
    for (const auto& f : r.figures) w = std::max(w, f.name.size());
    for (const auto& f : r.figures) {
      std::string name = f.name;
      name.resize(w, ' ');
      std::string value = human(f.value) + " " + f.unit;
      value.resize(std::max<size_t>(value.size(), 18), ' ');
      out << "   " << name << "  " << value << (f.target.empty() ? "" : "  target " + f.target)
          << "\n";
    }
  }
}

std::string toJson(const std::vector<ScenarioResult>& results) {
  std::ostringstream o;
  o << "{\n  \"machine\": {\"host\": " << jsonString(hostName())
    << ", \"cores\": " << std::thread::hardware_concurrency() << "},\n  \"results\": [";
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    o << (i ? ",\n" : "\n") << "    {\"scenario\": " << jsonString(r.scenario)
      << ", \"ok\": " << (r.ok ? "true" : "false") << ", \"error\": " << jsonString(r.error)
      << ", \"wall_seconds\": " << number(r.wall_seconds) << ",\n     \"params\": {";
    for (size_t j = 0; j < r.params.size(); ++j) {
      o << (j ? ", " : "") << jsonString(r.params[j].first) << ": "
        << jsonString(r.params[j].second);
    }
    o << "},\n     \"figures\": [";
    for (size_t j = 0; j < r.figures.size(); ++j) {
      const auto& f = r.figures[j];
      o << (j ? ",\n       " : "\n       ") << "{\"name\": " << jsonString(f.name)
        << ", \"value\": " << number(f.value) << ", \"unit\": " << jsonString(f.unit)
        << ", \"target\": " << jsonString(f.target) << "}";
    }
    o << "]}";
  }
  o << "\n  ]\n}\n";
  return o.str();
}

}  // namespace keel::bench
