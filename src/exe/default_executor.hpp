#pragma once

// keel-executor's task group mode: what Mesos's default executor does for LAUNCH_GROUP
// (spec §5.9 "Default executor"), with each task a process group in the executor's
// sandbox instead of a nested container.
//
// launchTaskGroup: for each task TASK_STARTING, spawn its command (`/bin/sh -c value` or
// value + arguments) as the leader of its own session, TASK_RUNNING. A task that exits
// is TASK_FINISHED (status 0), TASK_FAILED ("Command exited with status N" / "Command
// terminated with signal X") or TASK_KILLED if it was being killed. When a task of a
// group ends FAILED or KILLED, the other live tasks of that group are killed (TASK_KILLED).
// killTask kills one task (TASK_KILLING first if the framework has TASK_KILLING_STATE;
// SIGTERM, SIGKILL after the task's kill policy grace, else 3 s). shutdown kills every task
// with the shutdown grace period. Once no task is left running the driver is stopped a
// second later (so the last update reaches the agent). A plain launchTask is a group of one.
//
// Thread-safe: callbacks arrive on the driver's thread, exits are observed on one waiter
// thread per task.

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <mesos/executor.hpp>

#include "executor/task_group_executor.hpp"

namespace keel {

class DefaultExecutor final : public mesos::Executor, public exec::TaskGroupExecutor {
 public:
  using Nanos = std::chrono::nanoseconds;

  // `shutdown_grace`: MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD; tasks get it minus 2 s.
  explicit DefaultExecutor(Nanos shutdown_grace);
  // Kills what is still running and joins every thread.
  ~DefaultExecutor() override;

  void registered(mesos::ExecutorDriver* driver, const mesos::ExecutorInfo& executor_info,
                  const mesos::FrameworkInfo& framework_info,
                  const mesos::SlaveInfo& agent_info) override;
  void reregistered(mesos::ExecutorDriver*, const mesos::SlaveInfo&) override {}
  void disconnected(mesos::ExecutorDriver*) override {}
  void launchTask(mesos::ExecutorDriver* driver, const mesos::TaskInfo& task) override;
  void launchTaskGroup(mesos::ExecutorDriver* driver, const mesos::TaskGroupInfo& group) override;
  void killTask(mesos::ExecutorDriver* driver, const mesos::TaskID& task_id) override;
  void frameworkMessage(mesos::ExecutorDriver*, const std::string&) override {}
  void shutdown(mesos::ExecutorDriver* driver) override;
  void error(mesos::ExecutorDriver* driver, const std::string& message) override;

 private:
  struct Run {
    mesos::TaskInfo info;
    size_t group = 0;
    pid_t pid = -1;
    bool exited = false;
    bool killing = false;
    std::optional<std::chrono::steady_clock::time_point> kill_deadline;
    std::thread waiter;
  };

  void sendStatus(mesos::ExecutorDriver* driver, const mesos::TaskID& task_id,
                  mesos::TaskState state, const std::string& message = "");
  // Starts SIGTERM → SIGKILL for `run`; returns true if TASK_KILLING should be sent.
  // Requires mutex_.
  bool startKill(Run& run, Nanos grace);
  void waitForExit(mesos::ExecutorDriver* driver, std::string task_id, pid_t pid);
  // Kills the other live tasks of `group` (after one of them failed or was killed).
  void killGroup(mesos::ExecutorDriver* driver, size_t group, const std::string& except);
  // Stops the driver a second later if nothing is running any more. Requires mutex_.
  void maybeStop(mesos::ExecutorDriver* driver);
  void escalator();
  bool killingStateCapable() const;

  const Nanos shutdown_grace_;
  mesos::ExecutorInfo executor_info_;
  mesos::FrameworkInfo framework_info_;

  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::string, std::unique_ptr<Run>> runs_;
  std::vector<bool> group_killing_;  // by group index
  bool shutting_down_ = false;
  bool stopping_ = false;  // destructor running
  bool stop_scheduled_ = false;
  int launching_ = 0;  // launchTaskGroup calls in progress: no stopping meanwhile
  std::thread escalator_;
  std::thread stopper_;
};

}  // namespace keel
