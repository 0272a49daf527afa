#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <vector>

namespace keel::runtime {

using Duration = std::chrono::steady_clock::duration;
using TimePoint = std::chrono::steady_clock::time_point;

// The source of time for an EventLoop. Only RealClock reads the system clock;
// tests use ManualClock and advance it, so timeouts of days run in microseconds.
class Clock {
 public:
  virtual ~Clock() = default;

  // Monotonic time, used for every timer.
  virtual TimePoint now() const = 0;

  // Seconds since the Unix epoch, for timestamps that go on the wire
  // (StatusUpdate.timestamp, registered_time in /state).
  virtual double unixSeconds() const = 0;

  // True when time only moves through advance(): loops then never arm real timers.
  virtual bool manual() const { return false; }

  // Called by a loop so it is told when manual time moves. Thread-safe.
  virtual void addListener(void* key, std::function<void()> on_advance) {}
  virtual void removeListener(void* key) {}
};

// The system's steady and wall clocks.
class RealClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
  double unixSeconds() const override;

  // A process-wide instance for daemons and drivers.
  static RealClock& instance();
};

// Time that moves only when a test calls advance(). Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(double unix_start = 1.7e9) : unix_start_(unix_start) {}

  TimePoint now() const override;
  double unixSeconds() const override;
  bool manual() const override { return true; }

  // Moves time forward and tells every listening loop to fire the timers now due.
  void advance(Duration d);

  void addListener(void* key, std::function<void()> on_advance) override;
  void removeListener(void* key) override;

 private:
  mutable std::mutex mutex_;
  Duration elapsed_{0};
  double unix_start_;
  std::vector<std::pair<void*, std::function<void()>>> listeners_;
};

// "15secs", "10mins", "1weeks", "500ms", "2.5secs", "100us", "3ns", "1hrs", "2days"
// in Mesos's duration syntax. Returns false on anything else.
bool parseDuration(const std::string& text, Duration* out);

// Mesos's rendering of a duration, e.g. "15secs", "10mins".
std::string formatDuration(Duration d);

}  // namespace keel::runtime
