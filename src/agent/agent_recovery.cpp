// Agent recovery after a restart (spec §5.8, §2b.3): read the checkpoint, re-adopt the
// old agent id, rebuild the checkpointing frameworks' executors, tasks and status update
// streams, ask live executors to reregister, destroy those that do not, then register
// with the master again. --recover=cleanup shuts the old executors down instead.

#include <unistd.h>

#include <glog/logging.h>
#include <google/protobuf/util/message_differencer.h>

#include <filesystem>
#include <set>
#include <system_error>

#include "agent/agent.hpp"
#include "agent/checkpoint.hpp"
#include "agent/executor_setup.hpp"
#include "agent/paths.hpp"
#include "common/resource_conversions.hpp"

namespace keel::agent {

namespace {

constexpr const char* kUnknownContainer = "Abnormal executor termination: unknown container";

// Whether the update at the head of `records` up to the terminal one was acknowledged.
bool acknowledged(const std::vector<mesos::internal::StatusUpdateRecord>& records,
                  const std::string& uuid) {
  for (const auto& record : records) {
    if (record.type() == mesos::internal::StatusUpdateRecord::ACK && record.uuid() == uuid) {
      return true;
    }
  }
  return false;
}

}  // namespace

Status Agent::recover() {
  std::string boot_id;
  if (auto id = checkpoint::currentBootId()) {
    boot_id = *id;
  } else {
    LOG(WARNING) << "Could not read the boot id: " << id.message();
  }
  ASSIGN_OR_RETURN(RecoveredState state, readCheckpoint(work_dir_, flags_.strict, boot_id));
  if (state.errors > 0) {
    LOG(WARNING) << "Errors encountered during agent recovery: " << state.errors;
  }

  if (state.resources) {
    Resources checkpointed = Resources(*state.resources).unallocated();
    auto total = keel::applyCheckpointedResources(Resources(info_.resources()), checkpointed);
    if (!total) {
      return Status::error("Checkpointed resources " + checkpointed.str() +
                           " are incompatible with agent resources " + total_.str() + ": " +
                           total.message());
    }
    checkpointed_resources_ = std::move(checkpointed);
    total_ = std::move(*total);
  }

  if (state.agent && state.agent->info) {
    mesos::SlaveInfo current = info_;
    current.mutable_id()->set_value(state.agent->id);
    if (google::protobuf::util::MessageDifferencer::Equals(*state.agent->info, current)) {
      info_.mutable_id()->set_value(state.agent->id);
      LOG(INFO) << "Recovering agent " << agentId();
      for (const auto& [fid, framework] : state.agent->frameworks) {
        recoverFramework(framework, state.rebooted);
      }
    } else if (state.rebooted) {
      LOG(WARNING) << "The host rebooted and the agent info changed; starting as a new agent";
      ::unlink(checkpoint::latestAgentPath(work_dir_).c_str());
    } else {
      return Status::error(
          "Incompatible agent info detected (--reconfiguration_policy=equal).\nOld agent info:\n" +
          state.agent->info->DebugString() + "New agent info:\n" + current.DebugString() +
          "To start as a new agent: rm -f " + checkpoint::latestAgentPath(work_dir_));
    }
  }
  reconnectExecutors();
  return Status::ok();
}

void Agent::recoverFramework(const FrameworkCheckpoint& state, bool rebooted) {
  if (!state.info || state.executors.empty()) {
    LOG(INFO) << "Not recovering framework " << state.id << ": no info or no executors";
    removeFrameworkCheckpoint(state.id);
    return;
  }
  LOG(INFO) << "Recovering framework " << state.id << (rebooted ? " (host rebooted)" : "");
  auto framework = std::make_unique<FrameworkRecord>();
  framework->info = *state.info;
  if (!framework->info.has_id()) {
    framework->info.mutable_id()->set_value(state.id);
  }
  if (state.pid) {
    auto pid = wire::Pid::parse(*state.pid);
    if (pid && !pid->empty()) {
      framework->scheduler_pid = *pid;
    }
  }
  FrameworkRecord& record = *framework;
  frameworks_[state.id] = std::move(framework);
  for (const auto& [eid, executor] : state.executors) {
    recoverExecutor(record, executor);
  }
  if (record.executors.empty()) {
    frameworks_.erase(state.id);
    removeFrameworkCheckpoint(state.id);
  }
}

void Agent::recoverExecutor(FrameworkRecord& framework, const ExecutorCheckpoint& state) {
  auto run_it = state.latest ? state.runs.find(*state.latest) : state.runs.end();
  if (!state.info || run_it == state.runs.end()) {
    LOG(WARNING) << "Skipping recovery of executor '" << state.id << "' of framework "
                 << framework.id() << ": its info or latest run cannot be recovered";
    return;
  }
  const RunCheckpoint& run = run_it->second;
  auto executor = std::make_unique<ExecutorRecord>();
  executor->info = *state.info;
  executor->container_id.set_value(run.container_id);
  executor->directory =
      paths::runDir(work_dir_, agentId(), framework.id(), state.id, run.container_id);
  executor->command_executor = state.command_executor || isCommandExecutor(*state.info);
  executor->state = ExecutorRecord::State::kRegistering;
  executor->recovered = true;
  executor->launch_finished = true;
  executor->os_pid = run.forked_pid.value_or(-1);
  if (run.libprocess_pid) {
    if (auto pid = wire::Pid::parse(*run.libprocess_pid)) {
      executor->pid = *pid;
    }
  }
  for (const auto& [tid, task_state] : run.tasks) {
    if (!task_state.info) {
      LOG(WARNING) << "Skipping recovery of task " << tid << ": its info cannot be recovered";
      continue;
    }
    mesos::Task task = *task_state.info;
    bool completed = false;
    for (const auto& record : task_state.records) {
      if (record.type() != mesos::internal::StatusUpdateRecord::UPDATE) {
        continue;
      }
      const mesos::TaskStatus& status = record.update().status();
      task.set_state(status.state());
      mesos::TaskStatus* kept = task.add_statuses();
      kept->CopyFrom(status);
      kept->clear_data();
      if (isTerminalState(status.state())) {
        completed = acknowledged(task_state.records, status.uuid());
        break;
      }
    }
    Status streams =
        status_updates_->recover(framework.info.id(), task.task_id(), task_state.records,
                                 updatesPath(framework, *executor, tid));
    if (!streams) {
      LOG(ERROR) << "Failed to recover the status updates of task " << tid << ": "
                 << streams.message();
    }
    executor->ever_sent_task = true;
    if (completed) {
      executor->completed_tasks.push_back(std::move(task));
    } else if (isTerminalState(task.state())) {
      executor->terminated_tasks[tid] = std::move(task);
    } else {
      executor->launched_tasks[tid] = std::move(task);
    }
  }
  LOG(INFO) << "Recovered executor '" << state.id << "' of framework " << framework.id() << " (pid "
            << executor->os_pid << ", " << executor->pid.str() << ", "
            << executor->launched_tasks.size() << " live tasks)";
  framework.executors[state.id] = std::move(executor);
}

void Agent::reconnectExecutors() {
  const bool cleanup = flags_.recover == "cleanup";
  bool any = false;
  std::weak_ptr<bool> alive = alive_;
  runtime::EventLoop* loop = &loop_;
  for (auto& [fid, framework] : frameworks_) {
    for (auto& [eid, executor] : framework->executors) {
      any = true;
      std::string f = fid;
      std::string e = eid;
      std::string c = executor->container_id.value();
      if (executor->os_pid > 0) {
        // No longer necessarily our child: the launcher polls it until it is gone.
        launcher_.watch(executor->os_pid, [this, loop, alive, f, e, c](int status) {
          loop->post([this, alive, f, e, c, status] {
            if (alive.lock()) {
              onExecutorExited(f, e, c, status);
            }
          });
        });
      } else {
        // No forked pid (the host rebooted, or the agent died mid-launch): the process
        // cannot be found, as Mesos's containerizer reports an unknown container.
        executor->termination = TerminationCause{
            mesos::TASK_FAILED, mesos::TaskStatus::REASON_EXECUTOR_TERMINATED, kUnknownContainer};
        loop_.post([this, alive, f, e, c] {
          if (alive.lock()) {
            onExecutorExited(f, e, c, -1);
          }
        });
        continue;
      }
      if (!cleanup && !executor->pid.empty()) {
        LOG(INFO) << "Sending reconnect request to executor '" << eid << "' of framework " << fid
                  << " at " << executor->pid.str();
        mesos::internal::ReconnectExecutorMessage message;
        message.mutable_slave_id()->CopyFrom(info_.id());
        send(executor->pid, message);
      } else if (!cleanup) {
        LOG(INFO) << "Unable to reconnect to executor '" << eid << "' of framework " << fid
                  << ": it never registered";
      }
    }
  }
  if (cleanup) {
    LOG(INFO) << "--recover=cleanup: shutting down every recovered executor, then terminating";
    shutdown("Agent recovered with --recover=cleanup", [this] {
      if (on_terminated_) {
        on_terminated_("Agent recovered with --recover=cleanup");
      }
    });
    return;
  }
  if (!any) {
    finishRecovery();
    return;
  }
  state_ = State::kRecovering;
  reregistration_timer_ = loop_.schedule(flags_.executor_reregistration_timeout, [this] {
    reregistration_timer_ = 0;
    onReregistrationTimeout();
  });
}

void Agent::onReregistrationTimeout() {
  if (state_ != State::kRecovering) {
    return;
  }
  LOG(INFO) << "Cleaning up un-reregistered executors";
  for (auto& [fid, framework] : frameworks_) {
    for (auto& [eid, executor] : framework->executors) {
      if (executor->state != ExecutorRecord::State::kRegistering) {
        continue;
      }
      LOG(INFO) << "Killing un-reregistered executor '" << eid << "' of framework " << fid;
      executor->termination =
          TerminationCause{framework->partitionAware() ? mesos::TASK_GONE : mesos::TASK_LOST,
                           mesos::TaskStatus::REASON_EXECUTOR_REREGISTRATION_TIMEOUT,
                           "Executor did not reregister within " +
                               runtime::formatDuration(flags_.executor_reregistration_timeout)};
      destroyExecutor(*executor);
    }
  }
  finishRecovery();
}

void Agent::finishRecovery() {
  if (auto id = checkpoint::currentBootId()) {
    Status written = checkpoint::writeText(checkpoint::bootIdPath(work_dir_), *id);
    if (!written) {
      LOG(ERROR) << "Failed to checkpoint the boot id: " << written.message();
    }
  }
  LOG(INFO) << "Finished recovery";
  state_ = State::kDisconnected;
  startDetection();
}

void Agent::onReregisterExecutor(const wire::Pid& from,
                                 mesos::internal::ReregisterExecutorMessage&& m) {
  const std::string& fid = m.framework_id().value();
  const std::string& eid = m.executor_id().value();
  LOG(INFO) << "Received re-registration message from executor '" << eid << "' of framework "
            << fid;
  auto fit = frameworks_.find(fid);
  FrameworkRecord* framework = fit == frameworks_.end() ? nullptr : fit->second.get();
  ExecutorRecord* executor = framework == nullptr ? nullptr : findExecutor(fid, eid);
  if (state_ == State::kTerminating || framework == nullptr ||
      framework->state == FrameworkRecord::State::kTerminating || executor == nullptr ||
      executor->state != ExecutorRecord::State::kRegistering) {
    LOG(WARNING) << "Shutting down executor '" << eid << "' of framework " << fid
                 << ": the agent, framework or executor is unknown, terminating or running";
    send(from, mesos::internal::ShutdownExecutorMessage());
    return;
  }
  executor->state = ExecutorRecord::State::kRunning;
  executor->pid = from;
  transport_.link(kProcessId, from);
  checkpointLibprocessPid(*framework, *executor);

  mesos::internal::ExecutorReregisteredMessage reregistered;
  reregistered.mutable_slave_id()->CopyFrom(info_.id());
  reregistered.mutable_slave_info()->CopyFrom(info_);
  send(from, reregistered);

  // Updates the executor never saw acknowledged; duplicates of checkpointed ones are
  // recognised by uuid and only re-acknowledged.
  for (auto& update : *m.mutable_updates()) {
    mesos::internal::StatusUpdateMessage message;
    *message.mutable_update() = std::move(update);
    message.set_pid(from.str());
    onStatusUpdate(from, std::move(message));
  }
  // A task still STAGING that the executor does not know was sent while the agent was
  // going down and never arrived.
  std::set<std::string> unacknowledged;
  for (const auto& task : m.tasks()) {
    unacknowledged.insert(task.task_id().value());
  }
  executor = findExecutor(fid, eid);
  if (executor == nullptr) {
    return;
  }
  std::vector<mesos::TaskID> undelivered;
  for (const auto& [tid, task] : executor->launched_tasks) {
    if (task.state() == mesos::TASK_STAGING && unacknowledged.count(tid) == 0) {
      undelivered.push_back(task.task_id());
    }
  }
  for (const auto& task_id : undelivered) {
    sendAgentUpdate(framework->info.id(), task_id, &executor->info.executor_id(),
                    framework->partitionAware() ? mesos::TASK_DROPPED : mesos::TASK_LOST,
                    mesos::TaskStatus::REASON_SLAVE_RESTARTED,
                    "Task launched during agent restart");
  }
  if (!executor->ever_sent_task && executor->queued_tasks.empty()) {
    LOG(WARNING) << "Shutting down reregistering executor '" << eid
                 << "': it has no tasks to run and was never sent one";
    shutdownExecutor(*framework, *executor);
  }
}

}  // namespace keel::agent
