#include "common/flags.hpp"

#include <glog/logging.h>

#include <cstring>
#include <fstream>
#include <iomanip>
#include <memory>
#include <sstream>

#include "common/strings.hpp"

namespace keel {

namespace {

constexpr uint64_t kKB = 1024;
constexpr uint64_t kMB = 1024 * kKB;
constexpr uint64_t kGB = 1024 * kMB;
constexpr uint64_t kTB = 1024 * kGB;

std::string formatDouble(double v) {
  // Mesos renders double flags with the stream's default precision ("0.8", "0.1").
  std::ostringstream out;
  out << v;
  return out.str();
}

Result<bool> parseBool(const std::string& text) {
  std::string t = strings::lower(text);
  if (t == "true" || t == "1") {
    return true;
  }
  if (t == "false" || t == "0") {
    return false;
  }
  return Result<bool>::error("Expecting a boolean (e.g., true or false)");
}

Result<runtime::Duration> parseDurationValue(const std::string& text) {
  runtime::Duration d{};
  if (!runtime::parseDuration(strings::trim(text), &d)) {
    return Result<runtime::Duration>::error("Invalid duration '" + text +
                                            "' (expected e.g. 15secs, 10mins, 500ms)");
  }
  return d;
}

Result<int64_t> parseInt(const std::string& text) {
  std::optional<int64_t> n = strings::parseInt64(strings::trim(text));
  if (!n) {
    return Result<int64_t>::error("Invalid integer '" + text + "'");
  }
  return *n;
}

Result<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Result<std::string>::error("Error reading file '" + path + "': cannot open");
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) {
    return Result<std::string>::error("Error reading file '" + path + "': read failed");
  }
  std::string text = contents.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  return text;
}

std::string unimplementedWarning(const std::string& name) {
  return "Flag --" + name +
         " is accepted for compatibility with Mesos but is not implemented yet; it is ignored";
}

}  // namespace

Result<Bytes> parseBytes(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    ++digits;
  }
  if (digits < text.size() && text[digits] == '.') {
    return Result<Bytes>::error("Fractional bytes '" + std::string(text) + "'");
  }
  std::optional<uint64_t> value = strings::parseUint64(text.substr(0, digits));
  if (!value || digits == text.size()) {
    return Result<Bytes>::error("Invalid bytes '" + std::string(text) +
                                "' (expected e.g. 100B, 4KB, 512MB, 1GB, 2TB)");
  }
  std::string unit = strings::upper(text.substr(digits));
  uint64_t multiplier = 0;
  if (unit == "B") {
    multiplier = 1;
  } else if (unit == "KB") {
    multiplier = kKB;
  } else if (unit == "MB") {
    multiplier = kMB;
  } else if (unit == "GB") {
    multiplier = kGB;
  } else if (unit == "TB") {
    multiplier = kTB;
  } else {
    return Result<Bytes>::error("Unknown bytes unit '" + unit + "'");
  }
  if (*value > UINT64_MAX / multiplier) {
    return Result<Bytes>::error("Bytes value '" + std::string(text) + "' is too large");
  }
  return Bytes{*value * multiplier};
}

std::string formatBytes(Bytes b) {
  uint64_t n = b.bytes;
  if (n == 0) {
    return "0B";
  }
  if (n % kKB != 0) {
    return std::to_string(n) + "B";
  }
  if (n % kMB != 0) {
    return std::to_string(n / kKB) + "KB";
  }
  if (n % kGB != 0) {
    return std::to_string(n / kMB) + "MB";
  }
  if (n % kTB != 0) {
    return std::to_string(n / kGB) + "GB";
  }
  return std::to_string(n / kTB) + "TB";
}

FlagSet::FlagSet() { add("help", &help_, "Prints this help message and exits."); }

void FlagSet::declare(const std::string& name, Flag flag) {
  CHECK(flags_.count(name) == 0 && aliases_.count(name) == 0)
      << "Flag --" << name << " declared twice";
  flag.rendered = flag.render();
  flag.default_text = flag.rendered.value_or("");
  flags_.emplace(name, std::move(flag));
}

