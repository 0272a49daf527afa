#include "exe/default_executor.hpp"

#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>

#include "exe/task_command.hpp"

extern char** environ;

namespace keel {

namespace {

using Clock = std::chrono::steady_clock;

constexpr DefaultExecutor::Nanos kDefaultKillGrace = std::chrono::seconds(3);
constexpr DefaultExecutor::Nanos kShutdownMargin = std::chrono::seconds(2);
constexpr DefaultExecutor::Nanos kExitDelay = std::chrono::seconds(1);


}  // namespace

DefaultExecutor::DefaultExecutor(Nanos shutdown_grace)
    : shutdown_grace_(shutdown_grace), escalator_([this] { escalator(); }) {}

DefaultExecutor::~DefaultExecutor() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    for (auto& [id, run] : runs_) {
      if (run->pid > 0 && !run->exited) {
        ::killpg(run->pid, SIGKILL);
      }
    }
  }
  cv_.notify_all();
  escalator_.join();
  for (auto& [id, run] : runs_) {
    if (run->waiter.joinable()) {
      run->waiter.join();
    }
  }
  if (stopper_.joinable()) {
    stopper_.join();
  }
}

void DefaultExecutor::registered(mesos::ExecutorDriver*, const mesos::ExecutorInfo& executor_info,
                                 const mesos::FrameworkInfo& framework_info,
                                 const mesos::SlaveInfo& agent_info) {
  executor_info_ = executor_info;
  framework_info_ = framework_info;
  std::cerr << "Registered default executor on " << agent_info.hostname() << std::endl;
}

void DefaultExecutor::error(mesos::ExecutorDriver*, const std::string& message) {
  std::cerr << "Error: " << message << std::endl;
}

bool DefaultExecutor::killingStateCapable() const { return hasKillingState(framework_info_); }

void DefaultExecutor::sendStatus(mesos::ExecutorDriver* driver, const mesos::TaskID& task_id,
                                 mesos::TaskState state, const std::string& message) {
  driver->sendStatusUpdate(executorStatus(executor_info_, task_id, state, message));
}

void DefaultExecutor::launchTask(mesos::ExecutorDriver* driver, const mesos::TaskInfo& task) {
  mesos::TaskGroupInfo group;
  *group.add_tasks() = task;
  launchTaskGroup(driver, group);
}

void DefaultExecutor::launchTaskGroup(mesos::ExecutorDriver* driver,
                                      const mesos::TaskGroupInfo& group) {
  size_t index;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (shutting_down_) {
      for (const auto& task : group.tasks()) {
        sendStatus(driver, task.task_id(), mesos::TASK_FAILED, "The executor is shutting down");
      }
      return;
    }
    index = group_killing_.size();
    group_killing_.push_back(false);
    ++launching_;
  }
  std::optional<std::string> failed;  // a task that could not start
  for (const auto& task : group.tasks()) {
    const std::string& id = task.task_id().value();
    auto run = std::make_unique<Run>();
    run->info = task;
    run->group = index;
    std::string error;
    if (failed) {
      error = "Another task of the group failed to start";
    } else if (!task.has_command() || (!task.command().shell() && !task.command().has_value())) {
      error = "The task has no command";
    }
    if (error.empty()) {
      sendStatus(driver, task.task_id(), mesos::TASK_STARTING);
      run->pid = spawnTaskCommand(task, /*with_task_id=*/true, &error);
    }
    if (run->pid < 0) {
      run->exited = true;
      failed = id;
      sendStatus(driver, task.task_id(), mesos::TASK_FAILED, error);
      std::lock_guard<std::mutex> lock(mutex_);
      runs_[id] = std::move(run);
      continue;
    }
    std::cerr << "Forked command of task " << id << " at " << run->pid << std::endl;
    sendStatus(driver, task.task_id(), mesos::TASK_RUNNING);
    bool late_kill = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      pid_t pid = run->pid;
      Run& stored = *(runs_[id] = std::move(run));
      stored.waiter = std::thread([this, driver, id, pid] { waitForExit(driver, id, pid); });
      // Another task of the group already ended badly while this one was starting.
      if (group_killing_[index] || shutting_down_) {
        late_kill = startKill(stored, kDefaultKillGrace);
      }
    }
    if (late_kill) {
      sendStatus(driver, task.task_id(), mesos::TASK_KILLING);
    }
  }
  if (failed) {
    killGroup(driver, index, *failed);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  --launching_;
  maybeStop(driver);
}

bool DefaultExecutor::startKill(Run& run, Nanos grace) {
  if (run.pid <= 0 || run.exited) {
    return false;
  }
  auto deadline = Clock::now() + grace;
  if (run.kill_deadline && *run.kill_deadline <= deadline) {
    return false;  // an earlier kill is due sooner
  }
  bool first = !run.killing;
  run.killing = true;
  run.kill_deadline = deadline;
  cv_.notify_all();
  if (first) {
    std::cerr << "Sending SIGTERM to process tree at pid " << run.pid << std::endl;
    ::killpg(run.pid, SIGTERM);
  }
  return first && killingStateCapable();
}

