#include "common/master_flags.hpp"

#include <memory>

#include "common/strings.hpp"

namespace keel {

namespace {

// Mesos 1.12 master flags Keel accepts but does not act on yet, with the default Mesos shows
// in /flags (nullopt: none shown).
struct Unimplemented {
  const char* name;
  std::optional<const char*> def;
};

constexpr Unimplemented kUnimplementedValues[] = {
    {"whitelist", std::nullopt},
    {"acls", std::nullopt},
    {"firewall_rules", std::nullopt},
    {"rate_limits", std::nullopt},
    {"max_executors_per_agent", std::nullopt},
    {"modules", std::nullopt},
    {"modules_dir", std::nullopt},
    {"allocator", "hierarchical"},
    {"allocator_agent_recovery_factor", "0.8"},
    {"allocator_recovery_timeout", "10mins"},
    {"fair_sharing_excluded_resource_names", std::nullopt},
    {"hooks", std::nullopt},
    {"authorizers", "local"},
    {"http_authenticators", "basic"},
    {"http_framework_authenticators", std::nullopt},
    {"master_contender", std::nullopt},
    {"master_detector", std::nullopt},
    {"ip_discovery_command", std::nullopt},
    {"domain", std::nullopt},
    {"offer_constraints_re2_max_mem", "4KB"},
    {"offer_constraints_re2_max_program_size", "100"},
};

struct UnimplementedBool {
  const char* name;
  bool def;
};

constexpr UnimplementedBool kUnimplementedBools[] = {
    {"log_auto_initialize", true},         {"authenticate_http_readwrite", false},
    {"authenticate_http_readonly", false}, {"authenticate_http_frameworks", false},
    {"filter_gpu_resources", true},        {"memory_profiling", false},
    {"require_agent_domain", false},
};

// Old "slave" spellings Mesos still accepts, with a deprecation warning.
constexpr std::pair<const char*, const char*> kAliases[] = {
    {"slave_reregister_timeout", "agent_reregister_timeout"},
    {"recovery_slave_removal_limit", "recovery_agent_removal_limit"},
    {"slave_removal_rate_limit", "agent_removal_rate_limit"},
    {"user_sorter", "role_sorter"},
    {"authenticate", "authenticate_frameworks"},
    {"authenticate_slaves", "authenticate_agents"},
    {"authenticate_http", "authenticate_http_readwrite"},
    {"max_executors_per_slave", "max_executors_per_agent"},
    {"slave_ping_timeout", "agent_ping_timeout"},
    {"max_slave_ping_timeouts", "max_agent_ping_timeouts"},
};

Status nonNegative(const char* name, int64_t value) {
  if (value < 0) {
    return Status::error(std::string("Expected `--") + name + "` to be non-negative");
  }
  return Status::ok();
}

}  // namespace

void MasterFlags::declare(FlagSet& s) {
  s.add("version", &version, "Prints the version and exits.");
  s.add("ip", &ip, "IP address to listen on.");
  s.add("port", &port, "Port to listen on.");
  s.add("advertise_ip", &advertise_ip, "IP address other processes should use to reach us.");
  s.add("advertise_port", &advertise_port, "Port other processes should use to reach us.");
  s.add("hostname", &hostname, "Host name to advertise (default: looked up).");
  s.add("hostname_lookup", &hostname_lookup,
        "Whether to look up the host name when --hostname is not set (else use the IP).");
  s.add("work_dir", &work_dir, "Where the master keeps its persistent state.");
  s.add("webui_dir", &webui_dir, "Directory of the web UI's files.");
  s.add("cluster", &cluster, "A human readable name for the cluster, shown in the web UI.");

  s.add("registry", &registry,
        "Where the registry of admitted agents lives: in_memory (lost when the master "
        "stops), or replicated_log (durable, in <work_dir>/registry; one replica per master).");
  s.add("quorum", &quorum, "Size of the replicated log quorum (with --zk).");
  s.add("zk", &zk, "ZooKeeper URL for leader election, zk://host:port/path.");
  s.add("zk_session_timeout", &zk_session_timeout, "ZooKeeper session timeout.");
  s.add("registry_strict", &registry_strict, "Disabled in Mesos; must be false.");
  s.add("registry_fetch_timeout", &registry_fetch_timeout,
        "How long to wait for the registry to be read before giving up.");
  s.add("registry_store_timeout", &registry_store_timeout,
        "How long to wait for a registry write before giving up.");
  s.add("registry_gc_interval", &registry_gc_interval,
        "How often to prune old entries of gone or unreachable agents from the registry.");
  s.add("registry_max_agent_age", &registry_max_agent_age,
        "How long an unreachable or gone agent is remembered in the registry.");
  s.add("registry_max_agent_count", &registry_max_agent_count,
        "How many unreachable or gone agents the registry remembers.");

  s.add("agent_ping_timeout", &agent_ping_timeout,
        "How long the master waits for an agent's answer to a ping.");
  s.add("max_agent_ping_timeouts", &max_agent_ping_timeouts,
        "Missed pings after which an agent is marked unreachable.");
  s.add("agent_reregister_timeout", &agent_reregister_timeout,
        "How long agents have to re-register after a master fail-over (at least 10mins).");
  s.add("recovery_agent_removal_limit", &recovery_agent_removal_limit,
        "Largest share of agents that may be removed after a fail-over, e.g. 100%.");
  s.add("agent_removal_rate_limit", &agent_removal_rate_limit,
        "Rate limit for removing unhealthy agents, e.g. 1/10mins (default: none).");

  s.add("root_submissions", &root_submissions, "Whether root may register frameworks.");
  s.add("offer_timeout", &offer_timeout,
        "How long an offer stays outstanding before it is rescinded (default: forever).");
  s.add("allocation_interval", &allocation_interval, "Time between allocation runs.");
  s.add("min_allocatable_resources", &min_allocatable_resources,
        "Smallest resource amounts worth offering; alternatives separated by '|'.");
  s.add("role_sorter", &role_sorter, "How roles are ordered by the allocator (drf).");
  s.add("framework_sorter", &framework_sorter,
        "How frameworks within a role are ordered by the allocator (drf).");
  s.add("roles", &roles, "Deprecated: comma-separated list of allowed roles.");
  s.add("weights", &weights, "Comma-separated role=weight pairs.");
  s.add("max_completed_frameworks", &max_completed_frameworks,
        "How many completed frameworks to remember.");
  s.add("max_completed_tasks_per_framework", &max_completed_tasks_per_framework,
        "How many completed tasks to remember per framework.");
  s.add("max_unreachable_tasks_per_framework", &max_unreachable_tasks_per_framework,
        "How many unreachable tasks to remember per framework.");
  s.add("max_operator_event_stream_subscribers", &max_operator_event_stream_subscribers,
        "Most concurrent subscribers of the operator API event stream.");
  s.add("publish_per_framework_metrics", &publish_per_framework_metrics,
        "Whether to publish per-framework metrics.");

  s.add("authenticate_frameworks", &authenticate_frameworks,
        "Whether only authenticated frameworks may register.");
  s.add("authenticate_agents", &authenticate_agents,
        "Whether only authenticated agents may register.");
  s.add("authentication_v0_timeout", &authentication_v0_timeout,
        "Timeout of a framework or agent authentication.");
  s.add("credentials", &credentials,
        "Path of the file of accepted credentials (JSON {\"credentials\": [{\"principal\": ..., "
        "\"secret\": ...}]} or one 'principal secret' per line); file:// prefix allowed.");
  s.add("authenticators", &authenticators,
        "Authenticator used for frameworks: only the built-in 'crammd5' (CRAM-MD5).");

  declareLogging(s);

  for (const auto& u : kUnimplementedValues) {
    s.addUnimplemented(u.name, "", u.def ? std::optional<std::string>(*u.def) : std::nullopt);
  }
  for (const auto& u : kUnimplementedBools) {
    s.addUnimplementedBool(u.name, "", u.def);
  }
  for (const auto& [alias, name] : kAliases) {
    s.addAlias(alias, name);
  }
}

Status MasterFlags::validate() const {
  if (agent_reregister_timeout < std::chrono::minutes(10)) {
    return Status::error("Invalid value '" + runtime::formatDuration(agent_reregister_timeout) +
                         "' for --agent_reregister_timeout: must be at least 10mins");
  }
  if (agent_ping_timeout < std::chrono::seconds(1) ||
      agent_ping_timeout > std::chrono::minutes(15)) {
    return Status::error("Expected `--agent_ping_timeout` to be between 1secs and 15mins");
  }
  if (max_agent_ping_timeouts < 1) {
    return Status::error("Expected `--max_agent_ping_timeouts` to be at least 1");
  }
  if (offer_timeout && *offer_timeout <= Duration::zero()) {
    return Status::error("Invalid value '" + runtime::formatDuration(*offer_timeout) +
                         "' for --offer_timeout: must be greater than zero");
  }
  {
    std::string limit = recovery_agent_removal_limit;
    std::optional<double> percent;
    if (strings::endsWith(limit, "%")) {
      percent = strings::parseDouble(limit.substr(0, limit.size() - 1));
    }
    if (!percent || *percent < 0 || *percent > 100) {
      return Status::error("Invalid value '" + limit +
                           "' for --recovery_agent_removal_limit: expected a percentage "
                           "between 0% and 100%");
    }
  }
  if (registry_strict) {
    return Status::error(
        "Support for '--registry_strict' has been disabled and will be removed in a future "
        "version of Mesos");
  }
  if (registry != "in_memory" && registry != "replicated_log") {
    return Status::error("Invalid value '" + registry +
                         "' for --registry: expected in_memory or replicated_log");
  }
  if (registry == "replicated_log") {
    if (!work_dir) {
      return Status::error("--work_dir needed for replicated log based registry");
    }
    if (zk && (!quorum || *quorum < 1)) {
      return Status::error(
          "Need to specify --quorum (at least 1) for replicated log based registry when using "
          "ZooKeeper");
    }
  }
  if (authenticators.empty()) {
    return Status::error("No authenticator specified");
  }
  if (authenticators.find(',') != std::string::npos) {
    return Status::error("Multiple authenticators not supported");
  }
  if (authenticators != "crammd5") {
    return Status::error("Authenticator '" + authenticators +
                         "' not found. Check the spelling (compare to 'crammd5'); Keel has no "
                         "authenticator modules");
  }
  if (port < 0 || port > 65535) {
    return Status::error("Invalid value for --port: must be between 0 and 65535");
  }
  if (advertise_port && (*advertise_port < 0 || *advertise_port > 65535)) {
    return Status::error("Invalid value for --advertise_port: must be between 0 and 65535");
  }
  RETURN_IF_ERROR(nonNegative("registry_max_agent_count", registry_max_agent_count));
  RETURN_IF_ERROR(nonNegative("max_completed_frameworks", max_completed_frameworks));
  RETURN_IF_ERROR(
      nonNegative("max_completed_tasks_per_framework", max_completed_tasks_per_framework));
  RETURN_IF_ERROR(
      nonNegative("max_unreachable_tasks_per_framework", max_unreachable_tasks_per_framework));
  RETURN_IF_ERROR(
      nonNegative("max_operator_event_stream_subscribers", max_operator_event_stream_subscribers));
  RETURN_IF_ERROR(validateLogging());
  return Status::ok();
}

Result<MasterFlags> loadMasterFlags(int argc, const char* const* argv, const char* const* envp,
                                    FlagSet* set_out) {
  std::unique_ptr<FlagSet> local;
  if (set_out == nullptr) {
    local = std::make_unique<FlagSet>();
    set_out = local.get();
  }
  MasterFlags flags;
  flags.declare(*set_out);
  RETURN_IF_ERROR(set_out->load(argc, argv, envp));
  if (set_out->helpRequested()) {
    return flags;
  }
  RETURN_IF_ERROR(flags.validate());
  return flags;
}

}  // namespace keel
