#pragma once

// N simulated agents as processes "slave(1)".."slave(N)" on one transport. Each speaks the
// agent side of Mesos's v0 protocol just far enough for the scenarios: registration and
// re-registration, pings, RunTaskMessage answered at once with TASK_RUNNING, and status
// update acknowledgements. Everything runs on the transport's loop thread except the
// counters, which any thread may read.

#include <mesos/internal/messages.pb.h>

#include <atomic>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "common.hpp"
#include "wire/dispatcher.hpp"
#include "wire/transport.hpp"

namespace keel::bench {

class SimAgents {
 public:
  SimAgents(wire::Transport& transport, Notifier& notifier, std::vector<mesos::Resource> resources);
  ~SimAgents();  // removes the processes (loop thread)

  // Adds `n` agents and sends each a RegisterSlaveMessage to `master`.
  void start(int n, const wire::Pid& master);

  // Gives every agent `per_agent` synthesized TASK_RUNNING tasks of `framework` (which must
  // have its id) using `resources` each, as if launched before.
  void addTasks(int per_agent, const mesos::FrameworkInfo& framework,
                const std::vector<mesos::Resource>& resources);

  // Builds every agent's ReregisterSlaveMessage (its id, tasks and frameworks) ahead of
  // reregisterAll(), as Mesos's re-registration benchmark does before its clock starts.
  void prepareReregistration();
  // Sends every agent's ReregisterSlaveMessage to `master` (the prepared ones, if any).
  void reregisterAll(const wire::Pid& master);

  // Agent `index`'s task `task_id` of `framework_id` reaches TASK_FINISHED: the update goes
  // to the master. False if the agent has no such task.
  bool finishTask(size_t index, const std::string& framework_id, const std::string& task_id);

  size_t size() const { return agents_.size(); }
  const std::string& agentId(size_t index) const { return agents_[index].id; }
  // The index of the agent with this id, or -1.
  long indexOf(const std::string& agent_id) const;

  // Called on the loop after a RunTaskMessage was answered with TASK_RUNNING.
  std::function<void(size_t index, const mesos::TaskInfo&)> on_launched;

  std::atomic<size_t> registered{0};  // agents that got SlaveRegisteredMessage
  std::atomic<size_t> reregistered{
      0};                           // agents that got SlaveReregisteredMessage since reregisterAll
  std::atomic<size_t> launched{0};  // RunTaskMessages answered
  std::atomic<size_t> acks{0};      // StatusUpdateAcknowledgementMessages received
  std::atomic<size_t> pings{0};
  Clock::time_point all_registered_at;    // when `registered` reached size()
  Clock::time_point all_reregistered_at;  // when `reregistered` reached size()

 private:
  struct Agent {
    std::string process;  // "slave(N)"
    wire::Pid pid;
    std::string id;  // assigned by the master
    bool registered = false;
    bool reregistered = false;
    // framework id -> task id -> task
    std::map<std::string, std::map<std::string, mesos::Task>> tasks;
    std::map<std::string, mesos::FrameworkInfo> frameworks;
  };

  wire::Delivery receive(size_t index, wire::Message&& msg);
  std::string reregistration(const Agent& a) const;  // serialized ReregisterSlaveMessage
  void sendUpdate(Agent& agent, const std::string& framework_id, const mesos::TaskID& task_id,
                  mesos::TaskState state);
  std::string uuid();

  wire::Transport& transport_;
  Notifier& notifier_;
  std::vector<mesos::Resource> resources_;
  wire::Pid master_;
  std::vector<Agent> agents_;
  std::vector<std::string> prepared_;  // by agent index
  std::unordered_map<std::string, size_t> by_id_;
  std::mt19937_64 random_{std::random_device{}()};
};

}  // namespace keel::bench
