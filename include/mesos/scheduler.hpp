#pragma once

// The v0 framework scheduler API: a `Scheduler` the framework implements, and the
// `MesosSchedulerDriver` that connects it to a master over Mesos's message protocol.
// Source compatible with Mesos 1.12's <mesos/scheduler.hpp>.

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <mesos/scheduler/scheduler.pb.h>
#include <mesos/mesos.hpp>

namespace mesos {

class SchedulerDriver;

namespace master::detector {
class MasterDetector;
}  // namespace master::detector

// What a framework implements to learn about its tasks, offers and connection.
//
// Callbacks run on the driver's own thread, one at a time, never concurrently with
// each other. A callback may call back into the driver (launch, decline, stop, ...);
// it must not block for long, and must not destroy the driver or call join().
// `driver` is the driver that runs this scheduler; it stays valid from start() until
// join() returns.
class Scheduler {
 public:
  virtual ~Scheduler() {}

  // The master accepted a subscription. `frameworkId` is the id to keep for failover;
  // `masterInfo` describes the master. Also called after a failover to a new master,
  // which does not know the framework and registers it afresh.
  virtual void registered(SchedulerDriver* driver, const FrameworkID& frameworkId,
                          const MasterInfo& masterInfo) = 0;

  // The same master that still knew this framework accepted a re-subscription.
  virtual void reregistered(SchedulerDriver* driver, const MasterInfo& masterInfo) = 0;

  // The connection to the master was lost; the driver keeps trying to reconnect.
  // Calls that need the master are dropped (or answered locally) until
  // registered()/reregistered() is called again.
  virtual void disconnected(SchedulerDriver* driver) = 0;

  // New offers. Each offer holds resources of one agent; they stay reserved for this
  // framework until used, declined or rescinded.
  virtual void resourceOffers(SchedulerDriver* driver, const std::vector<Offer>& offers) = 0;

  // An offer is no longer valid; using it would fail.
  virtual void offerRescinded(SchedulerDriver* driver, const OfferID& offerId) = 0;

  // A task changed state. With implicit acknowledgements (the default) returning from
  // this callback acknowledges the update; otherwise the framework must call
  // SchedulerDriver::acknowledgeStatusUpdate() for updates that carry a uuid.
  virtual void statusUpdate(SchedulerDriver* driver, const TaskStatus& status) = 0;

  // Data sent by an executor with ExecutorDriver::sendFrameworkMessage(). Best effort.
  virtual void frameworkMessage(SchedulerDriver* driver, const ExecutorID& executorId,
                                const SlaveID& slaveId, const std::string& data) = 0;

  // The master considers the agent gone (failed or unreachable).
  virtual void slaveLost(SchedulerDriver* driver, const SlaveID& slaveId) = 0;

  // A custom executor exited. `status` is its wait status, or -1 when unknown.
  virtual void executorLost(SchedulerDriver* driver, const ExecutorID& executorId,
                            const SlaveID& slaveId, int status) = 0;

  // An unrecoverable error. The driver has already been aborted when this runs.
  virtual void error(SchedulerDriver* driver, const std::string& message) = 0;
};

// The operations a scheduler can ask of its driver. Every call returns the driver's
// status at the time of the call; anything but a lifecycle call does nothing unless
// that status is DRIVER_RUNNING.
class SchedulerDriver {
 public:
  virtual ~SchedulerDriver() {}

  // Connects to the master and begins registration. Only acts once.
  virtual Status start() = 0;

  // Stops the driver. With failover == false the framework is torn down at the master
  // (all its tasks are killed); with true the tasks keep running for the framework's
  // failover_timeout so that a new driver can take over.
  virtual Status stop(bool failover = false) = 0;

  // Stops callbacks without tearing the framework down; the master only deactivates
  // it. join() then returns DRIVER_ABORTED.
  virtual Status abort() = 0;

  // Blocks until the driver is stopped or aborted; returns which.
  virtual Status join() = 0;

  // start() followed by join().
  virtual Status run() = 0;

  // Asks the allocator for resources (the default allocator ignores requests).
  virtual Status requestResources(const std::vector<Request>& requests) = 0;

  // Launches tasks on the given offers (all from one agent). Unused resources are
  // declined with `filters`. No tasks declines the offers.
  virtual Status launchTasks(const std::vector<OfferID>& offerIds,
                             const std::vector<TaskInfo>& tasks,
                             const Filters& filters = Filters()) = 0;

  // Single-offer form of launchTasks(). Deprecated in Mesos but still supported.
  virtual Status launchTasks(const OfferID& offerId, const std::vector<TaskInfo>& tasks,
                             const Filters& filters = Filters()) = 0;

  // Asks for a task to be killed. Not retried: if the driver is disconnected the
  // request is dropped.
  virtual Status killTask(const TaskID& taskId) = 0;

  // Applies offer operations (LAUNCH, RESERVE, CREATE, ...) to the offers. Operations
  // must not set `id` (operation feedback is not available through this driver).
  virtual Status acceptOffers(const std::vector<OfferID>& offerIds,
                              const std::vector<Offer::Operation>& operations,
                              const Filters& filters = Filters()) = 0;

