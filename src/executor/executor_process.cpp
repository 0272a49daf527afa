#include "executor/executor_process.hpp"

#include "executor/task_group_executor.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <random>

#include <mesos/executor.hpp>

namespace keel::exec {

namespace internal = mesos::internal;

namespace {

// 16 random bytes: a version-4 UUID in binary form, as StatusUpdate.uuid wants it.
std::string randomUuidBytes() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  std::string bytes(16, '\0');
  for (auto& byte : bytes) {
    byte = static_cast<char>(engine() & 0xff);
  }
  bytes[6] = static_cast<char>((bytes[6] & 0x0f) | 0x40);
  bytes[8] = static_cast<char>((bytes[8] & 0x3f) | 0x80);
  return bytes;
}

std::optional<std::string> lookup(const std::map<std::string, std::string>& env,
                                  const std::string& name) {
  auto it = env.find(name);
  if (it == env.end()) {
    return std::nullopt;
  }
  return it->second;
}

Status required(const std::map<std::string, std::string>& env, const std::string& name,
                std::string* out) {
  auto value = lookup(env, name);
  if (!value) {
    return Status::error("Expecting '" + name + "' to be set in the environment");
  }
  *out = *value;
  return Status::ok();
}

}  // namespace

Result<ExecutorConfig> parseExecutorEnvironment(const std::map<std::string, std::string>& env) {
  ExecutorConfig config;
  config.local = env.count("MESOS_LOCAL") > 0;

  std::string value;
  RETURN_IF_ERROR(required(env, "MESOS_SLAVE_PID", &value));
  auto agent = wire::Pid::parse(value);
  if (!agent || agent->empty()) {
    return Result<ExecutorConfig>::error("Cannot parse MESOS_SLAVE_PID '" + value + "'");
  }
  config.agent = *agent;
  RETURN_IF_ERROR(required(env, "MESOS_SLAVE_ID", &value));
  config.slave_id.set_value(value);
  RETURN_IF_ERROR(required(env, "MESOS_FRAMEWORK_ID", &value));
  config.framework_id.set_value(value);
  RETURN_IF_ERROR(required(env, "MESOS_EXECUTOR_ID", &value));
  config.executor_id.set_value(value);
  RETURN_IF_ERROR(required(env, "MESOS_DIRECTORY", &config.directory));

  if (auto grace = lookup(env, "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD")) {
    if (!runtime::parseDuration(*grace, &config.shutdown_grace_period)) {
      return Result<ExecutorConfig>::error("Failed to parse value '" + *grace +
                                           "' of 'MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD'");
    }
  }
  auto checkpoint = lookup(env, "MESOS_CHECKPOINT");
  config.checkpoint = checkpoint && *checkpoint == "1";
  if (config.checkpoint) {
    if (auto timeout = lookup(env, "MESOS_RECOVERY_TIMEOUT")) {
      if (!runtime::parseDuration(*timeout, &config.recovery_timeout)) {
        return Result<ExecutorConfig>::error("Failed to parse value '" + *timeout +
                                             "' of 'MESOS_RECOVERY_TIMEOUT'");
      }
    }
  }
  return config;
}

std::string newExecutorId() {
  static std::atomic<int> counter{0};
  return "executor(" + std::to_string(++counter) + ")";
}

ExecutorProcess::ExecutorProcess(std::string id, ExecutorConfig config,
                                 mesos::ExecutorDriver* driver, mesos::Executor* executor,
                                 wire::Transport& transport, runtime::EventLoop& loop,
                                 std::function<void()> on_finished,
                                 std::function<void()> kill_process_group)
    : id_(std::move(id)),
      config_(std::move(config)),
      driver_(driver),
      executor_(executor),
      transport_(transport),
      loop_(loop),
      on_finished_(std::move(on_finished)),
      kill_process_group_(std::move(kill_process_group)) {
  installHandlers();
}

ExecutorProcess::~ExecutorProcess() = default;

void ExecutorProcess::installHandlers() {
  dispatcher_.on<internal::ExecutorRegisteredMessage>(
      [this](const wire::Pid&, internal::ExecutorRegisteredMessage&& m) { registered(m); });
  dispatcher_.on<internal::ExecutorReregisteredMessage>(
      [this](const wire::Pid&, internal::ExecutorReregisteredMessage&& m) { reregistered(m); });
  dispatcher_.on<internal::ReconnectExecutorMessage>(
      [this](const wire::Pid& from, internal::ReconnectExecutorMessage&& m) {
        reconnect(from, m);
      });
  dispatcher_.on<internal::RunTaskMessage>(
      [this](const wire::Pid&, internal::RunTaskMessage&& m) { runTask(m); });
  dispatcher_.on<internal::RunTaskGroupMessage>(
      [this](const wire::Pid&, internal::RunTaskGroupMessage&& m) { runTaskGroup(m); });
  dispatcher_.on<internal::KillTaskMessage>(
      [this](const wire::Pid&, internal::KillTaskMessage&& m) { killTask(m); });
  dispatcher_.on<internal::StatusUpdateAcknowledgementMessage>(
      [this](const wire::Pid&, internal::StatusUpdateAcknowledgementMessage&& m) {
        acknowledgement(m);
      });
  dispatcher_.on<internal::FrameworkToExecutorMessage>(
      [this](const wire::Pid&, internal::FrameworkToExecutorMessage&& m) { frameworkMessage(m); });
  dispatcher_.on<internal::ShutdownExecutorMessage>(
      [this](const wire::Pid&, internal::ShutdownExecutorMessage&&) { shutdown(); });
}

