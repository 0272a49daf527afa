#include "runtime/clock.hpp"

#include <cmath>
#include <cstdio>
#include <string>

namespace keel::runtime {

double RealClock::unixSeconds() const {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

RealClock& RealClock::instance() {
  static RealClock clock;
  return clock;
}

TimePoint ManualClock::now() const {
  std::lock_guard lock(mutex_);
  return TimePoint{} + elapsed_;
}

double ManualClock::unixSeconds() const {
  std::lock_guard lock(mutex_);
  return unix_start_ + std::chrono::duration<double>(elapsed_).count();
}

void ManualClock::advance(Duration d) {
  std::vector<std::function<void()>> to_call;
  {
    std::lock_guard lock(mutex_);
    elapsed_ += d;
    for (auto& [key, fn] : listeners_) {
      to_call.push_back(fn);
    }
  }
  for (auto& fn : to_call) {
    fn();
  }
}

void ManualClock::addListener(void* key, std::function<void()> on_advance) {
  std::lock_guard lock(mutex_);
  listeners_.emplace_back(key, std::move(on_advance));
}

void ManualClock::removeListener(void* key) {
  std::lock_guard lock(mutex_);
  std::erase_if(listeners_, [key](const auto& entry) { return entry.first == key; });
}

namespace {

struct Unit {
  const char* name;
  double nanos;
};

// Longest suffixes first so "mins" is not read as "ns" with junk before it.
constexpr Unit kUnits[] = {
    {"weeks", 7 * 86400e9}, {"days", 86400e9}, {"hrs", 3600e9}, {"mins", 60e9},
    {"secs", 1e9},          {"ms", 1e6},       {"us", 1e3},     {"ns", 1},
};

}  // namespace

bool parseDuration(const std::string& text, Duration* out) {
  for (const auto& unit : kUnits) {
    std::string suffix = unit.name;
    if (text.size() > suffix.size() && text.ends_with(suffix)) {
      std::string number = text.substr(0, text.size() - suffix.size());
      char* end = nullptr;
      double value = std::strtod(number.c_str(), &end);
      if (end == number.c_str() || *end != '\0' || !std::isfinite(value) || value < 0) {
        return false;
      }
      *out = std::chrono::duration_cast<Duration>(
          std::chrono::duration<double, std::nano>(value * unit.nanos));
      return true;
    }
  }
  return false;
}

std::string formatDuration(Duration d) {
  double nanos = static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
  for (const auto& unit : kUnits) {
    if (nanos >= unit.nanos || unit.nanos == 1) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%g%s", nanos / unit.nanos, unit.name);
      return buf;
    }
  }
  return "0ns";
}

}  // namespace keel::runtime
