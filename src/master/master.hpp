#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <mesos/scheduler/scheduler.pb.h>

#include "common/master_flags.hpp"
#include "common/timer_metric.hpp"
#include "master/registrar.hpp"
#include "master/state.hpp"
#include "runtime/event_loop.hpp"
#include "wire/dispatcher.hpp"
#include "wire/transport.hpp"

namespace keel::allocator {
class Allocator;
}

namespace keel::wire {
class ParseAhead;
}

namespace keel::master {

class HttpEndpoints;
class ModelGate;
class GatedTransport;

// The Keel master: a message-driven state machine on one event loop (spec §3). It
// registers the process `master` (and one `slave-observer(N)` per agent) on the given
// transport and serves its HTTP endpoints there. Construct, then start(), both on the
// loop thread; the transport and loop must outlive it.
class Master {
 public:
  Master(runtime::EventLoop& loop, wire::Transport& transport, MasterFlags flags,
         std::vector<std::pair<std::string, std::string>> flag_values = {});
  ~Master();

  void start();

  const wire::Pid& pid() const { return self_; }
  const mesos::MasterInfo& info() const { return info_; }

  // Counts for tests and keel-local (loop thread only).
  size_t agentCount() const { return agents_.size(); }
  // Durable registry writes made by this master (tests).
  uint64_t registryWrites() const { return registrar_ ? registrar_->writes() : 0; }
  size_t frameworkCount() const { return frameworks_.size(); }
  // Tests: waits until every message handed to the parsing thread is parsed; what it parsed
  // is then handled when the loop runs next.
  void waitParsed();

 private:
  friend class HttpEndpoints;

  // --- wiring (master.cpp)
  void installHandlers();
  // A message to `master`: parsed ahead, or queued behind one that is (parse_ahead_), or
  // handled now by dispatchNow().
  wire::Delivery receive(wire::Message&& msg);
  wire::Delivery dispatchNow(wire::Message&& msg);
  void exited(const wire::Pid& pid);
  void exitedNow(const wire::Pid& pid);
  template <class M>
  void send(const wire::Pid& to, const M& message);
  double now() const { return loop_.clock().unixSeconds(); }
  // loop_.schedule() / loop_.post() of work on this master: it does not run if the master
  // is gone by then (a master can be replaced on a running loop, e.g. a restart in tests).
  runtime::TimerId after(runtime::Duration delay, std::function<void()> fn);
  void defer(std::function<void()> fn);
  // `fn` wrapped to run through the model gate (state_worker.hpp): for callbacks that reach
  // the master other than through transport_, after() or defer(), e.g. the registrar's.
  std::function<void()> gated(std::function<void()> fn);

  // --- frameworks (frameworks.cpp)
  void handleCall(const wire::Pid& from, mesos::scheduler::Call&& call);
  void subscribe(const wire::Pid& from, mesos::FrameworkInfo info, bool force,
                 std::vector<std::string> suppressed_roles);
  void frameworkError(const wire::Pid& to, const std::string& message);
  FrameworkState* lookupFramework(const std::string& id);
  FrameworkState* frameworkFrom(const wire::Pid& from, const std::string& id);
  void addFramework(std::unique_ptr<FrameworkState> framework);
  void deactivateFramework(FrameworkState& framework, bool rescind);
  void disconnectFramework(FrameworkState& framework);
  void removeFramework(FrameworkState& framework);
  void sendFrameworkUpdates(const FrameworkState& framework);

  // --- agents (agents.cpp)
  void registerAgent(const wire::Pid& from, mesos::internal::RegisterSlaveMessage&& msg);
  void reregisterAgent(const wire::Pid& from, mesos::internal::ReregisterSlaveMessage&& msg);
  void unregisterAgent(const wire::Pid& from, const std::string& agent_id);
  AgentState* lookupAgent(const std::string& id);
  AgentState* agentByPid(const wire::Pid& pid);
  void startObserver(AgentState& agent);
  void ping(const std::string& agent_id);
  void pong(const std::string& observer_id);
  void disconnectAgent(AgentState& agent);
  void markUnreachable(const std::string& agent_id, const std::string& cause);
  void removeAgent(AgentState& agent, const std::string& cause, mesos::TaskState partition_state,
                   mesos::TaskStatus::Reason reason);
  void updateAgent(const wire::Pid& from, mesos::internal::UpdateSlaveMessage&& msg);

