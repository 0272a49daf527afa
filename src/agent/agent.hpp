#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <mesos/internal/messages.pb.h>
#include <mesos/mesos.pb.h>

#include "agent/agent_records.hpp"
#include "agent/process_launcher.hpp"
#include "agent/recovery_state.hpp"
#include "agent/status_update_manager.hpp"
#include "common/agent_flags.hpp"
#include "common/resources.hpp"
#include "common/status.hpp"
#include "runtime/event_loop.hpp"
#include "wire/dispatcher.hpp"
#include "wire/transport.hpp"

namespace keel::auth {
class CramMd5Authenticatee;
struct AuthenticateeResult;
}  // namespace keel::auth

namespace keel::agent {

// The capabilities the agent advertises, in Mesos 1.12's order. RESOURCE_PROVIDER,
// RESIZE_VOLUME and AGENT_OPERATION_FEEDBACK are left out on purpose: with them a Mesos
// master sends ApplyOperationMessage (with operation feedback) instead of
// CheckpointResourcesMessage for RESERVE/CREATE/..., and Keel's agent has no resource
// providers.
inline constexpr mesos::SlaveInfo::Capability::Type kAgentCapabilities[] = {
    mesos::SlaveInfo::Capability::MULTI_ROLE,
    mesos::SlaveInfo::Capability::HIERARCHICAL_ROLE,
    mesos::SlaveInfo::Capability::RESERVATION_REFINEMENT,
    mesos::SlaveInfo::Capability::AGENT_DRAINING,
    mesos::SlaveInfo::Capability::TASK_RESOURCE_LIMITS,
};

// The agent: registers with the master, launches executors for the tasks it is sent,
// relays their status updates reliably and serves /slave(1)/{state,flags,health}.
//
// It is the libprocess process `slave(1)` on `transport`. Everything it owns lives on
// `loop`: construct it anywhere, but call every method (start() included) on the loop
// thread. `loop`, `transport` and `launcher` must outlive it.
//
// Checkpointing and recovery (spec §5.8, docs/architecture.md "Agent recovery"): the
// agent always checkpoints its SlaveInfo, the boot id and the checkpointed resources
// under <work_dir>/meta; for frameworks with FrameworkInfo.checkpoint it also checkpoints
// framework, executor and task infos, executor pids and every status update and ack.
// start() reads that checkpoint back: with --recover=reconnect it re-adopts the old
// agent id, asks each live executor to reregister (ReconnectExecutorMessage), destroys
// those that do not within --executor_reregistration_timeout, and only then starts
// re-registering with the master; with --recover=cleanup it shuts the old executors
// down and then reports itself terminated (setOnTerminated) without registering.
//
// Lifetime: destroying an Agent never signals executors. Executors are separate
// sessions (setsid), so an Agent dropped without shutdown() — as a crashed or SIGKILLed
// agent process is — leaves them running, and a new Agent on the same work_dir
// recovers those of checkpointing frameworks. shutdown() is the only way the agent
// stops executors wholesale.
class Agent {
 public:
  // kRecovering: start() found checkpointed executors and waits for them to reregister;
  // the agent does not talk to the master yet.
  enum class State { kRecovering, kDisconnected, kRunning, kTerminating };

  static constexpr const char* kProcessId = "slave(1)";

  Agent(runtime::EventLoop& loop, wire::Transport& transport, AgentFlags flags,
        ProcessLauncher& launcher);
  ~Agent();

  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Computes the agent's resources and SlaveInfo, registers the process and its HTTP
  // routes, recovers the checkpoint (see above) and starts registering with the master
  // after a random delay in [0, registration_backoff_factor] once recovery is over.
  // Errors: unusable --master, --resources or --attributes, a work_dir that cannot be
  // created, and recovery failures: a checkpointed SlaveInfo that differs from this
  // one (unless the host rebooted: then the agent starts afresh), checkpointed
  // resources that do not fit --resources, and (with --strict, the default) any
  // unreadable checkpoint file.
  Status start();

