// The executor driver's real transport: Mesos's wire protocol over TCP.

#include <glog/logging.h>

#include "executor/executor_driver_impl.hpp"
#include "wire/tcp_transport.hpp"

namespace keel::exec {

namespace {

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

TransportFactory defaultTransportFactory(std::map<std::string, std::string> environment) {
  return [env = std::move(environment)](
             runtime::EventLoop& loop,
             const wire::Pid& agent) -> Result<std::unique_ptr<wire::Transport>> {
    auto lookup = [&env](const std::string& name) -> const std::string* {
      auto it = env.find(name);
      return it == env.end() ? nullptr : &it->second;
    };
    wire::TcpOptions options;
    // Executors run next to their agent: the agent's address reaches both ways.
    options.ip = lookup("LIBPROCESS_IP") ? *lookup("LIBPROCESS_IP") : agent.ip;
    if (const std::string* port = lookup("LIBPROCESS_PORT")) {
      if (!parsePort(*port, &options.port)) {
        return Result<std::unique_ptr<wire::Transport>>::error("LIBPROCESS_PORT='" + *port +
                                                               "' is not a port number");
      }
    }
    if (const std::string* ip = lookup("LIBPROCESS_ADVERTISE_IP")) {
      options.advertise_ip = *ip;
    }
    if (const std::string* port = lookup("LIBPROCESS_ADVERTISE_PORT")) {
      // TcpOptions has no advertised port yet; pids carry the bound port.
      LOG(WARNING) << "LIBPROCESS_ADVERTISE_PORT=" << *port
                   << " is not supported yet; advertising the bound port";
    }
    auto transport = wire::TcpTransport::create(loop, options);
    if (!transport) {
      return Result<std::unique_ptr<wire::Transport>>::error(transport.message());
    }
    return std::unique_ptr<wire::Transport>(std::move(transport).value());
  };
}

}  // namespace keel::exec
