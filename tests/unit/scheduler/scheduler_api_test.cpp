// The framework API audit, scheduler side: for each SchedulerDriver call and Scheduler
// callback, its normal behaviour and an edge case that earlier tests do not cover.

#include <future>
#include <thread>

#include "scheduler/scheduler_test_util.hpp"

namespace keel::testing {
namespace {

using mesos::scheduler::Call;
using namespace std::chrono_literals;

const wire::Pid kStranger{"master", "127.0.0.9", 5050};

mesos::internal::ResourceOffersMessage offers(const std::vector<std::string>& offer_ids,
                                              const std::string& agent_id = "S0") {
  mesos::internal::ResourceOffersMessage m;
  for (const auto& id : offer_ids) {
    mesos::Offer* offer = m.add_offers();
    offer->mutable_id()->set_value(id);
    offer->mutable_framework_id()->set_value("fw-1");
    offer->mutable_slave_id()->set_value(agent_id);
    offer->set_hostname("agent-host");
    m.add_pids(kAgent.str());
  }
  return m;
}

mesos::TaskInfo taskOn(const std::string& id, const std::string& agent_id) {
  mesos::TaskInfo t;
  t.set_name("task " + id);
  t.mutable_task_id()->set_value(id);
  t.mutable_slave_id()->set_value(agent_id);
  return t;
}

mesos::OfferID offerId(const std::string& id) {
  mesos::OfferID o;
  o.set_value(id);
  return o;
}

class SchedulerApiTest : public SchedulerDriverTest {
 protected:
  void startRegistered(mesos::FrameworkInfo info, bool implicit_acks = true) {
    makeDriver(std::move(info), implicit_acks);
    start();
    registerFramework();
    transport_->clearSent();
  }
  void settleLoop() { settle(*driver_->loop()); }
};

// --- lifecycle calls ---

// abort() while registered sends DeactivateFrameworkMessage, not TEARDOWN; before
// registration it sends nothing.
TEST_F(SchedulerApiTest, AbortDeactivatesOnlyWhenConnected) {
  startRegistered(defaultFramework());
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->abort());
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->join());
  EXPECT_EQ(1u, transport_->sentOf<mesos::internal::DeactivateFrameworkMessage>().size());
  EXPECT_TRUE(calls(Call::TEARDOWN).empty());

  makeDriver(defaultFramework());
  start();
  transport_->clearSent();
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->abort());
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->join());
  EXPECT_TRUE(transport_->sent().empty());
}

// stop(false) before registration sends no TEARDOWN (nothing to tear down yet).
TEST_F(SchedulerApiTest, StopBeforeRegistrationSendsNothing) {
  makeDriver(defaultFramework());
  start();
  transport_->clearSent();
  EXPECT_EQ(mesos::DRIVER_STOPPED, driver_->stop(false));
  EXPECT_EQ(mesos::DRIVER_STOPPED, driver_->join());
  EXPECT_TRUE(transport_->sent().empty());
}

// stop() then join() from inside a callback: join() returns STOPPED at once (as in
// Mesos) instead of waiting for work queued behind the callback; TEARDOWN still goes out.
TEST_F(SchedulerApiTest, StopAndJoinFromInsideCallback) {
  startRegistered(defaultFramework());
  mesos::Status stop_status = mesos::DRIVER_NOT_STARTED;
  mesos::Status join_status = mesos::DRIVER_NOT_STARTED;
  mesos::Status run_status = mesos::DRIVER_NOT_STARTED;
  scheduler_.on_offers = [&](mesos::SchedulerDriver* d, const std::vector<mesos::Offer>&) {
    stop_status = d->stop();
    join_status = d->join();
    run_status = d->run();  // start() is refused, so run() returns without blocking
  };
  fromMaster(offers({"O1"}));
  EXPECT_EQ(mesos::DRIVER_STOPPED, stop_status);
  EXPECT_EQ(mesos::DRIVER_STOPPED, join_status);
  EXPECT_EQ(mesos::DRIVER_STOPPED, run_status);
  EXPECT_EQ(mesos::DRIVER_STOPPED, driver_->join());
  EXPECT_EQ(1u, calls(Call::TEARDOWN).size());
}

