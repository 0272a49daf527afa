#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include <mesos/internal/messages.pb.h>

#include "agent/agent.hpp"
#include "agent/process_launcher.hpp"
#include "runtime/event_loop.hpp"
#include "wire/dispatcher.hpp"
#include "wire/tcp_transport.hpp"

namespace keel::agent {
namespace {

template <class F>
auto onLoop(runtime::EventLoop& loop, F fn) -> decltype(fn()) {
  std::packaged_task<decltype(fn())()> task(std::move(fn));
  auto future = task.get_future();
  loop.post([&task] { task(); });
  return future.get();
}

// A real agent and a fake master on loopback TCP, with the real launcher and keel-executor.
class AgentEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keel-agent-e2e-XXXXXX";
    work_dir_ = ::mkdtemp(tmpl);
    loop_.start();
    master_transport_ =
        onLoop(loop_, [&] { return wire::TcpTransport::create(loop_, {}); }).value();
    agent_transport_ = onLoop(loop_, [&] { return wire::TcpTransport::create(loop_, {}); }).value();
    master_pid_ = onLoop(loop_, [&] { return master_transport_->pidOf("master"); });
    onLoop(loop_, [&] {
      wire::ProcessHandlers handlers;
      handlers.on_message = [this](wire::Message&& msg) { return onMasterMessage(std::move(msg)); };
      master_transport_->addProcess("master", std::move(handlers));
    });
    AgentFlags flags;
    flags.master = master_pid_.str();
    flags.work_dir = work_dir_;
    flags.resources = "cpus:2;mem:1024;disk:1024";
    flags.launcher_dir = KEEL_BIN_DIR;
    flags.registration_backoff_factor = std::chrono::milliseconds(10);
    agent_ = std::make_unique<Agent>(loop_, *agent_transport_, flags, launcher_);
    Status started = onLoop(loop_, [&] { return agent_->start(); });
    ASSERT_TRUE(started.isOk()) << started.message();
    ASSERT_TRUE(waitFor([&] { return count("mesos.internal.RegisterSlaveMessage") > 0; }));
    agent_pid_ = onLoop(loop_, [&] { return agent_->self(); });
    mesos::internal::SlaveRegisteredMessage registered;
    registered.mutable_slave_id()->set_value("M-S0");
    toAgent(registered);
    ASSERT_TRUE(waitFor([&] { return count("mesos.internal.UpdateSlaveMessage") > 0; }));
  }

