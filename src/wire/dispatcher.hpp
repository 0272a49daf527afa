#pragma once

#include <functional>
#include <string>
#include <unordered_map>

#include "wire/transport.hpp"

namespace keel::wire {

// Routes incoming messages by protobuf type name to typed handlers. Parsing happens
// here, so an unparsable body is answered 400 and an unknown name 404 by the transport.
//
//   dispatcher.on<mesos::internal::PingSlaveMessage>(
//       [this](const Pid& from, mesos::internal::PingSlaveMessage&& m) { ... });
class Dispatcher {
 public:
  template <class M, class F>
  void on(F&& handler) {
    handlers_[M::default_instance().GetTypeName()] =
        [h = std::forward<F>(handler)](Message&& msg) -> Delivery {
      M parsed;
      if (!parsed.ParseFromString(msg.body)) {
        return Delivery::kMalformed;
      }
      h(msg.from, std::move(parsed));
      return Delivery::kAccepted;
    };
  }

  // For messages whose body is ignored or handled raw.
  void onRaw(const std::string& name, std::function<Delivery(Message&&)> handler) {
    handlers_[name] = std::move(handler);
  }

  Delivery dispatch(Message&& msg) const {
    auto it = handlers_.find(msg.name);
    if (it == handlers_.end()) {
      return Delivery::kUnknownMessage;
    }
    return it->second(std::move(msg));
  }

  bool handles(const std::string& name) const { return handlers_.count(name) > 0; }

 private:
  std::unordered_map<std::string, std::function<Delivery(Message&&)>> handlers_;
};

// Builds a Message carrying `m` (any generated protobuf type).
template <class M>
Message makeMessage(const Pid& from, const Pid& to, const M& m) {
  return Message{from, to, m.GetTypeName(), m.SerializeAsString()};
}

}  // namespace keel::wire