// abort() then join() from inside a callback returns ABORTED; no later callbacks.
TEST_F(SchedulerApiTest, AbortAndJoinFromInsideCallback) {
  startRegistered(defaultFramework());
  mesos::Status join_status = mesos::DRIVER_NOT_STARTED;
  scheduler_.on_offers = [&](mesos::SchedulerDriver* d, const std::vector<mesos::Offer>&) {
    EXPECT_EQ(mesos::DRIVER_ABORTED, d->abort());
    join_status = d->join();
  };
  fromMaster(offers({"O1"}));
  EXPECT_EQ(mesos::DRIVER_ABORTED, join_status);
  fromMaster(offers({"O2"}));
  EXPECT_EQ((std::vector<std::string>{"registered", "resourceOffers"}), scheduler_.events());
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->join());
}

// run() blocks until the driver is stopped (here by a callback) and returns STOPPED.
TEST_F(SchedulerApiTest, RunBlocksUntilStopped) {
  std::promise<FakeTransport*> built;
  sched::SchedulerDriverDeps deps;
  deps.clock = &clock_;
  deps.uniform01 = [] { return 1.0; };
  deps.getenv = [](const std::string&) { return std::optional<std::string>(); };
  deps.make_transport = [&built](runtime::EventLoop& loop,
                                 const wire::Pid&) -> Result<std::unique_ptr<wire::Transport>> {
    auto fake = std::make_unique<FakeTransport>(loop);
    built.set_value(fake.get());
    return std::unique_ptr<wire::Transport>(std::move(fake));
  };
  driver_ = std::make_unique<sched::SchedulerDriverImpl>(
      nullptr, &scheduler_, defaultFramework(), std::vector<std::string>{}, "127.0.0.1:5050", true,
      std::nullopt, std::move(deps));
  scheduler_.on_registered = [](mesos::SchedulerDriver* d) { d->stop(); };
  mesos::Status run_status = mesos::DRIVER_NOT_STARTED;
  std::thread runner([&] { run_status = driver_->run(); });
  transport_ = built.get_future().get();
  mesos::internal::FrameworkRegisteredMessage registered;
  registered.mutable_framework_id()->set_value("fw-1");
  registered.mutable_master_info()->set_id("master-uuid");
  registered.mutable_master_info()->set_ip(0x0100007f);
  registered.mutable_master_info()->set_port(5050);
  // run() registers the process with the transport just after building it; until
  // then a delivery finds no process. Bounded retries, no sleeping.
  wire::Delivery delivery = wire::Delivery::kUnknownMessage;
  for (int i = 0; i < 100000 && delivery == wire::Delivery::kUnknownMessage; ++i) {
    delivery = transport_->deliver(wire::makeMessage(kMaster, self(), registered));
    if (delivery == wire::Delivery::kUnknownMessage) {
      std::this_thread::yield();
    }
  }
  runner.join();
  EXPECT_EQ(wire::Delivery::kAccepted, delivery);
  EXPECT_EQ(mesos::DRIVER_STOPPED, run_status);
  EXPECT_EQ(std::vector<std::string>{"registered"}, scheduler_.events());
}

// --- requestResources ---

// REQUEST carries the requests; with no requests the `request` field is still present.
TEST_F(SchedulerApiTest, RequestResourcesSendsRequest) {
  startRegistered(defaultFramework());
  mesos::Request request;
  request.mutable_slave_id()->set_value("S0");
  EXPECT_EQ(mesos::DRIVER_RUNNING, driver_->requestResources({request}));
  EXPECT_EQ(mesos::DRIVER_RUNNING, driver_->requestResources({}));
  settleLoop();
  auto requests = calls(Call::REQUEST);
  ASSERT_EQ(2u, requests.size());
  EXPECT_EQ("fw-1", requests[0].framework_id().value());
  ASSERT_EQ(1, requests[0].request().requests_size());
  EXPECT_EQ("S0", requests[0].request().requests(0).slave_id().value());
  EXPECT_TRUE(requests[1].has_request());
  EXPECT_EQ(0, requests[1].request().requests_size());
}

// --- launchTasks / acceptOffers ---

