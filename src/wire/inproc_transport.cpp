#include "wire/inproc_transport.hpp"

#include <glog/logging.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "runtime/event_loop.hpp"
#include "wire/http_router.hpp"

namespace keel::wire {

namespace {

constexpr std::uint16_t kFirstPort = 10001;

using LinkSet = std::set<std::pair<std::string, Pid>>;  // (local process id, linked pid)

}  // namespace

struct InProcNetwork::State {
  mutable std::mutex mutex;
  std::map<std::string, std::weak_ptr<InProcTransport::Node>> nodes;  // by address
  std::set<std::string> killed;
  std::uint16_t next_port = kFirstPort;
  std::function<FilterAction(const Message&)> filter;

  // The live node at `address`, or null if unknown, killed or destroyed.
  std::shared_ptr<InProcTransport::Node> reachableNode(const std::string& address) const;
  // Marks `address` unreachable and tells everyone else linked to it.
  void killLocked(const std::string& address, std::unique_lock<std::mutex>& lock);
};

// State shared between a transport and the work it posted. `alive` is read from any thread;
// everything else is touched only on `loop`'s thread.
struct InProcTransport::Node : std::enable_shared_from_this<InProcTransport::Node> {
  Node(runtime::EventLoop& l, std::string a, std::weak_ptr<InProcNetwork::State> n)
      : loop(l), address(std::move(a)), network(std::move(n)) {}

  runtime::EventLoop& loop;
  const std::string ip = "127.0.0.1";
  std::uint16_t port = 0;
  const std::string address;
  std::weak_ptr<InProcNetwork::State> network;
  std::atomic<bool> alive{true};

  std::map<std::string, ProcessHandlers> processes;
  HttpRouter router;
  std::map<std::string, LinkSet> links;  // by peer address (own address for local links)

