// The task launch path, executor registration, kills, shutdowns and executor exit
// (spec §5.2, §5.6, §5.9).

#include <signal.h>

#include <algorithm>
#include <set>

#include <glog/logging.h>

#include "agent/agent.hpp"
#include "agent/executor_setup.hpp"
#include "agent/flag_text.hpp"
#include "agent/paths.hpp"
#include "common/ids.hpp"

namespace keel::agent {

namespace {

mesos::Task createTask(const mesos::TaskInfo& info, const mesos::FrameworkID& framework_id,
                       const mesos::SlaveID& agent_id) {
  mesos::Task task;
  task.set_name(info.name());
  task.mutable_task_id()->CopyFrom(info.task_id());
  task.mutable_framework_id()->CopyFrom(framework_id);
  if (info.has_executor()) {
    task.mutable_executor_id()->CopyFrom(info.executor().executor_id());
  }
  task.mutable_slave_id()->CopyFrom(agent_id);
  task.set_state(mesos::TASK_STAGING);
  task.mutable_resources()->CopyFrom(info.resources());
  if (info.has_labels()) {
    task.mutable_labels()->CopyFrom(info.labels());
  }
  if (info.has_discovery()) {
    task.mutable_discovery()->CopyFrom(info.discovery());
  }
  if (info.has_container()) {
    task.mutable_container()->CopyFrom(info.container());
  }
  if (info.has_health_check()) {
    task.mutable_health_check()->CopyFrom(info.health_check());
  }
  if (info.has_kill_policy()) {
    task.mutable_kill_policy()->CopyFrom(info.kill_policy());
  }
  if (info.has_command() && info.command().has_user()) {
    task.set_user(info.command().user());
  }
  return task;
}

// How the agent starts a DEFAULT executor (LAUNCH_GROUP): the built-in keel-executor, which
// runs a whole task group when its ExecutorInfo says DEFAULT.
mesos::CommandInfo defaultExecutorCommand(const std::string& launcher_dir) {
  mesos::CommandInfo command;
  command.set_value(launcher_dir + "/" + kCommandExecutorBinary);
  command.set_shell(false);
  command.add_arguments(kCommandExecutorBinary);
  command.add_arguments("--launcher_dir=" + launcher_dir);
  return command;
}

runtime::Duration fromNanos(int64_t nanos) {
  return std::chrono::duration_cast<runtime::Duration>(std::chrono::nanoseconds(nanos));
}

}  // namespace

ExecutorRecord* Agent::findExecutor(const std::string& framework_id, const std::string& executor_id,
                                    const std::string& container_id) {
  auto fit = frameworks_.find(framework_id);
  if (fit == frameworks_.end()) {
    return nullptr;
  }
  auto eit = fit->second->executors.find(executor_id);
  if (eit == fit->second->executors.end()) {
    return nullptr;
  }
  ExecutorRecord* executor = eit->second.get();
  if (!container_id.empty() && executor->container_id.value() != container_id) {
    return nullptr;
  }
  return executor;
}

void Agent::onRunTask(const wire::Pid& from, mesos::internal::RunTaskMessage&& m) {
  if (!fromMaster(from, "RunTaskMessage")) {
    return;
  }
  const mesos::TaskInfo& task = m.task();
  if (state_ == State::kTerminating) {
    LOG(WARNING) << "Ignoring task " << task.task_id().value() << ": the agent is terminating";
    return;
  }
  if (task.slave_id().value() != agentId()) {
    LOG(WARNING) << "Ignoring task " << task.task_id().value() << " for agent "
                 << task.slave_id().value();
    return;
  }
  FrameworkRecord& framework = ensureFramework(m);
  if (framework.state == FrameworkRecord::State::kTerminating) {
    LOG(WARNING) << "Ignoring task " << task.task_id().value() << " of terminating framework "
                 << framework.id();
    return;
  }
  bool command = !task.has_executor();
  mesos::ExecutorInfo info =
      command ? commandExecutorInfo(framework.info, task, flagText(flags_.launcher_dir))
              : task.executor();
  if (!info.has_framework_id()) {
    info.mutable_framework_id()->CopyFrom(framework.info.id());
  }
  if (command && task.has_kill_policy() && task.kill_policy().has_grace_period()) {
    // Leave the command executor time to escalate to SIGKILL itself before the agent
    // does (the task's grace + a reap interval + 1 s).
    int64_t nanos = task.kill_policy().grace_period().nanoseconds() + 2'000'000'000LL;
    info.mutable_shutdown_grace_period()->set_nanoseconds(nanos);
  }
  LOG(INFO) << "Got assigned task '" << task.task_id().value() << "' for framework "
            << framework.id();

  auto it = framework.executors.find(info.executor_id().value());
  ExecutorRecord* executor = it == framework.executors.end() ? nullptr : it->second.get();
  if (executor != nullptr && (executor->state == ExecutorRecord::State::kTerminating ||
                              executor->state == ExecutorRecord::State::kTerminated)) {
    sendAgentUpdate(framework.info.id(), task.task_id(), &info.executor_id(),
                    framework.partitionAware() ? mesos::TASK_DROPPED : mesos::TASK_LOST,
                    mesos::TaskStatus::REASON_EXECUTOR_TERMINATED, "Executor terminating");
    return;
  }
  if (executor == nullptr) {
    executor = launchExecutor(framework, info, command);
    if (executor == nullptr) {
      sendAgentUpdate(framework.info.id(), task.task_id(), &info.executor_id(), mesos::TASK_FAILED,
                      mesos::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED,
                      "Failed to create the executor's sandbox");
      maybeRemoveFramework(framework.id());
      return;
    }
  }
  checkpointTask(framework, *executor, createTask(task, framework.info.id(), info_.id()));
  if (executor->state == ExecutorRecord::State::kRegistering) {
    executor->queued_tasks.push_back(task);
    return;
  }
  sendTaskToExecutor(framework, *executor, task);
}

FrameworkRecord& Agent::ensureFramework(const mesos::internal::RunTaskMessage& m) {
  std::string id = m.framework().has_id() ? m.framework().id().value() : m.framework_id().value();
  auto& slot = frameworks_[id];
  bool changed = false;
  if (!slot) {
    slot = std::make_unique<FrameworkRecord>();
    slot->info.CopyFrom(m.framework());
    slot->info.mutable_id()->set_value(id);
    LOG(INFO) << "Added framework " << id;
    changed = true;
  }
  if (m.has_pid()) {
    auto pid = wire::Pid::parse(m.pid());
    std::optional<wire::Pid> before = slot->scheduler_pid;
    if (pid && !pid->empty()) {
      slot->scheduler_pid = *pid;
    } else {
      slot->scheduler_pid.reset();
    }
    changed = changed || before != slot->scheduler_pid;
  }
  if (changed) {
    checkpointFramework(*slot);
  }
  return *slot;
}

ExecutorRecord* Agent::launchExecutor(FrameworkRecord& framework, const mesos::ExecutorInfo& info,
                                      bool command_executor) {
  auto record = std::make_unique<ExecutorRecord>();
  record->info = info;
  record->command_executor = command_executor;
  record->container_id.set_value(uuidString());
  const std::string& fid = framework.id();
  const std::string& eid = info.executor_id().value();
  const std::string& cid = record->container_id.value();
  record->directory = paths::runDir(work_dir_, agentId(), fid, eid, cid);
  Status sandbox = paths::createSandbox(work_dir_, agentId(), fid, eid, cid);
  if (!sandbox) {
    LOG(ERROR) << "Failed to create the sandbox of executor " << eid << ": " << sandbox.message();
    return nullptr;
  }

  ExecutorEnvironmentInputs inputs;
  inputs.agent_pid = self_.str();
  inputs.agent_id = agentId();
  inputs.framework_id = fid;
  inputs.executor_id = eid;
  inputs.directory = record->directory;
  inputs.checkpoint = framework.info.checkpoint();
  inputs.shutdown_grace_period = info.has_shutdown_grace_period()
                                     ? fromNanos(info.shutdown_grace_period().nanoseconds())
                                     : flags_.executor_shutdown_grace_period;
  inputs.recovery_timeout = flags_.recovery_timeout;
  inputs.reregistration_timeout = flags_.executor_reregistration_timeout;
  const char* libprocess_ip = ::getenv("LIBPROCESS_IP");
  inputs.libprocess_ip = libprocess_ip != nullptr ? libprocess_ip
                         : self_.ip == "0.0.0.0"  ? std::string()
                                                  : self_.ip;
  inputs.extra = executor_environment_;
  const mesos::CommandInfo command =
      info.type() == mesos::ExecutorInfo::DEFAULT && !info.has_command()
          ? defaultExecutorCommand(flagText(flags_.launcher_dir))
          : info.command();
  LaunchSpec spec =
      executorLaunchSpec(command, executorEnvironment(inputs, command), record->directory);

  LOG(INFO) << "Launching executor '" << eid << "' of framework " << fid << " in container " << cid
            << " (sandbox " << record->directory << ")";
  record->registration_timer =
      loop_.schedule(flags_.executor_registration_timeout,
                     [this, fid, eid, cid] { onRegistrationTimeout(fid, eid, cid); });
  std::weak_ptr<bool> alive = alive_;
  runtime::EventLoop* loop = &loop_;
  launcher_.launch(std::move(spec), [this, loop, alive, fid, eid, cid](Result<pid_t> result) {
    loop->post([this, alive, fid, eid, cid, result]() mutable {
      if (alive.lock()) {
        onLaunched(fid, eid, cid, std::move(result));
      }
    });
  });
  checkpointExecutor(framework, *record);
  ExecutorRecord* raw = record.get();
  framework.executors[eid] = std::move(record);
  return raw;
}

void Agent::onLaunched(const std::string& fid, const std::string& eid, const std::string& cid,
                       Result<pid_t> result) {
  ExecutorRecord* executor = findExecutor(fid, eid, cid);
  if (executor == nullptr) {
    if (result) {
      (void)launcher_.killGroup(*result, SIGKILL);
      launcher_.watch(*result, [](int) {});
    }
    return;
  }
  executor->launch_finished = true;
  if (!result) {
    LOG(ERROR) << "Failed to launch executor " << eid << ": " << result.message();
    executor->termination =
        TerminationCause{mesos::TASK_FAILED, mesos::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED,
                         "Failed to launch container: " + result.message()};
    onExecutorExited(fid, eid, cid, -1);
    return;
  }
  executor->os_pid = *result;
  checkpointForkedPid(*frameworks_.at(fid), *executor);
  std::weak_ptr<bool> alive = alive_;
  runtime::EventLoop* loop = &loop_;
  launcher_.watch(*result, [this, loop, alive, fid, eid, cid](int status) {
    loop->post([this, alive, fid, eid, cid, status] {
      if (alive.lock()) {
        onExecutorExited(fid, eid, cid, status);
      }
    });
  });
  if (executor->destroy_requested) {
    destroyExecutor(*executor);
  }
}

void Agent::onRegistrationTimeout(const std::string& fid, const std::string& eid,
                                  const std::string& cid) {
  ExecutorRecord* executor = findExecutor(fid, eid, cid);
  if (executor == nullptr) {
    return;
  }
  executor->registration_timer = 0;
  if (executor->state != ExecutorRecord::State::kRegistering) {
    return;
  }
  LOG(WARNING) << "Executor " << eid << " of framework " << fid << " did not register within "
               << runtime::formatDuration(flags_.executor_registration_timeout);
  executor->termination =
      TerminationCause{mesos::TASK_FAILED, mesos::TaskStatus::REASON_EXECUTOR_REGISTRATION_TIMEOUT,
                       "Executor did not register within " +
                           runtime::formatDuration(flags_.executor_registration_timeout)};
  destroyExecutor(*executor);
}

void Agent::onRegisterExecutor(const wire::Pid& from,
                               const mesos::internal::RegisterExecutorMessage& m) {
  const std::string& fid = m.framework_id().value();
  const std::string& eid = m.executor_id().value();
  auto fit = frameworks_.find(fid);
  FrameworkRecord* framework = fit == frameworks_.end() ? nullptr : fit->second.get();
  ExecutorRecord* executor = framework == nullptr ? nullptr : findExecutor(fid, eid);
  if (state_ == State::kTerminating || framework == nullptr ||
      framework->state == FrameworkRecord::State::kTerminating || executor == nullptr ||
      executor->state != ExecutorRecord::State::kRegistering || executor->recovered) {
    LOG(WARNING) << "Shutting down executor " << eid << " of framework " << fid << " at "
                 << from.str() << ": unknown, terminating or already registered";
    send(from, mesos::internal::ShutdownExecutorMessage());
    return;
  }
  executor->pid = from;
  executor->state = ExecutorRecord::State::kRunning;
  checkpointLibprocessPid(*framework, *executor);
  if (executor->registration_timer != 0) {
    loop_.cancel(executor->registration_timer);
    executor->registration_timer = 0;
  }
  transport_.link(kProcessId, from);
  LOG(INFO) << "Executor " << eid << " of framework " << fid << " registered from " << from.str();
  if (executor->queued_tasks.empty() && !executor->ever_sent_task) {
    shutdownExecutor(*framework, *executor);
    return;
  }
  mesos::internal::ExecutorRegisteredMessage registered;
  registered.mutable_executor_info()->CopyFrom(executor->info);
  registered.mutable_framework_id()->CopyFrom(framework->info.id());
  registered.mutable_framework_info()->CopyFrom(framework->info);
  registered.mutable_slave_id()->CopyFrom(info_.id());
  registered.mutable_slave_info()->CopyFrom(info_);
  send(from, registered);
  sendQueuedTasks(*framework, *executor);
}

void Agent::sendTaskToExecutor(FrameworkRecord& framework, ExecutorRecord& executor,
                               const mesos::TaskInfo& task) {
  executor.launched_tasks[task.task_id().value()] =
      createTask(task, framework.info.id(), info_.id());
  executor.ever_sent_task = true;
  linkVolumes(executor, task.resources());
  mesos::internal::RunTaskMessage message;
  message.mutable_framework()->CopyFrom(framework.info);
  message.set_pid(framework.scheduler_pid ? framework.scheduler_pid->str() : wire::Pid().str());
  message.mutable_task()->CopyFrom(task);
  send(executor.pid, message);
}

void Agent::onRunTaskGroup(const wire::Pid& from, mesos::internal::RunTaskGroupMessage&& m) {
  if (!fromMaster(from, "RunTaskGroupMessage")) {
    return;
  }
  const mesos::TaskGroupInfo& group = m.task_group();
  if (group.tasks_size() == 0) {
    LOG(WARNING) << "Ignoring an empty task group";
    return;
  }
  if (state_ == State::kTerminating) {
    LOG(WARNING) << "Ignoring a task group: the agent is terminating";
    return;
  }
  for (const auto& task : group.tasks()) {
    if (task.slave_id().value() != agentId()) {
      LOG(WARNING) << "Ignoring a task group with task " << task.task_id().value() << " for agent "
                   << task.slave_id().value();
      return;
    }
  }
  mesos::internal::RunTaskMessage framework_only;  // no scheduler pid in a group launch
  *framework_only.mutable_framework() = m.framework();
  FrameworkRecord& framework = ensureFramework(framework_only);
  if (framework.state == FrameworkRecord::State::kTerminating) {
    LOG(WARNING) << "Ignoring a task group of terminating framework " << framework.id();
    return;
  }
  mesos::ExecutorInfo info = m.executor();
  if (!info.has_framework_id()) {
    info.mutable_framework_id()->CopyFrom(framework.info.id());
  }
  LOG(INFO) << "Got assigned a task group of " << group.tasks_size() << " tasks for executor '"
            << info.executor_id().value() << "' of framework " << framework.id();

  auto it = framework.executors.find(info.executor_id().value());
  ExecutorRecord* executor = it == framework.executors.end() ? nullptr : it->second.get();
  if (executor != nullptr && (executor->state == ExecutorRecord::State::kTerminating ||
                              executor->state == ExecutorRecord::State::kTerminated)) {
    for (const auto& task : group.tasks()) {
      sendAgentUpdate(framework.info.id(), task.task_id(), &info.executor_id(),
                      framework.partitionAware() ? mesos::TASK_DROPPED : mesos::TASK_LOST,
                      mesos::TaskStatus::REASON_EXECUTOR_TERMINATED, "Executor terminating");
    }
    return;
  }
  if (executor == nullptr) {
    executor = launchExecutor(framework, info, false);
    if (executor == nullptr) {
      for (const auto& task : group.tasks()) {
        sendAgentUpdate(framework.info.id(), task.task_id(), &info.executor_id(),
                        mesos::TASK_FAILED, mesos::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED,
                        "Failed to create the executor's sandbox");
      }
      maybeRemoveFramework(framework.id());
      return;
    }
  }
  for (const auto& task : group.tasks()) {
    checkpointTask(framework, *executor, createTask(task, framework.info.id(), info_.id()));
  }
  if (executor->state == ExecutorRecord::State::kRegistering) {
    std::vector<std::string> ids;
    for (const auto& task : group.tasks()) {
      executor->queued_tasks.push_back(task);
      ids.push_back(task.task_id().value());
    }
    executor->queued_groups.push_back(std::move(ids));
    return;
  }
  sendTaskGroupToExecutor(framework, *executor, group);
}

void Agent::sendTaskGroupToExecutor(FrameworkRecord& framework, ExecutorRecord& executor,
                                    const mesos::TaskGroupInfo& group) {
  for (const auto& task : group.tasks()) {
    executor.launched_tasks[task.task_id().value()] =
        createTask(task, framework.info.id(), info_.id());
    linkVolumes(executor, task.resources());
  }
  executor.ever_sent_task = true;
  mesos::internal::RunTaskGroupMessage message;
  message.mutable_framework()->CopyFrom(framework.info);
  message.mutable_executor()->CopyFrom(executor.info);
  message.mutable_task_group()->CopyFrom(group);
  send(executor.pid, message);
}

void Agent::sendQueuedTasks(FrameworkRecord& framework, ExecutorRecord& executor) {
  std::vector<mesos::TaskInfo> queued = std::move(executor.queued_tasks);
  std::vector<std::vector<std::string>> groups = std::move(executor.queued_groups);
  executor.queued_tasks.clear();
  executor.queued_groups.clear();
  std::set<std::string> sent;
  for (const auto& task : queued) {
    const std::string& id = task.task_id().value();
    if (sent.count(id) != 0) {
      continue;
    }
    auto group = std::find_if(groups.begin(), groups.end(), [&](const auto& members) {
      return std::find(members.begin(), members.end(), id) != members.end();
    });
    if (group == groups.end()) {
      sendTaskToExecutor(framework, executor, task);
      continue;
    }
    mesos::TaskGroupInfo whole;
    for (const auto& member : *group) {
      for (const auto& candidate : queued) {
        if (candidate.task_id().value() == member) {
          *whole.add_tasks() = candidate;
          sent.insert(member);
          break;
        }
      }
    }
    sendTaskGroupToExecutor(framework, executor, whole);
  }
}

void Agent::onKillTask(const wire::Pid& from, const mesos::internal::KillTaskMessage& m) {
  if (!fromMaster(from, "KillTaskMessage") || state_ == State::kTerminating) {
    return;
  }
  const std::string& fid = m.framework_id().value();
  const std::string& tid = m.task_id().value();
  auto fit = frameworks_.find(fid);
  if (fit == frameworks_.end() || fit->second->state == FrameworkRecord::State::kTerminating) {
    LOG(WARNING) << "Ignoring kill of task " << tid << " of unknown or terminating framework "
                 << fid;
    return;
  }
  FrameworkRecord& framework = *fit->second;
  ExecutorRecord* executor = framework.executorOfTask(tid);
  if (executor == nullptr) {
    sendAgentUpdate(m.framework_id(), m.task_id(), nullptr,
                    framework.partitionAware() ? mesos::TASK_DROPPED : mesos::TASK_LOST,
                    mesos::TaskStatus::REASON_EXECUTOR_TERMINATED, "Cannot find executor");
    return;
  }
  if (executor->hasQueuedTask(tid)) {
    // A task of a queued group takes its whole group with it (spec §5.9).
    std::vector<std::string> victims = {tid};
    auto& groups = executor->queued_groups;
    for (auto g = groups.begin(); g != groups.end(); ++g) {
      if (std::find(g->begin(), g->end(), tid) != g->end()) {
        victims = *g;
        groups.erase(g);
        break;
      }
    }
    auto& queue = executor->queued_tasks;
    for (const auto& victim : victims) {
      for (auto it = queue.begin(); it != queue.end(); ++it) {
        if (it->task_id().value() == victim) {
          mesos::TaskID victim_id = it->task_id();
          executor->launched_tasks[victim] = createTask(*it, framework.info.id(), info_.id());
          queue.erase(it);
          sendAgentUpdate(m.framework_id(), victim_id, &executor->info.executor_id(),
                          mesos::TASK_KILLED, mesos::TaskStatus::REASON_TASK_KILLED_DURING_LAUNCH,
                          "Killed before delivery to the executor");
          break;
        }
      }
    }
    if (queue.empty() && !executor->ever_sent_task) {
      shutdownExecutor(framework, *executor);
    }
    return;
  }
  if (executor->state != ExecutorRecord::State::kRunning) {
    LOG(WARNING) << "Ignoring kill of task " << tid << ": its executor is terminating";
    return;
  }
  LOG(INFO) << "Asking executor " << executor->info.executor_id().value() << " to kill task "
            << tid;
  send(executor->pid, m);
}

void Agent::onShutdownFramework(const wire::Pid& from,
                                const mesos::internal::ShutdownFrameworkMessage& m) {
  if (!fromMaster(from, "ShutdownFrameworkMessage")) {
    return;
  }
  auto it = frameworks_.find(m.framework_id().value());
  if (it == frameworks_.end()) {
    LOG(WARNING) << "Asked to shut down unknown framework " << m.framework_id().value();
    return;
  }
  LOG(INFO) << "Shutting down framework " << m.framework_id().value();
  shutdownFramework(*it->second);
}

void Agent::onShutdownExecutor(const wire::Pid& from,
                               const mesos::internal::ShutdownExecutorMessage& m) {
  if (!fromMaster(from, "ShutdownExecutorMessage")) {
    return;
  }
  auto it = frameworks_.find(m.framework_id().value());
  ExecutorRecord* executor = it == frameworks_.end()
                                 ? nullptr
                                 : findExecutor(m.framework_id().value(), m.executor_id().value());
  if (executor == nullptr) {
    LOG(WARNING) << "Asked to shut down unknown executor " << m.executor_id().value();
    return;
  }
  shutdownExecutor(*it->second, *executor);
}

void Agent::shutdownFramework(FrameworkRecord& framework) {
  framework.state = FrameworkRecord::State::kTerminating;
  status_updates_->cleanup(framework.info.id());
  std::string fid = framework.id();
  std::vector<ExecutorRecord*> executors;
  for (auto& [eid, executor] : framework.executors) {
    executor->queued_tasks.clear();
    executor->queued_groups.clear();
    executors.push_back(executor.get());
  }
  for (ExecutorRecord* executor : executors) {
    if (executor->state == ExecutorRecord::State::kTerminated) {
      maybeRemoveExecutor(framework, executor->info.executor_id().value());
    } else {
      shutdownExecutor(framework, *executor);
    }
  }
  maybeRemoveFramework(fid);
}

void Agent::shutdownExecutor(FrameworkRecord& framework, ExecutorRecord& executor) {
  if (executor.state == ExecutorRecord::State::kTerminated || executor.shutdown_timer != 0) {
    return;
  }
  LOG(INFO) << "Shutting down executor " << executor.info.executor_id().value() << " of framework "
            << framework.id();
  executor.state = ExecutorRecord::State::kTerminating;
  if (executor.registration_timer != 0) {
    loop_.cancel(executor.registration_timer);
    executor.registration_timer = 0;
  }
  if (!executor.pid.empty()) {
    send(executor.pid, mesos::internal::ShutdownExecutorMessage());
  }
  runtime::Duration grace = executor.info.has_shutdown_grace_period()
                                ? fromNanos(executor.info.shutdown_grace_period().nanoseconds())
                                : flags_.executor_shutdown_grace_period;
  std::string fid = framework.id();
  std::string eid = executor.info.executor_id().value();
  std::string cid = executor.container_id.value();
  executor.shutdown_timer = loop_.schedule(grace, [this, fid, eid, cid] {
    ExecutorRecord* e = findExecutor(fid, eid, cid);
    if (e != nullptr && e->state != ExecutorRecord::State::kTerminated) {
      LOG(WARNING) << "Killing executor " << eid << ": it did not exit within its grace period";
      destroyExecutor(*e);
    }
  });
}

void Agent::destroyExecutor(ExecutorRecord& executor) {
  executor.destroy_requested = true;
  if (executor.state != ExecutorRecord::State::kTerminated) {
    executor.state = ExecutorRecord::State::kTerminating;
  }
  if (executor.os_pid > 0 && !executor.exited) {
    Status killed = launcher_.killGroup(executor.os_pid, SIGKILL);
    if (!killed) {
      LOG(WARNING) << "Failed to kill executor " << executor.info.executor_id().value() << ": "
                   << killed.message();
    }
  }
}

void Agent::onExecutorExited(const std::string& fid, const std::string& eid, const std::string& cid,
                             int wait_status) {
  ExecutorRecord* executor = findExecutor(fid, eid, cid);
  if (executor == nullptr || executor->exited) {
    return;
  }
  FrameworkRecord& framework = *frameworks_.at(fid);
  LOG(INFO) << "Executor " << eid << " of framework " << fid << " exited (status " << wait_status
            << ")";
  executor->exited = true;
  executor->state = ExecutorRecord::State::kTerminated;
  for (runtime::TimerId* id : {&executor->registration_timer, &executor->shutdown_timer}) {
    if (*id != 0) {
      loop_.cancel(*id);
      *id = 0;
    }
  }
  if (!executor->pid.empty()) {
    transport_.unlink(kProcessId, executor->pid);
  }
  if (framework.state != FrameworkRecord::State::kTerminating) {
    TerminationCause cause = executor->termination.value_or(TerminationCause{});
    for (const auto& info : executor->queued_tasks) {
      executor->launched_tasks[info.task_id().value()] =
          createTask(info, framework.info.id(), info_.id());
    }
    executor->queued_tasks.clear();
    executor->queued_groups.clear();
    std::vector<mesos::TaskID> unfinished;
    for (const auto& [tid, task] : executor->launched_tasks) {
      if (!isTerminalState(task.state())) {
        unfinished.push_back(task.task_id());
      }
    }
    mesos::ExecutorID executor_id = executor->info.executor_id();
    for (const auto& task_id : unfinished) {
      sendAgentUpdate(framework.info.id(), task_id, &executor_id, cause.state, cause.reason,
                      cause.message);
    }
  }
  if (!executor->command_executor && !agentId().empty() && state_ != State::kRecovering) {
    mesos::internal::ExitedExecutorMessage exited;
    exited.mutable_slave_id()->CopyFrom(info_.id());
    exited.mutable_framework_id()->CopyFrom(framework.info.id());
    exited.mutable_executor_id()->CopyFrom(executor->info.executor_id());
    exited.set_status(wait_status);
    send(master_, exited);
  }
  maybeRemoveExecutor(framework, eid);
  maybeRemoveFramework(fid);
}

void Agent::maybeRemoveExecutor(FrameworkRecord& framework, const std::string& executor_id) {
  auto it = framework.executors.find(executor_id);
  if (it == framework.executors.end()) {
    return;
  }
  ExecutorRecord& executor = *it->second;
  if (executor.state != ExecutorRecord::State::kTerminated ||
      (!executor.idle() && framework.state != FrameworkRecord::State::kTerminating)) {
    return;
  }
  // A terminating framework's unfinished tasks get no updates; keep them as history.
  for (auto* tasks : {&executor.launched_tasks, &executor.terminated_tasks}) {
    for (auto& [tid, task] : *tasks) {
      executor.completed_tasks.push_back(std::move(task));
    }
    tasks->clear();
  }
  while (executor.completed_tasks.size() > kMaxCompletedTasksPerExecutor) {
    executor.completed_tasks.pop_front();
  }
  removeExecutorCheckpoint(framework, executor);
  framework.completed_executors.push_back(std::move(it->second));
  framework.executors.erase(it);
  while (framework.completed_executors.size() > kMaxCompletedExecutorsPerFramework) {
    framework.completed_executors.pop_front();
  }
}

void Agent::maybeRemoveFramework(const std::string& framework_id) {
  auto it = frameworks_.find(framework_id);
  if (it == frameworks_.end() || !it->second->executors.empty()) {
    return;
  }
  LOG(INFO) << "Removing framework " << framework_id;
  removeFrameworkCheckpoint(framework_id);
  completed_frameworks_.push_back(std::move(it->second));
  frameworks_.erase(it);
  while (completed_frameworks_.size() > kMaxCompletedFrameworks) {
    completed_frameworks_.pop_front();
  }
  maybeFinishShutdown();
}

}  // namespace keel::agent
