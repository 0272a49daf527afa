#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/flags.hpp"
#include "common/logging_flags.hpp"
#include "common/status.hpp"
#include "runtime/clock.hpp"

// keel-master's flags: every flag name Mesos 1.12's master accepts (including the logging
// flags and the deprecated "slave" spellings), with Mesos's defaults. Flags with a member below
// are implemented (or at least read) by Keel; all others are accepted, shown in /flags with
// Mesos's default, and warned about when set (see FlagSet::addUnimplemented).
//
// --registry: "in_memory", or "replicated_log" (Mesos's default, kept as the default here,
// with its start-up checks: --work_dir required; --quorum required with --zk), which Keel
// stores durably in <work_dir>/registry (master/registrar.hpp).
namespace keel {

struct MasterFlags : LoggingFlags {
  using Duration = runtime::Duration;

  // Process.
  bool version = false;
  std::string ip;  // empty: all interfaces / auto
  int64_t port = 5050;
  std::string advertise_ip;
  std::optional<int64_t> advertise_port;
  std::optional<std::string> hostname;
  bool hostname_lookup = true;
  std::optional<std::string> work_dir;
  std::optional<std::string> webui_dir;
  std::optional<std::string> cluster;

  // Registry and high availability.
  std::string registry = "replicated_log";
  std::optional<int64_t> quorum;
  std::optional<std::string> zk;  // zk://host:port[,host:port]/path (file:// accepted)
  Duration zk_session_timeout = std::chrono::seconds(10);
  bool registry_strict = false;
  Duration registry_fetch_timeout = std::chrono::minutes(1);
  Duration registry_store_timeout = std::chrono::seconds(20);
  Duration registry_gc_interval = std::chrono::minutes(15);
  Duration registry_max_agent_age = std::chrono::hours(24 * 14);
  int64_t registry_max_agent_count = 102400;

  // Agents.
  Duration agent_ping_timeout = std::chrono::seconds(15);
  int64_t max_agent_ping_timeouts = 5;
  Duration agent_reregister_timeout = std::chrono::minutes(10);
  std::string recovery_agent_removal_limit = "100%";
  std::optional<std::string> agent_removal_rate_limit;  // e.g. "1/10mins"

  // Frameworks, offers and allocation.
  bool root_submissions = true;
  std::optional<Duration> offer_timeout;
  Duration allocation_interval = std::chrono::seconds(1);
  std::string min_allocatable_resources = "cpus:0.01|mem:32";
  std::string role_sorter = "drf";
  std::string framework_sorter = "drf";
  std::optional<std::string> roles;    // deprecated role whitelist, "a,b,c"
  std::optional<std::string> weights;  // "role=weight,..."
  int64_t max_completed_frameworks = 50;
  int64_t max_completed_tasks_per_framework = 1000;
  int64_t max_unreachable_tasks_per_framework = 1000;
  int64_t max_operator_event_stream_subscribers = 1000;
  bool publish_per_framework_metrics = true;

  // Authentication.
  bool authenticate_frameworks = false;
  bool authenticate_agents = false;
  Duration authentication_v0_timeout = std::chrono::seconds(15);
  std::optional<std::string> credentials;  // path to a JSON or text credentials file
  std::string authenticators = "crammd5";  // the only one Keel has (CRAM-MD5)


  // Declares every Mesos master flag on `set`, bound to the members above (which must outlive
  // set.load()).
  void declare(FlagSet& set);

  // Mesos's start-up checks: agent_reregister_timeout >= 10mins; agent_ping_timeout within
  // [1secs, 15mins]; max_agent_ping_timeouts >= 1; offer_timeout > 0 when set;
  // recovery_agent_removal_limit a percentage in [0%, 100%]; registry_strict not set;
  // registry "in_memory" or "replicated_log" (the latter needs --work_dir, and --quorum >= 1
  // when --zk is set); authenticators exactly "crammd5"; port in [0, 65535]; counts
  // non-negative; logging_level INFO, WARNING or ERROR. The error names the flag.
  Status validate() const;
};

// Declares, loads (argv then the environment, see FlagSet::load) and validates the master's
// flags. `set_out`, when given, receives the declarations (for /flags, usage() and
// warnings()); it must be a fresh FlagSet. When --help is given the flags are returned
// unvalidated and set_out->helpRequested() is true.
Result<MasterFlags> loadMasterFlags(int argc, const char* const* argv, const char* const* envp,
                                    FlagSet* set_out);

}  // namespace keel
