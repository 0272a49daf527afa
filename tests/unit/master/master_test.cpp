// Unit tests of the master's state machine, driven message by message through a fake
// transport in virtual time: registration, offers, launch validation outcomes, filters,
// status updates and acknowledgements, kill, teardown, failover and agent health.

#include "master/master.hpp"

#include <gtest/gtest.h>
#include <mesos/internal/messages.pb.h>
#include <mesos/scheduler/scheduler.pb.h>

#include "master_fixture.hpp"

namespace keel::master {
namespace {

// Ensures agents and frameworks get ids in Mesos's formats and the master pings agents
// from a slave-observer process.
TEST_F(MasterTest, RegistrationIdsAndPing) {
  std::string aid = registerAgent();
  EXPECT_EQ(aid, master_->info().id() + "-S0");
  auto pings = transport_.take<mesos::internal::PingSlaveMessage>(kAgent);
  ASSERT_EQ(pings.size(), 1u);
  EXPECT_TRUE(pings[0].connected());
  EXPECT_EQ(transport_.sent().size(), 0u);

  std::string fid = subscribe();
  EXPECT_EQ(fid, master_->info().id() + "-0000");
  EXPECT_TRUE(transport_.linked(kScheduler));
  EXPECT_TRUE(transport_.linked(kAgent));
}

// Ensures a registered framework is offered the whole agent in one message with the
// agent's pid, and that the offer's id, url and allocation role follow Mesos.
TEST_F(MasterTest, OffersWholeAgent) {
  std::string aid = registerAgent();
  std::string fid = subscribe();
  auto msgs = transport_.take<ResourceOffersMessage>(kScheduler);
  ASSERT_EQ(msgs.size(), 1u);
  ASSERT_EQ(msgs[0].offers_size(), 1);
  ASSERT_EQ(msgs[0].pids_size(), 1);
  EXPECT_EQ(msgs[0].pids(0), kAgent.str());
  const auto& offer = msgs[0].offers(0);
  EXPECT_EQ(offer.id().value(), master_->info().id() + "-O0");
  EXPECT_EQ(offer.framework_id().value(), fid);
  EXPECT_EQ(offer.slave_id().value(), aid);
  EXPECT_EQ(offer.url().path(), "/slave(1)");
  EXPECT_EQ(offer.url().address().port(), 5051);
  Resources offered(offer.resources());
  EXPECT_DOUBLE_EQ(offered.cpus().value_or(0), 4);
  EXPECT_DOUBLE_EQ(offered.mem().value_or(0), 1024);
  // A framework without MULTI_ROLE never sees allocation_info.
  EXPECT_FALSE(offer.has_allocation_info());
}

// Ensures a valid launch reaches the agent as a RunTaskMessage carrying the framework and
// the scheduler's pid, and that unused resources come back after the filter.
TEST_F(MasterTest, LaunchSendsRunTask) {
  registerAgent();
  std::string fid = subscribe();
  auto o = offers();
  ASSERT_EQ(o.size(), 1u);
  launch(fid, o[0], {commandTask("t1", o[0])}, 2);
  auto runs = transport_.take<RunTaskMessage>(kAgent);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].task().task_id().value(), "t1");
  EXPECT_EQ(runs[0].framework().id().value(), fid);
  EXPECT_EQ(runs[0].pid(), kScheduler.str());
  EXPECT_TRUE(updates().empty());

  advance(seconds(1));
  EXPECT_TRUE(offers().empty()) << "the 2 s filter must hold the remainder back";
  advance(seconds(2));
  auto again = offers();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_DOUBLE_EQ(Resources(again[0].resources()).cpus().value_or(0), 3);
}

// Ensures an invalid task gets TASK_ERROR / REASON_TASK_INVALID from the master, with no
// uuid, while a valid task in the same ACCEPT still launches.
TEST_F(MasterTest, InvalidTaskIsError) {
  registerAgent();
  std::string fid = subscribe();
  auto o = offers();
  auto bad = commandTask("bad", o[0]);
  bad.clear_resources();
  launch(fid, o[0], {bad, commandTask("good", o[0])});
  auto u = updates();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].task_id().value(), "bad");
  EXPECT_EQ(u[0].state(), mesos::TASK_ERROR);
  EXPECT_EQ(u[0].reason(), mesos::TaskStatus::REASON_TASK_INVALID);
  EXPECT_EQ(u[0].source(), mesos::TaskStatus::SOURCE_MASTER);
  EXPECT_EQ(u[0].message(), "Task uses no resources");
  EXPECT_FALSE(u[0].has_uuid());
  EXPECT_EQ(transport_.take<RunTaskMessage>(kAgent).size(), 1u);
}