  void TearDown() override {
    // Let the executor finish and be reaped (bounded) so no process outlives the test.
    for (int i = 0; i < 200; ++i) {
      if (onLoop(loop_, [&] { return agent_->frameworks().empty(); })) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    onLoop(loop_, [&] {
      agent_.reset();
      agent_transport_.reset();
      master_transport_.reset();
    });
    loop_.stop();
    loop_.join();
    std::error_code ec;
    std::filesystem::remove_all(work_dir_, ec);
  }

  wire::Delivery onMasterMessage(wire::Message&& msg) {
    if (msg.name == "mesos.internal.StatusUpdateMessage") {
      mesos::internal::StatusUpdateMessage update;
      update.ParseFromString(msg.body);
      mesos::internal::StatusUpdateAcknowledgementMessage ack;
      ack.mutable_slave_id()->CopyFrom(update.update().slave_id());
      ack.mutable_framework_id()->CopyFrom(update.update().framework_id());
      ack.mutable_task_id()->CopyFrom(update.update().status().task_id());
      ack.set_uuid(update.update().status().uuid());
      master_transport_->send(wire::makeMessage(master_pid_, msg.from, ack));
    }
    std::lock_guard<std::mutex> lock(mutex_);
    received_.push_back(std::move(msg));
    cv_.notify_all();
    return wire::Delivery::kAccepted;
  }

  template <class M>
  void toAgent(const M& m) {
    onLoop(loop_, [&] { master_transport_->send(wire::makeMessage(master_pid_, agent_pid_, m)); });
  }
  bool waitFor(const std::function<bool()>& done) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, std::chrono::seconds(30), done);
  }
  long count(const std::string& name) {
    return std::count_if(received_.begin(), received_.end(),
                         [&](const wire::Message& m) { return m.name == name; });
  }
  // The states forwarded so far (call with mutex_ held, i.e. inside waitFor).
  std::vector<mesos::TaskState> states() {
    std::vector<mesos::TaskState> out;
    for (const auto& m : received_) {
      if (m.name == "mesos.internal.StatusUpdateMessage") {
        mesos::internal::StatusUpdateMessage u;
        u.ParseFromString(m.body);
        out.push_back(u.update().status().state());
      }
    }
    return out;
  }
  void runTask(const std::string& id, const std::string& command) {
    mesos::internal::RunTaskMessage run;
    run.mutable_framework()->set_user("root");
    run.mutable_framework()->set_name("e2e");
    run.mutable_framework()->mutable_id()->set_value("M-0000");
    run.set_pid(wire::Pid().str());
    mesos::TaskInfo* task = run.mutable_task();
    task->set_name(id);
    task->mutable_task_id()->set_value(id);
    task->mutable_slave_id()->set_value("M-S0");
    task->mutable_command()->set_value(command);
    toAgent(run);
  }

  runtime::EventLoop loop_;
  PosixProcessLauncher launcher_;
  std::unique_ptr<wire::TcpTransport> master_transport_;
  std::unique_ptr<wire::TcpTransport> agent_transport_;
  wire::Pid master_pid_;
  wire::Pid agent_pid_;
  std::unique_ptr<Agent> agent_;
  std::string work_dir_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<wire::Message> received_;
};

TEST_F(AgentEndToEnd, CommandTaskRunsUnderKeelExecutor) {
  // Ensures a real agent on TCP starts the real keel-executor, which runs the command and
  // reports STARTING, RUNNING and FINISHED through the agent to the (fake) master.
  runTask("hello", "echo hello from $MESOS_SANDBOX");
  std::vector<mesos::TaskState> seen;
  bool finished = waitFor([&] {
    seen = states();
    return !seen.empty() &&
           (seen.back() == mesos::TASK_FINISHED || seen.back() == mesos::TASK_FAILED);
  });
  ASSERT_TRUE(finished) << "updates seen: " << seen.size();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], mesos::TASK_STARTING);
  EXPECT_EQ(seen[1], mesos::TASK_RUNNING);
  EXPECT_EQ(seen[2], mesos::TASK_FINISHED);

  std::string sandbox = work_dir_ + "/slaves/M-S0/frameworks/M-0000/executors/hello/runs/latest";
  std::ifstream out(sandbox + "/stdout");
  std::stringstream text;
  text << out.rdbuf();
  EXPECT_NE(text.str().find("hello from " + work_dir_), std::string::npos) << text.str();
}

TEST_F(AgentEndToEnd, KilledCommandTaskEndsKilled) {
  // Ensures a kill reaches keel-executor, which SIGTERMs the command and reports
  // TASK_KILLED (no TASK_KILLING without the capability).
  runTask("sleeper", "sleep 30");
  ASSERT_TRUE(waitFor([&] {
    auto seen = states();
    return seen.size() >= 2 && seen[1] == mesos::TASK_RUNNING;
  }));
  mesos::internal::KillTaskMessage kill;
  kill.mutable_framework_id()->set_value("M-0000");
  kill.mutable_task_id()->set_value("sleeper");
  toAgent(kill);
  std::vector<mesos::TaskState> seen;
  ASSERT_TRUE(waitFor([&] {
    seen = states();
    return seen.size() >= 3;
  }));
  EXPECT_EQ(seen[2], mesos::TASK_KILLED);
}

}  // namespace
}  // namespace keel::agent
