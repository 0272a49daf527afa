#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <mesos/executor.hpp>

#include "common/status.hpp"
#include "runtime/clock.hpp"
#include "runtime/event_loop.hpp"
#include "wire/transport.hpp"

namespace keel::exec {

class ExecutorProcess;

// Builds the driver's transport on its loop thread; `agent` is the agent to talk to.
using TransportFactory = std::function<Result<std::unique_ptr<wire::Transport>>(
    runtime::EventLoop& loop, const wire::Pid& agent)>;

// What the driver takes from its surroundings; tests replace each part.
struct ExecutorDriverDeps {
  runtime::Clock* clock = nullptr;  // null: the real clock
  TransportFactory make_transport;  // null: defaultTransportFactory(environment)
  // Runs when the shutdown grace period expires. Null: SIGKILL the process group,
  // wait 5 s, exit(1).
  std::function<void()> kill_process_group;
  // Runs when the environment lacks a required variable. Null: print the message to
  // stderr and exit(1), as Mesos does. If it returns, start() returns DRIVER_ABORTED.
  std::function<void(const std::string& message)> fatal;
  // How long the destructor keeps the loop running so that the last messages (a final
  // status update) leave the socket. Defaults to 100 ms with the TCP transport, else 0.
  std::optional<runtime::Duration> shutdown_linger;
};

// TCP transport bound to LIBPROCESS_IP if `environment` sets it, else to the agent's
// ip; port LIBPROCESS_PORT or 0; LIBPROCESS_ADVERTISE_IP/PORT honoured.
TransportFactory defaultTransportFactory(std::map<std::string, std::string> environment);

// The whole MesosExecutorDriver (mesos-spec §2b.2): status state machine, loop,
// transport and ExecutorProcess. MesosExecutorDriver forwards here; tests use it
// directly. `self` is the driver handed to Executor callbacks (null: this object).
// Thread-safe, except that the destructor must not run on the loop thread.
class ExecutorDriverImpl final : public mesos::ExecutorDriver {
 public:
  ExecutorDriverImpl(mesos::ExecutorDriver* self, mesos::Executor* executor,
                     std::map<std::string, std::string> environment, ExecutorDriverDeps deps = {});
  ~ExecutorDriverImpl() override;

  mesos::Status start() override;
  mesos::Status stop() override;
  mesos::Status abort() override;
  mesos::Status join() override;
  mesos::Status run() override;
  mesos::Status sendStatusUpdate(const mesos::TaskStatus& status) override;
  mesos::Status sendFrameworkMessage(const std::string& data) override;

  // For tests: null before a successful start().
  runtime::EventLoop* loop() { return loop_.get(); }
  ExecutorProcess* process() { return process_.get(); }

 private:
  void triggerLatch();

  mesos::ExecutorDriver* const self_;
  mesos::Executor* const executor_;
  const std::map<std::string, std::string> environment_;
  ExecutorDriverDeps deps_;

  std::recursive_mutex mutex_;
  mesos::Status status_ = mesos::DRIVER_NOT_STARTED;

  std::unique_ptr<runtime::EventLoop> loop_;
  std::unique_ptr<wire::Transport> transport_;
  std::unique_ptr<ExecutorProcess> process_;

  std::mutex latch_mutex_;
  std::condition_variable latch_cv_;
  bool latch_triggered_ = false;
};

}  // namespace keel::exec
