// The scheduler driver's real transport: Mesos's wire protocol over TCP, bound per
// the LIBPROCESS_* environment variables (mesos-spec §0.2, §0.3).

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glog/logging.h>

#include "scheduler/scheduler_driver_impl.hpp"
#include "wire/tcp_transport.hpp"

namespace keel::sched {

namespace {

// The first IPv4 address this host's name resolves to; nullopt if none.
std::optional<std::string> hostAddress() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) {
    return std::nullopt;
  }
  struct addrinfo hints = {};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  struct addrinfo* result = nullptr;
  if (getaddrinfo(host, nullptr, &hints, &result) != 0 || result == nullptr) {
    return std::nullopt;
  }
  char text[INET_ADDRSTRLEN] = {};
  auto* addr = reinterpret_cast<struct sockaddr_in*>(result->ai_addr);
  inet_ntop(AF_INET, &addr->sin_addr, text, sizeof text);
  freeaddrinfo(result);
  return std::string(text);
}

bool parsePort(const std::string& text, std::uint16_t* port) {
  char* end = nullptr;
  long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < 0 || value > 65535) {
    return false;
  }
  *port = static_cast<std::uint16_t>(value);
  return true;
}

}  // namespace

TransportFactory defaultTransportFactory(EnvLookup getenv) {
  return [getenv](runtime::EventLoop& loop,
                  const wire::Pid& master) -> Result<std::unique_ptr<wire::Transport>> {
    wire::TcpOptions options;
    if (auto ip = getenv("LIBPROCESS_IP")) {
      options.ip = *ip;
    } else if (master.ip.rfind("127.", 0) == 0) {
      options.ip = "127.0.0.1";
    } else if (auto resolved = hostAddress()) {
      options.ip = *resolved;
    } else {
      LOG(WARNING) << "Could not resolve this host's address; binding to 127.0.0.1";
      options.ip = "127.0.0.1";
    }
    if (auto port = getenv("LIBPROCESS_PORT")) {
      if (!parsePort(*port, &options.port)) {
        return Result<std::unique_ptr<wire::Transport>>::error("LIBPROCESS_PORT='" + *port +
                                                               "' is not a port number");
      }
    }
    if (auto advertise_ip = getenv("LIBPROCESS_ADVERTISE_IP")) {
      options.advertise_ip = *advertise_ip;
    }
    if (auto advertise_port = getenv("LIBPROCESS_ADVERTISE_PORT")) {
      // TcpOptions has no advertised port yet; pids carry the bound port.
      LOG(WARNING) << "LIBPROCESS_ADVERTISE_PORT=" << *advertise_port
                   << " is not supported yet; advertising the bound port";
    }
    if (options.ip.rfind("127.", 0) == 0 && master.ip.rfind("127.", 0) != 0) {
      LOG(WARNING) << "Scheduler driver bound to a loopback address; it cannot talk to the "
                      "remote master "
                   << master.str() << ". Set LIBPROCESS_IP to a routable address.";
    }
    auto transport = wire::TcpTransport::create(loop, options);
    if (!transport) {
      return Result<std::unique_ptr<wire::Transport>>::error(transport.message());
    }
    return std::unique_ptr<wire::Transport>(std::move(transport).value());
  };
}

}  // namespace keel::sched
