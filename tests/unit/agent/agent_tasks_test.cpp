#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "agent_fixture.hpp"

namespace keel::agent::testing {
namespace {

using mesos::internal::ExecutorRegisteredMessage;
using mesos::internal::ExitedExecutorMessage;
using mesos::internal::KillTaskMessage;
using mesos::internal::RunTaskMessage;
using mesos::internal::ShutdownExecutorMessage;
using mesos::internal::StatusUpdateAcknowledgementMessage;
using mesos::internal::StatusUpdateMessage;

const std::string kUuid1 = std::string(15, 'a') + "1";
const std::string kUuid2 = std::string(15, 'a') + "2";

TEST_F(AgentTest, CommandTaskLaunchesKeelExecutorWithEnvironmentAndSandbox) {
  // Ensures a command task starts keel-executor with Mesos's environment, in its sandbox.
  registerAgent();
  auto task = commandTask("t1");
  auto* var = task.mutable_command()->mutable_environment()->add_variables();
  var->set_name("FOO");
  var->set_value("bar");
  runTask(task);
  ASSERT_EQ(launcher_.launches.size(), 1u);
  const LaunchSpec& spec = launcher_.launches[0];
  EXPECT_EQ(spec.path, "/opt/keel/bin/keel-executor");
  ASSERT_EQ(spec.argv.size(), 2u);
  EXPECT_EQ(spec.argv[0], "keel-executor");
  EXPECT_EQ(spec.argv[1], "--launcher_dir=/opt/keel/bin");

  std::string prefix =
      work_dir_ + "/slaves/" + kAgentId + "/frameworks/MASTER-0000/executors/t1/runs/";
  ASSERT_EQ(spec.working_dir.rfind(prefix, 0), 0u) << spec.working_dir;
  std::string container = spec.working_dir.substr(prefix.size());
  EXPECT_EQ(container.size(), 36u);
  EXPECT_TRUE(std::filesystem::is_directory(spec.working_dir));
  EXPECT_EQ(std::filesystem::read_symlink(prefix + "latest").string(), spec.working_dir);
  EXPECT_TRUE(std::filesystem::is_symlink(work_dir_ + "/slaves/latest"));
  EXPECT_EQ(spec.stdout_path, spec.working_dir + "/stdout");
  EXPECT_EQ(spec.stderr_path, spec.working_dir + "/stderr");

  const auto& env = spec.env;
  EXPECT_EQ(env.at("MESOS_SLAVE_PID"), "slave(1)@127.0.0.1:5051");
  EXPECT_EQ(env.at("MESOS_SLAVE_ID"), kAgentId);
  EXPECT_EQ(env.at("MESOS_FRAMEWORK_ID"), "MASTER-0000");
  EXPECT_EQ(env.at("MESOS_EXECUTOR_ID"), "t1");
  EXPECT_EQ(env.at("MESOS_DIRECTORY"), spec.working_dir);
  EXPECT_EQ(env.at("MESOS_SANDBOX"), spec.working_dir);
  EXPECT_EQ(env.at("MESOS_AGENT_ENDPOINT"), "127.0.0.1:5051");
  EXPECT_EQ(env.at("MESOS_CHECKPOINT"), "0");
  EXPECT_EQ(env.at("MESOS_HTTP_COMMAND_EXECUTOR"), "0");
  EXPECT_EQ(env.at("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"), "5secs");
  EXPECT_EQ(env.at("LIBPROCESS_PORT"), "0");
  EXPECT_EQ(env.at("FOO"), "bar");
  EXPECT_EQ(env.count("PATH"), 1u);
  EXPECT_EQ(env.count("HOME"), 0u);
}

TEST_F(AgentTest, RegisteredExecutorGetsQueuedTasks) {
  // Ensures RegisterExecutorMessage is answered with ExecutorRegisteredMessage and then the
  // queued RunTaskMessages, in order (captures 0015-0019).
  registerAgent();
  runTask(customTask("0"));
  runTask(customTask("1"));
  ASSERT_EQ(launcher_.launches.size(), 1u);
  EXPECT_EQ(launcher_.launches[0].path, "/bin/sh");
  registerExecutor("default");
  auto all = transport_.all();
  std::vector<std::string> names;
  for (const auto& msg : all) {
    if (msg.to == executorPid()) {
      names.push_back(msg.name);
    }
  }
  ASSERT_EQ(names.size(), 3u);
  EXPECT_EQ(names[0], "mesos.internal.ExecutorRegisteredMessage");
  EXPECT_EQ(names[1], "mesos.internal.RunTaskMessage");
  auto registered = transport_.sent<ExecutorRegisteredMessage>("executor(1)");
  EXPECT_EQ(registered[0].executor_info().executor_id().value(), "default");
  EXPECT_EQ(registered[0].slave_id().value(), kAgentId);
  EXPECT_FALSE(registered[0].slave_info().resources(0).has_role());
  auto runs = transport_.sent<RunTaskMessage>("executor(1)");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].task().task_id().value(), "0");
  EXPECT_EQ(runs[1].task().task_id().value(), "1");
  EXPECT_EQ(runs[0].pid(), "scheduler-1@127.0.0.1:41000");

