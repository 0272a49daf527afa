// Status updates from executors and from the agent itself, the master's relayed
// acknowledgements, reconciliation and framework messages (spec §5.7, §3.10, §5.1).

#include <glog/logging.h>

#include "agent/agent.hpp"
#include "common/ids.hpp"

namespace keel::agent {

void Agent::onStatusUpdate(const wire::Pid& from, mesos::internal::StatusUpdateMessage&& m) {
  mesos::internal::StatusUpdate& update = *m.mutable_update();
  const std::string& tid = update.status().task_id().value();
  if (state_ == State::kTerminating) {
    LOG(WARNING) << "Ignoring status update for task " << tid << ": the agent is terminating";
    return;
  }
  if (!update.has_uuid() && !update.status().has_uuid()) {
    LOG(WARNING) << "Ignoring status update for task " << tid << " without a uuid";
    return;
  }
  if (update.has_slave_id() && update.slave_id().value() != agentId()) {
    LOG(WARNING) << "Ignoring status update for task " << tid << " addressed to agent "
                 << update.slave_id().value();
    return;
  }
  std::optional<wire::Pid> executor_pid;
  if (m.has_pid()) {
    auto pid = wire::Pid::parse(m.pid());
    if (pid && !pid->empty()) {
      executor_pid = *pid;
    }
  }
  if (!executor_pid) {
    executor_pid = from;
  }
  if (update.status().state() == mesos::TASK_STAGING) {
    LOG(ERROR) << "Executor sent TASK_STAGING for task " << tid << "; shutting it down";
    auto fit = frameworks_.find(update.framework_id().value());
    if (fit != frameworks_.end()) {
      if (ExecutorRecord* executor = fit->second->executorOfTask(tid)) {
        shutdownExecutor(*fit->second, *executor);
      }
    }
    return;
  }
  handleUpdate(std::move(update), executor_pid);
}

void Agent::handleUpdate(mesos::internal::StatusUpdate update,
                         const std::optional<wire::Pid>& ack_to) {
  const std::string& fid = update.framework_id().value();
  const std::string tid = update.status().task_id().value();
  auto fit = frameworks_.find(fid);
  FrameworkRecord* framework = fit == frameworks_.end() ? nullptr : fit->second.get();
  if (framework != nullptr && framework->state == FrameworkRecord::State::kTerminating) {
    LOG(WARNING) << "Dropping status update for task " << tid << " of terminating framework "
                 << fid;
    return;
  }
  ExecutorRecord* executor = framework == nullptr ? nullptr : framework->executorOfTask(tid);

  mesos::TaskStatus* status = update.mutable_status();
  if (update.has_uuid()) {
    status->set_uuid(update.uuid());
  } else {
    update.set_uuid(status->uuid());
  }
  status->set_source(ack_to ? mesos::TaskStatus::SOURCE_EXECUTOR : mesos::TaskStatus::SOURCE_SLAVE);
  if (update.has_executor_id()) {
    status->mutable_executor_id()->CopyFrom(update.executor_id());
  }
  if (executor != nullptr) {
    mesos::ContainerStatus* container = status->mutable_container_status();
    container->mutable_container_id()->CopyFrom(executor->container_id);
    if (executor->os_pid > 0) {
      container->set_executor_pid(static_cast<uint32_t>(executor->os_pid));
    }
    if (container->network_infos_size() == 0) {
      container->add_network_infos()->add_ip_addresses()->set_ip_address(self_.ip);
    }
  }

  std::string checkpoint_path =
      executor != nullptr ? updatesPath(*framework, *executor, tid) : std::string();
  Result<bool> recorded = status_updates_->update(update, checkpoint_path);
  if (!recorded) {
    LOG(ERROR) << "Failed to handle status update for task " << tid << ": " << recorded.message();
    return;
  }
  if (*recorded && executor != nullptr) {
    if (mesos::Task* task = executor->findTask(tid)) {
      task->set_state(status->state());
      mesos::TaskStatus* kept = task->add_statuses();
      kept->CopyFrom(*status);
      kept->clear_data();
      if (isTerminalState(status->state())) {
        auto it = executor->launched_tasks.find(tid);
        if (it != executor->launched_tasks.end()) {
          executor->terminated_tasks[tid] = std::move(it->second);
          executor->launched_tasks.erase(it);
        }
      }
    }
  }
  if (ack_to) {
    mesos::internal::StatusUpdateAcknowledgementMessage ack;
    ack.mutable_slave_id()->CopyFrom(info_.id());
    ack.mutable_framework_id()->CopyFrom(update.framework_id());
    ack.mutable_task_id()->CopyFrom(status->task_id());
    ack.set_uuid(status->uuid());
    send(*ack_to, ack);
  }
}

void Agent::sendAgentUpdate(const mesos::FrameworkID& framework_id, const mesos::TaskID& task_id,
                            const mesos::ExecutorID* executor_id, mesos::TaskState state,
                            mesos::TaskStatus::Reason reason, const std::string& message) {
  double now = loop_.clock().unixSeconds();
  std::string uuid = uuidBytes();
  mesos::internal::StatusUpdate update;
  update.mutable_framework_id()->CopyFrom(framework_id);
  if (executor_id != nullptr) {
    update.mutable_executor_id()->CopyFrom(*executor_id);
  }
  update.mutable_slave_id()->CopyFrom(info_.id());
  mesos::TaskStatus* status = update.mutable_status();
  status->mutable_task_id()->CopyFrom(task_id);
  status->set_state(state);
  status->set_source(mesos::TaskStatus::SOURCE_SLAVE);
  status->set_reason(reason);
  status->set_message(message);
  status->mutable_slave_id()->CopyFrom(info_.id());
  if (executor_id != nullptr) {
    status->mutable_executor_id()->CopyFrom(*executor_id);
  }
  status->set_timestamp(now);
  status->set_uuid(uuid);
  update.set_timestamp(now);
  update.set_uuid(uuid);
  LOG(INFO) << "Sending " << mesos::TaskState_Name(state) << " ("
            << mesos::TaskStatus::Reason_Name(reason) << ") for task " << task_id.value()
            << " of framework " << framework_id.value() << ": " << message;
  handleUpdate(std::move(update), std::nullopt);
}

void Agent::forwardUpdate(const mesos::internal::StatusUpdate& update) {
  if (state_ != State::kRunning) {
    return;
  }
  mesos::internal::StatusUpdateMessage message;
  message.mutable_update()->CopyFrom(update);
  message.set_pid(self_.str());
  send(master_, message);
}

void Agent::onStatusUpdateAck(const wire::Pid& from,
                              const mesos::internal::StatusUpdateAcknowledgementMessage& m) {
  const std::string& fid = m.framework_id().value();
  const std::string& tid = m.task_id().value();
  Result<bool> acked = status_updates_->acknowledge(m.framework_id(), m.task_id(), m.uuid());
  if (!acked) {
    LOG(WARNING) << "Ignoring acknowledgement from " << from.str() << ": " << acked.message();
    return;
  }
  if (!*acked) {
    return;
  }
  // The terminal update was acknowledged: the task is complete.
  auto fit = frameworks_.find(fid);
  if (fit == frameworks_.end()) {
    return;
  }
  FrameworkRecord& framework = *fit->second;
  ExecutorRecord* executor = framework.executorOfTask(tid);
  if (executor == nullptr) {
    return;
  }
  auto it = executor->terminated_tasks.find(tid);
  if (it != executor->terminated_tasks.end()) {
    executor->completed_tasks.push_back(std::move(it->second));
    executor->terminated_tasks.erase(it);
    while (executor->completed_tasks.size() > kMaxCompletedTasksPerExecutor) {
      executor->completed_tasks.pop_front();
    }
  }
  maybeRemoveExecutor(framework, executor->info.executor_id().value());
  maybeRemoveFramework(fid);
}

void Agent::reconcile(const mesos::internal::ReconcileTasksMessage& reconciliation) {
  const std::string& fid = reconciliation.framework_id().value();
  auto fit = frameworks_.find(fid);
  FrameworkRecord* framework = fit == frameworks_.end() ? nullptr : fit->second.get();
  bool partition_aware = false;
  if (reconciliation.has_framework()) {
    for (const auto& c : reconciliation.framework().capabilities()) {
      partition_aware |= c.type() == mesos::FrameworkInfo::Capability::PARTITION_AWARE;
    }
  } else if (framework != nullptr) {
    partition_aware = framework->partitionAware();
  }
  for (const auto& status : reconciliation.statuses()) {
    const std::string& tid = status.task_id().value();
    if (framework != nullptr && framework->executorOfTask(tid) != nullptr) {
      continue;
    }
    sendAgentUpdate(reconciliation.framework_id(), status.task_id(), nullptr,
                    partition_aware ? mesos::TASK_DROPPED : mesos::TASK_LOST,
                    mesos::TaskStatus::REASON_RECONCILIATION,
                    "Reconciliation: task unknown to the agent");
  }
}

void Agent::onFrameworkToExecutor(const wire::Pid& from,
                                  const mesos::internal::FrameworkToExecutorMessage& m) {
  const std::string& fid = m.framework_id().value();
  const std::string& eid = m.executor_id().value();
  auto fit = frameworks_.find(fid);
  if (fit == frameworks_.end() || fit->second->state == FrameworkRecord::State::kTerminating) {
    LOG(WARNING) << "Dropping framework message for executor " << eid
                 << " of unknown or terminating framework " << fid;
    return;
  }
  ExecutorRecord* executor = findExecutor(fid, eid);
  if (executor == nullptr || executor->state != ExecutorRecord::State::kRunning) {
    LOG(WARNING) << "Dropping framework message for executor " << eid << " which is not registered";
    return;
  }
  send(executor->pid, m);
}

void Agent::onExecutorToFramework(const wire::Pid& from,
                                  const mesos::internal::ExecutorToFrameworkMessage& m) {
  const std::string& fid = m.framework_id().value();
  auto fit = frameworks_.find(fid);
  if (fit == frameworks_.end()) {
    LOG(WARNING) << "Dropping executor message for unknown framework " << fid;
    return;
  }
  const FrameworkRecord& framework = *fit->second;
  if (framework.scheduler_pid) {
    send(*framework.scheduler_pid, m);
  } else if (state_ == State::kRunning) {
    send(master_, m);
  }
}

}  // namespace keel::agent
