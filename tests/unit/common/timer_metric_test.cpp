// Ensures TimerMetric reports libprocess's timer keys with nearest-rank statistics over a
// bounded window of recent values.

#include "common/timer_metric.hpp"

#include <gtest/gtest.h>

#include <map>

namespace keel {
namespace {

std::map<std::string, double> emitted(const TimerMetric& t) {
  std::map<std::string, double> out;
  t.emit("allocator/mesos/allocation_run_ms",
         [&out](const std::string& k, double v) { out[k] = v; });
  return out;
}

TEST(TimerMetricTest, EmptyEmitsNothing) {
  TimerMetric t;
  EXPECT_TRUE(t.empty());
  EXPECT_TRUE(emitted(t).empty());
}

TEST(TimerMetricTest, LastValueAndStatistics) {
  TimerMetric t;
  for (int i = 100; i >= 1; --i) t.record(i);  // 100 .. 1, last = 1
  auto m = emitted(t);
  const std::string n = "allocator/mesos/allocation_run_ms";
  EXPECT_EQ(m.size(), 10u);
  EXPECT_EQ(m[n], 1);
  EXPECT_EQ(m[n + "/count"], 100);
  EXPECT_EQ(m[n + "/min"], 1);
  EXPECT_EQ(m[n + "/max"], 100);
  EXPECT_EQ(m[n + "/p50"], 50);
  EXPECT_EQ(m[n + "/p90"], 90);
  EXPECT_EQ(m[n + "/p99"], 99);
  EXPECT_EQ(m[n + "/p9999"], 100);
}

TEST(TimerMetricTest, WindowKeepsOnlyRecentValues) {
  TimerMetric t(3);
  for (double v : {1000.0, 5.0, 6.0, 7.0}) t.record(v);
  auto m = emitted(t);
  const std::string n = "allocator/mesos/allocation_run_ms";
  EXPECT_EQ(m[n + "/count"], 3);
  EXPECT_EQ(m[n + "/max"], 7);  // 1000 fell out of the window
  EXPECT_EQ(m[n + "/min"], 5);
  EXPECT_EQ(m[n], 7);
}

}  // namespace
}  // namespace keel