// The multi-offer form sends every offer id; no tasks still sends a (present, empty)
// LAUNCH, which the master treats as a decline.
TEST_F(SchedulerApiTest, LaunchTasksOnSeveralOffersAndWithNoTasks) {
  startRegistered(defaultFramework());
  fromMaster(offers({"O1", "O2"}));
  driver_->launchTasks({offerId("O1"), offerId("O2")}, {taskOn("t1", "S0"), taskOn("t2", "S0")});
  fromMaster(offers({"O3"}));
  driver_->launchTasks(offerId("O3"), {});
  settleLoop();
  auto accepts = calls(Call::ACCEPT);
  ASSERT_EQ(2u, accepts.size());
  ASSERT_EQ(2, accepts[0].accept().offer_ids_size());
  EXPECT_EQ("O2", accepts[0].accept().offer_ids(1).value());
  EXPECT_EQ(2, accepts[0].accept().operations(0).launch().task_infos_size());
  ASSERT_EQ(1, accepts[1].accept().operations_size());
  EXPECT_EQ(mesos::Offer::Operation::LAUNCH, accepts[1].accept().operations(0).type());
  EXPECT_TRUE(accepts[1].accept().operations(0).has_launch());
  EXPECT_EQ(0, accepts[1].accept().operations(0).launch().task_infos_size());
}

// acceptOffers sends the operations as given, with filters; an unknown offer id is
// still sent (the master decides).
TEST_F(SchedulerApiTest, AcceptOffersSendsOperationsEvenForUnknownOffer) {
  startRegistered(defaultFramework());
  fromMaster(offers({"O1"}));
  mesos::Offer::Operation reserve;
  reserve.set_type(mesos::Offer::Operation::RESERVE);
  reserve.mutable_reserve();
  mesos::Offer::Operation launch;
  launch.set_type(mesos::Offer::Operation::LAUNCH);
  *launch.mutable_launch()->add_task_infos() = taskOn("t1", "S0");
  mesos::Filters filters;
  filters.set_refuse_seconds(60);
  EXPECT_EQ(mesos::DRIVER_RUNNING,
            driver_->acceptOffers({offerId("O1"), offerId("unknown")}, {reserve, launch}, filters));
  settleLoop();
  auto accepts = calls(Call::ACCEPT);
  ASSERT_EQ(1u, accepts.size());
  const auto& accept = accepts[0].accept();
  ASSERT_EQ(2, accept.offer_ids_size());
  EXPECT_EQ("unknown", accept.offer_ids(1).value());
  ASSERT_EQ(2, accept.operations_size());
  EXPECT_EQ(mesos::Offer::Operation::RESERVE, accept.operations(0).type());
  EXPECT_EQ(mesos::Offer::Operation::LAUNCH, accept.operations(1).type());
  EXPECT_EQ(60, accept.filters().refuse_seconds());
}

// While disconnected, acceptOffers sends nothing: LAUNCH tasks come back as TASK_LOST,
// other operations vanish without a callback.
TEST_F(SchedulerApiTest, AcceptOffersWhileDisconnected) {
  makeDriver(defaultFramework());
  start();
  transport_->clearSent();
  mesos::Offer::Operation reserve;
  reserve.set_type(mesos::Offer::Operation::RESERVE);
  mesos::Offer::Operation launch;
  launch.set_type(mesos::Offer::Operation::LAUNCH);
  *launch.mutable_launch()->add_task_infos() = taskOn("t1", "S0");
  driver_->acceptOffers({offerId("O1")}, {reserve, launch});
  settleLoop();
  EXPECT_TRUE(transport_->sent().empty());
  ASSERT_EQ(1u, scheduler_.statuses.size());
  EXPECT_EQ(mesos::TASK_LOST, scheduler_.statuses[0].state());
  EXPECT_EQ("t1", scheduler_.statuses[0].task_id().value());
}

// An operation with `id` set aborts the process, as Mesos's driver does.
TEST_F(SchedulerApiTest, AcceptOffersWithOperationIdAbortsProcess) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        startRegistered(defaultFramework());
        mesos::Offer::Operation reserve;
        reserve.set_type(mesos::Offer::Operation::RESERVE);
        reserve.mutable_id()->set_value("op-1");
        driver_->acceptOffers({offerId("O1")}, {reserve});
        settleLoop();
      },
      "operation's 'id' field was set");
}

// --- declineOffer ---

// Declining an offer the driver never saw is still sent.
TEST_F(SchedulerApiTest, DeclineUnknownOfferIsSent) {
  startRegistered(defaultFramework());
  EXPECT_EQ(mesos::DRIVER_RUNNING, driver_->declineOffer(offerId("never-offered")));
  settleLoop();
  auto declines = calls(Call::DECLINE);
  ASSERT_EQ(1u, declines.size());
  EXPECT_EQ("never-offered", declines[0].decline().offer_ids(0).value());
  EXPECT_TRUE(declines[0].decline().has_filters());
}

// --- reviveOffers / suppressOffers ---

