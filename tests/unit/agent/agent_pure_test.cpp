#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "agent/executor_setup.hpp"
#include "agent/resource_detection.hpp"
#include "agent/status_update_manager.hpp"
#include "runtime/clock.hpp"
#include "runtime/event_loop.hpp"

namespace keel::agent {
namespace {

constexpr std::uint64_t kGB = 1024ull * 1024 * 1024;

TEST(ResourceDetection, FillsMissingNamesFromTheHost) {
  // Ensures cpus/mem/disk/ports absent from --resources come from the host per Mesos's rules.
  HostFacts facts{8.0, 16 * kGB, 100 * kGB};
  auto total = agentResources("cpus:2", "*", facts);
  ASSERT_TRUE(total.isOk()) << total.message();
  EXPECT_EQ(total->cpus(), 2.0);
  EXPECT_EQ(total->mem(), 15.0 * 1024);
  EXPECT_EQ(total->disk(), 95.0 * 1024);
  ASSERT_TRUE(total->ports().has_value());
  EXPECT_EQ(total->ports()->range(0).begin(), 31000u);
  EXPECT_EQ(total->ports()->range(0).end(), 32000u);
}

TEST(ResourceDetection, SmallHostsAndFailedMeasurements) {
  // Ensures small hosts get halves and failed measurements get Mesos's fallbacks.
  auto small = agentResources("", "*", HostFacts{1.0, 1 * kGB, 4 * kGB});
  ASSERT_TRUE(small.isOk());
  EXPECT_EQ(small->mem(), 512.0);
  EXPECT_EQ(small->disk(), 2048.0);
  auto unknown = agentResources("", "*", HostFacts{});
  ASSERT_TRUE(unknown.isOk());
  EXPECT_EQ(unknown->cpus(), 1.0);
  EXPECT_EQ(unknown->mem(), 1024.0);
  EXPECT_EQ(unknown->disk(), 10240.0);
  EXPECT_FALSE(agentResources("cpus:abc", "*", HostFacts{}).isOk());
}

TEST(ResourceDetection, LegacyFormatAndAttributes) {
  // Ensures the wire form has role "*" on unreserved resources and attributes parse by type.
  auto total = agentResources("cpus:4;mem:10;disk:10;ports:[1-2]", "*", HostFacts{});
  ASSERT_TRUE(total.isOk());
  auto legacy = toLegacyFormat(total->proto());
  for (const auto& r : legacy) {
    EXPECT_EQ(r.role(), "*");
  }
  auto attributes = parseAttributes("rack:2;zone:a;p:[1-3]");
  ASSERT_TRUE(attributes.isOk());
  ASSERT_EQ(attributes->size(), 3);
  EXPECT_EQ((*attributes)[0].type(), mesos::Value::SCALAR);
  EXPECT_EQ((*attributes)[1].type(), mesos::Value::TEXT);
  EXPECT_EQ((*attributes)[1].text().value(), "a");
  EXPECT_EQ((*attributes)[2].type(), mesos::Value::RANGES);
}

TEST(ExecutorSetup, CommandExecutorInfoMatchesMesos) {
  // Ensures the synthesized executor has Mesos's id, name, command and overhead resources.
  mesos::FrameworkInfo framework;
  framework.mutable_id()->set_value("F-0001");
  mesos::TaskInfo task;
  task.mutable_task_id()->set_value("sleeper");
  task.mutable_command()->set_value("sleep 100");
  auto* r = task.add_resources();
  r->set_name("cpus");
  r->set_type(mesos::Value::SCALAR);
  r->mutable_scalar()->set_value(1);
  r->mutable_allocation_info()->set_role("*");
  auto info = commandExecutorInfo(framework, task, "/usr/libexec/keel");
  EXPECT_EQ(info.executor_id().value(), "sleeper");
  EXPECT_EQ(info.source(), "sleeper");
  EXPECT_EQ(info.name(), "Command Executor (Task: sleeper) (Command: sh -c 'sleep 100')");
  EXPECT_EQ(info.command().value(), "/usr/libexec/keel/keel-executor");
  EXPECT_FALSE(info.command().shell());
  ASSERT_EQ(info.resources_size(), 2);
  EXPECT_DOUBLE_EQ(info.resources(0).scalar().value(), 0.1);
  EXPECT_EQ(info.resources(1).scalar().value(), 32);
  EXPECT_EQ(info.resources(1).allocation_info().role(), "*");
  EXPECT_TRUE(isCommandExecutor(info));

  task.mutable_command()->set_value("while true; do echo hi; done");
  EXPECT_EQ(commandExecutorName(task),
            "Command Executor (Task: sleeper) (Command: sh -c 'while true; ...')");
}

TEST(ExecutorSetup, EnvironmentIsNotInheritedAndTaskVariablesWin) {
  // Ensures the executor environment is built from scratch with CommandInfo variables last.
  ExecutorEnvironmentInputs in;
  in.agent_pid = "slave(1)@10.0.0.1:5051";
  in.checkpoint = true;
  in.shutdown_grace_period = std::chrono::seconds(5);
  in.recovery_timeout = std::chrono::minutes(15);
  in.reregistration_timeout = std::chrono::seconds(2);
  in.extra = {{"PATH", "/custom"}, {"MESOS_SLAVE_ID", "overridden"}};
  in.agent_id = "S0";
  mesos::CommandInfo command;
  auto* v = command.mutable_environment()->add_variables();
  v->set_name("LIBPROCESS_PORT");
  v->set_value("7");
  auto env = executorEnvironment(in, command);
  EXPECT_EQ(env.at("PATH"), "/custom");
  EXPECT_EQ(env.at("MESOS_SLAVE_ID"), "S0");
  EXPECT_EQ(env.at("MESOS_AGENT_ENDPOINT"), "10.0.0.1:5051");
  EXPECT_EQ(env.at("MESOS_CHECKPOINT"), "1");
  EXPECT_EQ(env.at("MESOS_RECOVERY_TIMEOUT"), "15mins");
  EXPECT_EQ(env.at("MESOS_SUBSCRIPTION_BACKOFF_MAX"), "2secs");
  EXPECT_EQ(env.at("LIBPROCESS_PORT"), "7");
  auto spec = executorLaunchSpec(command, env, "/sandbox");
  EXPECT_EQ(spec.working_dir, "/sandbox");
}

mesos::internal::StatusUpdate update(const std::string& task, mesos::TaskState state,
                                     const std::string& uuid) {
  mesos::internal::StatusUpdate u;
  u.mutable_framework_id()->set_value("F");
  u.mutable_status()->mutable_task_id()->set_value(task);
  u.mutable_status()->set_state(state);
  u.mutable_status()->set_uuid(uuid);
  u.set_uuid(uuid);
  u.set_timestamp(1);
  return u;
}

class StatusUpdateManagerTest : public ::testing::Test {
 protected:
  StatusUpdateManagerTest() : loop_(clock_) { loop_.start(); }
  ~StatusUpdateManagerTest() override {
    onLoop([this] { manager_.reset(); });
    loop_.stop();
    loop_.join();
  }
  void onLoop(std::function<void()> fn) {
    loop_.post(std::move(fn));
    loop_.drain();
  }
  void advance(runtime::Duration d) {
    clock_.advance(d);
    loop_.drain();
    loop_.drain();
  }
  size_t sentCount() {
    size_t n = 0;
    onLoop([&] { n = sent_.size(); });
    return n;
  }

