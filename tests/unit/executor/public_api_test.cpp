// Source compatibility: <mesos/executor.hpp> declares Mesos 1.12's executor API.

#include <gtest/gtest.h>

#include <type_traits>

#include <mesos/executor.hpp>

namespace {

using mesos::ExecutorDriver;
using mesos::Status;

static_assert(std::is_abstract_v<mesos::Executor>);
static_assert(std::is_abstract_v<ExecutorDriver>);
static_assert(!std::is_abstract_v<mesos::MesosExecutorDriver>);
static_assert(std::is_same_v<decltype(&ExecutorDriver::stop), Status (ExecutorDriver::*)()>);
static_assert(std::is_same_v<decltype(&ExecutorDriver::sendStatusUpdate),
                             Status (ExecutorDriver::*)(const mesos::TaskStatus&)>);
static_assert(std::is_constructible_v<mesos::MesosExecutorDriver, mesos::Executor*>);
static_assert(std::is_constructible_v<mesos::MesosExecutorDriver, mesos::Executor*,
                                      const std::map<std::string, std::string>&>);
// Both constructors are explicit, as in Mesos.
static_assert(!std::is_convertible_v<mesos::Executor*, mesos::MesosExecutorDriver>);

class MinimalExecutor : public mesos::Executor {
 public:
  void registered(ExecutorDriver*, const mesos::ExecutorInfo&, const mesos::FrameworkInfo&,
                  const mesos::SlaveInfo&) override {}
  void reregistered(ExecutorDriver*, const mesos::SlaveInfo&) override {}
  void disconnected(ExecutorDriver*) override {}
  void launchTask(ExecutorDriver*, const mesos::TaskInfo&) override {}
  void killTask(ExecutorDriver*, const mesos::TaskID&) override {}
  void frameworkMessage(ExecutorDriver*, const std::string&) override {}
  void shutdown(ExecutorDriver*) override {}
  void error(ExecutorDriver*, const std::string&) override {}
};

// An unstarted public driver answers every call with DRIVER_NOT_STARTED.
TEST(ExecutorPublicApiTest, UnstartedDriverAnswersNotStarted) {
  MinimalExecutor executor;
  mesos::MesosExecutorDriver driver(&executor, std::map<std::string, std::string>{});
  EXPECT_EQ(mesos::DRIVER_NOT_STARTED, driver.sendStatusUpdate(mesos::TaskStatus()));
  EXPECT_EQ(mesos::DRIVER_NOT_STARTED, driver.sendFrameworkMessage("x"));
  EXPECT_EQ(mesos::DRIVER_NOT_STARTED, driver.abort());
  EXPECT_EQ(mesos::DRIVER_NOT_STARTED, driver.join());
}

}  // namespace