// Ensures a stale offer yields TASK_LOST (TASK_DROPPED for partition-aware frameworks)
// with REASON_INVALID_OFFERS.
TEST_F(MasterTest, InvalidOfferIsLostOrDropped) {
  registerAgent();
  std::string fid = subscribe();
  auto o = offers();
  mesos::Offer stale = o[0];
  stale.mutable_id()->set_value("no-such-offer");
  launch(fid, stale, {commandTask("t", o[0])});
  auto u = updates();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].state(), mesos::TASK_LOST);
  EXPECT_EQ(u[0].reason(), mesos::TaskStatus::REASON_INVALID_OFFERS);

  wire::Pid aware_pid{"scheduler-2", "127.0.0.4", 40001};
  mesos::FrameworkInfo info;
  info.add_capabilities()->set_type(mesos::FrameworkInfo::Capability::PARTITION_AWARE);
  std::string aware = subscribe(aware_pid, info);
  Call c = call(Call::ACCEPT, aware);
  c.mutable_accept()->add_offer_ids()->set_value("no-such-offer");
  auto* op = c.mutable_accept()->add_operations();
  op->set_type(mesos::Offer::Operation::LAUNCH);
  *op->mutable_launch()->add_task_infos() = commandTask("t", o[0]);
  transport_.deliver(aware_pid, "master", c);
  loop_.poll();
  u = updates(aware_pid);
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].state(), mesos::TASK_DROPPED);
}

// Ensures a decline filter blocks re-offers for refuse_seconds, and REVIVE clears it.
TEST_F(MasterTest, DeclineFilterAndRevive) {
  registerAgent();
  std::string fid = subscribe();
  auto o = offers();
  Call decline = call(Call::DECLINE, fid);
  *decline.mutable_decline()->add_offer_ids() = o[0].id();
  decline.mutable_decline()->mutable_filters()->set_refuse_seconds(30);
  transport_.deliver(kScheduler, "master", decline);
  loop_.poll();
  advance(seconds(10));
  EXPECT_TRUE(offers().empty());
  transport_.deliver(kScheduler, "master", call(Call::REVIVE, fid));
  loop_.poll();
  EXPECT_EQ(offers().size(), 1u);
}

// Ensures SUPPRESS stops offers until REVIVE.
TEST_F(MasterTest, SuppressAndRevive) {
  registerAgent();
  std::string fid = subscribe();
  transport_.deliver(kScheduler, "master", call(Call::SUPPRESS, fid));
  loop_.poll();
  auto o = offers();
  ASSERT_EQ(o.size(), 1u);
  Call decline = call(Call::DECLINE, fid);
  *decline.mutable_decline()->add_offer_ids() = o[0].id();
  decline.mutable_decline()->mutable_filters()->set_refuse_seconds(0);
  transport_.deliver(kScheduler, "master", decline);
  loop_.poll();
  advance(seconds(5));
  EXPECT_TRUE(offers().empty());
  transport_.deliver(kScheduler, "master", call(Call::REVIVE, fid));
  loop_.poll();
  EXPECT_EQ(offers().size(), 1u);
}

// Ensures agent updates are forwarded with the agent as acknowledgee, acknowledgements go
// to the agent, and a terminal task stays until its terminal update is acknowledged.
TEST_F(MasterTest, StatusUpdatesAndAcknowledgements) {
  std::string aid = registerAgent();
  std::string fid = subscribe();
  auto o = offers();
  launch(fid, o[0], {commandTask("t1", o[0])});
  transport_.take<RunTaskMessage>(kAgent);

  const std::string uuid(16, '\x07');
  agentUpdate(fid, aid, "t1", mesos::TASK_FINISHED, uuid);
  auto forwarded = transport_.take<StatusUpdateMessage>(kScheduler);
  ASSERT_EQ(forwarded.size(), 1u);
  EXPECT_EQ(forwarded[0].pid(), kAgent.str());
  EXPECT_EQ(forwarded[0].update().uuid(), uuid);

  auto state = transport_.get("/state");
  ASSERT_TRUE(state);
  EXPECT_NE(state->body.find("\"TASK_FINISHED\""), std::string::npos);
  EXPECT_NE(state->body.find("\"tasks\":[{"), std::string::npos) << "still active until acked";

  Call ack = call(Call::ACKNOWLEDGE, fid);
  ack.mutable_acknowledge()->mutable_slave_id()->set_value(aid);
  ack.mutable_acknowledge()->mutable_task_id()->set_value("t1");
  ack.mutable_acknowledge()->set_uuid(uuid);
  transport_.deliver(kScheduler, "master", ack);
  loop_.poll();
  auto acks = transport_.take<mesos::internal::StatusUpdateAcknowledgementMessage>(kAgent);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].uuid(), uuid);
  state = transport_.get("/master/state");
  EXPECT_NE(state->body.find("\"tasks\":[]"), std::string::npos);
  EXPECT_NE(state->body.find("\"completed_tasks\":[{"), std::string::npos);
}

