#include "allocator/drf_sorter.hpp"

#include <algorithm>
#include <cmath>

namespace keel::allocator {

namespace {
int64_t toFixed(double v) { return std::llround(v * 1000.0); }
}  // namespace

ShareContext::ShareContext(std::set<std::string> excluded_names)
    : excluded_names_(std::move(excluded_names)) {}

uint32_t ShareContext::nameIndex(const std::string& name) {
  auto it = index_.find(name);
  if (it != index_.end()) {
    return it->second;
  }
  uint32_t i = static_cast<uint32_t>(names_.size());
  index_.emplace(name, i);
  names_.push_back(name);
  excluded_.push_back(excluded_names_.count(name) > 0);
  total_.push_back(0);
  return i;
}

void ShareContext::accumulate(const Resources& r, int sign, std::vector<int64_t>* q) {
  for (const auto& res : r) {
    if (res.type() != mesos::Value::SCALAR) {
      continue;
    }
    uint32_t i = nameIndex(res.name());
    if (q->size() <= i) {
      q->resize(i + 1, 0);
    }
    (*q)[i] += sign * toFixed(res.scalar().value());
  }
}

void ShareContext::addTotal(const Resources& r, int sign) {
  accumulate(r, sign, &total_);
  ++generation_;
}

double ShareContext::share(const std::vector<int64_t>& q) const {
  double best = 0;
  size_t n = std::min(q.size(), total_.size());
  for (size_t i = 0; i < n; ++i) {
    if (excluded_[i] || total_[i] <= 0 || q[i] <= 0) {
      continue;
    }
    best = std::max(best, static_cast<double>(q[i]) / static_cast<double>(total_[i]));
  }
  return best;
}

bool DrfSorter::Less::operator()(const Entry& a, const Entry& b) const {
  if (a.share != b.share) {
    return a.share < b.share;
  }
  if (a.allocations != b.allocations) {
    return a.allocations < b.allocations;
  }
  if (a.rank != b.rank) {
    return a.rank < b.rank;
  }
  return a.client < b.client;
}

DrfSorter::Client* DrfSorter::find(uint32_t client) {
  if (client >= clients_.size() || !clients_[client].present) {
    return nullptr;
  }
  return &clients_[client];
}

const DrfSorter::Client* DrfSorter::find(uint32_t client) const {
  if (client >= clients_.size() || !clients_[client].present) {
    return nullptr;
  }
  return &clients_[client];
}

void DrfSorter::add(uint32_t client, const std::string& name, double weight) {
  if (client >= clients_.size()) {
    clients_.resize(client + 1);
  }
  Client& c = clients_[client];
  if (c.present) {
    return;
  }
  c = Client{};
  c.present = true;
  c.name = name;
  c.rank = rankName(name);
  c.weight = weight > 0 ? weight : 1.0;
  ++count_;
}

uint64_t DrfSorter::rankName(const std::string& name) {
  constexpr uint64_t kGap = uint64_t{1} << 32;
  auto [it, inserted] = ranks_.try_emplace(name, Rank{0, 0});
  ++it->second.users;
  if (!inserted) {
    return it->second.rank;
  }
  uint64_t low = it == ranks_.begin() ? 0 : std::prev(it)->second.rank;
  auto next = std::next(it);
  uint64_t high = next == ranks_.end() ? UINT64_MAX : next->second.rank;
  if (high - low > 1) {
    it->second.rank = low + (high - low) / 2;
    return it->second.rank;
  }
  // No room: renumber every name and rebuild the order with the new ranks.
  uint64_t r = 0;
  for (auto& [n, rank] : ranks_) {
    rank.rank = (r += kGap);
  }
  order_.clear();
  for (uint32_t i = 0; i < clients_.size(); ++i) {
    Client& c = clients_[i];
    if (!c.present) {
      continue;
    }
    c.rank = ranks_.at(c.name).rank;
    if (c.active) {
      order_.insert(entryOf(i, c));
    }
  }
  return it->second.rank;
}

void DrfSorter::unrankName(const std::string& name) {
  auto it = ranks_.find(name);
  if (it != ranks_.end() && --it->second.users == 0) {
    ranks_.erase(it);
  }
}

void DrfSorter::replaceEntry(const Entry& before, const Entry& after) {
  auto node = order_.extract(before);
  if (node.empty()) {
    order_.insert(after);
    return;
  }
  node.value() = after;
  order_.insert(std::move(node));
}

void DrfSorter::remove(uint32_t client) {
  Client* c = find(client);
  if (c == nullptr) {
    return;
  }
  deactivate(client);
  unrankName(c->name);
  *c = Client{};
  --count_;
}

bool DrfSorter::contains(uint32_t client) const { return find(client) != nullptr; }

void DrfSorter::activate(uint32_t client) {
  Client* c = find(client);
  if (c == nullptr || c->active) {
    return;
  }
  refresh();
  c->active = true;
  c->share = context_->share(c->quantities) / c->weight;
  order_.insert(entryOf(client, *c));
}

void DrfSorter::deactivate(uint32_t client) {
  Client* c = find(client);
  if (c == nullptr || !c->active) {
    return;
  }
  order_.erase(entryOf(client, *c));
  c->active = false;
}

bool DrfSorter::active(uint32_t client) const {
  const Client* c = find(client);
  return c != nullptr && c->active;
}

void DrfSorter::setWeight(uint32_t client, double weight) {
  Client* c = find(client);
  if (c == nullptr || weight <= 0) {
    return;
  }
  c->weight = weight;
  reposition(client, *c, false);
}

void DrfSorter::reposition(uint32_t client, Client& c, bool count_allocation) {
  Entry before = entryOf(client, c);
  if (count_allocation) {
    ++c.allocations;
  }
  c.share = context_->share(c.quantities) / c.weight;
  if (c.active) {
    replaceEntry(before, entryOf(client, c));
  }
}

void DrfSorter::allocated(uint32_t client, const Resources& r) {
  Client* c = find(client);
  if (c == nullptr) {
    return;
  }
  refresh();
  context_->accumulate(r, +1, &c->quantities);
  reposition(client, *c, true);
}

void DrfSorter::unallocated(uint32_t client, const Resources& r) {
  Client* c = find(client);
  if (c == nullptr) {
    return;
  }
  refresh();
  context_->accumulate(r, -1, &c->quantities);
  for (auto& q : c->quantities) {
    q = std::max<int64_t>(q, 0);  // Never let a bookkeeping slip go negative.
  }
  reposition(client, *c, false);
}

void DrfSorter::allocated(uint32_t client, const Bundle& r, const ShapeTable& table) {
  Client* c = find(client);
  if (c == nullptr) {
    return;
  }
  refresh();
  r.addScalars(table, context_, +1, &c->quantities);
  reposition(client, *c, true);
}

void DrfSorter::unallocated(uint32_t client, const Bundle& r, const ShapeTable& table) {
  Client* c = find(client);
  if (c == nullptr) {
    return;
  }
  refresh();
  r.addScalars(table, context_, -1, &c->quantities);
  for (auto& q : c->quantities) {
    q = std::max<int64_t>(q, 0);  // Never let a bookkeeping slip go negative.
  }
  reposition(client, *c, false);
}

double DrfSorter::share(uint32_t client) {
  const Client* c = find(client);
  if (c == nullptr) {
    return 0;
  }
  return context_->share(c->quantities) / c->weight;
}

void DrfSorter::refresh() {
  if (generation_ == context_->generation()) {
    return;
  }
  generation_ = context_->generation();
  order_.clear();
  for (uint32_t i = 0; i < clients_.size(); ++i) {
    Client& c = clients_[i];
    if (!c.present) {
      continue;
    }
    c.share = context_->share(c.quantities) / c.weight;
    if (c.active) {
      order_.insert(entryOf(i, c));
    }
  }
}

}  // namespace keel::allocator
