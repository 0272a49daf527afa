// Cluster tests through the public framework API: a MesosSchedulerDriver speaking the wire
// protocol over loopback to a master and agents that run either in this process
// ("InProcess", the integration tests) or as the real keel-master and keel-agent binaries
// ("Processes", the system tests). Executors are always real processes.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "cluster.hpp"
#include "common/json.hpp"

namespace keel::testing {
namespace {

using std::chrono::milliseconds;

enum class Mode { kInProcess, kProcesses };

std::unique_ptr<ClusterBase> makeCluster(Mode mode, ClusterOptions options) {
  if (mode == Mode::kInProcess) return std::make_unique<Cluster>(options);
  return std::make_unique<ProcessCluster>(options);
}

std::string modeName(const ::testing::TestParamInfo<Mode>& info) {
  return info.param == Mode::kInProcess ? "InProcess" : "Processes";
}

// Whether the JSON text at `address` + "/state" has an empty "frameworks" array.
bool noFrameworks(const std::string& address) {
  auto state = httpGet(address, "/state");
  if (!state) return false;
  auto json = parseJson(*state);
  if (!json) return false;
  const JsonValue* frameworks = json->find("frameworks");
  return frameworks != nullptr && frameworks->isArray() && frameworks->asArray().empty();
}

class ClusterTest : public ::testing::TestWithParam<Mode> {
 protected:
  void SetUp() override { cluster_ = makeCluster(GetParam(), ClusterOptions{}); }
  void TearDown() override {
    if (driver_) {
      driver_->stop();
      driver_->join();
      driver_.reset();
    }
    cluster_.reset();
  }

  // Starts a driver and returns its first offer.
  mesos::Offer startAndOffer(mesos::FrameworkInfo info = frameworkInfo()) {
    driver_ =
        std::make_unique<mesos::MesosSchedulerDriver>(&scheduler_, info, cluster_->masterAddress());
    EXPECT_EQ(driver_->start(), mesos::DRIVER_RUNNING);
    EXPECT_TRUE(scheduler_.next("registered"));
    auto offers = scheduler_.next("offers");
    EXPECT_TRUE(offers);
    if (!offers) return {};
    EXPECT_EQ(offers->offers.size(), 1u);
    return offers->offers.front();
  }

