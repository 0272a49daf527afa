// Source compatibility: <mesos/scheduler.hpp> declares Mesos 1.12's API with the exact
// signatures, virtuality and default arguments frameworks are written against.

#include <gtest/gtest.h>

#include <type_traits>

#include <mesos/mesos.hpp>
#include <mesos/scheduler.hpp>

namespace {

using mesos::Filters;
using mesos::OfferID;
using mesos::SchedulerDriver;
using mesos::Status;

static_assert(std::is_abstract_v<mesos::Scheduler>);
static_assert(std::is_abstract_v<mesos::SchedulerDriver>);
static_assert(std::has_virtual_destructor_v<mesos::Scheduler>);
static_assert(std::is_base_of_v<SchedulerDriver, mesos::MesosSchedulerDriver>);
static_assert(!std::is_abstract_v<mesos::MesosSchedulerDriver>);
static_assert(!std::is_copy_constructible_v<mesos::MesosSchedulerDriver>);

static_assert(std::is_same_v<decltype(&SchedulerDriver::stop), Status (SchedulerDriver::*)(bool)>);
static_assert(std::is_same_v<decltype(&SchedulerDriver::killTask),
                             Status (SchedulerDriver::*)(const mesos::TaskID&)>);
static_assert(std::is_same_v<decltype(&SchedulerDriver::updateFramework),
                             Status (SchedulerDriver::*)(const mesos::FrameworkInfo&,
                                                         const std::vector<std::string>&,
                                                         mesos::scheduler::OfferConstraints&&)>);
static_assert(std::is_same_v<decltype(&SchedulerDriver::acknowledgeStatusUpdate),
                             Status (SchedulerDriver::*)(const mesos::TaskStatus&)>);
static_assert(std::is_constructible_v<mesos::MesosSchedulerDriver, mesos::Scheduler*,
                                      const mesos::FrameworkInfo&, const std::string&>);
static_assert(std::is_constructible_v<mesos::MesosSchedulerDriver, mesos::Scheduler*,
                                      const mesos::FrameworkInfo&, const std::string&,
                                      const mesos::Credential&>);
static_assert(std::is_constructible_v<mesos::MesosSchedulerDriver, mesos::Scheduler*,
                                      const mesos::FrameworkInfo&, const std::string&, bool>);
static_assert(std::is_constructible_v<mesos::MesosSchedulerDriver, mesos::Scheduler*,
                                      const mesos::FrameworkInfo&, const std::string&, bool,
                                      const mesos::Credential&>);
static_assert(std::is_constructible_v<mesos::MesosSchedulerDriver, mesos::Scheduler*,
                                      const mesos::FrameworkInfo&, const std::vector<std::string>&,
                                      const std::string&, bool>);
static_assert(std::is_constructible_v<mesos::MesosSchedulerDriver, mesos::Scheduler*,
                                      const mesos::FrameworkInfo&, const std::vector<std::string>&,
                                      const std::string&, bool, const mesos::Credential&>);

// Written the way Mesos frameworks are: every callback overridden.
class MinimalScheduler : public mesos::Scheduler {
 public:
  void registered(SchedulerDriver*, const mesos::FrameworkID&, const mesos::MasterInfo&) override {}
  void reregistered(SchedulerDriver*, const mesos::MasterInfo&) override {}
  void disconnected(SchedulerDriver*) override {}
  void resourceOffers(SchedulerDriver*, const std::vector<mesos::Offer>&) override {}
  void offerRescinded(SchedulerDriver*, const OfferID&) override {}
  void statusUpdate(SchedulerDriver*, const mesos::TaskStatus&) override {}
  void frameworkMessage(SchedulerDriver*, const mesos::ExecutorID&, const mesos::SlaveID&,
                        const std::string&) override {}
  void slaveLost(SchedulerDriver*, const mesos::SlaveID&) override {}
  void executorLost(SchedulerDriver*, const mesos::ExecutorID&, const mesos::SlaveID&,
                    int) override {}
  void error(SchedulerDriver*, const std::string&) override {}
};

// Default arguments compile through the abstract interface, and an unstarted public
// driver answers every call with DRIVER_NOT_STARTED.
TEST(SchedulerPublicApiTest, UnstartedDriverAnswersNotStarted) {
  EXPECT_STREQ("1.12.0", MESOS_VERSION);
  EXPECT_EQ(12, MESOS_MINOR_VERSION_NUM);
  MinimalScheduler scheduler;
  mesos::FrameworkInfo framework;
  framework.set_name("api");
  mesos::MesosSchedulerDriver concrete(&scheduler, framework, "127.0.0.1:5050");
  SchedulerDriver* driver = &concrete;
  OfferID offer;
  EXPECT_EQ(mesos::DRIVER_NOT_STARTED, driver->launchTasks(offer, {}));
  EXPECT_EQ(mesos::DRIVER_NOT_STARTED, driver->launchTasks(std::vector<OfferID>{offer}, {}));
  EXPECT_EQ(mesos::DRIVER_NOT_STARTED, driver->acceptOffers({offer}, {}));
  EXPECT_EQ(mesos::DRIVER_NOT_STARTED, driver->declineOffer(offer));
  EXPECT_EQ(mesos::DRIVER_NOT_STARTED, driver->suppressOffers());
  EXPECT_EQ(mesos::DRIVER_NOT_STARTED, driver->reviveOffers({"r"}));
  EXPECT_EQ(mesos::DRIVER_NOT_STARTED, driver->stop());
  EXPECT_EQ(mesos::DRIVER_NOT_STARTED, driver->join());
}

}  // namespace
