#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <mesos/internal/messages.pb.h>

#include "agent/agent.hpp"
#include "agent/process_launcher.hpp"
#include "common/agent_flags.hpp"
#include "runtime/clock.hpp"
#include "runtime/event_loop.hpp"
#include "wire/dispatcher.hpp"
#include "wire/transport.hpp"

namespace keel::agent::testing {

// A transport that records what the agent sends and lets the test inject messages,
// connection losses and HTTP requests. Everything runs on the one test loop.
class FakeTransport final : public wire::Transport {
 public:
  explicit FakeTransport(runtime::EventLoop& loop) : loop_(loop) {}

  wire::Pid pidOf(const std::string& id) const override { return wire::Pid{id, "127.0.0.1", 5051}; }
  void addProcess(const std::string& id, wire::ProcessHandlers handlers) override {
    processes_[id] = std::move(handlers);
  }
  void removeProcess(const std::string& id) override { processes_.erase(id); }
  void send(wire::Message msg) override {
    std::lock_guard<std::mutex> lock(mutex_);
    sent_.push_back(std::move(msg));
  }
  void link(const std::string& local_id, const wire::Pid& peer) override { links_.insert(peer); }
  void unlink(const std::string& local_id, const wire::Pid& peer) override { links_.erase(peer); }
  void addRoute(const std::string& path, wire::HttpHandler handler) override {
    routes_[path] = std::move(handler);
  }
  void setDelegate(const std::string& process_id) override { delegate_ = process_id; }

  // Delivers `msg` to its local process on the loop.
  void inject(wire::Message msg) {
    loop_.post([this, msg = std::move(msg)]() mutable {
      auto it = processes_.find(msg.to.id);
      if (it != processes_.end()) {
        it->second.on_message(std::move(msg));
      }
    });
  }
  // Tells the local processes linked to `peer` that its connection broke.
  void breakLink(const wire::Pid& peer) {
    loop_.post([this, peer] {
      for (auto& [id, handlers] : processes_) {
        if (handlers.on_exited) {
          handlers.on_exited(peer);
        }
      }
    });
  }

  // Messages sent so far of type M, optionally only those to `to`.
  template <class M>
  std::vector<M> sent(const std::string& to_id = "") {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<M> out;
    for (const auto& msg : sent_) {
      if (msg.name == M::default_instance().GetTypeName() &&
          (to_id.empty() || msg.to.id == to_id)) {
        M m;
        EXPECT_TRUE(m.ParseFromString(msg.body));
        out.push_back(m);
      }
    }
    return out;
  }
  std::vector<wire::Message> all() {
    std::lock_guard<std::mutex> lock(mutex_);
    return sent_;
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    sent_.clear();
  }

  std::map<std::string, wire::HttpHandler> routes_;
  std::string delegate_;
  std::set<wire::Pid> links_;

 private:
  runtime::EventLoop& loop_;
  std::mutex mutex_;
  std::vector<wire::Message> sent_;
  std::map<std::string, wire::ProcessHandlers> processes_;
};

// Records launches; processes "exit" when the test says so or when SIGKILLed.
class FakeLauncher final : public ProcessLauncher {
 public:
  void launch(LaunchSpec spec, LaunchDone done) override {
    std::unique_lock<std::mutex> lock(mutex_);
    launches.push_back(spec);
    if (fail_launches) {
      lock.unlock();
      done(Result<pid_t>::error("injected launch failure"));
      return;
    }
    pid_t pid = next_pid_++;
    lock.unlock();
    done(pid);
  }
  void watch(pid_t pid, ExitDone on_exit) override {
    std::lock_guard<std::mutex> lock(mutex_);
    watchers_[pid] = std::move(on_exit);
  }
  Status killGroup(pid_t pid, int signal) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      kills.emplace_back(pid, signal);
    }
    if (signal == SIGKILL) {
      exit(pid, SIGKILL);  // raw wait status of a process killed by SIGKILL
    }
    return Status::ok();
  }
  // Makes `pid` exit with raw wait status `status`.
  void exit(pid_t pid, int status) {
    ExitDone callback;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = watchers_.find(pid);
      if (it == watchers_.end()) {
        return;
      }
      callback = std::move(it->second);
      watchers_.erase(it);
    }
    callback(status);
  }
  pid_t lastPid() {
    std::lock_guard<std::mutex> lock(mutex_);
    return next_pid_ - 1;
  }

  std::vector<LaunchSpec> launches;
  std::vector<std::pair<pid_t, int>> kills;
  bool fail_launches = false;

 private:
  std::mutex mutex_;
  pid_t next_pid_ = 1000;
  std::map<pid_t, ExitDone> watchers_;
};

// An agent on a manual clock with a fake master ("master@127.0.0.1:5050"), a fake
// transport and a fake launcher, in a temporary work_dir.
class AgentTest : public ::testing::Test {
 protected:
  static constexpr const char* kAgentId = "MASTER-S0";

  AgentTest() : loop_(clock_), transport_(loop_) {
    char tmpl[] = "/tmp/keel-agent-test-XXXXXX";
    work_dir_ = ::mkdtemp(tmpl);
  }

  ~AgentTest() override {
    run([this] { agent_.reset(); });
    loop_.stop();
    loop_.join();
    std::error_code ec;
    std::filesystem::remove_all(work_dir_, ec);
  }

  virtual AgentFlags makeFlags() {
    AgentFlags flags;
    flags.master = "127.0.0.1:5050";
    flags.work_dir = work_dir_;
    flags.resources = "cpus:4;mem:4096;disk:10240;ports:[31000-32000]";
    flags.launcher_dir = "/opt/keel/bin";
    flags.hostname = "localhost";
    return flags;
  }

