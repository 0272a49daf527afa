// Scheduler driver lifecycle: Status values in every state, registration and backoff.

#include "scheduler/scheduler_test_util.hpp"

namespace keel::testing {
namespace {

using mesos::scheduler::Call;
using namespace std::chrono_literals;

// Every call on a driver that was never started returns DRIVER_NOT_STARTED and does nothing.
TEST_F(SchedulerDriverTest, NotStartedReturnsNotStarted) {
  makeDriver(defaultFramework());
  EXPECT_EQ(mesos::DRIVER_NOT_STARTED, driver_->stop());
  EXPECT_EQ(mesos::DRIVER_NOT_STARTED, driver_->abort());
  EXPECT_EQ(mesos::DRIVER_NOT_STARTED, driver_->join());
  EXPECT_EQ(mesos::DRIVER_NOT_STARTED, driver_->killTask(mesos::TaskID()));
  EXPECT_EQ(mesos::DRIVER_NOT_STARTED, driver_->reviveOffers());
  EXPECT_EQ(mesos::DRIVER_NOT_STARTED, driver_->declineOffer(mesos::OfferID()));
  EXPECT_EQ(mesos::DRIVER_NOT_STARTED, driver_->reconcileTasks({}));
  EXPECT_EQ(nullptr, driver_->loop());
}

// start() twice returns DRIVER_RUNNING once and then the current status; calls return RUNNING.
TEST_F(SchedulerDriverTest, StartTwiceReturnsCurrentStatus) {
  makeDriver(defaultFramework());
  start();
  EXPECT_EQ(mesos::DRIVER_RUNNING, driver_->start());
  EXPECT_EQ(mesos::DRIVER_RUNNING, driver_->reviveOffers());
  EXPECT_EQ(mesos::DRIVER_RUNNING, driver_->killTask(mesos::TaskID()));
  EXPECT_EQ(1u, calls(Call::SUBSCRIBE).size());
}

// stop() returns STOPPED, later calls return STOPPED, join() returns STOPPED.
TEST_F(SchedulerDriverTest, StopThenJoin) {
  makeDriver(defaultFramework());
  start();
  EXPECT_EQ(mesos::DRIVER_STOPPED, driver_->stop());
  EXPECT_EQ(mesos::DRIVER_STOPPED, driver_->join());
  EXPECT_EQ(mesos::DRIVER_STOPPED, driver_->stop());
  EXPECT_EQ(mesos::DRIVER_STOPPED, driver_->abort());
  EXPECT_EQ(mesos::DRIVER_STOPPED, driver_->start());
  EXPECT_EQ(mesos::DRIVER_STOPPED, driver_->reviveOffers());
  // The process left the transport: no more messages are taken.
  EXPECT_FALSE(transport_->hasProcess(driver_->processId()));
}

// abort() returns ABORTED, stop() after abort returns ABORTED, join() returns STOPPED then.
TEST_F(SchedulerDriverTest, StopAfterAbortReturnsAborted) {
  makeDriver(defaultFramework());
  start();
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->abort());
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->join());
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->abort());
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->killTask(mesos::TaskID()));
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->stop());
  EXPECT_EQ(mesos::DRIVER_STOPPED, driver_->join());
  EXPECT_EQ(mesos::DRIVER_STOPPED, driver_->killTask(mesos::TaskID()));
}

// run() on a driver that cannot start returns at once with DRIVER_ABORTED.
TEST_F(SchedulerDriverTest, ZooKeeperMasterIsReportedNotSupported) {
  makeDriver(defaultFramework(), true, {}, "zk://127.0.0.1:2181/mesos");
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->run());
  EXPECT_EQ(std::vector<std::string>{"error"}, scheduler_.events());
  EXPECT_NE(std::string::npos, scheduler_.error_message.find("not supported yet"));
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->join());
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->start());
}

// "local" is refused the same way, not silently.
TEST_F(SchedulerDriverTest, LocalMasterIsReportedNotSupported) {
  makeDriver(defaultFramework(), true, {}, "local");
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->start());
  EXPECT_NE(std::string::npos, scheduler_.error_message.find("not supported yet"));
}

// The first SUBSCRIBE goes out at once, carrying the FrameworkInfo; registered() follows.
TEST_F(SchedulerDriverTest, RegistersWithMaster) {
  makeDriver(defaultFramework(), true, {"b", "a"});
  start();
  auto subscribes = calls(Call::SUBSCRIBE);
  ASSERT_EQ(1u, subscribes.size());
  const Call& call = subscribes[0];
  EXPECT_FALSE(call.has_framework_id());
  EXPECT_EQ("test framework", call.subscribe().framework_info().name());
  EXPECT_FALSE(call.subscribe().has_force());
  EXPECT_TRUE(call.subscribe().has_offer_constraints());
  ASSERT_EQ(2, call.subscribe().suppressed_roles_size());
  EXPECT_EQ("a", call.subscribe().suppressed_roles(0));
  auto sent = transport_->sent();
  EXPECT_EQ(kMaster, sent[0].to);
  EXPECT_EQ(self(), sent[0].from);
  EXPECT_EQ(0u, driver_->processId().rfind("scheduler-", 0));
  EXPECT_EQ(46u, driver_->processId().size());

  registerFramework();
  EXPECT_EQ(std::vector<std::string>{"registered"}, scheduler_.events());
  EXPECT_EQ("fw-1", scheduler_.framework_id.value());
  EXPECT_EQ("master-uuid", scheduler_.master_info.id());

  // Registered: no more retries.
  advance(10min);
  EXPECT_EQ(1u, calls(Call::SUBSCRIBE).size());
}

