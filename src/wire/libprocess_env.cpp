#include "wire/libprocess_env.hpp"

#include <glog/logging.h>

#include <cstdlib>

namespace keel::wire {

Status applyLibprocessEnvironment(const EnvLookup& lookup, TcpOptions* options) {
  if (auto ip = lookup("LIBPROCESS_IP")) {
    options->ip = *ip;
  }
  if (auto port = lookup("LIBPROCESS_PORT")) {
    char* end = nullptr;
    long value = std::strtol(port->c_str(), &end, 10);
    if (port->empty() || *end != '\0' || value < 0 || value > 65535) {
      return Status::error("LIBPROCESS_PORT='" + *port + "' is not a port number");
    }
    options->port = static_cast<std::uint16_t>(value);
  }
  if (auto ip = lookup("LIBPROCESS_ADVERTISE_IP")) {
    options->advertise_ip = *ip;
  }
  if (auto port = lookup("LIBPROCESS_ADVERTISE_PORT")) {
    // TcpOptions has no advertised port yet; pids carry the bound port.
    LOG(WARNING) << "LIBPROCESS_ADVERTISE_PORT=" << *port
                 << " is not supported yet; advertising the bound port";
  }
  return Status::ok();
}

}  // namespace keel::wire
