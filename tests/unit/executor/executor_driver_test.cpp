// Executor driver: environment, registration, tasks, status update shape, acks,
// reconnection and the shutdown paths, on a fake transport and a manual clock.

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include <mesos/internal/messages.pb.h>
#include <mesos/executor.hpp>

#include "executor/executor_driver_impl.hpp"
#include "executor/executor_process.hpp"
#include "runtime/clock.hpp"
#include "scheduler/fake_transport.hpp"

namespace keel::testing {
namespace {

using namespace std::chrono_literals;
namespace internal = mesos::internal;

const wire::Pid kAgent{"slave(1)", "127.0.0.1", 5051};

class RecordingExecutor : public mesos::Executor {
 public:
  void registered(mesos::ExecutorDriver*, const mesos::ExecutorInfo& e,
                  const mesos::FrameworkInfo& f, const mesos::SlaveInfo& s) override {
    record("registered:" + e.executor_id().value() + ":" + f.name() + ":" + s.hostname());
  }
  void reregistered(mesos::ExecutorDriver*, const mesos::SlaveInfo& s) override {
    record("reregistered:" + s.hostname());
  }
  void disconnected(mesos::ExecutorDriver*) override { record("disconnected"); }
  void launchTask(mesos::ExecutorDriver*, const mesos::TaskInfo& t) override {
    record("launchTask:" + t.task_id().value());
  }
  void killTask(mesos::ExecutorDriver*, const mesos::TaskID& id) override {
    record("killTask:" + id.value());
  }
  void frameworkMessage(mesos::ExecutorDriver* d, const std::string& data) override {
    record("frameworkMessage:" + data);
    if (on_framework_message) {
      on_framework_message(d);
    }
  }
  void shutdown(mesos::ExecutorDriver*) override { record("shutdown"); }
  void error(mesos::ExecutorDriver*, const std::string& message) override {
    record("error:" + message);
  }

  std::vector<std::string> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }

  std::function<void(mesos::ExecutorDriver*)> on_framework_message;

 private:
  void record(const std::string& e) {
    std::lock_guard lock(mutex_);
    events_.push_back(e);
  }
  mutable std::mutex mutex_;
  std::vector<std::string> events_;
};

std::map<std::string, std::string> baseEnv() {
  return {{"MESOS_SLAVE_PID", kAgent.str()},
          {"MESOS_SLAVE_ID", "S0"},
          {"MESOS_FRAMEWORK_ID", "fw-1"},
          {"MESOS_EXECUTOR_ID", "default"},
          {"MESOS_DIRECTORY", "/tmp/sandbox"}};
}

class ExecutorDriverTest : public ::testing::Test {
 protected:
  void makeDriver(std::map<std::string, std::string> env) {
    exec::ExecutorDriverDeps deps;
    deps.clock = &clock_;
    deps.kill_process_group = [this] { ++kills_; };
    deps.fatal = [this](const std::string& message) { fatal_ = message; };
    deps.make_transport = [this](runtime::EventLoop& loop,
                                 const wire::Pid&) -> Result<std::unique_ptr<wire::Transport>> {
      auto fake = std::make_unique<FakeTransport>(loop);
      transport_ = fake.get();
      return std::unique_ptr<wire::Transport>(std::move(fake));
    };
    driver_ = std::make_unique<exec::ExecutorDriverImpl>(nullptr, &executor_, std::move(env),
                                                         std::move(deps));
  }

  void start(std::map<std::string, std::string> env = baseEnv()) {
    makeDriver(std::move(env));
    ASSERT_EQ(mesos::DRIVER_RUNNING, driver_->start());
    settle(*driver_->loop());
  }

  wire::Pid self() { return driver_->process()->self(); }

  template <class M>
  wire::Delivery fromAgent(const M& m) {
    return transport_->deliver(wire::makeMessage(kAgent, self(), m));
  }

