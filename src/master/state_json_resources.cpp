#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "master/state_json_out.hpp"

namespace keel::master::state_json {

namespace {

constexpr const char* kWellKnown[] = {"disk", "mem", "gpus", "cpus"};

int wellKnownIndex(std::string_view name) {
  for (int i = 0; i < 4; ++i) {
    if (name == kWellKnown[i]) return i;
  }
  return -1;
}

// The 3-decimal fixed point keel::Resources computes scalars in (ResourceSum keeps it).
int64_t toFixed(double v) { return std::llround(v * 1000.0); }

// Whether `r` is a valid unreserved scalar with no role beyond "*": the bulk of what tasks
// hold, checked without Resources::validate()'s generality.
bool plainScalar(const mesos::Resource& r) {
  if (r.type() != mesos::Value::SCALAR || r.name().empty() || !r.has_scalar() || r.has_ranges() ||
      r.has_set() || r.has_disk() || r.reservations_size() > 0 ||
      (r.has_role() && r.role() != "*")) {
    return false;
  }
  if (r.has_allocation_info() && r.allocation_info().has_role() &&
      r.allocation_info().role() != "*") {
    return false;
  }
  const double v = r.scalar().value();
  return std::isfinite(v) && v >= 0 && (v == 0 || toFixed(v) != 0);
}

}  // namespace

void writeResourcesSlow(Out& w, const Resources& r) {
  w.beginObject();
  for (const char* name : kWellKnown) {
    w.key(name);
    w.num(r.scalar(name).value_or(0.0));
  }
  std::map<std::string, double> other_scalars;
  std::map<std::string, std::vector<std::pair<uint64_t, uint64_t>>> ranges;
  std::map<std::string, std::set<std::string>> sets;
  for (const auto& res : r.proto()) {
    const std::string& n = res.name();
    if (wellKnownIndex(n) >= 0) continue;
    if (res.type() == mesos::Value::SCALAR) {
      other_scalars[n] += res.scalar().value();
    } else if (res.type() == mesos::Value::RANGES) {
      for (const auto& range : res.ranges().range()) {
        ranges[n].emplace_back(range.begin(), range.end());
      }
    } else if (res.type() == mesos::Value::SET) {
      sets[n].insert(res.set().item().begin(), res.set().item().end());
    }
  }
  for (const auto& [n, v] : other_scalars) {
    w.dataKey(n);
    w.num(v);
  }
  for (auto& [n, list] : ranges) {
    std::sort(list.begin(), list.end());
    std::string text = "[";
    for (size_t i = 0; i < list.size(); ++i) {
      if (i > 0) text += ", ";
      text += std::to_string(list[i].first) + "-" + std::to_string(list[i].second);
    }
    w.dataKey(n);
    w.str(text + "]");
  }
  for (const auto& [n, items] : sets) {
    std::string text = "{";
    bool first = true;
    for (const auto& item : items) {
      if (!first) text += ", ";
      first = false;
      text += item;
    }
    w.dataKey(n);
    w.str(text + "}");
  }
  w.endObject();
}

void ResourceSum::add(const mesos::Resource& r) {
  if (!exact_ || !(plainScalar(r) || Resources::validate(r).isOk())) return;
  if ((r.has_role() && r.role() != "*" && r.reservations_size() == 0) || r.has_shared()) {
    exact_ = false;  // legacy roles are rewritten, shared resources kept apart
    return;
  }
  int known = wellKnownIndex(r.name());
  if (known >= 0) {
    if (r.type() == mesos::Value::SCALAR) known_[known] += toFixed(r.scalar().value());
    return;
  }
  switch (r.type()) {
    case mesos::Value::SCALAR: {
      int64_t fixed = toFixed(r.scalar().value());
      if (fixed == 0) return;
      if (Named* n = find(scalars_, r)) {
        n->fixed += fixed;
      } else if (exact_) {
        scalars_.push_back(Named{&r, fixed, {}, {}});
      }
      break;
    }
    case mesos::Value::RANGES: {
      if (r.ranges().range_size() == 0) return;
      Named* n = find(ranges_, r);
      if (n == nullptr) {
        if (!exact_) return;
        ranges_.push_back(Named{&r, 0, {}, {}});
        n = &ranges_.back();
      }
      for (const auto& x : r.ranges().range()) n->intervals.emplace_back(x.begin(), x.end());
      break;
    }
    case mesos::Value::SET: {
      if (r.set().item_size() == 0) return;
      Named* n = nullptr;
      for (auto& s : sets_) {
        if (s.first->name() == r.name()) n = &s;
      }
      if (n == nullptr) {
        sets_.push_back(Named{&r, 0, {}, {}});
        n = &sets_.back();
      }
      for (const auto& item : r.set().item()) n->items.emplace_back(item);
      break;
    }
    default:
      break;
  }
}

void ResourceSum::add(const ResourceSum& that) {
  if (!that.exact_) exact_ = false;
  if (!exact_) return;
  for (int i = 0; i < 4; ++i) known_[i] += that.known_[i];
  for (const auto& x : that.scalars_) {
    if (Named* n = find(scalars_, *x.first)) {
      n->fixed += x.fixed;
    } else if (exact_) {
      scalars_.push_back(x);
    }
  }
  for (const auto& x : that.ranges_) {
    if (Named* n = find(ranges_, *x.first)) {
      n->intervals.insert(n->intervals.end(), x.intervals.begin(), x.intervals.end());
    } else if (exact_) {
      ranges_.push_back(x);
    }
  }
  for (const auto& x : that.sets_) {
    Named* n = nullptr;
    for (auto& s : sets_) {
      if (s.first->name() == x.first->name()) n = &s;
    }
    if (n != nullptr) {
      n->items.insert(n->items.end(), x.items.begin(), x.items.end());
    } else {
      sets_.push_back(x);
    }
  }
}

void ResourceSum::write(Out& w) {
  w.beginObject();
  for (int i = 0; i < 4; ++i) {
    w.key(kWellKnown[i]);
    w.thousandths(known_[i]);
  }
  auto byName = [](const Named& a, const Named& b) { return a.first->name() < b.first->name(); };
  std::sort(scalars_.begin(), scalars_.end(), byName);
  for (const auto& n : scalars_) {
    w.dataKey(n.first->name());
    w.thousandths(n.fixed);
  }
  std::sort(ranges_.begin(), ranges_.end(), byName);
  for (auto& n : ranges_) {
    coalesceIntervals(&n.intervals);
    std::string text = "[";
    char buffer[24];
    for (size_t i = 0; i < n.intervals.size(); ++i) {
      if (i > 0) text += ", ";
      text.append(buffer, std::to_chars(buffer, buffer + 24, n.intervals[i].first).ptr);
      text += '-';
      text.append(buffer, std::to_chars(buffer, buffer + 24, n.intervals[i].second).ptr);
    }
    text += ']';
    w.dataKey(n.first->name());
    w.str(text);
  }
  std::sort(sets_.begin(), sets_.end(), byName);
  for (auto& n : sets_) {
    std::sort(n.items.begin(), n.items.end());
    n.items.erase(std::unique(n.items.begin(), n.items.end()), n.items.end());
    std::string text = "{";
    for (size_t i = 0; i < n.items.size(); ++i) {
      if (i > 0) text += ", ";
      text.append(n.items[i]);
    }
    text += '}';
    w.dataKey(n.first->name());
    w.str(text);
  }
  w.endObject();
}

ResourceSum::Named* ResourceSum::find(std::vector<Named>& list, const mesos::Resource& r) {
  for (auto& n : list) {
    if (n.first->name() == r.name()) {
      if (!Resources::sameIdentity(*n.first, r)) exact_ = false;
      return exact_ ? &n : nullptr;
    }
  }
  return nullptr;
}

}  // namespace keel::master::state_json
