// Agent checkpointing and recovery (spec §5.8) on the fake transport, launcher and clock:
// the checkpoint the agent writes, a restart on the same work_dir, a hand-made checkpoint,
// a reboot, --recover=cleanup and the master's CheckpointResourcesMessage.

#include <unistd.h>

#include <filesystem>

#include "agent/checkpoint.hpp"
#include "agent/paths.hpp"
#include "agent/recovery_state.hpp"
#include "agent_fixture.hpp"

namespace keel::agent::testing {
namespace {

using mesos::internal::CheckpointResourcesMessage;
using mesos::internal::ExecutorReregisteredMessage;
using mesos::internal::ReconnectExecutorMessage;
using mesos::internal::RegisterSlaveMessage;
using mesos::internal::ReregisterExecutorMessage;
using mesos::internal::ReregisterSlaveMessage;
using mesos::internal::ShutdownExecutorMessage;
using mesos::internal::StatusUpdateAcknowledgementMessage;
using mesos::internal::StatusUpdateMessage;
using mesos::internal::StatusUpdateRecord;

namespace fs = std::filesystem;

const std::string kUuid1 = std::string(15, 'r') + "1";
const std::string kUuid2 = std::string(15, 'r') + "2";
constexpr const char* kFid = "MASTER-0000";

class AgentRecoveryTest : public AgentTest {
 protected:
  // Drops the agent without shutting it down (as a crash would) and starts a new one
  // on the same work_dir.
  Status restart(AgentFlags flags) {
    run([this] { agent_.reset(); });
    transport_.clear();
    agent_ = std::make_unique<Agent>(loop_, transport_, std::move(flags), launcher_);
    agent_->setOnTerminated([this](const std::string&) { terminated_ = true; });
    Status started;
    run([&] { started = agent_->start(); });
    return started;
  }
  Status restart() { return restart(makeFlags()); }

  // A checkpointing framework's command task, launched and registered, RUNNING sent.
  void launchCheckpointedTask(const std::string& id) {
    mesos::internal::RunTaskMessage run;
    run.mutable_framework()->CopyFrom(framework());
    run.mutable_framework()->set_checkpoint(true);
    run.set_pid("scheduler-1@127.0.0.1:41000");
    run.mutable_task()->CopyFrom(commandTask(id));
    fromMaster(run);
    registerExecutor(id);
    fromExecutor(executorUpdate(id, id, mesos::TASK_RUNNING, kUuid1));
  }

  std::string metaTask(const std::string& agent, const std::string& tid, const std::string& cid) {
    return checkpoint::taskPath(work_dir_, agent, kFid, tid, cid, tid);
  }

  std::string containerOf(const std::string& eid) {
    std::string id;
    run([&] { id = agent_->frameworks().at(kFid)->executors.at(eid)->container_id.value(); });
    return id;
  }

