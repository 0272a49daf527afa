#include "scheduler/scheduler_driver_impl.hpp"

#include <glog/logging.h>

#include <cctype>
#include <future>
#include <set>

#include "scheduler/scheduler_process.hpp"

namespace keel::sched {

namespace {

std::optional<std::string> processEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) {
    return std::nullopt;
  }
  return std::string(value);
}

}  // namespace

void lingerThenDrain(runtime::EventLoop& loop, runtime::Duration linger) {
  if (linger > runtime::Duration::zero() && !loop.clock().manual()) {
    // The transport has no flush; give queued writes a moment on the running loop.
    std::promise<void> done;
    loop.schedule(linger, [&done] { done.set_value(); });
    done.get_future().wait();
  }
  loop.drain();
}

SchedulerDriverImpl::SchedulerDriverImpl(mesos::SchedulerDriver* self, mesos::Scheduler* scheduler,
                                         const mesos::FrameworkInfo& framework,
                                         std::vector<std::string> suppressed_roles,
                                         std::string master, bool implicit_acknowledgements,
                                         std::optional<mesos::Credential> credential,
                                         SchedulerDriverDeps deps)
    : self_(self != nullptr ? self : this),
      scheduler_(scheduler),
      framework_(framework),
      initial_suppressed_roles_(std::move(suppressed_roles)),
      master_(std::move(master)),
      implicit_acknowledgements_(implicit_acknowledgements),
      credential_(std::move(credential)),
      deps_(std::move(deps)),
      scheduler_id_(newSchedulerId()) {
  if (!deps_.getenv) {
    deps_.getenv = processEnv;
  }
  if (!deps_.make_transport) {
    deps_.make_transport = defaultTransportFactory(deps_.getenv);
    if (!deps_.shutdown_linger) {
      deps_.shutdown_linger = std::chrono::milliseconds(100);
    }
  }
  fillMissingFrameworkInfoFields(&framework_);
}

SchedulerDriverImpl::~SchedulerDriverImpl() {
  if (!loop_) {
    return;
  }
  if (loop_->inLoopThread()) {
    // Tearing the loop down from its own thread would free it under our feet. Leak
    // it instead: this only happens when a framework deletes its driver in a callback.
    LOG(ERROR) << "MesosSchedulerDriver destroyed from inside one of its callbacks; "
                  "leaking its thread";
    process_->markNotRunning();
    (void)process_.release();
    (void)transport_.release();
    (void)loop_.release();
    return;
  }
  process_->markNotRunning();
  // Unregister from the transport on the loop, where the transport may be touched.
  SchedulerProcess* process = process_.get();
  loop_->post([process] { process->stop(/*failover=*/true); });
  lingerThenDrain(*loop_, deps_.shutdown_linger.value_or(runtime::Duration::zero()));
  loop_->stop();
  loop_->join();
  process_.reset();
  transport_.reset();
  loop_.reset();
}

void SchedulerDriverImpl::abortWithError(const std::string& message) {
  status_ = mesos::DRIVER_ABORTED;
  LOG(ERROR) << message;
  scheduler_->error(self_, message);
}

