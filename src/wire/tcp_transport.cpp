#include "wire/tcp_transport.hpp"
#include "wire/write_queue.hpp"

#include <glog/logging.h>

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <map>
#include <set>
#include <unordered_map>

#include "runtime/event_loop.hpp"
#include "wire/http_router.hpp"
#include "wire/message_codec.hpp"

namespace keel::wire {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

constexpr std::size_t kHeaderLimit = 64 * 1024;
// Pipelined requests parsed ahead of the one being answered; reading pauses beyond this.
constexpr std::size_t kMaxPending = 128;
// After a final response, how long unread bytes from the client are drained before the
// socket closes (closing with unread data makes the kernel reset the connection, and the
// client could lose the response).
constexpr auto kLingerTime = std::chrono::seconds(1);
// What encodeResponse gives for 202 with no body on a kept-alive connection.
constexpr std::string_view kAcceptedResponse = "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n";
// A write buffer keeps its capacity for the next batch unless it grew beyond this.
constexpr size_t kKeptBufferBytes = 1 << 20;

void releaseBuffer(std::string& buffer) {
  buffer.clear();
  if (buffer.capacity() > kKeptBufferBytes) {
    std::string().swap(buffer);
  }
}

}  // namespace

struct ServerConnection;
struct OutboundConnection;
using Links = std::set<std::pair<std::string, Pid>>;  // (local id, peer)
using LinkTable = std::map<std::string, Links>;
using KeyIndex = std::unordered_map<std::string, std::set<std::string>>;

struct TcpTransport::Impl : std::enable_shared_from_this<TcpTransport::Impl> {
  Impl(runtime::EventLoop& l, TcpOptions o)
      : loop(l), options(std::move(o)), acceptor(l.context()) {}

  runtime::EventLoop& loop;
  TcpOptions options;
  tcp::acceptor acceptor;
  std::string advertised_ip;
  std::uint16_t bound_port = 0;
  bool closed = false;

  std::map<std::string, ProcessHandlers> processes;
  HttpRouter router;
  std::map<std::string, std::shared_ptr<OutboundConnection>> outbound;  // by "ip:port"
  // Remote links by peer address; local links (to processes of this transport) by id.
  LinkTable links;
  LinkTable local_links;
  // For each local process with links: the keys of `links` and of `local_links` under
  // which it may have some (a superset; removeProcess looks only there).
  KeyIndex remote_keys_of;
  KeyIndex local_keys_of;
  std::set<std::shared_ptr<ServerConnection>> inbound;

  bool isLocal(const Pid& pid) const { return pid.port == bound_port && pid.ip == advertised_ip; }
  bool isProcess(const std::string& id) const { return processes.count(id) > 0; }

  void accept();
  std::shared_ptr<OutboundConnection> connection(const std::string& address);
  void broken(const std::string& address, const OutboundConnection* conn, const std::string& why);
  // Hands a message to a local process; nullopt if there is no such process.
  std::optional<Delivery> deliver(Message&& msg);
  void notifyExited(Links linked);
  // Forgets that the processes in `entries` have links under `key` of the table `keys_of`
  // indexes (the entries are gone from it).
  static void unindex(KeyIndex& keys_of, const std::string& key, const Links& entries);
};

// One accepted connection. Requests are parsed as bytes arrive and answered strictly in
// order, one at a time (an HTTP handler may answer later; pipelined requests wait).
struct ServerConnection : std::enable_shared_from_this<ServerConnection> {
  ServerConnection(std::weak_ptr<TcpTransport::Impl> i, tcp::socket s, const TcpOptions& options)
      : impl(std::move(i)),
        socket(std::move(s)),
        header_timer(socket.get_executor()),
        linger_timer(socket.get_executor()),
        parser(options.max_body_bytes, kHeaderLimit),
        header_timeout(options.header_timeout) {
    error_code ec;
    auto ep = socket.remote_endpoint(ec);
    peer = ec ? "unknown" : ep.address().to_string() + ":" + std::to_string(ep.port());
  }