  bool terminated_ = false;
};

TEST_F(AgentRecoveryTest, CheckpointsTheMesosMetaLayout) {
  // Ensures a checkpointing framework's state lands under meta/ as Mesos lays it out.
  registerAgent();
  launchCheckpointedTask("t1");
  std::string cid = containerOf("t1");
  std::error_code ec;
  EXPECT_EQ(fs::read_symlink(checkpoint::latestAgentPath(work_dir_), ec).filename(), kAgentId);
  auto info =
      checkpoint::readRecords<mesos::SlaveInfo>(checkpoint::agentInfoPath(work_dir_, kAgentId));
  ASSERT_TRUE(info) << info.message();
  ASSERT_EQ(info->size(), 1u);
  EXPECT_EQ(info->front().id().value(), kAgentId);
  EXPECT_TRUE(fs::exists(checkpoint::frameworkInfoPath(work_dir_, kAgentId, kFid)));
  EXPECT_EQ(*checkpoint::readText(checkpoint::frameworkPidPath(work_dir_, kAgentId, kFid)),
            "scheduler-1@127.0.0.1:41000");
  EXPECT_TRUE(fs::exists(checkpoint::executorInfoPath(work_dir_, kAgentId, kFid, "t1")));
  EXPECT_TRUE(fs::exists(checkpoint::commandExecutorMarkerPath(work_dir_, kAgentId, kFid, "t1")));
  EXPECT_EQ(*checkpoint::readText(checkpoint::forkedPidPath(work_dir_, kAgentId, kFid, "t1", cid)),
            std::to_string(launcher_.lastPid()));
  EXPECT_EQ(
      *checkpoint::readText(checkpoint::libprocessPidPath(work_dir_, kAgentId, kFid, "t1", cid)),
      executorPid().str());
  auto task = checkpoint::readRecords<mesos::Task>(metaTask(kAgentId, "t1", cid) + "/task.info");
  ASSERT_TRUE(task && task->size() == 1u);
  EXPECT_EQ(task->front().state(), mesos::TASK_STAGING);

  std::string updates = metaTask(kAgentId, "t1", cid) + "/task.updates";
  auto records = checkpoint::readRecords<StatusUpdateRecord>(updates);
  ASSERT_TRUE(records && records->size() == 1u);
  EXPECT_EQ(records->at(0).type(), StatusUpdateRecord::UPDATE);
  EXPECT_EQ(records->at(0).update().status().state(), mesos::TASK_RUNNING);
  fromMaster(ackFor("t1", kUuid1));
  records = checkpoint::readRecords<StatusUpdateRecord>(updates);
  ASSERT_TRUE(records && records->size() == 2u);
  EXPECT_EQ(records->at(1).type(), StatusUpdateRecord::ACK);
  EXPECT_EQ(records->at(1).uuid(), kUuid1);
}

TEST_F(AgentRecoveryTest, NonCheckpointingFrameworksAreNotCheckpointed) {
  // Ensures nothing of a framework with checkpoint=false is written.
  registerAgent();
  runTask(commandTask("t1"));
  EXPECT_FALSE(fs::exists(checkpoint::frameworkPath(work_dir_, kAgentId, kFid)));
}

TEST_F(AgentRecoveryTest, RestartReconnectsTheExecutorAndResendsUnackedUpdates) {
  // Ensures a restarted agent reconnects its executor, reregisters with its old id and
  // its task, and re-sends the update the master never acknowledged.
  registerAgent();
  launchCheckpointedTask("t1");
  ASSERT_TRUE(restart().isOk());
  EXPECT_EQ(agent_->state(), Agent::State::kRecovering);
  EXPECT_EQ(agent_->agentId(), kAgentId);
  auto reconnects = transport_.sent<ReconnectExecutorMessage>("executor(1)");
  ASSERT_EQ(reconnects.size(), 1u);
  EXPECT_EQ(reconnects[0].slave_id().value(), kAgentId);

  ReregisterExecutorMessage reregister;
  reregister.mutable_framework_id()->set_value(kFid);
  reregister.mutable_executor_id()->set_value("t1");
  fromExecutor(reregister);
  EXPECT_EQ(transport_.sent<ExecutorReregisteredMessage>("executor(1)").size(), 1u);
  advance(std::chrono::seconds(2));
  EXPECT_EQ(agent_->state(), Agent::State::kDisconnected);
  EXPECT_TRUE(launcher_.kills.empty());
  EXPECT_TRUE(transport_.sent<RegisterSlaveMessage>().empty());
  advance(std::chrono::seconds(2));
  auto reregisters = transport_.sent<ReregisterSlaveMessage>("master");
  ASSERT_GE(reregisters.size(), 1u);
  EXPECT_EQ(reregisters[0].slave().id().value(), kAgentId);
  ASSERT_EQ(reregisters[0].tasks_size(), 1);
  EXPECT_EQ(reregisters[0].tasks(0).state(), mesos::TASK_RUNNING);
  EXPECT_EQ(reregisters[0].tasks(0).status_update_uuid(), kUuid1);
  ASSERT_EQ(reregisters[0].frameworks_size(), 1);
  EXPECT_TRUE(reregisters[0].frameworks(0).checkpoint());

  mesos::internal::SlaveReregisteredMessage back;
  back.mutable_slave_id()->set_value(kAgentId);
  fromMaster(back);
  auto resent = transport_.sent<StatusUpdateMessage>("master");
  ASSERT_EQ(resent.size(), 1u);
  EXPECT_EQ(resent[0].update().uuid(), kUuid1);
  fromMaster(ackFor("t1", kUuid1));
  advance(std::chrono::seconds(30));
  EXPECT_EQ(transport_.sent<StatusUpdateMessage>("master").size(), 1u);
}

TEST_F(AgentRecoveryTest, AcknowledgedUpdatesAreNotResentAfterRestart) {
  // Ensures an update acknowledged before the restart is not forwarded again.
  registerAgent();
  launchCheckpointedTask("t1");
  fromMaster(ackFor("t1", kUuid1));
  ASSERT_TRUE(restart().isOk());
  ReregisterExecutorMessage reregister;
  reregister.mutable_framework_id()->set_value(kFid);
  reregister.mutable_executor_id()->set_value("t1");
  fromExecutor(reregister);
  advance(std::chrono::seconds(4));
  mesos::internal::SlaveReregisteredMessage back;
  back.mutable_slave_id()->set_value(kAgentId);
  fromMaster(back);
  advance(std::chrono::seconds(30));
  EXPECT_TRUE(transport_.sent<StatusUpdateMessage>("master").empty());
}

TEST_F(AgentRecoveryTest, ExecutorThatDoesNotReregisterIsDestroyedAndItsTaskLost) {
  // Ensures an executor silent for --executor_reregistration_timeout is killed and its
  // task reported TASK_LOST with REASON_EXECUTOR_REREGISTRATION_TIMEOUT.
  registerAgent();
  launchCheckpointedTask("t1");
  fromMaster(ackFor("t1", kUuid1));
  pid_t pid = launcher_.lastPid();
  ASSERT_TRUE(restart().isOk());
  advance(std::chrono::seconds(2));
  ASSERT_EQ(launcher_.kills.size(), 1u);
  EXPECT_EQ(launcher_.kills[0].first, pid);
  advance(std::chrono::seconds(2));
  mesos::internal::SlaveReregisteredMessage back;
  back.mutable_slave_id()->set_value(kAgentId);
  fromMaster(back);
  auto updates = transport_.sent<StatusUpdateMessage>("master");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].update().status().state(), mesos::TASK_LOST);
  EXPECT_EQ(updates[0].update().status().reason(),
            mesos::TaskStatus::REASON_EXECUTOR_REREGISTRATION_TIMEOUT);
}

