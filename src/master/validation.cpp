#include "master/validation.hpp"

#include <mesos/mesos.pb.h>

#include <cmath>
#include <set>

#include "common/ids.hpp"

namespace keel::master {

namespace {

bool hasCapability(const mesos::FrameworkInfo& info,
                   mesos::FrameworkInfo::Capability::Type type) {
  for (const auto& c : info.capabilities()) {
    if (c.type() == type) {
      return true;
    }
  }
  return false;
}

Error validateExecutor(const mesos::ExecutorInfo& executor, const TaskContext& context) {
  if (Status s = validateId(executor.executor_id().value()); !s.isOk()) {
    return "Executor ID '" + executor.executor_id().value() + "' is invalid: " + s.message();
  }
  if (executor.has_type() && executor.type() != mesos::ExecutorInfo::CUSTOM) {
    return std::string("'ExecutorInfo.type' must be 'CUSTOM' for a task launched with LAUNCH");
  }
  if (!executor.has_command()) {
    return std::string("'ExecutorInfo.command' must be set for 'CUSTOM' executors");
  }
  if (executor.has_framework_id() && executor.framework_id().value() != context.framework_id) {
    return "ExecutorInfo has an invalid FrameworkID (Actual: " + executor.framework_id().value() +
           " vs Expected: " + context.framework_id + ")";
  }
  if (executor.has_shutdown_grace_period() && executor.shutdown_grace_period().nanoseconds() < 0) {
    return std::string("ExecutorInfo's 'shutdown_grace_period' must be non-negative");
  }
  if (Status s = Resources::validate(executor.resources()); !s.isOk()) {
    return "Executor uses invalid resources: " + s.message();
  }
  for (const auto& r : executor.resources()) {
    if (r.has_shared()) {
      return std::string("Executor resources cannot be shared");
    }
  }
  if (context.agent_executors != nullptr) {
    auto it = context.agent_executors->find(executor.executor_id().value());
    if (it != context.agent_executors->end()) {
      // Mesos compares the stored ExecutorInfo (which has framework_id filled in).
      mesos::ExecutorInfo normalized = executor;
      if (!normalized.has_framework_id()) {
        normalized.mutable_framework_id()->set_value(context.framework_id);
      }
      if (normalized.SerializeAsString() != it->second.SerializeAsString()) {
        return "ExecutorInfo is not compatible with existing ExecutorInfo with same ExecutorID";
      }
    }
  }
  return std::nullopt;
}

}  // namespace

Error validateRole(const std::string& role) {
  if (role == "*") {
    return std::nullopt;
  }
  if (role.empty()) {
    return std::string("Empty role name is invalid");
  }
  if (role.front() == '/' || role.back() == '/') {
    return "Role '" + role + "' cannot start or end with a slash";
  }
  size_t start = 0;
  while (start <= role.size()) {
    size_t end = role.find('/', start);
    if (end == std::string::npos) {
      end = role.size();
    }
    std::string part = role.substr(start, end - start);
    if (part.empty()) {
      return "Role '" + role + "' cannot contain two adjacent slashes";
    }
    if (part == "." || part == ".." || part == "*") {
      return "Role '" + role + "' cannot contain '" + part + "' as a path component";
    }
    if (part.front() == '-') {
      return "Role '" + role + "' cannot have a path component starting with '-'";
    }
    for (char c : part) {
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == '\b') {
        return "Role '" + role + "' cannot contain whitespace or backspace characters";
      }
    }
    start = end + 1;
  }
  return std::nullopt;
}