  std::unique_ptr<ClusterBase> cluster_;
  RecordingScheduler scheduler_;
  std::unique_ptr<mesos::MesosSchedulerDriver> driver_;
};

// Ensures a command task that succeeds goes STARTING, RUNNING, FINISHED.
TEST_P(ClusterTest, CommandTaskFinishes) {
  auto offer = startAndOffer();
  driver_->launchTasks(offer.id(), {commandTask(offer, "ok", "true")});
  EXPECT_TRUE(scheduler_.awaitState("ok", mesos::TASK_STARTING));
  EXPECT_TRUE(scheduler_.awaitState("ok", mesos::TASK_RUNNING));
  auto finished = scheduler_.awaitState("ok", mesos::TASK_FINISHED);
  ASSERT_TRUE(finished);
  EXPECT_EQ(finished->source(), mesos::TaskStatus::SOURCE_EXECUTOR);
  EXPECT_EQ(finished->executor_id().value(), "ok");  // command executor id = task id
}

// Ensures a failing command task ends TASK_FAILED with its exit status in the message.
TEST_P(ClusterTest, CommandTaskFails) {
  auto offer = startAndOffer();
  driver_->launchTasks(offer.id(), {commandTask(offer, "bad", "exit 3")});
  auto failed = scheduler_.awaitState("bad", mesos::TASK_FAILED);
  ASSERT_TRUE(failed);
  EXPECT_NE(failed->message().find("3"), std::string::npos) << failed->message();
}

// Ensures a command of plain words, which keel-executor starts without the shell, sees the
// environment the shell would have handed it: the same variable names as a command run
// through the shell (PWD added, names the shell cannot hold dropped), PWD the sandbox.
TEST_P(ClusterTest, PlainCommandGetsTheShellsEnvironment) {
  char tmpl[] = "/tmp/keel-plain-command-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  auto offer = startAndOffer();
  auto task = [&](const std::string& id, const std::string& command) {
    mesos::TaskInfo t = commandTask(offer, id, command);
    auto* variables = t.mutable_command()->mutable_environment();
    auto* v = variables->add_variables();
    v->set_name("PLAIN_MARKER");
    v->set_value("1");
    v = variables->add_variables();
    v->set_name("NOT.A.SHELL.NAME");
    v->set_value("2");
    return t;
  };
  driver_->launchTasks(offer.id(),
                       {task("direct", "cp /proc/self/environ " + dir + "/direct"),
                        task("shell", "cp /proc/self/environ " + dir + "/shell; true")});
  ASSERT_TRUE(scheduler_.awaitState("direct", mesos::TASK_FINISHED));
  ASSERT_TRUE(scheduler_.awaitState("shell", mesos::TASK_FINISHED));
  auto variables = [&](const std::string& name) {
    std::ifstream in(dir + "/" + name);
    std::map<std::string, std::string> seen;
    for (std::string entry; std::getline(in, entry, '\0');) {
      const size_t eq = entry.find('=');
      seen[entry.substr(0, eq)] = eq == std::string::npos ? "" : entry.substr(eq + 1);
    }
    return seen;
  };
  const auto direct = variables("direct");
  const auto shell = variables("shell");
  auto names = [](const std::map<std::string, std::string>& m) {
    std::set<std::string> out;
    for (const auto& [k, v] : m) out.insert(k);
    return out;
  };
  EXPECT_EQ(names(direct), names(shell));
  EXPECT_EQ(direct.count("PLAIN_MARKER"), 1u);
  EXPECT_EQ(direct.count("NOT.A.SHELL.NAME"), 0u);
  ASSERT_EQ(direct.count("PWD"), 1u);
  ASSERT_EQ(direct.count("MESOS_SANDBOX"), 1u);
  EXPECT_EQ(std::filesystem::canonical(direct.at("PWD")),
            std::filesystem::canonical(direct.at("MESOS_SANDBOX")));
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

// Ensures killTask stops a long-running command task with TASK_KILLED.
TEST_P(ClusterTest, KillRunningTask) {
  auto offer = startAndOffer();
  driver_->launchTasks(offer.id(), {commandTask(offer, "sleeper", "sleep 1000")});
  ASSERT_TRUE(scheduler_.awaitState("sleeper", mesos::TASK_RUNNING));
  mesos::TaskID id;
  id.set_value("sleeper");
  EXPECT_EQ(driver_->killTask(id), mesos::DRIVER_RUNNING);
  EXPECT_TRUE(scheduler_.awaitState("sleeper", mesos::TASK_KILLED));
  // No TASK_KILLING for a framework without TASK_KILLING_STATE.
  EXPECT_FALSE(scheduler_.next(
      "update", [](const auto& e) { return e.status.state() == mesos::TASK_KILLING; },
      milliseconds(0)));
}

// Ensures TASK_KILLING is sent before TASK_KILLED only to a framework that opted in with
// TASK_KILLING_STATE (and the plain kill above never saw one).
TEST_P(ClusterTest, KillingStateOnlyWhenOptedIn) {
  auto info = frameworkInfo();
  info.add_capabilities()->set_type(mesos::FrameworkInfo::Capability::TASK_KILLING_STATE);
  auto offer = startAndOffer(info);
  driver_->launchTasks(offer.id(), {commandTask(offer, "polite", "sleep 1000")});
  ASSERT_TRUE(scheduler_.awaitState("polite", mesos::TASK_RUNNING));
  mesos::TaskID id;
  id.set_value("polite");
  driver_->killTask(id);
  EXPECT_TRUE(scheduler_.awaitState("polite", mesos::TASK_KILLING));
  EXPECT_TRUE(scheduler_.awaitState("polite", mesos::TASK_KILLED));
}

// Ensures a task that ignores SIGTERM is SIGKILLed once its kill policy's grace period is
// over, and that the grace period given to killTask's KILL (through the v0 driver: none, so
// the task's own policy) is what counts.
TEST_P(ClusterTest, KillPolicyGracePeriodThenSigkill) {
  auto offer = startAndOffer();
  auto task = commandTask(offer, "stubborn", "trap '' TERM; while true; do sleep 1; done");
  task.mutable_kill_policy()->mutable_grace_period()->set_nanoseconds(500'000'000);
  driver_->launchTasks(offer.id(), {task});
  ASSERT_TRUE(scheduler_.awaitState("stubborn", mesos::TASK_RUNNING));
  mesos::TaskID id;
  id.set_value("stubborn");
  driver_->killTask(id);
  auto killed = scheduler_.awaitState("stubborn", mesos::TASK_KILLED, milliseconds(15000));
  ASSERT_TRUE(killed) << "the task ignores SIGTERM: only SIGKILL after the grace period ends it";
}

// Ensures an invalid launch is answered by the master with TASK_ERROR.
TEST_P(ClusterTest, InvalidTaskIsRefused) {
  auto offer = startAndOffer();
  auto task = commandTask(offer, "nothing", "true");
  task.clear_resources();
  driver_->launchTasks(offer.id(), {task});
  auto error = scheduler_.awaitState("nothing", mesos::TASK_ERROR);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->reason(), mesos::TaskStatus::REASON_TASK_INVALID);
}

// Ensures a dynamic reservation and a persistent volume made with acceptOffers() reach the
// agent (its /state lists them as reserved) and a task on them runs and can write to the
// volume, which is linked into its sandbox.
TEST_P(ClusterTest, ReservationAndVolumeForATask) {
  auto info = frameworkInfo();
  info.set_role("eng");
  auto offer = startAndOffer(info);
  auto reserved = [](const std::string& name, double value) {
    mesos::Resource r;
    r.set_name(name);
    r.set_type(mesos::Value::SCALAR);
    r.mutable_scalar()->set_value(value);
    auto* reservation = r.add_reservations();
    reservation->set_type(mesos::Resource::ReservationInfo::DYNAMIC);
    reservation->set_role("eng");
    return r;
  };
  mesos::Resource volume = reserved("disk", 8);
  volume.mutable_disk()->mutable_persistence()->set_id("data-1");
  volume.mutable_disk()->mutable_volume()->set_container_path("data");
  volume.mutable_disk()->mutable_volume()->set_mode(mesos::Volume::RW);

  mesos::Offer::Operation reserve;
  reserve.set_type(mesos::Offer::Operation::RESERVE);
  *reserve.mutable_reserve()->add_resources() = reserved("cpus", 0.5);
  *reserve.mutable_reserve()->add_resources() = reserved("mem", 64);
  *reserve.mutable_reserve()->add_resources() = reserved("disk", 8);
  mesos::Offer::Operation create;
  create.set_type(mesos::Offer::Operation::CREATE);
  *create.mutable_create()->add_volumes() = volume;
  auto task = commandTask(offer, "writer", "echo hello > data/out && test -s data/out");
  task.clear_resources();
  *task.add_resources() = reserved("cpus", 0.5);
  *task.add_resources() = reserved("mem", 64);
  *task.add_resources() = volume;
  mesos::Offer::Operation launch;
  launch.set_type(mesos::Offer::Operation::LAUNCH);
  *launch.mutable_launch()->add_task_infos() = task;
  driver_->acceptOffers({offer.id()}, {reserve, create, launch});

  auto finished = scheduler_.awaitState("writer", mesos::TASK_FINISHED);
  ASSERT_TRUE(finished) << "the task could not write to its volume";
  auto state = httpGet(cluster_->agentAddress(0), "/slave(1)/state");
  ASSERT_TRUE(state);
  auto json = parseJson(*state);
  ASSERT_TRUE(json);
  const JsonValue* by_role = json->find("reserved_resources");
  ASSERT_TRUE(by_role != nullptr && by_role->isObject()) << *state;
  EXPECT_NE(by_role->find("eng"), nullptr) << *state;
}

// Ensures a decline filter keeps the agent's resources away until reviveOffers().
TEST_P(ClusterTest, DeclineWithFilterThenRevive) {
  auto offer = startAndOffer();
  mesos::Filters filters;
  filters.set_refuse_seconds(3600);
  driver_->declineOffer(offer.id(), filters);
  // Ten allocation intervals (50 ms each) without an offer: the filter holds.
  EXPECT_FALSE(scheduler_.next("offers", nullptr, milliseconds(500)));
  driver_->reviveOffers();
  EXPECT_TRUE(scheduler_.next("offers"));
}

// Ensures suppressOffers() stops offers even without a filter, and reviveOffers() resumes.
TEST_P(ClusterTest, SuppressThenRevive) {
  auto offer = startAndOffer();
  driver_->suppressOffers();
  mesos::Filters no_filter;
  no_filter.set_refuse_seconds(0);
  driver_->declineOffer(offer.id(), no_filter);
  EXPECT_FALSE(scheduler_.next("offers", nullptr, milliseconds(500)));
  driver_->reviveOffers();
  EXPECT_TRUE(scheduler_.next("offers"));
}

// Ensures a custom executor runs tasks and exchanges framework messages both ways.
TEST_P(ClusterTest, CustomExecutorAndFrameworkMessages) {
  auto offer = startAndOffer();
  auto task = commandTask(offer, "custom", "");
  task.clear_command();
  auto* executor = task.mutable_executor();
  executor->mutable_executor_id()->set_value("example");
  executor->mutable_command()->set_value(KEEL_BIN_DIR "/keel-example-executor");
  driver_->launchTasks(offer.id(), {task});
  auto running = scheduler_.awaitState("custom", mesos::TASK_RUNNING);
  ASSERT_TRUE(running);
  driver_->sendFrameworkMessage(executor->executor_id(), running->slave_id(), "ping");
  EXPECT_TRUE(scheduler_.next("message", [](const auto& e) { return e.data == "pong"; }));
  EXPECT_TRUE(scheduler_.next("message", [](const auto& e) { return e.data == "done custom"; }));
  EXPECT_TRUE(scheduler_.awaitState("custom", mesos::TASK_FINISHED));
}

// Ensures stop(false) tears the framework down: its running task is killed on the agent
// and the master lists it as completed with the task TASK_KILLED.
TEST_P(ClusterTest, StopTearsDown) {
  auto offer = startAndOffer();
  driver_->launchTasks(offer.id(), {commandTask(offer, "forever", "sleep 1000")});
  ASSERT_TRUE(scheduler_.awaitState("forever", mesos::TASK_RUNNING));
  EXPECT_EQ(driver_->stop(false), mesos::DRIVER_STOPPED);
  EXPECT_EQ(driver_->join(), mesos::DRIVER_STOPPED);
  driver_.reset();
  const std::string master = cluster_->masterAddress();
  const std::string agent = cluster_->agentAddress(0);
  EXPECT_TRUE(eventually([&] { return noFrameworks(master); }));
  EXPECT_TRUE(eventually([&] { return noFrameworks(agent); }));
}

// Ensures several tasks spread over two agents all finish (the demo's shape, in small).
TEST_P(ClusterTest, ManyTasksOverTwoAgents) {
  cluster_.reset();
  ClusterOptions two_agents;
  two_agents.agents = 2;
  cluster_ = makeCluster(GetParam(), two_agents);
  RecordingScheduler scheduler;
  mesos::MesosSchedulerDriver driver(&scheduler, frameworkInfo(), cluster_->masterAddress());
  ASSERT_EQ(driver.start(), mesos::DRIVER_RUNNING);
  ASSERT_TRUE(scheduler.next("registered"));
  std::set<std::string> agents;
  int launched = 0;
  for (int round = 0; round < 20 && launched < 20; ++round) {
    auto offers = scheduler.next("offers");
    ASSERT_TRUE(offers);
    for (const auto& offer : offers->offers) {
      std::vector<mesos::TaskInfo> tasks;
      for (int i = 0; i < 5 && launched < 20; ++i) {
        tasks.push_back(commandTask(offer, "t" + std::to_string(launched++), "true"));
      }
      agents.insert(offer.slave_id().value());
      driver.launchTasks(offer.id(), tasks);
    }
  }
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE(scheduler.awaitState("t" + std::to_string(i), mesos::TASK_FINISHED)) << i;
  }
  EXPECT_EQ(agents.size(), 2u);
  driver.stop();
  driver.join();
}

// A LAUNCH_GROUP operation of `tasks` on a DEFAULT executor "group" (0.1 cpus, 32 MB,
// 10 MB disk) of framework `framework_id`.
mesos::Offer::Operation launchGroup(const std::string& framework_id,
                                    const std::vector<mesos::TaskInfo>& tasks) {
  mesos::Offer::Operation op;
  op.set_type(mesos::Offer::Operation::LAUNCH_GROUP);
  auto* executor = op.mutable_launch_group()->mutable_executor();
  executor->set_type(mesos::ExecutorInfo::DEFAULT);
  executor->mutable_executor_id()->set_value("group");
  executor->mutable_framework_id()->set_value(framework_id);
  for (auto [name, value] : {std::pair{"cpus", 0.1}, {"mem", 32.0}, {"disk", 10.0}}) {
    auto* r = executor->add_resources();
    r->set_name(name);
    r->set_type(mesos::Value::SCALAR);
    r->mutable_scalar()->set_value(value);
  }
  for (const auto& t : tasks) *op.mutable_launch_group()->mutable_task_group()->add_tasks() = t;
  return op;
}

// Ensures a task group runs both tasks on one executor: both RUNNING, the short one
// FINISHED while the other keeps running (a success does not end the group).
TEST_P(ClusterTest, TaskGroupRunsBothTasks) {
  auto offer = startAndOffer();
  auto op = launchGroup(scheduler_.framework_id, {commandTask(offer, "short", "true"),
                                                  commandTask(offer, "long", "sleep 1000")});
  driver_->acceptOffers({offer.id()}, {op});
  ASSERT_TRUE(scheduler_.awaitState("short", mesos::TASK_RUNNING));
  ASSERT_TRUE(scheduler_.awaitState("long", mesos::TASK_RUNNING));
  auto finished = scheduler_.awaitState("short", mesos::TASK_FINISHED);
  ASSERT_TRUE(finished);
  EXPECT_EQ(finished->executor_id().value(), "group");
  EXPECT_EQ(finished->source(), mesos::TaskStatus::SOURCE_EXECUTOR);
  EXPECT_FALSE(scheduler_.next(
      "update",
      [](const auto& e) {
        return e.status.task_id().value() == "long" && e.status.state() != mesos::TASK_RUNNING &&
               e.status.state() != mesos::TASK_STARTING;
      },
      milliseconds(300)));
}

// Ensures that when one task of a group fails, the executor kills the others (TASK_KILLED).
TEST_P(ClusterTest, TaskGroupFailureKillsTheOthers) {
  auto offer = startAndOffer();
  auto op = launchGroup(scheduler_.framework_id, {commandTask(offer, "doomed", "exit 2"),
                                                  commandTask(offer, "bystander", "sleep 1000")});
  driver_->acceptOffers({offer.id()}, {op});
  auto failed = scheduler_.awaitState("doomed", mesos::TASK_FAILED);
  ASSERT_TRUE(failed);
  EXPECT_NE(failed->message().find("2"), std::string::npos) << failed->message();
  EXPECT_TRUE(scheduler_.awaitState("bystander", mesos::TASK_KILLED));
}

// Ensures killTask of one task of a group kills it and then, as Mesos's default executor
// does, the rest of its group.
TEST_P(ClusterTest, TaskGroupKillOneTask) {
  auto offer = startAndOffer();
  auto op = launchGroup(scheduler_.framework_id, {commandTask(offer, "first", "sleep 1000"),
                                                  commandTask(offer, "second", "sleep 1000")});
  driver_->acceptOffers({offer.id()}, {op});
  ASSERT_TRUE(scheduler_.awaitState("first", mesos::TASK_RUNNING));
  ASSERT_TRUE(scheduler_.awaitState("second", mesos::TASK_RUNNING));
  mesos::TaskID id;
  id.set_value("first");
  EXPECT_EQ(driver_->killTask(id), mesos::DRIVER_RUNNING);
  EXPECT_TRUE(scheduler_.awaitState("first", mesos::TASK_KILLED));
  EXPECT_TRUE(scheduler_.awaitState("second", mesos::TASK_KILLED));
}

INSTANTIATE_TEST_SUITE_P(Cluster, ClusterTest,
                         ::testing::Values(Mode::kInProcess, Mode::kProcesses), modeName);

}  // namespace
}  // namespace keel::testing
