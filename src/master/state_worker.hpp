#pragma once

// Rendering /master/state off the master's loop (ARCHITECTURE.md decision 9 keeps the model
// on one loop; this is how the big read-only endpoints leave it).
//
// Design: while a render thread reads the model, the loop keeps running (socket I/O,
// /master/health, /metrics) but the master's model is frozen: all work that may change it
// (messages to the master's processes, their exit notices, its timers and deferred calls,
// its other HTTP routes, registry callbacks) is held by a ModelGate and run once the render
// is done (see ModelGate for the order). A render therefore sees the model as of one moment
// after its requests arrived, like Mesos's atomic /state, without copying it; the master's
// state machine waits for at most one render, as Mesos's master actor waits for its batch of
// read-only requests. Requests that arrive during a render are served together by the next
// one (never by an older one), which starts once the held work has run.
//
// The alternative, copy-on-write task records snapshotted on the loop, still costs a walk
// over every task on the loop per snapshot (tens of ms at 400k tasks), and would change how
// every master file stores tasks.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/event_loop.hpp"
#include "wire/transport.hpp"

namespace keel::master {

// Holds mutating work while the model is lent to a reader. Loop thread only.
//
// Held work is of two kinds, each kept in order: the master's own continuations (timers,
// deferred calls, registry callbacks: run()) and input from outside (messages, exit notices,
// HTTP requests: hold()). When the gate opens the continuations run first. None of the held
// work has been observed by the master yet, so any such order is one it could have met
// anyway; this one also guarantees that a timer which fired during a render never runs after
// held input that would have cancelled it in time (e.g. an agent's re-registration and its
// ping timer).
class ModelGate : public std::enable_shared_from_this<ModelGate> {
 public:
  explicit ModelGate(runtime::EventLoop& loop) : loop_(loop) {}

  // True when work may run now: not closed, and nothing held is waiting to run before it.
  bool passThrough() const { return !closed_ && internal_.empty() && external_.empty(); }

  // A continuation of the master: runs now if passThrough(), else is held.
  void run(std::function<void()> fn);
  // Input from outside, held (callers run it directly when passThrough()).
  void hold(std::function<void()> fn) { external_.push_back(std::move(fn)); }

  // Freezes the model: from now on everything is held.
  void close() { closed_ = true; }
  bool closed() const { return closed_; }
  // Unfreezes it: held work runs, in slices of about 2 ms per loop turn so the loop's I/O
  // goes on; `drained` runs once nothing is held (possibly at once).
  void open(std::function<void()> drained);

  size_t heldCount() const { return internal_.size() + external_.size(); }

 private:
  void drainSlice();

  runtime::EventLoop& loop_;
  bool closed_ = false;
  bool draining_ = false;
  std::deque<std::function<void()>> internal_;
  std::deque<std::function<void()>> external_;
  std::function<void()> drained_;
};

// A Transport seen through a ModelGate: process handlers and routes added through it run
// gated (a held message is answered 202 at once and handled later); everything else passes
// straight to `inner`.
class GatedTransport : public wire::Transport {
 public:
  GatedTransport(wire::Transport& inner, std::shared_ptr<ModelGate> gate)
      : inner_(inner), gate_(std::move(gate)) {}

  wire::Transport& inner() { return inner_; }

  wire::Pid pidOf(const std::string& id) const override { return inner_.pidOf(id); }
  void addProcess(const std::string& id, wire::ProcessHandlers handlers) override;
  void removeProcess(const std::string& id) override;
  void send(wire::Message msg) override { inner_.send(std::move(msg)); }
  void link(const std::string& local_id, const wire::Pid& peer) override {
    inner_.link(local_id, peer);
  }
  void unlink(const std::string& local_id, const wire::Pid& peer) override {
    inner_.unlink(local_id, peer);
  }
  void addRoute(const std::string& path, wire::HttpHandler handler) override;
  void setDelegate(const std::string& process_id) override { inner_.setDelegate(process_id); }

 private:
  wire::Transport& inner_;
  std::shared_ptr<ModelGate> gate_;
  std::map<std::string, std::shared_ptr<bool>> live_;  // process id → still added
};

// Renders the read-only endpoints on one thread of its own, under the gate.
class StateWorker {
 public:
  enum class Kind { kState, kFrameworks, kSlaves, kTasks };
  // Appends the document of `kind` to `out`; called on the render thread.
  using Renderer = std::function<void(Kind kind, std::string* out)>;

  // When `inline_ok` says so (a small model: rendering takes well under a millisecond),
  // a request that finds the worker idle is rendered at once on the loop instead.
  StateWorker(runtime::EventLoop& loop, std::shared_ptr<ModelGate> gate, Renderer render,
              std::function<bool()> inline_ok = nullptr);
  ~StateWorker();  // stop()

  // Loop thread: answers `respond` with the document of `kind` from a render that starts
  // after this call (with `jsonp`, wrapped as JSONP).
  void request(Kind kind, std::string jsonp, wire::Responder respond);

  // Waits for a render in progress and ends the thread; pending requests stay unanswered.
  void stop();

  // Renders started so far (for tests).
  uint64_t renders() const { return renders_; }

 private:
  struct Waiter {
    Kind kind;
    std::string jsonp;
    wire::Responder respond;
  };
  struct Answer {
    wire::Responder respond;
    wire::HttpResponse response;
  };

  // The response for `w` with `body` (JSONP-wrapped if asked).
  static wire::HttpResponse answer(const Waiter& w, std::string body);
  void maybeStart();
  void threadMain();

  runtime::EventLoop& loop_;
  std::shared_ptr<ModelGate> gate_;
  Renderer render_;
  std::function<bool()> inline_ok_;
  std::shared_ptr<char> alive_ = std::make_shared<char>();
  std::vector<Waiter> pending_;  // loop thread
  bool busy_ = false;            // loop thread: a batch is out
  uint64_t renders_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Waiter> batch_;  // under mu_
  bool has_batch_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace keel::master
