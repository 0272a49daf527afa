#pragma once

// The master's in-memory model: frameworks, agents, tasks and offers, with the indexes
// the hot paths use (ARCHITECTURE.md decision 9). Everything here lives on the master's
// loop; nothing is persisted (as in Mesos, frameworks and tasks are not in the registry).

#include <mesos/internal/messages.pb.h>
#include <mesos/mesos.pb.h>

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "common/resources.hpp"
#include "common/task_states.hpp"
#include "runtime/event_loop.hpp"
#include "wire/pid.hpp"

namespace keel::master {

struct FrameworkState {
  mesos::FrameworkInfo info;  // with id set
  wire::Pid pid;
  bool connected = true;
  bool active = true;
  double registered_time = 0;
  std::optional<double> reregistered_time;
  std::optional<double> unregistered_time;
  std::optional<runtime::TimerId> failover_timer;

  // Tasks not yet acknowledged terminal, by task id.
  std::map<std::string, std::unique_ptr<mesos::Task>> tasks;
  std::deque<mesos::Task> completed_tasks;
  // Each completed task as /state renders it, filled in by the first render that shows it
  // (a completed task never changes); in step with completed_tasks when their sizes agree.
  mutable std::deque<std::string> completed_json;
  // Tasks of agents marked unreachable, by task id, oldest first; they keep their ids
  // reserved and come back if the agent re-registers (spec §3.13).
  std::map<std::string, mesos::Task> unreachable_tasks;
  std::deque<std::string> unreachable_order;
  std::set<std::string> offers;  // offer ids outstanding
  // Executors this framework runs, by agent id then executor id.
  std::map<std::string, std::map<std::string, mesos::ExecutorInfo>> executors;
  std::set<std::string> suppressed_roles;

  const std::string& id() const { return info.id().value(); }
  // Appends a completed task, keeping at most `limit` of them (oldest dropped first).
  void addCompleted(mesos::Task&& task, size_t limit);
  bool partitionAware() const;
  bool hasCapability(mesos::FrameworkInfo::Capability::Type type) const;
  std::vector<std::string> roles() const;
};

// The roles a framework subscribes to: `roles` with MULTI_ROLE, else its single `role`.
std::vector<std::string> rolesOf(const mesos::FrameworkInfo& info);

struct AgentState {
  mesos::SlaveInfo info;  // with id set
  wire::Pid pid;
  std::string version;
  bool connected = true;
  bool active = true;
  double registered_time = 0;
  std::optional<double> reregistered_time;
  Resources total;
  // Dynamic reservations and persistent volumes: what the agent checkpoints.
  Resources checkpointed;
  std::vector<mesos::SlaveInfo::Capability> capabilities;

  // Tasks on this agent: framework id → task id → task (owned by FrameworkState).
  std::map<std::string, std::map<std::string, mesos::Task*>> tasks;
  // Executors: framework id → executor id → info.
  std::map<std::string, std::map<std::string, mesos::ExecutorInfo>> executors;
  std::map<std::string, std::set<std::string>> killed_tasks;  // framework → task ids
  std::set<std::string> offers;

  // Health checking by the agent's slave-observer(N) process.
  std::string observer_id;
  int missed_pings = 0;
  bool pong_received = true;
  std::optional<runtime::TimerId> ping_timer;
  std::optional<runtime::TimerId> reregister_timer;

  const std::string& id() const { return info.id().value(); }
};

struct OfferState {
  mesos::Offer offer;     // as sent (with allocation_info; stripped per framework on send)
  std::shared_ptr<const Resources> resources;  // with allocation_info.role set; never null
  std::optional<runtime::TimerId> timer;
};


}  // namespace keel::master
