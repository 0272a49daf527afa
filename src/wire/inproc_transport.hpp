#pragma once

// Many transports in one process, for unit and integration tests and simulations: each
// transport lives on its own EventLoop under a fake address 127.0.0.1:<n>, and messages are
// handed between loops instead of crossing sockets. Tests can drop or delay chosen messages
// and kill a transport to make its peers notice it is gone.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "runtime/clock.hpp"
#include "wire/transport.hpp"

namespace keel::runtime {
class EventLoop;
}

namespace keel::wire {

// What the network's filter decides for one message.
struct FilterAction {
  enum class Kind { kDeliver, kDrop, kDelay };
  Kind kind = Kind::kDeliver;
  runtime::Duration delay_for{};  // kDelay: how long, on the sender loop's clock

  static FilterAction deliver() { return FilterAction{}; }
  static FilterAction drop() { return FilterAction{Kind::kDrop, {}}; }
  static FilterAction delay(runtime::Duration d) { return FilterAction{Kind::kDelay, d}; }
};

class InProcTransport;

// The shared medium. Every method is thread-safe. The network must outlive its transports'
// pending work only as far as the transports do: transports keep the shared state alive.
class InProcNetwork {
 public:
  InProcNetwork();
  ~InProcNetwork();
  InProcNetwork(const InProcNetwork&) = delete;
  InProcNetwork& operator=(const InProcNetwork&) = delete;

  // A new transport whose processes live on `loop` (which must outlive it), reachable at a
  // fresh address "127.0.0.1:<n>" (n = 10001, 10002, ... in creation order). Destroying the
  // transport is the same as kill(address).
  std::unique_ptr<InProcTransport> createTransport(runtime::EventLoop& loop);

  // Consulted for every message, on the sender's loop thread, before delivery; so it must be
  // thread-safe when transports live on different loops. A delayed message is scheduled on
  // the sender loop and then delivered like any other (it may overtake or be overtaken).
  // An empty function delivers everything.
  void setFilter(std::function<FilterAction(const Message&)> filter);

  // Makes the transport at `address` unreachable: messages to or from it are dropped, links
  // to it cannot be made, and every process on another transport linked to a pid at that
  // address gets on_exited(pid) once (on its own loop). The killed transport's own
  // processes are not told anything.
  void kill(const std::string& address);

  // Makes a killed transport reachable again (links must be made afresh). Does nothing for
  // an address that was never created or whose transport was destroyed.
  void revive(const std::string& address);

  bool reachable(const std::string& address) const;

  // Calls the HTTP route `request.path` of the transport at `address` (routed exactly like
  // TcpTransport: exact route, longest prefix, then the delegate; "/.." is 404). `callback`
  // runs on that transport's loop thread; or immediately on the calling thread with 503 if
  // the address is unknown or killed. `request.peer` defaults to "inproc".
  void http(const std::string& address, HttpRequest request,
            std::function<void(HttpResponse)> callback);

  struct State;

 private:
  std::shared_ptr<State> state_;
};

// One member of an InProcNetwork. Like every Transport, its methods run on its loop's thread.
// Messages from one transport to another arrive in the order they were sent (unless the
// filter delays some); self-sends go through the loop too, never reentrantly. A send to an
// unreachable address is dropped and fires on_exited for local processes linked there.
class InProcTransport final : public Transport {
 public:
  ~InProcTransport() override;

  // "127.0.0.1:<n>".
  std::string address() const;
  runtime::EventLoop& loop() const;

  Pid pidOf(const std::string& id) const override;
  void addProcess(const std::string& id, ProcessHandlers handlers) override;
  // Also fires on_exited in local processes linked to `id`.
  void removeProcess(const std::string& id) override;
  void send(Message msg) override;
  // A link to an unreachable address, or to a missing local process, fires on_exited soon
  // (posted, never from inside link()).
  void link(const std::string& local_id, const Pid& peer) override;
  void unlink(const std::string& local_id, const Pid& peer) override;
  void addRoute(const std::string& path, HttpHandler handler) override;
  void setDelegate(const std::string& process_id) override;

  struct Node;

 private:
  friend class InProcNetwork;
  explicit InProcTransport(std::shared_ptr<Node> node);
  std::shared_ptr<Node> node_;
};

}  // namespace keel::wire
