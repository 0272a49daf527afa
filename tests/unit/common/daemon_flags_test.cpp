#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "common/agent_flags.hpp"
#include "common/json.hpp"
#include "common/master_flags.hpp"

namespace keel {
namespace {

using namespace std::chrono_literals;

struct Args {
  std::vector<std::string> storage;
  std::vector<const char*> argv;
  explicit Args(std::vector<std::string> args) : storage(std::move(args)) {
    storage.insert(storage.begin(), "keel-daemon");
    for (const auto& a : storage) {
      argv.push_back(a.c_str());
    }
    argv.push_back(nullptr);
  }
  int argc() const { return static_cast<int>(storage.size()); }
};

const char* const kNoEnv[] = {nullptr};

Result<MasterFlags> master(std::vector<std::string> args, FlagSet* set) {
  Args a(std::move(args));
  return loadMasterFlags(a.argc(), a.argv.data(), kNoEnv, set);
}

Result<AgentFlags> agent(std::vector<std::string> args, FlagSet* set) {
  Args a(std::move(args));
  return loadAgentFlags(a.argc(), a.argv.data(), kNoEnv, set);
}

// The "flags" object of a captured /flags response, as name -> value.
std::map<std::string, std::string> capturedFlags(const std::string& file) {
  std::ifstream in(std::string(KEEL_SHARED_DIR) + "/reference/wire-captures/json/" + file);
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = parseJson(text.str());
  EXPECT_TRUE(parsed.isOk()) << file << ": " << parsed.message();
  std::map<std::string, std::string> out;
  if (!parsed.isOk() || parsed->find("flags") == nullptr) {
    return out;
  }
  for (const auto& [name, value] : parsed->find("flags")->asObject()) {
    out[name] = value.asString();
  }
  return out;
}

std::map<std::string, std::string> toMap(const FlagSet& set) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : set.values()) {
    out[name] = value;
  }
  return out;
}

// Ensures the master's defaults and rendering reproduce Mesos's captured /flags exactly when
// given the same command line.
TEST(MasterFlagsTest, MatchesCapturedMesosFlags) {
  auto captured = capturedFlags("master-master-flags.json");
  ASSERT_FALSE(captured.empty());
  FlagSet set;
  auto flags =
      master({"--ip=127.0.0.1", "--port=27050", "--registry=in_memory",
              "--work_dir=" + captured["work_dir"], "--webui_dir=" + captured["webui_dir"]},
             &set);
  ASSERT_TRUE(flags.isOk()) << flags.message();
  EXPECT_EQ(toMap(set), captured);
  EXPECT_TRUE(set.warnings().empty());
}

// Ensures the agent's defaults and rendering reproduce Mesos's captured /flags exactly when
// given the same command line.
TEST(AgentFlagsTest, MatchesCapturedMesosFlags) {
  auto captured = capturedFlags("agent-slave_1_-flags.json");
  ASSERT_FALSE(captured.empty());
  FlagSet set;
  auto flags = agent(
      {"--master=127.0.0.1:27050", "--ip=127.0.0.1", "--port=27051",
       "--resources=" + captured["resources"], "--work_dir=" + captured["work_dir"],
       "--launcher_dir=" + captured["launcher_dir"], "--runtime_dir=" + captured["runtime_dir"]},
      &set);
  ASSERT_TRUE(flags.isOk()) << flags.message();
  EXPECT_EQ(toMap(set), captured);
}

