// Speculative offer operations (spec §3.5 stage D): RESERVE, UNRESERVE, CREATE and
// DESTROY change an agent's resources at once, in the master, the allocator and (through
// CheckpointResourcesMessage) the agent's checkpoint. No operation status is sent to v0
// frameworks: an invalid operation is dropped with a log line, as Mesos does.

#include <glog/logging.h>

#include <algorithm>

#include "allocator/allocator.hpp"
#include "common/resource_conversions.hpp"
#include "master/master.hpp"
#include "master/validation.hpp"

namespace keel::master {

namespace {

bool agentHas(const AgentState& agent, mesos::SlaveInfo::Capability::Type type) {
  return std::any_of(agent.capabilities.begin(), agent.capabilities.end(),
                     [type](const auto& c) { return c.type() == type; });
}

// What tasks (not yet terminal) and executors hold on the agent, by every framework.
Resources usedOn(const AgentState& agent) {
  Resources used;
  for (const auto& [fid, tasks] : agent.tasks) {
    for (const auto& [tid, task] : tasks) {
      if (!isTerminalState(task->state())) used += Resources(task->resources());
    }
  }
  for (const auto& [fid, executors] : agent.executors) {
    for (const auto& [eid, info] : executors) used += Resources(info.resources());
  }
  return used;
}

}  // namespace

void Master::applyOperation(FrameworkState& framework, AgentState& agent,
                            const mesos::Offer::Operation& op, Resources* remaining) {
  using Op = mesos::Offer::Operation;
  const std::string type = Op::Type_Name(op.type());
  auto drop = [&](const std::string& why) {
    LOG(WARNING) << "Dropping " << type << " operation from framework " << framework.id()
                 << ": " << why;
  };

  if (op.type() == Op::RESERVE && op.reserve().source_size() > 0) {
    drop("Operation attempted with invalid resources: Reservation updates are not yet "
         "implemented for the scheduler API.");
    return;
  }

  OperationContext context;
  context.framework = &framework.info;
  context.agent_hierarchical_roles =
      agentHas(agent, mesos::SlaveInfo::Capability::HIERARCHICAL_ROLE);
  context.agent_reservation_refinement =
      agentHas(agent, mesos::SlaveInfo::Capability::RESERVATION_REFINEMENT);
  context.checkpointed = agent.checkpointed;
  Error error;
  switch (op.type()) {
    case Op::RESERVE:
      error = validateReserve(op.reserve(), context);
      break;
    case Op::UNRESERVE:
      error = validateUnreserve(op.unreserve());
      break;
    case Op::CREATE:
      error = validateCreate(op.create(), context);
      break;
    case Op::DESTROY:
      context.used = usedOn(agent);
      error = validateDestroy(op.destroy(), context);
      break;
    default:
      error = "Operation " + type + " is not supported by this master";
      break;
  }
  if (error) {
    drop(*error + "; on agent " + agent.id());
    return;
  }

  Result<std::vector<ResourceConversion>> conversions = conversionsOf(op);
  if (!conversions) {
    drop(conversions.message());
    return;
  }
  Result<Resources> after = applyConversions(*remaining, *conversions);
  if (!after) {
    drop("Invalid " + type + " operation: " + after.message());
    return;
  }

  // A destroyed volume may sit in another outstanding offer of this agent: rescind it.
  if (op.type() == Op::DESTROY) {
    Resources volumes = Resources(op.destroy().volumes()).unallocated();
    std::vector<std::string> stale;
    for (const auto& offer_id : agent.offers) {
      auto it = offers_.find(offer_id);
      if (it == offers_.end()) continue;
      Resources offered = it->second.resources->unallocated();
      for (const auto& v : volumes) {
        if (offered.contains(v)) {
          stale.push_back(offer_id);
          break;
        }
      }
    }
    for (const auto& id : stale) rescindOffer(id, true);
  }

  Resources agent_total = agent.total;
  for (const ResourceConversion& c : *conversions) {
    agent_total -= c.consumed.unallocated();
    agent_total += c.converted.unallocated();
    allocator_->updateAllocation(framework.id(), agent.id(), c.consumed, c.converted);
  }
  *remaining = std::move(*after);
  agent.total = std::move(agent_total);
  agent.checkpointed = agent.total.filter(needsCheckpointing);
  LOG(INFO) << "Applied " << type << " operation from framework " << framework.id()
            << " to agent " << agent.id() << "; its checkpointed resources are now "
            << agent.checkpointed.str();
  sendCheckpointedResources(agent);
}

void Master::admitCheckpointed(
    AgentState& agent, const google::protobuf::RepeatedPtrField<mesos::Resource>& checkpointed) {
  Resources plain(agent.info.resources());
  Resources mine = Resources(checkpointed).unallocated().filter(needsCheckpointing);
  Result<Resources> total = applyCheckpointedResources(plain, mine);
  if (!total) {
    LOG(WARNING) << "Ignoring the checkpointed resources of agent " << agent.info.id().value()
                 << ": " << total.message();
    agent.total = plain;
    agent.checkpointed = Resources();
    return;
  }
  agent.total = std::move(*total);
  agent.checkpointed = std::move(mine);
}

void Master::sendCheckpointedResources(const AgentState& agent) {
  mesos::internal::CheckpointResourcesMessage message;
  *message.mutable_resources() = agent.checkpointed.proto();
  send(agent.pid, message);
}

}  // namespace keel::master