// Writes the checkpoint of agent "S1" with one framework, one executor (forked pid
// 4242) and one RUNNING task whose update was acknowledged, with `boot_id`.
void writeHandMadeCheckpoint(const std::string& dir, const std::string& boot_id,
                             const mesos::SlaveInfo& agent_info) {
  const std::string agent = "S1", fid = kFid, eid = "e1", cid = "c1", tid = "t1";
  ASSERT_TRUE(checkpoint::writeText(checkpoint::bootIdPath(dir), boot_id).isOk());
  ASSERT_TRUE(paths::createDirectories(checkpoint::agentPath(dir, agent)).isOk());
  ASSERT_TRUE(
      paths::replaceSymlink(checkpoint::agentPath(dir, agent), checkpoint::latestAgentPath(dir))
          .isOk());
  mesos::SlaveInfo info = agent_info;
  info.mutable_id()->set_value(agent);
  ASSERT_TRUE(checkpoint::writeRecord(checkpoint::agentInfoPath(dir, agent), info).isOk());
  mesos::FrameworkInfo framework;
  framework.set_user("root");
  framework.set_name("hand made");
  framework.mutable_id()->set_value(fid);
  framework.set_checkpoint(true);
  ASSERT_TRUE(
      checkpoint::writeRecord(checkpoint::frameworkInfoPath(dir, agent, fid), framework).isOk());
  ASSERT_TRUE(checkpoint::writeText(checkpoint::frameworkPidPath(dir, agent, fid),
                                    "scheduler-1@127.0.0.1:41000")
                  .isOk());
  mesos::ExecutorInfo executor;
  executor.mutable_executor_id()->set_value(eid);
  executor.mutable_framework_id()->set_value(fid);
  executor.mutable_command()->set_value("/usr/bin/test-executor");
  ASSERT_TRUE(
      checkpoint::writeRecord(checkpoint::executorInfoPath(dir, agent, fid, eid), executor).isOk());
  ASSERT_TRUE(paths::createDirectories(checkpoint::runPath(dir, agent, fid, eid, cid)).isOk());
  ASSERT_TRUE(
      checkpoint::writeText(checkpoint::forkedPidPath(dir, agent, fid, eid, cid), "4242").isOk());
  ASSERT_TRUE(checkpoint::writeText(checkpoint::libprocessPidPath(dir, agent, fid, eid, cid),
                                    "executor(1)@127.0.0.1:40000")
                  .isOk());
  mesos::Task task;
  task.set_name(tid);
  task.mutable_task_id()->set_value(tid);
  task.mutable_framework_id()->set_value(fid);
  task.mutable_executor_id()->set_value(eid);
  task.mutable_slave_id()->set_value(agent);
  task.set_state(mesos::TASK_STAGING);
  ASSERT_TRUE(
      checkpoint::writeRecord(checkpoint::taskInfoPath(dir, agent, fid, eid, cid, tid), task)
          .isOk());
  StatusUpdateRecord update;
  update.set_type(StatusUpdateRecord::UPDATE);
  auto* u = update.mutable_update();
  u->mutable_framework_id()->set_value(fid);
  u->mutable_executor_id()->set_value(eid);
  u->mutable_slave_id()->set_value(agent);
  u->mutable_status()->mutable_task_id()->set_value(tid);
  u->mutable_status()->set_state(mesos::TASK_RUNNING);
  u->mutable_status()->set_uuid(kUuid1);
  u->set_uuid(kUuid1);
  u->set_timestamp(1);
  StatusUpdateRecord ack;
  ack.set_type(StatusUpdateRecord::ACK);
  ack.set_uuid(kUuid1);
  std::string updates = checkpoint::taskUpdatesPath(dir, agent, fid, eid, cid, tid);
  ASSERT_TRUE(checkpoint::appendRecord(updates, update).isOk());
  ASSERT_TRUE(checkpoint::appendRecord(updates, ack).isOk());
}