  std::weak_ptr<TcpTransport::Impl> impl;
  tcp::socket socket;
  asio::steady_timer header_timer;
  asio::steady_timer linger_timer;
  RequestParser parser;
  runtime::Duration header_timeout;
  std::string peer;
  std::array<char, 16 * 1024> read_buffer{};
  std::deque<ParsedRequest> pending;
  WriteQueue out;  // responses waiting to be written, and the write in progress
  std::uint64_t header_timer_generation = 0;
  bool header_timer_armed = false;
  bool reading = false;
  bool writing = false;
  bool busy = false;       // a request is being answered
  bool pumping = false;    // inside pump(): answers must not recurse into it
  bool peer_done = false;  // the client closed its sending side
  bool closing = false;    // the last response is queued; close once it is written
  bool closed = false;

  void start() { read(); }

  void read() {
    if (closed || reading || (!closing && pending.size() >= kMaxPending)) {
      return;
    }
    if (peer_done && !closing) {
      return;
    }
    reading = true;
    socket.async_read_some(asio::buffer(read_buffer),
                           [self = shared_from_this()](error_code ec, std::size_t n) {
                             self->reading = false;
                             self->onRead(ec, n);
                           });
  }

  void onRead(error_code ec, std::size_t n) {
    if (closed) {
      return;
    }
    if (closing) {
      // Draining what the client still sends after our final response; a client that
      // stops sending still gets the response being written.
      if (ec == asio::error::eof) {
        peer_done = true;
        if (!writing && out.empty()) {
          close();
        }
      } else if (ec) {
        close();
      } else {
        read();
      }
      return;
    }
    if (ec == asio::error::eof && !parser.midRequest()) {
      peer_done = true;
      pump();
      return;
    }
    if (ec) {
      if (parser.midRequest() && !parser.failed()) {
        LOG(WARNING) << "Connection from " << peer
                     << " ended in the middle of a request: " << ec.message();
      }
      close();
      return;
    }
    const bool failed_before = parser.failed();
    Status status = parser.feed(std::string_view(read_buffer.data(), n));
    bool completed = false;
    while (auto request = parser.next()) {
      pending.push_back(std::move(*request));
      completed = true;
    }
    if (completed) {
      disarmHeaderTimer();  // a header now in progress is a new request: its own deadline
    }
    if (!status.isOk() && !failed_before) {
      LOG(WARNING) << "Bad request from " << peer << ": " << status.message();
    }
    if (parser.takeContinue() && pending.empty() && !busy && !closing) {
      // Only when nothing is owed before it: answers go out in request order.
      out.buffer() += "HTTP/1.1 100 Continue\r\n\r\n";
      flush();
    }
    updateHeaderTimer();
    pump();
    read();
  }

  void updateHeaderTimer() {
    if (parser.inHeader() && !parser.failed() && !closing) {
      if (header_timer_armed) {
        return;
      }
      header_timer_armed = true;
      std::uint64_t generation = ++header_timer_generation;
      header_timer.expires_after(header_timeout);
      header_timer.async_wait([weak = weak_from_this(), generation](error_code ec) {
        auto self = weak.lock();
        if (ec || !self || self->closed || generation != self->header_timer_generation) {
          return;
        }
        LOG(WARNING) << "Closing connection from " << self->peer
                     << ": client too slow to send a request header";
        self->close();
      });
    } else {
      disarmHeaderTimer();
    }
  }

  void disarmHeaderTimer() {
    if (header_timer_armed) {
      header_timer_armed = false;
      ++header_timer_generation;
      header_timer.cancel();
    }
  }

  // Starts answering queued requests until one is answered asynchronously.
  void pump() {
    if (pumping || closed) {
      return;
    }
    pumping = true;
    while (!busy && !closing && !pending.empty() && !closed) {
      ParsedRequest request = std::move(pending.front());
      pending.pop_front();
      busy = true;
      handle(std::move(request));
    }
    pumping = false;
    if (closed || busy || closing || !pending.empty()) {
      return;
    }
    if (parser.failed()) {
      int status = parser.failureStatus();
      finish(HttpResponse{status, "text/plain", parser.failureReason(), {}}, false);
    } else if (peer_done) {
      closing = true;
      flush();
    }
  }

  // Queues the answer to the current request.
  void finish(HttpResponse response, bool keep_alive) {
    if (closed || closing) {
      return;
    }
    busy = false;
    if (response.status == 202 && keep_alive && response.body.empty() && response.headers.empty()) {
      out.buffer() += kAcceptedResponse;  // the answer to nearly every message, ready made
    } else if (response.body.size() >= WriteQueue::kOwnBufferBytes) {
      appendResponseHead(response, keep_alive, &out.buffer());
      out.appendOwned(std::move(response.body));
    } else {
      appendResponse(response, keep_alive, &out.buffer());
    }
    if (!keep_alive) {
      closing = true;
      updateHeaderTimer();
    }
    flush();
    if (!pumping) {
      pump();
      read();
    }
  }

