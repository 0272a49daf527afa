// The framework API audit, executor side: for each ExecutorDriver call and Executor
// callback, its normal behaviour and an edge case that earlier tests do not cover.

#include <gtest/gtest.h>

#include <functional>
#include <future>
#include <mutex>
#include <thread>

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

const wire::Pid kAgentPid{"slave(1)", "127.0.0.1", 5051};

class HookedExecutor : public mesos::Executor {
 public:
  void registered(mesos::ExecutorDriver* d, const mesos::ExecutorInfo&, const mesos::FrameworkInfo&,
                  const mesos::SlaveInfo&) override {
    record("registered");
    if (on_registered) on_registered(d);
  }
  void reregistered(mesos::ExecutorDriver*, const mesos::SlaveInfo&) override {
    record("reregistered");
  }
  void disconnected(mesos::ExecutorDriver*) override { record("disconnected"); }
  void launchTask(mesos::ExecutorDriver* d, const mesos::TaskInfo& t) override {
    record("launchTask:" + t.task_id().value());
    if (on_launch) on_launch(d);
  }
  void killTask(mesos::ExecutorDriver*, const mesos::TaskID& id) override {
    record("killTask:" + id.value());
  }
  void frameworkMessage(mesos::ExecutorDriver*, const std::string& data) override {
    record("frameworkMessage:" + data);
  }
  void shutdown(mesos::ExecutorDriver*) override { record("shutdown"); }
  void error(mesos::ExecutorDriver*, const std::string& message) override {
    record("error:" + message);
  }

  std::vector<std::string> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }

  std::function<void(mesos::ExecutorDriver*)> on_registered;
  std::function<void(mesos::ExecutorDriver*)> on_launch;

 private:
  void record(const std::string& e) {
    std::lock_guard lock(mutex_);
    events_.push_back(e);
  }
  mutable std::mutex mutex_;
  std::vector<std::string> events_;
};

std::map<std::string, std::string> environment() {
  return {{"MESOS_SLAVE_PID", kAgentPid.str()},
          {"MESOS_SLAVE_ID", "S0"},
          {"MESOS_FRAMEWORK_ID", "fw-1"},
          {"MESOS_EXECUTOR_ID", "default"},
          {"MESOS_DIRECTORY", "/tmp/sandbox"}};
}

class ExecutorApiTest : public ::testing::Test {
 protected:
  // `transport_failure`: the transport factory fails with this message.
  void makeDriver(std::map<std::string, std::string> env, std::string transport_failure = "") {
    exec::ExecutorDriverDeps deps;
    deps.clock = &clock_;
    deps.kill_process_group = [this] { ++kills_; };
    deps.fatal = [this](const std::string& message) { fatal_ = message; };
    deps.make_transport = [this, transport_failure](
                              runtime::EventLoop& loop,
                              const wire::Pid&) -> Result<std::unique_ptr<wire::Transport>> {
      if (!transport_failure.empty()) {
        return Result<std::unique_ptr<wire::Transport>>::error(transport_failure);
      }
      auto fake = std::make_unique<FakeTransport>(loop);
      transport_ = fake.get();
      built_.set_value();
      return std::unique_ptr<wire::Transport>(std::move(fake));
    };
    driver_ = std::make_unique<exec::ExecutorDriverImpl>(nullptr, &executor_, std::move(env),
                                                         std::move(deps));
  }

  void start(std::map<std::string, std::string> env = environment()) {
    makeDriver(std::move(env));
    ASSERT_EQ(mesos::DRIVER_RUNNING, driver_->start());
    settleLoop();
  }

  void settleLoop() { settle(*driver_->loop()); }

  wire::Pid self() { return driver_->process()->self(); }

  template <class M>
  wire::Delivery fromAgent(const M& m) {
    return transport_->deliver(wire::makeMessage(kAgentPid, self(), m));
  }

  static internal::ExecutorRegisteredMessage registeredMessage() {
    internal::ExecutorRegisteredMessage m;
    m.mutable_executor_info()->mutable_executor_id()->set_value("default");
    m.mutable_executor_info()->mutable_command()->set_value("true");
    m.mutable_framework_id()->set_value("fw-1");
    m.mutable_framework_info()->set_user("u");
    m.mutable_framework_info()->set_name("fw");
    m.mutable_slave_id()->set_value("S0");
    m.mutable_slave_info()->set_hostname("agent-host");
    return m;
  }

  static internal::RunTaskMessage runTask(const std::string& id) {
    internal::RunTaskMessage m;
    m.mutable_framework()->set_user("u");
    m.mutable_framework()->set_name("fw");
    m.mutable_task()->set_name("task");
    m.mutable_task()->mutable_task_id()->set_value(id);
    m.mutable_task()->mutable_slave_id()->set_value("S0");
    return m;
  }

