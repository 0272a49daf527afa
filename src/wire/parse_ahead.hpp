#pragma once

// Parsing big messages off the loop, with every message still handled in arrival order.
//
// A master re-admitting 40,000 agents after a failover spends a sixth of its loop parsing
// their ReregisterSlaveMessages (docs/benchmarks.md, reregister). Parsing touches nothing but
// the message, so it can run on a thread of its own while the loop handles the message
// before it. Order is what must not change: an agent's re-registration and the status update
// it sends next must reach the master in that order. So once one message is out being parsed,
// everything after it (other messages, exit notices) queues behind it, and the queue is
// handed to the handlers, in order, as its head becomes ready.
//
// Like a message held by the master's model gate (state_worker.hpp), a message parsed ahead
// is answered 202 when it arrives; one that turns out malformed is logged and dropped later,
// as libprocess does with every message.

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include <google/protobuf/message_lite.h>

#include "wire/transport.hpp"

namespace keel::wire {

class ParseAhead {
 public:
  using Parsed = std::unique_ptr<google::protobuf::MessageLite>;
  // Hands a function to the loop thread; called from the parsing thread.
  using Post = std::function<void(std::function<void()>)>;

  // `dispatch` handles, on the loop, a message that is not parsed ahead but had to wait its
  // turn; `malformed` is told (on the loop) of a parsed-ahead message that did not parse.
  // Registered types are parsed ahead from `min_bytes` of body on.
  ParseAhead(Post post, std::function<void(Message&&)> dispatch,
             std::function<void(const Message&)> malformed, size_t min_bytes);
  ~ParseAhead();  // joins the thread; whatever is still queued is dropped

  ParseAhead(const ParseAhead&) = delete;
  ParseAhead& operator=(const ParseAhead&) = delete;

  // Parses messages of type M ahead and hands them to `handler` on the loop.
  template <class M>
  void on(std::function<void(const Pid&, M&&)> handler) {
    types_[M::default_instance().GetTypeName()] =
        Type{[](const std::string& body) -> Parsed {
               auto m = std::make_unique<M>();
               if (!m->ParseFromString(body)) return nullptr;
               return m;
             },
             [h = std::move(handler)](const Pid& from, Parsed&& parsed) {
               h(from, std::move(static_cast<M&>(*parsed)));
             }};
  }

  // Loop thread. Takes `msg` (leaving it moved-from) when it must wait: a registered type of
  // at least min_bytes, or any message while earlier ones are queued. False: the caller
  // handles it now, as if this class did not exist.
  bool take(Message& msg);
  // Loop thread. Queues `fn` (e.g. an exit notice) behind the queued messages; false when
  // nothing is queued and the caller should run it now.
  bool queue(std::function<void()>& fn);

  // Messages and calls queued (loop thread).
  size_t queued() const { return order_.size(); }
  // Blocks until the thread has parsed everything handed to it so far; its results then
  // wait in posts to the loop (tests: deliver, waitParsed(), poll the loop).
  void waitParsed();

 private:
  struct Type {
    Parsed (*parse)(const std::string& body);
    std::function<void(const Pid&, Parsed&&)> handle;
  };
  struct Slot {
    Message msg;
    const Type* type = nullptr;  // set: parsed ahead
    std::function<void()> call;  // set: a queued call
    Parsed parsed;               // written by the thread before `ready`
    std::atomic<bool> ready{false};
  };

  void drain();  // loop: hands the ready head of the queue on
  void threadMain();

  Post post_;
  std::function<void(Message&&)> dispatch_;
  std::function<void(const Message&)> malformed_;
  const size_t min_bytes_;
  std::unordered_map<std::string, Type> types_;
  std::shared_ptr<char> alive_ = std::make_shared<char>();
  std::deque<std::shared_ptr<Slot>> order_;  // loop thread
  bool draining_ = false;                    // loop thread

  std::mutex mu_;
  std::condition_variable cv_;              // the thread waits for work
  std::condition_variable idle_cv_;         // waitParsed() waits for the thread
  std::deque<std::shared_ptr<Slot>> jobs_;  // under mu_
  bool busy_ = false;                       // under mu_: a job is being parsed
  bool stop_ = false;                       // under mu_
  std::atomic<bool> drain_posted_{false};
  std::thread thread_;
};

}  // namespace keel::wire
