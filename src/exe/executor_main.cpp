// keel-executor: the built-in command executor the agent launches for command tasks
// (spec §5.9 "Command executor"). Written against the public <mesos/executor.hpp> plus
// Keel's task group extension (executor/task_group_executor.hpp).
//
// launchTask: TASK_STARTING, spawn `/bin/sh -c value` (or value + arguments) as the leader
// of its own session with this process's environment plus the task's CommandInfo
// environment and MESOS_ALLOCATION_ROLE, then TASK_RUNNING. On exit: TASK_FINISHED
// (status 0), TASK_FAILED ("Command exited with status N" / "Command terminated with
// signal X") or TASK_KILLED after a kill; the driver is stopped a second later, which
// gives the agent time to acknowledge the terminal update. A second task fails.
// killTask: TASK_KILLING if the framework has TASK_KILLING_STATE, SIGTERM to the task's
// process group, SIGKILL after the grace period (the task's kill policy, else 3 s).
//
// When its ExecutorInfo has type DEFAULT (the agent starts it that way for LAUNCH_GROUP) it
// runs task groups instead: see exe/default_executor.hpp.

#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <mesos/executor.hpp>

#include "agent/fork_server_protocol.hpp"
#include "exe/default_executor.hpp"
#include "exe/fork_server.hpp"
#include "exe/task_command.hpp"
#include "executor/task_group_executor.hpp"

extern char** environ;

namespace {

using Nanos = std::chrono::nanoseconds;

constexpr Nanos kDefaultKillGrace = std::chrono::seconds(3);
constexpr Nanos kDefaultShutdownGrace = std::chrono::seconds(5);
// What the agent adds on top of a task's grace period (a reap interval + 1 s); taken
// back off the shutdown grace so the task is killed before the agent kills us.
constexpr Nanos kShutdownMargin = std::chrono::seconds(2);
// How long the terminal update gets to reach the agent before the driver stops.
constexpr Nanos kExitDelay = std::chrono::seconds(1);

// Mesos's duration syntax ("5secs", "500ms", "2.5mins"); nullopt if malformed.
std::optional<Nanos> parseDuration(const std::string& text) {
  static const std::pair<const char*, double> kUnits[] = {
      {"ns", 1},      {"us", 1e3},     {"ms", 1e6},       {"secs", 1e9},
      {"mins", 60e9}, {"hrs", 3600e9}, {"days", 86400e9}, {"weeks", 604800e9}};
  size_t split = 0;
  while (split < text.size() &&
         (isdigit(static_cast<unsigned char>(text[split])) || text[split] == '.')) {
    ++split;
  }
  if (split == 0) {
    return std::nullopt;
  }
  double value = std::strtod(text.substr(0, split).c_str(), nullptr);
  std::string unit = text.substr(split);
  for (const auto& [name, factor] : kUnits) {
    if (unit == name) {
      return Nanos(static_cast<int64_t>(value * factor));
    }
  }
  return std::nullopt;
}

class CommandExecutor final : public mesos::Executor {
 public:
  explicit CommandExecutor(Nanos shutdown_grace) : shutdown_grace_(shutdown_grace) {}

  ~CommandExecutor() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (escalator_.joinable()) {
      escalator_.join();
    }
    for (std::thread* t : {&waiter_, &stopper_}) {
      if (t->joinable()) {
        t->join();
      }
    }
  }

  void registered(mesos::ExecutorDriver* driver, const mesos::ExecutorInfo& executor_info,
                  const mesos::FrameworkInfo& framework_info,
                  const mesos::SlaveInfo& agent_info) override {
    executor_info_ = executor_info;
    framework_info_ = framework_info;
    std::cerr << "Registered executor on " << agent_info.hostname() << std::endl;
  }
  void reregistered(mesos::ExecutorDriver*, const mesos::SlaveInfo&) override {}
  void disconnected(mesos::ExecutorDriver*) override {}
  void frameworkMessage(mesos::ExecutorDriver*, const std::string&) override {}

