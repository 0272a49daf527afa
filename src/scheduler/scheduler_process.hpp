#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <mesos/internal/messages.pb.h>
#include <mesos/mesos.pb.h>
#include <mesos/scheduler/scheduler.pb.h>

#include "authentication/authenticatee.hpp"
#include "runtime/event_loop.hpp"
#include "wire/dispatcher.hpp"
#include "wire/transport.hpp"

namespace mesos {
class Scheduler;
class SchedulerDriver;
}  // namespace mesos

namespace keel::sched {

// Everything the scheduler state machine needs to know about its framework.
struct SchedulerProcessOptions {
  // The FrameworkInfo to subscribe with; `user` and `hostname` already filled in.
  // An id makes the first subscription a failover (SUBSCRIBE with force=true).
  mesos::FrameworkInfo framework;
  std::vector<std::string> suppressed_roles;
  bool implicit_acknowledgements = true;
  // The first registration backoff bound (Mesos flag registration_backoff_factor).
  runtime::Duration registration_backoff_factor = std::chrono::seconds(2);
  // A uniform random number in [0, 1], drawn for every registration retry delay and every
  // authentication timeout. Null: a private generator seeded from std::random_device.
  std::function<double()> uniform01;
  // With a credential the driver authenticates (CRAM-MD5) before every (re)subscription
  // (mesos-spec §2.3). Each attempt's timeout is drawn uniformly from [min, max'], where
  // max' starts at min(timeout_min + backoff_factor * 2, timeout_max) and, after each
  // failed or timed-out attempt, becomes min(min + 2 * (max' - min), timeout_max).
  std::optional<mesos::Credential> credential;
  runtime::Duration authentication_backoff_factor = std::chrono::seconds(1);
  runtime::Duration authentication_timeout_min = std::chrono::seconds(5);
  runtime::Duration authentication_timeout_max = std::chrono::minutes(1);
};

// The v0 scheduler driver's state machine (docs: mesos-spec §2.3-2.5): subscribes to
// the master with backoff, turns master messages into Scheduler callbacks and driver
// calls into mesos.scheduler.Call messages, answers calls locally while disconnected.
//
// Threading: lives on `loop`. Every method must be called on the loop thread, except
// markNotRunning() and running(), which any thread may call. Callbacks are invoked on
// the loop thread, one at a time, only while running() is true.
//
// `driver` is handed to callbacks and is asked to abort() on errors; `scheduler`
// receives the callbacks; `transport` carries messages. All three must outlive this
// object. `on_finished` is called (on the loop) when stop() or abort() has done its
// work, to release SchedulerDriver::join().
class SchedulerProcess {
 public:
  SchedulerProcess(std::string id, wire::Pid master, SchedulerProcessOptions options,
                   mesos::SchedulerDriver* driver, mesos::Scheduler* scheduler,
                   wire::Transport& transport, runtime::EventLoop& loop,
                   std::function<void()> on_finished);
  ~SchedulerProcess();

  SchedulerProcess(const SchedulerProcess&) = delete;
  SchedulerProcess& operator=(const SchedulerProcess&) = delete;

  // Registers the process with the transport, links to the master and sends the
  // first SUBSCRIBE immediately.
  void initialize();

  // Stops callbacks (including one already queued). Thread-safe.
  void markNotRunning() { running_.store(false); }
  bool running() const { return running_.load(); }

  // The driver's operations (mesos-spec §2.2, §2.5).
  void stop(bool failover);
  void abort();
  void killTask(const mesos::TaskID& task_id);
  void requestResources(const std::vector<mesos::Request>& requests);
  void launchTasks(const std::vector<mesos::OfferID>& offer_ids,
                   const std::vector<mesos::TaskInfo>& tasks, const mesos::Filters& filters);
  void acceptOffers(const std::vector<mesos::OfferID>& offer_ids,
                    const std::vector<mesos::Offer::Operation>& operations,
                    const mesos::Filters& filters);
  void declineOffer(const mesos::OfferID& offer_id, const mesos::Filters& filters);
  void reviveOffers(const std::vector<std::string>& roles);
  void suppressOffers(const std::vector<std::string>& roles);
  void acknowledgeStatusUpdate(const mesos::TaskStatus& status);
  void sendFrameworkMessage(const mesos::ExecutorID& executor_id, const mesos::SlaveID& slave_id,
                            const std::string& data);
  void reconcileTasks(const std::vector<mesos::TaskStatus>& statuses);
  void updateFramework(const mesos::FrameworkInfo& framework, std::set<std::string> suppressed,
                       mesos::scheduler::OfferConstraints constraints);