  // Shuts every framework's executors down (ShutdownExecutorMessage, the grace period,
  // then SIGKILL), then calls `done` on the loop once no executor is left. The agent
  // stops (re)registering. Also what a ShutdownMessage from the master does.
  //
  // With `keep_checkpointed` (what keel-agent does on SIGTERM/SIGINT, as Mesos's agent does
  // when its process terminates) only frameworks without checkpointing are shut down: the
  // executors of checkpointing frameworks keep running for the next agent to recover, and
  // `done` runs once the others are gone.
  void shutdown(const std::string& reason, std::function<void()> done,
                bool keep_checkpointed = false);

  // Called (on the loop) when the master told the agent to shut down and it has; the
  // daemon should exit. Optional.
  void setOnTerminated(std::function<void(const std::string& reason)> callback) {
    on_terminated_ = std::move(callback);
  }

  // Called (on the loop) when the agent cannot go on, e.g. the master refused its
  // credential: keel-agent exits with status 1 and leaves executors running, as Mesos's
  // agent does. Without a callback the agent logs it and stops registering.
  void setOnFatal(std::function<void(const std::string& reason)> callback) {
    on_fatal_ = std::move(callback);
  }

  // The (name, value) pairs /flags and /state show (FlagSet::values()). Optional.
  void setFlagValues(std::vector<std::pair<std::string, std::string>> values) {
    flag_values_ = std::move(values);
  }

  State state() const { return state_; }
  const wire::Pid& self() const { return self_; }
  const wire::Pid& master() const { return master_; }
  // The id the master gave this agent; empty before the first registration.
  const std::string& agentId() const { return info_.id().value(); }
  const mesos::SlaveInfo& info() const { return info_; }
  // --resources with the checkpointed resources applied (reservations and volumes
  // replacing the plain resources they were made from).
  const Resources& totalResources() const { return total_; }
  // The dynamically reserved resources and persistent volumes the master asked the agent
  // to checkpoint (CheckpointResourcesMessage), in the refinement format.
  const Resources& checkpointedResources() const { return checkpointed_resources_; }
  const TaskStatusUpdateManager& statusUpdates() const { return *status_updates_; }

  // Read access for endpoints and tests.
  const std::map<std::string, std::unique_ptr<FrameworkRecord>>& frameworks() const {
    return frameworks_;
  }
  const std::deque<std::unique_ptr<FrameworkRecord>>& completedFrameworks() const {
    return completed_frameworks_;
  }

  // The /slave(1)/state document (JSON), as the captured Mesos agent renders it.
  std::string stateJson() const;
  // The /slave(1)/flags document.
  std::string flagsJson() const;

 private:
  // --- registration (agent.cpp)
  void installHandlers();
  void startDetection();
  void doReliableRegistration(runtime::Duration max_backoff);
  void onRegistered(const wire::Pid& from, const mesos::SlaveID& id, double ping_timeout);
  void onReregistered(const wire::Pid& from, const mesos::internal::SlaveReregisteredMessage& m);
  void onPing(const wire::Pid& from, const mesos::internal::PingSlaveMessage& m);
  void armPingTimer();
  void onMasterLost(const std::string& why);
  void onExited(const wire::Pid& pid);
  void sendUpdateSlave();
  mesos::internal::ReregisterSlaveMessage reregistrationMessage() const;
  void onShutdownMessage(const wire::Pid& from, const mesos::internal::ShutdownMessage& m);
  void onUpdateFramework(const wire::Pid& from, const mesos::internal::UpdateFrameworkMessage& m);
  void checkpointAgentInfo();
  Status loadExecutorEnvironment();
  // checkpointed_resources_ as Register/ReregisterSlaveMessage carry them.
  google::protobuf::RepeatedPtrField<mesos::Resource> legacyCheckpointedResources() const;