  void launchTask(mesos::ExecutorDriver* driver, const mesos::TaskInfo& task) override {
    if (task_) {
      sendStatus(driver, task.task_id(), mesos::TASK_FAILED,
                 "Attempted to run multiple tasks using a \"command\" executor");
      return;
    }
    task_ = task;
    if (!task.has_command() || !task.command().has_value()) {
      sendStatus(driver, task.task_id(), mesos::TASK_FAILED, "The task has no command");
      stopper_ = std::thread([this, driver] { stopLater(driver); });
      return;
    }
    sendStatus(driver, task.task_id(), mesos::TASK_STARTING);
    std::string error;
    pid_t pid = keel::spawnTaskCommand(task, /*with_task_id=*/false, &error);
    if (pid < 0) {
      sendStatus(driver, task.task_id(), mesos::TASK_FAILED, error);
      stopper_ = std::thread([this, driver] { stopLater(driver); });
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      pid_ = pid;
    }
    std::cerr << "Forked command at " << pid << std::endl;
    sendStatus(driver, task.task_id(), mesos::TASK_RUNNING);
    waiter_ = std::thread([this, driver, pid] { waitForExit(driver, pid); });
  }

  void killTask(mesos::ExecutorDriver* driver, const mesos::TaskID& task_id) override {
    if (!task_ || task_->task_id().value() != task_id.value()) {
      std::cerr << "Ignoring kill of unknown task " << task_id.value() << std::endl;
      return;
    }
    Nanos grace = kDefaultKillGrace;
    if (task_->has_kill_policy() && task_->kill_policy().has_grace_period()) {
      grace = Nanos(task_->kill_policy().grace_period().nanoseconds());
    }
    kill(driver, grace);
  }

  void shutdown(mesos::ExecutorDriver* driver) override {
    std::cerr << "Shutting down" << std::endl;
    bool running;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      running = pid_ > 0 && !exited_;
    }
    if (!running) {
      driver->stop();
      return;
    }
    Nanos grace = shutdown_grace_ > kShutdownMargin ? shutdown_grace_ - kShutdownMargin : Nanos(0);
    kill(driver, grace);
  }

  void error(mesos::ExecutorDriver* driver, const std::string& message) override {
    std::cerr << "Error: " << message << std::endl;
  }

 private:
  bool frameworkHasKillingState() const { return keel::hasKillingState(framework_info_); }

  void sendStatus(mesos::ExecutorDriver* driver, const mesos::TaskID& task_id,
                  mesos::TaskState state, const std::string& message = "") {
    driver->sendStatusUpdate(keel::executorStatus(executor_info_, task_id, state, message));
  }

  void kill(mesos::ExecutorDriver* driver, Nanos grace) {
    pid_t pid;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (pid_ <= 0 || exited_) {
        return;
      }
      auto deadline = std::chrono::steady_clock::now() + grace;
      if (kill_deadline_ && *kill_deadline_ <= deadline) {
        return;  // an earlier kill is already due sooner
      }
      bool first = !killed_;
      killed_ = true;
      kill_deadline_ = deadline;
      pid = pid_;
      if (!first) {
        cv_.notify_all();
        return;
      }
    }
    if (frameworkHasKillingState()) {
      sendStatus(driver, task_->task_id(), mesos::TASK_KILLING);
    }
    std::cerr << "Sending SIGTERM to process tree at pid " << pid << std::endl;
    ::killpg(pid, SIGTERM);
    escalator_ = std::thread([this, pid] { escalate(pid); });
  }

  void escalate(pid_t pid) {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!exited_ && !stopping_) {
      if (cv_.wait_until(lock, *kill_deadline_) == std::cv_status::timeout &&
          std::chrono::steady_clock::now() >= *kill_deadline_ && !exited_) {
        std::cerr << "Process " << pid << " did not terminate after the grace period; "
                  << "sending SIGKILL" << std::endl;
        ::killpg(pid, SIGKILL);
        return;
      }
    }
  }

  void waitForExit(mesos::ExecutorDriver* driver, pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    bool killed;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      exited_ = true;
      killed = killed_;
    }
    cv_.notify_all();
    // Reap the rest of the task's process group so nothing outlives the task.
    ::killpg(pid, SIGKILL);
    mesos::TaskState state = killed                                          ? mesos::TASK_KILLED
                             : WIFEXITED(status) && WEXITSTATUS(status) == 0 ? mesos::TASK_FINISHED
                                                                             : mesos::TASK_FAILED;
    std::string message = keel::describeExit(status);
    std::cerr << message << std::endl;
    sendStatus(driver, task_->task_id(), state, message);
    stopLater(driver);
  }

  void stopLater(mesos::ExecutorDriver* driver) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_for(lock, kExitDelay, [this] { return stopping_; });
    lock.unlock();
    driver->stop();
  }

  Nanos shutdown_grace_;
  mesos::ExecutorInfo executor_info_;
  mesos::FrameworkInfo framework_info_;
  std::optional<mesos::TaskInfo> task_;

  std::mutex mutex_;
  std::condition_variable cv_;
  pid_t pid_ = -1;
  bool exited_ = false;
  bool killed_ = false;
  bool stopping_ = false;
  std::optional<std::chrono::steady_clock::time_point> kill_deadline_;
  std::thread waiter_;
  std::thread escalator_;
  std::thread stopper_;
};

