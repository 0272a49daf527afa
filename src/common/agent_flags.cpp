#include "common/agent_flags.hpp"

#include <unistd.h>

#include <cstdlib>
#include <memory>

#include "common/json.hpp"

namespace keel {

namespace {

struct Unimplemented {
  const char* name;
  std::optional<const char*> def;  // what Mesos shows in /flags when unset
};

// Mesos 1.12 agent flags Keel accepts but does not act on yet.
constexpr Unimplemented kUnimplementedValues[] = {
    {"resource_provider_config_dir", std::nullopt},
    {"csi_plugin_config_dir", std::nullopt},
    {"disk_profile_adaptor", std::nullopt},
    {"image_providers", std::nullopt},
    {"image_provisioner_backend", std::nullopt},
    {"image_gc_config", std::nullopt},
    {"appc_simple_discovery_uri_prefix", "http://"},
    {"appc_store_dir", "/tmp/mesos/store/appc"},
    {"docker_registry", "https://registry-1.docker.io"},
    {"docker_store_dir", "/tmp/mesos/store/docker"},
    {"docker_volume_checkpoint_dir", "/var/run/mesos/isolators/docker/volume"},
    {"hadoop_home", std::nullopt},
    {"volume_gid_range", std::nullopt},
    {"frameworks_home", ""},
    {"jwt_secret_key", std::nullopt},
    {"container_logger", std::nullopt},
    {"cgroups_net_cls_primary_handle", std::nullopt},
    {"cgroups_net_cls_secondary_handles", std::nullopt},
    {"allowed_devices", std::nullopt},
    {"agent_subsystems", std::nullopt},
    {"host_path_volume_force_creation", std::nullopt},
    {"nvidia_gpu_devices", std::nullopt},
    {"perf_events", std::nullopt},
    {"perf_interval", "1mins"},
    {"perf_duration", "10secs"},
    {"systemd_runtime_directory", "/run/systemd/system"},
    {"effective_capabilities", std::nullopt},
    {"bounding_capabilities", std::nullopt},
    {"default_container_shm_size", std::nullopt},
    {"agent_features", std::nullopt},
    {"firewall_rules", std::nullopt},
    {"acls", std::nullopt},
    {"docker", "docker"},
    {"docker_remove_delay", "6hrs"},
    {"docker_mesos_image", std::nullopt},
    {"docker_socket", "/var/run/docker.sock"},
    {"docker_config", std::nullopt},
    {"domain_socket_location", std::nullopt},
    {"default_container_dns", std::nullopt},
    {"default_container_info", std::nullopt},
    {"docker_stop_timeout", "0ns"},
    {"ephemeral_ports_per_container", std::nullopt},
    {"eth0_name", std::nullopt},
    {"lo_name", std::nullopt},
    {"egress_rate_limit_per_container", std::nullopt},
    {"egress_rate_per_cpu", std::nullopt},
    {"minimum_egress_rate_limit", std::nullopt},
    {"maximum_egress_rate_limit", std::nullopt},
    {"egress_ceil_limit", std::nullopt},
    {"egress_burst", std::nullopt},
    {"egress_flow_classifier_parent", std::nullopt},
    {"ingress_rate_limit_per_container", std::nullopt},
    {"ingress_rate_per_cpu", std::nullopt},
    {"minimum_ingress_rate_limit", std::nullopt},
    {"maximum_ingress_rate_limit", std::nullopt},
    {"ingress_ceil_limit", std::nullopt},
    {"ingress_burst", std::nullopt},
    {"network_link_speed", std::nullopt},
    {"network_rate_statistics_window", std::nullopt},
    {"network_rate_statistics_interval", std::nullopt},
    {"container_ports_watch_interval", std::nullopt},
    {"container_ports_isolated_range", std::nullopt},
    {"network_cni_plugins_dir", std::nullopt},
    {"network_cni_config_dir", std::nullopt},
    {"container_disk_watch_interval", "15secs"},
    {"modules", std::nullopt},
    {"modules_dir", std::nullopt},
    {"authenticatee", "crammd5"},
    {"authorizer", "local"},
    {"http_authenticators", std::nullopt},
    {"http_credentials", std::nullopt},
    {"hooks", std::nullopt},
    {"secret_resolver", std::nullopt},
    {"resource_estimator", std::nullopt},
    {"qos_controller", std::nullopt},
    {"qos_correction_interval_min", "0ns"},
    {"oversubscribed_resources_interval", "15secs"},
    {"master_detector", std::nullopt},
    {"xfs_project_range", std::nullopt},
    {"xfs_quota_headroom", std::nullopt},
    {"seccomp_config_dir", std::nullopt},
    {"seccomp_profile_name", std::nullopt},
    {"ip6", std::nullopt},
    {"ip_discovery_command", std::nullopt},
    {"ip6_discovery_command", std::nullopt},
    {"domain", std::nullopt},
};

struct UnimplementedBool {
  const char* name;
  std::optional<bool> def;  // none: a flag of an isolator Mesos 1.12 builds leave out
};

constexpr UnimplementedBool kUnimplementedBools[] = {
    {"docker_volume_chown", false},
    {"docker_ignore_runtime", false},
    {"gc_non_executor_container_sandboxes", false},
    {"cgroups_cpu_enable_pids_and_tids_count", false},
    {"revocable_cpu_low_priority", true},
    {"systemd_enable_support", false},
    {"disallow_sharing_agent_ipc_namespace", false},
    {"disallow_sharing_agent_pid_namespace", false},
    {"docker_kill_orphans", true},
    {"egress_unique_flow_per_container", std::nullopt},
    {"ingress_isolate_existing_containers", std::nullopt},
    {"network_enable_socket_statistics_summary", std::nullopt},
    {"network_enable_socket_statistics_details", std::nullopt},
    {"network_enable_snmp_statistics", std::nullopt},
    {"network_enable_rate_statistics", std::nullopt},
    {"check_agent_port_range_only", std::nullopt},
    {"enforce_container_ports", std::nullopt},
    {"network_cni_root_dir_persist", false},
    {"network_cni_metrics", true},
    {"enforce_container_disk_quota", false},
    {"authenticate_http_readwrite", false},
    {"authenticate_http_readonly", false},
    {"authenticate_http_executors", std::nullopt},
    {"http_executor_domain_sockets", false},
    {"xfs_kill_containers", std::nullopt},
    {"http_command_executor", false},
    {"memory_profiling", false},
};

constexpr std::pair<const char*, const char*> kAliases[] = {
    {"executor_secret_key", "jwt_secret_key"},
    {"slave_subsystems", "agent_subsystems"},
    {"allowed_capabilities", "effective_capabilities"},
};

std::string executableDirectory() {
  char buffer[4096];
  ssize_t n = readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  if (n <= 0) {
    return ".";
  }
  std::string path(buffer, static_cast<size_t>(n));
  size_t slash = path.rfind('/');
  return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}

std::string defaultRuntimeDir() {
  // Mesos uses /var/run/mesos when it can write there (as root), else a temp location.
  if (geteuid() == 0) {
    return "/var/run/mesos";
  }
  const char* tmp = std::getenv("TMPDIR");
  std::string base = tmp != nullptr && tmp[0] != '\0' ? tmp : "/tmp";
  return base + "/mesos/runtime";
}

Status nonNegative(const char* name, int64_t value) {
  if (value < 0) {
    return Status::error(std::string("Expected `--") + name + "` to be non-negative");
  }
  return Status::ok();
}

}  // namespace

AgentFlags::AgentFlags() : runtime_dir(defaultRuntimeDir()), launcher_dir(executableDirectory()) {}

void AgentFlags::declare(FlagSet& s) {
  s.add("version", &version, "Prints the version and exits.");
  s.add("master", &master, "The master: host:port, zk://host:port/path or file:///path.");
  s.add("ip", &ip, "IP address to listen on.");
  s.add("port", &port, "Port to listen on.");
  s.add("advertise_ip", &advertise_ip, "IP address other processes should use to reach us.");
  s.add("advertise_port", &advertise_port, "Port other processes should use to reach us.");
  s.add("hostname", &hostname, "Host name to advertise (default: looked up).");
  s.add("hostname_lookup", &hostname_lookup,
        "Whether to look up the host name when --hostname is not set (else use the IP).");
  s.add("zk_session_timeout", &zk_session_timeout, "ZooKeeper session timeout.");

  s.add("work_dir", &work_dir, "Where the agent keeps sandboxes and checkpoints (required).");
  s.add("runtime_dir", &runtime_dir, "Where the agent keeps state lost at reboot.");
  s.add("launcher_dir", &launcher_dir, "Directory of Keel's helper programs (keel-executor).");
  s.add("sandbox_directory", &sandbox_directory,
        "Where the sandbox is mapped inside a container with its own filesystem.");

  s.add("resources", &resources,
        "Total resources, e.g. cpus:4;mem:4096;ports:[31000-32000] or a JSON array.");
  s.add("attributes", &attributes, "Attributes of this machine, e.g. rack:a;os:linux.");
  s.add("default_role", &default_role, "Role of resources given without one.");

  s.add("containerizers", &containerizers, "Containerizers to use (mesos).");
  s.add("isolation", &isolation, "Comma-separated isolators, e.g. posix/cpu,posix/mem.");
  s.add("launcher", &launcher, "How executors are started: posix or linux.");
  s.add("cgroups_hierarchy", &cgroups_hierarchy, "Where the cgroup hierarchies are mounted.");
  s.add("cgroups_root", &cgroups_root, "Name of the agent's cgroup under each hierarchy.");
  s.add("cgroups_enable_cfs", &cgroups_enable_cfs, "Whether to hard-limit CPU with CFS quota.");
  s.add("cgroups_limit_swap", &cgroups_limit_swap, "Whether to limit memory plus swap.");
  s.add("cgroups_destroy_timeout", &cgroups_destroy_timeout,
        "How long to wait for a cgroup to be destroyed.");
  s.add("switch_user", &switch_user, "Whether to run tasks as the framework's user.");

  s.add("executor_environment_variables", &executor_environment_variables,
        "JSON object of the environment variables given to executors.");
  s.add("executor_registration_timeout", &executor_registration_timeout,
        "How long an executor has to register before it is killed.");
  s.add("executor_reregistration_timeout", &executor_reregistration_timeout,
        "How long executors have to re-register after agent recovery (at most 15secs).");
  s.add("executor_reregistration_retry_interval", &executor_reregistration_retry_interval,
        "How often to ask PID-based executors to re-register during recovery.");
  s.add("executor_shutdown_grace_period", &executor_shutdown_grace_period,
        "How long an executor has to shut down before it is killed.");
  s.add("http_heartbeat_interval", &http_heartbeat_interval,
        "Heartbeat interval of HTTP executor connections.");
  s.add("max_completed_executors_per_framework", &max_completed_executors_per_framework,
        "How many completed executors to remember per framework.");

  s.add("fetcher_cache_dir", &fetcher_cache_dir, "Directory of the fetcher cache.");
  s.add("fetcher_cache_size", &fetcher_cache_size, "Size of the fetcher cache.");
  s.add("fetcher_stall_timeout", &fetcher_stall_timeout,
        "How long a download may make no progress before it fails.");

  s.add("registration_backoff_factor", &registration_backoff_factor,
        "Base of the randomized back-off between registration attempts.");
  s.add("credential", &credential, "Path of this agent's credential file.");
  s.add("authentication_backoff_factor", &authentication_backoff_factor,
        "Base of the back-off between authentication attempts.");
  s.add("authentication_timeout_min", &authentication_timeout_min, "First authentication timeout.");
  s.add("authentication_timeout_max", &authentication_timeout_max,
        "Largest authentication timeout.");

  s.add("recover", &recover, "After a restart: reconnect to executors, or cleanup.");
  s.add("recovery_timeout", &recovery_timeout,
        "How long recovery may take before executors kill themselves.");
  s.add("reconfiguration_policy", &reconfiguration_policy,
        "Which changes of agent resources/attributes a restart may make: equal or additive.");
  s.add("strict", &strict, "Whether any recovery error is fatal.");
  s.add("gc_delay", &gc_delay, "Longest time a finished sandbox is kept.");
  s.add("gc_disk_headroom", &gc_disk_headroom,
        "Share of disk to keep free, shortening gc_delay as the disk fills.");
  s.add("disk_watch_interval", &disk_watch_interval, "How often disk usage is checked.");

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

Result<std::map<std::string, std::string>> parseEnvironmentJson(const std::string& json) {
  using Env = std::map<std::string, std::string>;
  Result<JsonValue> parsed = parseJson(json);
  if (!parsed) {
    return Result<Env>::error(parsed.message());
  }
  if (!parsed->isObject()) {
    return Result<Env>::error("expected a JSON object");
  }
  Env env;
  for (const auto& [name, value] : parsed->asObject()) {
    if (!value.isString()) {
      return Result<Env>::error(
          "`executor_environment_variables` must only contain string "
          "values");
    }
    env[name] = value.asString();
  }
  return env;
}

Status AgentFlags::validate() const {
  if (!work_dir || work_dir->empty()) {
    return Status::error("Flag 'work_dir' is required, but it was not provided");
  }
  if (recover != "reconnect" && recover != "cleanup") {
    return Status::error("Unknown option for 'recover' flag " + recover +
                         ". Please run the agent with '--help' to see the valid options");
  }
  if (reconfiguration_policy != "equal" && reconfiguration_policy != "additive") {
    return Status::error("Unknown option for 'reconfiguration_policy' flag " +
                         reconfiguration_policy + ": expected equal or additive");
  }
  if (executor_reregistration_timeout > std::chrono::seconds(15)) {
    return Status::error(
        "Expected `--executor_reregistration_timeout` to be not more than "
        "15secs");
  }
  if (executor_environment_variables) {
    auto env = parseEnvironmentJson(*executor_environment_variables);
    if (!env) {
      return Status::error("Invalid value for --executor_environment_variables: " + env.message());
    }
  }
  if (gc_disk_headroom < 0 || gc_disk_headroom > 1) {
    return Status::error("Invalid value for --gc_disk_headroom: must be between 0.0 and 1.0");
  }
  if (port < 0 || port > 65535) {
    return Status::error("Invalid value for --port: must be between 0 and 65535");
  }
  if (advertise_port && (*advertise_port < 0 || *advertise_port > 65535)) {
    return Status::error("Invalid value for --advertise_port: must be between 0 and 65535");
  }
  RETURN_IF_ERROR(
      nonNegative("max_completed_executors_per_framework", max_completed_executors_per_framework));
  for (const auto& [name, d] : {std::pair<const char*, Duration>{"executor_registration_timeout",
                                                                 executor_registration_timeout},
                                {"executor_shutdown_grace_period", executor_shutdown_grace_period},
                                {"registration_backoff_factor", registration_backoff_factor},
                                {"recovery_timeout", recovery_timeout},
                                {"gc_delay", gc_delay}}) {
    if (d < Duration::zero()) {
      return Status::error(std::string("Expected `--") + name + "` to be non-negative");
    }
  }
  RETURN_IF_ERROR(validateLogging());
  return Status::ok();
}

Result<AgentFlags> loadAgentFlags(int argc, const char* const* argv, const char* const* envp,
                                  FlagSet* set_out) {
  std::unique_ptr<FlagSet> local;
  if (set_out == nullptr) {
    local = std::make_unique<FlagSet>();
    set_out = local.get();
  }
  AgentFlags flags;
  flags.declare(*set_out);
  RETURN_IF_ERROR(set_out->load(argc, argv, envp));
  if (set_out->helpRequested()) {
    return flags;
  }
  RETURN_IF_ERROR(flags.validate());
  if (flags.executor_environment_variables) {
    flags.executor_environment =
        parseEnvironmentJson(*flags.executor_environment_variables).value();
  }
  return flags;
}

}  // namespace keel
