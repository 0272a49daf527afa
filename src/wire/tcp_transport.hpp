#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/status.hpp"
#include "runtime/clock.hpp"
#include "wire/transport.hpp"

namespace keel::runtime {
class EventLoop;
}

namespace keel::wire {

struct TcpOptions {
  std::string ip = "127.0.0.1";  // address to listen on; "0.0.0.0" for all
  std::uint16_t port = 0;        // 0 = any free port
  std::string advertise_ip;      // the ip put in our pids, if not `ip`
  std::size_t max_body_bytes = 64 << 20;
  runtime::Duration header_timeout = std::chrono::seconds(30);
};

// Mesos's libprocess wire protocol over real sockets (docs/wire-format.md), with the
// HTTP endpoints of the same daemon on the same port. All I/O runs on the loop's
// io_context, so every handler runs on the loop thread. Every method must be called on
// the loop thread, except create().
class TcpTransport final : public Transport {
 public:
  // Binds and starts serving. Returns the error if the address cannot be bound.
  static Result<std::unique_ptr<TcpTransport>> create(runtime::EventLoop& loop, TcpOptions opts);
  ~TcpTransport() override;

  std::uint16_t port() const;
  std::string ip() const;  // the advertised ip

  // Closes the listener and every connection. Linked processes are not told.
  void shutdown();

  Pid pidOf(const std::string& id) const override;
  void addProcess(const std::string& id, ProcessHandlers handlers) override;
  void removeProcess(const std::string& id) override;
  void send(Message msg) override;
  void link(const std::string& local_id, const Pid& peer) override;
  void unlink(const std::string& local_id, const Pid& peer) override;
  void addRoute(const std::string& path, HttpHandler handler) override;
  void setDelegate(const std::string& process_id) override;

  struct Impl;

 private:
  explicit TcpTransport(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace keel::wire