  void SetUp() override {
    loop_.start();
    agent_ = std::make_unique<Agent>(loop_, transport_, makeFlags(), launcher_);
    Status started;
    run([&] { started = agent_->start(); });
    ASSERT_TRUE(started.isOk()) << started.message();
  }

  // Runs fn on the loop and lets everything it set off settle.
  void run(std::function<void()> fn) {
    loop_.post(std::move(fn));
    settle();
  }
  void settle() {
    for (int i = 0; i < 8; ++i) {
      loop_.drain();
    }
  }
  void advance(runtime::Duration d) {
    clock_.advance(d);
    settle();
  }

  template <class M>
  void fromMaster(const M& m, const std::string& sender = "master") {
    transport_.inject(wire::makeMessage(wire::Pid{sender, "127.0.0.1", 5050}, agentPid(), m));
    settle();
  }
  template <class M>
  void fromExecutor(const M& m) {
    transport_.inject(wire::makeMessage(executorPid(), agentPid(), m));
    settle();
  }
  wire::Pid agentPid() const { return wire::Pid{"slave(1)", "127.0.0.1", 5051}; }
  wire::Pid masterPid() const { return wire::Pid{"master", "127.0.0.1", 5050}; }
  wire::Pid executorPid() const { return wire::Pid{"executor(1)", "127.0.0.1", 40000}; }

  // Lets the initial random delay pass and answers the registration.
  void registerAgent() {
    advance(std::chrono::seconds(2));
    mesos::internal::SlaveRegisteredMessage registered;
    registered.mutable_slave_id()->set_value(kAgentId);
    registered.mutable_connection()->set_total_ping_timeout_seconds(75);
    fromMaster(registered);
  }

  mesos::FrameworkInfo framework(bool partition_aware = false) {
    mesos::FrameworkInfo info;
    info.set_user("root");
    info.set_name("test framework");
    info.mutable_id()->set_value("MASTER-0000");
    info.set_checkpoint(false);
    if (partition_aware) {
      info.add_capabilities()->set_type(mesos::FrameworkInfo::Capability::PARTITION_AWARE);
    }
    return info;
  }

  mesos::TaskInfo commandTask(const std::string& id, const std::string& command = "sleep 100") {
    mesos::TaskInfo task;
    task.set_name(id);
    task.mutable_task_id()->set_value(id);
    task.mutable_slave_id()->set_value(kAgentId);
    auto* cpus = task.add_resources();
    cpus->set_name("cpus");
    cpus->set_type(mesos::Value::SCALAR);
    cpus->mutable_scalar()->set_value(1);
    cpus->mutable_allocation_info()->set_role("*");
    task.mutable_command()->set_value(command);
    return task;
  }

  mesos::TaskInfo customTask(const std::string& id) {
    mesos::TaskInfo task = commandTask(id);
    task.clear_command();
    auto* executor = task.mutable_executor();
    executor->mutable_executor_id()->set_value("default");
    executor->mutable_command()->set_value("/usr/bin/test-executor");
    executor->mutable_framework_id()->set_value("MASTER-0000");
    executor->set_name("Test Executor");
    return task;
  }

  void runTask(const mesos::TaskInfo& task, bool partition_aware = false) {
    mesos::internal::RunTaskMessage run;
    run.mutable_framework()->CopyFrom(framework(partition_aware));
    run.set_pid("scheduler-1@127.0.0.1:41000");
    run.mutable_task()->CopyFrom(task);
    run.set_launch_executor(true);
    fromMaster(run);
  }

  void registerExecutor(const std::string& executor_id) {
    mesos::internal::RegisterExecutorMessage m;
    m.mutable_framework_id()->set_value("MASTER-0000");
    m.mutable_executor_id()->set_value(executor_id);
    fromExecutor(m);
  }

  // An update as the executor driver builds it.
  mesos::internal::StatusUpdateMessage executorUpdate(const std::string& task_id,
                                                      const std::string& executor_id,
                                                      mesos::TaskState state,
                                                      const std::string& uuid) {
    mesos::internal::StatusUpdateMessage m;
    auto* u = m.mutable_update();
    u->mutable_framework_id()->set_value("MASTER-0000");
    u->mutable_executor_id()->set_value(executor_id);
    u->mutable_slave_id()->set_value(kAgentId);
    u->mutable_status()->mutable_task_id()->set_value(task_id);
    u->mutable_status()->set_state(state);
    u->mutable_status()->set_uuid(uuid);
    u->mutable_status()->set_timestamp(1.0);
    u->set_timestamp(1.0);
    u->set_uuid(uuid);
    m.set_pid(executorPid().str());
    return m;
  }

  mesos::internal::StatusUpdateAcknowledgementMessage ackFor(const std::string& task_id,
                                                             const std::string& uuid) {
    mesos::internal::StatusUpdateAcknowledgementMessage ack;
    ack.mutable_slave_id()->set_value(kAgentId);
    ack.mutable_framework_id()->set_value("MASTER-0000");
    ack.mutable_task_id()->set_value(task_id);
    ack.set_uuid(uuid);
    return ack;
  }

  runtime::ManualClock clock_;
  runtime::EventLoop loop_;
  FakeTransport transport_;
  FakeLauncher launcher_;
  std::string work_dir_;
  std::unique_ptr<Agent> agent_;
};

}  // namespace keel::agent::testing
