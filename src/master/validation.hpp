#pragma once

// Pure validation functions of the master (spec §3.2, §3.5). No state, no I/O: each takes
// what it needs to look at and returns an error text (empty optional = valid). The texts
// follow Mesos's, since schedulers log and sometimes match them.

#include <functional>
#include <map>
#include <optional>
#include <string>

#include <mesos/mesos.pb.h>

#include "common/resources.hpp"

namespace keel::master {

using Error = std::optional<std::string>;

// A role name: "*" or a '/'-separated path of non-empty components that are not ".",
// "..", "*", do not start with '-' and hold no whitespace or backspace.
Error validateRole(const std::string& role);

// FrameworkInfo on subscription: role/roles consistent with MULTI_ROLE, roles valid and
// unique, the id (if any) well formed, failover_timeout representable.
Error validateFrameworkInfo(const mesos::FrameworkInfo& info);

// What task validation needs to know about the world around the task.
struct TaskContext {
  std::string framework_id;
  std::string agent_id;
  // True if the framework already has an active task with this id.
  std::function<bool(const std::string& task_id)> task_id_in_use;
  // True if the id belongs to one of the framework's unreachable tasks.
  std::function<bool(const std::string& task_id)> task_id_unreachable;
  // ExecutorInfos of this framework already known on the agent, by ExecutorID.
  const std::map<std::string, mesos::ExecutorInfo>* agent_executors = nullptr;
  // What is left of the offers being accepted.
  Resources available;
  // If set, validateTask stores there the resources it found the task (and its executor,
  // if new) to need, once it got that far: the caller need not compute them again.
  std::optional<Resources>* needed = nullptr;
};

// Validates one task of a LAUNCH in the order Mesos does; the error becomes the
// message of a TASK_ERROR with REASON_TASK_INVALID.
Error validateTask(const mesos::TaskInfo& task, const TaskContext& context);

// The checks every task gets whether launched alone or in a group: TaskID syntax and
// uniqueness, agent, kill policy, max_completion_time, resources (non-empty, valid, one
// allocation role). validateTask = this + the LAUNCH-only checks.
Error validateTaskGeneral(const mesos::TaskInfo& task, const TaskContext& context);

// Validates a LAUNCH_GROUP (task_group_validation.cpp) in Mesos's order: every task
// (validateTaskGeneral, its command, "'TaskInfo.executor' must be set", no Docker
// container, ...; failures read "Task '<id>' is invalid: <why>"), then the executor
// (type set, DEFAULT without command, framework_id set and ours, valid resources with at
// least 0.01 cpus, 32 MB mem and some disk, compatible with an executor of the same id
// on the agent, equal to each task's `executor`), then task group + new executor
// resources against `context.available`. `group` is as the master stores it: tasks
// without `executor` have been given the group's. The error becomes the message of a
// TASK_ERROR with REASON_TASK_GROUP_INVALID for every task of the group.
Error validateTaskGroup(const mesos::TaskGroupInfo& group, const mesos::ExecutorInfo& executor,
                        const TaskContext& context);

// The resources a task needs from the offer: its own plus those of its executor if
// that executor is not yet running on the agent.
Resources taskAndNewExecutorResources(const mesos::TaskInfo& task,
                                      const std::map<std::string, mesos::ExecutorInfo>& executors);

// What validating a speculative operation needs to know (operation_validation.cpp).
struct OperationContext {
  const mesos::FrameworkInfo* framework = nullptr;  // the framework applying it
  bool agent_hierarchical_roles = true;             // HIERARCHICAL_ROLE capability
  bool agent_reservation_refinement = true;         // RESERVATION_REFINEMENT capability
  Resources checkpointed;                           // the agent's checkpointed resources
  Resources used;                                   // held by tasks and executors there
};

// RESERVE, UNRESERVE, CREATE and DESTROY from a framework, checked in Mesos's order with
// Mesos's messages. Resources are in allocated form (the offer's role injected).
Error validateReserve(const mesos::Offer::Operation::Reserve& reserve,
                      const OperationContext& context);
Error validateUnreserve(const mesos::Offer::Operation::Unreserve& unreserve);
Error validateCreate(const mesos::Offer::Operation::Create& create,
                     const OperationContext& context);
Error validateDestroy(const mesos::Offer::Operation::Destroy& destroy,
                      const OperationContext& context);

}  // namespace keel::master
