// Agent recovery with real processes: keel-master and keel-agent binaries, a
// MesosSchedulerDriver in this process and keel-executor running `sleep 1000`. The agent
// process is SIGKILLed and restarted on the same work_dir (spec §5.8).

#include <signal.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "cluster.hpp"
#include "common/json.hpp"

namespace keel::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Whether `pid` exists and is not a zombie.
bool processAlive(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!in || !std::getline(in, stat)) return false;
  size_t close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

class AgentRecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override { cluster_ = std::make_unique<ProcessCluster>(ClusterOptions{}); }
  void TearDown() override {
    if (HasFailure()) {
      // The agent's log explains most failures; the cluster deletes it.
      std::ifstream log(cluster_->agentWorkDir(0) + ".log");
      std::string line;
      for (int i = 0; i < 400 && std::getline(log, line); ++i) {
        std::cerr << "agent-0.log: " << line << "\n";
      }
    }
    if (driver_) {
      driver_->stop();
      driver_->join();
      driver_.reset();
    }
    cluster_.reset();
  }

  // Registers a framework and runs `sleep 1000` as task "sleeper" until TASK_RUNNING.
  bool launchSleeper(bool checkpoint) {
    mesos::FrameworkInfo info = frameworkInfo("agent-recovery");
    info.set_checkpoint(checkpoint);
    driver_ =
        std::make_unique<mesos::MesosSchedulerDriver>(&scheduler_, info, cluster_->masterAddress());
    if (driver_->start() != mesos::DRIVER_RUNNING || !scheduler_.next("registered")) return false;
    auto offers = scheduler_.next("offers");
    if (!offers || offers->offers.empty()) return false;
    const mesos::Offer& offer = offers->offers.front();
    driver_->launchTasks(offer.id(), {commandTask(offer, "sleeper", "sleep 1000")});
    return scheduler_.awaitState("sleeper", mesos::TASK_RUNNING).has_value();
  }

  // The executor's process id from the agent's checkpoint (pids/forked.pid).
  pid_t executorPid() {
    std::string path = cluster_->agentWorkDir(0) + "/meta/slaves/latest/frameworks/" +
                       scheduler_.framework_id + "/executors/sleeper/runs/latest/pids/forked.pid";
    std::ifstream in(path);
    pid_t pid = -1;
    in >> pid;
    return pid;
  }

  // Whether the master's /state shows `n` activated agents.
  bool activatedAgents(int n) {
    return eventually([&] {
      auto state = httpGet(cluster_->masterAddress(), "/state");
      auto json = state ? parseJson(*state) : Result<JsonValue>::error("no /state");
      const JsonValue* active = json ? json->find("activated_slaves") : nullptr;
      return active != nullptr && active->isNumber() && active->asDouble() == n;
    });
  }

  bool sawState(mesos::TaskState state) {
    return scheduler_
        .next(
            "update", [&](const RecordingScheduler::Event& e) { return e.status.state() == state; },
            milliseconds(0))
        .has_value();
  }

  // Launches a checkpointed task, stops keel-agent with `signal`, restarts it and checks
  // that the task is still there.
  void survivesRestart(int signal);

  std::unique_ptr<ProcessCluster> cluster_;
  RecordingScheduler scheduler_;
  std::unique_ptr<mesos::MesosSchedulerDriver> driver_;
};

// Ensures a checkpointing framework's task keeps running across a SIGKILL and restart
// of keel-agent: no TASK_LOST, reconciliation says TASK_RUNNING, killTask still works.
TEST_F(AgentRecoveryTest, CheckpointedTaskSurvivesAgentRestart) { survivesRestart(SIGKILL); }

// Ensures the same across a SIGTERM: like Mesos's agent, keel-agent leaves the executors of
// checkpointing frameworks running when it terminates.
TEST_F(AgentRecoveryTest, CheckpointedTaskSurvivesAgentTermination) { survivesRestart(SIGTERM); }

void AgentRecoveryTest::survivesRestart(int signal) {
  ASSERT_TRUE(launchSleeper(true));
  pid_t executor = executorPid();
  ASSERT_GT(executor, 1);
  cluster_->killAgent(0, signal);
  ASSERT_TRUE(activatedAgents(0));
  EXPECT_TRUE(processAlive(executor));
  cluster_->restartAgent(0);
  ASSERT_TRUE(activatedAgents(1));
  EXPECT_TRUE(processAlive(executor));

  mesos::TaskStatus query;
  query.mutable_task_id()->set_value("sleeper");
  driver_->reconcileTasks({query});
  auto reconciled = scheduler_.next("update", [](const RecordingScheduler::Event& e) {
    return e.status.reason() == mesos::TaskStatus::REASON_RECONCILIATION;
  });
  ASSERT_TRUE(reconciled);
  EXPECT_EQ(reconciled->status.state(), mesos::TASK_RUNNING);
  EXPECT_FALSE(sawState(mesos::TASK_LOST));
  EXPECT_FALSE(sawState(mesos::TASK_FAILED));

  mesos::TaskID id;
  id.set_value("sleeper");
  EXPECT_EQ(driver_->killTask(id), mesos::DRIVER_RUNNING);
  EXPECT_TRUE(scheduler_.awaitState("sleeper", mesos::TASK_KILLED));
  EXPECT_TRUE(eventually([&] { return !processAlive(executor); }));
  EXPECT_FALSE(sawState(mesos::TASK_LOST));
}

TEST_F(AgentRecoveryTest, NonCheckpointedTaskIsLostWhenTheAgentDies) {
  // Ensures a task of a framework without checkpointing is reported TASK_LOST when its
  // agent dies, its executor shuts itself down, and the restarted agent does not
  // recover it.
  ASSERT_TRUE(launchSleeper(false));
  cluster_->killAgent(0);
  auto lost = scheduler_.awaitState("sleeper", mesos::TASK_LOST);
  ASSERT_TRUE(lost);
  EXPECT_EQ(lost->reason(), mesos::TaskStatus::REASON_SLAVE_DISCONNECTED);
  cluster_->restartAgent(0);
  ASSERT_TRUE(activatedAgents(1));
  auto state = httpGet(cluster_->agentAddress(0), "/state");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->find("\"sleeper\""), std::string::npos);
  EXPECT_FALSE(sawState(mesos::TASK_RUNNING));
}

TEST_F(AgentRecoveryTest, CleanupKillsRecoveredExecutorsAndExits) {
  // Ensures keel-agent --recover=cleanup shuts the old executor down and then exits
  // without registering.
  ASSERT_TRUE(launchSleeper(true));
  pid_t executor = executorPid();
  ASSERT_GT(executor, 1);
  cluster_->killAgent(0);
  ASSERT_TRUE(processAlive(executor));
  cluster_->restartAgent(0, {"--recover=cleanup"});
  auto status = cluster_->waitAgentExit(0, seconds(30));
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 0);
  EXPECT_TRUE(eventually([&] { return !processAlive(executor); }, seconds(10)));
}

}  // namespace
}  // namespace keel::testing
