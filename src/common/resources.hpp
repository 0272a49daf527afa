#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <google/protobuf/repeated_field.h>
#include <mesos/mesos.pb.h>

#include "common/status.hpp"

namespace keel {

// A multiset of mesos::Resource with Mesos's arithmetic (spec §1.2).
//
// Invariants kept by every operation:
// - Every entry is valid (see validate()) and non-empty: a scalar of exactly 0, an empty
//   range list or an empty set is dropped.
// - No two entries share an identity (name, type, allocation role, reservation stack, disk
//   info, revocable, provider, shared); adding merges into the matching entry.
// - Scalars are held at 3-decimal fixed-point precision (rounded on input).
// - Ranges are coalesced: sorted, non-overlapping, non-adjacent.
// - Entries are in the post-reservation-refinement format: a resource arriving with the
//   deprecated `role` (≠ "*") and no `reservations` is converted to a one-entry
//   reservation stack (DYNAMIC if it carried `reservation`, else STATIC) and `role` and
//   `reservation` are cleared.
//
// Shared resources are merged like any other identity (no per-copy count), so adding the
// same shared volume twice keeps one copy.
//
// Not thread-safe; a value type, cheap enough to copy for a handful of entries.
class Resources {
 public:
  using Proto = google::protobuf::RepeatedPtrField<mesos::Resource>;
  using const_iterator = Proto::const_iterator;

  Resources() = default;
  // Adds each resource; invalid or empty ones are silently skipped (as Mesos does).
  explicit Resources(const Proto& resources);
  explicit Resources(const mesos::Resource& resource);
  explicit Resources(const std::vector<mesos::Resource>& resources);

  // Parses Mesos's text format "cpus:4;mem:8192;ports:[31000-32000];disk(role):1000;
  // foo:{a,b}" (spaces ignored, a role in parentheses makes a STATIC reservation unless it
  // is "*"; `default_role` applies where none is given), or a JSON array of Resource
  // objects (Mesos's JSON field names, enum names as strings). Errors on malformed text,
  // invalid resources, or one name used with two types.
  static Result<Resources> parse(const std::string& text, const std::string& default_role = "*");

  // One "name(role):value" value: "4", "[1-2,5-9]" or "{a,b}". Errors if malformed.
  static Result<mesos::Resource> parse(const std::string& name, const std::string& value,
                                       const std::string& role);

  // Mesos's per-resource checks: non-empty name; the value field matching `type` (and no
  // other); scalar finite, non-negative and a non-zero value not rounding to 0; ranges with
  // begin <= end that do not overlap; unique set items; disk info only on "disk";
  // reservation stack roles valid.
  static Status validate(const mesos::Resource& resource);
  static Status validate(const Proto& resources);

  // Rounds a scalar to Mesos's 3-decimal fixed point.
  static double round(double value);

  bool empty() const { return resources_.empty(); }
  size_t size() const { return static_cast<size_t>(resources_.size()); }
  const_iterator begin() const { return resources_.begin(); }
  const_iterator end() const { return resources_.end(); }
  const Proto& proto() const { return resources_; }
  const mesos::Resource& proto(int i) const { return resources_.Get(i); }

  // Sum of the scalar resources called `name` across identities; nullopt if there are none.
  std::optional<double> scalar(const std::string& name) const;
  std::optional<double> cpus() const { return scalar("cpus"); }
  std::optional<double> mem() const { return scalar("mem"); }
  std::optional<double> disk() const { return scalar("disk"); }
  std::optional<double> gpus() const { return scalar("gpus"); }
  // Union of the ranges called "ports"; nullopt if there are none.
  std::optional<mesos::Value::Ranges> ports() const;
  // Union of the ranges called `name`.
  std::optional<mesos::Value::Ranges> ranges(const std::string& name) const;
  // Names present, each once, in first-seen order.
  std::vector<std::string> names() const;

  // A copy with allocation_info.role = `role` on every entry.
  Resources allocate(const std::string& role) const;
  // A copy with allocation_info cleared.
  Resources unallocated() const;
  // A copy with reservations (and deprecated role/reservation) cleared.
  Resources toUnreserved() const;
  // Entries that are unreserved / whose innermost reservation role is `role`.
  Resources unreserved() const;
  Resources reserved(const std::string& role) const;
  // Entries that are revocable / not revocable; scalar entries only.
  Resources revocable() const;
  Resources nonRevocable() const;
  Resources scalars() const;
  Resources filter(const std::function<bool(const mesos::Resource&)>& pred) const;
  // Entries called `name`.
  Resources named(const std::string& name) const;

  bool contains(const Resources& that) const;
  bool contains(const mesos::Resource& that) const;
  bool operator==(const Resources& that) const;
  bool operator!=(const Resources& that) const { return !(*this == that); }

  Resources operator+(const Resources& that) const;
  Resources operator-(const Resources& that) const;
  Resources& operator+=(const Resources& that);
  Resources& operator-=(const Resources& that);
  Resources& operator+=(const mesos::Resource& that);
  Resources& operator-=(const mesos::Resource& that);

  // Mesos's rendering: "cpus:4; mem:4096; ports:[31000-32000]", "{}" when empty; with
  // "(allocated: r)", "(reservations: [(STATIC,r)])", "[disk info]", "{REV}", "<SHARED>"
  // after the name as applicable.
  std::string str() const;

  // Whether two resources have the same identity (everything but the value).
  static bool sameIdentity(const mesos::Resource& a, const mesos::Resource& b);
  // The role an entry is reserved to ("*" when unreserved).
  static const std::string& reservationRole(const mesos::Resource& r);
  // Converts a legacy-format resource (role / reservation) to the refinement format.
  static void upgrade(mesos::Resource* r);

 private:
  // Adds an already valid, upgraded, normalised (rounded/coalesced) resource.
  void addNormalized(const mesos::Resource& that);
  void subtractNormalized(const mesos::Resource& that);
  // Whether every entry has the same allocation_info presence and role.
  bool uniformAllocation() const;
  // Returns a validated, upgraded and normalised copy, or nullopt if invalid or empty.
  static std::optional<mesos::Resource> normalize(const mesos::Resource& r);

  Proto resources_;
};

std::ostream& operator<<(std::ostream& os, const Resources& r);

// Mesos's rendering of one resource, e.g. "cpus(allocated: *):4".
std::string toString(const mesos::Resource& r);
// "[1-2, 5-9]".
std::string toString(const mesos::Value::Ranges& r);

}  // namespace keel
