// The agent core: construction, master registration and re-registration, health
// pings, master-driven framework updates and shutdown (spec §5.1, §3.11, §3.12).

#include "agent/agent.hpp"

#include <glog/logging.h>

#include <algorithm>

#include "agent/checkpoint.hpp"
#include "agent/flag_text.hpp"
#include "agent/paths.hpp"
#include "agent/resource_detection.hpp"
#include "authentication/authenticatee.hpp"
#include "authentication/credentials.hpp"
#include "common/ids.hpp"

namespace keel::agent {

namespace {

// Mesos's REGISTER_RETRY_INTERVAL_MAX.
constexpr runtime::Duration kRegisterRetryMax = std::chrono::minutes(1);


template <class M>
void addCapabilities(M* message) {
  for (auto type : kAgentCapabilities) {
    message->add_agent_capabilities()->set_type(type);
  }
}

// "--master" is "host:port", "master@host:port" or an ip; ZooKeeper URLs are not
// supported yet.
Result<wire::Pid> parseMaster(const std::string& text) {
  if (text.rfind("zk://", 0) == 0 || text.rfind("file://", 0) == 0) {
    return Result<wire::Pid>::error("--master=" + text + " is not supported yet: use host:port");
  }
  std::string spec = text.find('@') == std::string::npos ? "master@" + text : text;
  if (spec.find(':', spec.find('@')) == std::string::npos) {
    spec += ":5050";
  }
  auto pid = wire::Pid::parse(spec);
  if (!pid) {
    return Result<wire::Pid>::error("Failed to parse --master=" + text);
  }
  return *pid;
}

}  // namespace

Agent::Agent(runtime::EventLoop& loop, wire::Transport& transport, AgentFlags flags,
             ProcessLauncher& launcher)
    : loop_(loop),
      transport_(transport),
      flags_(std::move(flags)),
      launcher_(launcher),
      random_(std::random_device{}()) {
  status_updates_ = std::make_unique<TaskStatusUpdateManager>(
      loop_, [this](const mesos::internal::StatusUpdate& u) { forwardUpdate(u); });
}

Agent::~Agent() {
  for (runtime::TimerId id :
       {registration_timer_, ping_timer_, reregistration_timer_, authentication_timer_}) {
    if (id != 0) {
      loop_.cancel(id);
    }
  }
  for (auto& [fid, framework] : frameworks_) {
    for (auto& [eid, executor] : framework->executors) {
      for (runtime::TimerId id : {executor->registration_timer, executor->shutdown_timer}) {
        if (id != 0) {
          loop_.cancel(id);
        }
      }
    }
  }
  status_updates_.reset();
  if (started_) {
    transport_.removeProcess(kProcessId);
  }
}

Status Agent::start() {
  ASSIGN_OR_RETURN(master_, parseMaster(flagText(flags_.master)));
  work_dir_ = flagText(flags_.work_dir);
  if (work_dir_.empty()) {
    return Status::error("--work_dir is required");
  }
  RETURN_IF_ERROR(paths::createDirectories(work_dir_));
  RETURN_IF_ERROR(loadExecutorEnvironment());
  if (flags_.credential) {
    auto credential = auth::readCredential(*flags_.credential);
    if (!credential) {
      return Status::error("Failed to read credential: " + credential.message());
    }
    credential_ = std::move(*credential);
  }

  HostFacts facts = measureHost(work_dir_);
  ASSIGN_OR_RETURN(
      total_, agentResources(flagText(flags_.resources), flagText(flags_.default_role), facts));

  self_ = transport_.pidOf(kProcessId);
  std::string hostname = flagText(flags_.hostname);
  info_.set_hostname(hostname.empty() ? keel::hostname() : hostname);
  info_.set_port(self_.port);
  info_.mutable_resources()->CopyFrom(total_.proto());
  if (!flagText(flags_.attributes).empty()) {
    ASSIGN_OR_RETURN(auto attributes, parseAttributes(flagText(flags_.attributes)));
    info_.mutable_attributes()->CopyFrom(attributes);
  }
  info_.set_checkpoint(true);
  resource_version_uuid_ = uuidBytes();
  start_time_ = loop_.clock().unixSeconds();

  installHandlers();
  installRoutes();
  started_ = true;
  LOG(INFO) << "Agent " << self_.str() << " started with resources " << total_.str()
            << "; master is " << master_.str();
  // Registration starts once recovery is over (finishRecovery()).
  return recover();
}

Status Agent::loadExecutorEnvironment() {
  executor_environment_ = flags_.executor_environment;
  std::string text = flagText(flags_.executor_environment_variables);
  if (executor_environment_.empty() && !text.empty()) {
    ASSIGN_OR_RETURN(executor_environment_, parseEnvironmentJson(text));
  }
  return Status::ok();
}

void Agent::installHandlers() {
  using namespace mesos::internal;
  auto& d = dispatcher_;
  d.on<SlaveRegisteredMessage>([this](const wire::Pid& from, SlaveRegisteredMessage&& m) {
    double timeout = m.has_connection() && m.connection().has_total_ping_timeout_seconds()
                         ? m.connection().total_ping_timeout_seconds()
                         : 75.0;
    onRegistered(from, m.slave_id(), timeout);
  });
  d.on<SlaveReregisteredMessage>(
      [this](const wire::Pid& from, SlaveReregisteredMessage&& m) { onReregistered(from, m); });
  d.on<PingSlaveMessage>([this](const wire::Pid& from, PingSlaveMessage&& m) { onPing(from, m); });
  d.on<RunTaskMessage>(
      [this](const wire::Pid& from, RunTaskMessage&& m) { onRunTask(from, std::move(m)); });
  d.on<RunTaskGroupMessage>([this](const wire::Pid& from, RunTaskGroupMessage&& m) {
    onRunTaskGroup(from, std::move(m));
  });
  d.on<KillTaskMessage>(
      [this](const wire::Pid& from, KillTaskMessage&& m) { onKillTask(from, m); });
  d.on<RegisterExecutorMessage>(
      [this](const wire::Pid& from, RegisterExecutorMessage&& m) { onRegisterExecutor(from, m); });
  d.on<StatusUpdateMessage>([this](const wire::Pid& from, StatusUpdateMessage&& m) {
    onStatusUpdate(from, std::move(m));
  });
  d.on<StatusUpdateAcknowledgementMessage>(
      [this](const wire::Pid& from, StatusUpdateAcknowledgementMessage&& m) {
        onStatusUpdateAck(from, m);
      });
  d.on<ShutdownFrameworkMessage>([this](const wire::Pid& from, ShutdownFrameworkMessage&& m) {
    onShutdownFramework(from, m);
  });
  d.on<ShutdownExecutorMessage>(
      [this](const wire::Pid& from, ShutdownExecutorMessage&& m) { onShutdownExecutor(from, m); });
  d.on<FrameworkToExecutorMessage>([this](const wire::Pid& from, FrameworkToExecutorMessage&& m) {
    onFrameworkToExecutor(from, m);
  });
  d.on<ExecutorToFrameworkMessage>([this](const wire::Pid& from, ExecutorToFrameworkMessage&& m) {
    onExecutorToFramework(from, m);
  });
  d.on<UpdateFrameworkMessage>(
      [this](const wire::Pid& from, UpdateFrameworkMessage&& m) { onUpdateFramework(from, m); });
  d.on<ShutdownMessage>(
      [this](const wire::Pid& from, ShutdownMessage&& m) { onShutdownMessage(from, m); });
  d.on<ReregisterExecutorMessage>([this](const wire::Pid& from, ReregisterExecutorMessage&& m) {
    onReregisterExecutor(from, std::move(m));
  });
  d.on<CheckpointResourcesMessage>([this](const wire::Pid& from, CheckpointResourcesMessage&& m) {
    onCheckpointResources(from, m);
  });

  wire::ProcessHandlers handlers;
  handlers.on_message = [this](wire::Message&& msg) {
    return dispatcher_.dispatch(std::move(msg));
  };
  handlers.on_exited = [this](const wire::Pid& pid) { onExited(pid); };
  transport_.addProcess(kProcessId, std::move(handlers));
}

runtime::Duration Agent::randomDelay(runtime::Duration max) {
  auto ticks = std::max<runtime::Duration::rep>(max.count(), 0);
  std::uniform_int_distribution<runtime::Duration::rep> dist(0, ticks);
  return runtime::Duration(dist(random_));
}

bool Agent::fromMaster(const wire::Pid& from, const char* what) const {
  if (from == master_) {
    return true;
  }
  LOG(WARNING) << "Ignoring " << what << " from " << from.str() << " which is not the master "
               << master_.str();
  return false;
}

void Agent::startDetection() {
  if (state_ == State::kTerminating) {
    return;
  }
  if (registration_timer_ != 0) {
    loop_.cancel(registration_timer_);
  }
  runtime::Duration factor = flags_.registration_backoff_factor;
  if (credential_) {
    // As Mesos's agent: authenticate at once with a new master, register after.
    authenticate(flags_.authentication_timeout_min,
                 std::min(flags_.authentication_timeout_min +
                              flags_.authentication_backoff_factor * 2,
                          flags_.authentication_timeout_max));
    return;
  }
  registration_timer_ = loop_.schedule(randomDelay(factor), [this, factor] {
    registration_timer_ = 0;
    doReliableRegistration(factor * 2);
  });
}

void Agent::doReliableRegistration(runtime::Duration max_backoff) {
  if (state_ != State::kDisconnected) {
    return;
  }
  if (!linked_master_) {
    transport_.link(kProcessId, master_);
    linked_master_ = true;
  }
  if (agentId().empty()) {
    mesos::internal::RegisterSlaveMessage message;
    message.mutable_slave()->CopyFrom(info_);
    message.mutable_slave()->mutable_resources()->CopyFrom(toLegacyFormat(info_.resources()));
    message.set_version(KEEL_MESOS_VERSION);
    addCapabilities(&message);
    message.mutable_resource_version_uuid()->set_value(resource_version_uuid_);
    message.mutable_checkpointed_resources()->CopyFrom(legacyCheckpointedResources());
    LOG(INFO) << "Registering with master " << master_.str();
    send(master_, message);
  } else {
    LOG(INFO) << "Reregistering agent " << agentId() << " with master " << master_.str();
    send(master_, reregistrationMessage());
  }
  runtime::Duration next = std::min(max_backoff * 2, kRegisterRetryMax);
  registration_timer_ = loop_.schedule(randomDelay(max_backoff), [this, next] {
    registration_timer_ = 0;
    doReliableRegistration(next);
  });
}

mesos::internal::ReregisterSlaveMessage Agent::reregistrationMessage() const {
  mesos::internal::ReregisterSlaveMessage message;
  message.mutable_slave()->CopyFrom(info_);
  message.mutable_slave()->mutable_resources()->CopyFrom(toLegacyFormat(info_.resources()));
  message.set_version(KEEL_MESOS_VERSION);
  addCapabilities(&message);
  message.mutable_resource_version_uuid()->set_value(resource_version_uuid_);
  message.mutable_checkpointed_resources()->CopyFrom(legacyCheckpointedResources());
  for (const auto& [fid, framework] : frameworks_) {
    message.add_frameworks()->CopyFrom(framework->info);
    for (const auto& [eid, executor] : framework->executors) {
      if (!executor->command_executor && executor->state != ExecutorRecord::State::kTerminated) {
        message.add_executor_infos()->CopyFrom(executor->info);
      }
      auto add_task = [&](const mesos::Task& task) {
        mesos::Task* t = message.add_tasks();
        t->CopyFrom(task);
        if (const auto* head = status_updates_->head(framework->info.id(), task.task_id())) {
          t->set_status_update_state(head->status().state());
          t->set_status_update_uuid(head->status().uuid());
        }
      };
      for (const auto& [tid, task] : executor->launched_tasks) {
        add_task(task);
      }
      for (const auto& [tid, task] : executor->terminated_tasks) {
        add_task(task);
      }
      for (const auto& info : executor->queued_tasks) {
        mesos::Task* t = message.add_tasks();
        t->set_name(info.name());
        t->mutable_task_id()->CopyFrom(info.task_id());
        t->mutable_framework_id()->CopyFrom(framework->info.id());
        if (!executor->command_executor) {
          t->mutable_executor_id()->CopyFrom(executor->info.executor_id());
        }
        t->mutable_slave_id()->CopyFrom(info_.id());
        t->set_state(mesos::TASK_STAGING);
        t->mutable_resources()->CopyFrom(info.resources());
      }
    }
  }
  for (const auto& framework : completed_frameworks_) {
    auto* archived = message.add_completed_frameworks();
    archived->mutable_framework_info()->CopyFrom(framework->info);
    if (framework->scheduler_pid) {
      archived->set_pid(framework->scheduler_pid->str());
    }
    for (const auto& executor : framework->completed_executors) {
      for (const auto& task : executor->completed_tasks) {
        archived->add_tasks()->CopyFrom(task);
      }
    }
  }
  return message;
}

void Agent::onRegistered(const wire::Pid& from, const mesos::SlaveID& id, double ping_timeout) {
  if (!fromMaster(from, "SlaveRegisteredMessage") || state_ == State::kTerminating) {
    return;
  }
  if (state_ == State::kRunning) {
    if (id.value() != agentId()) {
      LOG(ERROR) << "Registered with id " << id.value() << " while running as " << agentId();
    }
    return;
  }
  if (!agentId().empty() && agentId() != id.value()) {
    LOG(ERROR) << "Master registered this agent as " << id.value() << " but it is " << agentId()
               << "; ignoring";
    return;
  }
  LOG(INFO) << "Registered with master " << master_.str() << "; given agent ID " << id.value();
  info_.mutable_id()->CopyFrom(id);
  state_ = State::kRunning;
  ping_timeout_ = std::chrono::duration_cast<runtime::Duration>(
      std::chrono::duration<double>(ping_timeout > 0 ? ping_timeout : 75.0));
  if (registration_timer_ != 0) {
    loop_.cancel(registration_timer_);
    registration_timer_ = 0;
  }
  checkpointAgentInfo();
  status_updates_->resume();
  armPingTimer();
  sendUpdateSlave();
}

void Agent::onReregistered(const wire::Pid& from,
                           const mesos::internal::SlaveReregisteredMessage& m) {
  if (!fromMaster(from, "SlaveReregisteredMessage") || state_ == State::kTerminating) {
    return;
  }
  if (m.slave_id().value() != agentId()) {
    LOG(ERROR) << "Reregistered as " << m.slave_id().value() << " but this agent is " << agentId()
               << "; ignoring";
    return;
  }
  bool was_running = state_ == State::kRunning;
  if (!was_running) {
    LOG(INFO) << "Reregistered with master " << master_.str();
    state_ = State::kRunning;
    if (registration_timer_ != 0) {
      loop_.cancel(registration_timer_);
      registration_timer_ = 0;
    }
    if (m.has_connection() && m.connection().total_ping_timeout_seconds() > 0) {
      ping_timeout_ = std::chrono::duration_cast<runtime::Duration>(
          std::chrono::duration<double>(m.connection().total_ping_timeout_seconds()));
    }
    status_updates_->resume();
    armPingTimer();
    sendUpdateSlave();
  }
  for (const auto& reconciliation : m.reconciliations()) {
    reconcile(reconciliation);
  }
}

void Agent::sendUpdateSlave() {
  mesos::internal::UpdateSlaveMessage message;
  message.mutable_slave_id()->CopyFrom(info_.id());
  message.set_update_oversubscribed_resources(false);
  message.mutable_operations();
  message.mutable_resource_version_uuid()->set_value(resource_version_uuid_);
  message.mutable_resource_providers();
  send(master_, message);
}

void Agent::onPing(const wire::Pid& from, const mesos::internal::PingSlaveMessage& m) {
  send(from, mesos::internal::PongSlaveMessage());
  if (state_ == State::kRunning && !m.connected()) {
    onMasterLost("the master reports this agent as disconnected");
    return;
  }
  if (state_ == State::kRunning) {
    armPingTimer();
  }
}

void Agent::armPingTimer() {
  if (ping_timer_ != 0) {
    loop_.cancel(ping_timer_);
  }
  ping_timer_ = loop_.schedule(ping_timeout_, [this] {
    ping_timer_ = 0;
    onMasterLost("no ping from the master within " + runtime::formatDuration(ping_timeout_));
  });
}

void Agent::onMasterLost(const std::string& why) {
  if (state_ == State::kTerminating) {
    return;
  }
  LOG(WARNING) << "Lost the master " << master_.str() << ": " << why;
  state_ = State::kDisconnected;
  status_updates_->pause();
  if (ping_timer_ != 0) {
    loop_.cancel(ping_timer_);
    ping_timer_ = 0;
  }
  if (linked_master_) {
    transport_.unlink(kProcessId, master_);
    linked_master_ = false;
  }
  startDetection();
}

void Agent::onExited(const wire::Pid& pid) {
  if (pid == master_) {
    linked_master_ = false;
    // While (re)registering, the pending retry relinks; only a registered agent has
    // something to lose.
    if (state_ == State::kRunning) {
      onMasterLost("the connection to the master broke");
    }
    return;
  }
  // An executor's connection broke. Its process is watched separately; a non-
  // checkpointing framework's executor cannot come back, so its container goes.
  for (auto& [fid, framework] : frameworks_) {
    for (auto& [eid, executor] : framework->executors) {
      if (executor->pid == pid && executor->state != ExecutorRecord::State::kTerminated) {
        LOG(WARNING) << "Executor " << eid << " of framework " << fid << " at " << pid.str()
                     << " disconnected";
        if (!framework->info.checkpoint()) {
          destroyExecutor(*executor);
        }
        return;
      }
    }
  }
}

void Agent::checkpointAgentInfo() {
  // meta/slaves/latest names the agent a restart recovers; slave.info is what the
  // restarted agent's SlaveInfo must still equal.
  Status status = paths::createDirectories(checkpoint::agentPath(work_dir_, agentId()));
  if (status) {
    status = paths::replaceSymlink(checkpoint::agentPath(work_dir_, agentId()),
                                   checkpoint::latestAgentPath(work_dir_));
  }
  if (status) {
    status = checkpoint::writeRecord(checkpoint::agentInfoPath(work_dir_, agentId()), info_);
  }
  if (!status) {
    LOG(ERROR) << "Failed to checkpoint the agent info: " << status.message();
  }
}

google::protobuf::RepeatedPtrField<mesos::Resource> Agent::legacyCheckpointedResources() const {
  return toLegacyFormat(checkpointed_resources_.proto());
}

void Agent::onUpdateFramework(const wire::Pid& from,
                              const mesos::internal::UpdateFrameworkMessage& m) {
  if (!fromMaster(from, "UpdateFrameworkMessage")) {
    return;
  }
  auto it = frameworks_.find(m.framework_id().value());
  if (it == frameworks_.end()) {
    LOG(WARNING) << "Ignoring UpdateFrameworkMessage for unknown framework "
                 << m.framework_id().value();
    return;
  }
  FrameworkRecord& framework = *it->second;
  auto pid = m.has_pid() ? wire::Pid::parse(m.pid()) : std::nullopt;
  if (pid && !pid->empty()) {
    framework.scheduler_pid = *pid;
  } else {
    framework.scheduler_pid.reset();
  }
  if (m.has_framework_info()) {
    framework.info.CopyFrom(m.framework_info());
    framework.info.mutable_id()->CopyFrom(m.framework_id());
  }
  checkpointFramework(framework);
  LOG(INFO) << "Updated framework " << framework.id() << " (scheduler "
            << (framework.scheduler_pid ? framework.scheduler_pid->str() : "none") << ")";
}

void Agent::onShutdownMessage(const wire::Pid& from, const mesos::internal::ShutdownMessage& m) {
  if (!fromMaster(from, "ShutdownMessage")) {
    return;
  }
  std::string reason = m.has_message() ? m.message() : "";
  LOG(WARNING) << "Agent asked to shut down by " << from.str()
               << (reason.empty() ? "" : " because " + reason);
  shutdown(reason, [this, reason] {
    if (on_terminated_) {
      on_terminated_(reason);
    }
  });
}

void Agent::shutdown(const std::string& reason, std::function<void()> done,
                     bool keep_checkpointed) {
  state_ = State::kTerminating;
  shutdown_reason_ = reason;
  shutdown_done_ = std::move(done);
  keep_checkpointed_ = keep_checkpointed;
  for (runtime::TimerId* id : {&registration_timer_, &ping_timer_}) {
    if (*id != 0) {
      loop_.cancel(*id);
      *id = 0;
    }
  }
  status_updates_->pause();
  std::vector<FrameworkRecord*> all;
  for (auto& [fid, framework] : frameworks_) {
    if (!keep_checkpointed || !framework->info.checkpoint()) all.push_back(framework.get());
  }
  for (FrameworkRecord* framework : all) {
    shutdownFramework(*framework);
  }
  maybeFinishShutdown();
}

void Agent::maybeFinishShutdown() {
  if (state_ != State::kTerminating || !shutdown_done_) {
    return;
  }
  for (const auto& [fid, framework] : frameworks_) {
    if (keep_checkpointed_ && framework->info.checkpoint()) {
      continue;  // left running for the next agent
    }
    if (!framework->executors.empty()) {
      return;
    }
  }
  auto done = std::move(shutdown_done_);
  shutdown_done_ = nullptr;
  loop_.post(std::move(done));
}

}  // namespace keel::agent
