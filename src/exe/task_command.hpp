#pragma once

// What both of keel-executor's modes (command executor, default executor for task groups)
// share: starting a task's command, describing how it ended, and their status updates.

#include <sys/types.h>

#include <string>

#include <mesos/mesos.pb.h>

namespace keel {

// Starts the task's command (`/bin/sh -c value`, or value + arguments) as the leader of a
// new session, with this process's environment, MESOS_ALLOCATION_ROLE, MESOS_TASK_ID if
// `with_task_id`, and the command's variables. -1 and `error` on failure.
pid_t spawnTaskCommand(const mesos::TaskInfo& task, bool with_task_id, std::string* error);

// "Command exited with status N" / "Command terminated with signal …" for a wait status.
std::string describeExit(int wait_status);

// Whether the framework opted in to TASK_KILLING (TASK_KILLING_STATE).
bool hasKillingState(const mesos::FrameworkInfo& framework);

// A status update from the executor `executor` (its id, SOURCE_EXECUTOR) for `task_id`.
mesos::TaskStatus executorStatus(const mesos::ExecutorInfo& executor,
                                 const mesos::TaskID& task_id, mesos::TaskState state,
                                 const std::string& message);

}  // namespace keel