// A FrameworkInfo with an id subscribes with framework_id and force=true (failover).
TEST_F(SchedulerDriverTest, FailoverSubscribeSetsForce) {
  auto info = defaultFramework();
  info.mutable_id()->set_value("fw-old");
  makeDriver(info);
  start();
  auto subscribes = calls(Call::SUBSCRIBE);
  ASSERT_EQ(1u, subscribes.size());
  EXPECT_EQ("fw-old", subscribes[0].framework_id().value());
  EXPECT_TRUE(subscribes[0].subscribe().force());
}

// Registration messages from anyone but the master are ignored.
TEST_F(SchedulerDriverTest, RegisteredFromOtherPidIgnored) {
  makeDriver(defaultFramework());
  start();
  mesos::internal::FrameworkRegisteredMessage m;
  m.mutable_framework_id()->set_value("fw-1");
  m.mutable_master_info()->set_id("x");
  m.mutable_master_info()->set_ip(1);
  m.mutable_master_info()->set_port(1);
  transport_->deliver(wire::makeMessage(wire::Pid{"master", "127.0.0.2", 5050}, self(), m));
  EXPECT_TRUE(scheduler_.events().empty());
}

// Retries at U[0,b] with b = 2 s doubling, capped at 1 min.
TEST_F(SchedulerDriverTest, RegistrationBackoffDoublesAndCaps) {
  makeDriver(defaultFramework());
  start();
  ASSERT_EQ(1u, calls(Call::SUBSCRIBE).size());
  advance(1999ms);
  EXPECT_EQ(1u, calls(Call::SUBSCRIBE).size());
  advance(1ms);
  EXPECT_EQ(2u, calls(Call::SUBSCRIBE).size());  // after 2 s
  advance(3999ms);
  EXPECT_EQ(2u, calls(Call::SUBSCRIBE).size());
  advance(1ms);
  EXPECT_EQ(3u, calls(Call::SUBSCRIBE).size());  // after 4 s more
  advance(8s);
  EXPECT_EQ(4u, calls(Call::SUBSCRIBE).size());
  advance(16s);
  EXPECT_EQ(5u, calls(Call::SUBSCRIBE).size());
  advance(32s);
  EXPECT_EQ(6u, calls(Call::SUBSCRIBE).size());
  advance(59s);  // 64 s is capped to 60 s
  EXPECT_EQ(6u, calls(Call::SUBSCRIBE).size());
  advance(1s);
  EXPECT_EQ(7u, calls(Call::SUBSCRIBE).size());
  advance(60s);
  EXPECT_EQ(8u, calls(Call::SUBSCRIBE).size());
}

// The backoff is also capped at failover_timeout / 10, and the delay is b times the draw.
TEST_F(SchedulerDriverTest, RegistrationBackoffCappedByFailoverTimeout) {
  auto info = defaultFramework();
  info.set_failover_timeout(10);
  fraction_ = 0.5;
  makeDriver(info);
  start();
  advance(499ms);
  EXPECT_EQ(1u, calls(Call::SUBSCRIBE).size());
  advance(1ms);
  EXPECT_EQ(2u, calls(Call::SUBSCRIBE).size());  // 0.5 * min(2 s, 1 s)
  advance(500ms);
  EXPECT_EQ(3u, calls(Call::SUBSCRIBE).size());
}

// A broken link to the master means disconnected(), then re-subscription; the same
// master answering FrameworkReregisteredMessage yields reregistered().
TEST_F(SchedulerDriverTest, MasterExitedDisconnectsAndReregisters) {
  makeDriver(defaultFramework());
  start();
  registerFramework();
  transport_->clearSent();

  transport_->breakLink(kMaster);
  EXPECT_EQ((std::vector<std::string>{"registered", "disconnected"}), scheduler_.events());
  auto subscribes = calls(Call::SUBSCRIBE);
  ASSERT_EQ(1u, subscribes.size());
  EXPECT_EQ("fw-1", subscribes[0].framework_id().value());
  EXPECT_FALSE(subscribes[0].subscribe().force());  // failover only on the first subscription

  // A second break while the retry timer is pending does not send again at once.
  transport_->breakLink(kMaster);
  EXPECT_EQ(1u, calls(Call::SUBSCRIBE).size());

  mesos::internal::FrameworkReregisteredMessage m;
  m.mutable_framework_id()->set_value("fw-1");
  m.mutable_master_info()->set_id("master-uuid-2");
  m.mutable_master_info()->set_ip(0x0100007f);
  m.mutable_master_info()->set_port(5050);
  fromMaster(m);
  EXPECT_EQ((std::vector<std::string>{"registered", "disconnected", "reregistered"}),
            scheduler_.events());
  EXPECT_EQ("master-uuid-2", scheduler_.master_info.id());
}

