#include "allocator/bundle.hpp"

#include <algorithm>
#include <climits>
#include <cmath>

#include "allocator/drf_sorter.hpp"
#include "common/intervals.hpp"

namespace keel::allocator {

namespace {

using Interval = Bundle::Interval;
using mesos::Resource;
using mesos::Value;

constexpr uint32_t kNone = UINT32_MAX;

int64_t toFixed(double v) { return std::llround(v * 1000.0); }

// Merges `o` into `mine` (same shape).
void merge(Bundle::Item* mine, const Bundle::Item& o) {
  mine->scalar += o.scalar;
  if (!o.ranges.empty()) {
    mine->ranges.insert(mine->ranges.end(), o.ranges.begin(), o.ranges.end());
    coalesceIntervals(&mine->ranges);
  }
}

}  // namespace

bool specialResource(const Resource& r) {
  if (r.type() != Value::SCALAR && r.type() != Value::RANGES) {
    return true;
  }
  if (!r.has_disk()) {
    return false;
  }
  if (r.disk().has_persistence()) {
    return true;
  }
  if (!r.disk().has_source()) {
    return false;
  }
  using Source = Resource::DiskInfo::Source;
  const auto& s = r.disk().source();
  return s.type() == Source::MOUNT || s.type() == Source::BLOCK ||
         (s.type() == Source::RAW && s.has_id());
}

uint32_t ShapeTable::intern(const Resource& r) {
  const std::string& reservation_role = Resources::reservationRole(r);
  std::string key;
  key.reserve(r.name().size() + r.allocation_info().role().size() + reservation_role.size() + 3);
  key.append(r.name()).push_back('\0');
  key.append(r.has_allocation_info() ? "+" : "-").append(r.allocation_info().role());
  key.push_back('\0');
  key.append(reservation_role);
  std::vector<uint32_t>& candidates = by_key_[key];
  for (uint32_t s : candidates) {
    if (Resources::sameIdentity(shapes_[s].proto, r)) {
      return s;
    }
  }
  Resource id = r;
  id.clear_scalar();
  id.clear_ranges();
  id.clear_set();
  Shape shape;
  shape.type = id.type();
  shape.name = context_->nameIndex(id.name());
  shape.allocated = id.has_allocation_info();
  shape.allocation_role = id.allocation_info().role();
  shape.reserved = id.reservations_size() > 0;
  shape.reservation_role = Resources::reservationRole(id);
  shape.revocable = id.has_revocable();
  shape.shared = id.has_shared();
  shape.refined = id.reservations_size() > 1;
  shape.proto = std::move(id);
  uint32_t s = static_cast<uint32_t>(shapes_.size());
  shapes_.push_back(std::move(shape));
  unallocated_.push_back(kNone);
  by_role_.emplace_back();
  candidates.push_back(s);
  return s;
}

uint32_t ShapeTable::withRole(uint32_t s, uint32_t role_slot, const std::string& role) {
  if (by_role_[s].size() > role_slot && by_role_[s][role_slot] != kNone) {
    return by_role_[s][role_slot];
  }
  Resource r = shapes_[s].proto;
  r.mutable_allocation_info()->set_role(role);
  uint32_t t = intern(r);
  if (by_role_[s].size() <= role_slot) {
    by_role_[s].resize(role_slot + 1, kNone);
  }
  by_role_[s][role_slot] = t;
  return t;
}

uint32_t ShapeTable::withoutRole(uint32_t s) {
  if (unallocated_[s] != kNone) {
    return unallocated_[s];
  }
  Resource r = shapes_[s].proto;
  r.clear_allocation_info();
  uint32_t t = intern(r);
  unallocated_[s] = t;
  return t;
}

Bundle Bundle::from(const Resources& r, ShapeTable& table) {
  Bundle b;
  for (const auto& x : r) {
    if (specialResource(x)) {
      b.rest_ += x;
      continue;
    }
    Item item;
    item.shape = table.intern(x);
    if (x.type() == Value::SCALAR) {
      item.scalar = toFixed(x.scalar().value());
    } else {
      item.ranges.reserve(x.ranges().range_size());
      for (const auto& y : x.ranges().range()) {
        item.ranges.emplace_back(y.begin(), y.end());
      }
      coalesceIntervals(&item.ranges);
    }
    b.items_.push_back(std::move(item));
  }
  b.normalize();
  return b;
}

Resources Bundle::toResources(const ShapeTable& table) const {
  Resources out = rest_;
  for (const auto& item : items_) {
    Resource r = table[item.shape].proto;
    if (r.type() == Value::SCALAR) {
      r.mutable_scalar()->set_value(static_cast<double>(item.scalar) / 1000.0);
    } else {
      auto* ranges = r.mutable_ranges();
      ranges->mutable_range()->Reserve(static_cast<int>(item.ranges.size()));
      for (const auto& [b, e] : item.ranges) {
        auto* y = ranges->add_range();
        y->set_begin(b);
        y->set_end(e);
      }
    }
    out += r;
  }
  return out;
}

void Bundle::normalize() {
  if (items_.size() < 2) {
    return;
  }
  std::sort(items_.begin(), items_.end(),
            [](const Item& a, const Item& b) { return a.shape < b.shape; });
  size_t out = 0;
  for (size_t i = 1; i < items_.size(); ++i) {
    if (items_[i].shape == items_[out].shape) {
      merge(&items_[out], items_[i]);
    } else if (++out != i) {
      items_[out] = std::move(items_[i]);
    }
  }
  items_.resize(out + 1);
}

Bundle& Bundle::add(const Bundle& o) {
  if (this == &o) {
    Bundle copy = o;
    return add(copy);
  }
  if (empty()) {
    *this = o;
    return *this;
  }
  for (const auto& oi : o.items_) {
    auto it = std::lower_bound(items_.begin(), items_.end(), oi.shape,
                               [](const Item& a, uint32_t s) { return a.shape < s; });
    if (it != items_.end() && it->shape == oi.shape) {
      merge(&*it, oi);
    } else {
      items_.insert(it, oi);
    }
  }
  if (!o.rest_.empty()) {
    rest_ += o.rest_;
  }
  return *this;
}

Bundle& Bundle::subtract(const Bundle& o) {
  if (this == &o) {
    *this = Bundle();
    return *this;
  }
  for (const auto& oi : o.items_) {
    auto it = std::lower_bound(items_.begin(), items_.end(), oi.shape,
                               [](const Item& a, uint32_t s) { return a.shape < s; });
    if (it == items_.end() || it->shape != oi.shape) {
      continue;
    }
    bool gone;
    if (oi.ranges.empty() && it->ranges.empty()) {
      it->scalar -= oi.scalar;
      gone = it->scalar <= 0;
    } else {
      it->ranges = subtractIntervals(it->ranges, oi.ranges);
      gone = it->ranges.empty();
    }
    if (gone) {
      items_.erase(it);
    }
  }
  if (!o.rest_.empty() && !rest_.empty()) {
    rest_ -= o.rest_;
  }
  return *this;
}

bool Bundle::contains(const Bundle& o) const {
  for (const auto& oi : o.items_) {
    auto it = std::lower_bound(items_.begin(), items_.end(), oi.shape,
                               [](const Item& a, uint32_t s) { return a.shape < s; });
    if (it == items_.end() || it->shape != oi.shape) {
      return false;
    }
    if (oi.ranges.empty() && it->ranges.empty()) {
      if (oi.scalar > it->scalar) {
        return false;
      }
    } else if (!coversIntervals(it->ranges, oi.ranges)) {
      return false;
    }
  }
  return o.rest_.empty() || rest_.contains(o.rest_);
}

bool Bundle::operator==(const Bundle& o) const {
  if (items_.size() != o.items_.size()) {
    return false;
  }
  for (size_t i = 0; i < items_.size(); ++i) {
    if (items_[i].shape != o.items_[i].shape || items_[i].scalar != o.items_[i].scalar ||
        items_[i].ranges != o.items_[i].ranges) {
      return false;
    }
  }
  return rest_ == o.rest_;
}

Bundle Bundle::select(const ShapeTable& table, const std::function<bool(const Shape&)>& item,
                      const std::function<bool(const Resource&)>& rest) const {
  Bundle out;
  for (const auto& i : items_) {
    if (item(table[i.shape])) {
      out.items_.push_back(i);
    }
  }
  if (!rest_.empty()) {
    out.rest_ = rest_.filter(rest);
  }
  return out;
}

bool Bundle::all(const ShapeTable& table, const std::function<bool(const Shape&)>& item,
                 const std::function<bool(const Resource&)>& rest) const {
  return std::all_of(items_.begin(), items_.end(),
                     [&](const Item& i) { return item(table[i.shape]); }) &&
         std::all_of(rest_.begin(), rest_.end(), rest);
}

Bundle Bundle::withRole(ShapeTable& table, uint32_t role_slot, const std::string& role) const {
  Bundle out;
  out.items_ = items_;
  for (auto& i : out.items_) {
    i.shape = table.withRole(i.shape, role_slot, role);
  }
  out.normalize();
  if (!rest_.empty()) {
    out.rest_ = rest_.allocate(role);
  }
  return out;
}

Bundle Bundle::unallocated(ShapeTable& table) const {
  Bundle out;
  out.items_ = items_;
  for (auto& i : out.items_) {
    i.shape = table.withoutRole(i.shape);
  }
  out.normalize();
  if (!rest_.empty()) {
    out.rest_ = rest_.unallocated();
  }
  return out;
}

double Bundle::quantity(const ShapeTable& table, uint32_t name,
                        const std::string& name_text) const {
  int64_t fixed = 0;
  double count = 0;
  for (const auto& i : items_) {
    if (table[i.shape].name != name) {
      continue;
    }
    if (table[i.shape].type == Value::SCALAR) {
      fixed += i.scalar;
    } else {
      for (const auto& [b, e] : i.ranges) {
        count += static_cast<double>(e - b + 1);
      }
    }
  }
  double total = static_cast<double>(fixed) / 1000.0 + count;
  for (const auto& r : rest_) {
    if (r.name() != name_text) {
      continue;
    }
    switch (r.type()) {
      case Value::SCALAR:
        total += r.scalar().value();
        break;
      case Value::RANGES:
        for (const auto& x : r.ranges().range()) {
          total += static_cast<double>(x.end() - x.begin() + 1);
        }
        break;
      case Value::SET:
        total += r.set().item_size();
        break;
      default:
        break;
    }
  }
  return total;
}

void Bundle::addScalars(const ShapeTable& table, ShareContext* context, int sign,
                        std::vector<int64_t>* q) const {
  for (const auto& i : items_) {
    const Shape& s = table[i.shape];
    if (s.type != Value::SCALAR) {
      continue;
    }
    if (q->size() <= s.name) {
      q->resize(s.name + 1, 0);
    }
    (*q)[s.name] += sign * i.scalar;
  }
  if (!rest_.empty()) {
    context->accumulate(rest_, sign, q);
  }
}

}  // namespace keel::allocator