  static internal::FrameworkToExecutorMessage message(const std::string& data) {
    internal::FrameworkToExecutorMessage m;
    m.mutable_slave_id()->set_value("S0");
    m.mutable_framework_id()->set_value("fw-1");
    m.mutable_executor_id()->set_value("default");
    m.set_data(data);
    return m;
  }

  static internal::KillTaskMessage kill(const std::string& id) {
    internal::KillTaskMessage m;
    m.mutable_framework_id()->set_value("fw-1");
    m.mutable_task_id()->set_value(id);
    return m;
  }

  static mesos::TaskStatus status(const std::string& task_id, mesos::TaskState state) {
    mesos::TaskStatus s;
    s.mutable_task_id()->set_value(task_id);
    s.set_state(state);
    return s;
  }

  void advance(runtime::Duration d) {
    clock_.advance(d);
    settleLoop();
  }

  runtime::ManualClock clock_{1795639073.5};
  HookedExecutor executor_;
  std::atomic<int> kills_{0};
  std::string fatal_;
  std::promise<void> built_;
  FakeTransport* transport_ = nullptr;
  std::unique_ptr<exec::ExecutorDriverImpl> driver_;
};

// --- lifecycle calls ---

// run() blocks until the driver is stopped (here by the registered() callback).
TEST_F(ExecutorApiTest, RunBlocksUntilStopped) {
  makeDriver(environment());
  executor_.on_registered = [](mesos::ExecutorDriver* d) { d->stop(); };
  mesos::Status run_status = mesos::DRIVER_NOT_STARTED;
  std::thread runner([&] { run_status = driver_->run(); });
  built_.get_future().wait();
  // The process sends RegisterExecutorMessage as soon as it is set up; its sender is
  // the executor's pid. Bounded wait without sleeping.
  std::vector<wire::Message> sent;
  for (int i = 0; i < 1000000 && sent.empty(); ++i) {
    sent = transport_->sent();
    if (sent.empty()) {
      std::this_thread::yield();
    }
  }
  if (sent.empty()) {
    driver_->stop();
    runner.join();
    FAIL() << "the executor never registered";
  }
  wire::Delivery delivery =
      transport_->deliver(wire::makeMessage(kAgentPid, sent[0].from, registeredMessage()));
  runner.join();
  EXPECT_EQ(wire::Delivery::kAccepted, delivery);
  EXPECT_EQ(mesos::DRIVER_STOPPED, run_status);
  EXPECT_EQ(std::vector<std::string>{"registered"}, executor_.events());
}

// run() with an incomplete environment reports the fatal error and returns ABORTED.
TEST_F(ExecutorApiTest, RunWithMissingEnvironmentReturnsAborted) {
  auto env = environment();
  env.erase("MESOS_DIRECTORY");
  makeDriver(env);
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->run());
  EXPECT_NE(std::string::npos, fatal_.find("MESOS_DIRECTORY"));
}

// stop(), join() and run() from inside a callback return STOPPED without blocking;
// the process then leaves the transport.
TEST_F(ExecutorApiTest, StopJoinRunFromInsideCallback) {
  mesos::Status stop_status = mesos::DRIVER_NOT_STARTED;
  mesos::Status join_status = mesos::DRIVER_NOT_STARTED;
  mesos::Status run_status = mesos::DRIVER_NOT_STARTED;
  executor_.on_launch = [&](mesos::ExecutorDriver* d) {
    stop_status = d->stop();
    join_status = d->join();
    run_status = d->run();
  };
  start();
  fromAgent(registeredMessage());
  const std::string id = self().id;
  fromAgent(runTask("t1"));
  EXPECT_EQ(mesos::DRIVER_STOPPED, stop_status);
  EXPECT_EQ(mesos::DRIVER_STOPPED, join_status);
  EXPECT_EQ(mesos::DRIVER_STOPPED, run_status);
  EXPECT_FALSE(transport_->hasProcess(id));
}

// abort() stops callbacks, but a status update asked for before it still goes out.
TEST_F(ExecutorApiTest, AbortKeepsQueuedSendsButStopsCallbacks) {
  start();
  fromAgent(registeredMessage());
  EXPECT_EQ(mesos::DRIVER_RUNNING, driver_->sendStatusUpdate(status("t1", mesos::TASK_RUNNING)));
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->abort());
  settleLoop();
  EXPECT_EQ(1u, transport_->sentOf<internal::StatusUpdateMessage>().size());
  fromAgent(runTask("t2"));
  fromAgent(kill("t2"));
  fromAgent(internal::ShutdownExecutorMessage());
  EXPECT_EQ(std::vector<std::string>{"registered"}, executor_.events());
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->join());
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->sendFrameworkMessage("late"));
}

