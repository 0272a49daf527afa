#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/flags.hpp"
#include "common/logging_flags.hpp"
#include "common/status.hpp"
#include "runtime/clock.hpp"

// keel-agent's flags: every flag name Mesos 1.12's agent accepts (including the logging flags,
// the flags of optional isolators, and the deprecated spellings), with Mesos's defaults.
// Flags with a member below are implemented (or at least read) by Keel; all others are
// accepted, shown in /flags with Mesos's default, and warned about when set (see
// FlagSet::addUnimplemented).
namespace keel {

struct AgentFlags : LoggingFlags {
  using Duration = runtime::Duration;

  AgentFlags();  // computes launcher_dir and runtime_dir defaults

  // Process.
  bool version = false;
  std::optional<std::string> master;  // host:port, zk://host:port/path, or file:///path
  std::string ip;
  int64_t port = 5051;
  std::string advertise_ip;
  std::optional<int64_t> advertise_port;
  std::optional<std::string> hostname;
  bool hostname_lookup = true;
  Duration zk_session_timeout = std::chrono::seconds(10);

  // Directories.
  std::optional<std::string> work_dir;  // required
  std::string runtime_dir;   // default /var/run/mesos as root, else $TMPDIR/mesos/runtime
  std::string launcher_dir;  // default: directory of this executable (keel-executor lives there)
  std::string sandbox_directory = "/mnt/mesos/sandbox";

  // Resources and identity.
  std::optional<std::string> resources;
  std::optional<std::string> attributes;
  std::string default_role = "*";

  // Containerization.
  std::string containerizers = "mesos";
  std::string isolation = "posix/cpu,posix/mem";
  std::string launcher = "posix";
  std::string cgroups_hierarchy = "/sys/fs/cgroup";
  std::string cgroups_root = "mesos";
  bool cgroups_enable_cfs = false;
  bool cgroups_limit_swap = false;
  Duration cgroups_destroy_timeout = std::chrono::minutes(1);
  bool switch_user = true;

  // Executors.
  std::optional<std::string> executor_environment_variables;  // JSON object of strings
  std::map<std::string, std::string> executor_environment;    // parsed by loadAgentFlags()
  Duration executor_registration_timeout = std::chrono::minutes(1);
  Duration executor_reregistration_timeout = std::chrono::seconds(2);
  std::optional<Duration> executor_reregistration_retry_interval;
  Duration executor_shutdown_grace_period = std::chrono::seconds(5);
  Duration http_heartbeat_interval = std::chrono::seconds(30);
  int64_t max_completed_executors_per_framework = 150;

  // Fetcher.
  std::string fetcher_cache_dir = "/tmp/mesos/fetch";
  Bytes fetcher_cache_size{2ull * 1024 * 1024 * 1024};
  Duration fetcher_stall_timeout = std::chrono::minutes(1);

  // Registration with the master and authentication.
  Duration registration_backoff_factor = std::chrono::seconds(1);
  std::optional<std::string> credential;  // path of this agent's credential file
  Duration authentication_backoff_factor = std::chrono::seconds(1);
  Duration authentication_timeout_min = std::chrono::seconds(5);
  Duration authentication_timeout_max = std::chrono::minutes(1);

  // Recovery and garbage collection.
  std::string recover = "reconnect";  // reconnect | cleanup
  Duration recovery_timeout = std::chrono::minutes(15);
  std::string reconfiguration_policy = "equal";  // equal | additive
  bool strict = true;
  Duration gc_delay = std::chrono::hours(24 * 7);
  double gc_disk_headroom = 0.1;
  Duration disk_watch_interval = std::chrono::minutes(1);


  // Declares every Mesos agent flag on `set`, bound to the members above (which must outlive
  // set.load()).
  void declare(FlagSet& set);

  // Mesos's start-up checks: --work_dir given; --recover reconnect or cleanup;
  // --reconfiguration_policy equal or additive; executor_reregistration_timeout <= 15secs;
  // --executor_environment_variables a JSON object of strings; gc_disk_headroom in [0, 1];
  // port in [0, 65535]; counts non-negative; logging_level INFO, WARNING or ERROR; timeouts
  // not negative. The error names the flag.
  Status validate() const;
};

// Declares, loads (argv then the environment, see FlagSet::load) and validates the agent's
// flags, and fills executor_environment. `set_out` as for loadMasterFlags(). When --help is
// given the flags are returned unvalidated and set_out->helpRequested() is true.
Result<AgentFlags> loadAgentFlags(int argc, const char* const* argv, const char* const* envp,
                                  FlagSet* set_out);

// The strings of a JSON object of strings, e.g. --executor_environment_variables; an error
// for anything else.
Result<std::map<std::string, std::string>> parseEnvironmentJson(const std::string& json);

}  // namespace keel
