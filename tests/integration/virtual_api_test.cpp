// Virtual-time whole-cluster tests of scheduler API calls and callbacks whose edge cases the
// driver-level tests can only fake: reregistered() after a broken connection to the same
// master, error() for refusals by a real master, requestResources() and run().

#include <gtest/gtest.h>

#include <thread>

#include <mesos/scheduler.hpp>

#include "cluster.hpp"
#include "virtual_cluster.hpp"

namespace keel::testing {
namespace {

using namespace std::chrono_literals;

// Ensures a broken scheduler connection gives disconnected(), then reregistered() (not
// registered()) once the same master takes the framework back, and offers resume.
TEST(VirtualApi, ConnectionBreakGivesReregistered) {
  RecordingScheduler s;
  VirtualCluster c;
  auto fw = frameworkInfo("flaky");
  fw.set_failover_timeout(60);  // with the default 0 the master forgets it at once
  mesos::SchedulerDriver* driver = c.startScheduler(&s, fw);
  ASSERT_TRUE(take(s, "registered"));
  ASSERT_TRUE(awaitOffer(c, s));

  // Every connection of the master breaks; the master itself lives on.
  c.network().kill(c.masterAddress());
  c.settle();
  EXPECT_TRUE(take(s, "disconnected"));
  c.network().revive(c.masterAddress());
  c.advance(10s, 500ms);  // the driver's registration backoff
  EXPECT_TRUE(take(s, "reregistered"));
  EXPECT_FALSE(take(s, "registered"));
  // The offer outstanding before the break was withdrawn (the rescind reaches the driver
  // before it is registered again, so, as with Mesos, no offerRescinded()) and its
  // resources are offered again.
  EXPECT_TRUE(awaitOffer(c, s));
  EXPECT_EQ(driver->reviveOffers(), mesos::DRIVER_RUNNING);
}

// Ensures an invalid FrameworkInfo (a role with a space) is refused by the master: error()
// with its message, and the driver is aborted.
TEST(VirtualApi, InvalidRoleGivesErrorAndAbort) {
  RecordingScheduler s;
  VirtualCluster c;
  auto fw = frameworkInfo("bad-role");
  fw.set_role("bad role");
  mesos::SchedulerDriver* driver = c.startScheduler(&s, fw);
  auto error = take(s, "error");
  ASSERT_TRUE(error);
  EXPECT_NE(error->data.find("role"), std::string::npos) << error->data;
  EXPECT_FALSE(take(s, "registered"));
  EXPECT_EQ(driver->join(), mesos::DRIVER_ABORTED);
  EXPECT_EQ(driver->reviveOffers(), mesos::DRIVER_ABORTED);
}

// Ensures a framework torn down by stop() can never come back: a new driver with its id
// gets error("Framework has been removed").
TEST(VirtualApi, RemovedFrameworkCannotResubscribe) {
  RecordingScheduler first;
  RecordingScheduler second;
  VirtualCluster c;
  mesos::SchedulerDriver* driver = c.startScheduler(&first, frameworkInfo("gone"));
  auto registered = take(first, "registered");
  ASSERT_TRUE(registered);
  EXPECT_EQ(driver->stop(false), mesos::DRIVER_STOPPED);
  c.settle();
  EXPECT_EQ(c.onMaster([](master::Master& m) { return m.frameworkCount(); }), 0u);

  auto fw = frameworkInfo("gone");
  fw.mutable_id()->set_value(registered->data);
  c.startScheduler(&second, fw);
  auto error = take(second, "error");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->data, "Framework has been removed");
  EXPECT_FALSE(take(second, "registered"));
}

// Ensures requestResources() is accepted and changes nothing: offers keep coming.
TEST(VirtualApi, RequestResourcesKeepsOffersComing) {
  RecordingScheduler s;
  VirtualCluster c;
  mesos::SchedulerDriver* driver = c.startScheduler(&s, frameworkInfo("requester"));
  auto offer = awaitOffer(c, s);
  ASSERT_TRUE(offer);
  mesos::Request request;
  *request.mutable_slave_id() = offer->slave_id();
  auto* cpus = request.add_resources();
  cpus->set_name("cpus");
  cpus->set_type(mesos::Value::SCALAR);
  cpus->mutable_scalar()->set_value(1);
  EXPECT_EQ(driver->requestResources({request}), mesos::DRIVER_RUNNING);
  mesos::Filters none;
  none.set_refuse_seconds(0);
  driver->declineOffer(offer->id(), none);
  EXPECT_TRUE(awaitOffer(c, s));
  EXPECT_FALSE(take(s, "error"));
}

// A scheduler that stops its driver from inside the first offer callback.
class StopOnOffer : public RecordingScheduler {
 public:
  void resourceOffers(mesos::SchedulerDriver* driver,
                      const std::vector<mesos::Offer>& offers) override {
    RecordingScheduler::resourceOffers(driver, offers);
    driver->stop();
  }
};

// Ensures run() on a started driver blocks until a callback stops it, then returns
// DRIVER_STOPPED; run() on a stopped driver returns at once with DRIVER_STOPPED.
TEST(VirtualApi, RunReturnsWhenACallbackStops) {
  StopOnOffer s;
  VirtualCluster c;
  mesos::SchedulerDriver* driver = c.startScheduler(&s, frameworkInfo("runner"));
  // The driver is started, so run() is join() (Mesos's run() is start() then join(), and
  // start() of a running driver returns DRIVER_RUNNING). Offers come on the next pass.
  std::thread advancer([&c] { c.advance(2s, 100ms); });
  mesos::Status status = driver->run();
  advancer.join();
  EXPECT_EQ(status, mesos::DRIVER_STOPPED);
  EXPECT_TRUE(take(s, "offers"));
  EXPECT_EQ(driver->run(), mesos::DRIVER_STOPPED);
}

}  // namespace
}  // namespace keel::testing