  void receive(Message&& msg);
  void forward(Message&& msg);
  // Every process linked to a pid at `peer_address` gets on_exited once; the links are
  // forgotten.
  void exited(const std::string& peer_address);
  void postExited(LinkSet linked);
  void notify(const LinkSet& linked);
};

std::shared_ptr<InProcTransport::Node> InProcNetwork::State::reachableNode(
    const std::string& address) const {
  if (killed.count(address) > 0) {
    return nullptr;
  }
  auto it = nodes.find(address);
  if (it == nodes.end()) {
    return nullptr;
  }
  auto node = it->second.lock();
  return node && node->alive ? node : nullptr;
}

void InProcNetwork::State::killLocked(const std::string& address,
                                      std::unique_lock<std::mutex>& lock) {
  if (!killed.insert(address).second) {
    return;
  }
  std::vector<std::shared_ptr<InProcTransport::Node>> others;
  for (const auto& [other_address, weak] : nodes) {
    auto node = weak.lock();
    if (!node) {
      continue;
    }
    if (other_address == address) {
      node->alive = false;
    } else if (node->alive) {
      // A node already killed or destroyed may have lost its loop: post nothing to it.
      others.push_back(std::move(node));
    }
  }
  lock.unlock();
  for (auto& node : others) {
    node->loop.post([node, address] {
      if (node->alive) {
        node->exited(address);
      }
    });
  }
}

void InProcTransport::Node::notify(const LinkSet& linked) {
  for (const auto& [local, peer] : linked) {
    auto it = processes.find(local);
    if (it != processes.end() && it->second.on_exited) {
      auto on_exited = it->second.on_exited;  // the handler may remove its process
      on_exited(peer);
    }
  }
}

void InProcTransport::Node::postExited(LinkSet linked) {
  loop.post([self = shared_from_this(), linked = std::move(linked)] {
    if (self->alive) {
      self->notify(linked);
    }
  });
}

void InProcTransport::Node::exited(const std::string& peer_address) {
  auto it = links.find(peer_address);
  if (it == links.end()) {
    return;
  }
  LinkSet fired = std::move(it->second);
  links.erase(it);
  notify(fired);
}

void InProcTransport::Node::receive(Message&& msg) {
  if (!alive) {
    return;
  }
  auto it = processes.find(msg.to.id);
  if (it == processes.end() || !it->second.on_message) {
    LOG(WARNING) << "Dropping " << msg.name << " from " << msg.from.str() << ": no process '"
                 << msg.to.id << "' at " << address;
    return;
  }
  std::string name = msg.name;
  std::string from = msg.from.str();
  auto on_message = it->second.on_message;  // the handler may remove its process
  Delivery delivery = on_message(std::move(msg));
  if (delivery == Delivery::kUnknownMessage) {
    LOG(WARNING) << "Process at " << address << " does not handle " << name << " from " << from;
  } else if (delivery == Delivery::kMalformed) {
    LOG(WARNING) << "Unparsable " << name << " from " << from << " at " << address;
  }
}

void InProcTransport::Node::forward(Message&& msg) {
  if (!alive) {
    return;
  }
  const std::string target_address = msg.to.address();
  std::shared_ptr<Node> target;
  if (auto state = network.lock()) {
    std::lock_guard lock(state->mutex);
    target = state->reachableNode(target_address);
  }
  if (!target) {
    LOG(WARNING) << "Dropping " << msg.name << " to " << msg.to.str() << ": unreachable";
    // As when a connection cannot be made: processes linked there learn it.
    auto it = links.find(target_address);
    if (it != links.end()) {
      LinkSet linked = std::move(it->second);
      links.erase(it);
      postExited(std::move(linked));
    }
    return;
  }
  target->loop.post([target, msg = std::move(msg)]() mutable { target->receive(std::move(msg)); });
}

// ---- InProcNetwork ----

InProcNetwork::InProcNetwork() : state_(std::make_shared<State>()) {}

InProcNetwork::~InProcNetwork() = default;

std::unique_ptr<InProcTransport> InProcNetwork::createTransport(runtime::EventLoop& loop) {
  std::lock_guard lock(state_->mutex);
  std::uint16_t port = state_->next_port++;
  std::string address = "127.0.0.1:" + std::to_string(port);
  auto node = std::make_shared<InProcTransport::Node>(loop, address, state_);
  node->port = port;
  state_->nodes[address] = node;
  return std::unique_ptr<InProcTransport>(new InProcTransport(std::move(node)));
}

void InProcNetwork::setFilter(std::function<FilterAction(const Message&)> filter) {
  std::lock_guard lock(state_->mutex);
  state_->filter = std::move(filter);
}

void InProcNetwork::kill(const std::string& address) {
  std::unique_lock lock(state_->mutex);
  state_->killLocked(address, lock);
}

void InProcNetwork::revive(const std::string& address) {
  std::lock_guard lock(state_->mutex);
  auto it = state_->nodes.find(address);
  if (it == state_->nodes.end() || state_->killed.count(address) == 0) {
    return;
  }
  if (auto node = it->second.lock()) {
    state_->killed.erase(address);
    node->alive = true;
  }
}

bool InProcNetwork::reachable(const std::string& address) const {
  std::lock_guard lock(state_->mutex);
  return state_->reachableNode(address) != nullptr;
}

void InProcNetwork::http(const std::string& address, HttpRequest request,
                         std::function<void(HttpResponse)> callback) {
  std::shared_ptr<InProcTransport::Node> node;
  {
    std::lock_guard lock(state_->mutex);
    node = state_->reachableNode(address);
  }
  if (!node) {
    callback(HttpResponse{503, "text/plain", address + " is unreachable", {}});
    return;
  }
  if (request.peer.empty()) {
    request.peer = "inproc";
  }
  node->loop.post([node, request = std::move(request), callback = std::move(callback)] {
    auto responded = std::make_shared<bool>(false);
    Responder respond = [callback, responded](HttpResponse response) {
      if (!*responded) {
        *responded = true;
        callback(std::move(response));
      }
    };
    node->router.serve(request, std::move(respond),
                       [&node](const std::string& id) { return node->processes.count(id) > 0; });
  });
}

// ---- InProcTransport ----

InProcTransport::InProcTransport(std::shared_ptr<Node> node) : node_(std::move(node)) {}

InProcTransport::~InProcTransport() {
  auto state = node_->network.lock();
  if (!state) {
    node_->alive = false;
    return;
  }
  std::unique_lock lock(state->mutex);
  state->killLocked(node_->address, lock);
  node_->alive = false;
}

std::string InProcTransport::address() const { return node_->address; }

runtime::EventLoop& InProcTransport::loop() const { return node_->loop; }

Pid InProcTransport::pidOf(const std::string& id) const { return Pid{id, node_->ip, node_->port}; }

void InProcTransport::addProcess(const std::string& id, ProcessHandlers handlers) {
  node_->processes[id] = std::move(handlers);
}

void InProcTransport::removeProcess(const std::string& id) {
  if (node_->processes.erase(id) == 0) {
    return;
  }
  for (auto& [address, set] : node_->links) {
    std::erase_if(set, [&id](const auto& entry) { return entry.first == id; });
  }
  // Local processes linked to the removed one learn that it is gone.
  auto it = node_->links.find(node_->address);
  if (it == node_->links.end()) {
    return;
  }
  LinkSet fired;
  std::erase_if(it->second, [&](const auto& entry) {
    if (entry.second.id != id) {
      return false;
    }
    fired.insert(entry);
    return true;
  });
  if (!fired.empty()) {
    node_->postExited(std::move(fired));
  }
}

void InProcTransport::send(Message msg) {
  if (!node_->alive) {
    VLOG(1) << "Dropping " << msg.name << " from killed transport " << node_->address;
    return;
  }
  std::function<FilterAction(const Message&)> filter;
  if (auto state = node_->network.lock()) {
    std::lock_guard lock(state->mutex);
    filter = state->filter;
  }
  FilterAction action = filter ? filter(msg) : FilterAction::deliver();
  switch (action.kind) {
    case FilterAction::Kind::kDrop:
      VLOG(1) << "Filter dropped " << msg.name << " to " << msg.to.str();
      return;
    case FilterAction::Kind::kDelay:
      node_->loop.schedule(action.delay_for, [node = node_, msg = std::move(msg)]() mutable {
        node->forward(std::move(msg));
      });
      return;
    case FilterAction::Kind::kDeliver:
      node_->forward(std::move(msg));
      return;
  }
}

void InProcTransport::link(const std::string& local_id, const Pid& peer) {
  if (peer.empty()) {
    return;
  }
  const std::string peer_address = peer.address();
  bool reachable = false;
  if (peer_address == node_->address) {
    reachable = node_->alive && node_->processes.count(peer.id) > 0;
  } else if (auto state = node_->network.lock()) {
    std::lock_guard lock(state->mutex);
    reachable = state->reachableNode(peer_address) != nullptr;
  }
  if (!reachable) {
    node_->postExited({{local_id, peer}});
    return;
  }
  node_->links[peer_address].emplace(local_id, peer);
}

void InProcTransport::unlink(const std::string& local_id, const Pid& peer) {
  auto it = node_->links.find(peer.address());
  if (it != node_->links.end()) {
    it->second.erase({local_id, peer});
  }
}

void InProcTransport::addRoute(const std::string& path, HttpHandler handler) {
  node_->router.addRoute(path, std::move(handler));
}

void InProcTransport::setDelegate(const std::string& process_id) {
  node_->router.setDelegate(process_id);
}

}  // namespace keel::wire