// reviveOffers(roles) sends REVIVE for those roles; suppressOffers() sends SUPPRESS for all.
TEST_F(SchedulerApiTest, ReviveRolesAndSuppressAll) {
  auto info = defaultFramework();
  info.add_roles("r1");
  info.add_roles("r2");
  startRegistered(info);
  driver_->reviveOffers(std::vector<std::string>{"r1", "r2"});
  driver_->suppressOffers();
  settleLoop();
  auto revives = calls(Call::REVIVE);
  ASSERT_EQ(1u, revives.size());
  ASSERT_EQ(2, revives[0].revive().roles_size());
  EXPECT_EQ("r2", revives[0].revive().roles(1));
  auto suppresses = calls(Call::SUPPRESS);
  ASSERT_EQ(1u, suppresses.size());
  EXPECT_FALSE(suppresses[0].has_suppress());
}

// suppressOffers(empty list) is a no-op that returns the status, connected or not.
TEST_F(SchedulerApiTest, SuppressEmptyRoleListIsNoOp) {
  auto info = defaultFramework();
  info.add_roles("r1");
  makeDriver(info);
  start();
  EXPECT_EQ(mesos::DRIVER_RUNNING, driver_->suppressOffers(std::vector<std::string>{}));
  EXPECT_EQ(mesos::DRIVER_RUNNING, driver_->reviveOffers(std::vector<std::string>{}));
  registerFramework();
  EXPECT_TRUE(calls(Call::UPDATE_FRAMEWORK).empty());  // nothing was remembered
  transport_->clearSent();
  EXPECT_EQ(mesos::DRIVER_RUNNING, driver_->suppressOffers(std::vector<std::string>{}));
  settleLoop();
  EXPECT_TRUE(transport_->sent().empty());
}

// --- acknowledgeStatusUpdate ---

// A status without uuid (master- or driver-generated) is a no-op; so is any ack while
// disconnected; an ack asked for just before abort() still goes out.
TEST_F(SchedulerApiTest, AcknowledgeEdges) {
  startRegistered(defaultFramework(), /*implicit_acks=*/false);
  mesos::TaskStatus status;
  status.mutable_task_id()->set_value("t1");
  status.mutable_slave_id()->set_value("S0");
  status.set_state(mesos::TASK_LOST);
  EXPECT_EQ(mesos::DRIVER_RUNNING, driver_->acknowledgeStatusUpdate(status));
  settleLoop();
  EXPECT_TRUE(calls(Call::ACKNOWLEDGE).empty());

  status.set_uuid("0123456789abcdef");
  driver_->acknowledgeStatusUpdate(status);
  driver_->abort();
  settleLoop();
  EXPECT_EQ(1u, calls(Call::ACKNOWLEDGE).size());

  makeDriver(defaultFramework(), /*implicit_acks=*/false);
  start();
  transport_->clearSent();
  EXPECT_EQ(mesos::DRIVER_RUNNING, driver_->acknowledgeStatusUpdate(status));
  settleLoop();
  EXPECT_TRUE(transport_->sent().empty());
}

// With implicit acknowledgements, calling acknowledgeStatusUpdate aborts the process.
TEST_F(SchedulerApiTest, AcknowledgeWithImplicitAcksAbortsProcess) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        startRegistered(defaultFramework(), /*implicit_acks=*/true);
        driver_->acknowledgeStatusUpdate(mesos::TaskStatus());
      },
      "Implicit acknowledgements are enabled");
}

// --- sendFrameworkMessage ---

// Once the master reports the agent lost, messages to it go through the master again.
TEST_F(SchedulerApiTest, FrameworkMessageViaMasterAfterAgentLost) {
  startRegistered(defaultFramework());
  fromMaster(offers({"O1"}));
  driver_->launchTasks(offerId("O1"), {taskOn("t1", "S0")});
  mesos::ExecutorID executor_id;
  executor_id.set_value("e1");
  mesos::SlaveID agent_id;
  agent_id.set_value("S0");
  driver_->sendFrameworkMessage(executor_id, agent_id, "direct");
  settleLoop();
  EXPECT_EQ(1u, transport_->sentOf<mesos::internal::FrameworkToExecutorMessage>().size());

  mesos::internal::LostSlaveMessage lost;
  lost.mutable_slave_id()->set_value("S0");
  fromMaster(lost);
  driver_->sendFrameworkMessage(executor_id, agent_id, "relayed");
  settleLoop();
  EXPECT_EQ(1u, transport_->sentOf<mesos::internal::FrameworkToExecutorMessage>().size());
  auto messages = calls(Call::MESSAGE);
  ASSERT_EQ(1u, messages.size());
  EXPECT_EQ("relayed", messages[0].message().data());
  EXPECT_EQ("e1", messages[0].message().executor_id().value());
}

