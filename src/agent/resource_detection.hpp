#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <mesos/mesos.pb.h>

#include "common/resources.hpp"
#include "common/status.hpp"

// The agent's total resources: --resources, with cpus, mem, disk and ports filled in
// from the host when the flag does not name them (spec §1.2 table).
namespace keel::agent {

// What was measured on the host; nullopt where the measurement failed.
struct HostFacts {
  std::optional<double> cpus;               // online CPUs
  std::optional<std::uint64_t> mem_bytes;   // total RAM
  std::optional<std::uint64_t> disk_bytes;  // size of the filesystem holding work_dir
};

// Measures the host (sysconf, statvfs of `work_dir`). Blocking but fast.
HostFacts measureHost(const std::string& work_dir);

// Pure: parses `resources_flag` (text or JSON, may be empty) with `default_role`, then
// adds what is missing: cpus = CPUs (fallback 1); mem = RAM - 1 GB if RAM >= 2 GB else
// RAM / 2, in MB (fallback 1024); disk = FS - 5 GB if >= 10 GB else FS / 2, in MB
// (fallback 10240); ports = [31000-32000]. Errors are the parser's.
Result<Resources> agentResources(const std::string& resources_flag, const std::string& default_role,
                                 const HostFacts& facts);

// The pre-refinement ("legacy") wire form Mesos agents send in RegisterSlaveMessage and
// /state: unreserved entries get role "*"; a single-entry reservation stack becomes
// `role` (plus `reservation` for a dynamic one).
void toLegacyFormat(mesos::Resource* resource);
google::protobuf::RepeatedPtrField<mesos::Resource> toLegacyFormat(
    const google::protobuf::RepeatedPtrField<mesos::Resource>& resources);

// Parses --attributes "rack:2;zone:a;ports:[1-2];set:{a,b}" into Attributes
// (scalar when the value is a number, ranges for [..], set for {..}, text otherwise).
Result<google::protobuf::RepeatedPtrField<mesos::Attribute>> parseAttributes(
    const std::string& text);

}  // namespace keel::agent
