// Tests of off-loop rendering (state_worker.hpp): the model gate and the render batches.

#include "master/state_worker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "runtime/event_loop.hpp"

namespace keel::master {
namespace {

using Kind = StateWorker::Kind;

// Runs `fn` on the running loop and waits for it.
template <class F>
auto onLoop(runtime::EventLoop& loop, F fn) {
  std::packaged_task<decltype(fn())()> task(std::move(fn));
  auto result = task.get_future();
  loop.post([&task] { task(); });
  return result.get();
}

// Waits (bounded) until `pred` holds when checked on the loop.
template <class P>
bool waitFor(runtime::EventLoop& loop, P pred) {
  for (int i = 0; i < 2000; ++i) {
    if (onLoop(loop, pred)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

// A "model" (one number) whose first render blocks until released.
struct Fixture {
  runtime::EventLoop loop;
  std::shared_ptr<ModelGate> gate = std::make_shared<ModelGate>(loop);
  int model = 1;  // loop thread, or the render thread under the gate
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> first_started;
  std::atomic<int> renders{0};
  std::unique_ptr<StateWorker> worker;
  std::vector<std::string> answers;  // loop thread

  Fixture() {
    worker = std::make_unique<StateWorker>(loop, gate, [this](Kind kind, std::string* out) {
      if (renders++ == 0) {
        first_started.set_value();
        released.wait();
      }
      *out = (kind == Kind::kState ? "state=" : "tasks=") + std::to_string(model);
    });
    loop.start();
  }
  ~Fixture() {
    try {
      release.set_value();  // never leave the render thread blocked
    } catch (const std::future_error&) {
    }
    onLoop(loop, [this] {
      worker.reset();
      return 0;
    });
    loop.stop();
    loop.join();
  }
  wire::Responder collect() {
    return [this](wire::HttpResponse r) { answers.push_back(r.body); };
  }
};

// Ensures a /state asked while a render is in progress is answered by a later render that
// reflects a change made after the earlier render started, and that the change waited.
TEST(StateWorkerTest, LaterRequestSeesLaterChange) {
  Fixture f;
  onLoop(f.loop, [&] {
    f.worker->request(Kind::kState, "", f.collect());
    return 0;
  });
  f.first_started.get_future().wait();
  // The render is reading: a change arriving now is held, and so is a second request.
  onLoop(f.loop, [&] {
    EXPECT_TRUE(f.gate->closed());
    f.gate->run([&] { f.model = 2; });
    f.worker->request(Kind::kState, "cb", f.collect());
    EXPECT_EQ(f.model, 1);
    EXPECT_EQ(f.gate->heldCount(), 1u);
    return 0;
  });
  f.release.set_value();
  ASSERT_TRUE(waitFor(f.loop, [&] { return f.answers.size() == 2; }));
  onLoop(f.loop, [&] {
    EXPECT_EQ(f.answers[0], "state=1");
    EXPECT_EQ(f.answers[1], "cb(state=2);");
    EXPECT_EQ(f.model, 2);
    EXPECT_FALSE(f.gate->closed());
    EXPECT_EQ(f.worker->renders(), 2u);
    return 0;
  });
}

// Ensures requests waiting together share one render per kind, each getting its own copy.
TEST(StateWorkerTest, WaitingRequestsShareTheNextRender) {
  Fixture f;
  onLoop(f.loop, [&] {
    f.worker->request(Kind::kState, "", f.collect());
    return 0;
  });
  f.first_started.get_future().wait();
  onLoop(f.loop, [&] {
    for (int i = 0; i < 3; ++i) f.worker->request(Kind::kState, "", f.collect());
    f.worker->request(Kind::kTasks, "", f.collect());
    return 0;
  });
  f.release.set_value();
  ASSERT_TRUE(waitFor(f.loop, [&] { return f.answers.size() == 5; }));
  EXPECT_EQ(f.renders.load(), 3);  // the first, then one each for state and tasks
  onLoop(f.loop, [&] {
    EXPECT_EQ(f.worker->renders(), 2u);
    EXPECT_EQ(f.answers[4], "tasks=1");
    return 0;
  });
}

// A transport that records what is added to it.
class RecordingTransport : public wire::Transport {
 public:
  wire::Pid pidOf(const std::string& id) const override { return {id, "127.0.0.1", 1}; }
  void addProcess(const std::string& id, wire::ProcessHandlers h) override { processes[id] = h; }
  void removeProcess(const std::string& id) override { processes.erase(id); }
  void send(wire::Message) override {}
  void link(const std::string&, const wire::Pid&) override {}
  void unlink(const std::string&, const wire::Pid&) override {}
  void addRoute(const std::string& path, wire::HttpHandler h) override { routes[path] = h; }
  void setDelegate(const std::string&) override {}
  std::map<std::string, wire::ProcessHandlers> processes;
  std::map<std::string, wire::HttpHandler> routes;
};

// Ensures messages, exit notices and routes through a closed gate are held (messages answered
// as accepted) and run in arrival order when it opens, after the master's own held
// continuations, and that held messages of a removed process are dropped.
TEST(StateWorkerTest, GatedTransportHoldsInOrder) {
  runtime::EventLoop loop;  // driven by poll() below
  auto gate = std::make_shared<ModelGate>(loop);
  RecordingTransport inner;
  GatedTransport gated(inner, gate);
  std::vector<std::string> log;
  gated.addProcess(
      "p", wire::ProcessHandlers{[&](wire::Message&& m) {
                                   log.push_back("msg " + m.name);
                                   return wire::Delivery::kUnknownMessage;
                                 },
                                 [&](const wire::Pid& pid) { log.push_back("exit " + pid.id); }});
  gated.addProcess("q", wire::ProcessHandlers{[&](wire::Message&& m) {
                                                log.push_back("q " + m.name);
                                                return wire::Delivery::kAccepted;
                                              },
                                              nullptr});
  gated.addRoute("/r", [&](const wire::HttpRequest& req, wire::Responder respond) {
    log.push_back("route " + req.path);
    respond(wire::HttpResponse{});
  });

  // Open: straight through, with the handler's answer.
  EXPECT_EQ(inner.processes["p"].on_message(wire::Message{{}, {}, "a", ""}),
            wire::Delivery::kUnknownMessage);
  gate->close();
  EXPECT_EQ(inner.processes["p"].on_message(wire::Message{{}, {}, "b", ""}),
            wire::Delivery::kAccepted);
  inner.processes["p"].on_exited(wire::Pid{"x", "127.0.0.1", 2});
  int responded = 0;
  wire::HttpRequest req;
  req.path = "/r";
  inner.routes["/r"](req, [&](wire::HttpResponse) { responded++; });
  inner.processes["q"].on_message(wire::Message{{}, {}, "c", ""});
  gated.removeProcess("q");
  gate->run([&] { log.push_back("timer 1"); });
  gate->run([&] { log.push_back("timer 2"); });
  EXPECT_EQ(log, std::vector<std::string>{"msg a"});
  EXPECT_EQ(gate->heldCount(), 6u);
  bool drained = false;
  gate->open([&] { drained = true; });
  for (int i = 0; i < 100 && !drained; ++i) loop.poll();
  EXPECT_TRUE(drained);
  EXPECT_EQ(log, (std::vector<std::string>{"msg a", "timer 1", "timer 2", "msg b", "exit x",
                                           "route /r"}));
  // Open and idle again: straight through.
  gate->run([&] { log.push_back("timer 3"); });
  EXPECT_EQ(log.back(), "timer 3");
  EXPECT_EQ(responded, 1);
}

}  // namespace
}  // namespace keel::master
