// Tests of the in-process transport: delivery between loops, the drop/delay filter on a
// manual clock, kill and links, and HTTP calls.

#include "wire/inproc_transport.hpp"

#include <gtest/gtest.h>

#include "runtime/event_loop.hpp"
#include "wire_test_util.hpp"

namespace keel::wire {
namespace {

using namespace std::chrono_literals;
using testing::onLoop;
using testing::Recorder;

ProcessHandlers recording(Recorder<Message>* messages, Recorder<Pid>* exited) {
  return ProcessHandlers{[messages](Message&& m) {
                           messages->add(std::move(m));
                           return Delivery::kAccepted;
                         },
                         [exited](const Pid& p) { exited->add(p); }};
}

// Everything on one never-started loop driven by poll(), with manual time.
class InProcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = network_.createTransport(loop_);
    b_ = network_.createTransport(loop_);
    a_->addProcess("a", recording(&a_messages_, &a_exited_));
    b_->addProcess("b", recording(&b_messages_, &b_exited_));
  }
  void send(const std::string& name, const std::string& body) {
    a_->send(Message{a_->pidOf("a"), b_->pidOf("b"), name, body});
  }
  std::vector<std::string> bodies() {
    std::vector<std::string> out;
    for (const auto& m : b_messages_.values()) {
      out.push_back(m.body);
    }
    return out;
  }

  runtime::ManualClock clock_;
  runtime::EventLoop loop_{clock_};
  InProcNetwork network_;
  std::unique_ptr<InProcTransport> a_;
  std::unique_ptr<InProcTransport> b_;
  Recorder<Message> a_messages_, b_messages_;
  Recorder<Pid> a_exited_, b_exited_;
};

// Transports get distinct fake addresses and pids on them.
TEST_F(InProcTest, Addresses) {
  EXPECT_EQ(a_->address(), "127.0.0.1:10001");
  EXPECT_EQ(b_->address(), "127.0.0.1:10002");
  EXPECT_EQ(b_->pidOf("b").str(), "b@127.0.0.1:10002");
}

// Messages arrive through the receiver's loop, in order, never inside send().
TEST_F(InProcTest, DeliversInOrderThroughTheLoop) {
  for (int i = 0; i < 20; ++i) {
    send("x", std::to_string(i));
  }
  EXPECT_EQ(b_messages_.size(), 0u);
  loop_.poll();
  ASSERT_EQ(b_messages_.size(), 20u);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(bodies()[i], std::to_string(i));
  }
  EXPECT_EQ(b_messages_.values()[0].from, a_->pidOf("a"));
}

// The filter drops and delays chosen messages; delayed ones arrive when time moves.
TEST_F(InProcTest, FilterDropsAndDelays) {
  network_.setFilter([](const Message& m) {
    if (m.name == "drop") {
      return FilterAction::drop();
    }
    if (m.name == "delay") {
      return FilterAction::delay(5s);
    }
    return FilterAction::deliver();
  });
  send("delay", "late");
  send("drop", "never");
  send("x", "now");
  loop_.poll();
  EXPECT_EQ(bodies(), std::vector<std::string>{"now"});
  clock_.advance(4s);
  loop_.poll();
  EXPECT_EQ(bodies(), std::vector<std::string>{"now"});
  clock_.advance(1s);
  loop_.poll();
  EXPECT_EQ(bodies(), (std::vector<std::string>{"now", "late"}));
  network_.setFilter(nullptr);
  send("drop", "now delivered");
  loop_.poll();
  EXPECT_EQ(b_messages_.size(), 3u);
}

// kill() fires on_exited once in linked processes, makes the transport unreachable both
// ways, and revive() brings it back.
TEST_F(InProcTest, KillFiresExitedAndCutsTraffic) {
  a_->link("a", b_->pidOf("b"));
  b_->link("b", a_->pidOf("a"));
  send("x", "before");
  loop_.poll();
  network_.kill(b_->address());
  EXPECT_FALSE(network_.reachable(b_->address()));
  loop_.poll();
  ASSERT_EQ(a_exited_.size(), 1u);
  EXPECT_EQ(a_exited_.values()[0], b_->pidOf("b"));
  EXPECT_EQ(b_exited_.size(), 0u);  // the dead are not told
  send("x", "lost");
  b_->send(Message{b_->pidOf("b"), a_->pidOf("a"), "x", "from the dead"});
  a_->link("a", b_->pidOf("b"));  // cannot link to the dead: exited again, for this link
  loop_.poll();
  EXPECT_EQ(bodies(), std::vector<std::string>{"before"});
  EXPECT_EQ(a_messages_.size(), 0u);
  EXPECT_EQ(a_exited_.size(), 2u);
  network_.revive(b_->address());
  send("x", "after");
  loop_.poll();
  EXPECT_EQ(bodies(), (std::vector<std::string>{"before", "after"}));
}