  // --- offers (offers.cpp)
  // Runs an allocation pass at the end of this loop turn (one per turn however many ask):
  // over every agent, or, given an agent, over the agents whose resources just came back
  // (a task ended, an offer was declined), so freed resources are offered at once instead
  // of at the next periodic pass.
  void scheduleAllocation();
  void scheduleAllocation(const std::string& agent_id);
  void allocationTick();
  void allocate(const std::vector<std::string>& agent_ids = {});
  void rescindOffer(const std::string& offer_id, bool recover);
  void removeOffer(const std::string& offer_id, std::optional<double> refuse_seconds);
  void accept(FrameworkState& framework, mesos::scheduler::Call::Accept&& accept);
  void decline(FrameworkState& framework, const mesos::scheduler::Call::Decline& decline);
  void launch(FrameworkState& framework, AgentState& agent, const mesos::TaskInfo& task,
              Resources* remaining);
  // LAUNCH_GROUP: validates the whole group (TASK_ERROR / REASON_TASK_GROUP_INVALID for
  // every task on failure), else records executor and tasks, consumes their resources
  // from `remaining` and sends one RunTaskGroupMessage to the agent.
  void launchGroup(FrameworkState& framework, AgentState& agent,
                   const mesos::Offer::Operation::LaunchGroup& launch, Resources* remaining);
  // Records a validated task as TASK_STAGING on framework and agent.
  void addStagingTask(FrameworkState& framework, AgentState& agent, const mesos::TaskInfo& task);
  mesos::Offer offerForFramework(const OfferState& offer, const FrameworkState& framework) const;

  // --- speculative operations: RESERVE, UNRESERVE, CREATE, DESTROY (operations.cpp)
  // Validates `op` and applies it to `remaining` and to the agent's total and checkpointed
  // resources, tells the agent and the allocator; drops it with a log line if invalid.
  void applyOperation(FrameworkState& framework, AgentState& agent,
                      const mesos::Offer::Operation& op, Resources* remaining);
  // Takes the agent's checkpointed resources (on (re-)admission) and computes its total.
  void admitCheckpointed(AgentState& agent,
                         const google::protobuf::RepeatedPtrField<mesos::Resource>& checkpointed);
  void sendCheckpointedResources(const AgentState& agent);

  // --- tasks (tasks.cpp)
  void statusUpdate(const wire::Pid& from, mesos::internal::StatusUpdateMessage&& msg);
  void acknowledge(FrameworkState& framework, const std::string& agent_id,
                   const std::string& task_id, const std::string& uuid);
  void kill(FrameworkState& framework, const std::string& task_id, const std::string& agent_id,
            const mesos::KillPolicy* kill_policy);
  void reconcile(FrameworkState& framework, const std::vector<mesos::TaskStatus>& statuses);
  void frameworkToExecutor(FrameworkState& framework, const std::string& agent_id,
                           const std::string& executor_id, const std::string& data);
  void executorToFramework(const wire::Pid& from,
                           mesos::internal::ExecutorToFrameworkMessage&& msg);
  void exitedExecutor(const wire::Pid& from, mesos::internal::ExitedExecutorMessage&& msg);
  void updateTaskState(mesos::Task& task, const mesos::TaskStatus& status,
                       std::optional<mesos::TaskState> latest_state);
  void recoverTaskResources(const mesos::Task& task);
  void removeTask(FrameworkState& framework, const std::string& task_id, bool to_completed);
  void moveToUnreachable(FrameworkState& framework, const std::string& task_id);
  void forwardUpdate(FrameworkState& framework, const mesos::TaskStatus& status,
                     const wire::Pid& acknowledgee, const std::string& uuid);
  mesos::TaskStatus masterStatus(const mesos::TaskInfo& task, const std::string& framework_id,
                                 mesos::TaskState state, mesos::TaskStatus::Reason reason,
                                 const std::string& message) const;
  void sendMasterUpdate(FrameworkState& framework, const mesos::TaskStatus& status);
  void transitionTask(FrameworkState& framework, mesos::Task& task, mesos::TaskState state,
                      mesos::TaskStatus::Reason reason, const std::string& message, bool notify);

  // --- endpoints (http.cpp)
  void installEndpoints();

  // --- registry and master failover (recovery.cpp; spec §3.16, §3.17)
  // Opens the registry, records this master and takes the agents it lists as "recovered":
  // known, not yet re-registered. False (logged) if the registry cannot be read.
  bool recoverRegistry();
  // After --agent_reregister_timeout: recovered agents that did not come back are marked
  // unreachable (or the master exits past --recovery_agent_removal_limit).
  void recoveredAgentsTimeout(size_t recovered_total);
  // Whether reconciliation of an unknown task must stay unanswered (spec §3.9 case 2).
  bool awaitingRecoveredAgent(const std::string& agent_id) const;