// Ensures killing a task the master doesn't know is answered by reconciliation: TASK_LOST
// with REASON_RECONCILIATION for a framework that is not partition-aware.
TEST_F(MasterTest, KillUnknownTaskReconciles) {
  registerAgent();
  std::string fid = subscribe();
  Call kill = call(Call::KILL, fid);
  kill.mutable_kill()->mutable_task_id()->set_value("ghost");
  transport_.deliver(kScheduler, "master", kill);
  loop_.poll();
  auto u = updates();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].state(), mesos::TASK_LOST);
  EXPECT_EQ(u[0].reason(), mesos::TaskStatus::REASON_RECONCILIATION);
  EXPECT_TRUE(transport_.take<KillTaskMessage>(kAgent).empty());
}

// Ensures a kill of a known task is sent to its agent.
TEST_F(MasterTest, KillKnownTask) {
  registerAgent();
  std::string fid = subscribe();
  auto o = offers();
  launch(fid, o[0], {commandTask("t1", o[0])});
  Call kill = call(Call::KILL, fid);
  kill.mutable_kill()->mutable_task_id()->set_value("t1");
  transport_.deliver(kScheduler, "master", kill);
  loop_.poll();
  auto kills = transport_.take<KillTaskMessage>(kAgent);
  ASSERT_EQ(kills.size(), 1u);
  EXPECT_EQ(kills[0].task_id().value(), "t1");
}

// Ensures TEARDOWN shuts the framework down on every agent and its id can never
// subscribe again.
TEST_F(MasterTest, TeardownRemovesForever) {
  registerAgent();
  std::string fid = subscribe();
  transport_.deliver(kScheduler, "master", call(Call::TEARDOWN, fid));
  loop_.poll();
  EXPECT_EQ(transport_.take<mesos::internal::ShutdownFrameworkMessage>(kAgent).size(), 1u);
  EXPECT_EQ(master_->frameworkCount(), 0u);

  mesos::FrameworkInfo info;
  info.mutable_id()->set_value(fid);
  EXPECT_EQ(subscribe(kScheduler, info), "");
  auto errors = transport_.take<FrameworkErrorMessage>(kScheduler);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message(), "Framework has been removed");
}

// Ensures a second scheduler with the same id is refused without force and takes over
// with force, the old one being told "Framework failed over".
TEST_F(MasterTest, FailoverNeedsForce) {
  std::string fid = subscribe();
  wire::Pid second{"scheduler-2", "127.0.0.5", 40002};
  mesos::FrameworkInfo info;
  info.mutable_id()->set_value(fid);
  info.set_failover_timeout(60);
  EXPECT_EQ(subscribe(second, info), "");
  auto errors = transport_.take<FrameworkErrorMessage>(second);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message(), "Framework failed over");

  Call c;
  c.set_type(Call::SUBSCRIBE);
  c.mutable_framework_id()->set_value(fid);
  *c.mutable_subscribe()->mutable_framework_info() = info;
  c.mutable_subscribe()->mutable_framework_info()->set_user("tester");
  c.mutable_subscribe()->mutable_framework_info()->set_name("test");
  c.mutable_subscribe()->set_force(true);
  transport_.deliver(second, "master", c);
  loop_.poll();
  EXPECT_EQ(transport_.take<FrameworkRegisteredMessage>(second).size(), 1u);
  EXPECT_EQ(transport_.take<FrameworkErrorMessage>(kScheduler).size(), 1u);
}

// Ensures a scheduler whose connection breaks is removed once its failover timeout
// (default 0) expires, and kept until then.
TEST_F(MasterTest, FailoverTimeout) {
  registerAgent();
  mesos::FrameworkInfo info;
  info.set_failover_timeout(7 * 24 * 3600);  // one week
  std::string fid = subscribe(kScheduler, info);
  transport_.exit(kScheduler);
  loop_.poll();
  advance(std::chrono::hours(24 * 6));
  EXPECT_EQ(master_->frameworkCount(), 1u);
  advance(std::chrono::hours(25));
  EXPECT_EQ(master_->frameworkCount(), 0u);
  EXPECT_EQ(transport_.take<mesos::internal::ShutdownFrameworkMessage>(kAgent).size(), 1u);
}

