// Text forms of Resources: Mesos's "name(role):value;..." and JSON parsing, and Mesos's
// rendering (operator<< of Resource/Resources in Mesos 1.12).

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/type_resolver_util.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <ostream>

#include "common/resources.hpp"

namespace keel {

namespace {

using mesos::Resource;
using mesos::Value;

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\n\r");
  if (b == std::string::npos) {
    return "";
  }
  size_t e = s.find_last_not_of(" \t\n\r");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> tokenize(const std::string& s, const std::string& delims) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t b = s.find_first_not_of(delims, i);
    if (b == std::string::npos) {
      break;
    }
    size_t e = s.find_first_of(delims, b);
    out.push_back(s.substr(b, e == std::string::npos ? std::string::npos : e - b));
    i = e == std::string::npos ? s.size() : e;
  }
  return out;
}

std::string formatScalar(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.15g", Resources::round(v));
  return buf;
}

Result<std::vector<Resource>> parseJson(const std::string& text) {
  // An array is not a message; wrap it as the `resources` field of Offer.Operation.Unreserve,
  // a message with no other (required) fields.
  static const std::string kUrlPrefix = "type.googleapis.com";
  std::unique_ptr<google::protobuf::util::TypeResolver> resolver(
      google::protobuf::util::NewTypeResolverForDescriptorPool(
          kUrlPrefix, google::protobuf::DescriptorPool::generated_pool()));
  std::string binary;
  auto status = google::protobuf::util::JsonToBinaryString(
      resolver.get(), kUrlPrefix + "/mesos.Offer.Operation.Unreserve",
      "{\"resources\":" + text + "}", &binary);
  if (!status.ok()) {
    return Result<std::vector<Resource>>::error("Invalid JSON resources: " +
                                                std::string(status.message()));
  }
  mesos::Offer::Operation::Unreserve holder;
  if (!holder.ParsePartialFromString(binary)) {
    return Result<std::vector<Resource>>::error("Invalid JSON resources");
  }
  return std::vector<Resource>(holder.resources().begin(), holder.resources().end());
}

}  // namespace

Result<Resource> Resources::parse(const std::string& name, const std::string& value,
                                  const std::string& role) {
  std::string text;
  for (char c : value) {
    if (c != ' ') {
      text += c;
    }
  }
  Resource r;
  r.set_name(name);
  if (!role.empty() && role != "*") {
    auto* res = r.add_reservations();
    res->set_type(Resource::ReservationInfo::STATIC);
    res->set_role(role);
  }
  auto fail = [&](const std::string& why) {
    return Result<Resource>::error("Failed to parse resource " + name + " value " + value +
                                   " error " + why);
  };
  if (text.empty()) {
    return fail("Expecting non-empty string");
  }
  if (text.front() == '[') {
    if (text.back() != ']' || std::count(text.begin(), text.end(), '[') != 1) {
      return fail("Mismatched brackets");
    }
    auto tokens = tokenize(text, "[]-,\n");
    if (tokens.size() % 2 != 0) {
      return fail("Expecting one or more \"ranges\"");
    }
    r.set_type(Value::RANGES);
    auto* ranges = r.mutable_ranges();
    for (size_t i = 0; i < tokens.size(); i += 2) {
      uint64_t b = 0;
      uint64_t e = 0;
      for (size_t k = 0; k < 2; ++k) {
        const std::string& t = tokens[i + k];
        if (t.empty() || t.find_first_not_of("0123456789") != std::string::npos) {
          return fail("Expecting non-negative integers in '" + t + "'");
        }
        (k == 0 ? b : e) = std::stoull(t);
      }
      auto* x = ranges->add_range();
      x->set_begin(b);
      x->set_end(e);
    }
    return r;
  }
  if (text.front() == '{') {
    if (text.back() != '}' || std::count(text.begin(), text.end(), '{') != 1) {
      return fail("Mismatched brackets");
    }
    r.set_type(Value::SET);
    auto* set = r.mutable_set();
    for (const auto& item : tokenize(text, "{},\n")) {
      set->add_item(item);
    }
    return r;
  }
  if (text.find_first_of("[]{}()") != std::string::npos) {
    return fail("Mismatched brackets");
  }
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0') {
    return fail("Expecting a number, a range list or a set");
  }
  r.set_type(Value::SCALAR);
  r.mutable_scalar()->set_value(v);
  return r;
}

