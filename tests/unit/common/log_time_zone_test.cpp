#include "common/log_time_zone.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

namespace keel {
namespace {

// Restores TZ as it was when the test started.
class LogTimeZoneTest : public ::testing::Test {
 protected:
  LogTimeZoneTest() {
    if (const char* tz = std::getenv("TZ")) saved_ = tz;
  }
  ~LogTimeZoneTest() override {
    if (saved_) {
      ::setenv("TZ", saved_->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }
  std::optional<std::string> saved_;
};

// Ensures an unset TZ is pinned to the zone glibc would have used anyway.
TEST_F(LogTimeZoneTest, PinsAnUnsetZone) {
  ::unsetenv("TZ");
  ::tzset();
  const std::time_t t = 1764000000;
  std::tm before{};
  ::localtime_r(&t, &before);

  pinLocalTimeZoneForLogging();
  const char* tz = std::getenv("TZ");
  ASSERT_NE(tz, nullptr);
  EXPECT_EQ(std::string(tz), ::access("/etc/localtime", R_OK) == 0 ? ":/etc/localtime" : "UTC0");
  std::tm after{};
  ::localtime_r(&t, &after);
  EXPECT_EQ(after.tm_hour, before.tm_hour);
  EXPECT_EQ(after.tm_gmtoff, before.tm_gmtoff);
}

// Ensures a zone the operator chose is left alone.
TEST_F(LogTimeZoneTest, KeepsAChosenZone) {
  ::setenv("TZ", "Europe/Berlin", 1);
  pinLocalTimeZoneForLogging();
  EXPECT_STREQ(std::getenv("TZ"), "Europe/Berlin");
}

}  // namespace
}  // namespace keel