  void flush() {
    if (closed || writing) {
      return;
    }
    if (out.empty()) {
      if (closing) {
        linger();
      }
      return;
    }
    writing = true;
    asio::async_write(socket, out.start(),
                      [self = shared_from_this()](error_code ec, std::size_t) {
                        self->writing = false;
                        if (ec) {
                          if (!self->closed) {
                            VLOG(1) << "Write to " << self->peer << " failed: " << ec.message();
                          }
                          self->close();
                          return;
                        }
                        self->out.finished();
                        self->flush();
                      });
  }

  void linger() {
    error_code ignored;
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    if (peer_done) {
      close();
      return;
    }
    linger_timer.expires_after(kLingerTime);
    linger_timer.async_wait([weak = weak_from_this()](error_code ec) {
      if (auto self = weak.lock(); self && !ec) {
        self->close();
      }
    });
    read();
  }

  void close() {
    if (closed) {
      return;
    }
    closed = true;
    ++header_timer_generation;
    header_timer.cancel();
    linger_timer.cancel();
    error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    if (auto i = impl.lock()) {
      i->inbound.erase(shared_from_this());
    }
  }

  void handle(ParsedRequest request) {
    auto i = impl.lock();
    if (!i || i->closed) {
      close();
      return;
    }
    const bool keep_alive = request.keep_alive;
    if (request.http.path.find("/..") != std::string::npos) {
      LOG(WARNING) << "Refusing request from " << peer << " for '" << request.http.path << "'";
      finish(HttpResponse{404, "text/plain", "", {}}, keep_alive);
      return;
    }
    switch (request.kind) {
      case ParsedRequest::Kind::kBadMessage:
        LOG(WARNING) << "Refusing message from " << peer << " (" << request.http.path
                     << "): " << request.error;
        finish(HttpResponse{400, "text/plain", request.error, {}}, keep_alive);
        return;
      case ParsedRequest::Kind::kMessage:
        handleMessage(*i, std::move(request.message), request.http.path, keep_alive);
        return;
      case ParsedRequest::Kind::kHttp:
        break;
    }
    request.http.peer = peer;
    auto responded = std::make_shared<bool>(false);
    Responder respond = [weak = weak_from_this(), keep_alive, responded](HttpResponse r) {
      if (*responded) {
        return;
      }
      *responded = true;
      if (auto self = weak.lock()) {
        self->finish(std::move(r), keep_alive);
      }
    };
    i->router.serve(request.http, std::move(respond),
                    [&i](const std::string& id) { return i->isProcess(id); });
  }

  // `path` is the message's "/<receiver>/<name>" (for the log: the message itself is
  // handed over).
  void handleMessage(TcpTransport::Impl& i, Message&& msg, const std::string& path,
                     bool keep_alive) {
    const Pid from = msg.from;  // short strings: no allocation in the usual case
    std::optional<Delivery> delivery = i.deliver(std::move(msg));
    const std::string_view receiver = std::string_view(path).substr(1, path.find('/', 1) - 1);
    const std::string_view name = std::string_view(path).substr(receiver.size() + 2);
    if (!delivery) {
      LOG(WARNING) << "Dropping " << name << " from " << from.str() << " (" << peer
                   << "): no process '" << receiver << "'";
      finish(HttpResponse{404, "text/plain", "", {}}, keep_alive);
      return;
    }
    switch (*delivery) {
      case Delivery::kAccepted:
        finish(HttpResponse{202, "text/plain", "", {}}, keep_alive);
        return;
      case Delivery::kUnknownMessage:
        LOG(WARNING) << "Process '" << receiver << "' does not handle " << name << " from "
                     << from.str() << " (" << peer << ")";
        finish(HttpResponse{404, "text/plain", "", {}}, keep_alive);
        return;
      case Delivery::kMalformed:
        LOG(WARNING) << "Unparsable " << name << " from " << from.str() << " (" << peer << ")";
        finish(
            HttpResponse{400, "text/plain", "Failed to parse the body of " + std::string(name), {}},
            keep_alive);
        return;
    }
  }
};