TEST_F(AgentRecoveryTest, RecoversAHandMadeCheckpoint) {
  // Ensures a checkpoint written by hand in Mesos's layout is read back as the agent
  // id, framework, executor (pid watched, reconnect sent) and RUNNING task.
  mesos::SlaveInfo current;
  run([&] { current = agent_->info(); });
  writeHandMadeCheckpoint(work_dir_, *checkpoint::currentBootId(), current);
  auto state = readCheckpoint(work_dir_, true, *checkpoint::currentBootId());
  ASSERT_TRUE(state) << state.message();
  EXPECT_FALSE(state->rebooted);
  ASSERT_TRUE(state->agent);
  EXPECT_EQ(state->agent->id, "S1");
  const auto& run_state = state->agent->frameworks.at(kFid).executors.at("e1").runs.at("c1");
  EXPECT_EQ(run_state.forked_pid, 4242);
  EXPECT_EQ(run_state.tasks.at("t1").records.size(), 2u);

  ASSERT_TRUE(restart().isOk());
  EXPECT_EQ(agent_->agentId(), "S1");
  EXPECT_EQ(agent_->state(), Agent::State::kRecovering);
  EXPECT_EQ(transport_.sent<ReconnectExecutorMessage>("executor(1)").size(), 1u);
  run([&] {
    const auto& executor = *agent_->frameworks().at(kFid)->executors.at("e1");
    EXPECT_TRUE(executor.recovered);
    EXPECT_EQ(executor.os_pid, 4242);
    ASSERT_EQ(executor.launched_tasks.count("t1"), 1u);
    EXPECT_EQ(executor.launched_tasks.at("t1").state(), mesos::TASK_RUNNING);
  });
  // The pid is watched: its exit fails the task (default executor termination).
  launcher_.exit(4242, 0);
  settle();
  advance(std::chrono::seconds(2));
  advance(std::chrono::seconds(2));
  auto reregisters = transport_.sent<ReregisterSlaveMessage>("master");
  ASSERT_GE(reregisters.size(), 1u);
  EXPECT_EQ(reregisters[0].slave().id().value(), "S1");
  mesos::internal::SlaveReregisteredMessage back;
  back.mutable_slave_id()->set_value("S1");
  fromMaster(back);
  auto updates = transport_.sent<StatusUpdateMessage>("master");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].update().status().state(), mesos::TASK_FAILED);
  EXPECT_EQ(updates[0].update().status().reason(), mesos::TaskStatus::REASON_EXECUTOR_TERMINATED);
}