// Ensures an agent that stops answering pings is removed after max_agent_ping_timeouts,
// its tasks become TASK_LOST and every framework hears slaveLost.
TEST_F(MasterTest, AgentPingTimeout) {
  std::string aid = registerAgent();
  std::string fid = subscribe();
  auto o = offers();
  launch(fid, o[0], {commandTask("t1", o[0])});
  for (int i = 0; i < 6; ++i) advance(seconds(15));
  auto lost = transport_.take<mesos::internal::LostSlaveMessage>(kScheduler);
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].slave_id().value(), aid);
  auto u = updates();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].state(), mesos::TASK_LOST);
  EXPECT_EQ(u[0].reason(), mesos::TaskStatus::REASON_SLAVE_REMOVED);
  EXPECT_EQ(master_->agentCount(), 0u);
}

// Ensures pongs keep an agent alive.
TEST_F(MasterTest, PongsKeepAgent) {
  registerAgent();
  for (int i = 0; i < 10; ++i) {
    transport_.deliver(kAgent, "slave-observer(1)", mesos::internal::PongSlaveMessage());
    advance(seconds(15));
  }
  EXPECT_EQ(master_->agentCount(), 1u);
}

// Ensures malformed and unknown messages are refused (the transport turns these into
// 400 / 404) and counted, without disturbing the master.
TEST_F(MasterTest, MalformedAndUnknownMessages) {
  wire::Message garbage{kAgent, transport_.pidOf("master"),
                        "mesos.internal.RegisterSlaveMessage", "\xff\xff\xff"};
  EXPECT_EQ(transport_.deliverRaw(garbage), wire::Delivery::kMalformed);
  wire::Message unknown{kAgent, transport_.pidOf("master"), "mesos.internal.NoSuchMessage", ""};
  EXPECT_EQ(transport_.deliverRaw(unknown), wire::Delivery::kUnknownMessage);
  EXPECT_EQ(master_->metrics().dropped_messages, 2u);
  EXPECT_FALSE(registerAgent().empty());
}

// Ensures /state carries the fields clients use to find and inspect the master.
TEST_F(MasterTest, StateEndpoint) {
  registerAgent();
  subscribe();
  auto state = transport_.get("/state");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->status, 200);
  for (const char* field : {"\"leader\":\"master@127.0.0.1:5050\"", "\"activated_slaves\":1.0",
                            "\"version\":\"1.12.0\"", "\"slaves\":[{", "\"frameworks\":[{",
                            "\"leader_info\":{", "\"flags\":{"}) {
    EXPECT_NE(state->body.find(field), std::string::npos) << field << " in " << state->body;
  }
  auto health = transport_.get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_TRUE(health->body.empty());
}

}  // namespace
}  // namespace keel::master

namespace keel::master {
namespace {

// Ensures the legacy v0 messages old drivers send still work: RegisterFrameworkMessage
// registers, an id in it is refused, ReregisterFrameworkMessage without an id is refused,
// and LaunchTasksMessage launches.
TEST_F(MasterTest, LegacyFrameworkMessages) {
  registerAgent();
  mesos::internal::RegisterFrameworkMessage reg;
  reg.mutable_framework()->set_user("u");
  reg.mutable_framework()->set_name("legacy");
  transport_.deliver(kScheduler, "master", reg);
  loop_.poll();
  auto registered = transport_.take<FrameworkRegisteredMessage>(kScheduler);
  ASSERT_EQ(registered.size(), 1u);
  const std::string fid = registered[0].framework_id().value();

  wire::Pid other{"scheduler-9", "127.0.0.9", 40009};
  reg.mutable_framework()->mutable_id()->set_value("some-id");
  transport_.deliver(other, "master", reg);
  mesos::internal::ReregisterFrameworkMessage rereg;
  rereg.mutable_framework()->set_user("u");
  rereg.mutable_framework()->set_name("legacy");
  rereg.set_failover(false);
  transport_.deliver(other, "master", rereg);
  loop_.poll();
  auto errors = transport_.take<FrameworkErrorMessage>(other);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].message(), "Registering with 'id' already set");
  EXPECT_EQ(errors[1].message(), "Re-registering without an 'id'");

