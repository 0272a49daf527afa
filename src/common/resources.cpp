#include "common/resources.hpp"

#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <sstream>
#include <unordered_set>
#include <utility>

#include "common/intervals.hpp"

namespace keel {

namespace {

using mesos::Resource;
using mesos::Value;

int64_t toFixed(double v) { return std::llround(v * 1000.0); }

double fromFixed(int64_t f) {
  // One correctly rounded division yields the double nearest the decimal value, i.e. the
  // same double as parsing its 3-decimal text.
  return static_cast<double>(f) / 1000.0;
}

// Adds the scalar of `that` to `mine` (same identity), in the 3-decimal fixed point.
void addScalar(Resource& mine, const Resource& that) {
  mine.mutable_scalar()->set_value(
      fromFixed(toFixed(mine.scalar().value()) + toFixed(that.scalar().value())));
}

std::vector<Interval> intervals(const Value::Ranges& r) {
  std::vector<Interval> out;
  out.reserve(r.range_size());
  for (const auto& x : r.range()) {
    out.emplace_back(x.begin(), x.end());
  }
  return out;
}

void store(const std::vector<Interval>& v, Value::Ranges* r) {
  r->clear_range();
  r->mutable_range()->Reserve(static_cast<int>(v.size()));
  for (const auto& [b, e] : v) {
    auto* x = r->add_range();
    x->set_begin(b);
    x->set_end(e);
  }
}


// Whether coalesced `big` covers every interval of coalesced `small` (no copies).
bool coversRanges(const Value::Ranges& big, const Value::Ranges& small) {
  int j = 0;
  for (const auto& s : small.range()) {
    while (j < big.range_size() && big.range(j).end() < s.begin()) {
      ++j;
    }
    if (j == big.range_size() || big.range(j).begin() > s.begin() || big.range(j).end() < s.end()) {
      return false;
    }
  }
  return true;
}

bool rangesEqual(const Value::Ranges& a, const Value::Ranges& b) {
  if (a.range_size() != b.range_size()) {
    return false;
  }
  for (int i = 0; i < a.range_size(); ++i) {
    if (a.range(i).begin() != b.range(i).begin() || a.range(i).end() != b.range(i).end()) {
      return false;
    }
  }
  return true;
}

bool labelsEqual(const mesos::Labels& a, const mesos::Labels& b) {
  if (a.labels_size() != b.labels_size()) {
    return false;
  }
  for (int i = 0; i < a.labels_size(); ++i) {
    const auto& x = a.labels(i);
    const auto& y = b.labels(i);
    if (x.key() != y.key() || x.has_value() != y.has_value() || x.value() != y.value()) {
      return false;
    }
  }
  return true;
}

bool reservationEqual(const Resource::ReservationInfo& a, const Resource::ReservationInfo& b) {
  return a.type() == b.type() && a.role() == b.role() && a.has_principal() == b.has_principal() &&
         a.principal() == b.principal() && a.has_labels() == b.has_labels() &&
         (!a.has_labels() || labelsEqual(a.labels(), b.labels()));
}

bool diskEqual(const Resource::DiskInfo& a, const Resource::DiskInfo& b) {
  // The volume (container path, mode) describes a use, not the disk; it is not identity.
  if (a.has_source() != b.has_source() || a.has_persistence() != b.has_persistence()) {
    return false;
  }
  if (a.has_persistence() && a.persistence().id() != b.persistence().id()) {
    return false;
  }
  return !a.has_source() ||
         google::protobuf::util::MessageDifferencer::Equals(a.source(), b.source());
}

// Exclusive disks (MOUNT, BLOCK, RAW with an id) and persistent volumes never merge.
bool exclusiveDisk(const Resource& r) {
  if (!r.has_disk()) {
    return false;
  }
  if (r.disk().has_persistence()) {
    return true;
  }
  if (!r.disk().has_source()) {
    return false;
  }
  const auto& s = r.disk().source();
  using Source = Resource::DiskInfo::Source;
  return s.type() == Source::MOUNT || s.type() == Source::BLOCK ||
         (s.type() == Source::RAW && s.has_id());
}

bool valuesEqual(const Resource& a, const Resource& b) {
  switch (a.type()) {
    case Value::SCALAR:
      return toFixed(a.scalar().value()) == toFixed(b.scalar().value());
    case Value::RANGES:
      return rangesEqual(a.ranges(), b.ranges());  // both coalesced
    case Value::SET: {
      if (a.set().item_size() != b.set().item_size()) {
        return false;
      }
      std::unordered_set<std::string> items(a.set().item().begin(), a.set().item().end());
      return std::all_of(b.set().item().begin(), b.set().item().end(),
                         [&](const std::string& s) { return items.count(s) > 0; });
    }
    default:
      return false;
  }
}

// Whether `big` (same identity as `small`) holds at least `small`'s value.
bool valueContains(const Resource& big, const Resource& small) {
  switch (big.type()) {
    case Value::SCALAR:
      return toFixed(small.scalar().value()) <= toFixed(big.scalar().value());
    case Value::RANGES:
      return coversRanges(big.ranges(), small.ranges());
    case Value::SET: {
      if (small.set().item_size() > big.set().item_size()) {
        return false;
      }
      std::unordered_set<std::string> items(big.set().item().begin(), big.set().item().end());
      return std::all_of(small.set().item().begin(), small.set().item().end(),
                         [&](const std::string& s) { return items.count(s) > 0; });
    }
    default:
      return false;
  }
}

bool isEmptyValue(const Resource& r) {
  switch (r.type()) {
    case Value::SCALAR:
      return toFixed(r.scalar().value()) == 0;
    case Value::RANGES:
      return r.ranges().range_size() == 0;
    case Value::SET:
      return r.set().item_size() == 0;
    default:
      return true;
  }
}

Status validateRole(const std::string& role) {
  if (role == "*") {
    return Status::ok();
  }
  if (role.empty() || role.front() == '/' || role.back() == '/') {
    return Status::error("Invalid role '" + role + "'");
  }
  size_t start = 0;
  while (start <= role.size()) {
    size_t slash = role.find('/', start);
    std::string part =
        role.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part.empty() || part == "." || part == ".." || part == "*" || part.front() == '-') {
      return Status::error("Invalid role '" + role + "'");
    }
    for (char c : part) {
      if (std::isspace(static_cast<unsigned char>(c)) || c == '\b' || c == 0x7f) {
        return Status::error("Invalid role '" + role + "': contains whitespace");
      }
    }
    if (slash == std::string::npos) {
      break;
    }
    start = slash + 1;
  }
  return Status::ok();
}

}  // namespace

