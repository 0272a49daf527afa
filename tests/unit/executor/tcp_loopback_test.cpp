// The public MesosExecutorDriver over real sockets on 127.0.0.1 against a stand-in agent:
// registration, a launched task, and a status update whose pid is the executor's.

#include <gtest/gtest.h>

#include <future>

#include <mesos/internal/messages.pb.h>
#include <mesos/executor.hpp>

#include "scheduler/tcp_peer.hpp"

namespace keel::testing {
namespace {

class RunningExecutor : public mesos::Executor {
 public:
  void registered(mesos::ExecutorDriver*, const mesos::ExecutorInfo&, const mesos::FrameworkInfo&,
                  const mesos::SlaveInfo&) override {}
  void reregistered(mesos::ExecutorDriver*, const mesos::SlaveInfo&) override {}
  void disconnected(mesos::ExecutorDriver*) override {}
  void launchTask(mesos::ExecutorDriver* driver, const mesos::TaskInfo& task) override {
    mesos::TaskStatus status;
    *status.mutable_task_id() = task.task_id();
    status.set_state(mesos::TASK_RUNNING);
    driver->sendStatusUpdate(status);
  }
  void killTask(mesos::ExecutorDriver*, const mesos::TaskID&) override {}
  void frameworkMessage(mesos::ExecutorDriver*, const std::string&) override {}
  void shutdown(mesos::ExecutorDriver*) override {}
  void error(mesos::ExecutorDriver*, const std::string&) override {}
};

// Real TCP round trip: RegisterExecutor → ExecutorRegistered → RunTask →
// StatusUpdate(pid=executor).
TEST(ExecutorTcpLoopbackTest, RegistersAndSendsStatusUpdate) {
  TcpPeer agent("slave(1)");
  ASSERT_TRUE(agent.ok());
  RunningExecutor executor;
  std::map<std::string, std::string> env = {{"MESOS_SLAVE_PID", agent.pid().str()},
                                            {"MESOS_SLAVE_ID", "S0"},
                                            {"MESOS_FRAMEWORK_ID", "fw-1"},
                                            {"MESOS_EXECUTOR_ID", "default"},
                                            {"MESOS_DIRECTORY", ::testing::TempDir()},
                                            {"MESOS_LOCAL", "1"}};
  mesos::MesosExecutorDriver driver(&executor, env);
  ASSERT_EQ(mesos::DRIVER_RUNNING, driver.start());

  wire::Message hello = agent.waitFor("mesos.internal.RegisterExecutorMessage");
  ASSERT_FALSE(hello.name.empty()) << "no RegisterExecutorMessage within 10 s";
  EXPECT_EQ(0u, hello.from.id.rfind("executor(", 0));
  EXPECT_EQ("127.0.0.1", hello.from.ip);

  mesos::internal::ExecutorRegisteredMessage registered;
  registered.mutable_executor_info()->mutable_executor_id()->set_value("default");
  registered.mutable_executor_info()->mutable_command()->set_value("true");
  registered.mutable_framework_id()->set_value("fw-1");
  registered.mutable_framework_info()->set_user("u");
  registered.mutable_framework_info()->set_name("fw");
  registered.mutable_slave_id()->set_value("S0");
  registered.mutable_slave_info()->set_hostname("localhost");
  agent.send(hello.from, registered);
  mesos::internal::RunTaskMessage run;
  run.mutable_framework()->set_user("u");
  run.mutable_framework()->set_name("fw");
  run.mutable_task()->set_name("t");
  run.mutable_task()->mutable_task_id()->set_value("t1");
  run.mutable_task()->mutable_slave_id()->set_value("S0");
  agent.send(hello.from, run);

  wire::Message update = agent.waitFor("mesos.internal.StatusUpdateMessage");
  ASSERT_FALSE(update.name.empty()) << "no StatusUpdateMessage within 10 s";
  mesos::internal::StatusUpdateMessage message;
  ASSERT_TRUE(message.ParseFromString(update.body));
  EXPECT_EQ(hello.from.str(), message.pid());
  EXPECT_EQ("t1", message.update().status().task_id().value());
  EXPECT_EQ(16u, message.update().uuid().size());

  EXPECT_EQ(mesos::DRIVER_STOPPED, driver.stop());
  EXPECT_EQ(mesos::DRIVER_STOPPED, driver.join());
}

}  // namespace
}  // namespace keel::testing