TEST_F(AgentRecoveryTest, AfterARebootExecutorsAreNotReconnected) {
  // Ensures a different boot id means no reconnect: the executor is gone, its task
  // fails as an unknown container, and the agent keeps its id.
  mesos::SlaveInfo current;
  run([&] { current = agent_->info(); });
  writeHandMadeCheckpoint(work_dir_, "some-earlier-boot", current);
  ASSERT_TRUE(restart().isOk());
  EXPECT_EQ(agent_->agentId(), "S1");
  EXPECT_TRUE(transport_.sent<ReconnectExecutorMessage>().empty());
  advance(std::chrono::seconds(2));
  // Recovery is over: this boot's id is recorded.
  EXPECT_EQ(*checkpoint::readText(checkpoint::bootIdPath(work_dir_)), *checkpoint::currentBootId());
  mesos::internal::SlaveReregisteredMessage back;
  back.mutable_slave_id()->set_value("S1");
  fromMaster(back);
  auto updates = transport_.sent<StatusUpdateMessage>("master");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].update().status().state(), mesos::TASK_FAILED);
  EXPECT_EQ(updates[0].update().status().message(),
            "Abnormal executor termination: unknown container");
  EXPECT_TRUE(launcher_.kills.empty());
}

TEST_F(AgentRecoveryTest, ChangedAgentInfoIsFatalUnlessRebooted) {
  // Ensures a checkpointed SlaveInfo that differs refuses to start, but after a
  // reboot the agent starts afresh and registers as a new agent.
  mesos::SlaveInfo other;
  run([&] { other = agent_->info(); });
  other.set_hostname("elsewhere");
  writeHandMadeCheckpoint(work_dir_, *checkpoint::currentBootId(), other);
  EXPECT_FALSE(restart().isOk());
  writeHandMadeCheckpoint(work_dir_, "some-earlier-boot", other);
  ASSERT_TRUE(restart().isOk());
  EXPECT_TRUE(agent_->agentId().empty());
  advance(std::chrono::seconds(2));
  EXPECT_EQ(transport_.sent<RegisterSlaveMessage>("master").size(), 1u);
}

TEST_F(AgentRecoveryTest, CleanupShutsExecutorsDownAndTerminates) {
  // Ensures --recover=cleanup shuts the recovered executor down, kills it after the
  // grace period, never registers, and then reports the agent terminated.
  registerAgent();
  launchCheckpointedTask("t1");
  AgentFlags flags = makeFlags();
  flags.recover = "cleanup";
  ASSERT_TRUE(restart(flags).isOk());
  EXPECT_EQ(transport_.sent<ShutdownExecutorMessage>("executor(1)").size(), 1u);
  EXPECT_FALSE(terminated_);
  advance(std::chrono::seconds(10));
  EXPECT_FALSE(launcher_.kills.empty());
  EXPECT_TRUE(terminated_);
  EXPECT_TRUE(transport_.sent<RegisterSlaveMessage>().empty());
  EXPECT_TRUE(transport_.sent<ReregisterSlaveMessage>().empty());
}