// This side's persistent connection to one peer address: a send queue written in order,
// and a read that swallows the peer's replies and notices when the peer goes away.
struct OutboundConnection : std::enable_shared_from_this<OutboundConnection> {
  OutboundConnection(std::weak_ptr<TcpTransport::Impl> i, asio::io_context& io, std::string a)
      : impl(std::move(i)), socket(io), address(std::move(a)) {}

  std::weak_ptr<TcpTransport::Impl> impl;
  tcp::socket socket;
  std::string address;
  std::string pending;  // encoded messages not written yet
  size_t pending_count = 0;
  std::string in_flight;
  size_t in_flight_count = 0;
  bool connected = false;
  bool writing = false;
  bool dead = false;
  std::array<char, 4096> sink{};

  void start() {
    size_t colon = address.rfind(':');
    error_code ec;
    auto ip = asio::ip::make_address(address.substr(0, colon), ec);
    int port = colon == std::string::npos ? -1 : std::atoi(address.c_str() + colon + 1);
    if (ec || port <= 0 || port > 65535) {
      // Reported from the loop, never from inside send()/link().
      asio::post(socket.get_executor(), [self = shared_from_this()] { self->fail("bad address"); });
      return;
    }
    tcp::endpoint ep(ip, static_cast<unsigned short>(port));
    socket.async_connect(ep, [self = shared_from_this()](error_code ec) {
      if (self->dead) {
        return;
      }
      if (ec) {
        self->fail("connect failed: " + ec.message());
        return;
      }
      self->connected = true;
      error_code ignored;
      self->socket.set_option(tcp::no_delay(true), ignored);
      self->readLoop();
      self->writeNext();
    });
  }

  void readLoop() {
    socket.async_read_some(asio::buffer(sink),
                           [self = shared_from_this()](error_code ec, std::size_t) {
                             if (ec) {
                               self->fail(ec == asio::error::eof ? "closed by peer" : ec.message());
                               return;
                             }
                             self->readLoop();
                           });
  }

  void enqueue(const Message& msg) {
    appendMessage(msg, &pending);
    ++pending_count;
    writeNext();
  }

  void writeNext() {
    if (dead || writing || !connected || pending_count == 0) {
      return;
    }
    writing = true;
    // The two buffers trade places and keep their capacity.
    std::swap(in_flight, pending);
    in_flight_count = pending_count;
    releaseBuffer(pending);
    pending_count = 0;
    asio::async_write(socket, asio::buffer(in_flight),
                      [self = shared_from_this()](error_code ec, std::size_t) {
                        self->writing = false;
                        if (ec) {
                          self->fail("write failed: " + ec.message());
                          return;
                        }
                        releaseBuffer(self->in_flight);
                        self->in_flight_count = 0;
                        self->writeNext();
                      });
  }

  // Closes without telling anyone (transport shutdown).
  void close() {
    dead = true;
    error_code ignored;
    socket.close(ignored);
  }

  void fail(const std::string& why) {
    if (dead) {
      return;
    }
    dead = true;
    size_t dropped = pending_count + in_flight_count;
    if (dropped > 0) {
      LOG(WARNING) << "Dropping " << dropped << " message(s) to " << address << ": " << why;
    } else {
      LOG(WARNING) << "Connection to " << address << " broke: " << why;
    }
    pending.clear();
    pending_count = 0;
    error_code ignored;
    socket.close(ignored);
    if (auto i = impl.lock()) {
      i->broken(address, this, why);
    }
  }
};

void TcpTransport::Impl::accept() {
  acceptor.async_accept([self = shared_from_this()](error_code ec, tcp::socket socket) {
    if (self->closed) {
      return;
    }
    if (!ec) {
      error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto conn = std::make_shared<ServerConnection>(self, std::move(socket), self->options);
      self->inbound.insert(conn);
      conn->start();
    } else if (ec == asio::error::operation_aborted) {
      return;
    } else {
      LOG(WARNING) << "Accept failed: " << ec.message();
    }
    self->accept();
  });
}

std::shared_ptr<OutboundConnection> TcpTransport::Impl::connection(const std::string& address) {
  auto it = outbound.find(address);
  if (it != outbound.end()) {
    return it->second;
  }
  auto conn = std::make_shared<OutboundConnection>(weak_from_this(), loop.context(), address);
  outbound[address] = conn;
  conn->start();
  return conn;
}

