// Status updates, acknowledgements, kills, reconciliation, framework messages and
// executor exits (spec §3.7–§3.10, §3.14).

#include <glog/logging.h>

#include "allocator/allocator.hpp"
#include "common/ids.hpp"
#include "master/master.hpp"

namespace keel::master {

mesos::TaskStatus Master::masterStatus(const mesos::TaskInfo& task,
                                       const std::string& framework_id, mesos::TaskState state,
                                       mesos::TaskStatus::Reason reason,
                                       const std::string& message) const {
  mesos::TaskStatus status;
  *status.mutable_task_id() = task.task_id();
  status.set_state(state);
  status.set_source(mesos::TaskStatus::SOURCE_MASTER);
  status.set_reason(reason);
  status.set_message(message);
  if (task.has_slave_id()) {
    *status.mutable_slave_id() = task.slave_id();
  }
  status.set_timestamp(now());
  return status;
}

void Master::sendMasterUpdate(FrameworkState& framework, const mesos::TaskStatus& status) {
  // Master-generated updates carry no uuid and no acknowledgee: nobody acknowledges them.
  forwardUpdate(framework, status, wire::Pid{}, "");
}

namespace {

// The StatusUpdateMessage a framework gets for `status` (moved in).
mesos::internal::StatusUpdateMessage frameworkUpdate(const std::string& framework_id,
                                                     mesos::TaskStatus&& status,
                                                     const wire::Pid& acknowledgee,
                                                     const std::string& uuid, double now) {
  mesos::internal::StatusUpdateMessage msg;
  auto* update = msg.mutable_update();
  update->mutable_framework_id()->set_value(framework_id);
  if (status.has_executor_id()) {
    *update->mutable_executor_id() = status.executor_id();
  }
  if (status.has_slave_id()) {
    *update->mutable_slave_id() = status.slave_id();
  }
  update->set_timestamp(status.has_timestamp() ? status.timestamp() : now);
  *update->mutable_status() = std::move(status);
  if (!uuid.empty()) {
    update->set_uuid(uuid);
  }
  msg.set_pid(acknowledgee.str());
  return msg;
}

}  // namespace

void Master::forwardUpdate(FrameworkState& framework, const mesos::TaskStatus& status,
                           const wire::Pid& acknowledgee, const std::string& uuid) {
  if (!framework.connected) {
    return;  // The agent retries; a disconnected framework learns by reconciliation.
  }
  send(framework.pid,
       frameworkUpdate(framework.id(), mesos::TaskStatus(status), acknowledgee, uuid, now()));
}

void Master::recoverTaskResources(const mesos::Task& task) {
  allocator_->recoverResources(task.framework_id().value(), task.slave_id().value(),
                               Resources(task.resources()), std::nullopt, loop_.clock().now());
  scheduleAllocation(task.slave_id().value());
}

void Master::updateTaskState(mesos::Task& task, const mesos::TaskStatus& status,
                             std::optional<mesos::TaskState> latest_state) {
  const bool was_terminal = isTerminalState(task.state()) || task.state() == mesos::TASK_UNREACHABLE;
  mesos::TaskState new_state = latest_state.value_or(status.state());
  task.set_state(new_state);
  // Keep only the latest status per state, without its data, to bound memory.
  mesos::TaskStatus* stored = nullptr;
  for (auto& s : *task.mutable_statuses()) {
    if (s.state() != status.state()) {
      continue;
    }
    if (stored == nullptr) {
      stored = &s;
      s = status;
      s.clear_data();
    } else {
      s = *stored;
    }
  }
  if (stored == nullptr) {
    stored = task.add_statuses();
    *stored = status;
    stored->clear_data();
  }
  const bool now_terminal = isTerminalState(new_state) || new_state == mesos::TASK_UNREACHABLE;
  if (!was_terminal && now_terminal) {
    // Resources come back at once, before the terminal update is acknowledged.
    recoverTaskResources(task);
  }
}

void Master::transitionTask(FrameworkState& framework, mesos::Task& task, mesos::TaskState state,
                            mesos::TaskStatus::Reason reason, const std::string& message,
                            bool notify) {
  mesos::TaskStatus status;
  *status.mutable_task_id() = task.task_id();
  *status.mutable_slave_id() = task.slave_id();
  if (task.has_executor_id()) *status.mutable_executor_id() = task.executor_id();
  status.set_state(state);
  status.set_source(mesos::TaskStatus::SOURCE_MASTER);
  status.set_reason(reason);
  status.set_message(message);
  status.set_timestamp(now());
  if (state == mesos::TASK_UNREACHABLE) {
    status.mutable_unreachable_time()->set_nanoseconds(static_cast<int64_t>(now() * 1e9));
  }
  updateTaskState(task, status, std::nullopt);
  task.set_status_update_state(state);
  if (notify) {
    sendMasterUpdate(framework, status);
  }
}

void Master::removeTask(FrameworkState& framework, const std::string& task_id,
                        bool to_completed) {
  auto it = framework.tasks.find(task_id);
  if (it == framework.tasks.end()) {
    return;
  }
  std::unique_ptr<mesos::Task> task = std::move(it->second);
  framework.tasks.erase(it);
  if (AgentState* agent = lookupAgent(task->slave_id().value())) {
    auto ft = agent->tasks.find(framework.id());
    if (ft != agent->tasks.end()) {
      ft->second.erase(task_id);
      if (ft->second.empty()) agent->tasks.erase(ft);
    }
    auto kt = agent->killed_tasks.find(framework.id());
    if (kt != agent->killed_tasks.end()) {
      kt->second.erase(task_id);
    }
  }
  if (to_completed) {
    framework.addCompleted(std::move(*task), static_cast<size_t>(std::max<int64_t>(
                                                 flags_.max_completed_tasks_per_framework, 0)));
  }
}

void Master::moveToUnreachable(FrameworkState& framework, const std::string& task_id) {
  auto it = framework.tasks.find(task_id);
  if (it == framework.tasks.end()) {
    return;
  }
  mesos::Task task = *it->second;
  removeTask(framework, task_id, false);
  framework.unreachable_tasks[task_id] = std::move(task);
  framework.unreachable_order.push_back(task_id);
  while (framework.unreachable_order.size() >
         static_cast<size_t>(flags_.max_unreachable_tasks_per_framework)) {
    framework.unreachable_tasks.erase(framework.unreachable_order.front());
    framework.unreachable_order.pop_front();
  }
}

void Master::statusUpdate(const wire::Pid& from, mesos::internal::StatusUpdateMessage&& msg) {
  const mesos::internal::StatusUpdate& update = msg.update();
  AgentState* agent = lookupAgent(update.slave_id().value());
  if (agent == nullptr || agent->pid != from) {
    LOG(WARNING) << "Ignoring status update from unknown agent " << update.slave_id().value()
                 << " at " << from.str();
    metrics_.invalid_status_updates++;
    return;
  }
  if (update.uuid().size() != 16) {
    LOG(WARNING) << "Ignoring status update with an invalid uuid from agent " << agent->id();
    metrics_.invalid_status_updates++;
    return;
  }
  metrics_.valid_status_updates++;
  FrameworkState* framework = lookupFramework(update.framework_id().value());
  if (framework == nullptr) {
    LOG(WARNING) << "Status update for unknown framework " << update.framework_id().value();
    return;
  }
  const mesos::TaskStatus& status = update.status();
  auto it = framework->tasks.find(status.task_id().value());
  if (it != framework->tasks.end()) {
    mesos::Task& task = *it->second;
    std::optional<mesos::TaskState> latest;
    if (update.has_latest_state()) latest = update.latest_state();
    updateTaskState(task, status, latest);
    task.set_status_update_state(status.state());
    task.set_status_update_uuid(update.uuid());
  }
  // The acknowledgee is the agent that sent it: the scheduler's ack goes back there. As
  // forwardUpdate, with the status moved out of the agent's message rather than copied.
  if (framework->connected) {
    mesos::internal::StatusUpdate* received = msg.mutable_update();
    send(framework->pid, frameworkUpdate(framework->id(), std::move(*received->mutable_status()),
                                         from, received->uuid(), now()));
  }
}

void Master::acknowledge(FrameworkState& framework, const std::string& agent_id,
                         const std::string& task_id, const std::string& uuid) {
  AgentState* agent = lookupAgent(agent_id);
  if (agent == nullptr || !agent->connected) {
    LOG(WARNING) << "Dropping acknowledgement for task " << task_id << " on unknown agent "
                 << agent_id;
    return;
  }
  auto it = framework.tasks.find(task_id);
  if (it != framework.tasks.end()) {
    const mesos::Task& task = *it->second;
    // The terminal update is acknowledged: the task leaves the active list.
    if (isTerminalState(task.status_update_state()) && task.status_update_uuid() == uuid) {
      removeTask(framework, task_id, true);
    }
  }
  mesos::internal::StatusUpdateAcknowledgementMessage ack;
  ack.mutable_slave_id()->set_value(agent_id);
  ack.mutable_framework_id()->set_value(framework.id());
  ack.mutable_task_id()->set_value(task_id);
  ack.set_uuid(uuid);
  send(agent->pid, ack);
}

void Master::kill(FrameworkState& framework, const std::string& task_id,
                  const std::string& agent_id, const mesos::KillPolicy* kill_policy) {
  auto it = framework.tasks.find(task_id);
  if (it == framework.tasks.end()) {
    // Unknown task: answer as explicit reconciliation of that one task (spec §3.7).
    mesos::TaskStatus s;
    s.mutable_task_id()->set_value(task_id);
    if (!agent_id.empty()) s.mutable_slave_id()->set_value(agent_id);
    reconcile(framework, {s});
    return;
  }
  mesos::Task& task = *it->second;
  if (!agent_id.empty() && task.slave_id().value() != agent_id) {
    LOG(WARNING) << "Ignoring kill of task " << task_id << " naming the wrong agent";
    return;
  }
  AgentState* agent = lookupAgent(task.slave_id().value());
  if (agent == nullptr) {
    return;
  }
  agent->killed_tasks[framework.id()].insert(task_id);
  if (agent->connected) {
    mesos::internal::KillTaskMessage m;
    m.mutable_framework_id()->set_value(framework.id());
    m.mutable_task_id()->set_value(task_id);
    if (kill_policy != nullptr) *m.mutable_kill_policy() = *kill_policy;
    send(agent->pid, m);
  }
}

void Master::reconcile(FrameworkState& framework, const std::vector<mesos::TaskStatus>& statuses) {
  auto answer = [&](const mesos::Task& task) {
    mesos::TaskStatus s;
    *s.mutable_task_id() = task.task_id();
    *s.mutable_slave_id() = task.slave_id();
    if (task.has_executor_id()) *s.mutable_executor_id() = task.executor_id();
    s.set_state(task.has_status_update_state() ? task.status_update_state() : task.state());
    s.set_source(mesos::TaskStatus::SOURCE_MASTER);
    s.set_reason(mesos::TaskStatus::REASON_RECONCILIATION);
    s.set_message("Reconciliation: Latest task state");
    s.set_timestamp(now());
    sendMasterUpdate(framework, s);
  };
  if (statuses.empty()) {
    for (const auto& [id, task] : framework.tasks) {
      answer(*task);
    }
    return;
  }
  const bool aware = framework.partitionAware();
  for (const auto& entry : statuses) {
    auto it = framework.tasks.find(entry.task_id().value());
    if (it != framework.tasks.end()) {
      answer(*it->second);
      continue;
    }
    mesos::TaskState state = mesos::TASK_UNKNOWN;
    std::string message = "Reconciliation: Task is unknown";
    const std::string agent_id = entry.has_slave_id() ? entry.slave_id().value() : "";
    if (awaitingRecoveredAgent(agent_id)) {
      // Its agent (or, with no agent named, some agent) is known from the registry but has
      // not re-registered since the master failed over: no answer, the framework retries.
      continue;
    }
    if (!agent_id.empty() && lookupAgent(agent_id) != nullptr) {
      state = mesos::TASK_GONE;
      message = "Reconciliation: Task is unknown to the agent";
    } else if (!agent_id.empty() && unreachable_agents_.count(agent_id)) {
      state = mesos::TASK_UNREACHABLE;
      message = "Reconciliation: Task is unreachable";
    } else if (!agent_id.empty() && gone_agents_.count(agent_id)) {
      state = mesos::TASK_GONE_BY_OPERATOR;
      message = "Reconciliation: Task is gone";
    }
    mesos::TaskStatus s;
    *s.mutable_task_id() = entry.task_id();
    if (!agent_id.empty()) *s.mutable_slave_id() = entry.slave_id();
    s.set_state(aware ? state : mesos::TASK_LOST);
    s.set_source(mesos::TaskStatus::SOURCE_MASTER);
    s.set_reason(mesos::TaskStatus::REASON_RECONCILIATION);
    s.set_message(message);
    s.set_timestamp(now());
    if (state == mesos::TASK_UNREACHABLE) {
      s.mutable_unreachable_time()->set_nanoseconds(
          static_cast<int64_t>(unreachable_agents_[agent_id] * 1e9));
    }
    sendMasterUpdate(framework, s);
  }
}

void Master::frameworkToExecutor(FrameworkState& framework, const std::string& agent_id,
                                 const std::string& executor_id, const std::string& data) {
  AgentState* agent = lookupAgent(agent_id);
  if (agent == nullptr || !agent->connected) {
    LOG(WARNING) << "Dropping framework message for executor " << executor_id
                 << " on unknown or disconnected agent " << agent_id;
    return;
  }
  mesos::internal::FrameworkToExecutorMessage m;
  m.mutable_slave_id()->set_value(agent_id);
  m.mutable_framework_id()->set_value(framework.id());
  m.mutable_executor_id()->set_value(executor_id);
  m.set_data(data);
  send(agent->pid, m);
}

void Master::executorToFramework(const wire::Pid& from,
                                 mesos::internal::ExecutorToFrameworkMessage&& msg) {
  FrameworkState* framework = lookupFramework(msg.framework_id().value());
  if (framework == nullptr || !framework->connected) {
    LOG(WARNING) << "Dropping executor message for unknown or disconnected framework "
                 << msg.framework_id().value();
    return;
  }
  send(framework->pid, msg);
}

void Master::exitedExecutor(const wire::Pid& from, mesos::internal::ExitedExecutorMessage&& msg) {
  AgentState* agent = lookupAgent(msg.slave_id().value());
  if (agent == nullptr || agent->pid != from) {
    LOG(WARNING) << "Ignoring executor exit from unknown agent " << msg.slave_id().value();
    return;
  }
  const std::string fid = msg.framework_id().value();
  const std::string eid = msg.executor_id().value();
  auto fe = agent->executors.find(fid);
  if (fe == agent->executors.end() || fe->second.count(eid) == 0) {
    LOG(WARNING) << "Ignoring exit of unknown executor " << eid;
    return;
  }
  Resources resources(fe->second[eid].resources());
  fe->second.erase(eid);
  allocator_->recoverResources(fid, agent->id(), resources, std::nullopt, loop_.clock().now());
  if (FrameworkState* framework = lookupFramework(fid)) {
    framework->executors[agent->id()].erase(eid);
    if (framework->connected) {
      send(framework->pid, msg);
    }
  }
}

}  // namespace keel::master
