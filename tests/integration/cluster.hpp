#pragma once

// A whole Keel cluster in one test process: a master and agents, each on its own event
// loop and its own loopback TCP port, exactly as separate daemons would be; executors are
// real processes (keel-executor and the example executor from the build tree).

#include <signal.h>

#include <mesos/scheduler.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agent/agent.hpp"
#include "agent/process_launcher.hpp"
#include "common/agent_flags.hpp"
#include "common/master_flags.hpp"
#include "master/master.hpp"
#include "runtime/event_loop.hpp"
#include "wire/tcp_transport.hpp"

namespace keel::testing {

// Runs fn on the loop thread and returns its result.
template <class F>
auto onLoop(runtime::EventLoop& loop, F fn) -> decltype(fn()) {
  std::promise<decltype(fn())> p;
  loop.post([&] {
    if constexpr (std::is_void_v<decltype(fn())>) {
      fn();
      p.set_value();
    } else {
      p.set_value(fn());
    }
  });
  return p.get_future().get();
}

struct ClusterOptions {
  int agents = 1;
  std::string agent_resources = "cpus:2;mem:1024;disk:1024;ports:[31000-32000]";
  std::string allocation_interval = "50ms";
  // Extra keel-master flags for Cluster, e.g. "--authenticate_frameworks".
  std::vector<std::string> master_flags;
};

// What every test needs of a cluster, however it runs.
class ClusterBase {
 public:
  using Options = ClusterOptions;
  virtual ~ClusterBase() = default;
  virtual std::string masterAddress() const = 0;  // "ip:port"
  virtual std::string agentAddress(size_t i) const = 0;
};

// A blocking HTTP GET of http://<address><path> on loopback; the body, or nullopt.
std::optional<std::string> httpGet(const std::string& address, const std::string& path);

// Polls `predicate` until it is true or the deadline passes; returns its last value.
bool eventually(std::function<bool()> predicate,
                std::chrono::milliseconds deadline = std::chrono::seconds(20));

// The master and agents as separate processes: the real keel-master and keel-agent
// binaries from the build tree, on free loopback ports.
class ProcessCluster : public ClusterBase {
 public:
  explicit ProcessCluster(Options options);
  ~ProcessCluster() override;
  std::string masterAddress() const override { return "127.0.0.1:" + std::to_string(master_port_); }
  std::string agentAddress(size_t i) const override {
    return "127.0.0.1:" + std::to_string(agent_ports_.at(i));
  }
  // The --work_dir of keel-agent i.
  std::string agentWorkDir(size_t i) const { return work_dir_ + "/agent-" + std::to_string(i); }

  // Sends `signal` to keel-agent i and reaps it; executors (separate sessions) of
  // checkpointing frameworks live on.
  void killAgent(size_t i, int signal = SIGKILL);
  // Starts keel-agent i again with its port and work_dir, plus `extra_flags`.
  void restartAgent(size_t i, const std::vector<std::string>& extra_flags = {});
  // Waits for keel-agent i to exit by itself and reaps it: its wait status, or nullopt
  // if it is still running at the deadline.
  std::optional<int> waitAgentExit(size_t i, std::chrono::milliseconds deadline);

 private:
  pid_t spawnAgent(size_t i, const std::vector<std::string>& extra_flags);

  Options options_;
  std::string work_dir_;
  int master_port_ = 0;
  pid_t master_ = -1;
  std::vector<int> agent_ports_;
  std::vector<pid_t> agents_;
};

// The master and agents in this process, each on its own loop and loopback port.
class Cluster : public ClusterBase {
 public:
  explicit Cluster(Options options);
  ~Cluster() override;

  std::string masterAddress() const override {
    return master_pid_.ip + ":" + std::to_string(master_pid_.port);
  }
  std::string agentAddress(size_t i) const override {
    return "127.0.0.1:" + std::to_string(agents_.at(i).transport->port());
  }
  master::Master& master() { return *master_; }
  runtime::EventLoop& masterLoop() { return master_loop_; }
  agent::Agent& agent(size_t i) { return *agents_.at(i).agent; }
  runtime::EventLoop& agentLoop(size_t i) { return *agents_.at(i).loop; }
  const std::string& workDir() const { return work_dir_; }

  // Polls `predicate` on the master's loop until true or the deadline; returns its last value.
  bool waitForMaster(std::function<bool(master::Master&)> predicate,
                     std::chrono::milliseconds deadline = std::chrono::seconds(20));
  bool waitForAgent(size_t i, std::function<bool(agent::Agent&)> predicate,
                    std::chrono::milliseconds deadline = std::chrono::seconds(20));

 private:
  struct AgentNode {
    std::unique_ptr<runtime::EventLoop> loop;
    std::unique_ptr<wire::TcpTransport> transport;
    std::unique_ptr<agent::Agent> agent;
  };

  std::string work_dir_;
  runtime::EventLoop master_loop_;
  std::unique_ptr<wire::TcpTransport> master_transport_;
  std::unique_ptr<master::Master> master_;
  wire::Pid master_pid_;
  agent::PosixProcessLauncher launcher_;
  std::vector<AgentNode> agents_;
};

// Records every scheduler callback; tests wait for the ones they expect.
class RecordingScheduler : public mesos::Scheduler {
 public:
  struct Event {
    Event(std::string k, std::vector<mesos::Offer> o = {}, mesos::TaskStatus s = {},
          std::string d = {})
        : kind(std::move(k)), offers(std::move(o)), status(std::move(s)), data(std::move(d)) {}
    std::string kind;  // "registered", "offers", "update", "message", ...
    std::vector<mesos::Offer> offers;
    mesos::TaskStatus status;
    std::string data;
  };

  void registered(mesos::SchedulerDriver*, const mesos::FrameworkID& id,
                  const mesos::MasterInfo&) override;
  void reregistered(mesos::SchedulerDriver*, const mesos::MasterInfo&) override;
  void disconnected(mesos::SchedulerDriver*) override;
  void resourceOffers(mesos::SchedulerDriver*, const std::vector<mesos::Offer>& offers) override;
  void offerRescinded(mesos::SchedulerDriver*, const mesos::OfferID&) override;
  void statusUpdate(mesos::SchedulerDriver*, const mesos::TaskStatus& status) override;
  void frameworkMessage(mesos::SchedulerDriver*, const mesos::ExecutorID&, const mesos::SlaveID&,
                        const std::string& data) override;
  void slaveLost(mesos::SchedulerDriver*, const mesos::SlaveID&) override;
  void executorLost(mesos::SchedulerDriver*, const mesos::ExecutorID&, const mesos::SlaveID&,
                    int) override;
  void error(mesos::SchedulerDriver*, const std::string& message) override;

  // Waits for and removes the first event matching `kind` (and `pred`), or nullopt at the
  // deadline.
  std::optional<Event> next(const std::string& kind,
                            std::function<bool(const Event&)> pred = nullptr,
                            std::chrono::milliseconds deadline = std::chrono::seconds(20));
  // Waits for the next update of a task reaching `state`, skipping earlier states.
  std::optional<mesos::TaskStatus> awaitState(const std::string& task_id, mesos::TaskState state,
                                              std::chrono::milliseconds deadline =
                                                  std::chrono::seconds(20));

  std::string framework_id;

 private:
  void push(Event e);
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Event> events_;
};

mesos::TaskInfo commandTask(const mesos::Offer& offer, const std::string& id,
                            const std::string& command, double cpus = 0.1, double mem = 32);
mesos::FrameworkInfo frameworkInfo(const std::string& name = "integration-test");

}  // namespace keel::testing