  void registerExecutor() {
    internal::ExecutorRegisteredMessage m;
    m.mutable_executor_info()->mutable_executor_id()->set_value("default");
    m.mutable_executor_info()->mutable_command()->set_value("true");
    m.mutable_framework_id()->set_value("fw-1");
    m.mutable_framework_info()->set_user("u");
    m.mutable_framework_info()->set_name("fw");
    m.mutable_slave_id()->set_value("S0");
    m.mutable_slave_info()->set_hostname("agent-host");
    ASSERT_EQ(wire::Delivery::kAccepted, fromAgent(m));
  }

  internal::RunTaskMessage runTask(const std::string& id) {
    internal::RunTaskMessage m;
    m.mutable_framework()->set_user("u");
    m.mutable_framework()->set_name("fw");
    m.mutable_task()->set_name("task");
    m.mutable_task()->mutable_task_id()->set_value(id);
    m.mutable_task()->mutable_slave_id()->set_value("S0");
    return m;
  }

  void advance(runtime::Duration d) {
    clock_.advance(d);
    settle(*driver_->loop());
  }

  runtime::ManualClock clock_{1795639073.5};
  RecordingExecutor executor_;
  std::atomic<int> kills_{0};
  std::string fatal_;
  FakeTransport* transport_ = nullptr;
  std::unique_ptr<exec::ExecutorDriverImpl> driver_;
};

// Every required variable is reported by name when missing; optional ones have defaults.
TEST(ExecutorEnvironmentTest, RequiredAndOptionalVariables) {
  for (const char* name : {"MESOS_SLAVE_PID", "MESOS_SLAVE_ID", "MESOS_FRAMEWORK_ID",
                           "MESOS_EXECUTOR_ID", "MESOS_DIRECTORY"}) {
    auto env = baseEnv();
    env.erase(name);
    auto config = exec::parseExecutorEnvironment(env);
    ASSERT_FALSE(config) << name;
    EXPECT_EQ(std::string("Expecting '") + name + "' to be set in the environment",
              config.message());
  }
  auto config = exec::parseExecutorEnvironment(baseEnv());
  ASSERT_TRUE(config) << config.message();
  EXPECT_EQ(kAgent, config->agent);
  EXPECT_EQ(5s, config->shutdown_grace_period);
  EXPECT_FALSE(config->checkpoint);
  EXPECT_FALSE(config->local);
  EXPECT_EQ(15min, config->recovery_timeout);

  auto env = baseEnv();
  env["MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"] = "3secs";
  env["MESOS_CHECKPOINT"] = "1";
  env["MESOS_RECOVERY_TIMEOUT"] = "2mins";
  env["MESOS_LOCAL"] = "1";
  config = exec::parseExecutorEnvironment(env);
  ASSERT_TRUE(config);
  EXPECT_EQ(3s, config->shutdown_grace_period);
  EXPECT_TRUE(config->checkpoint);
  EXPECT_TRUE(config->local);
  EXPECT_EQ(2min, config->recovery_timeout);

  env["MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"] = "soon";
  EXPECT_FALSE(exec::parseExecutorEnvironment(env));
}

// A missing variable is fatal at start(); the real driver exits with status 1.
TEST_F(ExecutorDriverTest, MissingEnvironmentIsFatal) {
  auto env = baseEnv();
  env.erase("MESOS_SLAVE_ID");
  makeDriver(env);
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->start());
  EXPECT_NE(std::string::npos, fatal_.find("MESOS_SLAVE_ID"));
}

// The public driver exits the process with status 1 and names the missing variable.
TEST(MesosExecutorDriverDeathTest, MissingEnvironmentExits) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  RecordingExecutor executor;
  EXPECT_EXIT(
      {
        mesos::MesosExecutorDriver driver(&executor, std::map<std::string, std::string>{});
        driver.start();
      },
      ::testing::ExitedWithCode(1), "MESOS_SLAVE_PID");
}

