#pragma once

// Internal state of keel::allocator::Allocator, shared by allocator.cpp (the public calls)
// and allocator_impl.cpp (the allocation pass). Not for use outside src/allocator/.

#include <algorithm>
#include <cmath>
#include <functional>
#include <queue>
#include <unordered_set>
#include <utility>

#include "allocator/allocator.hpp"
#include "allocator/bundle.hpp"

namespace keel::allocator {

namespace detail {

using mesos::Resource;

constexpr double kDefaultRefuseSeconds = 5.0;
constexpr double kMaxRefuseSeconds = 365.0 * 24 * 60 * 60;

// A growable bitset over framework slots.
class Bits {
 public:
  void set(uint32_t i) {
    if ((i >> 6) >= words_.size()) {
      words_.resize((i >> 6) + 1, 0);
    }
    words_[i >> 6] |= uint64_t{1} << (i & 63);
  }
  void reset(uint32_t i) {
    if ((i >> 6) < words_.size()) {
      words_[i >> 6] &= ~(uint64_t{1} << (i & 63));
    }
  }
  bool test(uint32_t i) const {
    return (i >> 6) < words_.size() && ((words_[i >> 6] >> (i & 63)) & 1) != 0;
  }
  void clear() { std::fill(words_.begin(), words_.end(), 0); }
  // Whether some bit is set here but not in `mask`.
  bool anyNotIn(const Bits& mask) const {
    for (size_t w = 0; w < words_.size(); ++w) {
      uint64_t m = w < mask.words_.size() ? mask.words_[w] : 0;
      if ((words_[w] & ~m) != 0) {
        return true;
      }
    }
    return false;
  }

 private:
  std::vector<uint64_t> words_;
};

struct Filter {
  Bundle refused;  // unallocated form
  runtime::TimePoint expiry;
};

inline uint64_t filterKey(uint32_t role, uint32_t framework) {
  return (uint64_t{role} << 32) | framework;
}
inline uint32_t keyRole(uint64_t key) { return static_cast<uint32_t>(key >> 32); }
inline uint32_t keyFramework(uint64_t key) { return static_cast<uint32_t>(key & 0xffffffffu); }

// Per (agent, role): which frameworks have filters here, and which of those are known to
// block the agent's whole current availability for the role. `blocked` is valid only for
// the agent version it was computed at (Agent::bits_version).
struct RoleBits {
  Bits filtered;
  Bits blocked;
};

struct Agent {
  std::string id;
  uint64_t generation = 0;
  bool active = true;
  Resources total_resources;  // unallocated form, as given
  Bundle total;               // the same, compact
  Bundle allocated;           // unallocated form, including orphans
  Bundle available;           // total − allocated
  bool has_gpus = false;
  bool has_reservations = false;
  bool has_revocable = false;
  bool has_shared = false;
  bool has_refined = false;
  uint64_t version = 1;  // bumped whenever `available` changes
  // The last offer made from this agent, compact and in API form: agents are often
  // offered the same resources again (declined offers), and building the protobuf form
  // is the costliest step of an offer.
  Bundle last_offer;
  std::shared_ptr<const Resources> last_offer_resources;
  uint64_t bits_version = 0;
  std::unordered_map<uint64_t, std::vector<Filter>> filters;  // by filterKey
  std::vector<RoleBits> bits;                                 // by role slot
  std::unordered_map<std::string, Resources> orphans;         // held by frameworks not added yet
  std::vector<uint32_t> frameworks;  // slots with allocations here, each once
};

struct Framework {
  std::string id;
  FrameworkEntry info;
  std::vector<uint32_t> role_slots;
  std::set<std::string> suppressed;
  std::unordered_map<uint32_t, Bundle> allocation;  // agent slot → allocated form
  std::unordered_set<uint32_t> filtered_agents;     // agent slots that may hold filters
  uint64_t visit = 0;
};

struct Role {
  std::string name;
  std::unique_ptr<DrfSorter> sorter;
  Bits eligible;  // frameworks active and not suppressed in this role
  size_t frameworks = 0;
};

struct Expiry {
  runtime::TimePoint at;
  uint32_t agent;
  uint64_t generation;
  uint64_t key;
  bool operator>(const Expiry& o) const { return at > o.at; }
};

// Stable slot storage with reuse.
template <class T>
struct Slots {
  std::vector<std::unique_ptr<T>> items;
  std::vector<uint32_t> free;
  std::unordered_map<std::string, uint32_t> index;

