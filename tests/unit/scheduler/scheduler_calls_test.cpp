// Scheduler driver traffic: offers, status updates and acknowledgements, outgoing calls,
// and what happens to each call while disconnected.

#include "scheduler/scheduler_test_util.hpp"

namespace keel::testing {
namespace {

using mesos::scheduler::Call;
using namespace std::chrono_literals;

mesos::internal::ResourceOffersMessage offersMessage(const std::string& offer_id,
                                                     const std::string& agent_id) {
  mesos::internal::ResourceOffersMessage m;
  mesos::Offer* offer = m.add_offers();
  offer->mutable_id()->set_value(offer_id);
  offer->mutable_framework_id()->set_value("fw-1");
  offer->mutable_slave_id()->set_value(agent_id);
  offer->set_hostname("agent-host");
  m.add_pids(kAgent.str());
  return m;
}

mesos::TaskInfo task(const std::string& id, const std::string& agent_id) {
  mesos::TaskInfo t;
  t.set_name("task " + id);
  t.mutable_task_id()->set_value(id);
  t.mutable_slave_id()->set_value(agent_id);
  return t;
}

mesos::internal::StatusUpdateMessage update(const std::string& uuid, const std::string& pid) {
  mesos::internal::StatusUpdateMessage m;
  auto* u = m.mutable_update();
  u->mutable_framework_id()->set_value("fw-1");
  u->mutable_slave_id()->set_value("S0");
  u->mutable_status()->mutable_task_id()->set_value("t1");
  u->mutable_status()->set_state(mesos::TASK_RUNNING);
  u->mutable_status()->mutable_slave_id()->set_value("S0");
  u->set_timestamp(1.0);
  if (!uuid.empty()) {
    u->set_uuid(uuid);
    u->mutable_status()->set_uuid(uuid);
  }
  m.set_pid(pid);
  return m;
}

const std::string kUuid = std::string("0123456789abcdef");

// Offers reach resourceOffers(); a rescind reaches offerRescinded().
TEST_F(SchedulerDriverTest, OffersAndRescinds) {
  makeDriver(defaultFramework());
  start();
  // Before registration offers are dropped.
  fromMaster(offersMessage("O1", "S0"));
  EXPECT_TRUE(scheduler_.events().empty());

  registerFramework();
  fromMaster(offersMessage("O1", "S0"));
  ASSERT_EQ(1u, scheduler_.offers.size());
  EXPECT_EQ("O1", scheduler_.offers[0].id().value());

  mesos::internal::RescindResourceOfferMessage rescind;
  rescind.mutable_offer_id()->set_value("O1");
  fromMaster(rescind);
  EXPECT_EQ((std::vector<std::string>{"registered", "resourceOffers", "offerRescinded:O1"}),
            scheduler_.events());
}

// launchTasks → ACCEPT with a LAUNCH; the agent's pid is then used for direct messages.
TEST_F(SchedulerDriverTest, LaunchRemembersAgentPidForFrameworkMessages) {
  makeDriver(defaultFramework());
  start();
  registerFramework();
  fromMaster(offersMessage("O1", "S0"));
  mesos::OfferID offer_id;
  offer_id.set_value("O1");
  mesos::Filters filters;
  filters.set_refuse_seconds(7);
  EXPECT_EQ(mesos::DRIVER_RUNNING, driver_->launchTasks(offer_id, {task("t1", "S0")}, filters));
  settle(*driver_->loop());
  auto accepts = calls(Call::ACCEPT);
  ASSERT_EQ(1u, accepts.size());
  EXPECT_EQ("fw-1", accepts[0].framework_id().value());
  EXPECT_EQ("O1", accepts[0].accept().offer_ids(0).value());
  ASSERT_EQ(1, accepts[0].accept().operations_size());
  EXPECT_EQ(mesos::Offer::Operation::LAUNCH, accepts[0].accept().operations(0).type());
  EXPECT_EQ("t1", accepts[0].accept().operations(0).launch().task_infos(0).task_id().value());
  EXPECT_EQ(7, accepts[0].accept().filters().refuse_seconds());

  mesos::ExecutorID executor_id;
  executor_id.set_value("e1");
  mesos::SlaveID agent_id;
  agent_id.set_value("S0");
  driver_->sendFrameworkMessage(executor_id, agent_id, "hello");
  settle(*driver_->loop());
  auto direct = transport_->sentOf<mesos::internal::FrameworkToExecutorMessage>();
  ASSERT_EQ(1u, direct.size());
  EXPECT_EQ("hello", direct[0].data());
  EXPECT_EQ("fw-1", direct[0].framework_id().value());
  EXPECT_EQ(kAgent, transport_->sent().back().to);

  // An agent we never launched on is reached through the master.
  agent_id.set_value("S9");
  driver_->sendFrameworkMessage(executor_id, agent_id, "via master");
  settle(*driver_->loop());
  auto messages = calls(Call::MESSAGE);
  ASSERT_EQ(1u, messages.size());
  EXPECT_EQ("via master", messages[0].message().data());
  EXPECT_EQ("S9", messages[0].message().slave_id().value());
}

// Launching while disconnected sends nothing and reports TASK_LOST locally, without uuid.
TEST_F(SchedulerDriverTest, LaunchWhileDisconnectedReportsTaskLost) {
  makeDriver(defaultFramework());
  start();
  transport_->clearSent();
  mesos::OfferID offer_id;
  offer_id.set_value("O1");
  driver_->launchTasks(offer_id, {task("t1", "S0"), task("t2", "S0")});
  settle(*driver_->loop());
  EXPECT_TRUE(transport_->sent().empty());
  ASSERT_EQ(2u, scheduler_.statuses.size());
  const auto& status = scheduler_.statuses[0];
  EXPECT_EQ("t1", status.task_id().value());
  EXPECT_EQ(mesos::TASK_LOST, status.state());
  EXPECT_EQ(mesos::TaskStatus::REASON_MASTER_DISCONNECTED, status.reason());
  EXPECT_EQ(mesos::TaskStatus::SOURCE_MASTER, status.source());
  EXPECT_EQ("Master disconnected", status.message());
  EXPECT_FALSE(status.has_uuid());
  EXPECT_FALSE(status.has_slave_id());
}

// A PARTITION_AWARE framework gets TASK_DROPPED instead.
TEST_F(SchedulerDriverTest, LaunchWhileDisconnectedPartitionAwareReportsDropped) {
  auto info = defaultFramework();
  info.add_capabilities()->set_type(mesos::FrameworkInfo::Capability::PARTITION_AWARE);
  makeDriver(info);
  start();
  driver_->launchTasks(std::vector<mesos::OfferID>{}, {task("t1", "S0")});
  settle(*driver_->loop());
  ASSERT_EQ(1u, scheduler_.statuses.size());
  EXPECT_EQ(mesos::TASK_DROPPED, scheduler_.statuses[0].state());
}

// Implicit acks: only an update with a uuid and an acknowledgee pid is acked, after the callback.
TEST_F(SchedulerDriverTest, ImplicitAckOnlyWithUuidAndPid) {
  makeDriver(defaultFramework());
  start();
  registerFramework();
  bool acked_during_callback = true;
  scheduler_.on_status = [&](mesos::SchedulerDriver*, const mesos::TaskStatus&) {
    acked_during_callback = !calls(Call::ACKNOWLEDGE).empty();
  };

  fromMaster(update(kUuid, kAgent.str()));
  EXPECT_FALSE(acked_during_callback);
  ASSERT_EQ(1u, scheduler_.statuses.size());
  EXPECT_EQ(kUuid, scheduler_.statuses[0].uuid());
  auto acks = calls(Call::ACKNOWLEDGE);
  ASSERT_EQ(1u, acks.size());
  EXPECT_EQ("fw-1", acks[0].framework_id().value());
  EXPECT_EQ("S0", acks[0].acknowledge().slave_id().value());
  EXPECT_EQ("t1", acks[0].acknowledge().task_id().value());
  EXPECT_EQ(kUuid, acks[0].acknowledge().uuid());

  // Empty acknowledgee: uuid stripped, no ack.
  fromMaster(update(kUuid, "@0.0.0.0:0"));
  ASSERT_EQ(2u, scheduler_.statuses.size());
  EXPECT_FALSE(scheduler_.statuses[1].has_uuid());
  // No uuid: no ack.
  fromMaster(update("", kAgent.str()));
  ASSERT_EQ(3u, scheduler_.statuses.size());
  EXPECT_FALSE(scheduler_.statuses[2].has_uuid());
  EXPECT_EQ(1u, calls(Call::ACKNOWLEDGE).size());

  // Updates not from the master are dropped.
  transport_->deliver(wire::makeMessage(kAgent, self(), update(kUuid, kAgent.str())));
  EXPECT_EQ(3u, scheduler_.statuses.size());
}

// An update whose callback aborts the driver is not acknowledged.
TEST_F(SchedulerDriverTest, NoImplicitAckAfterAbortInCallback) {
  makeDriver(defaultFramework());
  start();
  registerFramework();
  scheduler_.on_status = [](mesos::SchedulerDriver* d, const mesos::TaskStatus&) { d->abort(); };
  fromMaster(update(kUuid, kAgent.str()));
  EXPECT_TRUE(calls(Call::ACKNOWLEDGE).empty());
}

// Explicit acks: nothing automatic; acknowledgeStatusUpdate sends ACKNOWLEDGE when the
// status has uuid and agent id.
TEST_F(SchedulerDriverTest, ExplicitAcknowledgements) {
  makeDriver(defaultFramework(), /*implicit_acks=*/false);
  start();
  registerFramework();
  fromMaster(update(kUuid, kAgent.str()));
  ASSERT_EQ(1u, scheduler_.statuses.size());
  EXPECT_TRUE(calls(Call::ACKNOWLEDGE).empty());

  EXPECT_EQ(mesos::DRIVER_RUNNING, driver_->acknowledgeStatusUpdate(scheduler_.statuses[0]));
  mesos::TaskStatus no_agent = scheduler_.statuses[0];
  no_agent.clear_slave_id();
  driver_->acknowledgeStatusUpdate(no_agent);
  settle(*driver_->loop());
  auto acks = calls(Call::ACKNOWLEDGE);
  ASSERT_EQ(1u, acks.size());
  EXPECT_EQ(kUuid, acks[0].acknowledge().uuid());
  EXPECT_EQ("t1", acks[0].acknowledge().task_id().value());
}

// Calls made from inside a callback work (no deadlock) and go out in order.
TEST_F(SchedulerDriverTest, CallsFromCallbacks) {
  makeDriver(defaultFramework());
  start();
  registerFramework();
  scheduler_.on_offers = [](mesos::SchedulerDriver* d, const std::vector<mesos::Offer>& offers) {
    mesos::Filters filters;
    filters.set_refuse_seconds(30);
    EXPECT_EQ(mesos::DRIVER_RUNNING, d->declineOffer(offers[0].id(), filters));
  };
  fromMaster(offersMessage("O7", "S0"));
  auto declines = calls(Call::DECLINE);
  ASSERT_EQ(1u, declines.size());
  EXPECT_EQ("O7", declines[0].decline().offer_ids(0).value());
  EXPECT_EQ(30, declines[0].decline().filters().refuse_seconds());
}

// Kill, reconcile, request, decline and messages are dropped while disconnected.
TEST_F(SchedulerDriverTest, CallsDroppedWhileDisconnected) {
  makeDriver(defaultFramework());
  start();
  transport_->clearSent();
  mesos::TaskID task_id;
  task_id.set_value("t1");
  mesos::OfferID offer_id;
  offer_id.set_value("O1");
  EXPECT_EQ(mesos::DRIVER_RUNNING, driver_->killTask(task_id));
  EXPECT_EQ(mesos::DRIVER_RUNNING, driver_->reconcileTasks({}));
  EXPECT_EQ(mesos::DRIVER_RUNNING, driver_->requestResources({}));
  EXPECT_EQ(mesos::DRIVER_RUNNING, driver_->declineOffer(offer_id));
  EXPECT_EQ(mesos::DRIVER_RUNNING,
            driver_->sendFrameworkMessage(mesos::ExecutorID(), mesos::SlaveID(), "x"));
  settle(*driver_->loop());
  EXPECT_TRUE(transport_->sent().empty());
}

// Connected calls carry the framework id and Mesos's fields.
TEST_F(SchedulerDriverTest, ConnectedCalls) {
  makeDriver(defaultFramework());
  start();
  registerFramework();
  mesos::TaskID task_id;
  task_id.set_value("t1");
  driver_->killTask(task_id);
  mesos::TaskStatus status;
  status.mutable_task_id()->set_value("t2");
  status.mutable_slave_id()->set_value("S0");
  status.set_state(mesos::TASK_RUNNING);
  driver_->reconcileTasks({status});
  driver_->reviveOffers();
  driver_->suppressOffers({"r1"});
  settle(*driver_->loop());

  auto kills = calls(Call::KILL);
  ASSERT_EQ(1u, kills.size());
  EXPECT_EQ("t1", kills[0].kill().task_id().value());
  EXPECT_FALSE(kills[0].kill().has_slave_id());
  auto reconciles = calls(Call::RECONCILE);
  ASSERT_EQ(1u, reconciles.size());
  EXPECT_EQ("t2", reconciles[0].reconcile().tasks(0).task_id().value());
  EXPECT_EQ("S0", reconciles[0].reconcile().tasks(0).slave_id().value());
  ASSERT_EQ(1u, calls(Call::REVIVE).size());
  EXPECT_EQ(0, calls(Call::REVIVE)[0].revive().roles_size());
  ASSERT_EQ(1u, calls(Call::SUPPRESS).size());
  EXPECT_EQ("r1", calls(Call::SUPPRESS)[0].suppress().roles(0));
  // reviveOffers(empty list) is a no-op.
  EXPECT_EQ(mesos::DRIVER_RUNNING, driver_->reviveOffers(std::vector<std::string>{}));
  settle(*driver_->loop());
  EXPECT_EQ(1u, calls(Call::REVIVE).size());
}

// Revive/suppress while disconnected are replayed as UPDATE_FRAMEWORK on registration.
TEST_F(SchedulerDriverTest, SuppressWhileDisconnectedSendsUpdateFrameworkOnConnect) {
  auto info = defaultFramework();
  info.add_roles("r1");
  info.add_roles("r2");
  makeDriver(info);
  start();
  driver_->suppressOffers();
  driver_->reviveOffers({"r2"});
  settle(*driver_->loop());
  EXPECT_TRUE(calls(Call::SUPPRESS).empty());
  EXPECT_TRUE(calls(Call::UPDATE_FRAMEWORK).empty());
  registerFramework();
  auto updates = calls(Call::UPDATE_FRAMEWORK);
  ASSERT_EQ(1u, updates.size());
  EXPECT_EQ("fw-1", updates[0].framework_id().value());
  EXPECT_EQ("fw-1", updates[0].update_framework().framework_info().id().value());
  ASSERT_EQ(1, updates[0].update_framework().suppressed_roles_size());
  EXPECT_EQ("r1", updates[0].update_framework().suppressed_roles(0));
}

// Lost agents, lost executors and framework messages reach their callbacks; framework
// messages even from an agent and while disconnected.
TEST_F(SchedulerDriverTest, LostAgentExecutorAndFrameworkMessages) {
  makeDriver(defaultFramework());
  start();
  mesos::internal::ExecutorToFrameworkMessage message;
  message.mutable_slave_id()->set_value("S0");
  message.mutable_framework_id()->set_value("fw-1");
  message.mutable_executor_id()->set_value("e1");
  message.set_data("early");
  transport_->deliver(wire::makeMessage(kAgent, self(), message));

  registerFramework();
  mesos::internal::LostSlaveMessage lost;
  lost.mutable_slave_id()->set_value("S0");
  fromMaster(lost);
  mesos::internal::ExitedExecutorMessage exited;
  exited.mutable_slave_id()->set_value("S0");
  exited.mutable_framework_id()->set_value("fw-1");
  exited.mutable_executor_id()->set_value("e1");
  exited.set_status(9);
  fromMaster(exited);
  EXPECT_EQ((std::vector<std::string>{"frameworkMessage:e1:S0:early", "registered", "slaveLost:S0",
                                      "executorLost:e1:S0:9"}),
            scheduler_.events());
}

// A message body that does not parse is refused (400), not acted upon.
TEST_F(SchedulerDriverTest, MalformedMessageRejected) {
  makeDriver(defaultFramework());
  start();
  wire::Message bad{kMaster, self(), "mesos.internal.FrameworkRegisteredMessage", "\xff\xff"};
  EXPECT_EQ(wire::Delivery::kMalformed, transport_->deliver(bad));
  wire::Message unknown{kMaster, self(), "mesos.internal.Nonsense", ""};
  EXPECT_EQ(wire::Delivery::kUnknownMessage, transport_->deliver(unknown));
  EXPECT_TRUE(scheduler_.events().empty());
}

}  // namespace
}  // namespace keel::testing