void FlagSet::add(const std::string& name, std::string* v, std::string help) {
  Flag f;
  f.help = std::move(help);
  f.parse = [v](const std::string& text) {
    *v = text;
    return Status::ok();
  };
  // An empty string flag has no value unless it was given (e.g. --frameworks_home=).
  f.render = [this, v, name]() -> std::optional<std::string> {
    if (v->empty() && !loaded(name)) {
      return std::nullopt;
    }
    return *v;
  };
  declare(name, std::move(f));
}

void FlagSet::add(const std::string& name, bool* v, std::string help) {
  Flag f;
  f.help = std::move(help);
  f.boolean = true;
  f.parse = [v](const std::string& text) {
    Result<bool> b = parseBool(text);
    if (!b) {
      return b.status();
    }
    *v = *b;
    return Status::ok();
  };
  f.render = [v]() -> std::optional<std::string> { return *v ? "true" : "false"; };
  declare(name, std::move(f));
}

void FlagSet::add(const std::string& name, int64_t* v, std::string help) {
  Flag f;
  f.help = std::move(help);
  f.parse = [v](const std::string& text) {
    Result<int64_t> n = parseInt(text);
    if (!n) {
      return n.status();
    }
    *v = *n;
    return Status::ok();
  };
  f.render = [v]() -> std::optional<std::string> { return std::to_string(*v); };
  declare(name, std::move(f));
}

void FlagSet::add(const std::string& name, double* v, std::string help) {
  Flag f;
  f.help = std::move(help);
  f.parse = [v](const std::string& text) {
    std::optional<double> d = strings::parseDouble(strings::trim(text));
    if (!d) {
      return Status::error("Invalid number '" + text + "'");
    }
    *v = *d;
    return Status::ok();
  };
  f.render = [v]() -> std::optional<std::string> { return formatDouble(*v); };
  declare(name, std::move(f));
}

void FlagSet::add(const std::string& name, runtime::Duration* v, std::string help) {
  Flag f;
  f.help = std::move(help);
  f.parse = [v](const std::string& text) {
    Result<runtime::Duration> d = parseDurationValue(text);
    if (!d) {
      return d.status();
    }
    *v = *d;
    return Status::ok();
  };
  f.render = [v]() -> std::optional<std::string> { return runtime::formatDuration(*v); };
  declare(name, std::move(f));
}

void FlagSet::add(const std::string& name, Bytes* v, std::string help) {
  Flag f;
  f.help = std::move(help);
  f.parse = [v](const std::string& text) {
    Result<Bytes> b = parseBytes(strings::trim(text));
    if (!b) {
      return b.status();
    }
    *v = *b;
    return Status::ok();
  };
  f.render = [v]() -> std::optional<std::string> { return formatBytes(*v); };
  declare(name, std::move(f));
}

void FlagSet::add(const std::string& name, std::optional<std::string>* v, std::string help) {
  Flag f;
  f.help = std::move(help);
  f.parse = [v](const std::string& text) {
    *v = text;
    return Status::ok();
  };
  f.render = [v]() { return *v; };
  declare(name, std::move(f));
}

void FlagSet::add(const std::string& name, std::optional<int64_t>* v, std::string help) {
  Flag f;
  f.help = std::move(help);
  f.parse = [v](const std::string& text) {
    Result<int64_t> n = parseInt(text);
    if (!n) {
      return n.status();
    }
    *v = *n;
    return Status::ok();
  };
  f.render = [v]() -> std::optional<std::string> {
    return v->has_value() ? std::optional<std::string>(std::to_string(**v)) : std::nullopt;
  };
  declare(name, std::move(f));
}

