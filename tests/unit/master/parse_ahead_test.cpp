// wire::ParseAhead on its own (messages parsed on its thread, handled in arrival order), and
// the master's use of it for agents' big (re-)registrations.

#include "wire/parse_ahead.hpp"

#include <gtest/gtest.h>
#include <mesos/mesos.pb.h>

#include <string>
#include <vector>

#include "master_fixture.hpp"
#include "runtime/clock.hpp"
#include "runtime/event_loop.hpp"

namespace keel::wire {
namespace {

const Pid kFrom{"slave(1)", "127.0.0.2", 5051};
const Pid kTo{"master", "127.0.0.1", 5050};
constexpr size_t kMinBytes = 64;

// A TaskID message carrying `value`.
Message taskIdMessage(const std::string& value) {
  mesos::TaskID id;
  id.set_value(value);
  return Message{kFrom, kTo, id.GetTypeName(), id.SerializeAsString()};
}

class ParseAheadTest : public ::testing::Test {
 protected:
  ParseAheadTest()
      : loop_(clock_),
        ahead_([this](std::function<void()> fn) { loop_.post(std::move(fn)); },
               [this](Message&& m) { seen_.push_back("now:" + m.name); },
               [this](const Message& m) { seen_.push_back("malformed:" + m.name); }, kMinBytes) {
    ahead_.on<mesos::TaskID>([this](const Pid& from, mesos::TaskID&& id) {
      seen_.push_back("ahead:" + id.value().substr(0, 8) + "@" + from.str());
    });
  }

  // Everything handed to the thread is parsed, and the loop has run what it posted.
  void settle() {
    ahead_.waitParsed();
    loop_.poll();
  }

  runtime::ManualClock clock_;
  runtime::EventLoop loop_;
  std::vector<std::string> seen_;
  ParseAhead ahead_;
};

// Ensures small messages, and messages of types not parsed ahead, are left to the caller
// while nothing is queued.
TEST_F(ParseAheadTest, SmallOrOtherMessagesPassWhenNothingIsQueued) {
  Message small = taskIdMessage("short");
  EXPECT_FALSE(ahead_.take(small));
  EXPECT_EQ(small.name, "mesos.TaskID");  // not moved from
  Message other{kFrom, kTo, "mesos.internal.PingSlaveMessage", std::string(200, 'x')};
  EXPECT_FALSE(ahead_.take(other));
  std::function<void()> call = [this] { seen_.push_back("call"); };
  EXPECT_FALSE(ahead_.queue(call));
  EXPECT_EQ(ahead_.queued(), 0u);
  settle();
  EXPECT_TRUE(seen_.empty());
}

// Ensures a big message is parsed off the loop and that everything after it (a message that
// is not parsed ahead, a queued call, another big message, a malformed one, a small one of a
// parsed-ahead type) is handled after it, in arrival order.
TEST_F(ParseAheadTest, EverythingIsHandledInArrivalOrder) {
  Message first = taskIdMessage("AAAAAAAA" + std::string(100, 'a'));
  ASSERT_TRUE(ahead_.take(first));
  Message ping{kFrom, kTo, "mesos.internal.PingSlaveMessage", ""};
  ASSERT_TRUE(ahead_.take(ping));  // queued behind the first
  std::function<void()> call = [this] { seen_.push_back("call"); };
  ASSERT_TRUE(ahead_.queue(call));
  Message second = taskIdMessage("BBBBBBBB" + std::string(5000, 'b'));
  ASSERT_TRUE(ahead_.take(second));
  Message garbage{kFrom, kTo, "mesos.TaskID", std::string(100, '\xff')};
  ASSERT_TRUE(ahead_.take(garbage));
  Message small = taskIdMessage("CCCCCCCC");
  ASSERT_TRUE(ahead_.take(small));  // small, but must wait its turn
  EXPECT_EQ(ahead_.queued(), 6u);
  EXPECT_TRUE(seen_.empty());  // nothing is handled before the loop runs

  settle();
  const std::string from = "@" + kFrom.str();
  EXPECT_EQ(seen_, (std::vector<std::string>{
                       "ahead:AAAAAAAA" + from, "now:mesos.internal.PingSlaveMessage", "call",
                       "ahead:BBBBBBBB" + from, "malformed:mesos.TaskID", "now:mesos.TaskID"}));
  EXPECT_EQ(ahead_.queued(), 0u);

  // With the queue empty again, small messages pass straight through.
  Message later = taskIdMessage("later");
  EXPECT_FALSE(ahead_.take(later));
}

// Ensures many big messages, parsed while the loop runs, keep their order.
TEST_F(ParseAheadTest, ManyMessagesKeepTheirOrder) {
  constexpr int kCount = 500;
  std::vector<std::string> expected;
  for (int i = 0; i < kCount; ++i) {
    std::string value = std::to_string(10000000 + i) + std::string(kMinBytes, 'x');
    expected.push_back("ahead:" + value.substr(0, 8) + "@" + kFrom.str());
    Message m = taskIdMessage(value);
    ASSERT_TRUE(ahead_.take(m));
    if (i % 50 == 0) loop_.poll();  // some are handed on while others are still parsed
  }
  settle();
  EXPECT_EQ(seen_, expected);
}

// Ensures the parser can be destroyed with work still queued and being parsed.
TEST_F(ParseAheadTest, DestroyedWithWorkQueued) {
  auto ahead =
      std::make_unique<ParseAhead>([this](std::function<void()> fn) { loop_.post(std::move(fn)); },
                                   [](Message&&) {}, [](const Message&) {}, kMinBytes);
  int handled = 0;
  ahead->on<mesos::TaskID>([&handled](const Pid&, mesos::TaskID&&) { ++handled; });
  for (int i = 0; i < 100; ++i) {
    Message m = taskIdMessage(std::string(1000, 'z'));
    ASSERT_TRUE(ahead->take(m));
  }
  ahead.reset();
  loop_.poll();  // whatever it had posted finds it gone
  EXPECT_EQ(handled, 0);
}

}  // namespace
}  // namespace keel::wire