// Ensures the master's members get Mesos's defaults.
TEST(MasterFlagsTest, Defaults) {
  FlagSet set;
  auto flags = master({"--work_dir=/tmp/m"}, &set);
  ASSERT_TRUE(flags.isOk()) << flags.message();
  EXPECT_EQ(flags->port, 5050);
  EXPECT_EQ(flags->registry, "replicated_log");
  EXPECT_FALSE(flags->offer_timeout.has_value());
  EXPECT_EQ(flags->agent_ping_timeout, 15s);
  EXPECT_EQ(flags->max_agent_ping_timeouts, 5);
  EXPECT_EQ(flags->allocation_interval, 1s);
  EXPECT_EQ(flags->agent_reregister_timeout, 10min);
  EXPECT_EQ(flags->min_allocatable_resources, "cpus:0.01|mem:32");
  EXPECT_EQ(flags->max_completed_frameworks, 50);
  EXPECT_EQ(flags->max_completed_tasks_per_framework, 1000);
  EXPECT_TRUE(flags->root_submissions);
  EXPECT_FALSE(flags->authenticate_frameworks);
  // replicated_log (the default) is durable now: no warning.
  EXPECT_EQ(flags->registry, "replicated_log");
  EXPECT_TRUE(set.warnings().empty());
}