mesos::Resource reserved(const std::string& name, double value, const std::string& role) {
  mesos::Resource r;
  r.set_name(name);
  r.set_type(mesos::Value::SCALAR);
  r.mutable_scalar()->set_value(value);
  auto* reservation = r.add_reservations();
  reservation->set_type(mesos::Resource::ReservationInfo::DYNAMIC);
  reservation->set_role(role);
  reservation->set_principal("ops");
  return r;
}

TEST_F(AgentRecoveryTest, CheckpointedResourcesAreAppliedSentAndRecovered) {
  // Ensures CheckpointResourcesMessage is checkpointed to meta/resources/resources.info,
  // replaces the matching plain resources (sums unchanged), creates volume directories,
  // survives a restart and is sent in ReregisterSlaveMessage.checkpointed_resources.
  registerAgent();
  CheckpointResourcesMessage m;
  *m.add_resources() = reserved("cpus", 1, "web");
  mesos::Resource volume = reserved("disk", 100, "web");
  volume.mutable_disk()->mutable_persistence()->set_id("vol1");
  volume.mutable_disk()->mutable_persistence()->set_principal("ops");
  volume.mutable_disk()->mutable_volume()->set_container_path("data");
  volume.mutable_disk()->mutable_volume()->set_mode(mesos::Volume::RW);
  *m.add_resources() = volume;
  fromMaster(m);
  EXPECT_TRUE(fs::exists(checkpoint::resourcesInfoPath(work_dir_)));
  EXPECT_TRUE(fs::is_directory(work_dir_ + "/volumes/roles/web/vol1"));
  Resources total, checkpointed;
  run([&] {
    total = agent_->totalResources();
    checkpointed = agent_->checkpointedResources();
  });
  EXPECT_EQ(checkpointed.size(), 2u);
  EXPECT_EQ(total.cpus(), 4);
  EXPECT_EQ(total.disk(), 10240);
  EXPECT_EQ(total.reserved("web").cpus(), 1);

  ASSERT_TRUE(restart().isOk());
  run([&] {
    EXPECT_EQ(agent_->checkpointedResources(), checkpointed);
    EXPECT_EQ(agent_->totalResources(), total);
  });
  advance(std::chrono::seconds(2));
  auto reregisters = transport_.sent<ReregisterSlaveMessage>("master");
  ASSERT_EQ(reregisters.size(), 1u);
  ASSERT_EQ(reregisters[0].checkpointed_resources_size(), 2);
  EXPECT_EQ(Resources(reregisters[0].checkpointed_resources()), checkpointed);

  // Destroying the volume (the master's new set lacks it) removes its directory.
  CheckpointResourcesMessage smaller;
  *smaller.add_resources() = reserved("cpus", 1, "web");
  mesos::internal::SlaveReregisteredMessage back;
  back.mutable_slave_id()->set_value(kAgentId);
  fromMaster(back);
  fromMaster(smaller);
  EXPECT_FALSE(fs::exists(work_dir_ + "/volumes/roles/web/vol1"));
}

TEST_F(AgentRecoveryTest, CheckpointedResourcesThatDoNotFitAreRefused) {
  // Ensures a reservation larger than the agent's resources is ignored, not applied.
  registerAgent();
  CheckpointResourcesMessage m;
  *m.add_resources() = reserved("cpus", 64, "web");
  fromMaster(m);
  run([&] { EXPECT_TRUE(agent_->checkpointedResources().empty()); });
  EXPECT_FALSE(fs::exists(checkpoint::resourcesInfoPath(work_dir_)));
}

}  // namespace
}  // namespace keel::agent::testing