// --- sendStatusUpdate / sendFrameworkMessage ---

// Before registration both sends still go to the agent (the driver does not hold
// them back), and the update is kept until acknowledged. TASK_STAGING is passed on
// as is: the agent, not the driver, rejects it.
TEST_F(ExecutorApiTest, SendsBeforeRegistrationGoOut) {
  start();
  transport_->clearSent();
  EXPECT_EQ(mesos::DRIVER_RUNNING, driver_->sendStatusUpdate(status("t1", mesos::TASK_STAGING)));
  EXPECT_EQ(mesos::DRIVER_RUNNING, driver_->sendFrameworkMessage("early"));
  settleLoop();
  auto updates = transport_->sentOf<internal::StatusUpdateMessage>();
  ASSERT_EQ(1u, updates.size());
  EXPECT_EQ(mesos::TASK_STAGING, updates[0].update().status().state());
  EXPECT_EQ(1u, driver_->process()->unacknowledgedUpdates());
  auto messages = transport_->sentOf<internal::ExecutorToFrameworkMessage>();
  ASSERT_EQ(1u, messages.size());
  EXPECT_EQ("early", messages[0].data());
  EXPECT_EQ("fw-1", messages[0].framework_id().value());
  for (const auto& sent : transport_->sent()) {
    EXPECT_EQ(kAgentPid, sent.to);
  }
}

// --- callbacks ---

// After abort() a registration reply reaches no callback.
TEST_F(ExecutorApiTest, RegisteredIgnoredAfterAbort) {
  start();
  driver_->abort();
  settleLoop();
  fromAgent(registeredMessage());
  EXPECT_TRUE(executor_.events().empty());
  EXPECT_FALSE(driver_->process()->connected());
}

// While disconnected (checkpointing, agent gone): killTask() is still delivered,
// launchTask() and frameworkMessage() are dropped, and disconnected() is never called.
TEST_F(ExecutorApiTest, DisconnectedDeliversKillsOnly) {
  auto env = environment();
  env["MESOS_CHECKPOINT"] = "1";
  start(env);
  fromAgent(registeredMessage());
  transport_->breakLink(kAgentPid);
  ASSERT_FALSE(driver_->process()->connected());
  fromAgent(runTask("t1"));
  fromAgent(message("dropped"));
  fromAgent(kill("t9"));
  EXPECT_EQ((std::vector<std::string>{"registered", "killTask:t9"}), executor_.events());
}

// An acknowledgement while disconnected is ignored: the update stays unacknowledged
// and is resent with the re-registration.
TEST_F(ExecutorApiTest, AcknowledgementWhileDisconnectedIgnored) {
  auto env = environment();
  env["MESOS_CHECKPOINT"] = "1";
  start(env);
  fromAgent(registeredMessage());
  driver_->sendStatusUpdate(status("t1", mesos::TASK_RUNNING));
  settleLoop();
  auto update = transport_->sentOf<internal::StatusUpdateMessage>().at(0).update();
  transport_->breakLink(kAgentPid);
  internal::StatusUpdateAcknowledgementMessage ack;
  ack.mutable_slave_id()->set_value("S0");
  ack.mutable_framework_id()->set_value("fw-1");
  ack.mutable_task_id()->set_value("t1");
  ack.set_uuid(update.uuid());
  fromAgent(ack);
  EXPECT_EQ(1u, driver_->process()->unacknowledgedUpdates());
  internal::ReconnectExecutorMessage reconnect;
  reconnect.mutable_slave_id()->set_value("S0");
  fromAgent(reconnect);
  auto reregisters = transport_->sentOf<internal::ReregisterExecutorMessage>();
  ASSERT_EQ(1u, reregisters.size());
  ASSERT_EQ(1, reregisters[0].updates_size());
  EXPECT_EQ(update.uuid(), reregisters[0].updates(0).uuid());
}

// The agent going away without checkpointing calls shutdown(), never disconnected().
TEST_F(ExecutorApiTest, AgentLossNeverCallsDisconnected) {
  start();
  fromAgent(registeredMessage());
  transport_->breakLink(kAgentPid);
  EXPECT_EQ((std::vector<std::string>{"registered", "shutdown"}), executor_.events());
}

// A transport that cannot start: error() is called and start() returns ABORTED.
TEST_F(ExecutorApiTest, TransportFailureCallsError) {
  makeDriver(environment(), "cannot bind");
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->start());
  ASSERT_EQ(1u, executor_.events().size());
  EXPECT_NE(std::string::npos, executor_.events()[0].find("cannot bind"));
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->join());
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->sendStatusUpdate(mesos::TaskStatus()));
}

}  // namespace
}  // namespace keel::testing
