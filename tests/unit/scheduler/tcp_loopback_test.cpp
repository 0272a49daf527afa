// The public MesosSchedulerDriver over real sockets on 127.0.0.1: subscribes, gets
// registered() from a stand-in master, and its TEARDOWN leaves before the destructor ends.

#include <gtest/gtest.h>

#include <future>

#include <mesos/internal/messages.pb.h>
#include <mesos/scheduler.hpp>

#include "scheduler/tcp_peer.hpp"

namespace keel::testing {
namespace {

class PromiseScheduler : public mesos::Scheduler {
 public:
  void registered(mesos::SchedulerDriver*, const mesos::FrameworkID& id,
                  const mesos::MasterInfo&) override {
    registered_.set_value(id.value());
  }
  void reregistered(mesos::SchedulerDriver*, const mesos::MasterInfo&) override {}
  void disconnected(mesos::SchedulerDriver*) override {}
  void resourceOffers(mesos::SchedulerDriver*, const std::vector<mesos::Offer>&) override {}
  void offerRescinded(mesos::SchedulerDriver*, const mesos::OfferID&) override {}
  void statusUpdate(mesos::SchedulerDriver*, const mesos::TaskStatus&) override {}
  void frameworkMessage(mesos::SchedulerDriver*, const mesos::ExecutorID&, const mesos::SlaveID&,
                        const std::string&) override {}
  void slaveLost(mesos::SchedulerDriver*, const mesos::SlaveID&) override {}
  void executorLost(mesos::SchedulerDriver*, const mesos::ExecutorID&, const mesos::SlaveID&,
                    int) override {}
  void error(mesos::SchedulerDriver*, const std::string&) override {}

  std::promise<std::string> registered_;
};

// Real TCP round trip: SUBSCRIBE → FrameworkRegisteredMessage → registered(); stop() → TEARDOWN.
TEST(SchedulerTcpLoopbackTest, RegistersAndTearsDown) {
  TcpPeer master("master");
  ASSERT_TRUE(master.ok());
  PromiseScheduler scheduler;
  auto registered = scheduler.registered_.get_future();
  mesos::FrameworkInfo framework;
  framework.set_name("loopback");
  {
    mesos::MesosSchedulerDriver driver(&scheduler, framework, master.pid().address());
    ASSERT_EQ(mesos::DRIVER_RUNNING, driver.start());

    wire::Message subscribe = master.waitFor("mesos.scheduler.Call");
    ASSERT_FALSE(subscribe.name.empty()) << "no SUBSCRIBE within 10 s";
    EXPECT_EQ(0u, subscribe.from.id.rfind("scheduler-", 0));
    EXPECT_EQ("127.0.0.1", subscribe.from.ip);
    mesos::scheduler::Call call;
    ASSERT_TRUE(call.ParseFromString(subscribe.body));
    EXPECT_EQ(mesos::scheduler::Call::SUBSCRIBE, call.type());
    EXPECT_FALSE(call.subscribe().framework_info().user().empty());

    mesos::internal::FrameworkRegisteredMessage reply;
    reply.mutable_framework_id()->set_value("fw-loop");
    reply.mutable_master_info()->set_id("m");
    reply.mutable_master_info()->set_ip(0x0100007f);
    reply.mutable_master_info()->set_port(master.pid().port);
    master.send(subscribe.from, reply);
    ASSERT_EQ(std::future_status::ready, registered.wait_for(std::chrono::seconds(10)));
    EXPECT_EQ("fw-loop", registered.get());

    EXPECT_EQ(mesos::DRIVER_STOPPED, driver.stop());
    EXPECT_EQ(mesos::DRIVER_STOPPED, driver.join());
  }
  // Any message after the SUBSCRIBE retries: the TEARDOWN.
  bool torn_down = false;
  for (size_t n = 2; n < 10 && !torn_down; ++n) {
    wire::Message msg = master.waitFor("mesos.scheduler.Call", n);
    if (msg.name.empty()) {
      break;
    }
    mesos::scheduler::Call call;
    ASSERT_TRUE(call.ParseFromString(msg.body));
    torn_down = call.type() == mesos::scheduler::Call::TEARDOWN;
  }
  EXPECT_TRUE(torn_down);
}

}  // namespace
}  // namespace keel::testing