  // A task for the running executor goes straight to it.
  runTask(customTask("2"));
  EXPECT_EQ(transport_.sent<RunTaskMessage>("executor(1)").size(), 3u);
}

TEST_F(AgentTest, UnknownExecutorRegistrationIsShutDown) {
  // Ensures an executor the agent does not know is told to shut down.
  registerAgent();
  registerExecutor("nobody");
  EXPECT_EQ(transport_.sent<ShutdownExecutorMessage>("executor(1)").size(), 1u);
}

TEST_F(AgentTest, StatusUpdatesAreForwardedAckedAndRetried) {
  // Ensures executor updates are acked to the executor, forwarded one at a time with
  // latest_state, retried after 10 s, and released by the master's ack.
  registerAgent();
  runTask(customTask("0"));
  registerExecutor("default");
  transport_.clear();
  fromExecutor(executorUpdate("0", "default", mesos::TASK_RUNNING, kUuid1));
  fromExecutor(executorUpdate("0", "default", mesos::TASK_FINISHED, kUuid2));

  auto acks = transport_.sent<StatusUpdateAcknowledgementMessage>("executor(1)");
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[0].uuid(), kUuid1);
  EXPECT_EQ(acks[1].uuid(), kUuid2);
  auto forwarded = transport_.sent<StatusUpdateMessage>("master");
  ASSERT_EQ(forwarded.size(), 1u);
  EXPECT_EQ(forwarded[0].pid(), "slave(1)@127.0.0.1:5051");
  EXPECT_EQ(forwarded[0].update().status().state(), mesos::TASK_RUNNING);
  EXPECT_EQ(forwarded[0].update().latest_state(), mesos::TASK_RUNNING);
  EXPECT_EQ(forwarded[0].update().status().source(), mesos::TaskStatus::SOURCE_EXECUTOR);
  EXPECT_EQ(forwarded[0].update().status().executor_id().value(), "default");
  EXPECT_TRUE(forwarded[0].update().status().container_status().has_container_id());

  advance(std::chrono::seconds(10));
  forwarded = transport_.sent<StatusUpdateMessage>("master");
  ASSERT_EQ(forwarded.size(), 2u);
  EXPECT_EQ(forwarded[1].update().status().state(), mesos::TASK_RUNNING);
  EXPECT_EQ(forwarded[1].update().latest_state(), mesos::TASK_FINISHED);

  fromMaster(ackFor("0", kUuid1));
  forwarded = transport_.sent<StatusUpdateMessage>("master");
  ASSERT_EQ(forwarded.size(), 3u);
  EXPECT_EQ(forwarded[2].update().status().state(), mesos::TASK_FINISHED);

  fromMaster(ackFor("0", kUuid1));  // duplicate: ignored
  EXPECT_EQ(transport_.sent<StatusUpdateMessage>("master").size(), 3u);
  fromMaster(ackFor("0", kUuid2));
  advance(std::chrono::minutes(30));
  EXPECT_EQ(transport_.sent<StatusUpdateMessage>("master").size(), 3u);
}