void TcpTransport::Impl::broken(const std::string& address, const OutboundConnection* conn,
                                const std::string& why) {
  auto it = outbound.find(address);
  if (it != outbound.end() && it->second.get() == conn) {
    outbound.erase(it);
  }
  auto linked = links.find(address);
  if (linked == links.end() || closed) {
    return;
  }
  auto peers = std::move(linked->second);
  links.erase(linked);
  unindex(remote_keys_of, address, peers);
  for (const auto& [local, peer] : peers) {
    VLOG(1) << "Link from " << local << " to " << peer.str() << " broke: " << why;
  }
  notifyExited(std::move(peers));
}

void TcpTransport::Impl::unindex(KeyIndex& keys_of, const std::string& key, const Links& entries) {
  for (const auto& entry : entries) {
    auto it = keys_of.find(entry.first);
    if (it != keys_of.end()) {
      it->second.erase(key);
      if (it->second.empty()) keys_of.erase(it);
    }
  }
}

void TcpTransport::Impl::notifyExited(Links linked) {
  // Handlers may link, send or remove processes: look each one up as it comes.
  for (const auto& [local, peer] : linked) {
    auto p = processes.find(local);
    if (p != processes.end() && p->second.on_exited) {
      auto on_exited = p->second.on_exited;
      on_exited(peer);
    }
  }
}

std::optional<Delivery> TcpTransport::Impl::deliver(Message&& msg) {
  auto it = processes.find(msg.to.id);
  if (it == processes.end() || !it->second.on_message) {
    return std::nullopt;
  }
  msg.to.ip = advertised_ip;
  msg.to.port = bound_port;
  // Copied: the handler may remove its own process.
  auto on_message = it->second.on_message;
  return on_message(std::move(msg));
}