void ExecutorProcess::initialize() {
  self_ = transport_.pidOf(id_);
  transport_.addProcess(
      id_, wire::ProcessHandlers{[this](wire::Message&& msg) { return receive(std::move(msg)); },
                                 [this](const wire::Pid& peer) { exited(peer); }});
  initialized_ = true;
  LOG(INFO) << "Executor " << self_.str() << " registering with agent " << config_.agent.str();
  transport_.link(id_, config_.agent);
  internal::RegisterExecutorMessage message;
  *message.mutable_framework_id() = config_.framework_id;
  *message.mutable_executor_id() = config_.executor_id;
  send(config_.agent, message);
}

wire::Delivery ExecutorProcess::receive(wire::Message&& msg) {
  if (terminated_) {
    return wire::Delivery::kUnknownMessage;
  }
  return dispatcher_.dispatch(std::move(msg));
}

void ExecutorProcess::registered(const internal::ExecutorRegisteredMessage& m) {
  if (aborted()) {
    return;
  }
  LOG(INFO) << "Executor registered on agent " << m.slave_id().value();
  connected_ = true;
  ++connection_;
  executor_->registered(driver_, m.executor_info(), m.framework_info(), m.slave_info());
}

void ExecutorProcess::reregistered(const internal::ExecutorReregisteredMessage& m) {
  if (aborted()) {
    return;
  }
  LOG(INFO) << "Executor reregistered on agent " << m.slave_id().value();
  connected_ = true;
  ++connection_;
  executor_->reregistered(driver_, m.slave_info());
}

void ExecutorProcess::reconnect(const wire::Pid& from,
                                const internal::ReconnectExecutorMessage& m) {
  if (aborted()) {
    return;
  }
  LOG(INFO) << "Received reconnect request from agent " << m.slave_id().value();
  // The agent restarted: talk to its new incarnation over a fresh connection.
  transport_.unlink(id_, config_.agent);
  config_.agent = from;
  transport_.link(id_, config_.agent);

  internal::ReregisterExecutorMessage message;
  *message.mutable_executor_id() = config_.executor_id;
  *message.mutable_framework_id() = config_.framework_id;
  for (const auto& [uuid, update] : updates_) {
    *message.add_updates() = update;
  }
  for (const auto& [task_id, task] : tasks_) {
    *message.add_tasks() = task;
  }
  send(config_.agent, message);
}

void ExecutorProcess::runTask(const internal::RunTaskMessage& m) {
  if (aborted()) {
    return;
  }
  if (!connected_) {
    LOG(WARNING) << "Ignoring task " << m.task().task_id().value()
                 << ": the driver is disconnected from the agent";
    return;
  }
  const std::string& task_id = m.task().task_id().value();
  auto known = std::find_if(tasks_.begin(), tasks_.end(),
                            [&](const auto& entry) { return entry.first == task_id; });
  if (known != tasks_.end()) {
    // Mesos treats this as fatal; an agent bug, not something to act on twice.
    LOG(ERROR) << "Ignoring duplicate task " << task_id;
    return;
  }
  tasks_.emplace_back(task_id, m.task());
  executor_->launchTask(driver_, m.task());
}

void ExecutorProcess::runTaskGroup(const internal::RunTaskGroupMessage& m) {
  if (aborted()) {
    return;
  }
  if (!connected_) {
    LOG(WARNING) << "Ignoring a task group: the driver is disconnected from the agent";
    return;
  }
  mesos::TaskGroupInfo group;
  for (const auto& task : m.task_group().tasks()) {
    const std::string& task_id = task.task_id().value();
    auto known = std::find_if(tasks_.begin(), tasks_.end(),
                              [&](const auto& entry) { return entry.first == task_id; });
    if (known != tasks_.end()) {
      LOG(ERROR) << "Ignoring duplicate task " << task_id;
      continue;
    }
    tasks_.emplace_back(task_id, task);
    *group.add_tasks() = task;
  }
  if (group.tasks_size() == 0) {
    return;
  }
  if (auto* grouped = dynamic_cast<TaskGroupExecutor*>(executor_)) {
    grouped->launchTaskGroup(driver_, group);
    return;
  }
  for (const auto& task : group.tasks()) {
    if (aborted()) {
      return;
    }
    executor_->launchTask(driver_, task);
  }
}

