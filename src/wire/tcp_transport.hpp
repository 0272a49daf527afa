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
  std::string ip = "127.0.0.1";  // IPv4 address to listen on; "0.0.0.0" for all
  std::uint16_t port = 0;        // 0 = any free port
  std::string advertise_ip;      // the ip put in our pids, if not `ip` ("0.0.0.0" → 127.0.0.1)
  std::size_t max_body_bytes = 64 << 20;  // larger request bodies are answered 413
  // A client that starts a request and does not finish its header within this time is
  // disconnected. Idle keep-alive connections are never timed out (peers keep them open for
  // as long as they live, and closing one would look like a death to a linked peer).
  runtime::Duration header_timeout = std::chrono::seconds(30);
};

// Mesos's libprocess wire protocol over real sockets (docs/wire-format.md), with the
// HTTP endpoints of the same daemon on the same port. All I/O runs on the loop's
// io_context, so every handler (on_message, on_exited, HTTP handlers) runs on the loop
// thread. Every method must be called on the loop thread, except create(); destroy the
// transport on the loop thread or after the loop has stopped.
//
// Server side: each request is parsed (message_codec.hpp) and answered in order, one at a
// time, on keep-alive connections (pipelining allowed). A message goes synchronously to its
// process's on_message: 202 for kAccepted, 404 for an unknown process or kUnknownMessage,
// 400 for kMalformed or a bad sender pid. Broken framing gets 400/413/431/505 and the
// connection is closed; "/.." in a path gets 404. Every refusal is logged with the peer.
//
// Client side: one persistent connection per peer address, opened lazily by send() or
// link(), carrying messages in order. When it breaks or cannot be made, queued messages
// are dropped (logged) and every local process linked to a pid at that address gets
// on_exited(pid) once (the links are then gone); a later send reconnects. There is no
// connect timeout beyond the kernel's. Messages to a pid of this transport are delivered
// through the loop without a socket; a link to a local pid fires when that process is
// removed (at once, if it does not exist).
class TcpTransport final : public Transport {
 public:
  // Binds and starts serving (accepting begins on the loop). Returns the error if the ip
  // is not an IPv4 address or the address cannot be bound.
  static Result<std::unique_ptr<TcpTransport>> create(runtime::EventLoop& loop, TcpOptions opts);
  ~TcpTransport() override;  // shutdown()

  std::uint16_t port() const;  // the bound port
  std::string ip() const;      // the advertised ip

  // Closes the listener and every connection; messages and links are dropped and linked
  // processes are not told. Idempotent.
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
