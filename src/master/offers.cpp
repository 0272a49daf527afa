// Allocation passes, offers, ACCEPT / LAUNCH and DECLINE (spec §3.4–§3.6).

#include <glog/logging.h>

#include "allocator/allocator.hpp"
#include "common/ids.hpp"
#include "master/master.hpp"
#include "master/validation.hpp"

namespace keel::master {

void Master::scheduleAllocation() {
  allocation_all_agents_ = true;
  allocation_agents_.clear();
  scheduleAllocation(std::string());
}

void Master::scheduleAllocation(const std::string& agent_id) {
  if (!agent_id.empty() && !allocation_all_agents_) {
    allocation_agents_.insert(agent_id);
  }
  if (allocation_pending_) {
    return;
  }
  allocation_pending_ = true;
  defer([this] {
    allocation_pending_ = false;
    std::vector<std::string> agents;
    if (!allocation_all_agents_) {
      agents.assign(allocation_agents_.begin(), allocation_agents_.end());
    }
    allocation_all_agents_ = false;
    allocation_agents_.clear();
    allocate(agents);
  });
}

mesos::Offer Master::offerForFramework(const OfferState& state,
                                       const FrameworkState& framework) const {
  mesos::Offer offer = state.offer;
  if (!framework.hasCapability(mesos::FrameworkInfo::Capability::MULTI_ROLE)) {
    offer.clear_allocation_info();
    for (auto& r : *offer.mutable_resources()) {
      r.clear_allocation_info();
    }
  }
  return offer;
}

namespace {

// One framework's offers of an allocation pass: the stored offers themselves.
struct OfferBatch {
  std::vector<mesos::Offer*> offers;
  mesos::internal::ResourceOffersMessage message;  // pids only, until sent
};

// Runs `send(message)` with the batch's offers lent to its message rather than copied into
// it. For a framework without MULTI_ROLE the allocation_info of each offer and of its
// resources is lent out for that time too (it does not see them: offerForFramework).
// Everything is back in place when this returns.
template <class Send>
void sendLent(OfferBatch& batch, bool multi_role, const Send& send) {
  std::vector<mesos::Resource_AllocationInfo*> lent;
  if (!multi_role) {
    for (mesos::Offer* offer : batch.offers) {
      lent.push_back(offer->has_allocation_info() ? offer->release_allocation_info() : nullptr);
      for (auto& r : *offer->mutable_resources()) {
        lent.push_back(r.has_allocation_info() ? r.release_allocation_info() : nullptr);
      }
    }
  }
  auto* offers = batch.message.mutable_offers();
  for (mesos::Offer* offer : batch.offers) {
    offers->UnsafeArenaAddAllocated(offer);
  }
  send(batch.message);
  offers->UnsafeArenaExtractSubrange(0, offers->size(), nullptr);
  if (!multi_role) {
    size_t next = 0;
    for (mesos::Offer* offer : batch.offers) {
      if (mesos::Resource_AllocationInfo* info = lent[next++]) {
        offer->set_allocated_allocation_info(info);
      }
      for (auto& r : *offer->mutable_resources()) {
        if (mesos::Resource_AllocationInfo* info = lent[next++]) {
          r.set_allocated_allocation_info(info);
        }
      }
    }
  }
}

}  // namespace

void Master::allocate(const std::vector<std::string>& agent_ids) {
  using WallClock = std::chrono::steady_clock;
  const auto started = WallClock::now();
  auto offerables = allocator_->allocate(loop_.clock().now(), agent_ids);
  const auto allocated = WallClock::now();
  // One ResourceOffersMessage per framework per pass (spec §3.4).
  std::map<std::string, OfferBatch> batches;
  for (auto& offerable : offerables) {
    FrameworkState* framework = lookupFramework(offerable.framework_id);
    AgentState* agent = lookupAgent(offerable.agent_id);
    if (framework == nullptr || !framework->connected || !framework->active || agent == nullptr ||
        !agent->connected || !agent->active) {
      allocator_->recoverResources(offerable.framework_id, offerable.agent_id,
                                   *offerable.resources, std::nullopt, loop_.clock().now());
      continue;
    }
    OfferState state;
    mesos::Offer& offer = state.offer;
    offer.mutable_id()->set_value(offerId(info_.id(), next_offer_++));
    offer.mutable_framework_id()->set_value(framework->id());
    *offer.mutable_slave_id() = agent->info.id();
    offer.set_hostname(agent->info.hostname());
    auto* url = offer.mutable_url();
    url->set_scheme("http");
    url->mutable_address()->set_hostname(agent->info.hostname());
    url->mutable_address()->set_ip(agent->pid.ip);
    url->mutable_address()->set_port(agent->pid.port);
    url->set_path("/" + agent->pid.id);
    state.resources = offerable.resources;
    for (const auto& r : offerable.resources->proto()) {
      if (r.name() != "ephemeral_ports") {
        *offer.add_resources() = r;
      }
    }
    *offer.mutable_attributes() = agent->info.attributes();
    offer.mutable_allocation_info()->set_role(offerable.role);
    if (agent->info.has_domain()) {
      *offer.mutable_domain() = agent->info.domain();
    }
    auto fe = framework->executors.find(agent->id());
    if (fe != framework->executors.end()) {
      for (const auto& [eid, info] : fe->second) {
        offer.add_executor_ids()->set_value(eid);
      }
    }
    const std::string offer_id = offer.id().value();
    if (flags_.offer_timeout) {
      state.timer = after(*flags_.offer_timeout, [this, offer_id] {
        if (offers_.count(offer_id)) {
          LOG(INFO) << "Offer " << offer_id << " timed out; rescinding it";
          rescindOffer(offer_id, true);
        }
      });
    }
    auto& batch = batches[framework->id()];
    batch.message.add_pids(agent->pid.str());
    framework->offers.insert(offer_id);
    agent->offers.insert(offer_id);
    // Nodes of offers_ do not move: the pointer stays good while the batch is built.
    batch.offers.push_back(&offers_.emplace(offer_id, std::move(state)).first->second.offer);
    metrics_.offers_sent++;
  }
  for (auto& [fid, batch] : batches) {
    const FrameworkState& framework = *frameworks_.at(fid);
    sendLent(batch, framework.hasCapability(mesos::FrameworkInfo::Capability::MULTI_ROLE),
             [&](const mesos::internal::ResourceOffersMessage& m) { send(framework.pid, m); });
  }
  using Ms = std::chrono::duration<double, std::milli>;
  metrics_.allocation_runs++;
  metrics_.allocation_run_ms.record(Ms(allocated - started).count());
  metrics_.allocation_pass_ms.record(Ms(WallClock::now() - started).count());
}

void Master::removeOffer(const std::string& offer_id, std::optional<double> refuse_seconds) {
  auto it = offers_.find(offer_id);
  if (it == offers_.end()) {
    return;
  }
  OfferState state = std::move(it->second);
  offers_.erase(it);
  if (state.timer) {
    loop_.cancel(*state.timer);
  }
  const std::string fid = state.offer.framework_id().value();
  const std::string aid = state.offer.slave_id().value();
  if (FrameworkState* f = lookupFramework(fid)) {
    f->offers.erase(offer_id);
  }
  if (AgentState* a = lookupAgent(aid)) {
    a->offers.erase(offer_id);
  }
  allocator_->recoverResources(fid, aid, *state.resources, refuse_seconds, loop_.clock().now());
}

void Master::rescindOffer(const std::string& offer_id, bool notify) {
  auto it = offers_.find(offer_id);
  if (it == offers_.end()) {
    return;
  }
  FrameworkState* f = lookupFramework(it->second.offer.framework_id().value());
  if (notify && f != nullptr && f->connected) {
    mesos::internal::RescindResourceOfferMessage rescind;
    rescind.mutable_offer_id()->set_value(offer_id);
    send(f->pid, rescind);
  }
  metrics_.offers_rescinded++;
  removeOffer(offer_id, std::nullopt);
}

void Master::decline(FrameworkState& framework, const mesos::scheduler::Call::Decline& decline) {
  std::optional<double> refuse = decline.filters().refuse_seconds();
  for (const auto& id : decline.offer_ids()) {
    auto it = offers_.find(id.value());
    if (it == offers_.end() || it->second.offer.framework_id().value() != framework.id()) {
      LOG(WARNING) << "Ignoring decline of unknown offer " << id.value();
      continue;
    }
    metrics_.offers_declined++;
    removeOffer(id.value(), refuse);
  }
}

namespace {

// Injects the allocation role into resources that lack one (frameworks without MULTI_ROLE
// never see allocation_info, spec §1.2).
void injectAllocationRole(google::protobuf::RepeatedPtrField<mesos::Resource>* resources,
                          const std::string& role) {
  for (auto& r : *resources) {
    if (!r.has_allocation_info()) {
      r.mutable_allocation_info()->set_role(role);
    }
  }
}

// What validating a task of `framework` on `agent` needs, with `available` left.
TaskContext taskContext(const FrameworkState& framework, const AgentState& agent,
                        const std::map<std::string, mesos::ExecutorInfo>& executors,
                        Resources available) {
  TaskContext context;
  context.framework_id = framework.id();
  context.agent_id = agent.id();
  context.task_id_in_use = [&framework](const std::string& id) {
    return framework.tasks.count(id) > 0;
  };
  context.task_id_unreachable = [&framework](const std::string& id) {
    return framework.unreachable_tasks.count(id) > 0;
  };
  context.agent_executors = &executors;
  context.available = std::move(available);
  return context;
}

}  // namespace

void Master::accept(FrameworkState& framework, mesos::scheduler::Call::Accept&& accept) {
  // Stage A: the offers (spec §3.5).
  std::optional<std::string> offer_error;
  std::set<std::string> seen;
  std::string agent_id;
  std::string role;
  Resources pool;
  if (accept.offer_ids_size() == 0) {
    offer_error = "No offers specified";
  }
  for (const auto& id : accept.offer_ids()) {
    if (offer_error) break;
    if (!seen.insert(id.value()).second) {
      offer_error = "Duplicate offer " + id.value() + " in offer list";
      break;
    }
    auto it = offers_.find(id.value());
    if (it == offers_.end()) {
      offer_error = "Offer " + id.value() + " is no longer valid";
      break;
    }
    const OfferState& o = it->second;
    if (o.offer.framework_id().value() != framework.id()) {
      offer_error = "Offer " + id.value() + " has invalid framework " +
                    o.offer.framework_id().value() + " while framework " + framework.id() +
                    " is expected";
      break;
    }
    if (!role.empty() && o.offer.allocation_info().role() != role) {
      offer_error = std::string("Aggregated offers must be allocated to the same role");
      break;
    }
    if (!agent_id.empty() && o.offer.slave_id().value() != agent_id) {
      offer_error = std::string("Aggregated offers must belong to one single agent");
      break;
    }
    role = o.offer.allocation_info().role();
    agent_id = o.offer.slave_id().value();
    pool += *o.resources;
  }

  const bool partition_aware = framework.partitionAware();
  auto failAll = [&](mesos::TaskState state, mesos::TaskStatus::Reason reason,
                     const std::string& message) {
    for (const auto& op : accept.operations()) {
      if (op.type() == mesos::Offer::Operation::LAUNCH) {
        for (const auto& task : op.launch().task_infos()) {
          sendMasterUpdate(framework, masterStatus(task, framework.id(), state, reason, message));
        }
      } else if (op.type() == mesos::Offer::Operation::LAUNCH_GROUP) {
        for (const auto& task : op.launch_group().task_group().tasks()) {
          sendMasterUpdate(framework, masterStatus(task, framework.id(), state, reason, message));
        }
      }
    }
  };

  if (offer_error) {
    for (const auto& id : accept.offer_ids()) {
      auto it = offers_.find(id.value());
      if (it != offers_.end() && it->second.offer.framework_id().value() == framework.id()) {
        removeOffer(id.value(), std::nullopt);
      }
    }
    failAll(partition_aware ? mesos::TASK_DROPPED : mesos::TASK_LOST,
            mesos::TaskStatus::REASON_INVALID_OFFERS,
            "Task launched with invalid offers: " + *offer_error);
    return;
  }

  // The offers are used up now, whatever happens to the operations.
  AgentState* agent = lookupAgent(agent_id);
  for (const auto& id : accept.offer_ids()) {
    auto it = offers_.find(id.value());
    if (it->second.timer) loop_.cancel(*it->second.timer);
    framework.offers.erase(id.value());
    if (agent != nullptr) agent->offers.erase(id.value());
    offers_.erase(it);
  }

  // Stage C: the agent must still be there and connected.
  if (agent == nullptr || !agent->connected) {
    allocator_->recoverResources(framework.id(), agent_id, pool, std::nullopt,
                                 loop_.clock().now());
    failAll(partition_aware ? mesos::TASK_DROPPED : mesos::TASK_LOST,
            agent == nullptr ? mesos::TaskStatus::REASON_SLAVE_REMOVED
                             : mesos::TaskStatus::REASON_SLAVE_DISCONNECTED,
            agent == nullptr ? "Agent removed" : "Agent disconnected");
    return;
  }

  // Stage D: operations in order against the remaining pool.
  Resources remaining = pool;
  for (auto& op : *accept.mutable_operations()) {
    switch (op.type()) {
      case mesos::Offer::Operation::LAUNCH:
        for (auto& task : *op.mutable_launch()->mutable_task_infos()) {
          if (op.has_id()) {
            sendMasterUpdate(framework, masterStatus(task, framework.id(), mesos::TASK_ERROR,
                                                     mesos::TaskStatus::REASON_TASK_INVALID,
                                                     "Operation IDs are not supported for LAUNCH"));
            continue;
          }
          injectAllocationRole(task.mutable_resources(), role);
          if (task.has_executor()) {
            injectAllocationRole(task.mutable_executor()->mutable_resources(), role);
            if (!task.executor().has_framework_id()) {
              task.mutable_executor()->mutable_framework_id()->set_value(framework.id());
            }
          }
          launch(framework, *agent, task, &remaining);
        }
        break;
      case mesos::Offer::Operation::LAUNCH_GROUP: {
        if (op.has_id()) {
          for (const auto& task : op.launch_group().task_group().tasks()) {
            sendMasterUpdate(
                framework, masterStatus(task, framework.id(), mesos::TASK_ERROR,
                                        mesos::TaskStatus::REASON_TASK_GROUP_INVALID,
                                        "The `id` field cannot be set on LAUNCH_GROUP operations"));
          }
          break;
        }
        auto* group = op.mutable_launch_group();
        injectAllocationRole(group->mutable_executor()->mutable_resources(), role);
        for (auto& task : *group->mutable_task_group()->mutable_tasks()) {
          injectAllocationRole(task.mutable_resources(), role);
          if (task.has_executor()) {
            injectAllocationRole(task.mutable_executor()->mutable_resources(), role);
          } else {
            // As Mesos: each task carries the group's executor from here on.
            *task.mutable_executor() = group->executor();
          }
        }
        launchGroup(framework, *agent, *group, &remaining);
        break;
      }
      case mesos::Offer::Operation::RESERVE:
      case mesos::Offer::Operation::UNRESERVE:
      case mesos::Offer::Operation::CREATE:
      case mesos::Offer::Operation::DESTROY:
        if (op.has_id()) {
          frameworkError(framework.pid,
                         "Operation feedback is not supported for v0 (driver) frameworks");
          return;
        }
        if (op.has_reserve()) injectAllocationRole(op.mutable_reserve()->mutable_resources(), role);
        if (op.has_unreserve()) {
          injectAllocationRole(op.mutable_unreserve()->mutable_resources(), role);
        }
        if (op.has_create()) injectAllocationRole(op.mutable_create()->mutable_volumes(), role);
        if (op.has_destroy()) injectAllocationRole(op.mutable_destroy()->mutable_volumes(), role);
        applyOperation(framework, *agent, op, &remaining);
        break;
      default:
        // GROW_VOLUME, SHRINK_VOLUME, CREATE_DISK, DESTROY_DISK need resource providers
        // or resizable volumes, which Keel's agents do not offer: dropped as invalid.
        LOG(WARNING) << "Dropping " << mesos::Offer::Operation::Type_Name(op.type())
                     << " operation from framework " << framework.id()
                     << ": not supported by the agents of this master";
        if (op.has_id()) {
          frameworkError(framework.pid,
                         "Operation feedback is not supported for v0 (driver) frameworks");
          return;
        }
        break;
    }
  }

  // Stage E: what operations made (new reservations, volumes) goes back without a
  // filter; the rest of what is left is declined with the call's filters.
  Resources converted = remaining - pool;
  Resources declined = remaining - converted;
  if (!converted.empty()) {
    allocator_->recoverResources(framework.id(), agent_id, converted, std::nullopt,
                                 loop_.clock().now());
  }
  if (!declined.empty()) {
    std::optional<double> refuse = accept.filters().refuse_seconds();
    allocator_->recoverResources(framework.id(), agent_id, declined, refuse,
                                 loop_.clock().now());
  }
}

void Master::launch(FrameworkState& framework, AgentState& agent, const mesos::TaskInfo& task,
                    Resources* remaining) {
  auto& executors = agent.executors[framework.id()];
  // `remaining` lends its entries to the context (a move, not a copy) and gets them back.
  TaskContext context = taskContext(framework, agent, executors, std::move(*remaining));
  std::optional<Resources> needed;
  context.needed = &needed;
  Error e = validateTask(task, context);
  *remaining = std::move(context.available);
  if (e) {
    sendMasterUpdate(framework, masterStatus(task, framework.id(), mesos::TASK_ERROR,
                                             mesos::TaskStatus::REASON_TASK_INVALID, *e));
    return;
  }

  *remaining -= needed ? *needed : taskAndNewExecutorResources(task, executors);
  if (task.has_executor() && !executors.count(task.executor().executor_id().value())) {
    executors[task.executor().executor_id().value()] = task.executor();
    framework.executors[agent.id()][task.executor().executor_id().value()] = task.executor();
  }

  addStagingTask(framework, agent, task);

  // The message borrows the framework's info and the task instead of copying them: both
  // are only read while it is serialized, and handed back before it is destroyed.
  mesos::internal::RunTaskMessage run;
  run.unsafe_arena_set_allocated_framework(&framework.info);
  run.set_pid(framework.pid.str());
  run.unsafe_arena_set_allocated_task(const_cast<mesos::TaskInfo*>(&task));
  run.set_launch_executor(true);
  send(agent.pid, run);
  run.unsafe_arena_release_framework();
  run.unsafe_arena_release_task();
}

void Master::addStagingTask(FrameworkState& framework, AgentState& agent,
                            const mesos::TaskInfo& task) {
  auto owned = std::make_unique<mesos::Task>();
  mesos::Task& t = *owned;
  t.set_name(task.name());
  *t.mutable_task_id() = task.task_id();
  t.mutable_framework_id()->set_value(framework.id());
  if (task.has_executor()) {
    *t.mutable_executor_id() = task.executor().executor_id();
  }
  *t.mutable_slave_id() = agent.info.id();
  t.set_state(mesos::TASK_STAGING);
  *t.mutable_resources() = task.resources();
  if (task.has_labels()) *t.mutable_labels() = task.labels();
  if (task.has_discovery()) *t.mutable_discovery() = task.discovery();
  if (task.has_container()) *t.mutable_container() = task.container();
  if (task.has_health_check()) *t.mutable_health_check() = task.health_check();
  if (task.has_kill_policy()) *t.mutable_kill_policy() = task.kill_policy();
  if (task.has_command() && task.command().has_user()) {
    t.set_user(task.command().user());
  } else {
    t.set_user(framework.info.user());
  }
  framework.tasks[task.task_id().value()] = std::move(owned);
  agent.tasks[framework.id()][task.task_id().value()] = &t;
  metrics_.tasks_launched++;
}

void Master::launchGroup(FrameworkState& framework, AgentState& agent,
                         const mesos::Offer::Operation::LaunchGroup& launch, Resources* remaining) {
  const mesos::ExecutorInfo& executor = launch.executor();
  const mesos::TaskGroupInfo& group = launch.task_group();
  auto& executors = agent.executors[framework.id()];
  TaskContext context = taskContext(framework, agent, executors, std::move(*remaining));
  Error group_error = validateTaskGroup(group, executor, context);
  *remaining = std::move(context.available);
  if (Error e = group_error) {
    LOG(WARNING) << "Rejecting task group of framework " << framework.id() << ": " << *e;
    for (const auto& task : group.tasks()) {
      sendMasterUpdate(framework, masterStatus(task, framework.id(), mesos::TASK_ERROR,
                                               mesos::TaskStatus::REASON_TASK_GROUP_INVALID, *e));
    }
    return;
  }

  const std::string& eid = executor.executor_id().value();
  Resources consumed;
  if (!executors.count(eid)) {
    consumed += Resources(executor.resources());
    executors[eid] = executor;
    framework.executors[agent.id()][eid] = executor;
  }
  for (const auto& task : group.tasks()) {
    consumed += Resources(task.resources());
    addStagingTask(framework, agent, task);
  }
  *remaining -= consumed;
  LOG(INFO) << "Launching task group of " << group.tasks_size() << " tasks of framework "
            << framework.id() << " on executor " << eid << " of agent " << agent.id();

  mesos::internal::RunTaskGroupMessage run;
  *run.mutable_framework() = framework.info;
  *run.mutable_executor() = executor;
  *run.mutable_task_group() = group;
  run.set_launch_executor(true);
  send(agent.pid, run);
}

}  // namespace keel::master