TEST_F(AgentTest, UpdatesWaitWhileDisconnected) {
  // Ensures nothing is forwarded while the master is gone, and the head goes out on
  // reregistration.
  registerAgent();
  runTask(customTask("0"));
  registerExecutor("default");
  transport_.breakLink(masterPid());
  settle();
  transport_.clear();
  fromExecutor(executorUpdate("0", "default", mesos::TASK_RUNNING, kUuid1));
  EXPECT_EQ(transport_.sent<StatusUpdateAcknowledgementMessage>("executor(1)").size(), 1u);
  EXPECT_TRUE(transport_.sent<StatusUpdateMessage>("master").empty());
  advance(std::chrono::seconds(2));
  mesos::internal::SlaveReregisteredMessage back;
  back.mutable_slave_id()->set_value(kAgentId);
  fromMaster(back);
  EXPECT_EQ(transport_.sent<StatusUpdateMessage>("master").size(), 1u);
}

TEST_F(AgentTest, KillBeforeRegistrationAndUnknownTask) {
  // Ensures a queued task is killed by the agent (KILLED_DURING_LAUNCH) and an unknown one
  // is reported lost.
  registerAgent();
  runTask(commandTask("t1"));
  KillTaskMessage kill;
  kill.mutable_framework_id()->set_value("MASTER-0000");
  kill.mutable_task_id()->set_value("t1");
  fromMaster(kill);
  auto updates = transport_.sent<StatusUpdateMessage>("master");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].update().status().state(), mesos::TASK_KILLED);
  EXPECT_EQ(updates[0].update().status().reason(),
            mesos::TaskStatus::REASON_TASK_KILLED_DURING_LAUNCH);
  EXPECT_EQ(updates[0].update().status().source(), mesos::TaskStatus::SOURCE_SLAVE);
  EXPECT_EQ(updates[0].update().status().uuid().size(), 16u);

  kill.mutable_task_id()->set_value("nope");
  fromMaster(kill);
  updates = transport_.sent<StatusUpdateMessage>("master");
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[1].update().status().state(), mesos::TASK_LOST);
  EXPECT_EQ(updates[1].update().status().reason(), mesos::TaskStatus::REASON_EXECUTOR_TERMINATED);
}

TEST_F(AgentTest, KillOfRunningTaskGoesToExecutor) {
  // Ensures a kill for a launched task is forwarded to its executor.
  registerAgent();
  runTask(customTask("0"));
  registerExecutor("default");
  KillTaskMessage kill;
  kill.mutable_framework_id()->set_value("MASTER-0000");
  kill.mutable_task_id()->set_value("0");
  fromMaster(kill);
  EXPECT_EQ(transport_.sent<KillTaskMessage>("executor(1)").size(), 1u);
}

TEST_F(AgentTest, CustomExecutorExitFailsTasksAndTellsMaster) {
  // Ensures a custom executor's exit fails its tasks (TASK_FAILED, EXECUTOR_TERMINATED)
  // and sends ExitedExecutorMessage with the raw status.
  registerAgent();
  runTask(customTask("0"));
  registerExecutor("default");
  launcher_.exit(launcher_.lastPid(), 256);
  settle();
  auto updates = transport_.sent<StatusUpdateMessage>("master");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].update().status().state(), mesos::TASK_FAILED);
  EXPECT_EQ(updates[0].update().status().reason(), mesos::TaskStatus::REASON_EXECUTOR_TERMINATED);
  EXPECT_EQ(updates[0].update().status().message(), "Executor terminated");
  auto exited = transport_.sent<ExitedExecutorMessage>("master");
  ASSERT_EQ(exited.size(), 1u);
  EXPECT_EQ(exited[0].status(), 256);
  EXPECT_EQ(exited[0].executor_id().value(), "default");
}

