#include "common/resource_conversions.hpp"

#include <string>

namespace keel {

namespace {

using mesos::Resource;

// The resource a dynamic reservation was made from: the top of the stack popped.
Resource withoutTopReservation(const Resource& r) {
  Resource out = r;
  out.mutable_reservations()->RemoveLast();
  return out;
}

// The plain reserved disk a persistent volume was made from.
Resource withoutVolume(const Resource& r) {
  Resource out = r;
  out.mutable_disk()->clear_persistence();
  out.mutable_disk()->clear_volume();
  if (!out.disk().has_source()) {
    out.clear_disk();
  }
  out.clear_shared();
  return out;
}

Result<std::vector<ResourceConversion>> reserveConversions(const Resources& resources,
                                                           bool reserve) {
  std::vector<ResourceConversion> out;
  for (const Resource& r : resources) {
    if (!isDynamicallyReserved(r)) {
      return Status::error("Resource " + toString(r) + " is not dynamically reserved");
    }
    Resources reserved(r);
    Resources plain(withoutTopReservation(r));
    if (reserve) {
      out.push_back({plain, reserved});
    } else {
      out.push_back({reserved, plain});
    }
  }
  return out;
}

Result<std::vector<ResourceConversion>> volumeConversions(const Resources& volumes, bool create) {
  std::vector<ResourceConversion> out;
  for (const Resource& r : volumes) {
    if (!isPersistentVolume(r)) {
      return Status::error("Resource " + toString(r) + " is not a persistent volume");
    }
    Resources volume(r);
    Resources plain(withoutVolume(r));
    if (create) {
      out.push_back({plain, volume});
    } else {
      out.push_back({volume, plain});
    }
  }
  return out;
}

}  // namespace

bool isDynamicallyReserved(const Resource& r) {
  if (r.reservations_size() > 0) {
    return r.reservations(r.reservations_size() - 1).type() ==
           Resource::ReservationInfo::DYNAMIC;
  }
  return r.has_reservation();  // pre-refinement form
}

bool isPersistentVolume(const Resource& r) {
  return r.has_disk() && r.disk().has_persistence();
}

bool needsCheckpointing(const Resource& r) {
  return !r.has_provider_id() && (isDynamicallyReserved(r) || isPersistentVolume(r));
}

Result<std::vector<ResourceConversion>> conversionsOf(const mesos::Offer::Operation& operation) {
  using Op = mesos::Offer::Operation;
  switch (operation.type()) {
    case Op::RESERVE:
      return reserveConversions(Resources(operation.reserve().resources()), true);
    case Op::UNRESERVE:
      return reserveConversions(Resources(operation.unreserve().resources()), false);
    case Op::CREATE:
      return volumeConversions(Resources(operation.create().volumes()), true);
    case Op::DESTROY:
      return volumeConversions(Resources(operation.destroy().volumes()), false);
    default:
      return Status::error("Operation " + Op::Type_Name(operation.type()) +
                           " is not a speculative resource conversion");
  }
}

Result<Resources> applyConversions(const Resources& resources,
                                   const std::vector<ResourceConversion>& conversions) {
  Resources out = resources;
  for (const ResourceConversion& c : conversions) {
    if (!out.contains(c.consumed)) {
      return Status::error(out.str() + " does not contain " + c.consumed.str());
    }
    out -= c.consumed;
    out += c.converted;
  }
  return out;
}

Result<Resources> applyCheckpointedResources(const Resources& total,
                                             const Resources& checkpointed) {
  Resources out = total;
  for (const Resource& r : checkpointed) {
    if (!needsCheckpointing(r)) {
      return Status::error("Unexpected checkpointed resource " + toString(r));
    }
    Resource plain = r;
    if (isPersistentVolume(plain)) {
      plain = withoutVolume(plain);
    }
    // Pop every dynamic reservation: what is left is unreserved or statically reserved.
    while (isDynamicallyReserved(plain) && plain.reservations_size() > 0) {
      plain = withoutTopReservation(plain);
    }
    Resources from(plain);
    if (!out.contains(from)) {
      return Status::error("Failed to apply checkpointed resource " + toString(r) +
                           " to the agent's resources " + out.str());
    }
    out -= from;
    out += r;
  }
  return out;
}

}  // namespace keel
