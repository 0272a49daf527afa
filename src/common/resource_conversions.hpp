#pragma once

// The speculative offer operations (RESERVE, UNRESERVE, CREATE, DESTROY) as resource
// conversions, and what an agent's total is once its checkpointed resources (dynamic
// reservations and persistent volumes) are applied to its static resources (spec §1.2,
// §3.5 stage D). Shared by the master, which applies operations, and the agent, which
// checkpoints their result.

#include <vector>

#include <mesos/mesos.pb.h>

#include "common/resources.hpp"
#include "common/status.hpp"

namespace keel {

// One step of an operation: `consumed` leaves the pool, `converted` takes its place.
struct ResourceConversion {
  Resources consumed;
  Resources converted;
};

// Whether the top of the resource's reservation stack is a dynamic reservation.
bool isDynamicallyReserved(const mesos::Resource& r);
// Whether the resource is a disk with a persistence id.
bool isPersistentVolume(const mesos::Resource& r);
// What an agent must checkpoint: dynamically reserved resources and persistent volumes.
bool needsCheckpointing(const mesos::Resource& r);

// The conversions of a RESERVE (pop the new reservation → push it), UNRESERVE (the
// reverse), CREATE (a plain reserved disk → the volume) or DESTROY (the reverse).
// Allocation info is kept on both sides. Errors for any other operation type or for
// resources the operation cannot apply to (e.g. UNRESERVE of an unreserved resource).
Result<std::vector<ResourceConversion>> conversionsOf(const mesos::Offer::Operation& operation);

// `resources` with every conversion applied in order. Errors if a step consumes what is
// not (any more) there, naming both.
Result<Resources> applyConversions(const Resources& resources,
                                   const std::vector<ResourceConversion>& conversions);

// An agent's total: its static resources with each checkpointed resource replacing the
// plain resource it was made from. Errors if a checkpointed resource is not one an agent
// checkpoints, or if the static resources do not contain what it was made from.
Result<Resources> applyCheckpointedResources(const Resources& total,
                                             const Resources& checkpointed);

}  // namespace keel
