#include "common/timer_metric.hpp"

#include <algorithm>
#include <cmath>

namespace keel {

void TimerMetric::record(double value) {
  last_ = value;
  if (values_.size() < capacity_) {
    values_.push_back(value);
    return;
  }
  values_[next_] = value;
  next_ = (next_ + 1) % capacity_;
}

void TimerMetric::emit(const std::string& name,
                       const std::function<void(const std::string&, double)>& out) const {
  if (values_.empty()) {
    return;
  }
  std::vector<double> sorted = values_;
  std::sort(sorted.begin(), sorted.end());
  // Nearest-rank percentile over the window.
  auto percentile = [&sorted](double p) {
    size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
    return sorted[std::min(sorted.size(), std::max<size_t>(rank, 1)) - 1];
  };
  out(name, last_);
  out(name + "/count", static_cast<double>(sorted.size()));
  out(name + "/min", sorted.front());
  out(name + "/max", sorted.back());
  for (const auto& [suffix, p] : std::vector<std::pair<const char*, double>>{
           {"/p50", 50}, {"/p90", 90}, {"/p95", 95}, {"/p99", 99}, {"/p999", 99.9},
           {"/p9999", 99.99}}) {
    out(name + suffix, percentile(p));
  }
}

}  // namespace keel