  // --- checkpointing and recovery (agent_recovery.cpp, agent_checkpoint.cpp)
  Status recover();
  void recoverFramework(const FrameworkCheckpoint& state, bool rebooted);
  void recoverExecutor(FrameworkRecord& framework, const ExecutorCheckpoint& state);
  void reconnectExecutors();
  void onReregisterExecutor(const wire::Pid& from, mesos::internal::ReregisterExecutorMessage&& m);
  void onReregistrationTimeout();
  void finishRecovery();
  void onCheckpointResources(const wire::Pid& from,
                             const mesos::internal::CheckpointResourcesMessage& m);
  Status applyCheckpointedResources(const Resources& checkpointed);
  void syncPersistentVolumes(const Resources& before, const Resources& after);
  // Makes each persistent volume among `resources` appear in the executor's sandbox at its
  // (relative) container path, as a symlink to <work_dir>/volumes/roles/<role>/<id>.
  void linkVolumes(const ExecutorRecord& executor,
                   const google::protobuf::RepeatedPtrField<mesos::Resource>& resources);
  bool checkpointing(const FrameworkRecord& framework) const;
  void checkpointFramework(const FrameworkRecord& framework);
  void checkpointExecutor(const FrameworkRecord& framework, const ExecutorRecord& executor);
  void checkpointForkedPid(const FrameworkRecord& framework, const ExecutorRecord& executor);
  void checkpointLibprocessPid(const FrameworkRecord& framework, const ExecutorRecord& executor);
  void checkpointTask(const FrameworkRecord& framework, const ExecutorRecord& executor,
                      const mesos::Task& task);
  // task.updates of a task of `executor`; empty if the framework does not checkpoint.
  std::string updatesPath(const FrameworkRecord& framework, const ExecutorRecord& executor,
                          const std::string& task_id) const;
  void removeExecutorCheckpoint(const FrameworkRecord& framework, const ExecutorRecord& executor);
  void removeFrameworkCheckpoint(const std::string& framework_id);

  // --- tasks and executors (agent_tasks.cpp)
  void onRunTask(const wire::Pid& from, mesos::internal::RunTaskMessage&& m);
  FrameworkRecord& ensureFramework(const mesos::internal::RunTaskMessage& m);
  ExecutorRecord* launchExecutor(FrameworkRecord& framework, const mesos::ExecutorInfo& info,
                                 bool command_executor);
  void onLaunched(const std::string& framework_id, const std::string& executor_id,
                  const std::string& container_id, Result<pid_t> result);
  void onRegistrationTimeout(const std::string& framework_id, const std::string& executor_id,
                             const std::string& container_id);
  void onRegisterExecutor(const wire::Pid& from, const mesos::internal::RegisterExecutorMessage& m);
  void sendTaskToExecutor(FrameworkRecord& framework, ExecutorRecord& executor,
                          const mesos::TaskInfo& task);
  // LAUNCH_GROUP: launches the group's executor if needed and
  // hands it the whole group as one RunTaskGroupMessage once it has registered.
  void onRunTaskGroup(const wire::Pid& from, mesos::internal::RunTaskGroupMessage&& m);
  void sendTaskGroupToExecutor(FrameworkRecord& framework, ExecutorRecord& executor,
                               const mesos::TaskGroupInfo& group);
  // Sends what waited for the executor's registration: single tasks as RunTaskMessage,
  // task groups as RunTaskGroupMessage, in arrival order.
  void sendQueuedTasks(FrameworkRecord& framework, ExecutorRecord& executor);
  void onKillTask(const wire::Pid& from, const mesos::internal::KillTaskMessage& m);
  void onShutdownFramework(const wire::Pid& from,
                           const mesos::internal::ShutdownFrameworkMessage& m);
  void onShutdownExecutor(const wire::Pid& from, const mesos::internal::ShutdownExecutorMessage& m);
  void shutdownFramework(FrameworkRecord& framework);
  void shutdownExecutor(FrameworkRecord& framework, ExecutorRecord& executor);
  void destroyExecutor(ExecutorRecord& executor);
  void onExecutorExited(const std::string& framework_id, const std::string& executor_id,
                        const std::string& container_id, int wait_status);
  void maybeRemoveExecutor(FrameworkRecord& framework, const std::string& executor_id);
  void maybeRemoveFramework(const std::string& framework_id);
  void maybeFinishShutdown();
  ExecutorRecord* findExecutor(const std::string& framework_id, const std::string& executor_id,
                               const std::string& container_id = "");