// --- reconcileTasks ---

// Only task_id and slave_id are taken from each status; an empty list asks for all
// tasks (implicit reconciliation) with an empty RECONCILE.
TEST_F(SchedulerApiTest, ReconcileSendsOnlyIds) {
  startRegistered(defaultFramework());
  mesos::TaskStatus status;
  status.mutable_task_id()->set_value("t1");
  status.set_state(mesos::TASK_RUNNING);
  status.set_message("ignored");
  status.set_uuid("0123456789abcdef");
  driver_->reconcileTasks({status});
  driver_->reconcileTasks({});
  settleLoop();
  auto reconciles = calls(Call::RECONCILE);
  ASSERT_EQ(2u, reconciles.size());
  ASSERT_EQ(1, reconciles[0].reconcile().tasks_size());
  const auto& task = reconciles[0].reconcile().tasks(0);
  EXPECT_EQ("t1", task.task_id().value());
  EXPECT_FALSE(task.has_slave_id());
  mesos::scheduler::Call::Reconcile::Task expected;
  expected.mutable_task_id()->set_value("t1");
  EXPECT_EQ(expected.SerializeAsString(), task.SerializeAsString());
  EXPECT_TRUE(reconciles[1].has_reconcile());
  EXPECT_EQ(0, reconciles[1].reconcile().tasks_size());
}

// --- updateFramework ---

// Registered: UPDATE_FRAMEWORK goes out with info, roles and constraints, and later
// re-subscriptions use the new FrameworkInfo.
TEST_F(SchedulerApiTest, UpdateFrameworkSendsAndIsKeptForResubscription) {
  startRegistered(defaultFramework());
  auto info = defaultFramework();
  info.mutable_id()->set_value("fw-1");
  info.set_name("renamed");
  info.add_roles("r1");
  mesos::scheduler::OfferConstraints constraints;
  (*constraints.mutable_role_constraints())["r1"];
  EXPECT_EQ(mesos::DRIVER_RUNNING, driver_->updateFramework(info, {"r1"}, std::move(constraints)));
  settleLoop();
  auto updates = calls(Call::UPDATE_FRAMEWORK);
  ASSERT_EQ(1u, updates.size());
  EXPECT_EQ("renamed", updates[0].update_framework().framework_info().name());
  ASSERT_EQ(1, updates[0].update_framework().suppressed_roles_size());
  EXPECT_EQ(1u, updates[0].update_framework().offer_constraints().role_constraints().count("r1"));

  transport_->breakLink(kMaster);
  auto subscribes = calls(Call::SUBSCRIBE);
  ASSERT_EQ(1u, subscribes.size());
  EXPECT_EQ("renamed", subscribes[0].subscribe().framework_info().name());
  EXPECT_EQ("r1", subscribes[0].subscribe().suppressed_roles(0));
}

// A FrameworkInfo whose id differs from the registered one is an error that aborts.
TEST_F(SchedulerApiTest, UpdateFrameworkWithOtherIdIsError) {
  startRegistered(defaultFramework());
  auto info = defaultFramework();
  info.mutable_id()->set_value("someone-else");
  driver_->updateFramework(info, {}, mesos::scheduler::OfferConstraints());
  settleLoop();
  EXPECT_EQ("error", scheduler_.events().back());
  EXPECT_NE(std::string::npos, scheduler_.error_message.find("must be equal"));
  EXPECT_TRUE(calls(Call::UPDATE_FRAMEWORK).empty());
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->join());
}

// --- callbacks ---

// After a master failover the new master answers with FrameworkRegisteredMessage:
// registered() is called a second time (not reregistered()).
TEST_F(SchedulerApiTest, RegisteredAgainAfterMasterFailover) {
  makeDriver(defaultFramework());
  start();
  registerFramework();
  transport_->breakLink(kMaster);
  registerFramework();
  EXPECT_EQ((std::vector<std::string>{"registered", "disconnected", "registered"}),
            scheduler_.events());
}