TcpTransport::TcpTransport(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

TcpTransport::~TcpTransport() { shutdown(); }

Result<std::unique_ptr<TcpTransport>> TcpTransport::create(runtime::EventLoop& loop,
                                                           TcpOptions opts) {
  using R = Result<std::unique_ptr<TcpTransport>>;
  auto impl = std::make_shared<Impl>(loop, std::move(opts));
  error_code ec;
  auto ip = asio::ip::make_address_v4(impl->options.ip, ec);
  if (ec) {
    return R::error("invalid ip '" + impl->options.ip + "': " + ec.message());
  }
  tcp::endpoint ep(ip, impl->options.port);
  impl->acceptor.open(ep.protocol(), ec);
  if (!ec) {
    impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    impl->acceptor.bind(ep, ec);
  }
  if (!ec) {
    impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return R::error("failed to bind " + impl->options.ip + ":" +
                    std::to_string(impl->options.port) + ": " + ec.message());
  }
  impl->bound_port = impl->acceptor.local_endpoint().port();
  if (!impl->options.advertise_ip.empty()) {
    impl->advertised_ip = impl->options.advertise_ip;
  } else if (impl->options.ip == "0.0.0.0") {
    impl->advertised_ip = "127.0.0.1";
  } else {
    impl->advertised_ip = impl->options.ip;
  }
  // Accepting starts on the loop (the acceptor is only touched there from now on).
  loop.post([impl] { impl->accept(); });
  return std::unique_ptr<TcpTransport>(new TcpTransport(impl));
}

std::uint16_t TcpTransport::port() const { return impl_->bound_port; }
std::string TcpTransport::ip() const { return impl_->advertised_ip; }

void TcpTransport::shutdown() {
  if (!impl_ || impl_->closed) {
    return;
  }
  impl_->closed = true;
  error_code ignored;
  impl_->acceptor.close(ignored);
  for (auto& [address, conn] : impl_->outbound) {
    conn->close();
  }
  impl_->outbound.clear();
  for (const auto& conn : std::set(impl_->inbound)) {
    conn->close();
  }
  impl_->inbound.clear();
  impl_->links.clear();
  impl_->local_links.clear();
  impl_->remote_keys_of.clear();
  impl_->local_keys_of.clear();
}

Pid TcpTransport::pidOf(const std::string& id) const {
  return Pid{id, impl_->advertised_ip, impl_->bound_port};
}

void TcpTransport::addProcess(const std::string& id, ProcessHandlers handlers) {
  impl_->processes[id] = std::move(handlers);
}

void TcpTransport::removeProcess(const std::string& id) {
  if (impl_->processes.erase(id) == 0) {
    return;
  }
  // Its own links, found through the index rather than by scanning every link.
  auto dropLinks = [&id](KeyIndex& keys_of, LinkTable& table) {
    auto keys = keys_of.find(id);
    if (keys == keys_of.end()) {
      return;
    }
    for (const auto& key : keys->second) {
      auto entries = table.find(key);
      if (entries == table.end()) {
        continue;
      }
      auto& set = entries->second;
      set.erase(set.lower_bound({id, Pid{"", "", 0}}),
                set.lower_bound({id + '\0', Pid{"", "", 0}}));
      if (set.empty()) {
        table.erase(entries);
      }
    }
    keys_of.erase(keys);
  };
  dropLinks(impl_->remote_keys_of, impl_->links);
  dropLinks(impl_->local_keys_of, impl_->local_links);
  // Local processes linked to the removed one learn that it is gone.
  auto linked = impl_->local_links.find(id);
  if (linked != impl_->local_links.end()) {
    auto peers = std::move(linked->second);
    impl_->local_links.erase(linked);
    Impl::unindex(impl_->local_keys_of, id, peers);
    impl_->loop.post([weak = std::weak_ptr<Impl>(impl_), peers = std::move(peers)]() mutable {
      if (auto impl = weak.lock(); impl && !impl->closed) {
        impl->notifyExited(std::move(peers));
      }
    });
  }
}

void TcpTransport::send(Message msg) {
  if (impl_->closed) {
    return;
  }
  if (msg.to.port == 0) {
    LOG(WARNING) << "Dropping " << msg.name << " to '" << msg.to.str() << "': no address";
    return;
  }
  if (impl_->isLocal(msg.to)) {
    // Local processes get the message through the loop, never reentrantly.
    impl_->loop.post([weak = std::weak_ptr<Impl>(impl_), msg = std::move(msg)]() mutable {
      auto impl = weak.lock();
      if (!impl || impl->closed) {
        return;
      }
      std::string name = msg.name;
      std::string receiver = msg.to.id;
      auto delivery = impl->deliver(std::move(msg));
      if (!delivery || *delivery != Delivery::kAccepted) {
        LOG(WARNING) << "Local process '" << receiver << "' did not accept " << name;
      }
    });
    return;
  }
  impl_->connection(msg.to.address())->enqueue(msg);
}

void TcpTransport::link(const std::string& local_id, const Pid& peer) {
  if (impl_->closed || peer.empty()) {
    return;
  }
  if (impl_->isLocal(peer)) {
    if (impl_->isProcess(peer.id)) {
      impl_->local_links[peer.id].emplace(local_id, peer);
      impl_->local_keys_of[local_id].insert(peer.id);
      return;
    }
    impl_->loop.post([weak = std::weak_ptr<Impl>(impl_), local_id, peer] {
      if (auto impl = weak.lock(); impl && !impl->closed) {
        impl->notifyExited({{local_id, peer}});
      }
    });
    return;
  }
  const std::string address = peer.address();
  impl_->links[address].emplace(local_id, peer);
  impl_->remote_keys_of[local_id].insert(address);
  impl_->connection(address);
}

void TcpTransport::unlink(const std::string& local_id, const Pid& peer) {
  const bool local = impl_->isLocal(peer);
  auto& table = local ? impl_->local_links : impl_->links;
  auto& keys_of = local ? impl_->local_keys_of : impl_->remote_keys_of;
  const std::string key = local ? peer.id : peer.address();
  auto it = table.find(key);
  if (it == table.end()) {
    return;
  }
  auto& set = it->second;
  set.erase({local_id, peer});
  // The index keeps the key while local_id has other links under it.
  auto first = set.lower_bound({local_id, Pid{"", "", 0}});
  if (first == set.end() || first->first != local_id) {
    Impl::unindex(keys_of, key, Links{{local_id, peer}});
  }
  if (set.empty()) {
    table.erase(it);
  }
}

void TcpTransport::addRoute(const std::string& path, HttpHandler handler) {
  impl_->router.addRoute(path, std::move(handler));
}

void TcpTransport::setDelegate(const std::string& process_id) {
  impl_->router.setDelegate(process_id);
}

}  // namespace keel::wire
