#pragma once

#include <functional>
#include <optional>
#include <string>

#include "common/status.hpp"
#include "wire/tcp_transport.hpp"

namespace keel::wire {

// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Applies the LIBPROCESS_IP, LIBPROCESS_PORT and LIBPROCESS_ADVERTISE_IP variables that
// Mesos's drivers honour to `options` (LIBPROCESS_IP overrides options->ip, which the
// caller sets to its default first). LIBPROCESS_ADVERTISE_PORT is logged as unsupported.
// Returns an error naming the variable if a port is not a port number.
Status applyLibprocessEnvironment(const EnvLookup& lookup, TcpOptions* options);

}  // namespace keel::wire