Error validateFrameworkInfo(const mesos::FrameworkInfo& info) {
  bool multi_role = hasCapability(info, mesos::FrameworkInfo::Capability::MULTI_ROLE);
  if (multi_role) {
    if (info.has_role()) {
      return std::string("'FrameworkInfo.role' must not be set when the framework has the "
                         "MULTI_ROLE capability");
    }
    std::set<std::string> seen;
    for (const auto& role : info.roles()) {
      if (Error e = validateRole(role)) {
        return e;
      }
      if (!seen.insert(role).second) {
        return "'FrameworkInfo.roles' contains duplicate role '" + role + "'";
      }
    }
  } else {
    if (info.roles_size() > 0) {
      return std::string("'FrameworkInfo.roles' must not be set when the framework does not have "
                         "the MULTI_ROLE capability");
    }
    if (Error e = validateRole(info.role())) {
      return e;
    }
  }
  if (info.has_id()) {
    if (Status s = validateId(info.id().value()); !s.isOk()) {
      return "Invalid framework id: " + s.message();
    }
  }
  if (!std::isfinite(info.failover_timeout()) || info.failover_timeout() < 0 ||
      info.failover_timeout() > 9.2e9) {
    return "Invalid failover_timeout: " + std::to_string(info.failover_timeout());
  }
  return std::nullopt;
}

Resources taskAndNewExecutorResources(const mesos::TaskInfo& task,
                                      const std::map<std::string, mesos::ExecutorInfo>& executors) {
  Resources needed(task.resources());
  if (task.has_executor() && executors.count(task.executor().executor_id().value()) == 0) {
    needed += Resources(task.executor().resources());
  }
  return needed;
}

Error validateTaskGeneral(const mesos::TaskInfo& task, const TaskContext& context) {
  const std::string& id = task.task_id().value();
  if (Status s = validateId(id); !s.isOk()) {
    return "Task ID '" + id + "' is invalid: " + s.message();
  }
  if (context.task_id_in_use && context.task_id_in_use(id)) {
    return "Task has duplicate ID: " + id;
  }
  if (context.task_id_unreachable && context.task_id_unreachable(id)) {
    return "Task reuses the ID of an unreachable task: " + id;
  }
  if (task.slave_id().value() != context.agent_id) {
    return "Task uses invalid agent " + task.slave_id().value() + " while agent " +
           context.agent_id + " is expected";
  }
  if (task.has_kill_policy() && task.kill_policy().has_grace_period() &&
      task.kill_policy().grace_period().nanoseconds() < 0) {
    return std::string("Task's 'kill_policy.grace_period' must be non-negative");
  }
  if (task.has_max_completion_time() && task.max_completion_time().nanoseconds() < 0) {
    return std::string("Task's `max_completion_time` must be non-negative");
  }
  if (task.resources_size() == 0) {
    return std::string("Task uses no resources");
  }
  if (Status s = Resources::validate(task.resources()); !s.isOk()) {
    return "Task uses invalid resources: " + s.message();
  }
  {
    std::set<std::string> roles;
    for (const auto& r : task.resources()) {
      roles.insert(r.has_allocation_info() ? r.allocation_info().role() : std::string("*"));
    }
    if (roles.size() > 1) {
      return std::string("The resources have multiple allocation roles");
    }
  }
  return std::nullopt;
}

Error validateTask(const mesos::TaskInfo& task, const TaskContext& context) {
  if (Error e = validateTaskGeneral(task, context)) {
    return e;
  }
  if (task.has_command() == task.has_executor()) {
    return std::string(
        "Task should have at least one (but not both) of CommandInfo or ExecutorInfo present");
  }
  if (task.has_command() && !task.command().shell() && !task.command().has_value()) {
    return std::string("Command value must be set when shell is false");
  }
  if (task.has_executor()) {
    if (Error e = validateExecutor(task.executor(), context)) {
      return e;
    }
  }
  static const std::map<std::string, mesos::ExecutorInfo> kNone;
  const auto& executors = context.agent_executors ? *context.agent_executors : kNone;
  Resources needed = taskAndNewExecutorResources(task, executors);
  if (!context.available.contains(needed)) {
    return "Total resources " + needed.str() + " required by task and its executor is more than "
           "available " + context.available.str();
  }
  if (context.needed != nullptr) {
    *context.needed = std::move(needed);
  }
  return std::nullopt;
}

}  // namespace keel::master