// start() registers with the agent as executor(N); registered() follows the reply.
TEST_F(ExecutorDriverTest, RegistersWithAgent) {
  start();
  auto sent = transport_->sent();
  ASSERT_EQ(1u, sent.size());
  EXPECT_EQ("mesos.internal.RegisterExecutorMessage", sent[0].name);
  EXPECT_EQ(kAgent, sent[0].to);
  EXPECT_EQ(0u, sent[0].from.id.rfind("executor(", 0));
  auto registers = transport_->sentOf<internal::RegisterExecutorMessage>();
  EXPECT_EQ("fw-1", registers[0].framework_id().value());
  EXPECT_EQ("default", registers[0].executor_id().value());

  // Tasks before registration are ignored.
  fromAgent(runTask("early"));
  registerExecutor();
  EXPECT_EQ(std::vector<std::string>{"registered:default:fw:agent-host"}, executor_.events());
  EXPECT_TRUE(driver_->process()->connected());
}

// RunTask → launchTask (duplicates ignored), KillTask → killTask, messages → frameworkMessage.
TEST_F(ExecutorDriverTest, TasksKillsAndMessages) {
  start();
  registerExecutor();
  fromAgent(runTask("t1"));
  fromAgent(runTask("t1"));
  internal::KillTaskMessage kill;
  kill.mutable_framework_id()->set_value("fw-1");
  kill.mutable_task_id()->set_value("t1");
  fromAgent(kill);
  internal::FrameworkToExecutorMessage message;
  message.mutable_slave_id()->set_value("S0");
  message.mutable_framework_id()->set_value("fw-1");
  message.mutable_executor_id()->set_value("default");
  message.set_data("ping");
  fromAgent(message);
  EXPECT_EQ((std::vector<std::string>{"registered:default:fw:agent-host", "launchTask:t1",
                                      "killTask:t1", "frameworkMessage:ping"}),
            executor_.events());

  EXPECT_EQ(mesos::DRIVER_RUNNING, driver_->sendFrameworkMessage("pong"));
  settle(*driver_->loop());
  auto out = transport_->sentOf<internal::ExecutorToFrameworkMessage>();
  ASSERT_EQ(1u, out.size());
  EXPECT_EQ("pong", out[0].data());
  EXPECT_EQ("S0", out[0].slave_id().value());
  EXPECT_EQ("default", out[0].executor_id().value());
}

// A status update has the shape of Mesos's (capture 0020): ids, timestamp, 16-byte
// uuid on update and status, agent id overwritten, pid = the executor.
TEST_F(ExecutorDriverTest, StatusUpdateShape) {
  start();
  registerExecutor();
  mesos::TaskStatus status;
  status.mutable_task_id()->set_value("0");
  status.set_state(mesos::TASK_RUNNING);
  status.mutable_slave_id()->set_value("wrong");
  status.set_uuid("stale");
  EXPECT_EQ(mesos::DRIVER_RUNNING, driver_->sendStatusUpdate(status));
  settle(*driver_->loop());
  auto messages = transport_->sentOf<internal::StatusUpdateMessage>();
  ASSERT_EQ(1u, messages.size());
  const auto& m = messages[0];
  EXPECT_EQ(self().str(), m.pid());
  EXPECT_EQ(kAgent, transport_->sent().back().to);
  const auto& u = m.update();
  EXPECT_EQ("fw-1", u.framework_id().value());
  EXPECT_EQ("default", u.executor_id().value());
  EXPECT_EQ("S0", u.slave_id().value());
  EXPECT_EQ(16u, u.uuid().size());
  EXPECT_EQ(u.uuid(), u.status().uuid());
  EXPECT_DOUBLE_EQ(1795639073.5, u.timestamp());
  EXPECT_DOUBLE_EQ(u.timestamp(), u.status().timestamp());
  EXPECT_EQ("S0", u.status().slave_id().value());
  EXPECT_EQ("0", u.status().task_id().value());
  EXPECT_EQ(mesos::TASK_RUNNING, u.status().state());
  EXPECT_EQ(1u, driver_->process()->unacknowledgedUpdates());

  // Two updates never share a uuid.
  driver_->sendStatusUpdate(status);
  settle(*driver_->loop());
  messages = transport_->sentOf<internal::StatusUpdateMessage>();
  ASSERT_EQ(2u, messages.size());
  EXPECT_NE(messages[0].update().uuid(), messages[1].update().uuid());
}

