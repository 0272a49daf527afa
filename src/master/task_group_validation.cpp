// Validation of LAUNCH_GROUP (spec §3.5): the group's tasks, its executor and the
// resources the whole group needs. Messages follow Mesos 1.12.

#include <mesos/mesos.pb.h>

#include <cstdint>
#include <set>
#include <sstream>

#include "common/ids.hpp"
#include "master/validation.hpp"

namespace keel::master {

namespace {

constexpr double kMinExecutorCpus = 0.01;
constexpr double kMinExecutorMemMb = 32;

// A double as an ostream prints it ("0.01", "0.5").
std::string number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// A size given in megabytes, in the largest unit that divides it ("32MB", "1GB", "512KB").
std::string bytes(double megabytes) {
  auto total = static_cast<uint64_t>(megabytes * 1024 * 1024 + 0.5);
  constexpr uint64_t kKb = 1024, kMb = kKb * 1024, kGb = kMb * 1024, kTb = kGb * 1024;
  if (total == 0) return "0B";
  if (total % kTb == 0) return std::to_string(total / kTb) + "TB";
  if (total % kGb == 0) return std::to_string(total / kGb) + "GB";
  if (total % kMb == 0) return std::to_string(total / kMb) + "MB";
  if (total % kKb == 0) return std::to_string(total / kKb) + "KB";
  return std::to_string(total) + "B";
}

// The checks a task of a group gets, after the general ones.
Error validateGroupTask(const mesos::TaskInfo& task, const TaskContext& context) {
  if (Error e = validateTaskGeneral(task, context)) {
    return e;
  }
  if (task.has_command() && !task.command().shell() && !task.command().has_value()) {
    return std::string("Command value must be set when shell is false");
  }
  if (!task.has_executor()) {
    return std::string("'TaskInfo.executor' must be set");
  }
  if (task.has_container()) {
    if (task.container().network_infos_size() > 0 && task.has_health_check() &&
        (task.health_check().type() == mesos::HealthCheck::HTTP ||
         task.health_check().type() == mesos::HealthCheck::TCP)) {
      return std::string(
          "HTTP and TCP health checks are not supported for nested containers not joining "
          "parent's network");
    }
    if (task.container().type() == mesos::ContainerInfo::DOCKER) {
      return std::string("Docker ContainerInfo is not supported on the task");
    }
  }
  if (task.limits_size() > 0 && !(task.has_container() && task.container().has_linux_info() &&
                                  !task.container().linux_info().share_cgroups())) {
    return std::string(
        "Resource limits may only be set for tasks within a task group when the "
        "'share_cgroups' field is set to 'false'.");
  }
  return std::nullopt;
}

// ExecutorInfo checks shared with every executor (type, id, grace, framework, resources,
// compatibility with the agent's executor of the same id).
Error validateGroupExecutorInfo(const mesos::ExecutorInfo& executor, const TaskContext& context) {
  if (executor.type() == mesos::ExecutorInfo::DEFAULT) {
    if (executor.has_command()) {
      return std::string("'ExecutorInfo.command' must not be set for 'DEFAULT' executor");
    }
    if (executor.has_container()) {
      if (executor.container().type() != mesos::ContainerInfo::MESOS) {
        return std::string("'ExecutorInfo.container.type' must be 'MESOS' for 'DEFAULT' executor");
      }
      if (executor.container().mesos().has_image()) {
        return std::string(
            "'ExecutorInfo.container.mesos.image' must not be set for 'DEFAULT' executor");
      }
    }
  } else if (executor.type() == mesos::ExecutorInfo::CUSTOM && !executor.has_command()) {
    return std::string("'ExecutorInfo.command' must be set for 'CUSTOM' executor");
  }
  if (Status s = validateId(executor.executor_id().value()); !s.isOk()) {
    return "Executor ID '" + executor.executor_id().value() + "' is invalid: " + s.message();
  }
  if (executor.has_shutdown_grace_period() && executor.shutdown_grace_period().nanoseconds() < 0) {
    return std::string("ExecutorInfo's 'shutdown_grace_period' must be non-negative");
  }
  if (executor.has_command() && !executor.command().shell() && !executor.command().has_value()) {
    return std::string(
        "Executor's `CommandInfo` is invalid: Command value must be set when shell is false");
  }
  if (!executor.has_framework_id()) {
    return std::string("'ExecutorInfo.framework_id' must be set");
  }
  if (executor.framework_id().value() != context.framework_id) {
    return "ExecutorInfo has an invalid FrameworkID (Actual: " + executor.framework_id().value() +
           " vs Expected: " + context.framework_id + ")";
  }
  if (Status s = Resources::validate(executor.resources()); !s.isOk()) {
    return "Executor uses invalid resources: " + s.message();
  }
  {
    std::set<std::string> roles;
    for (const auto& r : executor.resources()) {
      roles.insert(r.has_allocation_info() ? r.allocation_info().role() : std::string("*"));
    }
    if (roles.size() > 1) {
      return std::string(
          "Invalid executor resources: The resources have multiple allocation "
          "roles");
    }
  }
  if (context.agent_executors != nullptr) {
    auto it = context.agent_executors->find(executor.executor_id().value());
    if (it != context.agent_executors->end() &&
        executor.SerializeAsString() != it->second.SerializeAsString()) {
      return std::string(
          "ExecutorInfo is not compatible with existing ExecutorInfo with same ExecutorID");
    }
  }
  return std::nullopt;
}

}  // namespace

Error validateTaskGroup(const mesos::TaskGroupInfo& group, const mesos::ExecutorInfo& executor,
                        const TaskContext& context) {
  std::set<std::string> ids;
  for (const auto& task : group.tasks()) {
    Error e = validateGroupTask(task, context);
    // Tasks of one group are not known to the master yet, so the framework-wide
    // duplicate check cannot see two of them sharing an id.
    if (!e && !ids.insert(task.task_id().value()).second) {
      e = "Task has duplicate ID: " + task.task_id().value();
    }
    if (e) {
      return "Task '" + task.task_id().value() + "' is invalid: " + *e;
    }
  }

  if (Error e = validateGroupExecutorInfo(executor, context)) {
    return e;
  }
  if (!executor.has_type()) {
    return std::string("'ExecutorInfo.type' must be set");
  }
  if (executor.type() == mesos::ExecutorInfo::UNKNOWN) {
    return std::string("Unknown executor type");
  }
  if (executor.has_container() && executor.container().type() == mesos::ContainerInfo::DOCKER) {
    return std::string("Docker ContainerInfo is not supported on the executor");
  }
  const std::string& eid = executor.executor_id().value();
  for (const auto& task : group.tasks()) {
    if (task.has_executor() &&
        task.executor().SerializeAsString() != executor.SerializeAsString()) {
      return "The `ExecutorInfo` of task '" + task.task_id().value() +
             "' is different from executor '" + eid + "'";
    }
  }

  Resources executor_resources(executor.resources());
  std::optional<double> cpus = executor_resources.cpus();
  if (!cpus || *cpus < kMinExecutorCpus) {
    return "Executor '" + eid + "' uses less CPUs (" + (cpus ? number(*cpus) : "None") +
           ") than the minimum required (" + number(kMinExecutorCpus) + ")";
  }
  std::optional<double> mem = executor_resources.mem();
  if (!mem || *mem < kMinExecutorMemMb) {
    return "Executor '" + eid + "' uses less memory (" + (mem ? bytes(*mem) : "None") +
           ") than the minimum required (" + bytes(kMinExecutorMemMb) + ")";
  }
  if (!executor_resources.disk()) {
    return "Executor '" + eid + "' uses no disk";
  }

  {
    // Revocable and non-revocable resources may not be mixed across the group.
    Resources all = executor_resources;
    for (const auto& task : group.tasks()) {
      all += Resources(task.resources());
    }
    if (!all.revocable().empty() && !all.nonRevocable().empty()) {
      return std::string(
          "Task group and executor mix revocable and non-revocable resources: cannot use both "
          "revocable and non-revocable resources");
    }
  }

  Resources total;
  for (const auto& task : group.tasks()) {
    total += Resources(task.resources());
  }
  if (context.agent_executors == nullptr || context.agent_executors->count(eid) == 0) {
    total += executor_resources;
  }
  if (!context.available.contains(total)) {
    return "Total resources " + total.str() +
           " required by task group and its executor are more than available " +
           context.available.str();
  }

  if (executor.has_container() && executor.container().has_linux_info() &&
      executor.container().linux_info().has_share_cgroups() &&
      executor.container().linux_info().share_cgroups()) {
    return std::string("The 'share_cgroups' field cannot be set to 'true' on executor containers");
  }
  std::optional<bool> share;
  for (const auto& task : group.tasks()) {
    bool mine = !(task.has_container() && task.container().has_linux_info() &&
                  task.container().linux_info().has_share_cgroups()) ||
                task.container().linux_info().share_cgroups();
    if (share && *share != mine) {
      return std::string(
          "If set, the value of 'share_cgroups' must be the same for all tasks in each task "
          "group and under a single executor");
    }
    share = mine;
  }
  return std::nullopt;
}

}  // namespace keel::master