  runtime::ManualClock clock_;
  runtime::EventLoop loop_;
  std::vector<mesos::internal::StatusUpdate> sent_;
  std::unique_ptr<TaskStatusUpdateManager> manager_ = std::make_unique<TaskStatusUpdateManager>(
      loop_, [this](const mesos::internal::StatusUpdate& u) { sent_.push_back(u); });
};

TEST_F(StatusUpdateManagerTest, RetriesWithDoublingBackoffUntilAcked) {
  // Ensures the head is resent at 10 s, 20 s, 40 s ... and acks release the next update.
  onLoop([&] {
    manager_->resume();
    ASSERT_TRUE(manager_->update(update("t", mesos::TASK_RUNNING, "u1")).isOk());
    ASSERT_TRUE(manager_->update(update("t", mesos::TASK_FINISHED, "u2")).isOk());
  });
  EXPECT_EQ(sentCount(), 1u);
  EXPECT_EQ(sent_[0].latest_state(), mesos::TASK_RUNNING);
  advance(std::chrono::seconds(10));
  EXPECT_EQ(sentCount(), 2u);
  EXPECT_EQ(sent_[1].status().state(), mesos::TASK_RUNNING);
  EXPECT_EQ(sent_[1].latest_state(), mesos::TASK_FINISHED);
  advance(std::chrono::seconds(10));
  EXPECT_EQ(sentCount(), 2u);  // next retry is 20 s after the previous one
  advance(std::chrono::seconds(10));
  EXPECT_EQ(sentCount(), 3u);
  onLoop([&] {
    mesos::FrameworkID f;
    f.set_value("F");
    mesos::TaskID t;
    t.set_value("t");
    EXPECT_FALSE(manager_->acknowledge(f, t, "nope").isOk());
    auto first = manager_->acknowledge(f, t, "u1");
    ASSERT_TRUE(first.isOk());
    EXPECT_FALSE(*first);
    EXPECT_EQ(sent_.back().status().uuid(), "u2");
    auto second = manager_->acknowledge(f, t, "u2");
    ASSERT_TRUE(second.isOk());
    EXPECT_TRUE(*second);
    EXPECT_FALSE(manager_->acknowledge(f, t, "u2").isOk());
  });
  EXPECT_EQ(sentCount(), 4u);
  advance(std::chrono::minutes(20));
  EXPECT_EQ(sentCount(), 4u);
}

TEST_F(StatusUpdateManagerTest, PausedStreamsHoldAndDuplicatesAreNotRequeued) {
  // Ensures nothing is sent while paused, resume() flushes heads, duplicates are flagged.
  onLoop([&] {
    ASSERT_TRUE(manager_->update(update("t", mesos::TASK_RUNNING, "u1")).isOk());
    auto dup = manager_->update(update("t", mesos::TASK_RUNNING, "u1"));
    ASSERT_TRUE(dup.isOk());
    EXPECT_FALSE(*dup);
    EXPECT_FALSE(manager_->update(update("t", mesos::TASK_RUNNING, "")).isOk());
  });
  advance(std::chrono::minutes(1));
  EXPECT_EQ(sentCount(), 0u);
  onLoop([&] { manager_->resume(); });
  EXPECT_EQ(sentCount(), 1u);
}

}  // namespace
}  // namespace keel::agent
