#pragma once

// A stand-in master or agent for loopback tests of the public drivers: one process on a
// real TcpTransport bound to 127.0.0.1 on an ephemeral port, recording what it receives.

#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/event_loop.hpp"
#include "wire/dispatcher.hpp"
#include "wire/tcp_transport.hpp"

namespace keel::testing {

class TcpPeer {
 public:
  explicit TcpPeer(std::string id) : id_(std::move(id)) {
    loop_.start();
    std::promise<void> ready;
    loop_.post([this, &ready] {
      auto transport = wire::TcpTransport::create(loop_, wire::TcpOptions{});
      if (transport) {
        transport_ = std::move(transport).value();
        transport_->addProcess(id_, wire::ProcessHandlers{[this](wire::Message&& msg) {
                                                            std::lock_guard lock(mutex_);
                                                            received_.push_back(msg);
                                                            cv_.notify_all();
                                                            return wire::Delivery::kAccepted;
                                                          },
                                                          nullptr});
      }
      ready.set_value();
    });
    ready.get_future().wait();
  }

  ~TcpPeer() {
    std::promise<void> done;
    loop_.post([this, &done] {
      transport_.reset();
      done.set_value();
    });
    done.get_future().wait();
    loop_.stop();
    loop_.join();
  }

  bool ok() const { return transport_ != nullptr; }
  wire::Pid pid() const { return wire::Pid{id_, "127.0.0.1", transport_->port()}; }

  // Waits (at most 10 s) for the n-th message named `name`; returns it, or an empty
  // Message on timeout.
  wire::Message waitFor(const std::string& name, size_t n = 1) {
    std::unique_lock lock(mutex_);
    wire::Message found;
    cv_.wait_for(lock, std::chrono::seconds(10), [&] {
      size_t seen = 0;
      for (const auto& msg : received_) {
        if (msg.name == name && ++seen == n) {
          found = msg;
          return true;
        }
      }
      return false;
    });
    return found;
  }

  template <class M>
  void send(const wire::Pid& to, const M& m) {
    wire::Message msg = wire::makeMessage(pid(), to, m);
    loop_.post([this, msg] { transport_->send(msg); });
  }

 private:
  const std::string id_;
  runtime::EventLoop loop_;
  std::unique_ptr<wire::TcpTransport> transport_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<wire::Message> received_;
};

}  // namespace keel::testing
