// The agent's side of LAUNCH_GROUP: RunTaskGroupMessage from the master, the DEFAULT
// executor's launch, queueing until registration and kills before delivery.

#include <set>

#include "agent_fixture.hpp"

namespace keel::agent::testing {
namespace {

using mesos::internal::ExecutorRegisteredMessage;
using mesos::internal::KillTaskMessage;
using mesos::internal::RunTaskGroupMessage;
using mesos::internal::RunTaskMessage;
using mesos::internal::ShutdownExecutorMessage;
using mesos::internal::StatusUpdateMessage;

class AgentTaskGroupTest : public AgentTest {
 protected:
  mesos::ExecutorInfo defaultExecutor() {
    mesos::ExecutorInfo executor;
    executor.set_type(mesos::ExecutorInfo::DEFAULT);
    executor.mutable_executor_id()->set_value("group");
    executor.mutable_framework_id()->set_value("MASTER-0000");
    return executor;
  }

  // A RunTaskGroupMessage as the master sends it: every task carries the executor.
  void runGroup(const std::vector<std::string>& ids) {
    RunTaskGroupMessage run;
    run.mutable_framework()->CopyFrom(framework());
    *run.mutable_executor() = defaultExecutor();
    for (const auto& id : ids) {
      mesos::TaskInfo task = commandTask(id);
      *task.mutable_executor() = defaultExecutor();
      *run.mutable_task_group()->add_tasks() = task;
    }
    run.set_launch_executor(true);
    fromMaster(run);
  }
};

TEST_F(AgentTaskGroupTest, GroupLaunchesKeelExecutorAndIsDeliveredWhole) {
  // Ensures a task group starts the DEFAULT executor as <launcher_dir>/keel-executor and,
  // once it registers, reaches it as one RunTaskGroupMessage after ExecutorRegistered.
  registerAgent();
  runGroup({"a", "b"});
  ASSERT_EQ(launcher_.launches.size(), 1u);
  EXPECT_EQ(launcher_.launches[0].path, "/opt/keel/bin/keel-executor");
  ASSERT_EQ(launcher_.launches[0].argv.size(), 2u);
  EXPECT_EQ(launcher_.launches[0].argv[1], "--launcher_dir=/opt/keel/bin");
  EXPECT_TRUE(transport_.sent<RunTaskGroupMessage>("executor(1)").empty());

  registerExecutor("group");
  std::vector<std::string> names;
  for (const auto& msg : transport_.all()) {
    if (msg.to == executorPid()) names.push_back(msg.name);
  }
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0], "mesos.internal.ExecutorRegisteredMessage");
  EXPECT_EQ(names[1], "mesos.internal.RunTaskGroupMessage");
  auto registered = transport_.sent<ExecutorRegisteredMessage>("executor(1)");
  ASSERT_EQ(registered.size(), 1u);
  EXPECT_EQ(registered[0].executor_info().type(), mesos::ExecutorInfo::DEFAULT);
  EXPECT_FALSE(registered[0].executor_info().has_command());
  auto groups = transport_.sent<RunTaskGroupMessage>("executor(1)");
  ASSERT_EQ(groups.size(), 1u);
  ASSERT_EQ(groups[0].task_group().tasks_size(), 2);
  EXPECT_EQ(groups[0].task_group().tasks(0).task_id().value(), "a");
  EXPECT_EQ(groups[0].task_group().tasks(1).task_id().value(), "b");
  EXPECT_EQ(groups[0].executor().executor_id().value(), "group");
  EXPECT_TRUE(transport_.sent<RunTaskMessage>("executor(1)").empty());

  // A second group for the running executor goes straight to it.
  runGroup({"c"});
  EXPECT_EQ(transport_.sent<RunTaskGroupMessage>("executor(1)").size(), 2u);
  EXPECT_EQ(launcher_.launches.size(), 1u);

  // Updates of group tasks are relayed to the master like any other.
  fromExecutor(executorUpdate("a", "group", mesos::TASK_RUNNING, std::string(16, 'x')));
  auto updates = transport_.sent<StatusUpdateMessage>("master");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].update().status().task_id().value(), "a");
}

TEST_F(AgentTaskGroupTest, KillBeforeDeliveryKillsTheWholeGroup) {
  // Ensures killing one queued task of a group kills every task of the group
  // (TASK_KILLED / REASON_TASK_KILLED_DURING_LAUNCH) and the idle executor is shut down.
  registerAgent();
  runGroup({"a", "b"});
  KillTaskMessage kill;
  kill.mutable_framework_id()->set_value("MASTER-0000");
  kill.mutable_task_id()->set_value("b");
  fromMaster(kill);
  auto updates = transport_.sent<StatusUpdateMessage>("master");
  ASSERT_EQ(updates.size(), 2u);
  std::set<std::string> killed;
  for (const auto& u : updates) {
    EXPECT_EQ(u.update().status().state(), mesos::TASK_KILLED);
    EXPECT_EQ(u.update().status().reason(), mesos::TaskStatus::REASON_TASK_KILLED_DURING_LAUNCH);
    killed.insert(u.update().status().task_id().value());
  }
  EXPECT_EQ(killed, (std::set<std::string>{"a", "b"}));
  registerExecutor("group");
  EXPECT_TRUE(transport_.sent<RunTaskGroupMessage>("executor(1)").empty());
  EXPECT_EQ(transport_.sent<ShutdownExecutorMessage>("executor(1)").size(), 1u);
}

}  // namespace
}  // namespace keel::agent::testing
