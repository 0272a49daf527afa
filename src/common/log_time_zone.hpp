#pragma once

namespace keel {

// Sets TZ to ":/etc/localtime" (or "UTC0" without that file) when it is unset, before any thread
// starts. glog stamps each line with mktime(), and glibc re-reads the zone file on every mktime()
// while TZ is unset: a stat() of /etc/localtime per log line, ~4% of a master re-admitting 40,000
// agents. The zone is the same one. Processes started later inherit the variable, so only programs
// that start no tasks of their own call this: keel-master, and keel-bench (whose real_agent
// scenario's tasks see TZ; they measure start-up, not the time zone).
void pinLocalTimeZoneForLogging();

}  // namespace keel
