#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.hpp"

// Identifiers in Mesos's formats: UUIDs, framework/offer/agent ids derived from the master's
// id, and the host facts (hostname, user) that go into FrameworkInfo and SlaveInfo.
// All functions are thread-safe.
namespace keel {

// A random (version 4, RFC 4122) UUID in its canonical text form,
// e.g. "28745b26-fd23-4e90-bab3-fac5d7b9966e" (lower-case hex).
std::string uuidString();

// A random version 4 UUID as its 16 raw bytes (the form StatusUpdate.uuid carries).
std::string uuidBytes();

// The canonical text form of 16 raw UUID bytes; "" when `bytes` is not 16 bytes long.
std::string uuidBytesToString(std::string_view bytes);

// The 16 raw bytes of a canonical text UUID (hyphens required, either case);
// nullopt when `text` is not one.
std::optional<std::string> uuidStringToBytes(std::string_view text);

// True when `bytes` is exactly 16 bytes long (any version is accepted, as Mesos does).
bool isValidUuidBytes(std::string_view bytes);

// Mesos's rule for user-chosen ids (TaskID, ExecutorID, FrameworkID ...): non-empty, at most
// 255 characters, not "." or "..", no control characters, no '/' or '\'. The error message
// says which rule was broken.
Status validateId(const std::string& id);

// "<master_id>-NNNN": the n-th framework registered with this master, zero-padded to at least
// four digits ("…-0000", "…-12345").
std::string frameworkId(const std::string& master_id, uint64_t n);

// "<master_id>-O<n>": the n-th offer made by this master.
std::string offerId(const std::string& master_id, uint64_t n);

// "<master_id>-S<n>": the n-th agent admitted by this master.
std::string agentId(const std::string& master_id, uint64_t n);

// This machine's host name: the canonical name from the resolver when it has one, otherwise
// gethostname(). May block on DNS; call it at start-up, not on an event loop. Never empty
// ("localhost" as a last resort).
std::string hostname();

// The name of the user running this process (real uid), or "" if it has no passwd entry.
std::string currentUser();

}  // namespace keel
