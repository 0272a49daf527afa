#pragma once

// A Transport for unit tests of one process: records what the process sends and lets the
// test deliver messages, exits and HTTP requests to it synchronously on the test thread.

#include <deque>
#include <map>
#include <optional>
#include <string>

#include "wire/dispatcher.hpp"
#include "wire/transport.hpp"

namespace keel::testing {

class FakeTransport : public wire::Transport {
 public:
  explicit FakeTransport(std::string ip = "127.0.0.1", uint16_t port = 5050)
      : ip_(std::move(ip)), port_(port) {}

  wire::Pid pidOf(const std::string& id) const override { return wire::Pid{id, ip_, port_}; }
  void addProcess(const std::string& id, wire::ProcessHandlers handlers) override {
    processes_[id] = std::move(handlers);
  }
  void removeProcess(const std::string& id) override { processes_.erase(id); }
  void send(wire::Message msg) override { sent_.push_back(std::move(msg)); }
  void link(const std::string& local_id, const wire::Pid& peer) override {
    links_[peer.str()] = local_id;
  }
  void unlink(const std::string& local_id, const wire::Pid& peer) override {
    links_.erase(peer.str());
  }
  void addRoute(const std::string& path, wire::HttpHandler handler) override {
    routes_[path] = std::move(handler);
  }
  void setDelegate(const std::string& process_id) override { delegate_ = process_id; }

  // Delivers a protobuf message to a local process; returns what it did with it.
  template <class M>
  wire::Delivery deliver(const wire::Pid& from, const std::string& to_id, const M& m) {
    auto it = processes_.find(to_id);
    if (it == processes_.end()) return wire::Delivery::kUnknownMessage;
    return it->second.on_message(wire::makeMessage(from, pidOf(to_id), m));
  }

  wire::Delivery deliverRaw(wire::Message msg) {
    auto it = processes_.find(msg.to.id);
    if (it == processes_.end()) return wire::Delivery::kUnknownMessage;
    return it->second.on_message(std::move(msg));
  }

  // Tells the local process linked to `peer` that it went away.
  void exit(const wire::Pid& peer) {
    auto it = links_.find(peer.str());
    if (it == links_.end()) return;
    auto p = processes_.find(it->second);
    if (p != processes_.end() && p->second.on_exited) p->second.on_exited(peer);
  }

  // Calls an HTTP route synchronously (handlers here respond at once).
  std::optional<wire::HttpResponse> get(const std::string& path) {
    std::string full = path;
    if (!routes_.count(full) && !delegate_.empty()) full = "/" + delegate_ + path;
    auto it = routes_.find(full);
    if (it == routes_.end()) return std::nullopt;
    wire::HttpRequest req;
    req.method = "GET";
    req.path = full;
    std::optional<wire::HttpResponse> out;
    it->second(req, [&out](wire::HttpResponse r) { out = std::move(r); });
    return out;
  }

  // Removes and returns the sent messages of one type addressed to `to` (all if empty).
  template <class M>
  std::vector<M> take(const wire::Pid& to = {}) {
    std::vector<M> out;
    const std::string name = M::default_instance().GetTypeName();
    for (auto it = sent_.begin(); it != sent_.end();) {
      if (it->name == name && (to.empty() || it->to == to)) {
        M m;
        m.ParseFromString(it->body);
        out.push_back(std::move(m));
        it = sent_.erase(it);
      } else {
        ++it;
      }
    }
    return out;
  }

  bool linked(const wire::Pid& peer) const { return links_.count(peer.str()) > 0; }
  std::deque<wire::Message>& sent() { return sent_; }

 private:
  std::string ip_;
  uint16_t port_;
  std::map<std::string, wire::ProcessHandlers> processes_;
  std::map<std::string, std::string> links_;
  std::map<std::string, wire::HttpHandler> routes_;
  std::string delegate_;
  std::deque<wire::Message> sent_;
};

}  // namespace keel::testing
