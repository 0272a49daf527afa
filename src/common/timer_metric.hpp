#pragma once

// A timer metric in the shape libprocess gives Mesos's `Timer<Milliseconds>`: the last value
// under its name, and statistics over recent values under "<name>/count", "/min", "/max",
// "/p50", "/p90", "/p95", "/p99", "/p999" and "/p9999". Mesos keeps values for a time window
// (one hour for the allocator's timers); this keeps the most recent `capacity` values, which
// bounds memory whatever the rate. `count` is the number of values in the window, as in
// libprocess.

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace keel {

class TimerMetric {
 public:
  explicit TimerMetric(size_t capacity = 1000) : capacity_(capacity == 0 ? 1 : capacity) {}

  void record(double value);
  bool empty() const { return values_.empty(); }
  double last() const { return last_; }

  // Calls `out(key, value)` for the last value and every statistic (nothing while empty).
  void emit(const std::string& name,
            const std::function<void(const std::string&, double)>& out) const;

 private:
  size_t capacity_;
  std::vector<double> values_;  // ring buffer once full
  size_t next_ = 0;
  double last_ = 0;
};

}  // namespace keel