// Destroying a transport is a kill; removing a local process tells local linkers.
TEST_F(InProcTest, DestroyAndRemoveProcess) {
  a_->link("a", b_->pidOf("b"));
  a_->addProcess("c", ProcessHandlers{[](Message&&) { return Delivery::kAccepted; }, {}});
  Recorder<Message> unused;
  Recorder<Pid> local_exited;
  a_->addProcess("d", recording(&unused, &local_exited));
  a_->link("d", a_->pidOf("c"));
  a_->removeProcess("c");
  b_.reset();
  loop_.poll();
  EXPECT_EQ(a_exited_.size(), 1u);
  ASSERT_EQ(local_exited.size(), 1u);
  EXPECT_EQ(local_exited.values()[0], a_->pidOf("c"));
}

// HTTP calls reach routes, through the delegate, and unknown addresses get 503.
TEST_F(InProcTest, HttpCalls) {
  b_->addRoute("/b/state", [](const HttpRequest& r, Responder respond) {
    respond(HttpResponse{200, "application/json", r.query.at("q") + r.peer, {}});
  });
  b_->setDelegate("b");
  std::vector<HttpResponse> responses;
  auto collect = [&](HttpResponse r) { responses.push_back(std::move(r)); };
  network_.http(b_->address(), HttpRequest{"GET", "/state", {{"q", "1"}}, {}, "", ""}, collect);
  network_.http(b_->address(), HttpRequest{"GET", "/nothing", {}, {}, "", ""}, collect);
  network_.http("127.0.0.1:1", HttpRequest{"GET", "/state", {}, {}, "", ""}, collect);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 503);
  loop_.poll();
  ASSERT_EQ(responses.size(), 3u);
  EXPECT_EQ(responses[1].status, 200);
  EXPECT_EQ(responses[1].body, "1inproc");
  EXPECT_EQ(responses[2].status, 404);
}

// Transports on different running loops exchange messages in order both ways.
TEST(InProcThreadsTest, DifferentLoops) {
  runtime::EventLoop la;
  runtime::EventLoop lb;
  la.start();
  lb.start();
  InProcNetwork network;
  auto a = network.createTransport(la);
  auto b = network.createTransport(lb);
  Recorder<Message> am, bm;
  Recorder<Pid> ae, be;
  onLoop(la, [&] {
    a->addProcess("a", recording(&am, &ae));
    return 0;
  });
  onLoop(lb, [&] {
    b->addProcess("b", recording(&bm, &be));
    return 0;
  });
  constexpr int kCount = 500;
  la.post([&] {
    for (int i = 0; i < kCount; ++i) {
      a->send(Message{a->pidOf("a"), b->pidOf("b"), "x", std::to_string(i)});
    }
  });
  lb.post([&] {
    for (int i = 0; i < kCount; ++i) {
      b->send(Message{b->pidOf("b"), a->pidOf("a"), "x", std::to_string(i)});
    }
  });
  ASSERT_TRUE(am.waitFor(kCount));
  ASSERT_TRUE(bm.waitFor(kCount));
  for (int i = 0; i < kCount; ++i) {
    EXPECT_EQ(am.values()[i].body, std::to_string(i));
    EXPECT_EQ(bm.values()[i].body, std::to_string(i));
  }
  onLoop(la, [&] {
    a->link("a", b->pidOf("b"));
    return 0;
  });
  network.kill(b->address());
  ASSERT_TRUE(ae.waitFor(1));
  onLoop(la, [&] {
    a.reset();
    return 0;
  });
  onLoop(lb, [&] {
    b.reset();
    return 0;
  });
  la.stop();
  lb.stop();
  la.join();
  lb.join();
}

}  // namespace
}  // namespace keel::wire
