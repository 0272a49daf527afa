#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <mesos/internal/messages.pb.h>
#include <mesos/mesos.pb.h>

#include "common/status.hpp"
#include "runtime/event_loop.hpp"
#include "wire/dispatcher.hpp"
#include "wire/transport.hpp"

namespace mesos {
class Executor;
class ExecutorDriver;
}  // namespace mesos

namespace keel::exec {

// What the agent tells an executor through its environment (mesos-spec §2b.1).
struct ExecutorConfig {
  wire::Pid agent;  // MESOS_SLAVE_PID
  mesos::SlaveID slave_id;
  mesos::FrameworkID framework_id;
  mesos::ExecutorID executor_id;
  std::string directory;    // MESOS_DIRECTORY
  bool local = false;       // MESOS_LOCAL set: never kill the process group
  bool checkpoint = false;  // MESOS_CHECKPOINT == "1"
  runtime::Duration recovery_timeout = std::chrono::minutes(15);
  runtime::Duration shutdown_grace_period = std::chrono::seconds(5);
};

// Reads the MESOS_* variables of `env`. Errors name the missing or malformed variable,
// e.g. "Expecting 'MESOS_SLAVE_PID' to be set in the environment".
Result<ExecutorConfig> parseExecutorEnvironment(const std::map<std::string, std::string>& env);

// "executor(N)", N counting from 1 within this process (libprocess's ID::generate).
std::string newExecutorId();

// The v0 executor driver's state machine (mesos-spec §2b.3): registers with the
// agent, turns agent messages into Executor callbacks, keeps unacknowledged updates
// and tasks for re-registration, shuts down on request or on agent loss.
//
// Threading: lives on `loop`; every method must be called on the loop thread except
// markAborted()/aborted(). `driver`, `executor` and `transport` must outlive it.
// `on_finished` runs (on the loop) after stop() or abort(), to release join().
// `kill_process_group` runs when the shutdown grace period expires (not in local
// mode); the real one SIGKILLs the executor's process group and exits.
class ExecutorProcess {
 public:
  ExecutorProcess(std::string id, ExecutorConfig config, mesos::ExecutorDriver* driver,
                  mesos::Executor* executor, wire::Transport& transport, runtime::EventLoop& loop,
                  std::function<void()> on_finished, std::function<void()> kill_process_group);
  ~ExecutorProcess();

  ExecutorProcess(const ExecutorProcess&) = delete;
  ExecutorProcess& operator=(const ExecutorProcess&) = delete;

  // Registers with the transport, links to the agent, sends RegisterExecutorMessage.
  void initialize();

  // No further callbacks or message handling. Thread-safe.
  void markAborted() { aborted_.store(true); }
  bool aborted() const { return aborted_.load(); }

  void stop();
  void abort();
  void sendStatusUpdate(const mesos::TaskStatus& status);
  void sendFrameworkMessage(const std::string& data);

  // For tests.
  bool connected() const { return connected_; }
  const wire::Pid& self() const { return self_; }
  const wire::Pid& agent() const { return config_.agent; }
  size_t unacknowledgedUpdates() const { return updates_.size(); }
  size_t unacknowledgedTasks() const { return tasks_.size(); }

 private:
  void installHandlers();
  wire::Delivery receive(wire::Message&& msg);
  void exited(const wire::Pid& peer);
  void registered(const mesos::internal::ExecutorRegisteredMessage& m);
  void reregistered(const mesos::internal::ExecutorReregisteredMessage& m);
  void reconnect(const wire::Pid& from, const mesos::internal::ReconnectExecutorMessage& m);
  void runTask(const mesos::internal::RunTaskMessage& m);
  // Keel extension (executor/task_group_executor.hpp): a RunTaskGroupMessage becomes one
  // TaskGroupExecutor::launchTaskGroup() if the executor implements it, else launchTask()
  // for each task of the group in order.
  void runTaskGroup(const mesos::internal::RunTaskGroupMessage& m);
  void killTask(const mesos::internal::KillTaskMessage& m);
  void acknowledgement(const mesos::internal::StatusUpdateAcknowledgementMessage& m);
  void frameworkMessage(const mesos::internal::FrameworkToExecutorMessage& m);
  void shutdown();
  void recoveryTimeout(std::uint64_t connection);
  void terminate();
  void send(const wire::Pid& to, const google::protobuf::Message& message);

  const std::string id_;
  ExecutorConfig config_;
  mesos::ExecutorDriver* const driver_;
  mesos::Executor* const executor_;
  wire::Transport& transport_;
  runtime::EventLoop& loop_;
  std::function<void()> on_finished_;
  std::function<void()> kill_process_group_;

  wire::Pid self_;
  wire::Dispatcher dispatcher_;
  std::atomic<bool> aborted_{false};
  bool initialized_ = false;
  bool terminated_ = false;
  bool connected_ = false;
  // Identifies one registration; a recovery timeout for an older one is stale.
  std::uint64_t connection_ = 0;

  // Unacknowledged updates (by uuid bytes) and tasks (by task id), in arrival order.
  std::vector<std::pair<std::string, mesos::internal::StatusUpdate>> updates_;
  std::vector<std::pair<std::string, mesos::TaskInfo>> tasks_;
};

}  // namespace keel::exec
