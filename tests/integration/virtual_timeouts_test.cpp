// Virtual-time cluster tests of the timeouts of mesos-spec §3 (failover, offers, agent pings,
// status update retries), through the public framework API.

#include <gtest/gtest.h>

#include "cluster.hpp"
#include "virtual_cluster.hpp"

namespace keel::testing {
namespace {

using namespace std::chrono_literals;
using Event = RecordingScheduler::Event;


// Starts a framework and runs one long-running command task ("task-1") on its first offer.
mesos::SchedulerDriver* startWithTask(VirtualCluster& c, RecordingScheduler& s,
                                      mesos::FrameworkInfo fw, bool implicit_acks = true,
                                      const std::string& task = "task-1") {
  auto* driver = c.startScheduler(&s, fw, implicit_acks);
  auto offer = awaitOffer(c, s);
  EXPECT_TRUE(offer.has_value());
  if (!offer) return driver;
  driver->launchTasks(offer->id(), {commandTask(*offer, task, "sleep 1000")});
  c.settle();
  return driver;
}

// Ensures a disconnected framework survives 6 days of a one-week failover_timeout and is
// removed, with its tasks and executors on the agent, once the week is over.
TEST(VirtualTimeouts, FrameworkRemovedAfterOneWeekFailoverTimeout) {
  VirtualClusterOptions o;
  // The longest ping period allowed, so the week can be crossed in 5-minute steps.
  o.master_flags = {"--agent_ping_timeout=15mins"};
  RecordingScheduler s;
  VirtualCluster c(o);
  auto fw = frameworkInfo("failover");
  fw.set_failover_timeout(7 * 24 * 3600);
  auto* driver = startWithTask(c, s, fw);
  ASSERT_TRUE(takeUpdate(s, "task-1", mesos::TASK_RUNNING));
  ASSERT_TRUE(c.executorRunning("task-1"));

  c.network().kill(c.schedulerAddress(driver));
  c.settle();
  c.advance(24h * 6, 5min);
  EXPECT_EQ(c.onMaster([](master::Master& m) { return m.frameworkCount(); }), 1u);
  c.advance(24h - 10min, 5min);
  EXPECT_EQ(c.onMaster([](master::Master& m) { return m.frameworkCount(); }), 1u);
  EXPECT_EQ(c.onAgent(0, [](agent::Agent& a) { return a.frameworks().size(); }), 1u);
  EXPECT_TRUE(c.executorRunning("task-1"));

  c.advance(20min, 5min);
  EXPECT_EQ(c.onMaster([](master::Master& m) { return m.frameworkCount(); }), 0u);
  EXPECT_EQ(c.onAgent(0, [](agent::Agent& a) { return a.frameworks().size(); }), 0u);
  EXPECT_FALSE(c.executorRunning("task-1"));
}

// Ensures an offer outstanding for --offer_timeout=30secs is rescinded then, not before, and
// that its resources are offered again.
TEST(VirtualTimeouts, OfferRescindedAfterOfferTimeoutAndReoffered) {
  VirtualClusterOptions o;
  o.master_flags = {"--offer_timeout=30secs"};
  RecordingScheduler s;
  VirtualCluster c(o);
  c.startScheduler(&s, frameworkInfo("offer-timeout"));
  auto offer = awaitOffer(c, s);
  ASSERT_TRUE(offer);

  c.advance(29500ms, 500ms);
  EXPECT_FALSE(take(s, "rescinded"));
  c.advance(1s, 500ms);
  auto rescinded = take(s, "rescinded");
  ASSERT_TRUE(rescinded);
  EXPECT_EQ(rescinded->data, offer->id().value());

  auto again = awaitOffer(c, s);
  ASSERT_TRUE(again);
  EXPECT_NE(again->id().value(), offer->id().value());
  EXPECT_EQ(again->slave_id().value(), offer->slave_id().value());
}

// Ensures an agent cut off from the master is lost after 5 pings of 15 s go unanswered (the
// first unanswered one leaves up to 15 s after the cut, so 75-90 s): slaveLost() for every
// framework, TASK_LOST for a plain framework and TASK_UNREACHABLE for a PARTITION_AWARE one.
TEST(VirtualTimeouts, AgentPartitionedFromMasterIsLost) {
  RecordingScheduler plain, aware;
  VirtualCluster c;
  startWithTask(c, plain, frameworkInfo("plain"), true, "plain-task");
  auto fw = frameworkInfo("aware");
  fw.add_capabilities()->set_type(mesos::FrameworkInfo::Capability::PARTITION_AWARE);
  startWithTask(c, aware, fw, true, "aware-task");
  ASSERT_TRUE(takeUpdate(plain, "plain-task", mesos::TASK_RUNNING));
  ASSERT_TRUE(takeUpdate(aware, "aware-task", mesos::TASK_RUNNING));

  // A partition between the master and the agent; the agent still talks to its executors.
  const std::string agent = c.agentAddress(0);
  const std::string master = c.masterAddress();
  c.setFilter([agent, master](const wire::Message& m) {
    const std::string from = m.from.address(), to = m.to.address();
    bool cut = (from == agent && to == master) || (from == master && to == agent);
    return cut ? wire::FilterAction::drop() : wire::FilterAction::deliver();
  });

  c.advance(74s, 1s);
  EXPECT_FALSE(take(plain, "slaveLost"));
  EXPECT_FALSE(take(aware, "slaveLost"));
  c.advance(16s, 1s);
  EXPECT_TRUE(take(plain, "slaveLost"));
  EXPECT_TRUE(take(aware, "slaveLost"));
  auto lost = takeUpdate(plain, "plain-task", mesos::TASK_LOST);
  ASSERT_TRUE(lost);
  EXPECT_EQ(lost->reason(), mesos::TaskStatus::REASON_SLAVE_REMOVED);
  auto unreachable = takeUpdate(aware, "aware-task", mesos::TASK_UNREACHABLE);
  ASSERT_TRUE(unreachable);
  EXPECT_EQ(unreachable->reason(), mesos::TaskStatus::REASON_SLAVE_REMOVED);
  c.setFilter(nullptr);
}

// When only pings and pongs are lost, the agent's own ping timeout (75 s) makes it
// re-register; the master must keep counting the missed pings of the still-connected agent
// (it restarts the count only for a disconnected one), so the agent is still marked
// unreachable.
// Ensures an agent that stops answering pings is lost after 5 pings of 15 s go unanswered (the
// first unanswered one leaves up to 15 s after the cut, so 75-90 s): slaveLost() for every
// framework, TASK_LOST for a plain framework and TASK_UNREACHABLE for a PARTITION_AWARE one.
TEST(VirtualTimeouts, AgentNotAnsweringPingsIsLost) {
  RecordingScheduler plain, aware;
  VirtualCluster c;
  startWithTask(c, plain, frameworkInfo("plain"), true, "plain-task");
  auto fw = frameworkInfo("aware");
  fw.add_capabilities()->set_type(mesos::FrameworkInfo::Capability::PARTITION_AWARE);
  startWithTask(c, aware, fw, true, "aware-task");
  ASSERT_TRUE(takeUpdate(plain, "plain-task", mesos::TASK_RUNNING));
  ASSERT_TRUE(takeUpdate(aware, "aware-task", mesos::TASK_RUNNING));

  // The agent stops answering: every ping and pong is lost; all other traffic still flows
  // (so the agent's own ping timeout makes it re-register, which must not save it).
  c.setFilter([](const wire::Message& m) {
    bool ping =
        m.name == "mesos.internal.PingSlaveMessage" || m.name == "mesos.internal.PongSlaveMessage";
    return ping ? wire::FilterAction::drop() : wire::FilterAction::deliver();
  });

  c.advance(74s, 1s);
  EXPECT_FALSE(take(plain, "slaveLost"));
  EXPECT_FALSE(take(aware, "slaveLost"));
  c.advance(16s, 1s);
  EXPECT_TRUE(take(plain, "slaveLost"));
  EXPECT_TRUE(take(aware, "slaveLost"));
  auto lost = takeUpdate(plain, "plain-task", mesos::TASK_LOST);
  ASSERT_TRUE(lost);
  EXPECT_EQ(lost->reason(), mesos::TaskStatus::REASON_SLAVE_REMOVED);
  auto unreachable = takeUpdate(aware, "aware-task", mesos::TASK_UNREACHABLE);
  ASSERT_TRUE(unreachable);
  EXPECT_EQ(unreachable->reason(), mesos::TaskStatus::REASON_SLAVE_REMOVED);
  c.setFilter(nullptr);
}

// Ensures an unacknowledged status update is redelivered after 10 s, then 20 s, and never
// again once the scheduler acknowledges it.
TEST(VirtualTimeouts, UnacknowledgedUpdateRedeliveredWithBackoff) {
  RecordingScheduler s;
  VirtualCluster c;
  auto* driver = startWithTask(c, s, frameworkInfo("acks"), /*implicit_acks=*/false);
  auto first = takeUpdate(s, "task-1", mesos::TASK_STARTING);
  ASSERT_TRUE(first);
  EXPECT_FALSE(takeUpdate(s, "task-1", mesos::TASK_RUNNING));  // held until STARTING is acked

  c.advance(9s, 500ms);
  EXPECT_FALSE(takeUpdate(s, "task-1", mesos::TASK_STARTING));
  c.advance(1s, 500ms);
  auto second = takeUpdate(s, "task-1", mesos::TASK_STARTING);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->uuid(), first->uuid());
  c.advance(19s, 500ms);
  EXPECT_FALSE(takeUpdate(s, "task-1", mesos::TASK_STARTING));
  c.advance(1s, 500ms);
  auto third = takeUpdate(s, "task-1", mesos::TASK_STARTING);
  ASSERT_TRUE(third);

  driver->acknowledgeStatusUpdate(*third);
  c.settle();
  auto running = takeUpdate(s, "task-1", mesos::TASK_RUNNING);
  ASSERT_TRUE(running);
  driver->acknowledgeStatusUpdate(*running);
  c.settle();
  c.advance(30min, 5s);
  EXPECT_FALSE(take(s, "update")) << "no update may be redelivered once acknowledged";
}

}  // namespace
}  // namespace keel::testing