double Resources::round(double value) { return fromFixed(toFixed(value)); }

const std::string& Resources::reservationRole(const Resource& r) {
  static const std::string kStar = "*";
  if (r.reservations_size() > 0) {
    return r.reservations(r.reservations_size() - 1).role();
  }
  return r.has_role() && !r.role().empty() ? r.role() : kStar;
}

void Resources::upgrade(Resource* r) {
  if (r->reservations_size() == 0 && r->has_role() && r->role() != "*") {
    auto* res = r->add_reservations();
    res->set_role(r->role());
    if (r->has_reservation()) {
      res->set_type(Resource::ReservationInfo::DYNAMIC);
      if (r->reservation().has_principal()) {
        res->set_principal(r->reservation().principal());
      }
      if (r->reservation().has_labels()) {
        *res->mutable_labels() = r->reservation().labels();
      }
    } else {
      res->set_type(Resource::ReservationInfo::STATIC);
    }
  }
  r->clear_role();
  r->clear_reservation();
}

bool Resources::sameIdentity(const Resource& a, const Resource& b) {
  if (a.name() != b.name() || a.type() != b.type() ||
      a.has_allocation_info() != b.has_allocation_info() ||
      a.allocation_info().role() != b.allocation_info().role() ||
      a.reservations_size() != b.reservations_size() || a.has_disk() != b.has_disk() ||
      a.has_revocable() != b.has_revocable() || a.has_shared() != b.has_shared() ||
      a.has_provider_id() != b.has_provider_id()) {
    return false;
  }
  for (int i = 0; i < a.reservations_size(); ++i) {
    if (!reservationEqual(a.reservations(i), b.reservations(i))) {
      return false;
    }
  }
  if (a.has_provider_id() && a.provider_id().value() != b.provider_id().value()) {
    return false;
  }
  return !a.has_disk() || diskEqual(a.disk(), b.disk());
}