  auto o = offers();
  ASSERT_EQ(o.size(), 1u);
  mesos::internal::LaunchTasksMessage launch;
  launch.mutable_framework_id()->set_value(fid);
  *launch.add_offer_ids() = o[0].id();
  *launch.add_tasks() = commandTask("legacy-task", o[0]);
  launch.mutable_filters();
  transport_.deliver(kScheduler, "master", launch);
  loop_.poll();
  auto runs = transport_.take<RunTaskMessage>(kAgent);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].task().task_id().value(), "legacy-task");
}

// Ensures a message claiming to come from a framework's id but another pid is dropped.
TEST_F(MasterTest, CallsFromWrongPidAreDropped) {
  registerAgent();
  std::string fid = subscribe();
  offers();
  wire::Pid impostor{"scheduler-x", "127.0.0.8", 40008};
  transport_.deliver(impostor, "master", call(Call::TEARDOWN, fid));
  loop_.poll();
  EXPECT_EQ(master_->frameworkCount(), 1u);
  EXPECT_TRUE(transport_.take<mesos::internal::ShutdownFrameworkMessage>(kAgent).empty());
}

}  // namespace
}  // namespace keel::master

namespace keel::master {
namespace {

// Ensures a partition-aware framework's task on an agent that stops answering pings
// becomes TASK_UNREACHABLE, stays listed as unreachable, keeps its id reserved, and is
// reported with REASON_SLAVE_REREGISTERED when the agent comes back.
TEST_F(MasterTest, UnreachableTasksKeepTheirIds) {
  std::string aid = registerAgent();
  mesos::FrameworkInfo info;
  info.add_capabilities()->set_type(mesos::FrameworkInfo::Capability::PARTITION_AWARE);
  std::string fid = subscribe(kScheduler, info);
  auto o = offers();
  launch(fid, o[0], {commandTask("t1", o[0])});
  for (int i = 0; i < 6; ++i) advance(seconds(15));
  auto u = updates();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].state(), mesos::TASK_UNREACHABLE);
  EXPECT_TRUE(u[0].has_unreachable_time());
  auto state = transport_.get("/state");
  EXPECT_NE(state->body.find("\"unreachable_tasks\":[{"), std::string::npos);

  // The agent comes back (re-registers with its id and the task).
  mesos::internal::ReregisterSlaveMessage rereg;
  *rereg.mutable_slave() = mesos::SlaveInfo();
  rereg.mutable_slave()->set_hostname("agent-host");
  rereg.mutable_slave()->mutable_id()->set_value(aid);
  *rereg.mutable_slave()->add_resources() = scalar("cpus", 4);
  *rereg.mutable_slave()->add_resources() = scalar("mem", 1024);
  rereg.set_version("1.12.0");
  auto* task = rereg.add_tasks();
  task->set_name("t1");
  task->mutable_task_id()->set_value("t1");
  task->mutable_framework_id()->set_value(fid);
  task->mutable_slave_id()->set_value(aid);
  task->set_state(mesos::TASK_RUNNING);
  *task->add_resources() = scalar("cpus", 1);
  transport_.deliver(kAgent, "master", rereg);
  loop_.poll();
  EXPECT_EQ(transport_.take<mesos::internal::SlaveReregisteredMessage>(kAgent).size(), 1u);
  u = updates();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].state(), mesos::TASK_RUNNING);
  EXPECT_EQ(u[0].reason(), mesos::TaskStatus::REASON_SLAVE_REREGISTERED);
  state = transport_.get("/state");
  EXPECT_NE(state->body.find("\"unreachable_tasks\":[]"), std::string::npos);
}

// Ensures an id of an unreachable task cannot be reused for a new task.
TEST_F(MasterTest, UnreachableIdCannotBeReused) {
  registerAgent();
  mesos::FrameworkInfo info;
  info.add_capabilities()->set_type(mesos::FrameworkInfo::Capability::PARTITION_AWARE);
  std::string fid = subscribe(kScheduler, info);
  auto o = offers();
  launch(fid, o[0], {commandTask("t1", o[0])});
  for (int i = 0; i < 6; ++i) advance(seconds(15));
  updates();
  offers();  // re-offers of the first agent's remainder, made before it was lost
  wire::Pid second_agent{"slave(1)", "127.0.0.7", 5051};
  registerAgent(second_agent);
  advance(seconds(1));
  auto again = offers();
  ASSERT_EQ(again.size(), 1u);
  launch(fid, again[0], {commandTask("t1", again[0])});
  auto u = updates();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].state(), mesos::TASK_ERROR);
  EXPECT_NE(u[0].message().find("unreachable task"), std::string::npos);
}

}  // namespace
}  // namespace keel::master

