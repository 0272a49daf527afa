#pragma once

// The machinery under every scenario: the simulation's event loop and TCP transport (every
// simulated agent and framework is a process on it), and, when no --master is given, a
// Keel master in this process on its own loop and loopback port.

#include <memory>
#include <string>

#include "common.hpp"
#include "common/status.hpp"
#include "runtime/event_loop.hpp"
#include "wire/pid.hpp"
#include "wire/tcp_transport.hpp"

namespace keel::master {
class Master;
}

namespace keel::bench {

class Harness {
 public:
  // Starts the simulation loop and transport on 127.0.0.1, and the in-process master unless
  // options.master names one.
  static Result<std::unique_ptr<Harness>> create(const Options& options);
  ~Harness();  // stops everything (simulation first)

  bool inProcess() const { return master_ != nullptr; }
  const wire::Pid& masterPid() const { return master_pid_; }
  std::string masterAddress() const { return master_pid_.address(); }

  // In-process only: destroys the master and its transport and starts a fresh one (new port,
  // empty in-memory registry). Returns the new pid.
  Result<wire::Pid> restartMaster();

  runtime::EventLoop& loop() { return sim_loop_; }
  wire::TcpTransport& transport() { return *sim_transport_; }
  Notifier& notifier() { return notifier_; }

 private:
  Harness() = default;
  Status startMaster();
  void stopMaster();

  Options options_;
  Notifier notifier_;
  runtime::EventLoop sim_loop_;
  std::unique_ptr<wire::TcpTransport> sim_transport_;
  std::unique_ptr<runtime::EventLoop> master_loop_;
  std::unique_ptr<wire::TcpTransport> master_transport_;
  std::unique_ptr<master::Master> master_;
  wire::Pid master_pid_;
  // The in-process master's, with --registry=replicated_log (~Harness stops the master first).
  std::unique_ptr<TempDir> work_dir_;
};

}  // namespace keel::bench