Status Resources::validate(const Resource& r) {
  if (r.name().empty()) {
    return Status::error("Empty resource name");
  }
  switch (r.type()) {
    case Value::SCALAR: {
      if (!r.has_scalar() || r.has_ranges() || r.has_set()) {
        return Status::error("Invalid scalar resource '" + r.name() + "'");
      }
      double v = r.scalar().value();
      if (!std::isfinite(v) || v < 0) {
        return Status::error("Invalid scalar resource '" + r.name() + "': value < 0");
      }
      if (v != 0 && toFixed(v) == 0) {
        return Status::error("Invalid scalar resource '" + r.name() +
                             "': value rounds to 0 at 3-decimal precision");
      }
      break;
    }
    case Value::RANGES: {
      if (r.has_scalar() || !r.has_ranges() || r.has_set()) {
        return Status::error("Invalid ranges resource '" + r.name() + "'");
      }
      auto v = intervals(r.ranges());
      for (const auto& [b, e] : v) {
        if (b > e) {
          return Status::error("Invalid ranges resource '" + r.name() + "': begin > end");
        }
      }
      std::sort(v.begin(), v.end());
      for (size_t i = 1; i < v.size(); ++i) {
        if (v[i].first <= v[i - 1].second) {
          return Status::error("Invalid ranges resource '" + r.name() + "': overlapping ranges");
        }
      }
      break;
    }
    case Value::SET: {
      if (r.has_scalar() || r.has_ranges() || !r.has_set()) {
        return Status::error("Invalid set resource '" + r.name() + "'");
      }
      std::unordered_set<std::string> seen;
      for (const auto& item : r.set().item()) {
        if (!seen.insert(item).second) {
          return Status::error("Invalid set resource '" + r.name() + "': duplicated elements");
        }
      }
      break;
    }
    default:
      return Status::error("Unsupported resource type for '" + r.name() + "'");
  }
  if (r.has_disk() && r.name() != "disk") {
    return Status::error("DiskInfo should not be set for " + r.name() + " resource");
  }
  if (r.has_role()) {
    RETURN_IF_ERROR(validateRole(r.role()));
  }
  for (int i = 0; i < r.reservations_size(); ++i) {
    const auto& res = r.reservations(i);
    RETURN_IF_ERROR(validateRole(res.role()));
    if (res.role() == "*") {
      return Status::error("Invalid reservation: role \"*\" cannot be reserved");
    }
    if (i > 0 && res.type() != Resource::ReservationInfo::DYNAMIC) {
      return Status::error("Invalid reservation: refined reservations must be dynamic");
    }
  }
  if (r.has_allocation_info() && r.allocation_info().has_role()) {
    RETURN_IF_ERROR(validateRole(r.allocation_info().role()));
  }
  return Status::ok();
}

Status Resources::validate(const Proto& resources) {
  for (const auto& r : resources) {
    Status s = validate(r);
    if (!s.isOk()) {
      return Status::error("Resource '" + toString(r) + "' is invalid: " + s.message());
    }
  }
  return Status::ok();
}

std::optional<Resource> Resources::normalize(const Resource& r) {
  if (!validate(r).isOk()) {
    return std::nullopt;
  }
  Resource copy = r;
  upgrade(&copy);
  if (copy.type() == Value::SCALAR) {
    copy.mutable_scalar()->set_value(round(copy.scalar().value()));
  } else if (copy.type() == Value::RANGES) {
    auto v = intervals(copy.ranges());
    coalesceIntervals(&v);
    store(v, copy.mutable_ranges());
  }
  if (isEmptyValue(copy)) {
    return std::nullopt;
  }
  return copy;
}

Resources::Resources(const Proto& resources) {
  for (const auto& r : resources) {
    *this += r;
  }
}

Resources::Resources(const Resource& resource) { *this += resource; }

Resources::Resources(const std::vector<Resource>& resources) {
  for (const auto& r : resources) {
    *this += r;
  }
}