// Reregistration for another framework id, or while connected, is ignored.
TEST_F(SchedulerApiTest, ReregisteredIgnoredForOtherFrameworkOrWhenConnected) {
  makeDriver(defaultFramework());
  start();
  registerFramework();
  mesos::internal::FrameworkReregisteredMessage m;
  m.mutable_framework_id()->set_value("fw-1");
  m.mutable_master_info()->set_id("master-uuid");
  m.mutable_master_info()->set_ip(0x0100007f);
  m.mutable_master_info()->set_port(5050);
  fromMaster(m);  // already connected
  transport_->breakLink(kMaster);
  m.mutable_framework_id()->set_value("fw-other");
  fromMaster(m);
  EXPECT_EQ((std::vector<std::string>{"registered", "disconnected"}), scheduler_.events());
}

// A broken link before the first registration calls no disconnected().
TEST_F(SchedulerApiTest, NoDisconnectedBeforeRegistration) {
  makeDriver(defaultFramework());
  start();
  transport_->breakLink(kMaster);
  EXPECT_TRUE(scheduler_.events().empty());
}

// Offer-list with only inverse offers (no offers) and offers from a non-leader are dropped.
TEST_F(SchedulerApiTest, EmptyOrForeignOffersDropped) {
  makeDriver(defaultFramework());
  start();
  registerFramework();
  fromMaster(mesos::internal::ResourceOffersMessage());
  transport_->deliver(wire::makeMessage(kStranger, self(), offers({"O1"})));
  EXPECT_EQ(std::vector<std::string>{"registered"}, scheduler_.events());
}

// Rescinds and lost agents from a non-leader, and lost executors while disconnected,
// reach no callback.
TEST_F(SchedulerApiTest, RescindLostAgentAndLostExecutorGated) {
  makeDriver(defaultFramework());
  start();
  registerFramework();
  mesos::internal::RescindResourceOfferMessage rescind;
  rescind.mutable_offer_id()->set_value("O1");
  transport_->deliver(wire::makeMessage(kStranger, self(), rescind));
  mesos::internal::LostSlaveMessage lost;
  lost.mutable_slave_id()->set_value("S0");
  transport_->deliver(wire::makeMessage(kStranger, self(), lost));
  transport_->breakLink(kMaster);
  mesos::internal::ExitedExecutorMessage exited;
  exited.mutable_slave_id()->set_value("S0");
  exited.mutable_framework_id()->set_value("fw-1");
  exited.mutable_executor_id()->set_value("e1");
  exited.set_status(0);
  fromMaster(exited);
  fromMaster(rescind);
  EXPECT_EQ((std::vector<std::string>{"registered", "disconnected"}), scheduler_.events());
}

// A status update for another framework id is ignored.
TEST_F(SchedulerApiTest, StatusUpdateForOtherFrameworkIgnored) {
  startRegistered(defaultFramework());
  mesos::internal::StatusUpdateMessage m;
  m.mutable_update()->mutable_framework_id()->set_value("fw-other");
  m.mutable_update()->mutable_status()->mutable_task_id()->set_value("t1");
  m.mutable_update()->mutable_status()->set_state(mesos::TASK_RUNNING);
  m.mutable_update()->set_timestamp(1.0);
  fromMaster(m);
  EXPECT_TRUE(scheduler_.statuses.empty());
  EXPECT_TRUE(calls(Call::ACKNOWLEDGE).empty());
}

// After stop() no callback runs: framework messages and errors are dropped too.
TEST_F(SchedulerApiTest, NoCallbacksAfterStop) {
  startRegistered(defaultFramework());
  const std::string id = driver_->processId();
  driver_->stop(true);
  driver_->join();
  mesos::internal::ExecutorToFrameworkMessage message;
  message.mutable_slave_id()->set_value("S0");
  message.mutable_framework_id()->set_value("fw-1");
  message.mutable_executor_id()->set_value("e1");
  message.set_data("late");
  EXPECT_EQ(wire::Delivery::kUnknownMessage,
            transport_->deliver(wire::makeMessage(kAgent, self(), message)));
  mesos::internal::FrameworkErrorMessage error;
  error.set_message("late");
  fromMaster(error);
  EXPECT_EQ(std::vector<std::string>{"registered"}, scheduler_.events());
}

// A start() failure reports error() synchronously and returns DRIVER_ABORTED; the
// driver then answers every call with ABORTED.
TEST_F(SchedulerApiTest, StartFailureCallsErrorAndAborts) {
  makeDriver(defaultFramework(), true, {}, "not a master");
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->start());
  EXPECT_EQ(std::vector<std::string>{"error"}, scheduler_.events());
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->killTask(mesos::TaskID()));
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->join());
}

}  // namespace
}  // namespace keel::testing
