#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <mesos/mesos.pb.h>

#include "allocator/drf_sorter.hpp"
#include "common/resources.hpp"
#include "common/status.hpp"
#include "runtime/clock.hpp"

namespace keel::allocator {

using Capability = mesos::FrameworkInfo::Capability::Type;

// What the allocator needs to know about a framework.
struct FrameworkEntry {
  std::vector<std::string> roles{"*"};
  bool active = true;
  std::set<Capability> capabilities;
};

// One decision of a pass: `resources` (allocation_info.role = `role`) of agent `agent_id`
// go to framework `framework_id`. The master turns these into offers. `resources` is an
// immutable body that the allocator may hand out again for a later offer of the same
// resources (declined offers usually come back unchanged), so holding it is cheap.
struct Offerable {
  std::string framework_id;
  std::string role;
  std::string agent_id;
  std::shared_ptr<const Resources> resources;
};

// A quantity requirement: every (name, amount) pair must be met. Scalars compare their
// sum, ranges and sets their element count.
using Quantities = std::vector<std::pair<std::string, double>>;

struct Options {
  // --min_allocatable_resources: an offer must satisfy at least one entry (empty = any
  // non-empty offer). Default "cpus:0.01|mem:32".
  std::vector<Quantities> min_allocatable = defaultMinAllocatable();
  // --fair_sharing_excluded_resource_names.
  std::set<std::string> fair_sharing_excluded_resource_names;
  // --allocation_interval: the shortest offer filter.
  runtime::Duration allocation_interval = std::chrono::seconds(1);
  // --filter_gpu_resources: agents with GPUs go only to GPU_RESOURCES frameworks.
  bool filter_gpu_resources = true;
  // Seeds the agent shuffle of each pass; the same seed and calls give the same offers.
  uint64_t seed = 0;

  // Parses Mesos's "cpus:0.01|mem:32" ('|' = OR, ';' = AND, values non-negative numbers).
  static Result<std::vector<Quantities>> parseMinAllocatable(const std::string& text);
  static std::vector<Quantities> defaultMinAllocatable();
};

// Hierarchical DRF allocation (spec §4) as a pure library: no I/O, no timers, no threads;
// the caller passes time in and runs passes on its own schedule. Not thread-safe: the
// master calls it from its event loop only.
//
// Accounting model: offered and allocated are the same thing (§4.2). Everything a pass
// returns stays allocated to its framework until recoverResources() gives it back.
// Resources passed in may be in allocated form (allocation_info.role set) or not; the
// allocator stores agent totals unallocated and framework allocations allocated.
//
// Roles: data structures are per role (a role sorter over per-role framework sorters), and
// an agent's reservations go only to their role; hierarchical roles and quota are not
// implemented yet.
//
// Unknown framework or agent ids are ignored by every call (they may race with removal).
class Allocator {
 public:
  explicit Allocator(Options options = Options());
  ~Allocator();
  Allocator(const Allocator&) = delete;
  Allocator& operator=(const Allocator&) = delete;

  // Adds a framework (no-op if known). `used`: what it already holds per agent (e.g. after
  // master failover); counted on agents already added, replacing what addAgent() recorded
  // for this framework there. Entries for unknown agents are ignored.
  void addFramework(const std::string& framework_id, const FrameworkEntry& entry,
                    const std::map<std::string, Resources>& used = {});
  // Removes a framework; everything still allocated to it returns to its agents (no filter).
  void removeFramework(const std::string& framework_id);
  void activateFramework(const std::string& framework_id);
  // Stops offers to the framework and clears its offer filters.
  void deactivateFramework(const std::string& framework_id);

  // Adds an agent (no-op if known), active. `used`: what frameworks already hold on it;
  // kept allocated even for frameworks not (yet) added.
  void addAgent(const std::string& agent_id, const Resources& total,
                const std::map<std::string, Resources>& used = {});
  // Removes an agent, its allocations and the filters on it.
  void removeAgent(const std::string& agent_id);
  void activateAgent(const std::string& agent_id);
  void deactivateAgent(const std::string& agent_id);
  // Replaces an agent's total (e.g. reservation change); clears the filters on it.
  void updateAgentTotal(const std::string& agent_id, const Resources& total);

  // A framework changed what it holds on an agent by speculative operations (RESERVE,
  // UNRESERVE, CREATE, DESTROY): `consumed` (part of its allocation there) becomes
  // `converted`, in its allocation and in the agent's total alike. Quantities are equal,
  // so shares do not move. Clears the filters on the agent.
  void updateAllocation(const std::string& framework_id, const std::string& agent_id,
                        const Resources& consumed, const Resources& converted);

  // Resources come back from a framework (declined, rescinded, task ended). With
  // `refuse_seconds` set, a filter stops offering them to the framework's role on that agent:
  // > 365 days → 365 days; negative or NaN → 5 s; 0 → no filter; otherwise at least
  // allocation_interval. Without it no filter is created.
  void recoverResources(const std::string& framework_id, const std::string& agent_id,
                        const Resources& resources, std::optional<double> refuse_seconds,
                        runtime::TimePoint now);

  // Stops / restarts offers for the framework's roles (empty = all its roles). Revive also
  // clears the offer filters of those roles.
  void suppressOffers(const std::string& framework_id, const std::vector<std::string>& roles);
  void reviveOffers(const std::string& framework_id, const std::vector<std::string>& roles);

  // One allocation pass over `agent_ids` (empty = all) at time `now` (§4.4 stage 2): agents
  // shuffled; per agent, roles then frameworks in DRF order; each framework takes all it
  // may take of what is left for the role; min-allocatable and filters respected. What is
  // returned is allocated.
  std::vector<Offerable> allocate(runtime::TimePoint now,
                                  const std::vector<std::string>& agent_ids = {});

  // Sets a role's DRF weight (default 1.0; values <= 0 are ignored). A role's share is
  // divided by its weight when roles are ordered.
  void setWeight(const std::string& role, double weight);

  // Accounting, for /state and metrics.
  Resources allocated(const std::string& framework_id) const;
  std::map<std::string, Resources> allocation(const std::string& framework_id) const;
  Resources total() const;
  Resources available(const std::string& agent_id) const;
  // The framework's largest DRF share over its roles (weights applied).
  double share(const std::string& framework_id) const;
  // Live offer filters (expired ones may linger until the next pass).
  size_t filterCount() const;
  size_t agentCount() const;
  size_t frameworkCount() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::allocator
