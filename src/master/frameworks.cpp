// Framework subscription, failover, deactivation and removal (spec §3.2, §3.3).

#include <glog/logging.h>

#include "allocator/allocator.hpp"
#include "common/ids.hpp"
#include "master/master.hpp"
#include "master/validation.hpp"

namespace keel::master {

namespace {

allocator::FrameworkEntry allocatorEntry(const FrameworkState& framework) {
  allocator::FrameworkEntry entry;
  entry.roles = framework.roles();
  entry.active = framework.active;
  for (const auto& c : framework.info.capabilities()) {
    entry.capabilities.insert(c.type());
  }
  return entry;
}

}  // namespace

void Master::frameworkError(const wire::Pid& to, const std::string& message) {
  LOG(INFO) << "Refusing framework at " << to.str() << ": " << message;
  mesos::internal::FrameworkErrorMessage error;
  error.set_message(message);
  send(to, error);
}

FrameworkState* Master::lookupFramework(const std::string& id) {
  auto it = frameworks_.find(id);
  return it == frameworks_.end() ? nullptr : it->second.get();
}

FrameworkState* Master::frameworkFrom(const wire::Pid& from, const std::string& id) {
  FrameworkState* framework = lookupFramework(id);
  if (framework == nullptr) {
    LOG(WARNING) << "Ignoring message from unknown framework " << id << " at " << from.str();
    metrics_.dropped_messages++;
    return nullptr;
  }
  if (framework->pid != from) {
    LOG(WARNING) << "Ignoring message for framework " << id << " from " << from.str()
                 << " which is not its registered pid " << framework->pid.str();
    metrics_.dropped_messages++;
    return nullptr;
  }
  if (!framework->connected) {
    frameworkError(from, "Framework disconnected");
    return nullptr;
  }
  return framework;
}

void Master::handleCall(const wire::Pid& from, mesos::scheduler::Call&& call) {
  using Call = mesos::scheduler::Call;
  if (!call.has_type()) {
    LOG(WARNING) << "Dropping call without a type from " << from.str();
    return;
  }
  if (call.type() == Call::SUBSCRIBE) {
    if (!call.has_subscribe()) {
      LOG(WARNING) << "Dropping SUBSCRIBE without 'subscribe' from " << from.str();
      return;
    }
    const auto& info = call.subscribe().framework_info();
    if (call.has_framework_id() && (!info.has_id() || info.id().value() != call.framework_id().value())) {
      LOG(WARNING) << "Dropping SUBSCRIBE whose framework_id differs from framework_info.id";
      return;
    }
    subscribe(from, info, call.subscribe().force(),
              {call.subscribe().suppressed_roles().begin(), call.subscribe().suppressed_roles().end()});
    return;
  }
  if (!call.has_framework_id()) {
    LOG(WARNING) << "Dropping " << Call::Type_Name(call.type()) << " call without framework_id";
    return;
  }
  FrameworkState* framework = frameworkFrom(from, call.framework_id().value());
  if (framework == nullptr) {
    return;
  }
  switch (call.type()) {
    case Call::TEARDOWN:
      removeFramework(*framework);
      return;
    case Call::ACCEPT:
      if (!call.has_accept()) break;
      accept(*framework, std::move(*call.mutable_accept()));
      return;
    case Call::DECLINE:
      if (!call.has_decline()) break;
      decline(*framework, call.decline());
      return;
    case Call::REVIVE: {
      std::vector<std::string> roles(call.revive().roles().begin(), call.revive().roles().end());
      auto mine = framework->roles();
      for (const auto& r : roles) {
        if (std::find(mine.begin(), mine.end(), r) == mine.end()) {
          LOG(WARNING) << "Dropping REVIVE for role '" << r << "' the framework is not subscribed to";
          return;
        }
      }
      for (const auto& r : roles.empty() ? mine : roles) {
        framework->suppressed_roles.erase(r);
      }
      allocator_->reviveOffers(framework->id(), roles);
      scheduleAllocation();
      return;
    }
    case Call::SUPPRESS: {
      std::vector<std::string> roles(call.suppress().roles().begin(), call.suppress().roles().end());
      auto mine = framework->roles();
      for (const auto& r : roles) {
        if (std::find(mine.begin(), mine.end(), r) == mine.end()) {
          LOG(WARNING) << "Dropping SUPPRESS for role '" << r << "' the framework is not subscribed to";
          return;
        }
      }
      for (const auto& r : roles.empty() ? mine : roles) {
        framework->suppressed_roles.insert(r);
      }
      allocator_->suppressOffers(framework->id(), roles);
      return;
    }
    case Call::KILL:
      if (!call.has_kill()) break;
      kill(*framework, call.kill().task_id().value(),
           call.kill().has_slave_id() ? call.kill().slave_id().value() : "",
           call.kill().has_kill_policy() ? &call.kill().kill_policy() : nullptr);
      return;
    case Call::SHUTDOWN: {
      if (!call.has_shutdown()) break;
      if (AgentState* agent = lookupAgent(call.shutdown().slave_id().value())) {
        mesos::internal::ShutdownExecutorMessage m;
        *m.mutable_executor_id() = call.shutdown().executor_id();
        m.mutable_framework_id()->set_value(framework->id());
        send(agent->pid, m);
      }
      return;
    }
    case Call::ACKNOWLEDGE:
      if (!call.has_acknowledge() || call.acknowledge().uuid().size() != 16) break;
      acknowledge(*framework, call.acknowledge().slave_id().value(),
                  call.acknowledge().task_id().value(), call.acknowledge().uuid());
      return;
    case Call::RECONCILE: {
      if (!call.has_reconcile()) break;
      std::vector<mesos::TaskStatus> statuses;
      for (const auto& t : call.reconcile().tasks()) {
        mesos::TaskStatus s;
        *s.mutable_task_id() = t.task_id();
        if (t.has_slave_id()) {
          *s.mutable_slave_id() = t.slave_id();
        }
        s.set_state(mesos::TASK_STAGING);
        statuses.push_back(std::move(s));
      }
      reconcile(*framework, statuses);
      return;
    }
    case Call::MESSAGE:
      if (!call.has_message()) break;
      frameworkToExecutor(*framework, call.message().slave_id().value(),
                          call.message().executor_id().value(), call.message().data());
      return;
    case Call::REQUEST:
      return;  // The DRF allocator ignores requests, as Mesos's does.
    case Call::UPDATE_FRAMEWORK: {
      if (!call.has_update_framework()) break;
      mesos::FrameworkInfo info = call.update_framework().framework_info();
      if (Error e = validateFrameworkInfo(info)) {
        frameworkError(from, *e);
        return;
      }
      info.set_user(framework->info.user());
      info.set_checkpoint(framework->info.checkpoint());
      framework->info = info;
      sendFrameworkUpdates(*framework);
      return;
    }
    default:
      LOG(WARNING) << "Dropping unsupported call " << Call::Type_Name(call.type()) << " from "
                   << from.str();
      return;
  }
  LOG(WARNING) << "Dropping malformed " << Call::Type_Name(call.type()) << " call from "
               << from.str();
}

void Master::subscribe(const wire::Pid& from, mesos::FrameworkInfo info, bool force,
                       std::vector<std::string> suppressed_roles) {
  if (deferWhileAuthenticating(from, [this, from, info, force, suppressed_roles] {
        subscribe(from, info, force, suppressed_roles);
      })) {
    return;
  }
  if (Error e = validateFrameworkInfo(info)) {
    frameworkError(from, *e);
    return;
  }
  if (info.has_id() && completed_framework_ids_.count(info.id().value())) {
    frameworkError(from, "Framework has been removed");
    return;
  }
  if (!flags_.root_submissions && info.user() == "root") {
    frameworkError(from, "User 'root' is not allowed to run frameworks without --root_submissions set");
    return;
  }
  if (Error e = checkFrameworkAuthentication(from, &info)) {
    frameworkError(from, *e);
    return;
  }
  const auto roles = rolesOf(info);
  for (const auto& r : suppressed_roles) {
    if (std::find(roles.begin(), roles.end(), r) == roles.end()) {
      frameworkError(from, "Suppressed role '" + r + "' is not one of the framework's roles");
      return;
    }
  }

  mesos::internal::FrameworkRegisteredMessage registered;
  *registered.mutable_master_info() = info_;

  if (!info.has_id() || info.id().value().empty()) {
    // A retry from a driver that did not see our reply yet gets the same framework.
    for (auto& [id, f] : frameworks_) {
      if (f->pid == from && f->connected) {
        registered.mutable_framework_id()->set_value(id);
        send(from, registered);
        return;
      }
    }
    auto framework = std::make_unique<FrameworkState>();
    info.mutable_id()->set_value(frameworkId(info_.id(), next_framework_++));
    framework->info = info;
    framework->pid = from;
    framework->registered_time = now();
    framework->suppressed_roles.insert(suppressed_roles.begin(), suppressed_roles.end());
    FrameworkState& f = *framework;
    addFramework(std::move(framework));
    registered.mutable_framework_id()->set_value(f.id());
    LOG(INFO) << "Registered framework " << f.id() << " (" << f.info.name() << ") at "
              << from.str();
    send(from, registered);
    sendFrameworkUpdates(f);
    scheduleAllocation();
    return;
  }

  const std::string id = info.id().value();
  for (auto& [other_id, f] : frameworks_) {
    if (other_id != id && f->pid == from && f->connected) {
      LOG(WARNING) << "Dropping SUBSCRIBE of " << id << ": " << from.str()
                   << " already runs framework " << other_id;
      return;
    }
  }

  FrameworkState* existing = lookupFramework(id);
  if (existing == nullptr) {
    // Unknown id (e.g. after a master restart): recover the framework from what it sent.
    auto framework = std::make_unique<FrameworkState>();
    framework->info = info;
    framework->pid = from;
    framework->registered_time = now();
    framework->reregistered_time = now();
    framework->suppressed_roles.insert(suppressed_roles.begin(), suppressed_roles.end());
    FrameworkState& f = *framework;
    addFramework(std::move(framework));
    registered.mutable_framework_id()->set_value(id);
    send(from, registered);
    sendFrameworkUpdates(f);
    scheduleAllocation();
    return;
  }

  FrameworkState& f = *existing;
  if (f.info.principal() != info.principal()) {
    frameworkError(from, "Changing framework's principal is not allowed.");
    return;
  }
  // user and checkpoint cannot change; Mesos silently keeps the old values.
  info.set_user(f.info.user());
  info.set_checkpoint(f.info.checkpoint());

  // A framework this master knows only from a re-registered agent (no pid yet) is taken
  // over by whoever subscribes with its id, as a failover would (registered(), spec §2.3).
  const bool recovered = f.pid.empty();
  if (f.pid != from && !force && !recovered) {
    frameworkError(from, "Framework failed over");
    return;
  }

  if (f.failover_timer) {
    loop_.cancel(*f.failover_timer);
    f.failover_timer.reset();
  }

  if (f.pid != from) {
    // Scheduler failover: the old scheduler is told, its offers are discarded.
    if (f.connected) {
      frameworkError(f.pid, "Framework failed over");
    }
    for (const std::string& offer_id : std::set<std::string>(f.offers)) {
      removeOffer(offer_id, std::nullopt);
    }
    transport_.unlink("master", f.pid);
    f.pid = from;
    registered.mutable_framework_id()->set_value(id);
    f.info = info;
    f.connected = true;
    f.reregistered_time = now();
    f.suppressed_roles = {suppressed_roles.begin(), suppressed_roles.end()};
    transport_.link("master", from);
    if (!f.active) {
      f.active = true;
      allocator_->activateFramework(id);
    }
    send(from, registered);
  } else {
    for (const std::string& offer_id : std::set<std::string>(f.offers)) {
      rescindOffer(offer_id, true);
    }
    f.info = info;
    f.connected = true;
    f.reregistered_time = now();
    f.suppressed_roles = {suppressed_roles.begin(), suppressed_roles.end()};
    if (!f.active) {
      f.active = true;
      allocator_->activateFramework(id);
    }
    mesos::internal::FrameworkReregisteredMessage reregistered;
    reregistered.mutable_framework_id()->set_value(id);
    *reregistered.mutable_master_info() = info_;
    send(from, reregistered);
  }
  if (!f.suppressed_roles.empty()) {
    allocator_->suppressOffers(id, {f.suppressed_roles.begin(), f.suppressed_roles.end()});
  }
  LOG(INFO) << "Re-subscribed framework " << id << " at " << from.str();
  sendFrameworkUpdates(f);
  scheduleAllocation();
}

void Master::addFramework(std::unique_ptr<FrameworkState> framework) {
  const std::string id = framework->id();
  allocator_->addFramework(id, allocatorEntry(*framework), {});
  if (!framework->suppressed_roles.empty()) {
    allocator_->suppressOffers(
        id, {framework->suppressed_roles.begin(), framework->suppressed_roles.end()});
  }
  transport_.link("master", framework->pid);
  frameworks_[id] = std::move(framework);
}

void Master::sendFrameworkUpdates(const FrameworkState& framework) {
  mesos::internal::UpdateFrameworkMessage update;
  update.mutable_framework_id()->set_value(framework.id());
  update.set_pid(framework.pid.str());
  *update.mutable_framework_info() = framework.info;
  for (auto& [id, agent] : agents_) {
    if (agent->connected) {
      send(agent->pid, update);
    }
  }
}

void Master::deactivateFramework(FrameworkState& framework, bool rescind) {
  if (framework.active) {
    framework.active = false;
    allocator_->deactivateFramework(framework.id());
  }
  for (const std::string& offer_id : std::set<std::string>(framework.offers)) {
    if (rescind) {
      rescindOffer(offer_id, true);
    } else {
      removeOffer(offer_id, std::nullopt);
    }
  }
}

void Master::disconnectFramework(FrameworkState& framework) {
  framework.connected = false;
  deactivateFramework(framework, true);
  auto timeout = std::chrono::duration_cast<runtime::Duration>(
      std::chrono::duration<double>(framework.info.failover_timeout()));
  const std::string id = framework.id();
  const double disconnected_at = now();
  LOG(INFO) << "Framework " << id << " disconnected; failover timeout "
            << framework.info.failover_timeout() << " secs";
  framework.failover_timer = after(timeout, [this, id, disconnected_at] {
    FrameworkState* f = lookupFramework(id);
    if (f == nullptr || f->connected) {
      return;
    }
    if (f->reregistered_time && *f->reregistered_time > disconnected_at) {
      return;
    }
    LOG(INFO) << "Framework " << id << " failover timeout expired; removing it";
    f->failover_timer.reset();
    removeFramework(*f);
  });
}

void Master::removeFramework(FrameworkState& framework) {
  const std::string id = framework.id();
  LOG(INFO) << "Removing framework " << id << " (" << framework.info.name() << ")";
  deactivateFramework(framework, false);
  if (framework.failover_timer) {
    loop_.cancel(*framework.failover_timer);
  }

  mesos::internal::ShutdownFrameworkMessage shutdown;
  shutdown.mutable_framework_id()->set_value(id);
  for (auto& [agent_id, agent] : agents_) {
    if (agent->connected) {
      send(agent->pid, shutdown);
    }
  }

  // Tasks become TASK_KILLED / REASON_FRAMEWORK_REMOVED; nobody is told (spec §3.3).
  std::vector<std::string> task_ids;
  for (auto& [task_id, task] : framework.tasks) {
    task_ids.push_back(task_id);
  }
  for (const auto& task_id : task_ids) {
    mesos::Task& task = *framework.tasks[task_id];
    if (!isTerminalState(task.state())) {
      transitionTask(framework, task, mesos::TASK_KILLED, mesos::TaskStatus::REASON_FRAMEWORK_REMOVED,
                     "Framework " + id + " removed", false);
    }
    removeTask(framework, task_id, true);
  }
  for (auto& [agent_id, executors] : framework.executors) {
    if (AgentState* agent = lookupAgent(agent_id)) {
      for (auto& [eid, info] : executors) {
        allocator_->recoverResources(id, agent_id, Resources(info.resources()), std::nullopt,
                                     loop_.clock().now());
      }
      agent->executors.erase(id);
    }
  }
  framework.executors.clear();

  allocator_->removeFramework(id);
  transport_.unlink("master", framework.pid);
  framework.connected = false;
  framework.active = false;
  framework.unregistered_time = now();

  auto node = frameworks_.extract(id);
  completed_framework_ids_.insert(id);
  completed_frameworks_.push_back(std::move(node.mapped()));
  while (completed_frameworks_.size() > static_cast<size_t>(flags_.max_completed_frameworks)) {
    completed_frameworks_.pop_front();
  }
}

}  // namespace keel::master