namespace keel::master {
namespace {

// Ensures one ACCEPT may combine several outstanding offers of one agent: their resources
// add up for the tasks it launches.
TEST_F(MasterTest, AcceptCombinesOffersOfOneAgent) {
  std::string aid = registerAgent();
  std::string fid = subscribe();
  auto first = offers();
  ASSERT_EQ(first.size(), 1u);
  launch(fid, first[0], {commandTask("t1", first[0], 1)}, 0);
  EXPECT_EQ(transport_.take<RunTaskMessage>(kAgent).size(), 1u);
  advance(seconds(1));
  auto remainder = offers();
  ASSERT_EQ(remainder.size(), 1u);
  EXPECT_DOUBLE_EQ(Resources(remainder[0].resources()).cpus().value_or(0), 3);

  // t1 ends: its cpu comes back as a second offer while the first is still outstanding.
  agentUpdate(fid, aid, "t1", mesos::TASK_FINISHED, std::string(16, '\x01'));
  updates();
  advance(seconds(1));
  auto freed = offers();
  ASSERT_EQ(freed.size(), 1u);
  EXPECT_DOUBLE_EQ(Resources(freed[0].resources()).cpus().value_or(0), 1);

  Call c = call(Call::ACCEPT, fid);
  *c.mutable_accept()->add_offer_ids() = remainder[0].id();
  *c.mutable_accept()->add_offer_ids() = freed[0].id();
  auto* op = c.mutable_accept()->add_operations();
  op->set_type(mesos::Offer::Operation::LAUNCH);
  *op->mutable_launch()->add_task_infos() = commandTask("big", remainder[0], 4);
  transport_.deliver(kScheduler, "master", c);
  loop_.poll();
  EXPECT_TRUE(updates().empty());
  auto runs = transport_.take<RunTaskMessage>(kAgent);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].task().task_id().value(), "big");
}

// Ensures offers of two different agents cannot be combined: the tasks are LOST with
// REASON_INVALID_OFFERS and the offers go back without a filter.
TEST_F(MasterTest, AcceptRefusesOffersOfTwoAgents) {
  registerAgent();
  wire::Pid second{"slave(1)", "127.0.0.6", 5051};
  registerAgent(second);
  std::string fid = subscribe();
  auto o = offers();
  ASSERT_EQ(o.size(), 2u);
  Call c = call(Call::ACCEPT, fid);
  *c.mutable_accept()->add_offer_ids() = o[0].id();
  *c.mutable_accept()->add_offer_ids() = o[1].id();
  auto* op = c.mutable_accept()->add_operations();
  op->set_type(mesos::Offer::Operation::LAUNCH);
  *op->mutable_launch()->add_task_infos() = commandTask("t", o[0], 1);
  transport_.deliver(kScheduler, "master", c);
  loop_.poll();
  auto u = updates();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].state(), mesos::TASK_LOST);
  EXPECT_EQ(u[0].reason(), mesos::TaskStatus::REASON_INVALID_OFFERS);
  EXPECT_NE(u[0].message().find("one single agent"), std::string::npos);
  advance(seconds(1));
  EXPECT_EQ(offers().size(), 2u) << "returned without a filter, re-offered at the next pass";
}

}  // namespace
}  // namespace keel::master

namespace keel::master {
namespace {

// Ensures resources freed by a task's end are offered at once (an allocation pass over that
// agent), not at the next periodic pass a second later as in Mesos.
TEST_F(MasterTest, FreedResourcesAreOfferedAtOnce) {
  std::string aid = registerAgent();
  std::string fid = subscribe();
  auto o = offers();
  ASSERT_EQ(o.size(), 1u);
  launch(fid, o[0], {commandTask("t1", o[0], 4)}, /*refuse_seconds=*/3600);
  ASSERT_EQ(transport_.take<RunTaskMessage>(kAgent).size(), 1u);
  EXPECT_TRUE(offers().empty());

  agentUpdate(fid, aid, "t1", mesos::TASK_FINISHED, std::string(16, '\x07'));
  auto next = offers();  // no time has passed
  ASSERT_EQ(next.size(), 1u);
  EXPECT_DOUBLE_EQ(Resources(next[0].resources()).cpus().value_or(0), 4);
}

}  // namespace
}  // namespace keel::master