  T* find(const std::string& id) {
    auto it = index.find(id);
    return it == index.end() ? nullptr : items[it->second].get();
  }
  const T* find(const std::string& id) const {
    auto it = index.find(id);
    return it == index.end() ? nullptr : items[it->second].get();
  }
  uint32_t slotOf(const std::string& id) const { return index.at(id); }
  uint32_t add(const std::string& id) {
    uint32_t slot;
    if (!free.empty()) {
      slot = free.back();
      free.pop_back();
    } else {
      slot = static_cast<uint32_t>(items.size());
      items.emplace_back();
    }
    items[slot] = std::make_unique<T>();
    index.emplace(id, slot);
    return slot;
  }
  void remove(const std::string& id) {
    auto it = index.find(id);
    if (it == index.end()) {
      return;
    }
    items[it->second].reset();
    free.push_back(it->second);
    index.erase(it);
  }
};

inline bool hasCap(const Framework& fw, Capability c) { return fw.info.capabilities.count(c) > 0; }

inline const std::string& allocationRole(const Resource& r) { return r.allocation_info().role(); }

}  // namespace detail

using namespace detail;  // NOLINT: internal header, included only by the allocator's .cpp files

struct Allocator::Impl {
  explicit Impl(Options o)
      : options(std::move(o)),
        context(options.fair_sharing_excluded_resource_names),
        shapes(&context),
        role_sorter(&context),
        rng(options.seed) {
    for (const auto& group : options.min_allocatable) {
      std::vector<std::pair<uint32_t, double>> g;
      for (const auto& [name, amount] : group) {
        g.emplace_back(context.nameIndex(name), amount);
      }
      min_allocatable.push_back(std::move(g));
    }
  }

  Options options;
  ShareContext context;
  ShapeTable shapes;
  DrfSorter role_sorter;
  // options.min_allocatable with names as ShareContext name indices.
  std::vector<std::vector<std::pair<uint32_t, double>>> min_allocatable;
  std::mt19937_64 rng;
  Slots<Agent> agents;
  Slots<Framework> frameworks;
  std::vector<std::unique_ptr<Role>> roles;
  std::unordered_map<std::string, uint32_t> role_index;
  std::priority_queue<Expiry, std::vector<Expiry>, std::greater<Expiry>> expiries;
  uint64_t next_generation = 1;
  uint64_t visit_counter = 0;
  size_t filter_count = 0;
  std::vector<uint32_t> role_order_scratch;  // reused by allocateAgent()

  uint32_t roleSlot(const std::string& name) {
    auto it = role_index.find(name);
    if (it != role_index.end()) {
      return it->second;
    }
    uint32_t slot = static_cast<uint32_t>(roles.size());
    auto role = std::make_unique<Role>();
    role->name = name;
    role->sorter = std::make_unique<DrfSorter>(&context);
    roles.push_back(std::move(role));
    role_index.emplace(name, slot);
    role_sorter.add(slot, name);
    return slot;
  }

  RoleBits& bits(Agent& a, uint32_t role) {
    if (a.bits.size() <= role) {
      a.bits.resize(role + 1);
    }
    return a.bits[role];
  }

  // Forgets blocked verdicts computed for an older availability.
  void syncBits(Agent& a) {
    if (a.bits_version == a.version) {
      return;
    }
    for (auto& b : a.bits) {
      b.blocked.clear();
    }
    a.bits_version = a.version;
  }

  Bundle compact(const Resources& r) { return Bundle::from(r, shapes); }

  void setTotal(Agent& a, const Resources& total_in) {
    a.total_resources = total_in.unallocated();
    a.total = compact(a.total_resources);
    a.has_gpus = a.total_resources.gpus().value_or(0) > 0;
    a.has_reservations = a.has_revocable = a.has_shared = a.has_refined = false;
    for (const auto& r : a.total_resources) {
      a.has_reservations |= r.reservations_size() > 0;
      a.has_refined |= r.reservations_size() > 1;
      a.has_revocable |= r.has_revocable();
      a.has_shared |= r.has_shared();
    }
    recompute(a);
  }

