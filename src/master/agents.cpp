// Agent registration, re-registration, health checking and removal (spec §3.11–§3.13).

#include <glog/logging.h>

#include "allocator/allocator.hpp"
#include "common/ids.hpp"
#include "master/master.hpp"

namespace keel::master {

namespace {

// Mesos refuses agents older than 1.0.0.
bool versionAcceptable(const std::string& version) {
  int major = 0;
  if (std::sscanf(version.c_str(), "%d.", &major) != 1) {
    return false;
  }
  return major >= 1;
}

}  // namespace

AgentState* Master::lookupAgent(const std::string& id) {
  auto it = agents_.find(id);
  return it == agents_.end() ? nullptr : it->second.get();
}

AgentState* Master::agentByPid(const wire::Pid& pid) {
  auto it = agent_by_pid_.find(pid.str());
  return it == agent_by_pid_.end() ? nullptr : lookupAgent(it->second);
}

void Master::registerAgent(const wire::Pid& from, mesos::internal::RegisterSlaveMessage&& msg) {
  if (authenticating(from)) {
    // Only then is the message kept (copying every registration costs).
    deferWhileAuthenticating(from, [this, from, msg = std::move(msg)]() mutable {
      registerAgent(from, std::move(msg));
    });
    return;
  }
  if (!agentMayRegister(from)) {
    return;
  }
  if (!versionAcceptable(msg.version())) {
    LOG(WARNING) << "Ignoring registration of agent at " << from.str() << " with version '"
                 << msg.version() << "' (need >= 1.0.0)";
    return;
  }
  if (Status s = Resources::validate(msg.slave().resources()); !s.isOk()) {
    LOG(WARNING) << "Ignoring registration of agent at " << from.str()
                 << " with invalid resources: " << s.message();
    return;
  }
  if (AgentState* existing = agentByPid(from)) {
    if (existing->connected) {
      // A retry: the agent did not see our reply yet.
      mesos::internal::SlaveRegisteredMessage registered;
      registered.mutable_slave_id()->set_value(existing->id());
      registered.mutable_connection()->set_total_ping_timeout_seconds(
          std::chrono::duration<double>(flags_.agent_ping_timeout).count() *
          flags_.max_agent_ping_timeouts);
      send(from, registered);
      return;
    }
    removeAgent(*existing, "a new agent registered at the same address", mesos::TASK_LOST,
                mesos::TaskStatus::REASON_SLAVE_REMOVED);
  }

  auto agent = std::make_unique<AgentState>();
  agent->info = msg.slave();
  agent->info.mutable_id()->set_value(agentId(info_.id(), next_agent_++));
  agent->pid = from;
  agent->version = msg.version();
  agent->registered_time = now();
  admitCheckpointed(*agent, msg.checkpointed_resources());
  agent->capabilities = {msg.agent_capabilities().begin(), msg.agent_capabilities().end()};
  const std::string id = agent->id();
  AgentState& a = *agent;
  agents_[id] = std::move(agent);
  agent_by_pid_[from.str()] = id;

  allocator_->addAgent(id, a.total, {});
  transport_.link("master", from);

  mesos::internal::SlaveRegisteredMessage registered;
  registered.mutable_slave_id()->set_value(id);
  registered.mutable_connection()->set_total_ping_timeout_seconds(
      std::chrono::duration<double>(flags_.agent_ping_timeout).count() *
      flags_.max_agent_ping_timeouts);
  // The agent learns its id only once the registry holds it.
  registrar_->apply(Registrar::admit(a.info), gated([this, id, from, registered] {
    AgentState* admitted = lookupAgent(id);
    if (admitted == nullptr || admitted->pid != from) return;
    startObserver(*admitted);
    send(from, registered);
  }));
  LOG(INFO) << "Registered agent " << id << " at " << from.str() << " (" << a.info.hostname()
            << ") with " << a.total.str();
  // Only this agent has something new to offer: a pass over every agent per registration
  // made a burst of N registrations cost O(N^2).
  scheduleAllocation(id);
}

void Master::reregisterAgent(const wire::Pid& from,
                             mesos::internal::ReregisterSlaveMessage&& msg) {
  if (authenticating(from)) {
    // Only then is the message kept (copying every registration costs).
    deferWhileAuthenticating(from, [this, from, msg = std::move(msg)]() mutable {
      reregisterAgent(from, std::move(msg));
    });
    return;
  }
  if (!agentMayRegister(from)) {
    return;
  }
  if (!versionAcceptable(msg.version())) {
    LOG(WARNING) << "Ignoring re-registration of agent at " << from.str() << " with version '"
                 << msg.version() << "'";
    return;
  }
  const std::string id = msg.slave().id().value();
  AgentState* agent = lookupAgent(id);
  mesos::internal::SlaveReregisteredMessage reregistered;
  reregistered.mutable_slave_id()->set_value(id);
  reregistered.mutable_connection()->set_total_ping_timeout_seconds(
      std::chrono::duration<double>(flags_.agent_ping_timeout).count() *
      flags_.max_agent_ping_timeouts);

  if (agent != nullptr) {
    if (agent->pid.ip != from.ip || agent->info.hostname() != msg.slave().hostname()) {
      mesos::internal::ShutdownMessage shutdown;
      shutdown.set_message("Agent attempted to reregister with different IP / hostname");
      send(from, shutdown);
      return;
    }
    agent_by_pid_.erase(agent->pid.str());
    agent->pid = from;
    agent_by_pid_[from.str()] = id;
    agent->reregistered_time = now();
    agent->version = msg.version();
    if (agent->reregister_timer) {
      loop_.cancel(*agent->reregister_timer);
      agent->reregister_timer.reset();
    }
    // Tasks we know that the agent did not report are reconciled by the agent.
    std::set<std::pair<std::string, std::string>> reported;
    for (const auto& t : msg.tasks()) {
      reported.emplace(t.framework_id().value(), t.task_id().value());
    }
    for (auto& [fid, tasks] : agent->tasks) {
      for (auto& [tid, task] : tasks) {
        if (!reported.count({fid, tid})) {
          auto* r = reregistered.add_reconciliations();
          r->mutable_framework_id()->set_value(fid);
          mesos::TaskStatus* s = r->add_statuses();
          *s->mutable_task_id() = task->task_id();
          *s->mutable_slave_id() = agent->info.id();
          s->set_state(task->state());
        }
      }
    }
    if (!agent->connected) {
      agent->connected = true;
      agent->active = true;
      allocator_->activateAgent(id);
      // Health checking starts afresh only for an agent that had been disconnected: a
      // connected agent that re-registers because it sees no pings keeps its missed count,
      // so one that cannot answer pings is still marked unreachable.
      agent->missed_pings = 0;
      agent->pong_received = true;
    }
    transport_.link("master", from);
    send(from, reregistered);
    // This master's view of the agent's reservations and volumes wins (spec §3.11).
    sendCheckpointedResources(*agent);
    // Re-send kills that could not be delivered while it was away.
    for (auto& [fid, killed] : agent->killed_tasks) {
      for (const auto& tid : killed) {
        mesos::internal::KillTaskMessage kill;
        kill.mutable_framework_id()->set_value(fid);
        kill.mutable_task_id()->set_value(tid);
        send(from, kill);
      }
    }
  } else {
    // Unknown to this master (master restart, or it had been marked unreachable): re-admit it
    // with its tasks.
    auto fresh = std::make_unique<AgentState>();
    fresh->info = msg.slave();
    fresh->pid = from;
    fresh->version = msg.version();
    fresh->registered_time = now();
    fresh->reregistered_time = now();
    admitCheckpointed(*fresh, msg.checkpointed_resources());
    fresh->capabilities = {msg.agent_capabilities().begin(), msg.agent_capabilities().end()};
    AgentState& a = *fresh;
    agents_[id] = std::move(fresh);
    agent_by_pid_[from.str()] = id;
    const bool was_unreachable = unreachable_agents_.erase(id) > 0;
    auto recovered = recovered_agents_.find(id);
    const bool was_recovered = recovered != recovered_agents_.end();
    // As in Mesos (MESOS-7711): a recovered agent reporting the info the registry holds
    // needs no registry write. (A failover with a durable registry otherwise rewrites it
    // for every returning agent.) Compared as bytes, which is cheap; info that differs only
    // in encoding is merely written again.
    const bool registry_current = was_recovered && recovered->second.SerializeAsString() ==
                                                       a.info.SerializeAsString();
    if (was_recovered) recovered_agents_.erase(recovered);
    if (gone_agents_.count(id)) {
      mesos::internal::ShutdownMessage shutdown;
      shutdown.set_message("Agent has been marked gone");
      agents_.erase(id);
      agent_by_pid_.erase(from.str());
      send(from, shutdown);
      return;
    }

    for (const auto& fi : msg.frameworks()) {
      if (!fi.has_id() || lookupFramework(fi.id().value()) != nullptr ||
          completed_framework_ids_.count(fi.id().value())) {
        continue;
      }
      // A framework this master has not met yet: recovered, disconnected until it subscribes.
      auto framework = std::make_unique<FrameworkState>();
      framework->info = fi;
      framework->connected = false;
      framework->active = false;
      framework->registered_time = now();
      const std::string fid = fi.id().value();
      allocator_->addFramework(fid, allocator::FrameworkEntry{framework->roles(), false, {}}, {});
      frameworks_[fid] = std::move(framework);
    }
    std::map<std::string, Resources> used;
    for (const auto& ei : msg.executor_infos()) {
      FrameworkState* f = lookupFramework(ei.framework_id().value());
      if (f == nullptr) continue;
      a.executors[f->id()][ei.executor_id().value()] = ei;
      f->executors[id][ei.executor_id().value()] = ei;
      Resources& sum = used[f->id()];
      for (const auto& r : ei.resources()) sum += r;
    }
    for (auto& t : *msg.mutable_tasks()) {
      const std::string fid = t.framework_id().value();
      if (completed_framework_ids_.count(fid)) {
        mesos::internal::ShutdownFrameworkMessage shutdown;
        shutdown.mutable_framework_id()->set_value(fid);
        send(from, shutdown);
        continue;
      }
      FrameworkState* f = lookupFramework(fid);
      if (f == nullptr) continue;
      // One search of the framework's tasks: the slot is taken here and filled below.
      auto [slot, fresh_task] = f->tasks.try_emplace(t.task_id().value());
      if (!fresh_task) continue;
      if (!f->unreachable_tasks.empty() && f->unreachable_tasks.erase(t.task_id().value()) > 0) {
        std::erase(f->unreachable_order, t.task_id().value());
      }
      if (!isTerminalState(t.state())) {
        Resources& sum = used[fid];
        for (const auto& r : t.resources()) sum += r;
      }
      // The message is ours: its tasks move into the model instead of being copied.
      slot->second = std::make_unique<mesos::Task>(std::move(t));
      mesos::Task& ref = *slot->second;
      a.tasks[fid][slot->first] = &ref;
      if (was_unreachable && f->connected) {
        mesos::TaskStatus status;
        *status.mutable_task_id() = ref.task_id();
        *status.mutable_slave_id() = a.info.id();
        status.set_state(ref.state());
        status.set_source(mesos::TaskStatus::SOURCE_MASTER);
        status.set_reason(mesos::TaskStatus::REASON_SLAVE_REREGISTERED);
        status.set_message("Unreachable agent re-reregistered");
        status.set_timestamp(now());
        sendMasterUpdate(*f, status);
      }
    }
    allocator_->addAgent(id, a.total, used);
    transport_.link("master", from);
    // Recovered agents are in the registry already; others are (re-)admitted to it first.
    Registrar::Mutation mutation = was_recovered ? Registrar::update(a.info)
                                   : was_unreachable ? Registrar::markReachable(a.info)
                                                     : Registrar::admit(a.info);
    auto admitted = [this, id, from, reregistered] {
      AgentState* agent = lookupAgent(id);
      if (agent == nullptr || agent->pid != from) return;
      startObserver(*agent);
      send(from, reregistered);
    };
    if (registry_current) {
      defer(std::move(admitted));  // after the messages below, as when the registry answers
    } else {
      registrar_->apply(std::move(mutation), gated(std::move(admitted)));
    }
    LOG(INFO) << "Re-admitted agent " << id << " at " << from.str()
              << (was_recovered ? " (known from the registry)" : "");
  }

  // Every framework the agent reported learns where its scheduler is.
  for (const auto& fi : msg.frameworks()) {
    if (FrameworkState* f = lookupFramework(fi.id().value())) {
      mesos::internal::UpdateFrameworkMessage update;
      update.mutable_framework_id()->set_value(f->id());
      update.set_pid(f->pid.str());
      *update.mutable_framework_info() = f->info;
      send(from, update);
    }
  }
  scheduleAllocation(id);
}

void Master::unregisterAgent(const wire::Pid& from, const std::string& agent_id) {
  AgentState* agent = lookupAgent(agent_id);
  if (agent == nullptr || agent->pid != from) {
    LOG(WARNING) << "Ignoring unregistration of unknown agent " << agent_id;
    return;
  }
  removeAgent(*agent, "the agent unregistered", mesos::TASK_LOST,
              mesos::TaskStatus::REASON_SLAVE_REMOVED);
}

void Master::updateAgent(const wire::Pid& from, mesos::internal::UpdateSlaveMessage&& msg) {
  AgentState* agent = lookupAgent(msg.slave_id().value());
  if (agent == nullptr || agent->pid != from) {
    LOG(WARNING) << "Ignoring UpdateSlaveMessage from unknown agent " << msg.slave_id().value();
  }
  // Oversubscription and resource providers are not supported yet: nothing changes.
}

void Master::startObserver(AgentState& agent) {
  if (agent.observer_id.empty()) {
    agent.observer_id = "slave-observer(" + std::to_string(next_observer_++) + ")";
    agent_by_observer_[agent.observer_id] = agent.id();
    const std::string observer = agent.observer_id;
    transport_.addProcess(observer, wire::ProcessHandlers{
                                        [this, observer](wire::Message&& m) {
                                          auto r = observer_dispatcher_.dispatch(std::move(m));
                                          if (r == wire::Delivery::kAccepted) {
                                            pong(observer);
                                          }
                                          return r;
                                        },
                                        nullptr});
  }
  agent.missed_pings = 0;
  agent.pong_received = true;
  ping(agent.id());
}

void Master::ping(const std::string& agent_id) {
  AgentState* agent = lookupAgent(agent_id);
  if (agent == nullptr) {
    return;
  }
  if (!agent->pong_received) {
    agent->missed_pings++;
    if (agent->missed_pings >= flags_.max_agent_ping_timeouts) {
      LOG(WARNING) << "Agent " << agent_id << " did not answer "
                   << agent->missed_pings << " pings; marking it unreachable";
      markUnreachable(agent_id, "health check timed out");
      return;
    }
  }
  agent->pong_received = false;
  mesos::internal::PingSlaveMessage ping_msg;
  ping_msg.set_connected(agent->connected);
  transport_.send(wire::makeMessage(transport_.pidOf(agent->observer_id), agent->pid, ping_msg));
  agent->ping_timer =
      after(flags_.agent_ping_timeout, [this, agent_id] { ping(agent_id); });
}

void Master::pong(const std::string& observer_id) {
  auto it = agent_by_observer_.find(observer_id);
  if (it == agent_by_observer_.end()) {
    return;
  }
  if (AgentState* agent = lookupAgent(it->second)) {
    agent->pong_received = true;
    agent->missed_pings = 0;
  }
}

void Master::disconnectAgent(AgentState& agent) {
  agent.connected = false;
  agent.active = false;
  allocator_->deactivateAgent(agent.id());
  for (const std::string& offer_id : std::set<std::string>(agent.offers)) {
    rescindOffer(offer_id, true);
  }
  // Tasks of frameworks that do not checkpoint cannot survive the agent (spec §3.12).
  for (auto& [fid, tasks] : std::map(agent.tasks)) {
    FrameworkState* f = lookupFramework(fid);
    if (f == nullptr || f->info.checkpoint()) {
      continue;
    }
    for (auto& [tid, task] : tasks) {
      if (!isTerminalState(task->state())) {
        transitionTask(*f, *task, mesos::TASK_LOST, mesos::TaskStatus::REASON_SLAVE_DISCONNECTED,
                       "Agent " + agent.info.hostname() + " disconnected", true);
      }
    }
  }
  const std::string id = agent.id();
  agent.reregister_timer = after(flags_.agent_reregister_timeout, [this, id] {
    AgentState* a = lookupAgent(id);
    if (a != nullptr && !a->connected) {
      a->reregister_timer.reset();
      markUnreachable(id, "agent did not re-register in time");
    }
  });
}

void Master::markUnreachable(const std::string& agent_id, const std::string& cause) {
  AgentState* agent = lookupAgent(agent_id);
  if (agent == nullptr) {
    return;
  }
  unreachable_agents_[agent_id] = now();
  registrar_->apply(Registrar::markUnreachable(agent_id, now()));
  removeAgent(*agent, cause, mesos::TASK_UNREACHABLE, mesos::TaskStatus::REASON_SLAVE_REMOVED);
}

void Master::removeAgent(AgentState& agent, const std::string& cause,
                         mesos::TaskState partition_state, mesos::TaskStatus::Reason reason) {
  const std::string id = agent.id();
  LOG(INFO) << "Removing agent " << id << " (" << agent.info.hostname() << "): " << cause;
  for (const std::string& offer_id : std::set<std::string>(agent.offers)) {
    rescindOffer(offer_id, true);
  }
  if (agent.ping_timer) loop_.cancel(*agent.ping_timer);
  if (agent.reregister_timer) loop_.cancel(*agent.reregister_timer);

  for (auto& [fid, tasks] : std::map(agent.tasks)) {
    FrameworkState* f = lookupFramework(fid);
    if (f == nullptr) continue;
    for (auto& [tid, task] : tasks) {
      mesos::TaskState state = partition_state;
      if (state == mesos::TASK_UNREACHABLE && !f->partitionAware()) {
        state = mesos::TASK_LOST;
      }
      const bool was_terminal = isTerminalState(task->state());
      if (!was_terminal) {
        transitionTask(*f, *task, state, reason, cause, true);
      }
      if (partition_state == mesos::TASK_UNREACHABLE && !was_terminal) {
        moveToUnreachable(*f, tid);
      } else {
        removeTask(*f, tid, true);
      }
    }
    f->executors.erase(id);
  }
  for (auto& [fid, f] : frameworks_) {
    if (f->connected) {
      mesos::internal::LostSlaveMessage lost;
      lost.mutable_slave_id()->set_value(id);
      send(f->pid, lost);
    }
  }
  allocator_->removeAgent(id);
  if (partition_state != mesos::TASK_UNREACHABLE) {
    registrar_->apply(Registrar::remove(id));
  }
  transport_.unlink("master", agent.pid);
  if (!agent.observer_id.empty()) {
    transport_.removeProcess(agent.observer_id);
    agent_by_observer_.erase(agent.observer_id);
  }
  agent_by_pid_.erase(agent.pid.str());
  agents_.erase(id);
}

}  // namespace keel::master