// Acks remove updates and tasks; a reconnect re-registers with what is still unacked.
TEST_F(ExecutorDriverTest, AcksAndReconnect) {
  start();
  registerExecutor();
  fromAgent(runTask("t1"));
  fromAgent(runTask("t2"));
  mesos::TaskStatus status;
  status.mutable_task_id()->set_value("t1");
  status.set_state(mesos::TASK_RUNNING);
  driver_->sendStatusUpdate(status);
  status.mutable_task_id()->set_value("t2");
  driver_->sendStatusUpdate(status);
  settle(*driver_->loop());
  auto updates = transport_->sentOf<internal::StatusUpdateMessage>();
  ASSERT_EQ(2u, updates.size());

  internal::StatusUpdateAcknowledgementMessage ack;
  ack.mutable_slave_id()->set_value("S0");
  ack.mutable_framework_id()->set_value("fw-1");
  ack.mutable_task_id()->set_value("t1");
  ack.set_uuid(updates[0].update().uuid());
  fromAgent(ack);
  ack.set_uuid(std::string(16, 'x'));  // unknown: ignored
  fromAgent(ack);
  EXPECT_EQ(1u, driver_->process()->unacknowledgedUpdates());
  EXPECT_EQ(1u, driver_->process()->unacknowledgedTasks());

  const wire::Pid restarted{"slave(1)", "127.0.0.1", 5052};
  internal::ReconnectExecutorMessage reconnect;
  reconnect.mutable_slave_id()->set_value("S0");
  transport_->deliver(wire::makeMessage(restarted, self(), reconnect));
  auto reregisters = transport_->sentOf<internal::ReregisterExecutorMessage>();
  ASSERT_EQ(1u, reregisters.size());
  EXPECT_EQ("default", reregisters[0].executor_id().value());
  ASSERT_EQ(1, reregisters[0].updates_size());
  EXPECT_EQ(updates[1].update().uuid(), reregisters[0].updates(0).uuid());
  ASSERT_EQ(1, reregisters[0].tasks_size());
  EXPECT_EQ("t2", reregisters[0].tasks(0).task_id().value());
  EXPECT_EQ(restarted, transport_->sent().back().to);
  EXPECT_EQ(restarted, driver_->process()->agent());

  internal::ExecutorReregisteredMessage reregistered;
  reregistered.mutable_slave_id()->set_value("S0");
  reregistered.mutable_slave_info()->set_hostname("agent-host");
  transport_->deliver(wire::makeMessage(restarted, self(), reregistered));
  EXPECT_EQ("reregistered:agent-host", executor_.events().back());
}

// ShutdownExecutorMessage → shutdown(), then the process group is killed after the grace period.
TEST_F(ExecutorDriverTest, ShutdownKillsProcessGroupAfterGracePeriod) {
  auto env = baseEnv();
  env["MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"] = "3secs";
  start(env);
  registerExecutor();
  fromAgent(internal::ShutdownExecutorMessage());
  EXPECT_EQ("shutdown", executor_.events().back());
  advance(2999ms);
  EXPECT_EQ(0, kills_.load());
  advance(1ms);
  EXPECT_EQ(1, kills_.load());
  // Nothing is handled after shutdown.
  fromAgent(runTask("late"));
  EXPECT_EQ("shutdown", executor_.events().back());
}

// In local mode (MESOS_LOCAL) shutdown never kills the process group.
TEST_F(ExecutorDriverTest, LocalShutdownDoesNotKill) {
  auto env = baseEnv();
  env["MESOS_LOCAL"] = "1";
  start(env);
  registerExecutor();
  fromAgent(internal::ShutdownExecutorMessage());
  EXPECT_EQ("shutdown", executor_.events().back());
  advance(1h);
  EXPECT_EQ(0, kills_.load());
}

// Without checkpointing, losing the agent shuts the executor down at once.
TEST_F(ExecutorDriverTest, AgentExitedWithoutCheckpointShutsDown) {
  start();
  registerExecutor();
  transport_->breakLink(kAgent);
  EXPECT_EQ("shutdown", executor_.events().back());
  advance(5s);
  EXPECT_EQ(1, kills_.load());
}