// Picks the command executor or the default (task group) executor when the agent says
// which one it started (ExecutorInfo.type in the registration) and forwards to it.
class ModeSwitch final : public mesos::Executor, public keel::exec::TaskGroupExecutor {
 public:
  explicit ModeSwitch(Nanos shutdown_grace)
      : shutdown_grace_(shutdown_grace), command_(shutdown_grace) {}

  void registered(mesos::ExecutorDriver* driver, const mesos::ExecutorInfo& executor_info,
                  const mesos::FrameworkInfo& framework_info,
                  const mesos::SlaveInfo& agent_info) override {
    if (executor_info.type() == mesos::ExecutorInfo::DEFAULT && group_ == nullptr) {
      // Made only when needed: it starts a thread, which a command executor (one per command
      // task) has no use for.
      group_ = std::make_unique<keel::DefaultExecutor>(shutdown_grace_);
      active_ = group_.get();
    }
    active_->registered(driver, executor_info, framework_info, agent_info);
  }
  void reregistered(mesos::ExecutorDriver* driver, const mesos::SlaveInfo& info) override {
    active_->reregistered(driver, info);
  }
  void disconnected(mesos::ExecutorDriver* driver) override { active_->disconnected(driver); }
  void launchTask(mesos::ExecutorDriver* driver, const mesos::TaskInfo& task) override {
    active_->launchTask(driver, task);
  }
  void launchTaskGroup(mesos::ExecutorDriver* driver, const mesos::TaskGroupInfo& group) override {
    if (group_ != nullptr) {  // a DEFAULT executor
      group_->launchTaskGroup(driver, group);
      return;
    }
    for (const auto& task : group.tasks()) {
      command_.launchTask(driver, task);
    }
  }
  void killTask(mesos::ExecutorDriver* driver, const mesos::TaskID& task_id) override {
    active_->killTask(driver, task_id);
  }
  void frameworkMessage(mesos::ExecutorDriver* driver, const std::string& data) override {
    active_->frameworkMessage(driver, data);
  }
  void shutdown(mesos::ExecutorDriver* driver) override { active_->shutdown(driver); }
  void error(mesos::ExecutorDriver* driver, const std::string& message) override {
    active_->error(driver, message);
  }

 private:
  Nanos shutdown_grace_;
  CommandExecutor command_;
  std::unique_ptr<keel::DefaultExecutor> group_;  // a DEFAULT executor's
  mesos::Executor* active_ = &command_;
};

}  // namespace

// The command (or DEFAULT) executor itself; also what each child of the fork server runs.
static int executorMain(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help") {
      std::cout << "Usage: keel-executor [--launcher_dir=DIR]\n"
                << "Runs one command task for a Keel (Mesos) agent; started by the agent.\n";
      return 0;
    }
    // --launcher_dir (passed by the agent, as Mesos does) and unknown flags are ignored.
  }
  Nanos shutdown_grace = kDefaultShutdownGrace;
  if (const char* text = ::getenv("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD")) {
    if (auto parsed = parseDuration(text)) {
      shutdown_grace = *parsed;
    }
  }
  ModeSwitch executor(shutdown_grace);
  mesos::MesosExecutorDriver driver(&executor);
  mesos::Status status = driver.run();
  return status == mesos::DRIVER_STOPPED ? 0 : 1;
}

// protobuf builds a file's descriptors on their first use (a message's type name, say), and
// that took about 7% of each fork-server child's CPU when every child built them anew.
// Built once in the server, they are inherited.
static void buildDescriptorsForChildren() {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const char* file : {"mesos/internal/messages.proto", "mesos/executor/executor.proto",
                           "mesos/v1/executor/executor.proto"}) {
    pool->FindFileByName(file);
  }
}

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], keel::agent::fork_server::kFlag) == 0) {
    buildDescriptorsForChildren();
    return keel::exe::runForkServer(keel::agent::fork_server::kSocketFd, executorMain);
  }
  return executorMain(argc, argv);
}
