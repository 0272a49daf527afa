#pragma once

#include <sys/types.h>

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <mesos/mesos.pb.h>

#include "runtime/event_loop.hpp"
#include "wire/pid.hpp"

// What the agent knows about its frameworks, executors and tasks. Plain data owned by
// the Agent and touched only on its loop.
namespace keel::agent {

// Bounded history (Mesos's defaults, spec §5.6).
inline constexpr size_t kMaxCompletedFrameworks = 50;
inline constexpr size_t kMaxCompletedExecutorsPerFramework = 150;
inline constexpr size_t kMaxCompletedTasksPerExecutor = 200;

// Why an executor is being torn down by the agent, applied to its unfinished tasks
// when its process is gone.
struct TerminationCause {
  mesos::TaskState state = mesos::TASK_FAILED;
  mesos::TaskStatus::Reason reason = mesos::TaskStatus::REASON_EXECUTOR_TERMINATED;
  std::string message = "Executor terminated";
};

struct ExecutorRecord {
  enum class State { kRegistering, kRunning, kTerminating, kTerminated };

  mesos::ExecutorInfo info;
  mesos::ContainerID container_id;
  std::string directory;  // the sandbox
  bool command_executor = false;
  State state = State::kRegistering;

  wire::Pid pid;                   // set when it registers
  pid_t os_pid = -1;               // set when the launch succeeds
  bool launch_finished = false;    // the launcher answered (success or failure)
  bool exited = false;             // its process is gone
  bool destroy_requested = false;  // SIGKILL its group as soon as it has a pid
  // Rebuilt from the checkpoint after an agent restart; kRegistering then means "waiting
  // for ReregisterExecutorMessage" and `os_pid` is not necessarily the agent's child.
  bool recovered = false;

  std::vector<mesos::TaskInfo> queued_tasks;            // waiting for registration
  // The task ids of each task group among `queued_tasks` (LAUNCH_GROUP), so that the
  // group reaches the executor whole and a kill before delivery takes the whole group.
  std::vector<std::vector<std::string>> queued_groups;
  std::map<std::string, mesos::Task> launched_tasks;    // handed to the executor
  std::map<std::string, mesos::Task> terminated_tasks;  // terminal, update not yet acked
  std::deque<mesos::Task> completed_tasks;              // terminal and acked
  bool ever_sent_task = false;  // at least one task was handed to the executor

  runtime::TimerId registration_timer = 0;
  runtime::TimerId shutdown_timer = 0;
  std::optional<TerminationCause> termination;

  // Finds a launched or terminated (unacknowledged) task; nullptr if neither.
  mesos::Task* findTask(const std::string& task_id) {
    auto it = launched_tasks.find(task_id);
    if (it != launched_tasks.end()) {
      return &it->second;
    }
    auto jt = terminated_tasks.find(task_id);
    return jt == terminated_tasks.end() ? nullptr : &jt->second;
  }
  bool hasQueuedTask(const std::string& task_id) const {
    for (const auto& t : queued_tasks) {
      if (t.task_id().value() == task_id) {
        return true;
      }
    }
    return false;
  }
  // The queued task group `task_id` belongs to; nullptr if none.
  const std::vector<std::string>* queuedGroupOf(const std::string& task_id) const {
    for (const auto& group : queued_groups) {
      for (const auto& id : group) {
        if (id == task_id) {
          return &group;
        }
      }
    }
    return nullptr;
  }
  // No task left whose terminal update still has to be acknowledged.
  bool idle() const {
    return queued_tasks.empty() && launched_tasks.empty() && terminated_tasks.empty();
  }
};

struct FrameworkRecord {
  enum class State { kRunning, kTerminating };

  mesos::FrameworkInfo info;
  std::optional<wire::Pid> scheduler_pid;  // nullopt for HTTP frameworks
  State state = State::kRunning;
  std::map<std::string, std::unique_ptr<ExecutorRecord>> executors;
  std::deque<std::unique_ptr<ExecutorRecord>> completed_executors;

  const std::string& id() const { return info.id().value(); }
  bool partitionAware() const {
    for (const auto& c : info.capabilities()) {
      if (c.type() == mesos::FrameworkInfo::Capability::PARTITION_AWARE) {
        return true;
      }
    }
    return false;
  }
  // The executor whose queued, launched or unacknowledged tasks include `task_id`.
  ExecutorRecord* executorOfTask(const std::string& task_id) {
    for (auto& [id, executor] : executors) {
      if (executor->findTask(task_id) != nullptr || executor->hasQueuedTask(task_id)) {
        return executor.get();
      }
    }
    return nullptr;
  }
};

}  // namespace keel::agent