// With checkpointing, the executor waits MESOS_RECOVERY_TIMEOUT for the agent; a
// reconnect within it keeps the executor alive.
TEST_F(ExecutorDriverTest, AgentExitedWithCheckpointWaitsForRecovery) {
  auto env = baseEnv();
  env["MESOS_CHECKPOINT"] = "1";
  env["MESOS_RECOVERY_TIMEOUT"] = "1mins";
  start(env);
  registerExecutor();
  transport_->breakLink(kAgent);
  EXPECT_FALSE(driver_->process()->connected());
  advance(59s);
  EXPECT_EQ("registered:default:fw:agent-host", executor_.events().back());

  internal::ReconnectExecutorMessage reconnect;
  reconnect.mutable_slave_id()->set_value("S0");
  fromAgent(reconnect);
  internal::ExecutorReregisteredMessage reregistered;
  reregistered.mutable_slave_id()->set_value("S0");
  reregistered.mutable_slave_info()->set_hostname("agent-host");
  fromAgent(reregistered);
  advance(1min);
  EXPECT_EQ("reregistered:agent-host", executor_.events().back());
  EXPECT_EQ(0, kills_.load());

  // A second loss with no reconnect ends in shutdown when the timeout expires.
  transport_->breakLink(kAgent);
  advance(1min);
  EXPECT_EQ("shutdown", executor_.events().back());
}

// Status values: stop after abort returns ABORTED; join after stop returns STOPPED.
TEST_F(ExecutorDriverTest, StatusValues) {
  makeDriver(baseEnv());
  EXPECT_EQ(mesos::DRIVER_NOT_STARTED, driver_->stop());
  EXPECT_EQ(mesos::DRIVER_NOT_STARTED, driver_->join());
  EXPECT_EQ(mesos::DRIVER_NOT_STARTED, driver_->sendFrameworkMessage("x"));
  ASSERT_EQ(mesos::DRIVER_RUNNING, driver_->start());
  EXPECT_EQ(mesos::DRIVER_RUNNING, driver_->start());
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->abort());
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->sendStatusUpdate(mesos::TaskStatus()));
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->join());
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->stop());
  EXPECT_EQ(mesos::DRIVER_STOPPED, driver_->join());
  EXPECT_EQ(mesos::DRIVER_STOPPED, driver_->stop());
}

// join() blocks until stop() -- here called from inside a callback.
TEST_F(ExecutorDriverTest, JoinReturnsAfterStopFromCallback) {
  executor_.on_framework_message = [](mesos::ExecutorDriver* d) {
    EXPECT_EQ(mesos::DRIVER_STOPPED, d->stop());
  };
  start();
  registerExecutor();
  internal::FrameworkToExecutorMessage message;
  message.mutable_slave_id()->set_value("S0");
  message.mutable_framework_id()->set_value("fw-1");
  message.mutable_executor_id()->set_value("default");
  message.set_data("stop");
  const std::string id = self().id;
  ASSERT_EQ(wire::Delivery::kAccepted, fromAgent(message));
  EXPECT_EQ(mesos::DRIVER_STOPPED, driver_->join());
  EXPECT_FALSE(transport_->hasProcess(id));
}

// Keel extension: a RunTaskGroupMessage reaches a plain mesos::Executor as launchTask() for
// each task of the group in order, and every task counts as unacknowledged.
TEST_F(ExecutorDriverTest, TaskGroupBecomesLaunchTaskPerTask) {
  start();
  registerExecutor();
  internal::RunTaskGroupMessage group;
  group.mutable_framework()->set_user("u");
  group.mutable_framework()->set_name("fw");
  group.mutable_executor()->mutable_executor_id()->set_value("default");
  for (const char* id : {"g1", "g2"}) {
    *group.mutable_task_group()->add_tasks() = runTask(id).task();
  }
  ASSERT_EQ(wire::Delivery::kAccepted, fromAgent(group));
  settle(*driver_->loop());
  EXPECT_EQ((std::vector<std::string>{"registered:default:fw:agent-host", "launchTask:g1",
                                      "launchTask:g2"}),
            executor_.events());
  EXPECT_EQ(2u, driver_->process()->unacknowledgedTasks());
}

}  // namespace
}  // namespace keel::testing
