// The public MesosSchedulerDriver: a thin shell over SchedulerDriverImpl.

#include <mesos/scheduler.hpp>

#include "scheduler/scheduler_driver_impl.hpp"

namespace mesos {

struct MesosSchedulerDriver::Impl {
  Impl(SchedulerDriver* self, Scheduler* scheduler, const FrameworkInfo& framework,
       std::vector<std::string> suppressed_roles, const std::string& master,
       bool implicit_acknowledgements, std::optional<Credential> credential)
      : core(self, scheduler, framework, std::move(suppressed_roles), master,
             implicit_acknowledgements, std::move(credential)) {}

  keel::sched::SchedulerDriverImpl core;
};

MesosSchedulerDriver::MesosSchedulerDriver(Scheduler* scheduler, const FrameworkInfo& framework,
                                           const std::string& master)
    : impl_(std::make_unique<Impl>(this, scheduler, framework, std::vector<std::string>{}, master,
                                   true, std::nullopt)) {}

MesosSchedulerDriver::MesosSchedulerDriver(Scheduler* scheduler, const FrameworkInfo& framework,
                                           const std::string& master, const Credential& credential)
    : impl_(std::make_unique<Impl>(this, scheduler, framework, std::vector<std::string>{}, master,
                                   true, credential)) {}

MesosSchedulerDriver::MesosSchedulerDriver(Scheduler* scheduler, const FrameworkInfo& framework,
                                           const std::string& master, bool implicitAcknowledgements)
    : impl_(std::make_unique<Impl>(this, scheduler, framework, std::vector<std::string>{}, master,
                                   implicitAcknowledgements, std::nullopt)) {}

MesosSchedulerDriver::MesosSchedulerDriver(Scheduler* scheduler, const FrameworkInfo& framework,
                                           const std::string& master, bool implicitAcknowlegements,
                                           const Credential& credential)
    : impl_(std::make_unique<Impl>(this, scheduler, framework, std::vector<std::string>{}, master,
                                   implicitAcknowlegements, credential)) {}

MesosSchedulerDriver::MesosSchedulerDriver(Scheduler* scheduler, const FrameworkInfo& framework,
                                           const std::vector<std::string>& suppressedRoles,
                                           const std::string& master, bool implicitAcknowledgements)
    : impl_(std::make_unique<Impl>(this, scheduler, framework, suppressedRoles, master,
                                   implicitAcknowledgements, std::nullopt)) {}

MesosSchedulerDriver::MesosSchedulerDriver(Scheduler* scheduler, const FrameworkInfo& framework,
                                           const std::vector<std::string>& suppressedRoles,
                                           const std::string& master, bool implicitAcknowlegements,
                                           const Credential& credential)
    : impl_(std::make_unique<Impl>(this, scheduler, framework, suppressedRoles, master,
                                   implicitAcknowlegements, credential)) {}

MesosSchedulerDriver::~MesosSchedulerDriver() = default;

Status MesosSchedulerDriver::start() { return impl_->core.start(); }
Status MesosSchedulerDriver::stop(bool failover) { return impl_->core.stop(failover); }
Status MesosSchedulerDriver::abort() { return impl_->core.abort(); }
Status MesosSchedulerDriver::join() { return impl_->core.join(); }
Status MesosSchedulerDriver::run() { return impl_->core.run(); }

Status MesosSchedulerDriver::requestResources(const std::vector<Request>& requests) {
  return impl_->core.requestResources(requests);
}

Status MesosSchedulerDriver::launchTasks(const OfferID& offerId, const std::vector<TaskInfo>& tasks,
                                         const Filters& filters) {
  return impl_->core.launchTasks(offerId, tasks, filters);
}

Status MesosSchedulerDriver::launchTasks(const std::vector<OfferID>& offerIds,
                                         const std::vector<TaskInfo>& tasks,
                                         const Filters& filters) {
  return impl_->core.launchTasks(offerIds, tasks, filters);
}

Status MesosSchedulerDriver::killTask(const TaskID& taskId) { return impl_->core.killTask(taskId); }

Status MesosSchedulerDriver::acceptOffers(const std::vector<OfferID>& offerIds,
                                          const std::vector<Offer::Operation>& operations,
                                          const Filters& filters) {
  return impl_->core.acceptOffers(offerIds, operations, filters);
}

Status MesosSchedulerDriver::declineOffer(const OfferID& offerId, const Filters& filters) {
  return impl_->core.declineOffer(offerId, filters);
}

Status MesosSchedulerDriver::reviveOffers() { return impl_->core.reviveOffers(); }

Status MesosSchedulerDriver::reviveOffers(const std::vector<std::string>& roles) {
  return impl_->core.reviveOffers(roles);
}

Status MesosSchedulerDriver::suppressOffers() { return impl_->core.suppressOffers(); }

Status MesosSchedulerDriver::suppressOffers(const std::vector<std::string>& roles) {
  return impl_->core.suppressOffers(roles);
}

Status MesosSchedulerDriver::acknowledgeStatusUpdate(const TaskStatus& status) {
  return impl_->core.acknowledgeStatusUpdate(status);
}

Status MesosSchedulerDriver::sendFrameworkMessage(const ExecutorID& executorId,
                                                  const SlaveID& slaveId, const std::string& data) {
  return impl_->core.sendFrameworkMessage(executorId, slaveId, data);
}

Status MesosSchedulerDriver::reconcileTasks(const std::vector<TaskStatus>& statuses) {
  return impl_->core.reconcileTasks(statuses);
}

Status MesosSchedulerDriver::updateFramework(
    const FrameworkInfo& frameworkInfo, const std::vector<std::string>& suppressedRoles,
    ::mesos::scheduler::OfferConstraints&& offerConstraints) {
  return impl_->core.updateFramework(frameworkInfo, suppressedRoles, std::move(offerConstraints));
}

}  // namespace mesos
