#pragma once

// The allocator's compact internal form of keel::Resources. Resource identities (everything
// but the value) are interned once in a ShapeTable; a Bundle then holds scalar quantities
// as 3-decimal fixed point and ranges as interval lists, keyed by shape id, so the
// allocation pass adds, subtracts, compares and re-roles resources without touching
// protobuf. Entries whose arithmetic is special (SET values, exclusive disks and
// persistent volumes) stay in a keel::Resources `rest`, so every operation matches
// keel::Resources exactly. Conversion happens at the allocator's API boundary only.

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <mesos/mesos.pb.h>

#include "common/resources.hpp"

namespace keel::allocator {

class ShareContext;

struct Shape {
  mesos::Resource proto;  // the identity; value fields cleared
  mesos::Value::Type type = mesos::Value::SCALAR;
  uint32_t name = 0;  // ShareContext name index
  bool allocated = false;
  std::string allocation_role;
  std::string reservation_role;  // "*" when unreserved
  bool reserved = false;
  bool revocable = false;
  bool shared = false;
  bool refined = false;  // more than one reservation
};

// Interned identities of SCALAR and RANGES resources. Ids are dense and never reused.
class ShapeTable {
 public:
  explicit ShapeTable(ShareContext* context) : context_(context) {}

  // The shape of a normalised resource (its value is ignored).
  uint32_t intern(const mesos::Resource& r);
  const Shape& operator[](uint32_t s) const { return shapes_[s]; }
  // The same identity with allocation_info.role = `role` (whose allocator role slot is
  // `role_slot`), or without allocation_info. Cached.
  uint32_t withRole(uint32_t s, uint32_t role_slot, const std::string& role);
  uint32_t withoutRole(uint32_t s);

 private:
  ShareContext* context_;
  std::vector<Shape> shapes_;
  // Shapes by name, allocation role and reservation role; candidates are then told apart
  // with Resources::sameIdentity(), the definition keel::Resources merges by.
  std::unordered_map<std::string, std::vector<uint32_t>> by_key_;
  std::vector<uint32_t> unallocated_;           // by shape; UINT32_MAX = not cached
  std::vector<std::vector<uint32_t>> by_role_;  // by shape, then role slot
};

// Whether keel::Resources gives `r` special arithmetic (kept in Bundle::rest).
bool specialResource(const mesos::Resource& r);

class Bundle {
 public:
  using Interval = std::pair<uint64_t, uint64_t>;  // closed
  struct Item {
    uint32_t shape;
    int64_t scalar = 0;            // fixed point ×1000, SCALAR shapes
    std::vector<Interval> ranges;  // coalesced, RANGES shapes
  };

  Bundle() = default;
  static Bundle from(const Resources& r, ShapeTable& table);
  Resources toResources(const ShapeTable& table) const;

  bool empty() const { return items_.empty() && rest_.empty(); }
  Bundle& add(const Bundle& o);
  // Scalars that would go negative leave nothing, as in keel::Resources.
  Bundle& subtract(const Bundle& o);
  bool contains(const Bundle& o) const;
  bool operator==(const Bundle& o) const;

  // Entries kept: items whose shape passes `item`, rest entries passing `rest`.
  Bundle select(const ShapeTable& table, const std::function<bool(const Shape&)>& item,
                const std::function<bool(const mesos::Resource&)>& rest) const;
  // Whether every entry passes (same predicates as select()).
  bool all(const ShapeTable& table, const std::function<bool(const Shape&)>& item,
           const std::function<bool(const mesos::Resource&)>& rest) const;
  Bundle withRole(ShapeTable& table, uint32_t role_slot, const std::string& role) const;
  Bundle unallocated(ShapeTable& table) const;

  // Sum of the entries named `name` (scalars: value, ranges: element count, sets: items).
  double quantity(const ShapeTable& table, uint32_t name, const std::string& name_text) const;
  // Scalars added into `q` by ShareContext name index (sign ±1).
  void addScalars(const ShapeTable& table, ShareContext* context, int sign,
                  std::vector<int64_t>* q) const;

  const std::vector<Item>& items() const { return items_; }
  const Resources& rest() const { return rest_; }

 private:
  void normalize();  // sorts by shape and merges equal shapes

  std::vector<Item> items_;  // sorted by shape, each non-empty
  Resources rest_;
};

}  // namespace keel::allocator