  // Declines an offer, not to be re-offered for `filters.refuse_seconds`.
  virtual Status declineOffer(const OfferID& offerId, const Filters& filters = Filters()) = 0;

  // Clears filters and unsuppresses all roles / the given roles.
  virtual Status reviveOffers() = 0;
  virtual Status reviveOffers(const std::vector<std::string>& roles) = 0;

  // Stops offers for all the framework's roles / the given roles.
  virtual Status suppressOffers() = 0;
  virtual Status suppressOffers(const std::vector<std::string>& roles) = 0;

  // Acknowledges a status update; only for drivers built with implicit
  // acknowledgements disabled (calling it otherwise aborts the process).
  virtual Status acknowledgeStatusUpdate(const TaskStatus& status) = 0;

  // Best-effort message to an executor.
  virtual Status sendFrameworkMessage(const ExecutorID& executorId, const SlaveID& slaveId,
                                      const std::string& data) = 0;

  // Asks the master for the latest state of the given tasks, or of all tasks when
  // `statuses` is empty; answers arrive as statusUpdate() callbacks.
  virtual Status reconcileTasks(const std::vector<TaskStatus>& statuses) = 0;

  // Replaces the FrameworkInfo (its id must equal the registered id), the suppressed
  // roles and the offer constraints, at the master and for later re-subscriptions.
  virtual Status updateFramework(const FrameworkInfo& frameworkInfo,
                                 const std::vector<std::string>& suppressedRoles,
                                 ::mesos::scheduler::OfferConstraints&& offerConstraints) = 0;
};

// The driver that speaks Mesos's v0 protocol to a master. Thread-safe: every method
// may be called from any thread, including from inside Scheduler callbacks.
//
// `master` is "host:port", "master@host:port", or "file:///path" naming a file that
// holds one of those. ("zk://..." and "local" are not supported yet: start() then
// reports error() and returns DRIVER_ABORTED.) A FrameworkInfo with an id makes the
// first subscription a failover of that framework. Empty `user`/`hostname` are
// filled in with the current user and host name.
class MesosSchedulerDriver : public SchedulerDriver {
 public:
  MesosSchedulerDriver(Scheduler* scheduler, const FrameworkInfo& framework,
                       const std::string& master);

  // `credential` is for authenticating with the master.
  MesosSchedulerDriver(Scheduler* scheduler, const FrameworkInfo& framework,
                       const std::string& master, const Credential& credential);

  // `implicitAcknowledgements` == false requires acknowledgeStatusUpdate() calls.
  MesosSchedulerDriver(Scheduler* scheduler, const FrameworkInfo& framework,
                       const std::string& master, bool implicitAcknowledgements);

  MesosSchedulerDriver(Scheduler* scheduler, const FrameworkInfo& framework,
                       const std::string& master, bool implicitAcknowlegements,
                       const Credential& credential);

  // `suppressedRoles`: roles that start suppressed (no offers until revived).
  MesosSchedulerDriver(Scheduler* scheduler, const FrameworkInfo& framework,
                       const std::vector<std::string>& suppressedRoles, const std::string& master,
                       bool implicitAcknowledgements);

  MesosSchedulerDriver(Scheduler* scheduler, const FrameworkInfo& framework,
                       const std::vector<std::string>& suppressedRoles, const std::string& master,
                       bool implicitAcknowlegements, const Credential& credential);

  // Shuts the driver's thread down. Must not run inside a callback of this driver.
  ~MesosSchedulerDriver() override;

  Status start() override;
  Status stop(bool failover = false) override;
  Status abort() override;
  Status join() override;
  Status run() override;

  Status requestResources(const std::vector<Request>& requests) override;

  Status launchTasks(const OfferID& offerId, const std::vector<TaskInfo>& tasks,
                     const Filters& filters = Filters()) override;

  Status launchTasks(const std::vector<OfferID>& offerIds, const std::vector<TaskInfo>& tasks,
                     const Filters& filters = Filters()) override;

  Status killTask(const TaskID& taskId) override;

  Status acceptOffers(const std::vector<OfferID>& offerIds,
                      const std::vector<Offer::Operation>& operations,
                      const Filters& filters = Filters()) override;

  Status declineOffer(const OfferID& offerId, const Filters& filters = Filters()) override;

  Status reviveOffers() override;
  Status reviveOffers(const std::vector<std::string>& roles) override;

  Status suppressOffers() override;
  Status suppressOffers(const std::vector<std::string>& roles) override;

  Status acknowledgeStatusUpdate(const TaskStatus& status) override;

  Status sendFrameworkMessage(const ExecutorID& executorId, const SlaveID& slaveId,
                              const std::string& data) override;

  Status reconcileTasks(const std::vector<TaskStatus>& statuses) override;

  Status updateFramework(const FrameworkInfo& frameworkInfo,
                         const std::vector<std::string>& suppressedRoles,
                         ::mesos::scheduler::OfferConstraints&& offerConstraints) override;

 protected:
  // Kept for source compatibility with Mesos subclasses; always null in Keel.
  std::shared_ptr<master::detector::MasterDetector> detector;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mesos