  // --- status updates and framework messages (agent_updates.cpp)
  void onStatusUpdate(const wire::Pid& from, mesos::internal::StatusUpdateMessage&& m);
  void handleUpdate(mesos::internal::StatusUpdate update, const std::optional<wire::Pid>& ack_to);
  void sendAgentUpdate(const mesos::FrameworkID& framework_id, const mesos::TaskID& task_id,
                       const mesos::ExecutorID* executor_id, mesos::TaskState state,
                       mesos::TaskStatus::Reason reason, const std::string& message);
  void forwardUpdate(const mesos::internal::StatusUpdate& update);
  void onStatusUpdateAck(const wire::Pid& from,
                         const mesos::internal::StatusUpdateAcknowledgementMessage& m);
  void onFrameworkToExecutor(const wire::Pid& from,
                             const mesos::internal::FrameworkToExecutorMessage& m);
  void onExecutorToFramework(const wire::Pid& from,
                             const mesos::internal::ExecutorToFrameworkMessage& m);
  void reconcile(const mesos::internal::ReconcileTasksMessage& reconciliation);

  // --- endpoints (agent_http.cpp)
  void installRoutes();

  template <class M>
  void send(const wire::Pid& to, const M& message) {
    transport_.send(wire::makeMessage(self_, to, message));
  }
  bool fromMaster(const wire::Pid& from, const char* what) const;
  runtime::Duration randomDelay(runtime::Duration max);

  runtime::EventLoop& loop_;
  wire::Transport& transport_;
  AgentFlags flags_;
  ProcessLauncher& launcher_;
  wire::Dispatcher dispatcher_;
  std::unique_ptr<TaskStatusUpdateManager> status_updates_;
  std::mt19937_64 random_;

  State state_ = State::kDisconnected;
  wire::Pid self_;
  wire::Pid master_;
  mesos::SlaveInfo info_;  // --resources (never the checkpointed ones), refinement format
  Resources total_;
  Resources checkpointed_resources_;
  runtime::TimerId reregistration_timer_ = 0;  // end of executor reregistration
  std::string work_dir_;
  std::string resource_version_uuid_;  // 16 raw bytes
  double start_time_ = 0;
  bool started_ = false;
  bool linked_master_ = false;

  runtime::TimerId registration_timer_ = 0;
  runtime::TimerId ping_timer_ = 0;
  runtime::Duration ping_timeout_ = std::chrono::seconds(75);

  std::map<std::string, std::unique_ptr<FrameworkRecord>> frameworks_;
  std::deque<std::unique_ptr<FrameworkRecord>> completed_frameworks_;

  std::vector<std::pair<std::string, std::string>> flag_values_;
  std::map<std::string, std::string> executor_environment_;     // --executor_environment_variables
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // guards launcher callbacks

  std::function<void()> shutdown_done_;
  bool keep_checkpointed_ = false;
  std::function<void(const std::string&)> on_terminated_;
  std::function<void(const std::string&)> on_fatal_;

  // --- authentication with the master (agent_authentication.cpp; --credential)
  void authenticate(runtime::Duration min_timeout, runtime::Duration max_timeout);
  void authenticationFinished(const auth::AuthenticateeResult& result,
                              runtime::Duration min_timeout, runtime::Duration max_timeout);
  void cancelAuthentication();
  std::optional<mesos::Credential> credential_;
  std::unique_ptr<auth::CramMd5Authenticatee> authenticatee_;
  std::unique_ptr<auth::CramMd5Authenticatee> retired_authenticatee_;
  runtime::TimerId authentication_timer_ = 0;
  bool terminate_after_shutdown_ = false;
  std::string shutdown_reason_;
};

}  // namespace keel::agent