namespace keel::master {
namespace {

// A re-registration of `aid` big enough to be parsed ahead (it reports many tasks).
mesos::internal::ReregisterSlaveMessage bigReregistration(const std::string& aid, int port) {
  mesos::internal::ReregisterSlaveMessage rereg;
  rereg.mutable_slave()->set_hostname("agent-host");
  rereg.mutable_slave()->set_port(port);
  rereg.mutable_slave()->mutable_id()->set_value(aid);
  *rereg.mutable_slave()->add_resources() = scalar("cpus", 4);
  *rereg.mutable_slave()->add_resources() = scalar("mem", 1024);
  rereg.set_version("1.12.0");
  for (int i = 0; i < 40; ++i) {
    mesos::Task* task = rereg.add_tasks();
    task->set_name("task-" + std::to_string(i));
    task->mutable_task_id()->set_value("task-" + std::to_string(i));
    task->mutable_framework_id()->set_value("framework-of-another-master");
    task->mutable_slave_id()->set_value(aid);
    task->set_state(mesos::TASK_RUNNING);
  }
  return rereg;
}

// Ensures a re-registration parsed off the loop is handled before an exit notice of the agent
// that arrived after it: the agent ends disconnected, as if both were handled on arrival.
TEST_F(MasterTest, BigReregistrationIsHandledBeforeALaterExit) {
  const std::string aid = registerAgent();
  ASSERT_FALSE(aid.empty());
  auto rereg = bigReregistration(aid, kAgent.port);
  ASSERT_GT(rereg.ByteSizeLong(), 1024u);
  EXPECT_EQ(transport_.deliver(kAgent, "master", rereg), wire::Delivery::kAccepted);
  transport_.exit(kAgent);
  // Neither is handled before the loop runs.
  EXPECT_TRUE(transport_.take<mesos::internal::SlaveReregisteredMessage>(kAgent).empty());
  EXPECT_NE(transport_.get("/state")->body.find("\"active\":true"), std::string::npos);

  master_->waitParsed();
  loop_.poll();
  EXPECT_EQ(transport_.take<mesos::internal::SlaveReregisteredMessage>(kAgent).size(), 1u);
  const std::string state = transport_.get("/state")->body;
  EXPECT_NE(state.find("\"active\":false"), std::string::npos) << state;
  EXPECT_EQ(state.find("\"active\":true"), std::string::npos) << state;
}

// Ensures a big registration that does not parse is dropped and counted once parsed, while
// the master goes on.
TEST_F(MasterTest, BigMalformedRegistrationIsDroppedLater) {
  wire::Message garbage{kAgent, transport_.pidOf("master"), "mesos.internal.RegisterSlaveMessage",
                        std::string(4096, '\xff')};
  EXPECT_EQ(transport_.deliverRaw(garbage), wire::Delivery::kAccepted);
  master_->waitParsed();
  loop_.poll();
  EXPECT_EQ(master_->metrics().dropped_messages, 1u);
  EXPECT_EQ(master_->agentCount(), 0u);
  EXPECT_FALSE(registerAgent().empty());
}

}  // namespace
}  // namespace keel::master
