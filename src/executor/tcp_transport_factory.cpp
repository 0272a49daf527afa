// The executor driver's real transport: Mesos's wire protocol over TCP.

#include "executor/executor_driver_impl.hpp"
#include "wire/libprocess_env.hpp"
#include "wire/tcp_transport.hpp"

namespace keel::exec {

TransportFactory defaultTransportFactory(std::map<std::string, std::string> environment) {
  return [env = std::move(environment)](
             runtime::EventLoop& loop,
             const wire::Pid& agent) -> Result<std::unique_ptr<wire::Transport>> {
    wire::EnvLookup lookup = [&env](const std::string& name) -> std::optional<std::string> {
      auto it = env.find(name);
      return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    wire::TcpOptions options;
    // Executors run next to their agent: the agent's address reaches both ways.
    options.ip = agent.ip;
    if (Status s = wire::applyLibprocessEnvironment(lookup, &options); !s.isOk()) {
      return Result<std::unique_ptr<wire::Transport>>::error(s.message());
    }
    auto transport = wire::TcpTransport::create(loop, options);
    if (!transport) {
      return Result<std::unique_ptr<wire::Transport>>::error(transport.message());
    }
    return std::unique_ptr<wire::Transport>(std::move(transport).value());
  };
}

}  // namespace keel::exec