// Ensures a few dozen well-known Mesos master flags are all accepted.
TEST(MasterFlagsTest, AcceptsMesosFlagNames) {
  const std::vector<std::string> args = {"--quorum=1",
                                         "--zk=zk://127.0.0.1:2181/mesos",
                                         "--registry=in_memory",
                                         "--registry_strict=false",
                                         "--webui_dir=/usr/share/mesos/webui",
                                         "--work_dir=/tmp/m",
                                         "--cluster=c",
                                         "--hostname=h",
                                         "--no-hostname_lookup",
                                         "--advertise_ip=10.0.0.1",
                                         "--advertise_port=5050",
                                         "--offer_timeout=5mins",
                                         "--allocator=hierarchical",
                                         "--allocation_interval=2secs",
                                         "--roles=a,b",
                                         "--weights=a=2",
                                         "--acls={}",
                                         "--credentials=/tmp/c",
                                         "--authenticate_frameworks",
                                         "--authenticate_agents",
                                         "--authenticate_http_readonly",
                                         "--authenticate_http_readwrite",
                                         "--authenticate_http_frameworks",
                                         "--authenticators=crammd5",
                                         "--authorizers=local",
                                         "--http_authenticators=basic",
                                         "--max_executors_per_agent=2",
                                         "--modules={}",
                                         "--modules_dir=/tmp",
                                         "--hooks=h",
                                         "--rate_limits={}",
                                         "--firewall_rules={}",
                                         "--whitelist=/tmp/w",
                                         "--framework_sorter=drf",
                                         "--role_sorter=drf",
                                         "--fair_sharing_excluded_resource_names=gpus",
                                         "--filter_gpu_resources",
                                         "--log_auto_initialize",
                                         "--registry_fetch_timeout=1mins",
                                         "--registry_store_timeout=5secs",
                                         "--registry_gc_interval=1mins",
                                         "--registry_max_agent_age=1weeks",
                                         "--registry_max_agent_count=10",
                                         "--zk_session_timeout=5secs",
                                         "--agent_removal_rate_limit=1/1mins",
                                         "--recovery_agent_removal_limit=50%",
                                         "--max_operator_event_stream_subscribers=5",
                                         "--master_contender=m",
                                         "--master_detector=d",
                                         "--ip_discovery_command=true",
                                         "--require_agent_domain",
                                         "--domain={}",
                                         "--publish_per_framework_metrics",
                                         "--memory_profiling",
                                         "--offer_constraints_re2_max_mem=8KB",
                                         "--offer_constraints_re2_max_program_size=50",
                                         "--allocator_agent_recovery_factor=0.5",
                                         "--allocator_recovery_timeout=1mins",
                                         "--max_unreachable_tasks_per_framework=3",
                                         "--quiet",
                                         "--logging_level=WARNING",
                                         "--log_dir=/tmp/logs",
                                         "--logbufsecs=1",
                                         "--initialize_driver_logging",
                                         "--external_log_file=/tmp/x",
                                         "--http_framework_authenticators=basic",
                                         "--version",
                                         "--authentication_v0_timeout=5secs"};
  FlagSet set;
  auto flags = master(args, &set);
  ASSERT_TRUE(flags.isOk()) << flags.message().substr(0, 300);
  EXPECT_EQ(flags->quorum, 1);
  EXPECT_EQ(flags->zk, "zk://127.0.0.1:2181/mesos");
  EXPECT_EQ(flags->offer_timeout, std::optional<runtime::Duration>(5min));
  EXPECT_EQ(flags->log_dir, "/tmp/logs");
  EXPECT_TRUE(flags->authenticate_agents);
  EXPECT_FALSE(flags->hostname_lookup);
  // Unimplemented ones warn, implemented ones do not.
  auto has = [&](const std::string& name) {
    for (const auto& w : set.warnings()) {
      if (w.find("--" + name + " is accepted") != std::string::npos) {
        return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(has("acls"));
  EXPECT_TRUE(has("whitelist"));
  EXPECT_FALSE(has("quorum"));
  EXPECT_FALSE(has("offer_timeout"));
}

// Ensures the deprecated "slave" spellings still work.
TEST(MasterFlagsTest, DeprecatedNames) {
  FlagSet set;
  auto flags =
      master({"--registry=in_memory", "--slave_ping_timeout=30secs", "--max_slave_ping_timeouts=3",
              "--slave_reregister_timeout=20mins", "--authenticate_slaves"},
             &set);
  ASSERT_TRUE(flags.isOk()) << flags.message();
  EXPECT_EQ(flags->agent_ping_timeout, 30s);
  EXPECT_EQ(flags->max_agent_ping_timeouts, 3);
  EXPECT_EQ(flags->agent_reregister_timeout, 20min);
  EXPECT_TRUE(flags->authenticate_agents);
  EXPECT_EQ(set.warnings().size(), 4u);
}

// Ensures Mesos's start-up checks reject bad combinations, naming the flag.
TEST(MasterFlagsTest, Validation) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--agent_reregister_timeout=5mins"}, "agent_reregister_timeout"},
      {{"--offer_timeout=0secs"}, "offer_timeout"},
      {{"--max_agent_ping_timeouts=0"}, "max_agent_ping_timeouts"},
      {{"--agent_ping_timeout=500ms"}, "agent_ping_timeout"},
      {{"--recovery_agent_removal_limit=150%"}, "recovery_agent_removal_limit"},
      {{"--recovery_agent_removal_limit=50"}, "recovery_agent_removal_limit"},
      {{"--registry_strict"}, "registry_strict"},
      {{"--registry=leveldb"}, "registry"},
      {{"--port=70000"}, "port"},
      {{"--logging_level=DEBUG"}, "logging_level"},
      {{"--max_completed_frameworks=-1"}, "max_completed_frameworks"},
  };
  for (const auto& [args, flag] : cases) {
    std::vector<std::string> all = args;
    all.push_back("--registry=in_memory");
    if (flag == "registry") {
      all.pop_back();
    }
    FlagSet set;
    auto flags = master(all, &set);
    ASSERT_FALSE(flags.isOk()) << args[0];
    EXPECT_NE(flags.message().find(flag), std::string::npos) << flags.message();
  }
  FlagSet set;
  auto no_work_dir = master({}, &set);
  ASSERT_FALSE(no_work_dir.isOk());
  EXPECT_NE(no_work_dir.message().find("--work_dir"), std::string::npos);
  FlagSet set2;
  auto no_quorum = master({"--work_dir=/tmp/m", "--zk=zk://h:2181/mesos"}, &set2);
  ASSERT_FALSE(no_quorum.isOk());
  EXPECT_NE(no_quorum.message().find("--quorum"), std::string::npos);
}

// Ensures --help skips validation and is reported.
TEST(MasterFlagsTest, HelpSkipsValidation) {
  FlagSet set;
  auto flags = master({"--help"}, &set);
  ASSERT_TRUE(flags.isOk());
  EXPECT_TRUE(set.helpRequested());
  EXPECT_NE(set.usage("keel-master").find("--offer_timeout=VALUE"), std::string::npos);
}

// Ensures the agent's members get Mesos's defaults and launcher_dir is this executable's dir.
TEST(AgentFlagsTest, Defaults) {
  FlagSet set;
  auto flags = agent({"--work_dir=/tmp/a"}, &set);
  ASSERT_TRUE(flags.isOk()) << flags.message();
  EXPECT_EQ(flags->port, 5051);
  EXPECT_EQ(flags->isolation, "posix/cpu,posix/mem");
  EXPECT_EQ(flags->executor_registration_timeout, 1min);
  EXPECT_EQ(flags->executor_shutdown_grace_period, 5s);
  EXPECT_EQ(flags->registration_backoff_factor, 1s);
  EXPECT_EQ(flags->default_role, "*");
  EXPECT_TRUE(flags->switch_user);
  EXPECT_EQ(flags->recovery_timeout, 15min);
  EXPECT_EQ(flags->executor_reregistration_timeout, 2s);
  EXPECT_EQ(flags->recover, "reconnect");
  EXPECT_TRUE(flags->strict);
  EXPECT_EQ(flags->gc_delay, std::chrono::hours(24 * 7));
  EXPECT_EQ(flags->fetcher_cache_size.bytes, 2ull << 30);
  EXPECT_FALSE(flags->master.has_value());
  EXPECT_FALSE(flags->launcher_dir.empty());
  EXPECT_EQ(flags->launcher_dir.front(), '/');
  EXPECT_FALSE(flags->runtime_dir.empty());
  EXPECT_TRUE(set.warnings().empty());
}

// Ensures a few dozen well-known Mesos agent flags are all accepted.
TEST(AgentFlagsTest, AcceptsMesosFlagNames) {
  const std::vector<std::string> args = {"--work_dir=/tmp/a",
                                         "--master=zk://127.0.0.1:2181/mesos",
                                         "--containerizers=mesos",
                                         "--docker=/usr/bin/docker",
                                         "--cgroups_hierarchy=/sys/fs/cgroup",
                                         "--cgroups_root=keel",
                                         "--fetcher_cache_dir=/tmp/f",
                                         "--fetcher_cache_size=1GB",
                                         "--hadoop_home=/opt/hadoop",
                                         "--isolation=cgroups/cpu,cgroups/mem",
                                         "--launcher=linux",
                                         "--image_providers=docker",
                                         "--docker_registry=https://r",
                                         "--docker_store_dir=/tmp/d",
                                         "--attributes=rack:a",
                                         "--resources=cpus:2",
                                         "--no-switch_user",
                                         "--frameworks_home=/opt/f",
                                         "--executor_environment_variables={\"PATH\":\"/bin\"}",
                                         "--gc_delay=2days",
                                         "--gc_disk_headroom=0.2",
                                         "--disk_watch_interval=30secs",
                                         "--recover=cleanup",
                                         "--recovery_timeout=1mins",
                                         "--no-strict",
                                         "--cgroups_enable_cfs",
                                         "--cgroups_limit_swap",
                                         "--perf_events=cycles",
                                         "--perf_interval=1mins",
                                         "--revocable_cpu_low_priority",
                                         "--systemd_enable_support",
                                         "--credential=/tmp/c",
                                         "--acls={}",
                                         "--docker_remove_delay=1hrs",
                                         "--docker_kill_orphans",
                                         "--docker_socket=/tmp/s",
                                         "--sandbox_directory=/mnt/s",
                                         "--default_container_info={}",
                                         "--docker_stop_timeout=1secs",
                                         "--network_cni_plugins_dir=/tmp",
                                         "--network_cni_config_dir=/tmp",
                                         "--container_disk_watch_interval=1mins",
                                         "--enforce_container_disk_quota",
                                         "--modules={}",
                                         "--authenticatee=crammd5",
                                         "--authorizer=local",
                                         "--http_command_executor",
                                         "--resource_estimator=r",
                                         "--qos_controller=q",
                                         "--oversubscribed_resources_interval=1mins",
                                         "--xfs_project_range=[1-2]",
                                         "--seccomp_config_dir=/tmp",
                                         "--ip6=::1",
                                         "--executor_secret_key=/tmp/k",
                                         "--slave_subsystems=cpu",
                                         "--nvidia_gpu_devices=0",
                                         "--agent_features={}",
                                         "--effective_capabilities={}",
                                         "--bounding_capabilities={}",
                                         "--hostname=h",
                                         "--default_role=web",
                                         "--logging_level=ERROR",
                                         "--log_dir=/tmp/l",
                                         "--http_heartbeat_interval=10secs",
                                         "--reconfiguration_policy=additive",
                                         "--executor_reregistration_retry_interval=1secs",
                                         "--max_completed_executors_per_framework=3",
                                         "--authentication_backoff_factor=2secs",
                                         "--domain_socket_location=/tmp/sock",
                                         "--volume_gid_range=[1-2]",
                                         "--host_path_volume_force_creation=/tmp",
                                         "--egress_rate_limit_per_container=1MB",
                                         "--network_enable_snmp_statistics",
                                         "--enforce_container_ports",
                                         "--container_ports_watch_interval=1secs"};
  FlagSet set;
  auto flags = agent(args, &set);
  ASSERT_TRUE(flags.isOk()) << flags.message().substr(0, 300);
  EXPECT_EQ(flags->master, "zk://127.0.0.1:2181/mesos");
  EXPECT_FALSE(flags->switch_user);
  EXPECT_FALSE(flags->strict);
  EXPECT_EQ(flags->recover, "cleanup");
  EXPECT_EQ(flags->executor_environment.at("PATH"), "/bin");
  EXPECT_EQ(flags->fetcher_cache_size.bytes, 1ull << 30);
  EXPECT_FALSE(set.warnings().empty());
}

// Ensures the agent's start-up checks reject bad values, naming the flag.
TEST(AgentFlagsTest, Validation) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{}, "work_dir"},
      {{"--work_dir=/a", "--recover=maybe"}, "recover"},
      {{"--work_dir=/a", "--reconfiguration_policy=any"}, "reconfiguration_policy"},
      {{"--work_dir=/a", "--executor_reregistration_timeout=20secs"},
       "executor_reregistration_timeout"},
      {{"--work_dir=/a", "--executor_environment_variables={\"A\":1}"},
       "executor_environment_variables"},
      {{"--work_dir=/a", "--executor_environment_variables=[1]"}, "executor_environment_variables"},
      {{"--work_dir=/a", "--gc_disk_headroom=1.5"}, "gc_disk_headroom"},
      {{"--work_dir=/a", "--port=-1"}, "port"},
  };
  for (const auto& [args, flag] : cases) {
    FlagSet set;
    auto flags = agent(args, &set);
    ASSERT_FALSE(flags.isOk()) << flag;
    EXPECT_NE(flags.message().find(flag), std::string::npos) << flags.message();
  }
}

// Ensures MESOS_ environment variables reach the agent's flags (as Mesos's init scripts use).
TEST(AgentFlagsTest, Environment) {
  Args a({"--port=1"});
  const char* env[] = {"MESOS_WORK_DIR=/tmp/w", "MESOS_PORT=2", "KEEL_MASTER=m:5050", nullptr};
  FlagSet set;
  auto flags = loadAgentFlags(a.argc(), a.argv.data(), env, &set);
  ASSERT_TRUE(flags.isOk()) << flags.message();
  EXPECT_EQ(flags->work_dir, "/tmp/w");
  EXPECT_EQ(flags->port, 1);
  EXPECT_EQ(flags->master, "m:5050");
}

}  // namespace
}  // namespace keel
