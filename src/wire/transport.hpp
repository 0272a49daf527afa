#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "wire/pid.hpp"

namespace keel::runtime {
class EventLoop;
}

namespace keel::wire {

// One libprocess message: POST /<to.id>/<name> from `from`, body = serialized protobuf.
struct Message {
  Pid from;
  Pid to;
  std::string name;  // fully-qualified protobuf type name, e.g. mesos.internal.PingSlaveMessage
  std::string body;
};

// What a process did with a message; the TCP transport maps it to the HTTP reply.
enum class Delivery {
  kAccepted,        // 202
  kUnknownMessage,  // 404: the process does not handle this message name
  kMalformed,       // 400: the body did not parse as the named type
};

struct HttpRequest {
  std::string method;                          // "GET", "POST", ...
  std::string path;                            // percent-decoded, without the query
  std::map<std::string, std::string> query;    // decoded query parameters
  std::vector<std::pair<std::string, std::string>> headers;  // as received
  std::string body;
  std::string peer;  // "ip:port" of the client

  // Case-insensitive header lookup; empty when absent.
  std::string header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

// An endpoint answers by calling `respond` exactly once, on the loop thread, now or later.
using Responder = std::function<void(HttpResponse)>;
using HttpHandler = std::function<void(const HttpRequest&, Responder respond)>;

struct ProcessHandlers {
  // Called on the loop for each message addressed to the process.
  std::function<Delivery(Message&&)> on_message;
  // Called on the loop when a linked peer goes away (its connection broke or could
  // not be made). Optional.
  std::function<void(const Pid&)> on_exited;
};

// Moves messages between processes and serves HTTP endpoints. Two implementations:
// TcpTransport (Mesos's wire protocol over real sockets) and InProcTransport (tests).
// Every method must be called on the owning loop's thread unless it says otherwise.
class Transport {
 public:
  virtual ~Transport() = default;

  // The pid under which a local process `id` is reachable.
  virtual Pid pidOf(const std::string& id) const = 0;

  // Registers a local process; messages to `id` go to its handlers.
  virtual void addProcess(const std::string& id, ProcessHandlers handlers) = 0;
  virtual void removeProcess(const std::string& id) = 0;

  // Sends a message on this side's own persistent connection to msg.to's address.
  // Never blocks; failures are reported through on_exited of linked processes.
  virtual void send(Message msg) = 0;

  // Watches `peer`: when the connection to its address breaks, the local process
  // `local_id` gets on_exited(peer). Linking an already linked peer does nothing.
  virtual void link(const std::string& local_id, const Pid& peer) = 0;
  virtual void unlink(const std::string& local_id, const Pid& peer) = 0;

  // Serves an HTTP endpoint at an exact path ("/master/state"). Requests for
  // "/<name>" that match no route and no process are retried as "/<delegate>/<name>".
  virtual void addRoute(const std::string& path, HttpHandler handler) = 0;
  virtual void setDelegate(const std::string& process_id) = 0;
};

}  // namespace keel::wire