mesos::Status SchedulerDriverImpl::start() {
  std::lock_guard lock(mutex_);
  if (status_ != mesos::DRIVER_NOT_STARTED) {
    return status_;
  }

  SchedulerProcessOptions options;
  if (auto value = deps_.getenv("MESOS_REGISTRATION_BACKOFF_FACTOR")) {
    if (!runtime::parseDuration(*value, &options.registration_backoff_factor)) {
      abortWithError("Failed to load flag 'registration_backoff_factor': cannot parse '" + *value +
                     "' as a duration");
      return status_;
    }
  }

  Result<wire::Pid> master = resolveMaster(master_);
  if (!master) {
    abortWithError("Failed to create a master detector for '" + master_ + "': " + master.message());
    return status_;
  }

  // Authentication flags (Mesos's src/sched/flags.hpp); used only with a credential.
  const std::pair<const char*, runtime::Duration*> auth_durations[] = {
      {"authentication_backoff_factor", &options.authentication_backoff_factor},
      {"authentication_timeout_min", &options.authentication_timeout_min},
      {"authentication_timeout_max", &options.authentication_timeout_max}};
  for (const auto& [name, target] : auth_durations) {
    std::string env = "MESOS_" + std::string(name);
    for (auto& c : env) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    if (auto value = deps_.getenv(env)) {
      if (!runtime::parseDuration(*value, target)) {
        abortWithError("Failed to load flag '" + std::string(name) + "': cannot parse '" +
                       *value + "' as a duration");
        return status_;
      }
    }
  }
  if (auto value = deps_.getenv("MESOS_AUTHENTICATEE"); value && *value != "crammd5") {
    abortWithError("Could not create authenticatee module '" + *value +
                   "': Keel only has the default 'crammd5' authenticatee");
    return status_;
  }
  options.credential = credential_;

  runtime::Clock& clock = deps_.clock != nullptr ? *deps_.clock : runtime::RealClock::instance();
  auto loop = std::make_unique<runtime::EventLoop>(clock);
  loop->start();

  // The transport belongs to the loop: build it there and wait.
  std::promise<Result<std::unique_ptr<wire::Transport>>> built;
  auto future = built.get_future();
  loop->post([&] { built.set_value(deps_.make_transport(*loop, *master)); });
  Result<std::unique_ptr<wire::Transport>> transport = future.get();
  if (!transport) {
    loop->stop();
    loop->join();
    abortWithError("Failed to start the scheduler driver's transport: " + transport.message());
    return status_;
  }

  options.framework = framework_;
  options.suppressed_roles = initial_suppressed_roles_;
  options.implicit_acknowledgements = implicit_acknowledgements_;
  options.uniform01 = deps_.uniform01;

  loop_ = std::move(loop);
  transport_ = std::move(transport).value();
  process_ = std::make_unique<SchedulerProcess>(scheduler_id_, *master, std::move(options), self_,
                                                scheduler_, *transport_, *loop_,
                                                [this] { triggerLatch(); });
  SchedulerProcess* process = process_.get();
  loop_->post([process] { process->initialize(); });
  return status_ = mesos::DRIVER_RUNNING;
}

void SchedulerDriverImpl::triggerLatch() {
  std::lock_guard lock(latch_mutex_);
  latch_triggered_ = true;
  latch_cv_.notify_all();
}

mesos::Status SchedulerDriverImpl::stop(bool failover) {
  std::lock_guard lock(mutex_);
  LOG(INFO) << "Asked to stop the driver";
  if (status_ != mesos::DRIVER_RUNNING && status_ != mesos::DRIVER_ABORTED) {
    return status_;
  }
  if (process_) {
    process_->markNotRunning();
    SchedulerProcess* process = process_.get();
    loop_->post([process, failover] { process->stop(failover); });
  }
  bool aborted = status_ == mesos::DRIVER_ABORTED;
  status_ = mesos::DRIVER_STOPPED;
  return aborted ? mesos::DRIVER_ABORTED : status_;
}

mesos::Status SchedulerDriverImpl::abort() {
  std::lock_guard lock(mutex_);
  LOG(INFO) << "Asked to abort the driver";
  if (status_ != mesos::DRIVER_RUNNING) {
    return status_;
  }
  process_->markNotRunning();
  SchedulerProcess* process = process_.get();
  loop_->post([process] { process->abort(); });
  return status_ = mesos::DRIVER_ABORTED;
}

mesos::Status SchedulerDriverImpl::join() {
  {
    std::lock_guard lock(mutex_);
    if (!process_) {
      return status_;
    }
    // From a callback after stop()/abort() (Mesos returns the status at once there):
    // the latch is released by work queued behind this very callback, so waiting
    // would deadlock the driver's thread.
    if (status_ != mesos::DRIVER_RUNNING && loop_->inLoopThread()) {
      return status_;
    }
  }
  {
    std::unique_lock lock(latch_mutex_);
    latch_cv_.wait(lock, [this] { return latch_triggered_; });
  }
  std::lock_guard lock(mutex_);
  return status_;
}

mesos::Status SchedulerDriverImpl::run() {
  mesos::Status status = start();
  return status != mesos::DRIVER_RUNNING ? status : join();
}

mesos::Status SchedulerDriverImpl::dispatch(std::function<void(SchedulerProcess&)> fn) {
  if (status_ != mesos::DRIVER_RUNNING) {
    return status_;
  }
  SchedulerProcess* process = process_.get();
  loop_->post([process, fn = std::move(fn)] { fn(*process); });
  return status_;
}

mesos::Status SchedulerDriverImpl::requestResources(const std::vector<mesos::Request>& requests) {
  std::lock_guard lock(mutex_);
  return dispatch([requests](SchedulerProcess& p) { p.requestResources(requests); });
}

mesos::Status SchedulerDriverImpl::launchTasks(const std::vector<mesos::OfferID>& offer_ids,
                                               const std::vector<mesos::TaskInfo>& tasks,
                                               const mesos::Filters& filters) {
  std::lock_guard lock(mutex_);
  return dispatch([offer_ids, tasks, filters](SchedulerProcess& p) {
    p.launchTasks(offer_ids, tasks, filters);
  });
}