void DefaultExecutor::killTask(mesos::ExecutorDriver* driver, const mesos::TaskID& task_id) {
  bool killing;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = runs_.find(task_id.value());
    if (it == runs_.end() || it->second->exited) {
      std::cerr << "Ignoring kill of unknown or finished task " << task_id.value() << std::endl;
      return;
    }
    Run& run = *it->second;
    Nanos grace = kDefaultKillGrace;
    if (run.info.has_kill_policy() && run.info.kill_policy().has_grace_period()) {
      grace = Nanos(run.info.kill_policy().grace_period().nanoseconds());
    }
    killing = startKill(run, grace);
  }
  if (killing) {
    sendStatus(driver, task_id, mesos::TASK_KILLING);
  }
}

void DefaultExecutor::killGroup(mesos::ExecutorDriver* driver, size_t group,
                                const std::string& except) {
  std::vector<mesos::TaskID> killing;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (shutting_down_ || group_killing_[group]) {
      return;
    }
    group_killing_[group] = true;
    std::cerr << "Killing the task group of task " << except << std::endl;
    for (auto& [id, run] : runs_) {
      if (run->group != group || id == except) {
        continue;
      }
      Nanos grace = kDefaultKillGrace;
      if (run->info.has_kill_policy() && run->info.kill_policy().has_grace_period()) {
        grace = Nanos(run->info.kill_policy().grace_period().nanoseconds());
      }
      if (startKill(*run, grace)) {
        killing.push_back(run->info.task_id());
      }
    }
  }
  for (const auto& id : killing) {
    sendStatus(driver, id, mesos::TASK_KILLING);
  }
}

void DefaultExecutor::waitForExit(mesos::ExecutorDriver* driver, std::string task_id, pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  // Reap the rest of the task's process group so nothing outlives the task.
  ::killpg(pid, SIGKILL);
  mesos::TaskID id;
  size_t group;
  bool killed;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Run& run = *runs_.at(task_id);
    run.exited = true;
    killed = run.killing;
    group = run.group;
    id = run.info.task_id();
    if (stopping_) {
      return;
    }
  }
  cv_.notify_all();
  mesos::TaskState state = killed                                          ? mesos::TASK_KILLED
                           : WIFEXITED(status) && WEXITSTATUS(status) == 0 ? mesos::TASK_FINISHED
                                                                           : mesos::TASK_FAILED;
  std::string message = describeExit(status);
  std::cerr << "Task " << task_id << ": " << message << std::endl;
  sendStatus(driver, id, state, message);
  if (state == mesos::TASK_FAILED || state == mesos::TASK_KILLED) {
    killGroup(driver, group, task_id);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  maybeStop(driver);
}

void DefaultExecutor::shutdown(mesos::ExecutorDriver* driver) {
  std::cerr << "Shutting down" << std::endl;
  std::vector<mesos::TaskID> killing;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    shutting_down_ = true;
    Nanos grace = shutdown_grace_ > kShutdownMargin ? shutdown_grace_ - kShutdownMargin : Nanos(0);
    for (auto& [id, run] : runs_) {
      if (startKill(*run, grace)) {
        killing.push_back(run->info.task_id());
      }
    }
  }
  for (const auto& id : killing) {
    sendStatus(driver, id, mesos::TASK_KILLING);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  maybeStop(driver);
}

void DefaultExecutor::maybeStop(mesos::ExecutorDriver* driver) {
  if (stop_scheduled_ || stopping_ || launching_ > 0) {
    return;
  }
  for (const auto& [id, run] : runs_) {
    if (!run->exited) {
      return;
    }
  }
  if (runs_.empty() && !shutting_down_) {
    return;  // nothing launched yet
  }
  stop_scheduled_ = true;
  stopper_ = std::thread([this, driver] {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait_for(lock, kExitDelay, [this] { return stopping_; });
    }
    driver->stop();
  });
}

void DefaultExecutor::escalator() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    std::optional<Clock::time_point> next;
    auto now = Clock::now();
    for (auto& [id, run] : runs_) {
      if (!run->killing || run->exited || !run->kill_deadline) {
        continue;
      }
      if (*run->kill_deadline <= now) {
        std::cerr << "Process " << run->pid << " did not terminate after the grace period; "
                  << "sending SIGKILL" << std::endl;
        ::killpg(run->pid, SIGKILL);
        run->kill_deadline.reset();
        continue;
      }
      if (!next || *run->kill_deadline < *next) {
        next = *run->kill_deadline;
      }
    }
    if (next) {
      cv_.wait_until(lock, *next);
    } else {
      cv_.wait(lock);
    }
  }
}

}  // namespace keel
