#pragma once

// A Transport for driver unit tests: records what the code under test sends and lets
// the test inject incoming messages and broken links, all on the driver's loop.

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/event_loop.hpp"
#include "wire/transport.hpp"

namespace keel::testing {

class FakeTransport final : public wire::Transport {
 public:
  explicit FakeTransport(runtime::EventLoop& loop, std::string ip = "127.0.0.1",
                         std::uint16_t port = 40000)
      : loop_(loop), ip_(std::move(ip)), port_(port) {}

  // --- wire::Transport (called on the loop by the code under test) ---
  wire::Pid pidOf(const std::string& id) const override { return wire::Pid{id, ip_, port_}; }

  void addProcess(const std::string& id, wire::ProcessHandlers handlers) override {
    std::lock_guard lock(mutex_);
    processes_[id] = std::move(handlers);
  }

  void removeProcess(const std::string& id) override {
    std::lock_guard lock(mutex_);
    processes_.erase(id);
  }

  void send(wire::Message msg) override {
    std::lock_guard lock(mutex_);
    sent_.push_back(std::move(msg));
  }

  void link(const std::string& local_id, const wire::Pid& peer) override {
    std::lock_guard lock(mutex_);
    ++link_calls_;
    links_[local_id + " " + peer.str()] = peer;
  }

  void unlink(const std::string& local_id, const wire::Pid& peer) override {
    std::lock_guard lock(mutex_);
    links_.erase(local_id + " " + peer.str());
  }

  void addRoute(const std::string&, wire::HttpHandler) override {}
  void setDelegate(const std::string&) override {}

  // --- test side (any thread but the loop's) ---

  // Hands `msg` to the process msg.to.id on the loop; returns what the process said
  // (kUnknownMessage if there is no such process). Waits for the handler to finish.
  wire::Delivery deliver(wire::Message msg) {
    wire::Delivery result = wire::Delivery::kUnknownMessage;
    loop_.post([this, &result, msg = std::move(msg)]() mutable {
      wire::ProcessHandlers handlers;
      {
        std::lock_guard lock(mutex_);
        auto it = processes_.find(msg.to.id);
        if (it == processes_.end()) {
          return;
        }
        handlers = it->second;
      }
      result = handlers.on_message(std::move(msg));
    });
    for (int i = 0; i < 3; ++i) {  // also run what the handler posted
      loop_.drain();
    }
    return result;
  }

  // Tells every process linked to `peer` that its connection broke.
  void breakLink(const wire::Pid& peer) {
    loop_.post([this, peer] {
      std::vector<wire::ProcessHandlers> targets;
      {
        std::lock_guard lock(mutex_);
        for (const auto& [key, linked] : links_) {
          if (linked.address() != peer.address()) {
            continue;
          }
          auto it = processes_.find(key.substr(0, key.find(' ')));
          if (it != processes_.end() && it->second.on_exited) {
            targets.push_back(it->second);
          }
        }
      }
      for (auto& handlers : targets) {
        handlers.on_exited(peer);
      }
    });
    for (int i = 0; i < 3; ++i) {  // also run what the handler posted
      loop_.drain();
    }
  }

  std::vector<wire::Message> sent() const {
    std::lock_guard lock(mutex_);
    return sent_;
  }

  // Parsed bodies of the sent messages of type M.
  template <class M>
  std::vector<M> sentOf() const {
    std::vector<M> out;
    for (const auto& msg : sent()) {
      if (msg.name == M::default_instance().GetTypeName()) {
        M parsed;
        parsed.ParseFromString(msg.body);
        out.push_back(parsed);
      }
    }
    return out;
  }

  void clearSent() {
    std::lock_guard lock(mutex_);
    sent_.clear();
  }

  bool hasProcess(const std::string& id) const {
    std::lock_guard lock(mutex_);
    return processes_.count(id) > 0;
  }

  int linkCalls() const {
    std::lock_guard lock(mutex_);
    return link_calls_;
  }

 private:
  runtime::EventLoop& loop_;
  const std::string ip_;
  const std::uint16_t port_;
  mutable std::mutex mutex_;
  std::map<std::string, wire::ProcessHandlers> processes_;
  std::map<std::string, wire::Pid> links_;
  std::vector<wire::Message> sent_;
  int link_calls_ = 0;
};

// Runs the loop until work posted by earlier handlers (e.g. driver calls made from
// callbacks) has run too. Bounded: three rounds cover every chain the drivers make.
inline void settle(runtime::EventLoop& loop) {
  for (int i = 0; i < 3; ++i) {
    loop.drain();
  }
}

}  // namespace keel::testing