  bool connected() const { return connected_; }
  const wire::Pid& self() const { return self_; }
  const mesos::FrameworkInfo& framework() const { return framework_; }

 private:
  void installHandlers();
  wire::Delivery receive(wire::Message&& msg);
  void exited(const wire::Pid& peer);
  bool fromLeader(const wire::Pid& from, const char* what) const;

  void doReliableRegistration(runtime::Duration max_backoff);
  void cancelRegistrationTimer();

  // Authentication (scheduler_authentication.cpp). The first attempt's range; an attempt;
  // its end (success → registration; refusal → error(); error/timeout → next attempt).
  void startAuthentication();
  void authenticate(runtime::Duration min_timeout, runtime::Duration max_timeout);
  void authenticationFinished(auth::AuthenticateeResult result, runtime::Duration min_timeout,
                              runtime::Duration max_timeout);
  void authenticationTimedOut();
  void cancelAuthentication();

  void registered(const wire::Pid& from, const mesos::internal::FrameworkRegisteredMessage& m);
  void reregistered(const wire::Pid& from, const mesos::internal::FrameworkReregisteredMessage& m);
  void resourceOffers(const wire::Pid& from, const mesos::internal::ResourceOffersMessage& m);
  void rescindOffer(const wire::Pid& from, const mesos::internal::RescindResourceOfferMessage& m);
  // `from_driver`: the update was synthesized locally (no ack, no sender checks).
  void statusUpdate(const wire::Pid& from, bool from_driver,
                    const mesos::internal::StatusUpdate& update, const std::string& ack_pid);
  void lostSlave(const wire::Pid& from, const mesos::internal::LostSlaveMessage& m);
  void lostExecutor(const wire::Pid& from, const mesos::internal::ExitedExecutorMessage& m);
  void frameworkMessage(const mesos::internal::ExecutorToFrameworkMessage& m);
  // Aborts the driver, then tells the scheduler (mesos-spec §2.2 error path).
  void error(const std::string& message);

  mesos::scheduler::Call newCall(mesos::scheduler::Call::Type type) const;
  void sendUpdateFramework();
  void send(const wire::Pid& to, const google::protobuf::Message& message);

  const std::string id_;
  const wire::Pid master_;
  mesos::SchedulerDriver* const driver_;
  mesos::Scheduler* const scheduler_;
  wire::Transport& transport_;
  runtime::EventLoop& loop_;
  std::function<void()> on_finished_;
  std::function<double()> uniform01_;
  const bool implicit_acknowledgements_;
  const runtime::Duration backoff_factor_;

  wire::Pid self_;
  wire::Dispatcher dispatcher_;
  mesos::FrameworkInfo framework_;
  std::set<std::string> suppressed_roles_;
  mesos::scheduler::OfferConstraints offer_constraints_;

  std::atomic<bool> running_{true};
  bool initialized_ = false;
  bool terminated_ = false;
  bool connected_ = false;
  // True until the first (re)registration when the driver was built with an id.
  bool failover_ = false;
  bool send_update_framework_on_connect_ = false;
  std::optional<runtime::TimerId> registration_timer_;

  // Authentication state (see SchedulerProcessOptions::credential).
  const std::optional<mesos::Credential> credential_;
  const runtime::Duration authentication_backoff_factor_;
  const runtime::Duration authentication_timeout_min_;
  const runtime::Duration authentication_timeout_max_;
  std::unique_ptr<auth::CramMd5Authenticatee> authenticatee_;  // the attempt in progress
  std::unique_ptr<auth::CramMd5Authenticatee> retired_authenticatee_;  // freed next attempt
  std::optional<runtime::TimerId> authentication_timer_;
  // An attempt ended in an error: the next one starts when its timeout expires.
  std::function<void()> retry_authentication_;

  // Offer id -> agent id -> agent pid, from ResourceOffersMessage.pids.
  std::map<std::string, std::map<std::string, wire::Pid>> saved_offers_;
  // Agent id -> agent pid, for agents we launched tasks on (direct framework messages).
  std::map<std::string, wire::Pid> saved_agent_pids_;
};

}  // namespace keel::sched