void FlagSet::add(const std::string& name, std::optional<runtime::Duration>* v, std::string help) {
  Flag f;
  f.help = std::move(help);
  f.parse = [v](const std::string& text) {
    Result<runtime::Duration> d = parseDurationValue(text);
    if (!d) {
      return d.status();
    }
    *v = *d;
    return Status::ok();
  };
  f.render = [v]() -> std::optional<std::string> {
    return v->has_value() ? std::optional<std::string>(runtime::formatDuration(**v)) : std::nullopt;
  };
  declare(name, std::move(f));
}

void FlagSet::addUnimplemented(const std::string& name, std::string help,
                               std::optional<std::string> def) {
  // The value lives in the FlagSet itself: nothing in Keel reads it.
  auto value = std::make_shared<std::optional<std::string>>(std::move(def));
  Flag f;
  f.help = std::move(help);
  f.implemented = false;
  f.parse = [value](const std::string& text) {
    *value = text;
    return Status::ok();
  };
  f.render = [value]() { return *value; };
  declare(name, std::move(f));
}

void FlagSet::addUnimplementedBool(const std::string& name, std::string help,
                                   std::optional<bool> def) {
  auto value = std::make_shared<std::optional<bool>>(def);
  Flag f;
  f.help = std::move(help);
  f.boolean = true;
  f.implemented = false;
  f.parse = [value](const std::string& text) {
    Result<bool> b = parseBool(text);
    if (!b) {
      return b.status();
    }
    *value = *b;
    return Status::ok();
  };
  f.render = [value]() -> std::optional<std::string> {
    if (!value->has_value()) {
      return std::nullopt;
    }
    return **value ? "true" : "false";
  };
  declare(name, std::move(f));
}

void FlagSet::addAlias(const std::string& deprecated_name, const std::string& name) {
  CHECK(flags_.count(name) == 1) << "Alias --" << deprecated_name << " for undeclared --" << name;
  CHECK(flags_.count(deprecated_name) == 0 && aliases_.count(deprecated_name) == 0)
      << "Flag --" << deprecated_name << " declared twice";
  aliases_[deprecated_name] = name;
}

bool FlagSet::loaded(const std::string& name) const {
  auto it = flags_.find(name);
  return it != flags_.end() && it->second.loaded_via.has_value();
}

Status FlagSet::apply(const std::string& given_name, const std::optional<std::string>& value,
                      bool from_environment) {
  bool negated = strings::startsWith(given_name, "no-");
  std::string name = negated ? given_name.substr(3) : given_name;
  if (negated && flags_.count(given_name) + aliases_.count(given_name) > 0) {
    negated = false;  // a flag whose real name starts with "no-"
    name = given_name;
  }
  std::string canonical = name;
  if (auto alias = aliases_.find(name); alias != aliases_.end()) {
    canonical = alias->second;
  }
  auto it = flags_.find(canonical);
  if (it == flags_.end()) {
    if (from_environment) {
      return Status::ok();
    }
    return Status::error("Failed to load unknown flag '" + name + "'" +
                         (negated ? " via '" + given_name + "'" : "") + "\n\n" + usage(program_));
  }
  Flag& flag = it->second;
  if (flag.loaded_via) {
    return Status::error("Flag '" + canonical + "' is already loaded via name '" +
                         *flag.loaded_via + "'");
  }

  std::string text;
  if (flag.boolean) {
    if (!value || value->empty()) {
      text = negated ? "false" : "true";
    } else if (negated) {
      return Status::error("Failed to load boolean flag '" + name + "' via '" + given_name +
                           "' with value '" + *value + "'");
    } else {
      text = *value;
    }
  } else {
    if (negated) {
      return Status::error("Failed to load non-boolean flag '" + name + "' via '" + given_name +
                           "'");
    }
    if (!value) {
      return Status::error("Failed to load non-boolean flag '" + name + "': Missing value");
    }
    text = *value;
  }

  if (flag.implemented && strings::startsWith(text, "file://")) {
    Result<std::string> contents = readFile(text.substr(7));
    if (!contents) {
      return Status::error("Failed to load flag '" + name + "': " + contents.message());
    }
    text = std::move(contents).value();
  }

  Status parsed = flag.parse(text);
  if (!parsed) {
    return Status::error("Failed to load flag '" + name + "': " + parsed.message());
  }
  flag.loaded_via = name;
  if (name != canonical) {
    warnings_.push_back("Loaded deprecated flag '" + name + "'; use --" + canonical + " instead");
  }
  if (!flag.implemented) {
    warnings_.push_back(unimplementedWarning(canonical));
  }
  return Status::ok();
}

