// Virtual-time cluster tests of what frameworks are told when agents, executors and the master
// go away, and of reconciliation (mesos-spec §2, §3), through the public framework API.

#include <gtest/gtest.h>

#include "cluster.hpp"
#include "virtual_cluster.hpp"

namespace keel::testing {
namespace {

using namespace std::chrono_literals;
using Event = RecordingScheduler::Event;


struct Running {
  mesos::SchedulerDriver* driver = nullptr;
  mesos::Offer offer;
};

// Starts a framework and launches `task` on its first offer, running it to TASK_RUNNING.
Running startWithTask(VirtualCluster& c, RecordingScheduler& s, const mesos::FrameworkInfo& fw,
                      mesos::TaskInfo (*make)(const mesos::Offer&)) {
  Running r;
  r.driver = c.startScheduler(&s, fw);
  auto offer = awaitOffer(c, s);
  EXPECT_TRUE(offer.has_value());
  if (!offer) return r;
  r.offer = *offer;
  mesos::TaskInfo task = make(*offer);
  r.driver->launchTasks(offer->id(), {task});
  c.settle();
  EXPECT_TRUE(takeUpdate(s, task.task_id().value(), mesos::TASK_RUNNING));
  return r;
}

mesos::TaskInfo sleepTask(const mesos::Offer& offer) {
  return commandTask(offer, "task-1", "sleep 1000");
}

// A task with its own (custom) executor "exec-1", which stays running.
mesos::TaskInfo customExecutorTask(const mesos::Offer& offer) {
  mesos::TaskInfo task;
  task.set_name("custom");
  task.mutable_task_id()->set_value("task-1");
  task.mutable_slave_id()->CopyFrom(offer.slave_id());
  for (const auto& r : offer.resources()) {
    if (r.name() == "cpus" || r.name() == "mem") {
      auto* copy = task.add_resources();
      copy->CopyFrom(r);
      copy->mutable_scalar()->set_value(r.name() == "cpus" ? 0.1 : 32);
    }
  }
  auto* executor = task.mutable_executor();
  executor->mutable_executor_id()->set_value("exec-1");
  executor->mutable_command()->set_value("/virtual/executor");
  return task;
}

// Ensures a broken agent link only disconnects the agent: a non-checkpointing framework's task
// becomes TASK_LOST with REASON_SLAVE_DISCONNECTED, and the agent is not reported lost.
TEST(VirtualTasks, AgentLinkBreakLosesNonCheckpointedTasks) {
  RecordingScheduler s;
  VirtualCluster c;
  startWithTask(c, s, frameworkInfo("link"), sleepTask);

  c.network().kill(c.agentAddress(0));
  c.settle();
  auto lost = takeUpdate(s, "task-1", mesos::TASK_LOST);
  ASSERT_TRUE(lost);
  EXPECT_EQ(lost->reason(), mesos::TaskStatus::REASON_SLAVE_DISCONNECTED);
  EXPECT_FALSE(take(s, "slaveLost"));
  EXPECT_EQ(c.onMaster([](master::Master& m) { return m.agentCount(); }), 1u);
}

// Ensures an executor's exit is reported as executorLost(executorId, slaveId, status) and its
// running task as TASK_FAILED / REASON_EXECUTOR_TERMINATED.
TEST(VirtualTasks, ExecutorExitReportsExecutorLostAndFailsTask) {
  RecordingScheduler s;
  VirtualCluster c;
  startWithTask(c, s, frameworkInfo("exec-exit"), customExecutorTask);
  ASSERT_TRUE(c.executorRunning("exec-1"));

  ASSERT_TRUE(c.exitExecutor("exec-1", 1 << 8));  // exit code 1
  auto lost = take(s, "executorLost");
  ASSERT_TRUE(lost);
  EXPECT_EQ(lost->data, "exec-1:256");
  auto failed = takeUpdate(s, "task-1", mesos::TASK_FAILED);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->reason(), mesos::TaskStatus::REASON_EXECUTOR_TERMINATED);
  EXPECT_EQ(failed->source(), mesos::TaskStatus::SOURCE_SLAVE);
}

// Ensures the driver reports a lost master with disconnected(), and that launching on an offer
// while disconnected yields TASK_LOST / REASON_MASTER_DISCONNECTED from the driver itself.
TEST(VirtualTasks, MasterDisconnectionThenLaunchIsLost) {
  RecordingScheduler s;
  VirtualCluster c;
  auto* driver = c.startScheduler(&s, frameworkInfo("master-gone"));
  auto offer = awaitOffer(c, s);
  ASSERT_TRUE(offer);

  c.network().kill(c.masterAddress());
  c.settle();
  ASSERT_TRUE(take(s, "disconnected"));

  driver->launchTasks(offer->id(), {commandTask(*offer, "late", "sleep 1000")});
  c.settle();
  auto lost = takeUpdate(s, "late", mesos::TASK_LOST);
  ASSERT_TRUE(lost);
  EXPECT_EQ(lost->reason(), mesos::TaskStatus::REASON_MASTER_DISCONNECTED);
  EXPECT_EQ(lost->source(), mesos::TaskStatus::SOURCE_MASTER);
}

mesos::TaskStatus unknownTask(const mesos::Offer& offer) {
  mesos::TaskStatus status;
  status.mutable_task_id()->set_value("never-launched");
  status.mutable_slave_id()->CopyFrom(offer.slave_id());
  status.set_state(mesos::TASK_RUNNING);
  return status;
}

// Ensures implicit reconciliation returns the running task with REASON_RECONCILIATION and
// explicit reconciliation of an unknown task on a known agent answers TASK_LOST.
TEST(VirtualTasks, ReconciliationImplicitAndExplicitUnknownTask) {
  RecordingScheduler s;
  VirtualCluster c;
  auto r = startWithTask(c, s, frameworkInfo("reconcile"), sleepTask);

  r.driver->reconcileTasks({});
  c.settle();
  auto running = takeUpdate(s, "task-1", mesos::TASK_RUNNING);
  ASSERT_TRUE(running);
  EXPECT_EQ(running->reason(), mesos::TaskStatus::REASON_RECONCILIATION);

  r.driver->reconcileTasks({unknownTask(r.offer)});
  c.settle();
  auto lost = takeUpdate(s, "never-launched", mesos::TASK_LOST);
  ASSERT_TRUE(lost);
  EXPECT_EQ(lost->reason(), mesos::TaskStatus::REASON_RECONCILIATION);
}

// Ensures explicit reconciliation of an unknown task on a known agent answers TASK_GONE to a
// PARTITION_AWARE framework.
TEST(VirtualTasks, ReconciliationUnknownTaskIsGoneForPartitionAware) {
  RecordingScheduler s;
  VirtualCluster c;
  auto fw = frameworkInfo("reconcile-aware");
  fw.add_capabilities()->set_type(mesos::FrameworkInfo::Capability::PARTITION_AWARE);
  auto r = startWithTask(c, s, fw, sleepTask);

  r.driver->reconcileTasks({unknownTask(r.offer)});
  c.settle();
  auto gone = takeUpdate(s, "never-launched", mesos::TASK_GONE);
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->reason(), mesos::TaskStatus::REASON_RECONCILIATION);
}

}  // namespace
}  // namespace keel::testing