mesos::Status SchedulerDriverImpl::launchTasks(const mesos::OfferID& offer_id,
                                               const std::vector<mesos::TaskInfo>& tasks,
                                               const mesos::Filters& filters) {
  return launchTasks(std::vector<mesos::OfferID>{offer_id}, tasks, filters);
}

mesos::Status SchedulerDriverImpl::killTask(const mesos::TaskID& task_id) {
  std::lock_guard lock(mutex_);
  return dispatch([task_id](SchedulerProcess& p) { p.killTask(task_id); });
}

mesos::Status SchedulerDriverImpl::acceptOffers(
    const std::vector<mesos::OfferID>& offer_ids,
    const std::vector<mesos::Offer::Operation>& operations, const mesos::Filters& filters) {
  std::lock_guard lock(mutex_);
  return dispatch([offer_ids, operations, filters](SchedulerProcess& p) {
    p.acceptOffers(offer_ids, operations, filters);
  });
}

mesos::Status SchedulerDriverImpl::declineOffer(const mesos::OfferID& offer_id,
                                                const mesos::Filters& filters) {
  std::lock_guard lock(mutex_);
  return dispatch([offer_id, filters](SchedulerProcess& p) { p.declineOffer(offer_id, filters); });
}

mesos::Status SchedulerDriverImpl::reviveOffers() {
  std::lock_guard lock(mutex_);
  return dispatch([](SchedulerProcess& p) { p.reviveOffers({}); });
}

mesos::Status SchedulerDriverImpl::reviveOffers(const std::vector<std::string>& roles) {
  std::lock_guard lock(mutex_);
  if (roles.empty()) {
    return status_;  // an empty list changes nothing
  }
  return dispatch([roles](SchedulerProcess& p) { p.reviveOffers(roles); });
}

mesos::Status SchedulerDriverImpl::suppressOffers() {
  std::lock_guard lock(mutex_);
  return dispatch([](SchedulerProcess& p) { p.suppressOffers({}); });
}

mesos::Status SchedulerDriverImpl::suppressOffers(const std::vector<std::string>& roles) {
  std::lock_guard lock(mutex_);
  if (roles.empty()) {
    return status_;
  }
  return dispatch([roles](SchedulerProcess& p) { p.suppressOffers(roles); });
}

mesos::Status SchedulerDriverImpl::acknowledgeStatusUpdate(const mesos::TaskStatus& status) {
  std::lock_guard lock(mutex_);
  if (status_ != mesos::DRIVER_RUNNING) {
    return status_;
  }
  // Mesos aborts the process here too: the framework asked for two ack regimes at once.
  LOG_IF(FATAL, implicit_acknowledgements_)
      << "Cannot call acknowledgeStatusUpdate: Implicit acknowledgements are enabled";
  return dispatch([status](SchedulerProcess& p) { p.acknowledgeStatusUpdate(status); });
}

mesos::Status SchedulerDriverImpl::sendFrameworkMessage(const mesos::ExecutorID& executor_id,
                                                        const mesos::SlaveID& slave_id,
                                                        const std::string& data) {
  std::lock_guard lock(mutex_);
  return dispatch([executor_id, slave_id, data](SchedulerProcess& p) {
    p.sendFrameworkMessage(executor_id, slave_id, data);
  });
}

mesos::Status SchedulerDriverImpl::reconcileTasks(const std::vector<mesos::TaskStatus>& statuses) {
  std::lock_guard lock(mutex_);
  return dispatch([statuses](SchedulerProcess& p) { p.reconcileTasks(statuses); });
}

mesos::Status SchedulerDriverImpl::updateFramework(
    const mesos::FrameworkInfo& framework, const std::vector<std::string>& suppressed_roles,
    mesos::scheduler::OfferConstraints&& constraints) {
  std::lock_guard lock(mutex_);
  if (status_ != mesos::DRIVER_RUNNING) {
    return status_;
  }
  framework_ = framework;
  fillMissingFrameworkInfoFields(&framework_);
  std::set<std::string> suppressed(suppressed_roles.begin(), suppressed_roles.end());
  // Mesos treats a duplicated role as a programming error and crashes; so do we.
  CHECK_EQ(suppressed.size(), suppressed_roles.size())
      << "Invalid suppressed role list: contains duplicates";
  return dispatch([info = framework_, suppressed = std::move(suppressed),
                   constraints = std::move(constraints)](SchedulerProcess& p) mutable {
    p.updateFramework(info, std::move(suppressed), std::move(constraints));
  });
}

}  // namespace keel::sched