  void recompute(Agent& a) {
    a.available = a.total;
    a.available.subtract(a.allocated);
    ++a.version;
  }

  // Resources in allocated form: entries lacking allocation_info go to `role`.
  static Resources toAllocated(const Resources& r, const std::string& role) {
    bool all =
        std::all_of(r.begin(), r.end(), [](const Resource& x) { return x.has_allocation_info(); });
    if (all) {
      return r;
    }
    return r.filter([](const Resource& x) { return x.has_allocation_info(); }) +
           r.filter([](const Resource& x) { return !x.has_allocation_info(); }).allocate(role);
  }

  // Records framework-side (sorters, per-agent allocation) accounting of `r` (allocated form).
  static void addHolder(Agent& a, uint32_t fslot) {
    if (std::find(a.frameworks.begin(), a.frameworks.end(), fslot) == a.frameworks.end()) {
      a.frameworks.push_back(fslot);
    }
  }
  static void removeHolder(Agent& a, uint32_t fslot) {
    auto it = std::find(a.frameworks.begin(), a.frameworks.end(), fslot);
    if (it != a.frameworks.end()) {
      *it = a.frameworks.back();
      a.frameworks.pop_back();
    }
  }

  // Records framework-side accounting of `r` (allocated form) in the sorters only.
  void trackShares(Framework& fw, uint32_t fslot, const Bundle& r, int sign) {
    for (uint32_t rslot : fw.role_slots) {
      Role& role = *roles[rslot];
      auto mine_item = [&](const Shape& x) { return x.allocation_role == role.name; };
      auto mine = [&](const Resource& x) { return allocationRole(x) == role.name; };
      // Usually everything belongs to one role: skip the copy that splitting would make.
      Bundle split;
      const Bundle* part = &r;
      bool uniform = std::all_of(r.items().begin(), r.items().end(), [&](const Bundle::Item& i) {
        return shapes[i.shape].allocation_role == role.name;
      });
      if (!uniform || !std::all_of(r.rest().begin(), r.rest().end(), mine)) {
        split = r.select(shapes, mine_item, mine);
        part = &split;
      }
      if (part->empty()) {
        continue;
      }
      if (sign > 0) {
        role.sorter->allocated(fslot, *part, shapes);
        role_sorter.allocated(rslot, *part, shapes);
      } else {
        role.sorter->unallocated(fslot, *part, shapes);
        role_sorter.unallocated(rslot, *part, shapes);
      }
    }
  }

  // Records framework-side (sorters, per-agent allocation) accounting of `r` (allocated form).
  void track(Framework& fw, uint32_t fslot, Agent& a, uint32_t aslot, const Bundle& r, int sign) {
    trackShares(fw, fslot, r, sign);
    Bundle& mine = fw.allocation[aslot];
    if (sign > 0) {
      mine.add(r);
    } else {
      mine.subtract(r);
    }
    if (mine.empty()) {
      fw.allocation.erase(aslot);
      removeHolder(a, fslot);
    } else {
      addHolder(a, fslot);
    }
  }

  void updateEligibility(Framework& fw, uint32_t fslot) {
    for (uint32_t rslot : fw.role_slots) {
      Role& role = *roles[rslot];
      bool eligible = fw.info.active && fw.suppressed.count(role.name) == 0;
      if (eligible) {
        role.eligible.set(fslot);
        role.sorter->activate(fslot);
      } else {
        role.eligible.reset(fslot);
        role.sorter->deactivate(fslot);
      }
    }
  }

  void eraseFilters(Agent& a, uint64_t key) {
    auto it = a.filters.find(key);
    if (it == a.filters.end()) {
      return;
    }
    filter_count -= it->second.size();
    a.filters.erase(it);
    RoleBits& b = bits(a, keyRole(key));
    b.filtered.reset(keyFramework(key));
    b.blocked.reset(keyFramework(key));
  }

  // Clears a framework's filters for the given role slots (all its roles if `all`).
  void clearFilters(Framework& fw, uint32_t fslot, const std::vector<uint32_t>& role_slots,
                    bool all) {
    for (uint32_t aslot : fw.filtered_agents) {
      if (aslot >= agents.items.size() || !agents.items[aslot]) {
        continue;
      }
      Agent& a = *agents.items[aslot];
      for (uint32_t rslot : role_slots) {
        eraseFilters(a, filterKey(rslot, fslot));
      }
    }
    if (all) {
      fw.filtered_agents.clear();
    }
  }

