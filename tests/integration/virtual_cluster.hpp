#pragma once

#include "cluster.hpp"

// A whole Keel cluster in one process on VIRTUAL time: one ManualClock drives the timers of
// the master, the agents, the scheduler drivers and the executor drivers, which all talk over
// InProcTransports of one InProcNetwork. Every component keeps its own EventLoop thread (so
// the drivers run exactly as in production), but nothing happens on a timer until the test
// calls advance(); settle() then waits until every loop is idle. Timeouts of a week run in
// well under a second, and a test sees the same sequence of events on every run.
//
// Executors are not processes: the agents get a fake ProcessLauncher that starts an
// in-process ExecutorDriverImpl (with the environment the agent built) around a
// VirtualExecutor, which acts like Mesos's command executor: TASK_STARTING and TASK_RUNNING,
// then TASK_FINISHED if the task's command is "exit 0", TASK_FAILED if it is "exit 1", and it
// stays running for any other command. The test can make an executor "exit" with any
// waitpid() status, which the agent sees through the launcher's watch callback.

#include <mesos/executor.hpp>
#include <mesos/scheduler.hpp>

#include <atomic>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agent/agent.hpp"
#include "agent/process_launcher.hpp"
#include "executor/executor_driver_impl.hpp"
#include "master/master.hpp"
#include "runtime/clock.hpp"
#include "runtime/event_loop.hpp"
#include "scheduler/scheduler_driver_impl.hpp"
#include "wire/inproc_transport.hpp"

namespace keel::testing {

struct VirtualClusterOptions {
  int agents = 1;
  std::string agent_resources = "cpus:2;mem:1024;disk:1024;ports:[31000-32000]";
  // Extra command-line flags, e.g. "--offer_timeout=30secs".
  std::vector<std::string> master_flags;
  std::vector<std::string> agent_flags;
};

class VirtualCluster;

// The in-process stand-in for an executor process (see the file comment).
class VirtualExecutor : public mesos::Executor {
 public:
  explicit VirtualExecutor(VirtualCluster& cluster, std::string executor_id)
      : cluster_(cluster), executor_id_(std::move(executor_id)) {}

  void registered(mesos::ExecutorDriver*, const mesos::ExecutorInfo&, const mesos::FrameworkInfo&,
                  const mesos::SlaveInfo&) override {}
  void reregistered(mesos::ExecutorDriver*, const mesos::SlaveInfo&) override {}
  void disconnected(mesos::ExecutorDriver*) override {}
  void launchTask(mesos::ExecutorDriver* driver, const mesos::TaskInfo& task) override;
  void killTask(mesos::ExecutorDriver* driver, const mesos::TaskID& task_id) override;
  void frameworkMessage(mesos::ExecutorDriver*, const std::string&) override {}
  void shutdown(mesos::ExecutorDriver* driver) override;
  void error(mesos::ExecutorDriver*, const std::string&) override {}

 private:
  void send(mesos::ExecutorDriver* driver, const mesos::TaskID& task_id, mesos::TaskState state);

  VirtualCluster& cluster_;
  std::string executor_id_;
  std::mutex mutex_;
  std::vector<mesos::TaskID> tasks_;
};

class VirtualCluster {
 public:
  using Options = VirtualClusterOptions;

  // Starts the master and the agents and advances time until every agent is registered
  // (throws std::runtime_error if they do not within a minute of virtual time).
  explicit VirtualCluster(Options options = {});
  ~VirtualCluster();

  VirtualCluster(const VirtualCluster&) = delete;
  VirtualCluster& operator=(const VirtualCluster&) = delete;

  runtime::ManualClock& clock() { return clock_; }
  wire::InProcNetwork& network() { return network_; }

  // Waits until nothing is left to do anywhere: no handler pending on any loop, no message in
  // flight, no executor launch or exit pending. Does not move time.
  void settle();

  // Moves virtual time forward by `d` in steps of at most `step`, settling after each step
  // (timers due within one step all fire at its end, so keep `step` below the shortest
  // period that matters, e.g. the master's 15 s agent pings).
  void advance(runtime::Duration d, runtime::Duration step = std::chrono::seconds(5));

  // The network filter (composed with the harness's own message counter). Empty: deliver all.
  void setFilter(std::function<wire::FilterAction(const wire::Message&)> filter);

  // --- master and agents. onMaster/onAgent run `fn` on that loop and return its result.
  master::Master& master() { return *master_; }
  // Replaces the master by a new one with the same flags at the same address (a master
  // restart): the old one's connections break first, so agents and drivers see it go.
  // Its registry survives only if the flags give a durable one.
  void restartMaster();
  runtime::EventLoop& masterLoop() { return *master_loop_; }
  std::string masterAddress() const { return master_address_; }
  wire::Pid masterPid() const { return master_pid_; }
  size_t agentCount() const { return agents_.size(); }
  agent::Agent& agent(size_t i) { return *agents_.at(i)->agent; }
  runtime::EventLoop& agentLoop(size_t i) { return *agents_.at(i)->loop; }
  std::string agentAddress(size_t i) const { return agents_.at(i)->transport->address(); }

