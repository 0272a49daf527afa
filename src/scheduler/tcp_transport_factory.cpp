// The scheduler driver's real transport: Mesos's wire protocol over TCP, bound per
// the LIBPROCESS_* environment variables (mesos-spec §0.2, §0.3).

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glog/logging.h>

#include "scheduler/scheduler_driver_impl.hpp"
#include "wire/libprocess_env.hpp"
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

}  // namespace

TransportFactory defaultTransportFactory(EnvLookup getenv) {
  return [getenv](runtime::EventLoop& loop,
                  const wire::Pid& master) -> Result<std::unique_ptr<wire::Transport>> {
    wire::TcpOptions options;
    if (master.ip.rfind("127.", 0) == 0) {
      options.ip = "127.0.0.1";
    } else if (auto resolved = hostAddress()) {
      options.ip = *resolved;
    } else {
      LOG(WARNING) << "Could not resolve this host's address; binding to 127.0.0.1";
      options.ip = "127.0.0.1";
    }
    if (Status s = wire::applyLibprocessEnvironment(getenv, &options); !s.isOk()) {
      return Result<std::unique_ptr<wire::Transport>>::error(s.message());
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