Status FlagSet::load(int argc, const char* const* argv, const char* const* envp) {
  program_.clear();
  if (argc > 0 && argv != nullptr && argv[0] != nullptr) {
    std::string path = argv[0];
    size_t slash = path.rfind('/');
    program_ = slash == std::string::npos ? path : path.substr(slash + 1);
  }

  for (int i = 1; i < argc; ++i) {
    std::string arg = strings::trim(argv[i] != nullptr ? argv[i] : "");
    if (arg == "--") {
      break;
    }
    if (!strings::startsWith(arg, "--")) {
      warnings_.push_back("Ignoring argument '" + arg + "' (flags start with --)");
      continue;
    }
    std::optional<std::string> value;
    std::string name;
    size_t eq = arg.find('=');
    if (eq == std::string::npos) {
      name = arg.substr(2);
    } else {
      name = arg.substr(2, eq - 2);
      value = arg.substr(eq + 1);
    }
    RETURN_IF_ERROR(apply(strings::lower(name), value, /*from_environment=*/false));
  }

  // Environment: KEEL_ overrides MESOS_; both yield to the command line.
  std::map<std::string, std::string> environment;
  for (const char* prefix : {"MESOS_", "KEEL_"}) {
    for (const char* const* e = envp; e != nullptr && *e != nullptr; ++e) {
      std::string_view entry(*e);
      size_t eq = entry.find('=');
      if (eq == std::string_view::npos || !strings::startsWith(entry, prefix)) {
        continue;
      }
      std::string name =
          strings::lower(entry.substr(std::strlen(prefix), eq - std::strlen(prefix)));
      environment[name] = std::string(entry.substr(eq + 1));
    }
  }
  for (const auto& [name, value] : environment) {
    std::string canonical = aliases_.count(name) ? aliases_[name] : name;
    auto it = flags_.find(canonical);
    if (it == flags_.end() || it->second.loaded_via) {
      continue;
    }
    RETURN_IF_ERROR(apply(name, value, /*from_environment=*/true));
  }

  snapshot();
  return Status::ok();
}

void FlagSet::snapshot() {
  for (auto& [name, flag] : flags_) {
    flag.rendered = flag.render();
  }
}

std::string FlagSet::usage(const std::string& program) const {
  std::ostringstream out;
  out << "Usage: " << (program.empty() ? "keel" : program) << " [options]\n\n";
  for (const auto& [name, flag] : flags_) {
    std::string left = flag.boolean ? "  --[no-]" + name : "  --" + name + "=VALUE";
    out << std::left << std::setw(48) << left << ' ';
    std::string help = flag.help;
    if (!flag.implemented) {
      help += help.empty() ? "" : " ";
      help += "(accepted for compatibility with Mesos; not implemented yet)";
    }
    if (!flag.default_text.empty()) {
      help += " (default: " + flag.default_text + ")";
    }
    out << strings::replaceAll(help, "\n", "\n" + std::string(49, ' ')) << '\n';
  }
  for (const auto& [alias, name] : aliases_) {
    out << std::left << std::setw(48) << "  --" + alias << ' ' << "Deprecated name of --" << name
        << '\n';
  }
  return out.str();
}

std::vector<std::pair<std::string, std::string>> FlagSet::values() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, flag] : flags_) {
    if (flag.rendered) {
      out.emplace_back(name, *flag.rendered);
    }
  }
  return out;
}

}  // namespace keel
