#include "allocator/allocator_internal.hpp"

namespace keel::allocator {

Allocator::Allocator(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Allocator::~Allocator() = default;

void Allocator::addFramework(const std::string& framework_id, const FrameworkEntry& entry,
                             const std::map<std::string, Resources>& used) {
  Impl& m = *impl_;
  if (m.frameworks.find(framework_id) != nullptr) {
    return;
  }
  uint32_t fslot = m.frameworks.add(framework_id);
  Framework& fw = *m.frameworks.items[fslot];
  fw.id = framework_id;
  fw.info = entry;
  if (fw.info.roles.empty()) {
    fw.info.roles = {"*"};
  }
  for (const auto& name : fw.info.roles) {
    uint32_t rslot = m.roleSlot(name);
    if (std::find(fw.role_slots.begin(), fw.role_slots.end(), rslot) != fw.role_slots.end()) {
      continue;
    }
    fw.role_slots.push_back(rslot);
    Role& role = *m.roles[rslot];
    role.sorter->add(fslot, framework_id);
    if (role.frameworks++ == 0) {
      m.role_sorter.activate(rslot);
    }
  }
  m.updateEligibility(fw, fslot);
  for (const auto& [agent_id, resources] : used) {
    Agent* a = m.agents.find(agent_id);
    if (a == nullptr) {
      continue;
    }
    uint32_t aslot = m.agents.slotOf(agent_id);
    auto orphan = a->orphans.find(framework_id);
    if (orphan != a->orphans.end()) {
      a->allocated.subtract(m.compact(orphan->second.unallocated()));
      a->orphans.erase(orphan);
    }
    Bundle allocated = m.compact(Impl::toAllocated(resources, fw.info.roles.front()));
    a->allocated.add(allocated.unallocated(m.shapes));
    m.recompute(*a);
    m.track(fw, fslot, *a, aslot, allocated, +1);
  }
}

void Allocator::removeFramework(const std::string& framework_id) {
  Impl& m = *impl_;
  Framework* fw = m.frameworks.find(framework_id);
  if (fw == nullptr) {
    return;
  }
  uint32_t fslot = m.frameworks.slotOf(framework_id);
  m.clearFilters(*fw, fslot, fw->role_slots, true);
  auto allocation = fw->allocation;
  for (const auto& [aslot, resources] : allocation) {
    Agent& a = *m.agents.items[aslot];
    m.track(*fw, fslot, a, aslot, resources, -1);
    a.allocated.subtract(resources.unallocated(m.shapes));
    m.recompute(a);
  }
  for (uint32_t rslot : fw->role_slots) {
    Role& role = *m.roles[rslot];
    role.sorter->remove(fslot);
    role.eligible.reset(fslot);
    if (--role.frameworks == 0) {
      m.role_sorter.deactivate(rslot);
    }
  }
  m.frameworks.remove(framework_id);
}

void Allocator::activateFramework(const std::string& framework_id) {
  Impl& m = *impl_;
  if (Framework* fw = m.frameworks.find(framework_id)) {
    fw->info.active = true;
    m.updateEligibility(*fw, m.frameworks.slotOf(framework_id));
  }
}

void Allocator::deactivateFramework(const std::string& framework_id) {
  Impl& m = *impl_;
  if (Framework* fw = m.frameworks.find(framework_id)) {
    uint32_t fslot = m.frameworks.slotOf(framework_id);
    fw->info.active = false;
    m.updateEligibility(*fw, fslot);
    m.clearFilters(*fw, fslot, fw->role_slots, true);
  }
}

void Allocator::addAgent(const std::string& agent_id, const Resources& total,
                         const std::map<std::string, Resources>& used) {
  Impl& m = *impl_;
  if (m.agents.find(agent_id) != nullptr) {
    return;
  }
  uint32_t aslot = m.agents.add(agent_id);
  Agent& a = *m.agents.items[aslot];
  a.id = agent_id;
  a.generation = m.next_generation++;
  m.setTotal(a, total);
  m.context.addTotal(a.total_resources, +1);
  for (const auto& [framework_id, resources] : used) {
    Framework* fw = m.frameworks.find(framework_id);
    std::string role = fw != nullptr ? fw->info.roles.front() : std::string("*");
    Resources allocated = Impl::toAllocated(resources, role);
    a.allocated.add(m.compact(allocated.unallocated()));
    if (fw != nullptr) {
      m.track(*fw, m.frameworks.slotOf(framework_id), a, aslot, m.compact(allocated), +1);
    } else {
      a.orphans[framework_id] += allocated;
    }
  }
  m.recompute(a);
}

void Allocator::removeAgent(const std::string& agent_id) {
  Impl& m = *impl_;
  Agent* a = m.agents.find(agent_id);
  if (a == nullptr) {
    return;
  }
  uint32_t aslot = m.agents.slotOf(agent_id);
  std::vector<uint32_t> holders(a->frameworks.begin(), a->frameworks.end());
  for (uint32_t fslot : holders) {
    Framework& fw = *m.frameworks.items[fslot];
    Bundle resources = fw.allocation[aslot];
    m.track(fw, fslot, *a, aslot, resources, -1);
    fw.filtered_agents.erase(aslot);
  }
  m.clearAgentFilters(*a);
  m.context.addTotal(a->total_resources, -1);
  m.agents.remove(agent_id);
}

void Allocator::activateAgent(const std::string& agent_id) {
  if (Agent* a = impl_->agents.find(agent_id)) {
    a->active = true;
  }
}

void Allocator::deactivateAgent(const std::string& agent_id) {
  if (Agent* a = impl_->agents.find(agent_id)) {
    a->active = false;
  }
}

void Allocator::updateAgentTotal(const std::string& agent_id, const Resources& total) {
  Impl& m = *impl_;
  Agent* a = m.agents.find(agent_id);
  if (a == nullptr) {
    return;
  }
  m.context.addTotal(a->total_resources, -1);
  m.setTotal(*a, total);
  m.context.addTotal(a->total_resources, +1);
  m.clearAgentFilters(*a);
}

void Allocator::updateAllocation(const std::string& framework_id, const std::string& agent_id,
                                 const Resources& consumed, const Resources& converted) {
  Impl& m = *impl_;
  Agent* a = m.agents.find(agent_id);
  Framework* fw = m.frameworks.find(framework_id);
  if (a == nullptr || fw == nullptr) {
    return;
  }
  uint32_t aslot = m.agents.slotOf(agent_id);
  uint32_t fslot = m.frameworks.slotOf(framework_id);
  const std::string& role = fw->info.roles.front();
  Resources from = Impl::toAllocated(consumed, role);
  Resources to = Impl::toAllocated(converted, role);
  m.track(*fw, fslot, *a, aslot, m.compact(from), -1);
  m.track(*fw, fslot, *a, aslot, m.compact(to), +1);
  a->allocated.subtract(m.compact(from.unallocated()));
  a->allocated.add(m.compact(to.unallocated()));
  m.context.addTotal(a->total_resources, -1);
  m.setTotal(*a, a->total_resources - from.unallocated() + to.unallocated());
  m.context.addTotal(a->total_resources, +1);
  m.clearAgentFilters(*a);
}

void Allocator::recoverResources(const std::string& framework_id, const std::string& agent_id,
                                 const Resources& resources, std::optional<double> refuse_seconds,
                                 runtime::TimePoint now) {
  Impl& m = *impl_;
  Agent* a = m.agents.find(agent_id);
  if (a == nullptr || resources.empty()) {
    return;
  }
  uint32_t aslot = m.agents.slotOf(agent_id);
  Framework* fw = m.frameworks.find(framework_id);
  if (fw == nullptr) {
    auto orphan = a->orphans.find(framework_id);
    if (orphan != a->orphans.end()) {
      Resources gone = Impl::toAllocated(resources, "*");
      orphan->second -= gone;
      a->allocated.subtract(m.compact(gone.unallocated()));
      if (orphan->second.empty()) {
        a->orphans.erase(orphan);
      }
      m.recompute(*a);
    }
    return;
  }
  uint32_t fslot = m.frameworks.slotOf(framework_id);
  Bundle allocated = m.compact(Impl::toAllocated(resources, fw->info.roles.front()));
  m.track(*fw, fslot, *a, aslot, allocated, -1);
  a->allocated.subtract(allocated.unallocated(m.shapes));
  m.recompute(*a);

  if (!refuse_seconds.has_value()) {
    return;
  }
  double seconds = *refuse_seconds;
  if (std::isnan(seconds) || seconds < 0) {
    seconds = kDefaultRefuseSeconds;
  } else if (seconds > kMaxRefuseSeconds) {
    seconds = kMaxRefuseSeconds;
  }
  if (seconds == 0) {
    return;
  }
  auto duration = std::max<runtime::Duration>(
      std::chrono::duration_cast<runtime::Duration>(std::chrono::duration<double>(seconds)),
      m.options.allocation_interval);
  for (uint32_t rslot : fw->role_slots) {
    const std::string& role = m.roles[rslot]->name;
    Bundle refused = allocated.select(
        m.shapes, [&](const Shape& x) { return x.allocation_role == role; },
        [&](const Resource& x) { return allocationRole(x) == role; });
    if (refused.empty()) {
      continue;
    }
    uint64_t key = filterKey(rslot, fslot);
    a->filters[key].push_back(Filter{refused.unallocated(m.shapes), now + duration});
    ++m.filter_count;
    RoleBits& b = m.bits(*a, rslot);
    b.filtered.set(fslot);
    b.blocked.reset(fslot);
    fw->filtered_agents.insert(aslot);
    m.expiries.push(Expiry{now + duration, aslot, a->generation, key});
  }
}

void Allocator::suppressOffers(const std::string& framework_id,
                               const std::vector<std::string>& roles) {
  Impl& m = *impl_;
  Framework* fw = m.frameworks.find(framework_id);
  if (fw == nullptr) {
    return;
  }
  for (const auto& role : roles.empty() ? fw->info.roles : roles) {
    if (std::find(fw->info.roles.begin(), fw->info.roles.end(), role) != fw->info.roles.end()) {
      fw->suppressed.insert(role);
    }
  }
  m.updateEligibility(*fw, m.frameworks.slotOf(framework_id));
}

void Allocator::reviveOffers(const std::string& framework_id,
                             const std::vector<std::string>& roles) {
  Impl& m = *impl_;
  Framework* fw = m.frameworks.find(framework_id);
  if (fw == nullptr) {
    return;
  }
  uint32_t fslot = m.frameworks.slotOf(framework_id);
  std::vector<uint32_t> slots;
  for (const auto& role : roles.empty() ? fw->info.roles : roles) {
    auto it = m.role_index.find(role);
    if (it == m.role_index.end() || std::find(fw->role_slots.begin(), fw->role_slots.end(),
                                              it->second) == fw->role_slots.end()) {
      continue;
    }
    slots.push_back(it->second);
    fw->suppressed.erase(role);
  }
  m.clearFilters(*fw, fslot, slots, roles.empty());
  m.updateEligibility(*fw, fslot);
}

std::vector<Offerable> Allocator::allocate(runtime::TimePoint now,
                                           const std::vector<std::string>& agent_ids) {
  Impl& m = *impl_;
  m.expire(now);
  std::vector<uint32_t> candidates;
  if (agent_ids.empty()) {
    candidates.reserve(m.agents.index.size());
    for (uint32_t slot = 0; slot < m.agents.items.size(); ++slot) {
      if (m.agents.items[slot] && m.agents.items[slot]->active) {
        candidates.push_back(slot);
      }
    }
  } else {
    std::unordered_set<uint32_t> seen;
    for (const auto& id : agent_ids) {
      Agent* a = m.agents.find(id);
      uint32_t slot = a != nullptr ? m.agents.slotOf(id) : 0;
      if (a != nullptr && a->active && seen.insert(slot).second) {
        candidates.push_back(slot);
      }
    }
    std::sort(candidates.begin(), candidates.end());
  }
  std::shuffle(candidates.begin(), candidates.end(), m.rng);
  std::vector<Offerable> out;
  // At most one offer per agent and role; reserve once instead of regrowing a large vector.
  out.reserve(candidates.size());
  for (uint32_t slot : candidates) {
    m.allocateAgent(slot, now, &out);
  }
  return out;
}

Resources Allocator::allocated(const std::string& framework_id) const {
  Resources out;
  if (const Framework* fw = impl_->frameworks.find(framework_id)) {
    for (const auto& [slot, resources] : fw->allocation) {
      out += resources.toResources(impl_->shapes);
    }
  }
  return out;
}

std::map<std::string, Resources> Allocator::allocation(const std::string& framework_id) const {
  std::map<std::string, Resources> out;
  if (const Framework* fw = impl_->frameworks.find(framework_id)) {
    for (const auto& [slot, resources] : fw->allocation) {
      out[impl_->agents.items[slot]->id] = resources.toResources(impl_->shapes);
    }
  }
  return out;
}

Resources Allocator::total() const {
  // Summed on demand: ranges (ports) are interval sets, so a running sum could not take
  // one agent's ports back out when the agent leaves.
  Resources out;
  for (const auto& agent : impl_->agents.items) {
    if (agent) {
      out += agent->total_resources;
    }
  }
  return out;
}

Resources Allocator::available(const std::string& agent_id) const {
  const Agent* a = impl_->agents.find(agent_id);
  return a != nullptr ? a->available.toResources(impl_->shapes) : Resources();
}

double Allocator::share(const std::string& framework_id) const {
  const Framework* fw = impl_->frameworks.find(framework_id);
  if (fw == nullptr) {
    return 0;
  }
  uint32_t fslot = impl_->frameworks.slotOf(framework_id);
  double best = 0;
  for (uint32_t rslot : fw->role_slots) {
    best = std::max(best, impl_->roles[rslot]->sorter->share(fslot));
  }
  return best;
}

void Allocator::setWeight(const std::string& role, double weight) {
  if (weight > 0) {
    impl_->role_sorter.setWeight(impl_->roleSlot(role), weight);
  }
}

size_t Allocator::filterCount() const { return impl_->filter_count; }
size_t Allocator::agentCount() const { return impl_->agents.index.size(); }
size_t Allocator::frameworkCount() const { return impl_->frameworks.index.size(); }

}  // namespace keel::allocator