  // --- framework authentication, CRAM-MD5 (authentication.cpp; spec §2.3, §3.2, §10.1)
  struct AuthenticationState;
  // From start(): loads --credentials and sets up the authenticator.
  void initializeAuthentication();
  // AuthenticateMessage from the authenticatee `from` on behalf of `pid`.
  void authenticate(const wire::Pid& from, const wire::Pid& pid);
  // True when `pid` is being authenticated; `retry` then runs once that ends in success or
  // refusal (it is dropped on error, timeout or a newer attempt).
  bool deferWhileAuthenticating(const wire::Pid& pid, std::function<void()> retry);
  // Whether `pid` is in the middle of authenticating (then deferWhileAuthenticating queues).
  bool authenticating(const wire::Pid& pid) const;
  // The SUBSCRIBE checks of --authenticate_frameworks and of the principal (Mesos's texts);
  // fills in an empty principal from the authentication. nullopt: allowed.
  std::optional<std::string> checkFrameworkAuthentication(const wire::Pid& from,
                                                          mesos::FrameworkInfo* info);
  // With --authenticate_agents: whether the agent at `from` authenticated (logged if not).
  bool agentMayRegister(const wire::Pid& from) const;
  // Forgets the authentication of a pid that went away.
  void forgetAuthentication(const wire::Pid& pid);

  runtime::EventLoop& loop_;
  std::shared_ptr<char> alive_ = std::make_shared<char>();
  // Holds work that may change the model while /state is rendered off the loop; transport_
  // is the transport given to the constructor, seen through it (state_worker.hpp).
  std::shared_ptr<ModelGate> gate_;
  std::unique_ptr<GatedTransport> gated_transport_;
  wire::Transport& transport_;
  MasterFlags flags_;
  std::vector<std::pair<std::string, std::string>> flag_values_;
  wire::Pid self_;
  mesos::MasterInfo info_;
  double start_time_ = 0;
  wire::Dispatcher dispatcher_;
  wire::Dispatcher observer_dispatcher_;
  // Agents' (re-)registrations of 1 KiB or more are parsed on a thread of their own
  // (wire/parse_ahead.hpp). Its thread touches nothing of the master's; ~Master ends it first.
  std::unique_ptr<wire::ParseAhead> parse_ahead_;
  std::unique_ptr<allocator::Allocator> allocator_;
  std::unique_ptr<HttpEndpoints> endpoints_;
  std::unique_ptr<Registrar> registrar_;
  std::map<std::string, mesos::SlaveInfo> recovered_agents_;  // from the registry, not back yet
  std::map<std::string, double> gone_agents_;                  // agent id → time
  std::shared_ptr<AuthenticationState> authentication_;  // shared_ptr: defined in its .cpp

  uint64_t next_framework_ = 0;
  uint64_t next_offer_ = 0;
  uint64_t next_agent_ = 0;
  uint64_t next_observer_ = 1;

  std::map<std::string, std::unique_ptr<FrameworkState>> frameworks_;
  std::deque<std::unique_ptr<FrameworkState>> completed_frameworks_;
  std::set<std::string> completed_framework_ids_;
  std::map<std::string, std::unique_ptr<AgentState>> agents_;
  std::map<std::string, std::string> agent_by_pid_;      // pid string → agent id
  std::map<std::string, std::string> agent_by_observer_;  // observer id → agent id
  std::map<std::string, double> unreachable_agents_;     // agent id → time
  std::unordered_map<std::string, OfferState> offers_;
  bool allocation_pending_ = false;
  bool allocation_all_agents_ = false;             // the pending pass covers every agent
  std::set<std::string> allocation_agents_;         // else these

 public:
  // Metrics (a few of Mesos's names; /metrics/snapshot).
  struct Metrics {
    uint64_t dropped_messages = 0;
    uint64_t invalid_status_updates = 0;
    uint64_t valid_status_updates = 0;
    uint64_t tasks_launched = 0;
    uint64_t offers_sent = 0;
    uint64_t offers_declined = 0;
    uint64_t offers_rescinded = 0;
    std::map<std::string, uint64_t> messages;  // by message name
    // Allocation passes: allocator/mesos/allocation_runs and allocation_run_ms (the
    // allocator's share, as Mesos measures it), master/allocation_pass_ms (the whole pass:
    // allocator, offers built and handed to the transport). Wall time.
    uint64_t allocation_runs = 0;
    TimerMetric allocation_run_ms;
    TimerMetric allocation_pass_ms;
  };
  const Metrics& metrics() const { return metrics_; }

 private:
  Metrics metrics_;
};

template <class M>
void Master::send(const wire::Pid& to, const M& message) {
  if (to.empty()) {
    return;
  }
  transport_.send(wire::makeMessage(self_, to, message));
}

}  // namespace keel::master
