#include "common/log_time_zone.hpp"

#include <unistd.h>

#include <cstdlib>
#include <ctime>

namespace keel {

void pinLocalTimeZoneForLogging() {
  if (std::getenv("TZ") != nullptr) return;
  // Without the file glibc uses UTC, which the POSIX string "UTC0" names without a file.
  const bool zone_file = ::access("/etc/localtime", R_OK) == 0;
  ::setenv("TZ", zone_file ? ":/etc/localtime" : "UTC0", 0);
  ::tzset();
}

}  // namespace keel
