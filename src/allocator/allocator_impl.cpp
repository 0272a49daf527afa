#include "allocator/allocator_internal.hpp"

namespace keel::allocator {

Result<std::vector<Quantities>> Options::parseMinAllocatable(const std::string& text) {
  std::vector<Quantities> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t bar = text.find('|', start);
    std::string group = text.substr(start, bar == std::string::npos ? bar : bar - start);
    Quantities q;
    size_t s = 0;
    while (s <= group.size()) {
      size_t semi = group.find(';', s);
      std::string item = group.substr(s, semi == std::string::npos ? semi : semi - s);
      size_t colon = item.find(':');
      if (colon == std::string::npos || colon == 0) {
        return Result<std::vector<Quantities>>::error("Invalid min allocatable quantity '" + item +
                                                      "'");
      }
      std::string value = item.substr(colon + 1);
      char* end = nullptr;
      double v = std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0' || !std::isfinite(v) || v < 0) {
        return Result<std::vector<Quantities>>::error("Invalid min allocatable quantity '" + item +
                                                      "'");
      }
      q.emplace_back(item.substr(0, colon), Resources::round(v));
      if (semi == std::string::npos) {
        break;
      }
      s = semi + 1;
    }
    out.push_back(std::move(q));
    if (bar == std::string::npos) {
      break;
    }
    start = bar + 1;
  }
  return out;
}

std::vector<Quantities> Options::defaultMinAllocatable() {
  return {{{"cpus", 0.01}}, {{"mem", 32}}};
}

void Allocator::Impl::allocateAgent(uint32_t aslot, runtime::TimePoint now,
                                    std::vector<Offerable>* out) {
  Agent& a = *agents.items[aslot];
  if (a.available.empty()) {
    return;
  }
  std::vector<uint32_t>& role_order = role_order_scratch;
  role_order.clear();
  for (const auto& e : role_sorter.order()) {
    role_order.push_back(e.client);
  }
  Bundle role_scratch;
  Bundle candidate_scratch;
  for (uint32_t rslot : role_order) {
    Role& role = *roles[rslot];
    if (role.frameworks == 0) {
      continue;
    }
    const Bundle* available = &availableForRole(a, role, &role_scratch);
    if (available->empty()) {
      continue;
    }
    syncBits(a);
    RoleBits& b = bits(a, rslot);
    // Fast path: every eligible framework is known to be filtered for all of this.
    if (!role.eligible.anyNotIn(b.blocked)) {
      continue;
    }
    uint64_t stamp = ++visit_counter;
    const DrfSorter::Order& order = role.sorter->order();
    for (auto it = order.begin(); it != order.end();) {
      uint32_t fslot = it->client;
      ++it;  // Advance first: allocating repositions this framework in `order`.
      Framework& fw = *frameworks.items[fslot];
      if (fw.visit == stamp || b.blocked.test(fslot) || !role.eligible.test(fslot)) {
        continue;
      }
      fw.visit = stamp;
      if (options.filter_gpu_resources && a.has_gpus &&
          !hasCap(fw, mesos::FrameworkInfo::Capability::GPU_RESOURCES)) {
        continue;
      }
      const Bundle* candidate = available;
      if (needsStrip(a, fw)) {
        candidate_scratch = strip(*available, fw);
        candidate = &candidate_scratch;
      }
      if (!allocatable(*candidate)) {
        continue;
      }
      if (b.filtered.test(fslot) && filtered(a, rslot, fslot, *candidate, now)) {
        if (candidate == available) {
          b.blocked.set(fslot);  // Valid until this agent's availability changes.
        }
        continue;
      }
      Bundle offered = candidate->withRole(shapes, rslot, role.name);
      if (candidate == &a.available && a.allocated.empty()) {
        std::swap(a.allocated, a.available);  // The whole agent goes: no copy.
      } else if (candidate == &a.available) {
        a.allocated.add(a.available);
        a.available = Bundle();
      } else {
        a.allocated.add(*candidate);
        a.available.subtract(*candidate);
      }
      ++a.version;
      if (!(offered == a.last_offer)) {
        a.last_offer_resources = std::make_shared<const Resources>(offered.toResources(shapes));
        a.last_offer = offered;
      }
      out->push_back(Offerable{fw.id, role.name, a.id, a.last_offer_resources});
      trackShares(fw, fslot, offered, +1);
      Bundle& mine = fw.allocation[aslot];
      if (mine.empty()) {
        mine = std::move(offered);
        addHolder(a, fslot);
      } else {
        mine.add(offered);
      }
      syncBits(a);
      available = &availableForRole(a, role, &role_scratch);
      if (available->empty()) {
        break;
      }
    }
  }
}

}  // namespace keel::allocator