Result<Resources> Resources::parse(const std::string& text, const std::string& default_role) {
  std::vector<Resource> list;
  std::string trimmed = trim(text);
  bool json = !trimmed.empty() && trimmed.front() == '[' &&
              trimmed.find('{') != std::string::npos && trimmed.find('"') != std::string::npos;
  if (json) {
    ASSIGN_OR_RETURN(list, parseJson(trimmed));
    for (auto& r : list) {
      if (!r.has_role() && r.reservations_size() == 0 && default_role != "*") {
        r.set_role(default_role);
      }
    }
  } else {
    for (const auto& token : tokenize(text, ";")) {
      auto pair = tokenize(token, ":");
      if (pair.size() != 2) {
        return Result<Resources>::error("Bad value for resources, missing or extra ':' in " +
                                        token);
      }
      std::string name;
      std::string role = default_role;
      size_t open = pair[0].find('(');
      if (open == std::string::npos) {
        name = trim(pair[0]);
      } else {
        size_t close = pair[0].find(')');
        if (close == std::string::npos || close < open) {
          return Result<Resources>::error("Bad value for resources, mismatched parentheses in " +
                                          token);
        }
        name = trim(pair[0].substr(0, open));
        role = trim(pair[0].substr(open + 1, close - open - 1));
      }
      ASSIGN_OR_RETURN(Resource r, parse(name, pair[1], role));
      list.push_back(std::move(r));
    }
  }
  Resources out;
  std::map<std::string, Value::Type> types;
  for (auto& r : list) {
    Status s = validate(r);
    if (!s.isOk()) {
      return Result<Resources>::error("Invalid resource '" + r.name() + "': " + s.message());
    }
    auto [it, inserted] = types.emplace(r.name(), r.type());
    if (!inserted && it->second != r.type()) {
      return Result<Resources>::error("Resources with the same name ('" + r.name() +
                                      "') but different types are not allowed");
    }
    out += r;
  }
  return out;
}

std::string toString(const Value::Ranges& ranges) {
  std::string out = "[";
  for (int i = 0; i < ranges.range_size(); ++i) {
    if (i > 0) {
      out += ", ";
    }
    out += std::to_string(ranges.range(i).begin()) + "-" + std::to_string(ranges.range(i).end());
  }
  return out + "]";
}

namespace {

std::string labelsString(const mesos::Labels& labels) {
  std::string out = "{";
  for (int i = 0; i < labels.labels_size(); ++i) {
    if (i > 0) {
      out += ", ";
    }
    out += labels.labels(i).key();
    if (labels.labels(i).has_value()) {
      out += ": " + labels.labels(i).value();
    }
  }
  return out + "}";
}

std::string diskString(const Resource::DiskInfo& disk) {
  std::string out;
  if (disk.has_source()) {
    const auto& s = disk.source();
    std::string csi;
    if (s.has_id() || s.has_profile()) {
      csi = "(" + s.vendor() + "," + s.id() + "," + s.profile() + ")";
    }
    using Source = Resource::DiskInfo::Source;
    switch (s.type()) {
      case Source::MOUNT:
        out += "MOUNT" + (!csi.empty() ? csi : s.mount().has_root() ? ":" + s.mount().root() : "");
        break;
      case Source::PATH:
        out += "PATH" + (!csi.empty() ? csi : s.path().has_root() ? ":" + s.path().root() : "");
        break;
      case Source::BLOCK:
        out += "BLOCK" + csi;
        break;
      case Source::RAW:
        out += "RAW" + csi;
        break;
      default:
        out += "UNKNOWN";
        break;
    }
  }
  if (disk.has_persistence()) {
    out += (disk.has_source() ? "," : "") + disk.persistence().id();
  }
  if (disk.has_volume()) {
    const auto& v = disk.volume();
    std::string cfg = v.container_path();
    if (v.has_host_path()) {
      cfg = v.host_path() + ":" + cfg;
      if (v.has_mode()) {
        cfg += v.mode() == mesos::Volume::RW ? ":rw" : ":ro";
      }
    }
    out += ":" + cfg;
  }
  return out;
}

}  // namespace

std::string toString(const Resource& r) {
  std::string out = r.name();
  if (r.has_allocation_info()) {
    out += "(allocated: " + r.allocation_info().role() + ")";
  }
  if (r.reservations_size() > 0) {
    out += "(reservations: [";
    for (int i = 0; i < r.reservations_size(); ++i) {
      const auto& res = r.reservations(i);
      out += i > 0 ? ",(" : "(";
      out += Resource::ReservationInfo::Type_Name(res.type());
      out += ',';
      out += res.role();
      if (res.has_principal()) {
        out += ',';
        out += res.principal();
      }
      if (res.has_labels()) {
        out += ',';
        out += labelsString(res.labels());
      }
      out += ")";
    }
    out += "])";
  }
  if (r.has_disk()) {
    out += '[';
    out += diskString(r.disk());
    out += ']';
  }
  if (r.has_revocable()) {
    out += "{REV}";
  }
  if (r.has_shared()) {
    out += "<SHARED>";
  }
  out += ":";
  switch (r.type()) {
    case Value::SCALAR:
      out += formatScalar(r.scalar().value());
      break;
    case Value::RANGES:
      out += toString(r.ranges());
      break;
    case Value::SET: {
      out += "{";
      for (int i = 0; i < r.set().item_size(); ++i) {
        out += (i > 0 ? ", " : "") + r.set().item(i);
      }
      out += "}";
      break;
    }
    default:
      break;
  }
  return out;
}

std::string Resources::str() const {
  if (empty()) {
    return "{}";
  }
  std::string out;
  for (const auto& r : resources_) {
    if (!out.empty()) {
      out += "; ";
    }
    out += toString(r);
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, const Resources& r) { return os << r.str(); }

}  // namespace keel