void Resources::addNormalized(const Resource& that) {
  if (!exclusiveDisk(that)) {
    for (auto& mine : resources_) {
      if (!sameIdentity(mine, that)) {
        continue;
      }
      switch (mine.type()) {
        case Value::SCALAR:
          addScalar(mine, that);
          break;
        case Value::RANGES: {
          auto v = intervals(mine.ranges());
          for (const auto& x : that.ranges().range()) {
            v.emplace_back(x.begin(), x.end());
          }
          coalesceIntervals(&v);
          store(v, mine.mutable_ranges());
          break;
        }
        case Value::SET: {
          std::unordered_set<std::string> have(mine.set().item().begin(), mine.set().item().end());
          for (const auto& item : that.set().item()) {
            if (have.insert(item).second) {
              mine.mutable_set()->add_item(item);
            }
          }
          break;
        }
        default:
          break;
      }
      return;
    }
  } else {
    for (const auto& mine : resources_) {
      if (sameIdentity(mine, that) && valuesEqual(mine, that)) {
        return;  // The same exclusive disk is already here.
      }
    }
  }
  *resources_.Add() = that;
}

void Resources::subtractNormalized(const Resource& that) {
  for (int i = 0; i < resources_.size(); ++i) {
    Resource& mine = *resources_.Mutable(i);
    if (!sameIdentity(mine, that)) {
      continue;
    }
    if (exclusiveDisk(that) && !valuesEqual(mine, that)) {
      continue;
    }
    bool gone = false;
    switch (mine.type()) {
      case Value::SCALAR: {
        int64_t left = toFixed(mine.scalar().value()) - toFixed(that.scalar().value());
        gone = left <= 0;  // Subtracting more than there is leaves nothing.
        mine.mutable_scalar()->set_value(fromFixed(left));
        break;
      }
      case Value::RANGES: {
        auto v = subtractIntervals(intervals(mine.ranges()), intervals(that.ranges()));
        store(v, mine.mutable_ranges());
        gone = v.empty();
        break;
      }
      case Value::SET: {
        std::unordered_set<std::string> drop(that.set().item().begin(), that.set().item().end());
        auto* items = mine.mutable_set()->mutable_item();
        int out = 0;
        for (int k = 0; k < items->size(); ++k) {
          if (!drop.count(items->Get(k))) {
            items->Mutable(out++)->swap(*items->Mutable(k));
          }
        }
        items->DeleteSubrange(out, items->size() - out);
        gone = out == 0;
        break;
      }
      default:
        break;
    }
    if (exclusiveDisk(that)) {
      gone = true;
    }
    if (gone) {
      // Order is not meaningful; swap with the last entry to erase in O(1).
      resources_.SwapElements(i, resources_.size() - 1);
      resources_.RemoveLast();
    }
    return;
  }
}

Resources& Resources::operator+=(const Resource& that) {
  // The common case when summing tasks' resources: a valid scalar without legacy role
  // fields that merges into an entry held already needs no normalised copy (normalising
  // would only round the value, which the fixed-point sum does anyway).
  if (that.type() == Value::SCALAR && that.has_scalar() && !that.has_role() &&
      !that.has_reservation() && !exclusiveDisk(that) && toFixed(that.scalar().value()) > 0 &&
      validate(that).isOk()) {
    for (auto& mine : resources_) {
      if (sameIdentity(mine, that)) {
        addScalar(mine, that);
        return *this;
      }
    }
  }
  if (auto n = normalize(that)) {
    addNormalized(*n);
  }
  return *this;
}

Resources& Resources::operator-=(const Resource& that) {
  if (auto n = normalize(that)) {
    subtractNormalized(*n);
  }
  return *this;
}

Resources& Resources::operator+=(const Resources& that) {
  if (this == &that) {
    Resources copy = that;
    return *this += copy;
  }
  if (empty()) {
    resources_ = that.resources_;
    return *this;
  }
  for (const auto& r : that.resources_) {
    addNormalized(r);
  }
  return *this;
}

Resources& Resources::operator-=(const Resources& that) {
  if (this == &that) {
    resources_.Clear();
    return *this;
  }
  for (const auto& r : that.resources_) {
    if (empty()) {
      break;
    }
    subtractNormalized(r);
  }
  return *this;
}

Resources Resources::operator+(const Resources& that) const {
  Resources out = *this;
  out += that;
  return out;
}

Resources Resources::operator-(const Resources& that) const {
  Resources out = *this;
  out -= that;
  return out;
}

bool Resources::contains(const Resource& that) const {
  auto n = normalize(that);
  if (!n) {
    return false;
  }
  for (const auto& mine : resources_) {
    if (sameIdentity(mine, *n) && (!exclusiveDisk(mine) || valuesEqual(mine, *n)) &&
        valueContains(mine, *n)) {
      return true;
    }
  }
  return false;
}