// FrameworkErrorMessage aborts the driver before error() runs, and deactivates the framework.
TEST_F(SchedulerDriverTest, FrameworkErrorAbortsThenCallsError) {
  makeDriver(defaultFramework());
  start();
  registerFramework();
  mesos::internal::FrameworkErrorMessage m;
  m.set_message("Framework has been removed");
  fromMaster(m);
  EXPECT_EQ((std::vector<std::string>{"registered", "error"}), scheduler_.events());
  EXPECT_EQ("Framework has been removed", scheduler_.error_message);
  EXPECT_EQ(mesos::DRIVER_ABORTED, scheduler_.status_in_error);
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->join());
  auto deactivations = transport_->sentOf<mesos::internal::DeactivateFrameworkMessage>();
  ASSERT_EQ(1u, deactivations.size());
  EXPECT_EQ("fw-1", deactivations[0].framework_id().value());

  // No callbacks after abort.
  mesos::internal::LostSlaveMessage lost;
  lost.mutable_slave_id()->set_value("S1");
  fromMaster(lost);
  EXPECT_EQ(2u, scheduler_.events().size());
}

// stop(false) tears the framework down; stop(true) sends nothing.
TEST_F(SchedulerDriverTest, StopSendsTeardownUnlessFailover) {
  makeDriver(defaultFramework());
  start();
  registerFramework();
  EXPECT_EQ(mesos::DRIVER_STOPPED, driver_->stop(false));
  driver_->join();
  auto teardowns = calls(Call::TEARDOWN);
  ASSERT_EQ(1u, teardowns.size());
  EXPECT_EQ("fw-1", teardowns[0].framework_id().value());

  makeDriver(defaultFramework());
  start();
  registerFramework();
  EXPECT_EQ(mesos::DRIVER_STOPPED, driver_->stop(true));
  driver_->join();
  EXPECT_TRUE(calls(Call::TEARDOWN).empty());
}

// updateFramework() before registration is an error that aborts the driver.
TEST_F(SchedulerDriverTest, UpdateFrameworkBeforeRegistrationIsError) {
  makeDriver(defaultFramework());
  start();
  EXPECT_EQ(mesos::DRIVER_RUNNING,
            driver_->updateFramework(defaultFramework(), {}, mesos::scheduler::OfferConstraints()));
  settle(*driver_->loop());
  EXPECT_EQ(std::vector<std::string>{"error"}, scheduler_.events());
  EXPECT_NE(std::string::npos, scheduler_.error_message.find("prior to registration"));
  EXPECT_EQ(mesos::DRIVER_ABORTED, driver_->join());
}

// Master addresses: host:port, master@host:port, file://; garbage is an error.
TEST(ResolveMasterTest, Forms) {
  auto plain = sched::resolveMaster("127.0.0.1:5050");
  ASSERT_TRUE(plain);
  EXPECT_EQ(kMaster, *plain);
  auto upid = sched::resolveMaster("master@127.0.0.1:5050");
  ASSERT_TRUE(upid);
  EXPECT_EQ(kMaster, *upid);

  std::string path = ::testing::TempDir() + "/keel_master_file";
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(nullptr, f);
    std::fputs("127.0.0.1:5050\n", f);
    std::fclose(f);
  }
  auto file = sched::resolveMaster("file://" + path);
  ASSERT_TRUE(file) << file.message();
  EXPECT_EQ(kMaster, *file);
  std::remove(path.c_str());

  EXPECT_FALSE(sched::resolveMaster("file:///nonexistent/keel"));
  EXPECT_FALSE(sched::resolveMaster("no-port"));
  EXPECT_FALSE(sched::resolveMaster(""));
}

// Empty user and hostname are filled in; given ones are kept.
TEST(FrameworkInfoTest, FillsUserAndHostname) {
  mesos::FrameworkInfo info;
  sched::fillMissingFrameworkInfoFields(&info);
  EXPECT_FALSE(info.user().empty());
  EXPECT_FALSE(info.hostname().empty());
  mesos::FrameworkInfo given;
  given.set_user("u");
  given.set_hostname("h");
  sched::fillMissingFrameworkInfoFields(&given);
  EXPECT_EQ("u", given.user());
  EXPECT_EQ("h", given.hostname());
}

}  // namespace
}  // namespace keel::testing
