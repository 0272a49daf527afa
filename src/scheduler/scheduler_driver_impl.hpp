#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <mesos/scheduler.hpp>

#include "common/status.hpp"
#include "runtime/clock.hpp"
#include "runtime/event_loop.hpp"
#include "wire/transport.hpp"

namespace keel::sched {

class SchedulerProcess;

// Reads an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Builds the driver's transport, on the driver's loop thread. `master` is where the
// driver will subscribe (the TCP transport picks its bind address from it).
using TransportFactory = std::function<Result<std::unique_ptr<wire::Transport>>(
    runtime::EventLoop& loop, const wire::Pid& master)>;

// What the driver takes from its surroundings; tests replace each part.
struct SchedulerDriverDeps {
  runtime::Clock* clock = nullptr;    // null: the real clock
  TransportFactory make_transport;    // null: TcpTransport per LIBPROCESS_* (see below)
  std::function<double()> uniform01;  // null: random; registration backoff draws
  EnvLookup getenv;                   // null: the process environment
  // How long the destructor keeps the loop running so that the last messages (a
  // TEARDOWN) leave the socket. Defaults to 100 ms with the TCP transport, 0 otherwise.
  std::optional<runtime::Duration> shutdown_linger;
};

// The TCP transport options for a scheduler talking to `master`: bind to
// LIBPROCESS_IP if set, else 127.0.0.1 for a master on 127.x, else the address the
// host name resolves to; port LIBPROCESS_PORT or 0; LIBPROCESS_ADVERTISE_IP/PORT.
// Declared here so it can be tested; defined next to the TCP transport factory.
TransportFactory defaultTransportFactory(EnvLookup getenv);

// Turns the driver's `master` argument into the master's pid: "host:port",
// "master@host:port", or "file:///path" whose content is one of those. "zk://..." and
// "local" are reported as not supported yet. Errors are meant for Scheduler::error().
Result<wire::Pid> resolveMaster(const std::string& master);

// Fills an empty FrameworkInfo.user with the effective user's name and an empty
// hostname with this host's name, as Mesos's driver does.
void fillMissingFrameworkInfoFields(mesos::FrameworkInfo* framework);

// Keeps `loop` running for `linger` (real clocks only), then waits for handlers
// already posted. Used by both drivers' destructors. Not on the loop thread.
void lingerThenDrain(runtime::EventLoop& loop, runtime::Duration linger);

// "scheduler-<random RFC 4122 uuid>", the driver's process id.
std::string newSchedulerId();

// The whole MesosSchedulerDriver: the status state machine of mesos-spec §2.2 plus the
// loop, the transport and the SchedulerProcess. MesosSchedulerDriver forwards every
// call here; tests use it directly with fake dependencies.
//
// `self` is the driver handed to Scheduler callbacks (null: this object). Thread-safe:
// every method may be called from any thread, including from callbacks (the status
// mutex is recursive), except the destructor, which must not run on the loop thread.
class SchedulerDriverImpl final : public mesos::SchedulerDriver {
 public:
  SchedulerDriverImpl(mesos::SchedulerDriver* self, mesos::Scheduler* scheduler,
                      const mesos::FrameworkInfo& framework,
                      std::vector<std::string> suppressed_roles, std::string master,
                      bool implicit_acknowledgements, std::optional<mesos::Credential> credential,
                      SchedulerDriverDeps deps = {});
  ~SchedulerDriverImpl() override;

  mesos::Status start() override;
  mesos::Status stop(bool failover = false) override;
  mesos::Status abort() override;
  mesos::Status join() override;
  mesos::Status run() override;
  mesos::Status requestResources(const std::vector<mesos::Request>& requests) override;
  mesos::Status launchTasks(const std::vector<mesos::OfferID>& offer_ids,
                            const std::vector<mesos::TaskInfo>& tasks,
                            const mesos::Filters& filters = mesos::Filters()) override;
  mesos::Status launchTasks(const mesos::OfferID& offer_id,
                            const std::vector<mesos::TaskInfo>& tasks,
                            const mesos::Filters& filters = mesos::Filters()) override;
  mesos::Status killTask(const mesos::TaskID& task_id) override;
  mesos::Status acceptOffers(const std::vector<mesos::OfferID>& offer_ids,
                             const std::vector<mesos::Offer::Operation>& operations,
                             const mesos::Filters& filters = mesos::Filters()) override;
  mesos::Status declineOffer(const mesos::OfferID& offer_id,
                             const mesos::Filters& filters = mesos::Filters()) override;
  mesos::Status reviveOffers() override;
  mesos::Status reviveOffers(const std::vector<std::string>& roles) override;
  mesos::Status suppressOffers() override;
  mesos::Status suppressOffers(const std::vector<std::string>& roles) override;
  mesos::Status acknowledgeStatusUpdate(const mesos::TaskStatus& status) override;
  mesos::Status sendFrameworkMessage(const mesos::ExecutorID& executor_id,
                                     const mesos::SlaveID& slave_id,
                                     const std::string& data) override;
  mesos::Status reconcileTasks(const std::vector<mesos::TaskStatus>& statuses) override;
  mesos::Status updateFramework(const mesos::FrameworkInfo& framework,
                                const std::vector<std::string>& suppressed_roles,
                                mesos::scheduler::OfferConstraints&& constraints) override;

  // For tests: the loop (null before a successful start()) and the process id.
  runtime::EventLoop* loop() { return loop_.get(); }
  const std::string& processId() const { return scheduler_id_; }

 private:
  // Runs `fn` on the loop with the process, if running; the caller holds mutex_.
  mesos::Status dispatch(std::function<void(SchedulerProcess&)> fn);
  void triggerLatch();
  void abortWithError(const std::string& message);  // start() failures

  mesos::SchedulerDriver* const self_;
  mesos::Scheduler* const scheduler_;
  mesos::FrameworkInfo framework_;
  const std::vector<std::string> initial_suppressed_roles_;
  const std::string master_;
  const bool implicit_acknowledgements_;
  const std::optional<mesos::Credential> credential_;
  SchedulerDriverDeps deps_;
  const std::string scheduler_id_;

  std::recursive_mutex mutex_;
  mesos::Status status_ = mesos::DRIVER_NOT_STARTED;

  std::unique_ptr<runtime::EventLoop> loop_;
  std::unique_ptr<wire::Transport> transport_;
  std::unique_ptr<SchedulerProcess> process_;

  // Released when the process has finished stop() or abort().
  std::mutex latch_mutex_;
  std::condition_variable latch_cv_;
  bool latch_triggered_ = false;
};

}  // namespace keel::sched