  template <class F>
  auto onMaster(F fn) -> decltype(fn(std::declval<master::Master&>())) {
    return onLoopOf(*master_loop_, [&] { return fn(*master_); });
  }
  template <class F>
  auto onAgent(size_t i, F fn) -> decltype(fn(std::declval<agent::Agent&>())) {
    auto* a = agents_.at(i)->agent.get();
    return onLoopOf(*agents_.at(i)->loop, [&] { return fn(*a); });
  }

  // --- schedulers. A SchedulerDriverImpl on the manual clock and an InProc transport,
  // subscribing to this master; start() is called and the cluster settled. Owned by the
  // cluster; `scheduler` must outlive the cluster (declare it before the cluster), since the
  // cluster's teardown still delivers callbacks such as disconnected().
  mesos::SchedulerDriver* startScheduler(mesos::Scheduler* scheduler,
                                         const mesos::FrameworkInfo& framework,
                                         bool implicit_acknowledgements = true);
  // The InProc address of that driver's transport ("" before it exists), for network().kill.
  std::string schedulerAddress(mesos::SchedulerDriver* driver) const;

  // --- executors (by ExecutorID value; for command tasks that is the task id).
  bool executorRunning(const std::string& executor_id) const;
  size_t executorsRunning() const;
  // The executor "process" exits with the raw waitpid() `wait_status` (e.g. 1 << 8 for exit
  // code 1, or SIGKILL for killed): its transport becomes unreachable (peers linked to it are
  // told) and the agent's watch callback fires. The idle driver object is kept until the cluster
  // is destroyed. Settles afterwards. False if no such running executor.
  bool exitExecutor(const std::string& executor_id, int wait_status);
  // Makes the executor send a status update for one of its tasks. Settles afterwards.
  bool sendExecutorUpdate(const std::string& executor_id, const std::string& task_id,
                          mesos::TaskState state);

  // Called by VirtualExecutor (any thread): ask for the executor to exit at the next settle.
  void requestExit(const std::string& executor_id, int wait_status);

  template <class F>
  static auto onLoopOf(runtime::EventLoop& loop, F fn) -> decltype(fn()) {
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

 private:
  class Launcher;
  struct AgentNode {
    std::unique_ptr<runtime::EventLoop> loop;
    std::unique_ptr<wire::InProcTransport> transport;
    std::unique_ptr<agent::Agent> agent;
  };
  struct SchedulerNode {
    std::unique_ptr<sched::SchedulerDriverImpl> driver;
    std::shared_ptr<std::string> address;
  };
  struct ExecutorNode {
    std::string executor_id;
    pid_t pid = 0;
    std::unique_ptr<VirtualExecutor> executor;
    std::unique_ptr<exec::ExecutorDriverImpl> driver;
    std::shared_ptr<std::string> address;
    agent::ProcessLauncher::ExitDone on_exit;  // set by watch()
    std::optional<int> exit_requested;
    bool exited = false;
  };
  friend class VirtualExecutor;

  // Starts pending launches and performs requested exits; true if it did anything.
  bool processPending();
  void doExit(ExecutorNode& node, int wait_status);
  ExecutorNode* findExecutor(const std::string& executor_id);
  const ExecutorNode* findExecutor(const std::string& executor_id) const;
  bool drainAll();  // false if a loop did not answer in time

  runtime::ManualClock clock_;
  wire::InProcNetwork network_;
  std::atomic<uint64_t> messages_{0};
  std::mutex filter_mutex_;
  std::function<wire::FilterAction(const wire::Message&)> filter_;
  std::string work_dir_;

  std::unique_ptr<Launcher> launcher_;
  std::unique_ptr<runtime::EventLoop> master_loop_;
  std::unique_ptr<wire::InProcTransport> master_transport_;
  std::unique_ptr<master::Master> master_;
  std::unique_ptr<MasterFlags> master_flags_;
  std::string master_address_;
  wire::Pid master_pid_;
  std::vector<std::unique_ptr<AgentNode>> agents_;
  std::vector<SchedulerNode> schedulers_;

  mutable std::mutex executors_mutex_;  // guards executors_ and pending launches
  std::vector<std::unique_ptr<ExecutorNode>> executors_;
};

// Helpers for virtual-time tests, where nothing arrives unless time is advanced.
using VirtualEvent = RecordingScheduler::Event;

// The first recorded event of `kind` (matching `pred`) already there, without waiting.
std::optional<VirtualEvent> take(RecordingScheduler& s, const std::string& kind,
                                 std::function<bool(const VirtualEvent&)> pred = nullptr);

// Advances in 100 ms steps (at most 10 s) until the scheduler has an offer; returns it.
std::optional<mesos::Offer> awaitOffer(VirtualCluster& c, RecordingScheduler& s);

// The already recorded update of `task` in `state`, if any.
std::optional<mesos::TaskStatus> takeUpdate(RecordingScheduler& s, const std::string& task,
                                            mesos::TaskState state);

}  // namespace keel::testing
