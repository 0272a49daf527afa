#pragma once

// The v0 executor API: an `Executor` a framework implements, and the
// `MesosExecutorDriver` that connects it to the agent that launched it.
// Source compatible with Mesos 1.12's <mesos/executor.hpp>.

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <mesos/mesos.hpp>

namespace mesos {

class ExecutorDriver;

// What a framework's executor implements. Callbacks run on the driver's own thread,
// one at a time; they may call back into the driver but should not block for long.
class Executor {
 public:
  virtual ~Executor() {}

  // The agent accepted this executor. Describes the executor, its framework and the
  // agent it runs on.
  virtual void registered(ExecutorDriver* driver, const ExecutorInfo& executorInfo,
                          const FrameworkInfo& frameworkInfo, const SlaveInfo& slaveInfo) = 0;

  // A restarted agent took this executor back.
  virtual void reregistered(ExecutorDriver* driver, const SlaveInfo& slaveInfo) = 0;

  // Declared for compatibility; the driver, like Mesos's, never calls it.
  virtual void disconnected(ExecutorDriver* driver) = 0;

  // Start a task. The executor reports its progress with sendStatusUpdate().
  virtual void launchTask(ExecutorDriver* driver, const TaskInfo& task) = 0;

  // Kill a task; the executor must send a terminal update (TASK_KILLED) itself.
  virtual void killTask(ExecutorDriver* driver, const TaskID& taskId) = 0;

  // Data sent by the scheduler with SchedulerDriver::sendFrameworkMessage().
  virtual void frameworkMessage(ExecutorDriver* driver, const std::string& data) = 0;

  // The executor must stop all its tasks: the agent asked, or the agent is gone. After
  // the shutdown grace period the driver kills the executor's whole process group.
  virtual void shutdown(ExecutorDriver* driver) = 0;

  // An unrecoverable error; the driver has been aborted.
  virtual void error(ExecutorDriver* driver, const std::string& message) = 0;
};

// The operations an executor can ask of its driver. Every call returns the driver's
// status; sends do nothing unless it is DRIVER_RUNNING.
class ExecutorDriver {
 public:
  virtual ~ExecutorDriver() {}

  // Registers with the agent named in the environment. Only acts once.
  virtual Status start() = 0;

  // Stops the driver; join() then returns.
  virtual Status stop() = 0;

  // Stops callbacks; join() then returns DRIVER_ABORTED.
  virtual Status abort() = 0;

  // Blocks until the driver is stopped or aborted; returns which.
  virtual Status join() = 0;

  // start() followed by join().
  virtual Status run() = 0;

  // Reliably sends a task status update to the agent (which forwards it to the
  // scheduler). The driver sets its uuid, timestamp and agent id.
  virtual Status sendStatusUpdate(const TaskStatus& status) = 0;

  // Best-effort message to the scheduler.
  virtual Status sendFrameworkMessage(const std::string& data) = 0;
};

// The driver that speaks Mesos's v0 protocol to the agent. Thread-safe.
//
// It reads its configuration from MESOS_* variables set by the agent:
// MESOS_SLAVE_PID, MESOS_SLAVE_ID, MESOS_FRAMEWORK_ID, MESOS_EXECUTOR_ID and
// MESOS_DIRECTORY are required (start() exits the process with status 1 if one is
// missing); MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD, MESOS_CHECKPOINT,
// MESOS_RECOVERY_TIMEOUT and MESOS_LOCAL are optional.
class MesosExecutorDriver : public ExecutorDriver {
 public:
  // Reads the process environment.
  explicit MesosExecutorDriver(Executor* executor);

  // Reads `environment` instead of the process environment.
  explicit MesosExecutorDriver(Executor* executor,
                               const std::map<std::string, std::string>& environment);

  // Shuts the driver's thread down. Must not run inside a callback of this driver.
  ~MesosExecutorDriver() override;

  Status start() override;
  Status stop() override;
  Status abort() override;
  Status join() override;
  Status run() override;
  Status sendStatusUpdate(const TaskStatus& status) override;
  Status sendFrameworkMessage(const std::string& data) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mesos