bool Resources::contains(const Resources& that) const {
  // Entries of `that` have distinct identities, so each is checked against one entry here.
  for (const auto& r : that.resources_) {
    bool found = false;
    for (const auto& mine : resources_) {
      if (sameIdentity(mine, r) && (!exclusiveDisk(mine) || valuesEqual(mine, r)) &&
          valueContains(mine, r)) {
        found = true;
        break;
      }
    }
    if (!found) {
      return false;
    }
  }
  return true;
}

bool Resources::operator==(const Resources& that) const {
  return size() == that.size() && contains(that) && that.contains(*this);
}

std::optional<double> Resources::scalar(const std::string& name) const {
  std::optional<int64_t> total;
  for (const auto& r : resources_) {
    if (r.type() == Value::SCALAR && r.name() == name) {
      total = total.value_or(0) + toFixed(r.scalar().value());
    }
  }
  if (!total) {
    return std::nullopt;
  }
  return fromFixed(*total);
}

std::optional<Value::Ranges> Resources::ranges(const std::string& name) const {
  std::optional<std::vector<Interval>> all;
  for (const auto& r : resources_) {
    if (r.type() == Value::RANGES && r.name() == name) {
      if (!all) {
        all.emplace();
      }
      for (const auto& x : r.ranges().range()) {
        all->emplace_back(x.begin(), x.end());
      }
    }
  }
  if (!all) {
    return std::nullopt;
  }
  coalesceIntervals(&*all);
  Value::Ranges out;
  store(*all, &out);
  return out;
}

std::optional<Value::Ranges> Resources::ports() const { return ranges("ports"); }

std::vector<std::string> Resources::names() const {
  std::vector<std::string> out;
  for (const auto& r : resources_) {
    if (std::find(out.begin(), out.end(), r.name()) == out.end()) {
      out.push_back(r.name());
    }
  }
  return out;
}

bool Resources::uniformAllocation() const {
  return std::all_of(resources_.begin(), resources_.end(), [&](const Resource& r) {
    return r.has_allocation_info() == resources_.Get(0).has_allocation_info() &&
           r.allocation_info().role() == resources_.Get(0).allocation_info().role();
  });
}

Resources Resources::allocate(const std::string& role) const {
  // Entries differing only in allocation role merge once they share one; when all entries
  // share one allocation state (the usual case) identities stay distinct: no merging.
  if (uniformAllocation()) {
    Resources out = *this;
    for (auto& r : out.resources_) {
      r.mutable_allocation_info()->set_role(role);
    }
    return out;
  }
  Resources out;
  for (const auto& r : resources_) {
    Resource copy = r;
    copy.mutable_allocation_info()->set_role(role);
    out.addNormalized(copy);
  }
  return out;
}

Resources Resources::unallocated() const {
  if (uniformAllocation()) {
    Resources out = *this;
    for (auto& r : out.resources_) {
      r.clear_allocation_info();
    }
    return out;
  }
  Resources out;
  for (const auto& r : resources_) {
    Resource copy = r;
    copy.clear_allocation_info();
    out.addNormalized(copy);
  }
  return out;
}

Resources Resources::toUnreserved() const {
  Resources out;
  for (const auto& r : resources_) {
    Resource copy = r;
    copy.clear_reservations();
    copy.clear_role();
    copy.clear_reservation();
    out.addNormalized(copy);
  }
  return out;
}

Resources Resources::filter(const std::function<bool(const Resource&)>& pred) const {
  Resources out;
  for (const auto& r : resources_) {
    if (pred(r)) {
      *out.resources_.Add() = r;  // Identities stay distinct; no merge needed.
    }
  }
  return out;
}

Resources Resources::unreserved() const {
  return filter([](const Resource& r) { return r.reservations_size() == 0; });
}

Resources Resources::reserved(const std::string& role) const {
  return filter(
      [&](const Resource& r) { return r.reservations_size() > 0 && reservationRole(r) == role; });
}

Resources Resources::revocable() const {
  return filter([](const Resource& r) { return r.has_revocable(); });
}

Resources Resources::nonRevocable() const {
  return filter([](const Resource& r) { return !r.has_revocable(); });
}

Resources Resources::scalars() const {
  return filter([](const Resource& r) { return r.type() == Value::SCALAR; });
}

Resources Resources::named(const std::string& name) const {
  return filter([&](const Resource& r) { return r.name() == name; });
}

}  // namespace keel