void ExecutorProcess::killTask(const internal::KillTaskMessage& m) {
  if (aborted()) {
    return;
  }
  if (!connected_) {
    LOG(WARNING) << "Kill request for task " << m.task_id().value()
                 << " while disconnected from the agent";
  }
  executor_->killTask(driver_, m.task_id());
}

void ExecutorProcess::acknowledgement(const internal::StatusUpdateAcknowledgementMessage& m) {
  if (aborted()) {
    return;
  }
  if (!connected_) {
    LOG(WARNING) << "Ignoring acknowledgement for task " << m.task_id().value()
                 << ": the driver is disconnected from the agent";
    return;
  }
  auto update = std::find_if(updates_.begin(), updates_.end(),
                             [&](const auto& entry) { return entry.first == m.uuid(); });
  if (update == updates_.end()) {
    LOG(WARNING) << "Ignoring unknown acknowledgement for task " << m.task_id().value();
    return;
  }
  updates_.erase(update);
  std::erase_if(tasks_, [&](const auto& entry) { return entry.first == m.task_id().value(); });
}

void ExecutorProcess::frameworkMessage(const internal::FrameworkToExecutorMessage& m) {
  if (aborted()) {
    return;
  }
  if (!connected_) {
    LOG(WARNING) << "Ignoring framework message: the driver is disconnected";
    return;
  }
  executor_->frameworkMessage(driver_, m.data());
}

void ExecutorProcess::shutdown() {
  if (aborted()) {
    return;
  }
  LOG(INFO) << "Executor asked to shut down";
  if (!config_.local) {
    // Whatever the executor does in shutdown(), nothing it started outlives the grace
    // period: its whole process group is killed then.
    auto kill = kill_process_group_;
    loop_.schedule(config_.shutdown_grace_period, [kill] {
      LOG(INFO) << "Shutdown grace period expired; killing the process group";
      kill();
    });
  }
  executor_->shutdown(driver_);
  markAborted();
  if (config_.local) {
    terminate();
  }
}

void ExecutorProcess::recoveryTimeout(std::uint64_t connection) {
  if (connected_ || connection != connection_) {
    return;
  }
  LOG(INFO) << "Recovery timeout of " << runtime::formatDuration(config_.recovery_timeout)
            << " exceeded; shutting down";
  shutdown();
}

void ExecutorProcess::exited(const wire::Pid& peer) {
  if (aborted() || terminated_ || peer.address() != config_.agent.address()) {
    return;
  }
  if (config_.checkpoint && connected_) {
    connected_ = false;
    LOG(INFO) << "Agent exited; the framework checkpoints, so waiting "
              << runtime::formatDuration(config_.recovery_timeout) << " for it to reconnect";
    std::uint64_t connection = connection_;
    loop_.schedule(config_.recovery_timeout, [this, connection] { recoveryTimeout(connection); });
    return;
  }
  LOG(INFO) << "Agent exited; shutting down";
  connected_ = false;
  shutdown();
}

void ExecutorProcess::terminate() {
  if (initialized_ && !terminated_) {
    transport_.unlink(id_, config_.agent);
    transport_.removeProcess(id_);
  }
  terminated_ = true;
}

void ExecutorProcess::stop() {
  terminate();
  on_finished_();
}

void ExecutorProcess::abort() {
  LOG(INFO) << "Deactivating the executor driver";
  on_finished_();
}

void ExecutorProcess::sendStatusUpdate(const mesos::TaskStatus& status) {
  internal::StatusUpdateMessage message;
  internal::StatusUpdate* update = message.mutable_update();
  *update->mutable_framework_id() = config_.framework_id;
  *update->mutable_executor_id() = config_.executor_id;
  *update->mutable_slave_id() = config_.slave_id;
  *update->mutable_status() = status;
  update->set_timestamp(loop_.clock().unixSeconds());
  update->mutable_status()->set_timestamp(update->timestamp());
  message.set_pid(self_.str());
  std::string uuid = randomUuidBytes();
  update->set_uuid(uuid);
  update->mutable_status()->set_uuid(uuid);
  // The agent id on the status is always the one this executor runs on.
  *update->mutable_status()->mutable_slave_id() = config_.slave_id;
  updates_.emplace_back(uuid, *update);
  send(config_.agent, message);
}

void ExecutorProcess::sendFrameworkMessage(const std::string& data) {
  internal::ExecutorToFrameworkMessage message;
  *message.mutable_slave_id() = config_.slave_id;
  *message.mutable_framework_id() = config_.framework_id;
  *message.mutable_executor_id() = config_.executor_id;
  message.set_data(data);
  send(config_.agent, message);
}

void ExecutorProcess::send(const wire::Pid& to, const google::protobuf::Message& message) {
  transport_.send(wire::makeMessage(self_, to, message));
}

}  // namespace keel::exec
