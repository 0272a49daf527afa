// Virtual-time cluster tests of a master restart with a durable registry (mesos-spec §3.9,
// §3.16, §3.17): frameworks re-register with registered(), agents re-register with their
// tasks, reconciliation stays silent about agents known from the registry that have not
// come back, and those are marked unreachable after --agent_reregister_timeout.

#include <gtest/gtest.h>

#include <filesystem>

#include "cluster.hpp"
#include "virtual_cluster.hpp"

namespace keel::testing {
namespace {

using namespace std::chrono_literals;

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/keel-registry-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

mesos::TaskStatus query(const std::string& task_id, const std::string& agent_id) {
  mesos::TaskStatus s;
  s.mutable_task_id()->set_value(task_id);
  s.set_state(mesos::TASK_STAGING);  // required field; ignored by the master
  if (!agent_id.empty()) s.mutable_slave_id()->set_value(agent_id);
  return s;
}

size_t count(RecordingScheduler& s, const std::string& kind) {
  size_t n = 0;
  while (take(s, kind)) ++n;
  return n;
}

// Ensures that after a master restart: the framework gets registered() again, a re-registered
// agent's task is known (TASK_RUNNING on reconciliation), an unknown task on it is TASK_GONE,
// unknown tasks on an agent that is known from the registry but not back get no answer (nor
// do those naming no agent), and once --agent_reregister_timeout passes that agent is lost:
// slaveLost() and TASK_UNREACHABLE for its unknown tasks.
TEST(VirtualFailover, RegistrySurvivesMasterRestart) {
  TempDir dir;
  RecordingScheduler s;  // outlives the cluster, whose drivers call it until they stop
  VirtualClusterOptions options;
  options.agents = 2;
  options.master_flags = {"--registry=replicated_log", "--work_dir=" + dir.path};
  VirtualCluster c(options);
  const std::string agent0 = c.onAgent(0, [](agent::Agent& a) { return a.agentId(); });
  const std::string agent1 = c.onAgent(1, [](agent::Agent& a) { return a.agentId(); });
  const std::string agent1_address = c.agentAddress(1);

  auto fw = frameworkInfo("failover");
  fw.add_capabilities()->set_type(mesos::FrameworkInfo::Capability::PARTITION_AWARE);
  fw.set_failover_timeout(3600);
  mesos::SchedulerDriver* driver = c.startScheduler(&s, fw);
  ASSERT_TRUE(take(s, "registered"));

  // One task on agent 0.
  std::optional<mesos::Offer> offer;
  for (int i = 0; i < 100 && !offer; ++i) {
    c.advance(100ms, 100ms);
    while (auto e = take(s, "offers")) {
      for (const auto& o : e->offers) {
        if (o.slave_id().value() == agent0) offer = o;
      }
    }
  }
  ASSERT_TRUE(offer);
  driver->launchTasks(offer->id(), {commandTask(*offer, "task-1", "sleep 1000")});
  c.settle();
  ASSERT_TRUE(takeUpdate(s, "task-1", mesos::TASK_RUNNING));

  // Agent 1 will not manage to re-register with the new master.
  c.setFilter([agent1_address](const wire::Message& m) {
    return m.from.address() == agent1_address &&
                   (m.name == "mesos.internal.ReregisterSlaveMessage" ||
                    m.name == "mesos.internal.RegisterSlaveMessage")
               ? wire::FilterAction::drop()
               : wire::FilterAction::deliver();
  });
  count(s, "registered");
  c.restartMaster();
  c.advance(30s, 1s);  // backoffs of the driver and of agent 0
  EXPECT_TRUE(take(s, "disconnected"));
  EXPECT_EQ(count(s, "registered"), 1u) << "a new master answers with registered()";
  EXPECT_FALSE(take(s, "reregistered"));
  ASSERT_EQ(c.onMaster([](master::Master& m) { return m.agentCount(); }), 1u);

  count(s, "update");
  driver->reconcileTasks({query("task-1", agent0), query("unknown-0", agent0),
                          query("unknown-1", agent1), query("unknown-x", "")});
  c.settle();
  auto running = takeUpdate(s, "task-1", mesos::TASK_RUNNING);
  ASSERT_TRUE(running);
  EXPECT_EQ(running->reason(), mesos::TaskStatus::REASON_RECONCILIATION);
  EXPECT_TRUE(takeUpdate(s, "unknown-0", mesos::TASK_GONE));
  EXPECT_EQ(count(s, "update"), 0u) << "no answer about agents not back yet";

  // Ten minutes on, agent 1 is given up.
  count(s, "slaveLost");
  c.advance(10min, 30s);
  EXPECT_EQ(count(s, "slaveLost"), 1u);
  driver->reconcileTasks({query("unknown-1", agent1), query("unknown-x", "")});
  c.settle();
  EXPECT_TRUE(takeUpdate(s, "unknown-1", mesos::TASK_UNREACHABLE));
  EXPECT_TRUE(takeUpdate(s, "unknown-x", mesos::TASK_UNKNOWN));

  // The registry on disk lists agent 1 as unreachable for the next master too.
  c.restartMaster();
  c.advance(30s, 1s);  // the driver re-registers; calls made while disconnected are dropped
  driver->reconcileTasks({query("unknown-1", agent1)});
  c.settle();
  EXPECT_TRUE(takeUpdate(s, "unknown-1", mesos::TASK_UNREACHABLE));
}

// Ensures that agents coming back to a restarted master with the info its durable registry
// holds cost no registry write (as in Mesos, MESOS-7711): a failover of a big cluster would
// otherwise rewrite the registry for every returning agent.
TEST(VirtualFailover, ReturningAgentsWithUnchangedInfoWriteNothing) {
  TempDir dir;
  VirtualClusterOptions options;
  options.agents = 3;
  options.master_flags = {"--registry=replicated_log", "--work_dir=" + dir.path};
  VirtualCluster c(options);
  c.settle();
  ASSERT_GT(c.onMaster([](master::Master& m) { return m.registryWrites(); }), 0u)
      << "the first registrations are written";
  // The agents are held back until the new master has recovered (and recorded itself).
  c.setFilter([](const wire::Message& m) {
    return m.name == "mesos.internal.ReregisterSlaveMessage" ? wire::FilterAction::drop()
                                                            : wire::FilterAction::deliver();
  });
  c.restartMaster();
  c.advance(1s, 100ms);
  const uint64_t after_recovery =
      c.onMaster([](master::Master& m) { return m.registryWrites(); });
  ASSERT_EQ(c.onMaster([](master::Master& m) { return m.agentCount(); }), 0u);
  c.setFilter([](const wire::Message&) { return wire::FilterAction::deliver(); });
  c.advance(30s, 1s);  // the agents' re-registration backoff
  ASSERT_EQ(c.onMaster([](master::Master& m) { return m.agentCount(); }), 3u);
  EXPECT_EQ(c.onMaster([](master::Master& m) { return m.registryWrites(); }), after_recovery);
}

// Ensures an in-memory registry forgets the agents: after a restart, nothing is awaited and
// unknown tasks on agents that are not back are TASK_UNKNOWN (or TASK_LOST) at once.
TEST(VirtualFailover, InMemoryRegistryForgetsAgents) {
  RecordingScheduler s;
  VirtualClusterOptions options;
  options.agents = 1;
  VirtualCluster c(options);
  const std::string agent0 = c.onAgent(0, [](agent::Agent& a) { return a.agentId(); });
  c.setFilter([address = c.agentAddress(0)](const wire::Message& m) {
    return m.from.address() == address && m.name == "mesos.internal.ReregisterSlaveMessage"
               ? wire::FilterAction::drop()
               : wire::FilterAction::deliver();
  });
  c.restartMaster();

  mesos::SchedulerDriver* driver = c.startScheduler(&s, frameworkInfo("forgetful"));
  ASSERT_TRUE(take(s, "registered"));
  driver->reconcileTasks({query("unknown", agent0)});
  c.settle();
  EXPECT_TRUE(takeUpdate(s, "unknown", mesos::TASK_LOST));
}

}  // namespace
}  // namespace keel::testing
