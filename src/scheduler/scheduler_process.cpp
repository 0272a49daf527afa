#include "scheduler/scheduler_process.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <random>

#include <mesos/scheduler.hpp>

namespace keel::sched {

namespace {

using mesos::scheduler::Call;
namespace internal = mesos::internal;

// Mesos's REGISTRATION_RETRY_INTERVAL_MAX.
constexpr runtime::Duration kRegistrationRetryIntervalMax = std::chrono::minutes(1);

// True for "", "@0.0.0.0:0" and anything that does not name a process: such an
// acknowledgee means the update needs no acknowledgement.
bool isEmptyPid(const std::string& text) {
  if (text.empty() || text.front() == '@') {
    return true;
  }
  auto pid = wire::Pid::parse(text);
  return !pid || pid->empty();
}

bool hasCapability(const mesos::FrameworkInfo& framework,
                   mesos::FrameworkInfo::Capability::Type type) {
  for (const auto& capability : framework.capabilities()) {
    if (capability.type() == type) {
      return true;
    }
  }
  return false;
}

}  // namespace

SchedulerProcess::SchedulerProcess(std::string id, wire::Pid master,
                                   SchedulerProcessOptions options, mesos::SchedulerDriver* driver,
                                   mesos::Scheduler* scheduler, wire::Transport& transport,
                                   runtime::EventLoop& loop, std::function<void()> on_finished)
    : id_(std::move(id)),
      master_(std::move(master)),
      driver_(driver),
      scheduler_(scheduler),
      transport_(transport),
      loop_(loop),
      on_finished_(std::move(on_finished)),
      uniform01_(std::move(options.uniform01)),
      implicit_acknowledgements_(options.implicit_acknowledgements),
      backoff_factor_(options.registration_backoff_factor),
      framework_(std::move(options.framework)),
      suppressed_roles_(options.suppressed_roles.begin(), options.suppressed_roles.end()),
      credential_(std::move(options.credential)),
      authentication_backoff_factor_(options.authentication_backoff_factor),
      authentication_timeout_min_(options.authentication_timeout_min),
      authentication_timeout_max_(options.authentication_timeout_max) {
  failover_ = framework_.has_id() && !framework_.id().value().empty();
  if (!uniform01_) {
    auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
    uniform01_ = [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
  }
  installHandlers();
}

SchedulerProcess::~SchedulerProcess() = default;

void SchedulerProcess::initialize() {
  self_ = transport_.pidOf(id_);
  transport_.addProcess(
      id_, wire::ProcessHandlers{[this](wire::Message&& msg) { return receive(std::move(msg)); },
                                 [this](const wire::Pid& peer) { exited(peer); }});
  initialized_ = true;
  LOG(INFO) << "Scheduler " << self_.str() << " registering with master " << master_.str();
  if (credential_) {
    startAuthentication();  // registration follows a successful authentication
    return;
  }
  doReliableRegistration(backoff_factor_);
}

void SchedulerProcess::installHandlers() {
  dispatcher_.on<internal::FrameworkRegisteredMessage>(
      [this](const wire::Pid& from, internal::FrameworkRegisteredMessage&& m) {
        registered(from, m);
      });
  dispatcher_.on<internal::FrameworkReregisteredMessage>(
      [this](const wire::Pid& from, internal::FrameworkReregisteredMessage&& m) {
        reregistered(from, m);
      });
  dispatcher_.on<internal::ResourceOffersMessage>(
      [this](const wire::Pid& from, internal::ResourceOffersMessage&& m) {
        resourceOffers(from, m);
      });
  dispatcher_.on<internal::RescindResourceOfferMessage>(
      [this](const wire::Pid& from, internal::RescindResourceOfferMessage&& m) {
        rescindOffer(from, m);
      });
  dispatcher_.on<internal::StatusUpdateMessage>(
      [this](const wire::Pid& from, internal::StatusUpdateMessage&& m) {
        statusUpdate(from, false, m.update(), m.pid());
      });
  dispatcher_.on<internal::LostSlaveMessage>(
      [this](const wire::Pid& from, internal::LostSlaveMessage&& m) { lostSlave(from, m); });
  dispatcher_.on<internal::ExitedExecutorMessage>(
      [this](const wire::Pid& from, internal::ExitedExecutorMessage&& m) {
        lostExecutor(from, m);
      });
  dispatcher_.on<internal::ExecutorToFrameworkMessage>(
      [this](const wire::Pid&, internal::ExecutorToFrameworkMessage&& m) { frameworkMessage(m); });
  dispatcher_.on<internal::FrameworkErrorMessage>(
      [this](const wire::Pid&, internal::FrameworkErrorMessage&& m) {
        if (!running()) {
          return;
        }
        error(m.message());
      });
}

wire::Delivery SchedulerProcess::receive(wire::Message&& msg) {
  if (terminated_) {
    return wire::Delivery::kUnknownMessage;
  }
  return dispatcher_.dispatch(std::move(msg));
}

bool SchedulerProcess::fromLeader(const wire::Pid& from, const char* what) const {
  if (!running()) {
    VLOG(1) << "Ignoring " << what << ": the driver is not running";
    return false;
  }
  if (!connected_) {
    VLOG(1) << "Ignoring " << what << ": the driver is disconnected";
    return false;
  }
  if (from != master_) {
    VLOG(1) << "Ignoring " << what << " from " << from.str() << ", not the leading master "
            << master_.str();
    return false;
  }
  return true;
}

void SchedulerProcess::exited(const wire::Pid& peer) {
  if (terminated_ || !running() || peer.address() != master_.address()) {
    return;
  }
  LOG(WARNING) << "Lost the connection to master " << master_.str();
  bool was_connected = connected_;
  connected_ = false;
  if (was_connected) {
    scheduler_->disconnected(driver_);
  }
  // The master forgets our authentication with the connection: authenticate afresh,
  // unless an attempt is under way (its timeout paces the retries).
  if (credential_) {
    if (!authenticatee_ && !retry_authentication_) {
      cancelRegistrationTimer();
      startAuthentication();
    }
    return;
  }
  // Re-subscribe to the same master. If a retry is already scheduled it keeps the
  // backoff going: a master that stays down must not be hammered.
  if (!registration_timer_ && running()) {
    doReliableRegistration(backoff_factor_);
  }
}

void SchedulerProcess::cancelRegistrationTimer() {
  if (registration_timer_) {
    loop_.cancel(*registration_timer_);
    registration_timer_.reset();
  }
}

void SchedulerProcess::doReliableRegistration(runtime::Duration max_backoff) {
  registration_timer_.reset();
  if (terminated_ || !running() || connected_) {
    return;
  }

  Call call;
  call.set_type(Call::SUBSCRIBE);
  Call::Subscribe* subscribe = call.mutable_subscribe();
  *subscribe->mutable_framework_info() = framework_;
  *subscribe->mutable_offer_constraints() = offer_constraints_;
  for (const auto& role : suppressed_roles_) {
    subscribe->add_suppressed_roles(role);
  }
  if (framework_.has_id() && !framework_.id().value().empty()) {
    subscribe->set_force(failover_);
    *call.mutable_framework_id() = framework_.id();
  }

  // Linking here, not in exited(), ties reconnect attempts to the backoff.
  transport_.link(id_, master_);
  VLOG(1) << "Sending SUBSCRIBE call to " << master_.str();
  send(master_, call);

  max_backoff = std::min(max_backoff, kRegistrationRetryIntervalMax);
  if (framework_.has_failover_timeout() && framework_.failover_timeout() > 0) {
    auto tenth = std::chrono::duration_cast<runtime::Duration>(
        std::chrono::duration<double>(framework_.failover_timeout() / 10));
    max_backoff = std::min(max_backoff, tenth);
  }
  double fraction = std::clamp(uniform01_(), 0.0, 1.0);
  auto delay = std::chrono::duration_cast<runtime::Duration>(max_backoff * fraction);
  VLOG(1) << "Will retry registration in " << runtime::formatDuration(delay) << " if necessary";
  runtime::Duration next = max_backoff * 2;
  registration_timer_ = loop_.schedule(delay, [this, next] { doReliableRegistration(next); });
}

void SchedulerProcess::registered(const wire::Pid& from,
                                  const internal::FrameworkRegisteredMessage& m) {
  if (!running()) {
    return;
  }
  if (connected_) {
    VLOG(1) << "Ignoring FrameworkRegisteredMessage: already connected";
    return;
  }
  if (from != master_) {
    LOG(WARNING) << "Ignoring FrameworkRegisteredMessage from " << from.str()
                 << " instead of the leading master " << master_.str();
    return;
  }
  LOG(INFO) << "Framework registered with " << m.framework_id().value();
  *framework_.mutable_id() = m.framework_id();
  connected_ = true;
  failover_ = false;
  cancelRegistrationTimer();
  if (send_update_framework_on_connect_) {
    sendUpdateFramework();
  }
  send_update_framework_on_connect_ = false;
  scheduler_->registered(driver_, m.framework_id(), m.master_info());
}

void SchedulerProcess::reregistered(const wire::Pid& from,
                                    const internal::FrameworkReregisteredMessage& m) {
  if (!running()) {
    return;
  }
  if (connected_) {
    VLOG(1) << "Ignoring FrameworkReregisteredMessage: already connected";
    return;
  }
  if (from != master_) {
    LOG(WARNING) << "Ignoring FrameworkReregisteredMessage from " << from.str()
                 << " instead of the leading master " << master_.str();
    return;
  }
  if (m.framework_id().value() != framework_.id().value()) {
    LOG(WARNING) << "Ignoring FrameworkReregisteredMessage for framework "
                 << m.framework_id().value() << "; this driver is " << framework_.id().value();
    return;
  }
  LOG(INFO) << "Framework reregistered with " << m.framework_id().value();
  connected_ = true;
  failover_ = false;
  cancelRegistrationTimer();
  if (send_update_framework_on_connect_) {
    sendUpdateFramework();
  }
  send_update_framework_on_connect_ = false;
  scheduler_->reregistered(driver_, m.master_info());
}

void SchedulerProcess::resourceOffers(const wire::Pid& from,
                                      const internal::ResourceOffersMessage& m) {
  if (!fromLeader(from, "ResourceOffersMessage")) {
    return;
  }
  // Inverse offers alone arrive as an empty offer list; the v0 API has no use for them.
  if (m.offers_size() == 0) {
    return;
  }
  if (m.offers_size() != m.pids_size()) {
    LOG(WARNING) << "ResourceOffersMessage has " << m.offers_size() << " offers but "
                 << m.pids_size() << " pids";
  }
  for (int i = 0; i < m.offers_size() && i < m.pids_size(); ++i) {
    auto pid = wire::Pid::parse(m.pids(i));
    if (pid && !pid->empty()) {
      saved_offers_[m.offers(i).id().value()][m.offers(i).slave_id().value()] = *pid;
    } else {
      VLOG(1) << "Could not parse agent pid '" << m.pids(i) << "'";
    }
  }
  std::vector<mesos::Offer> offers(m.offers().begin(), m.offers().end());
  scheduler_->resourceOffers(driver_, offers);
}

void SchedulerProcess::rescindOffer(const wire::Pid& from,
                                    const internal::RescindResourceOfferMessage& m) {
  if (!fromLeader(from, "RescindResourceOfferMessage")) {
    return;
  }
  saved_offers_.erase(m.offer_id().value());
  scheduler_->offerRescinded(driver_, m.offer_id());
}

void SchedulerProcess::statusUpdate(const wire::Pid& from, bool from_driver,
                                    const internal::StatusUpdate& update,
                                    const std::string& ack_pid) {
  if (!running()) {
    return;
  }
  if (!from_driver && !fromLeader(from, "StatusUpdateMessage")) {
    return;
  }
  if (update.framework_id().value() != framework_.id().value()) {
    LOG(WARNING) << "Ignoring status update for framework " << update.framework_id().value()
                 << "; this driver is " << framework_.id().value();
    return;
  }

  // Only updates the master relays for an agent (with a uuid and an acknowledgee)
  // need an acknowledgement; those generated by the master or by this driver do not,
  // and the scheduler must not see a uuid on them.
  const bool needs_ack =
      !from_driver && update.has_uuid() && !update.uuid().empty() && !isEmptyPid(ack_pid);
  mesos::TaskStatus status = update.status();
  if (needs_ack) {
    status.set_uuid(update.uuid());
  } else {
    status.clear_uuid();
  }

  scheduler_->statusUpdate(driver_, status);

  // The callback may have stopped or aborted the driver: then no acknowledgement.
  if (!implicit_acknowledgements_ || !needs_ack || !running() || !connected_) {
    return;
  }
  Call call = newCall(Call::ACKNOWLEDGE);
  Call::Acknowledge* ack = call.mutable_acknowledge();
  *ack->mutable_slave_id() = update.slave_id();
  *ack->mutable_task_id() = update.status().task_id();
  ack->set_uuid(update.uuid());
  send(master_, call);
}

void SchedulerProcess::lostSlave(const wire::Pid& from, const internal::LostSlaveMessage& m) {
  if (!fromLeader(from, "LostSlaveMessage")) {
    return;
  }
  saved_agent_pids_.erase(m.slave_id().value());
  scheduler_->slaveLost(driver_, m.slave_id());
}

void SchedulerProcess::lostExecutor(const wire::Pid& from,
                                    const internal::ExitedExecutorMessage& m) {
  if (!fromLeader(from, "ExitedExecutorMessage")) {
    return;
  }
  scheduler_->executorLost(driver_, m.executor_id(), m.slave_id(), m.status());
}

void SchedulerProcess::frameworkMessage(const internal::ExecutorToFrameworkMessage& m) {
  // Delivered whatever the connection state and sender: agents send these directly.
  if (!running()) {
    return;
  }
  scheduler_->frameworkMessage(driver_, m.executor_id(), m.slave_id(), m.data());
}

void SchedulerProcess::error(const std::string& message) {
  if (!running()) {
    return;
  }
  LOG(INFO) << "Scheduler driver error: " << message;
  driver_->abort();
  scheduler_->error(driver_, message);
}

void SchedulerProcess::stop(bool failover) {
  if (terminated_) {
    on_finished_();
    return;
  }
  LOG(INFO) << "Stopping framework " << framework_.id().value();
  cancelRegistrationTimer();
  cancelAuthentication();
  if (connected_ && !failover && !terminated_) {
    send(master_, newCall(Call::TEARDOWN));
  }
  if (initialized_ && !terminated_) {
    transport_.unlink(id_, master_);
    transport_.removeProcess(id_);
  }
  terminated_ = true;
  on_finished_();
}

void SchedulerProcess::abort() {
  LOG(INFO) << "Aborting framework " << framework_.id().value();
  cancelRegistrationTimer();
  cancelAuthentication();
  if (connected_ && !terminated_) {
    internal::DeactivateFrameworkMessage message;
    *message.mutable_framework_id() = framework_.id();
    send(master_, message);
  }
  on_finished_();
}

void SchedulerProcess::killTask(const mesos::TaskID& task_id) {
  if (!connected_) {
    VLOG(1) << "Dropping killTask: disconnected from the master";
    return;
  }
  Call call = newCall(Call::KILL);
  *call.mutable_kill()->mutable_task_id() = task_id;
  send(master_, call);
}

void SchedulerProcess::requestResources(const std::vector<mesos::Request>& requests) {
  if (!connected_) {
    VLOG(1) << "Dropping requestResources: disconnected from the master";
    return;
  }
  Call call = newCall(Call::REQUEST);
  // `request` is present even with no requests: the master requires it.
  Call::Request* request_call = call.mutable_request();
  for (const auto& request : requests) {
    *request_call->add_requests() = request;
  }
  send(master_, call);
}

void SchedulerProcess::launchTasks(const std::vector<mesos::OfferID>& offer_ids,
                                   const std::vector<mesos::TaskInfo>& tasks,
                                   const mesos::Filters& filters) {
  mesos::Offer::Operation operation;
  operation.set_type(mesos::Offer::Operation::LAUNCH);
  // `launch` is present even with no tasks (an empty launch declines the offers).
  mesos::Offer::Operation::Launch* launch = operation.mutable_launch();
  for (const auto& task : tasks) {
    *launch->add_task_infos() = task;
  }
  acceptOffers(offer_ids, {operation}, filters);
}

void SchedulerProcess::acceptOffers(const std::vector<mesos::OfferID>& offer_ids,
                                    const std::vector<mesos::Offer::Operation>& operations,
                                    const mesos::Filters& filters) {
  if (!connected_) {
    // Answer launches locally so the framework learns they did not happen.
    const auto state = hasCapability(framework_, mesos::FrameworkInfo::Capability::PARTITION_AWARE)
                           ? mesos::TASK_DROPPED
                           : mesos::TASK_LOST;
    for (const auto& operation : operations) {
      if (operation.type() != mesos::Offer::Operation::LAUNCH) {
        continue;
      }
      for (const auto& task : operation.launch().task_infos()) {
        internal::StatusUpdate update;
        update.set_timestamp(loop_.clock().unixSeconds());
        *update.mutable_framework_id() = framework_.id();
        mesos::TaskStatus* status = update.mutable_status();
        *status->mutable_task_id() = task.task_id();
        status->set_state(state);
        status->set_source(mesos::TaskStatus::SOURCE_MASTER);
        status->set_message("Master disconnected");
        status->set_timestamp(update.timestamp());
        status->set_reason(mesos::TaskStatus::REASON_MASTER_DISCONNECTED);
        statusUpdate(wire::Pid{}, true, update, std::string());
      }
    }
    return;
  }

  Call call = newCall(Call::ACCEPT);
  Call::Accept* accept = call.mutable_accept();
  for (const auto& operation : operations) {
    // Same as Mesos: operation feedback cannot be delivered through this driver, and
    // asking for it is a programming error in the framework.
    LOG_IF(FATAL, operation.has_id())
        << "An offer operation's 'id' field was set, which is disallowed because the "
           "SchedulerDriver cannot handle offer operation status updates";
    *accept->add_operations() = operation;
  }
  for (const auto& offer_id : offer_ids) {
    *accept->add_offer_ids() = offer_id;
    auto saved = saved_offers_.find(offer_id.value());
    if (saved == saved_offers_.end()) {
      LOG(WARNING) << "Accepting an unknown offer " << offer_id.value();
      continue;
    }
    // Remember the agents we launch on, to send framework messages to them directly.
    for (const auto& operation : operations) {
      if (operation.type() != mesos::Offer::Operation::LAUNCH) {
        continue;
      }
      for (const auto& task : operation.launch().task_infos()) {
        auto agent = saved->second.find(task.slave_id().value());
        if (agent != saved->second.end()) {
          saved_agent_pids_[task.slave_id().value()] = agent->second;
        } else {
          LOG(WARNING) << "Launching task " << task.task_id().value() << " with the wrong agent id "
                       << task.slave_id().value();
        }
      }
    }
    saved_offers_.erase(saved);
  }
  *accept->mutable_filters() = filters;
  send(master_, call);
}

void SchedulerProcess::declineOffer(const mesos::OfferID& offer_id, const mesos::Filters& filters) {
  if (!connected_) {
    VLOG(1) << "Dropping declineOffer: disconnected from the master";
    return;
  }
  if (saved_offers_.erase(offer_id.value()) == 0) {
    LOG(WARNING) << "Declining an unknown offer " << offer_id.value();
  }
  Call call = newCall(Call::DECLINE);
  *call.mutable_decline()->add_offer_ids() = offer_id;
  *call.mutable_decline()->mutable_filters() = filters;
  send(master_, call);
}

void SchedulerProcess::reviveOffers(const std::vector<std::string>& roles) {
  if (roles.empty()) {
    suppressed_roles_.clear();
  } else {
    for (const auto& role : roles) {
      suppressed_roles_.erase(role);
    }
  }
  if (!connected_) {
    // The new suppressed set reaches the master with UPDATE_FRAMEWORK on reconnect.
    send_update_framework_on_connect_ = true;
    return;
  }
  Call call = newCall(Call::REVIVE);
  for (const auto& role : roles) {
    call.mutable_revive()->add_roles(role);
  }
  send(master_, call);
}

void SchedulerProcess::suppressOffers(const std::vector<std::string>& roles) {
  if (roles.empty()) {
    suppressed_roles_ = std::set<std::string>(framework_.roles().begin(), framework_.roles().end());
  } else {
    suppressed_roles_.insert(roles.begin(), roles.end());
  }
  if (!connected_) {
    send_update_framework_on_connect_ = true;
    return;
  }
  Call call = newCall(Call::SUPPRESS);
  for (const auto& role : roles) {
    call.mutable_suppress()->add_roles(role);
  }
  send(master_, call);
}

void SchedulerProcess::acknowledgeStatusUpdate(const mesos::TaskStatus& status) {
  // Deliberately not checking running(): acknowledgements asked for before stop() or
  // abort() still go out.
  if (!connected_) {
    VLOG(1) << "Dropping acknowledgement: disconnected from the master";
    return;
  }
  // Master- and driver-generated updates carry no uuid and need no acknowledgement.
  if (!status.has_uuid() || !status.has_slave_id()) {
    return;
  }
  Call call = newCall(Call::ACKNOWLEDGE);
  *call.mutable_acknowledge()->mutable_slave_id() = status.slave_id();
  *call.mutable_acknowledge()->mutable_task_id() = status.task_id();
  call.mutable_acknowledge()->set_uuid(status.uuid());
  send(master_, call);
}

void SchedulerProcess::sendFrameworkMessage(const mesos::ExecutorID& executor_id,
                                            const mesos::SlaveID& slave_id,
                                            const std::string& data) {
  if (!connected_) {
    VLOG(1) << "Dropping framework message: disconnected from the master";
    return;
  }
  auto agent = saved_agent_pids_.find(slave_id.value());
  if (agent != saved_agent_pids_.end()) {
    internal::FrameworkToExecutorMessage message;
    *message.mutable_slave_id() = slave_id;
    *message.mutable_framework_id() = framework_.id();
    *message.mutable_executor_id() = executor_id;
    message.set_data(data);
    send(agent->second, message);
    return;
  }
  Call call = newCall(Call::MESSAGE);
  *call.mutable_message()->mutable_slave_id() = slave_id;
  *call.mutable_message()->mutable_executor_id() = executor_id;
  call.mutable_message()->set_data(data);
  send(master_, call);
}

void SchedulerProcess::reconcileTasks(const std::vector<mesos::TaskStatus>& statuses) {
  if (!connected_) {
    VLOG(1) << "Dropping reconcileTasks: disconnected from the master";
    return;
  }
  Call call = newCall(Call::RECONCILE);
  Call::Reconcile* reconcile = call.mutable_reconcile();
  for (const auto& status : statuses) {
    Call::Reconcile::Task* task = reconcile->add_tasks();
    *task->mutable_task_id() = status.task_id();
    if (status.has_slave_id()) {
      *task->mutable_slave_id() = status.slave_id();
    }
  }
  send(master_, call);
}

void SchedulerProcess::updateFramework(const mesos::FrameworkInfo& framework,
                                       std::set<std::string> suppressed,
                                       mesos::scheduler::OfferConstraints constraints) {
  if (!framework_.has_id() || framework_.id().value().empty()) {
    error(
        "MesosSchedulerDriver::updateFramework() must not be called prior to registration "
        "with the master");
    return;
  }
  if (framework.id().value() != framework_.id().value()) {
    error("The 'FrameworkInfo.id' provided to MesosSchedulerDriver::updateFramework() (" +
          framework.id().value() + ") must be equal to the value known to the " +
          "MesosSchedulerDriver (" + framework_.id().value() + ")");
    return;
  }
  framework_ = framework;
  suppressed_roles_ = std::move(suppressed);
  offer_constraints_ = std::move(constraints);
  if (connected_) {
    sendUpdateFramework();
  } else {
    send_update_framework_on_connect_ = true;
  }
}

mesos::scheduler::Call SchedulerProcess::newCall(Call::Type type) const {
  Call call;
  if (framework_.has_id()) {
    *call.mutable_framework_id() = framework_.id();
  }
  call.set_type(type);
  return call;
}

void SchedulerProcess::sendUpdateFramework() {
  Call call = newCall(Call::UPDATE_FRAMEWORK);
  Call::UpdateFramework* update = call.mutable_update_framework();
  *update->mutable_framework_info() = framework_;
  *update->mutable_offer_constraints() = offer_constraints_;
  for (const auto& role : suppressed_roles_) {
    update->add_suppressed_roles(role);
  }
  send(master_, call);
}

void SchedulerProcess::send(const wire::Pid& to, const google::protobuf::Message& message) {
  transport_.send(wire::makeMessage(self_, to, message));
}

}  // namespace keel::sched