TEST_F(AgentTest, CommandExecutorExitSendsNoExitedExecutor) {
  // Ensures command executors' exits are not reported with ExitedExecutorMessage.
  registerAgent();
  runTask(commandTask("t1"));
  registerExecutor("t1");
  launcher_.exit(launcher_.lastPid(), 0);
  settle();
  EXPECT_EQ(transport_.sent<StatusUpdateMessage>("master").size(), 1u);
  EXPECT_TRUE(transport_.sent<ExitedExecutorMessage>("master").empty());
}

TEST_F(AgentTest, RegistrationTimeoutFailsQueuedTasks) {
  // Ensures an executor that never registers is killed and its tasks fail with
  // REASON_EXECUTOR_REGISTRATION_TIMEOUT.
  registerAgent();
  runTask(commandTask("t1"));
  advance(std::chrono::seconds(61));
  ASSERT_FALSE(launcher_.kills.empty());
  EXPECT_EQ(launcher_.kills[0].second, SIGKILL);
  auto updates = transport_.sent<StatusUpdateMessage>("master");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].update().status().state(), mesos::TASK_FAILED);
  EXPECT_EQ(updates[0].update().status().reason(),
            mesos::TaskStatus::REASON_EXECUTOR_REGISTRATION_TIMEOUT);
}

TEST_F(AgentTest, ShutdownFrameworkStopsExecutorsWithoutUpdates) {
  // Ensures ShutdownFrameworkMessage asks the executor to shut down, kills it after the
  // grace period, and generates no status updates.
  registerAgent();
  runTask(customTask("0"));
  registerExecutor("default");
  mesos::internal::ShutdownFrameworkMessage shutdown;
  shutdown.mutable_framework_id()->set_value("MASTER-0000");
  fromMaster(shutdown);
  EXPECT_EQ(transport_.sent<ShutdownExecutorMessage>("executor(1)").size(), 1u);
  EXPECT_TRUE(launcher_.kills.empty());
  advance(std::chrono::seconds(6));
  ASSERT_EQ(launcher_.kills.size(), 1u);
  EXPECT_TRUE(transport_.sent<StatusUpdateMessage>("master").empty());
  EXPECT_TRUE(agent_->frameworks().empty());
  EXPECT_EQ(agent_->completedFrameworks().size(), 1u);
}

TEST_F(AgentTest, ExecutorSendingStagingIsShutDown) {
  // Ensures an executor that sends TASK_STAGING is shut down and the update dropped.
  registerAgent();
  runTask(customTask("0"));
  registerExecutor("default");
  fromExecutor(executorUpdate("0", "default", mesos::TASK_STAGING, kUuid1));
  EXPECT_EQ(transport_.sent<ShutdownExecutorMessage>("executor(1)").size(), 1u);
  EXPECT_TRUE(transport_.sent<StatusUpdateMessage>("master").empty());
}

TEST_F(AgentTest, FrameworkMessagesAreRelayed) {
  // Ensures framework messages reach a registered executor and executor messages go
  // straight to the scheduler.
  registerAgent();
  runTask(customTask("0"));
  registerExecutor("default");
  mesos::internal::FrameworkToExecutorMessage to;
  to.mutable_slave_id()->set_value(kAgentId);
  to.mutable_framework_id()->set_value("MASTER-0000");
  to.mutable_executor_id()->set_value("default");
  to.set_data("hello");
  fromMaster(to, "scheduler-1");
  EXPECT_EQ(transport_.sent<mesos::internal::FrameworkToExecutorMessage>("executor(1)").size(), 1u);
  mesos::internal::ExecutorToFrameworkMessage from;
  from.mutable_slave_id()->set_value(kAgentId);
  from.mutable_framework_id()->set_value("MASTER-0000");
  from.mutable_executor_id()->set_value("default");
  from.set_data("hi");
  fromExecutor(from);
  EXPECT_EQ(transport_.sent<mesos::internal::ExecutorToFrameworkMessage>("scheduler-1").size(), 1u);
}

}  // namespace
}  // namespace keel::agent::testing