  void clearAgentFilters(Agent& a) {
    for (const auto& [key, list] : a.filters) {
      filter_count -= list.size();
    }
    a.filters.clear();
    for (auto& b : a.bits) {
      b.filtered.clear();
      b.blocked.clear();
    }
  }

  void expire(runtime::TimePoint now) {
    while (!expiries.empty() && expiries.top().at <= now) {
      Expiry e = expiries.top();
      expiries.pop();
      if (e.agent >= agents.items.size() || !agents.items[e.agent] ||
          agents.items[e.agent]->generation != e.generation) {
        continue;
      }
      Agent& a = *agents.items[e.agent];
      auto it = a.filters.find(e.key);
      if (it == a.filters.end()) {
        continue;
      }
      auto& list = it->second;
      size_t before = list.size();
      list.erase(std::remove_if(list.begin(), list.end(),
                                [&](const Filter& f) { return f.expiry <= now; }),
                 list.end());
      filter_count -= before - list.size();
      bits(a, keyRole(e.key)).blocked.reset(keyFramework(e.key));
      if (list.empty()) {
        eraseFilters(a, e.key);
      }
    }
  }

  bool allocatable(const Bundle& r) const {
    if (r.empty()) {
      return false;
    }
    if (min_allocatable.empty()) {
      return true;
    }
    for (const auto& group : min_allocatable) {
      bool ok = std::all_of(group.begin(), group.end(), [&](const auto& q) {
        return r.quantity(shapes, q.first, context.name(q.first)) >= q.second - 1e-9;
      });
      if (ok) {
        return true;
      }
    }
    return false;
  }

  bool needsStrip(const Agent& a, const Framework& fw) const {
    return (a.has_revocable &&
            !hasCap(fw, mesos::FrameworkInfo::Capability::REVOCABLE_RESOURCES)) ||
           (a.has_shared && !hasCap(fw, mesos::FrameworkInfo::Capability::SHARED_RESOURCES)) ||
           (a.has_refined && !hasCap(fw, mesos::FrameworkInfo::Capability::RESERVATION_REFINEMENT));
  }

  Bundle strip(const Bundle& r, const Framework& fw) const {
    bool revocable = hasCap(fw, mesos::FrameworkInfo::Capability::REVOCABLE_RESOURCES);
    bool shared = hasCap(fw, mesos::FrameworkInfo::Capability::SHARED_RESOURCES);
    bool refined = hasCap(fw, mesos::FrameworkInfo::Capability::RESERVATION_REFINEMENT);
    return r.select(
        shapes,
        [&](const Shape& x) {
          return (revocable || !x.revocable) && (shared || !x.shared) && (refined || !x.refined);
        },
        [&](const Resource& x) {
          return (revocable || !x.has_revocable()) && (shared || !x.has_shared()) &&
                 (refined || x.reservations_size() <= 1);
        });
  }

  // Unreserved resources plus those reserved to the role.
  const Bundle& availableForRole(const Agent& a, const Role& role, Bundle* scratch) const {
    if (!a.has_reservations) {
      return a.available;
    }
    *scratch = a.available.select(
        shapes, [&](const Shape& x) { return !x.reserved || x.reservation_role == role.name; },
        [&](const Resource& x) {
          return x.reservations_size() == 0 || Resources::reservationRole(x) == role.name;
        });
    return *scratch;
  }

  bool filtered(Agent& a, uint32_t rslot, uint32_t fslot, const Bundle& candidate,
                runtime::TimePoint now) {
    auto it = a.filters.find(filterKey(rslot, fslot));
    if (it == a.filters.end()) {
      bits(a, rslot).filtered.reset(fslot);
      return false;
    }
    for (const auto& f : it->second) {
      if (f.expiry > now && f.refused.contains(candidate)) {
        return true;
      }
    }
    return false;
  }

  void allocateAgent(uint32_t aslot, runtime::TimePoint now, std::vector<Offerable>* out);
};

}  // namespace keel::allocator
