// Validation of the speculative offer operations (spec §3.5 stage D). The order of the
// checks and the texts follow Mesos 1.12, since schedulers log them.

#include <set>
#include <string>

#include "common/resource_conversions.hpp"
#include "master/state.hpp"
#include "master/validation.hpp"

namespace keel::master {

namespace {

using mesos::Resource;

std::string rolesText(const std::set<std::string>& roles) {
  std::string out = "{ ";
  bool first = true;
  for (const auto& r : roles) {
    if (!first) out += ", ";
    out += r;
    first = false;
  }
  return out + " }";
}

// Resource validity as operations need it: Mesos's per-resource checks, plus no
// reservation to "*" and one resource provider at most.
Error validateResources(const google::protobuf::RepeatedPtrField<Resource>& resources) {
  if (Status s = Resources::validate(resources); !s.isOk()) {
    return "Invalid resources: " + s.message();
  }
  bool with_provider = false;
  bool without_provider = false;
  std::string provider;
  for (const auto& r : resources) {
    for (const auto& reservation : r.reservations()) {
      if (reservation.role() == "*") {
        return std::string("Invalid resources: Invalid reservation: role \"*\" cannot be "
                           "reserved");
      }
    }
    if (r.has_provider_id()) {
      if (with_provider && r.provider_id().value() != provider) {
        return std::string("Invalid resources: The resources have multiple resource providers");
      }
      with_provider = true;
      provider = r.provider_id().value();
    } else {
      without_provider = true;
    }
  }
  if (with_provider && without_provider) {
    return std::string(
        "Invalid resources: Some resources have a resource provider and some do not");
  }
  return std::nullopt;
}

Error allocatedToSingleRole(const google::protobuf::RepeatedPtrField<Resource>& resources) {
  std::optional<std::string> role;
  for (const auto& r : resources) {
    if (!r.allocation_info().has_role()) {
      return std::string("The resources are not allocated to a role");
    }
    if (role && *role != r.allocation_info().role()) {
      return "The resources have multiple allocation roles ('" + r.allocation_info().role() +
             "' and '" + *role + "') but only one allocation role is allowed";
    }
    role = r.allocation_info().role();
  }
  return std::nullopt;
}

Error validatePersistentVolumes(const google::protobuf::RepeatedPtrField<Resource>& volumes) {
  for (const auto& v : volumes) {
    if (!v.has_disk()) {
      return "Not a persistent volume: Resource " + toString(v) + " does not have DiskInfo";
    }
    if (!v.disk().has_persistence()) {
      return std::string("Not a persistent volume: 'persistence' is not set in DiskInfo");
    }
    if (!v.disk().has_volume()) {
      return std::string(
          "Not a persistent volume: Expecting 'volume' to be set for persistent volume");
    }
    if (v.disk().volume().mode() == mesos::Volume::RO) {
      return std::string("Not a persistent volume: Read-only persistent volume not supported");
    }
  }
  return std::nullopt;
}

bool isHierarchical(const std::string& role) { return role.find('/') != std::string::npos; }

}  // namespace

Error validateReserve(const mesos::Offer::Operation::Reserve& reserve,
                      const OperationContext& context) {
  if (Error e = validateResources(reserve.resources())) return e;
  std::set<std::string> roles;
  for (const auto& r : rolesOf(*context.framework)) roles.insert(r);
  const std::string principal =
      context.framework->has_principal() ? context.framework->principal() : "";
  for (const auto& in : reserve.resources()) {
    Resource r = in;
    Resources::upgrade(&r);
    const std::string& role = Resources::reservationRole(r);
    if (!isDynamicallyReserved(r)) {
      return "Resource " + toString(r) + " is not dynamically reserved";
    }
    if (!context.agent_hierarchical_roles && isHierarchical(role)) {
      return "Resource " + toString(r) + " with reservation for hierarchical role '" + role +
             "' cannot be reserved on an agent without HIERARCHICAL_ROLE capability";
    }
    if (!context.agent_reservation_refinement && r.reservations_size() > 1) {
      return "Resource " + toString(r) +
             " with reservation refinement cannot be reserved on an agent without "
             "RESERVATION_REFINEMENT capability";
    }
    if (context.framework->has_principal()) {
      const auto& top = r.reservations(r.reservations_size() - 1);
      if (!top.has_principal()) {
        return "A reserve operation was attempted by principal '" + principal +
               "', but there is a reserved resource in the request with no principal set";
      }
      if (top.principal() != principal) {
        return "A reserve operation was attempted by authenticated principal '" + principal +
               "', which does not match a reserved resource in the request with principal '" +
               top.principal() + "'";
      }
    }
    if (!r.allocation_info().has_role()) {
      return "A reserve operation was attempted on unallocated resource " + toString(r) +
             ", but frameworks can only perform reservations on allocated resources";
    }
    if (r.allocation_info().role() != role) {
      return "A reserve operation was attempted for a resource with role '" + role +
             "', but the resource was allocated to role '" + r.allocation_info().role() + "'";
    }
    if (!roles.count(r.allocation_info().role())) {
      return "A reserve operation was attempted for a resource allocated to role '" +
             r.allocation_info().role() + "', but the framework only has roles '" +
             rolesText(roles) + "'";
    }
    if (!roles.count(role)) {
      return "A reserve operation was attempted for a resource with role '" + role +
             "', but the framework can only reserve resources with roles '" + rolesText(roles) +
             "'";
    }
  }
  if (Error e = allocatedToSingleRole(reserve.resources())) {
    return "Invalid reservation resources: " + *e;
  }
  return std::nullopt;
}

Error validateUnreserve(const mesos::Offer::Operation::Unreserve& unreserve) {
  if (Error e = validateResources(unreserve.resources())) return e;
  for (const auto& in : unreserve.resources()) {
    Resource r = in;
    Resources::upgrade(&r);
    if (!isDynamicallyReserved(r)) {
      return "Resource " + toString(r) + " is not dynamically reserved";
    }
    if (isPersistentVolume(r)) {
      return "A dynamically reserved persistent volume " + toString(r) +
             " cannot be unreserved directly. Please destroy the persistent volume first then "
             "unreserve the resource";
    }
  }
  return std::nullopt;
}

Error validateCreate(const mesos::Offer::Operation::Create& create,
                     const OperationContext& context) {
  if (Error e = validateResources(create.volumes())) return e;
  if (Error e = validatePersistentVolumes(create.volumes())) return e;

  // Persistence ids are unique per role on an agent, counting existing volumes.
  std::set<std::pair<std::string, std::string>> ids;
  for (const auto& v : context.checkpointed) {
    if (isPersistentVolume(v)) {
      ids.insert({Resources::reservationRole(v), v.disk().persistence().id()});
    }
  }
  for (const auto& in : create.volumes()) {
    Resource v = in;
    Resources::upgrade(&v);
    if (!ids.insert({Resources::reservationRole(v), v.disk().persistence().id()}).second) {
      return "Persistence ID '" + v.disk().persistence().id() + "' is not unique";
    }
  }

  const auto& framework = *context.framework;
  const bool shared_capable = [&] {
    for (const auto& c : framework.capabilities()) {
      if (c.type() == mesos::FrameworkInfo::Capability::SHARED_RESOURCES) return true;
    }
    return false;
  }();
  const std::string principal = framework.has_principal() ? framework.principal() : "";
  for (const auto& in : create.volumes()) {
    Resource v = in;
    Resources::upgrade(&v);
    const std::string& role = Resources::reservationRole(v);
    if (v.has_shared() && !shared_capable) {
      return "Create volume operation for '" + toString(v) +
             "' has been attempted by framework '" + framework.id().value() +
             "' with no SHARED_RESOURCES capability";
    }
    if (!context.agent_hierarchical_roles && isHierarchical(role)) {
      return "Volume " + toString(v) + " with reservation for hierarchical role '" + role +
             "' cannot be created on an agent without HIERARCHICAL_ROLE capability";
    }
    if (!context.agent_reservation_refinement && v.reservations_size() > 1) {
      return "Volume " + toString(v) +
             " with reservation refinement cannot be created on an agent without "
             "RESERVATION_REFINEMENT capability";
    }
    if (framework.has_principal()) {
      if (!v.disk().persistence().has_principal()) {
        return "Create volume operation attempted by principal '" + principal +
               "', but there is a volume in the operation with no principal set in "
               "'disk.persistence'";
      }
      if (v.disk().persistence().principal() != principal) {
        return "Create volume operation attempted by authenticated principal '" + principal +
               "', which does not match a volume in the operation with principal '" +
               v.disk().persistence().principal() + "' set in 'disk.persistence'";
      }
    }
  }
  if (Error e = allocatedToSingleRole(create.volumes())) {
    return "Invalid volume resources: " + *e;
  }
  return std::nullopt;
}

Error validateDestroy(const mesos::Offer::Operation::Destroy& destroy,
                      const OperationContext& context) {
  Resources volumes = Resources(destroy.volumes()).unallocated();
  if (Error e = validateResources(volumes.proto())) return e;
  if (Error e = validatePersistentVolumes(volumes.proto())) return e;
  for (const auto& v : volumes) {
    if (!v.has_provider_id() && !context.checkpointed.contains(v)) {
      return std::string("Persistent volumes not found");
    }
  }
  Resources used = context.used.unallocated();
  for (const auto& v : volumes) {
    if (used.contains(v)) {
      return std::string("Persistent volumes in use");
    }
  }
  return std::nullopt;
}

}  // namespace keel::master
