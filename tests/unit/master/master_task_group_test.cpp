// LAUNCH_GROUP in the master: validation, bookkeeping and the RunTaskGroupMessage.

#include <functional>

#include "master_fixture.hpp"

namespace keel::master {
namespace {

using mesos::internal::RunTaskGroupMessage;

class MasterTaskGroupTest : public MasterTest {
 protected:
  // Registers an agent with cpus, mem and disk (the group's executor needs disk) and
  // subscribes a framework; returns its one offer.
  mesos::Offer setUpOffer(double cpus = 4, double mem = 1024) {
    mesos::internal::RegisterSlaveMessage m;
    m.mutable_slave()->set_hostname("agent-host");
    m.mutable_slave()->set_port(kAgent.port);
    *m.mutable_slave()->add_resources() = scalar("cpus", cpus);
    *m.mutable_slave()->add_resources() = scalar("mem", mem);
    *m.mutable_slave()->add_resources() = scalar("disk", 1000);
    m.set_version("1.12.0");
    transport_.deliver(kAgent, "master", m);
    loop_.poll();
    auto registered = transport_.take<mesos::internal::SlaveRegisteredMessage>(kAgent);
    EXPECT_EQ(registered.size(), 1u);
    fid_ = subscribe();
    auto o = offers();
    EXPECT_EQ(o.size(), 1u);
    return o.empty() ? mesos::Offer() : o[0];
  }

  mesos::ExecutorInfo executor() {
    mesos::ExecutorInfo e;
    e.set_type(mesos::ExecutorInfo::DEFAULT);
    e.mutable_executor_id()->set_value("default");
    e.mutable_framework_id()->set_value(fid_);
    *e.add_resources() = scalar("cpus", 0.1);
    *e.add_resources() = scalar("mem", 32);
    *e.add_resources() = scalar("disk", 10);
    return e;
  }

  void launchGroup(const mesos::Offer& offer, const mesos::ExecutorInfo& exec,
                   const std::vector<mesos::TaskInfo>& tasks) {
    Call c = call(Call::ACCEPT, fid_);
    *c.mutable_accept()->add_offer_ids() = offer.id();
    auto* op = c.mutable_accept()->add_operations();
    op->set_type(mesos::Offer::Operation::LAUNCH_GROUP);
    *op->mutable_launch_group()->mutable_executor() = exec;
    for (const auto& t : tasks) *op->mutable_launch_group()->mutable_task_group()->add_tasks() = t;
    transport_.deliver(kScheduler, "master", c);
    loop_.poll();
  }

  // Launches a group of two tasks after `mutate` and expects both rejected with `message`.
  void expectInvalid(
      const std::function<void(mesos::ExecutorInfo&, std::vector<mesos::TaskInfo>&)>& mutate,
      const std::string& message) {
    mesos::Offer o = setUpOffer();
    mesos::ExecutorInfo exec = executor();
    std::vector<mesos::TaskInfo> tasks = {commandTask("a", o), commandTask("b", o)};
    mutate(exec, tasks);
    launchGroup(o, exec, tasks);
    auto u = updates();
    ASSERT_EQ(u.size(), 2u);
    for (size_t i = 0; i < u.size(); ++i) {
      EXPECT_EQ(u[i].task_id().value(), tasks[i].task_id().value());
      EXPECT_EQ(u[i].state(), mesos::TASK_ERROR);
      EXPECT_EQ(u[i].reason(), mesos::TaskStatus::REASON_TASK_GROUP_INVALID);
      EXPECT_EQ(u[i].source(), mesos::TaskStatus::SOURCE_MASTER);
      EXPECT_EQ(u[i].message(), message);
    }
    EXPECT_TRUE(transport_.take<RunTaskGroupMessage>(kAgent).empty());
    EXPECT_TRUE(transport_.take<RunTaskMessage>(kAgent).empty());
  }

  std::string fid_;
};

// Ensures a valid group reaches the agent as one RunTaskGroupMessage with the framework,
// the executor and every task (each carrying the group's executor), and that the tasks
// and the executor are recorded as staging.
TEST_F(MasterTaskGroupTest, ValidGroupSendsOneRunTaskGroup) {
  mesos::Offer o = setUpOffer();
  launchGroup(o, executor(), {commandTask("a", o), commandTask("b", o)});
  EXPECT_TRUE(updates().empty());
  auto runs = transport_.take<RunTaskGroupMessage>(kAgent);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_TRUE(transport_.take<RunTaskMessage>(kAgent).empty());
  const RunTaskGroupMessage& run = runs[0];
  EXPECT_EQ(run.framework().id().value(), fid_);
  EXPECT_EQ(run.executor().executor_id().value(), "default");
  EXPECT_EQ(run.executor().type(), mesos::ExecutorInfo::DEFAULT);
  ASSERT_EQ(run.task_group().tasks_size(), 2);
  EXPECT_EQ(run.task_group().tasks(0).task_id().value(), "a");
  EXPECT_EQ(run.task_group().tasks(1).task_id().value(), "b");
  for (const auto& t : run.task_group().tasks()) {
    EXPECT_EQ(t.executor().executor_id().value(), "default");
  }
  auto state = transport_.get("/state");
  ASSERT_TRUE(state);
  EXPECT_NE(state->body.find("\"TASK_STAGING\""), std::string::npos);
  EXPECT_NE(state->body.find("\"executors\":[{"), std::string::npos);

  // A second group with a reused id is rejected: the first group's tasks are known.
  advance(seconds(6));
  auto again = offers();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_DOUBLE_EQ(Resources(again[0].resources()).cpus().value_or(0), 4 - 2 - 0.1);
  launchGroup(again[0], executor(), {commandTask("a", again[0])});
  auto u = updates();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].message(), "Task 'a' is invalid: Task has duplicate ID: a");
}

// Ensures the executor's type must be set.
TEST_F(MasterTaskGroupTest, ExecutorTypeMustBeSet) {
  expectInvalid([](auto& e, auto&) { e.clear_type(); }, "'ExecutorInfo.type' must be set");
}

// Ensures a DEFAULT executor may not carry a command.
TEST_F(MasterTaskGroupTest, DefaultExecutorHasNoCommand) {
  expectInvalid([](auto& e, auto&) { e.mutable_command()->set_value("x"); },
                "'ExecutorInfo.command' must not be set for 'DEFAULT' executor");
}

// Ensures the executor must name the framework (the master does not fill it in for groups).
TEST_F(MasterTaskGroupTest, ExecutorFrameworkIdMustBeSet) {
  expectInvalid([](auto& e, auto&) { e.clear_framework_id(); },
                "'ExecutorInfo.framework_id' must be set");
}

// Ensures a task's own `executor` must equal the group's.
TEST_F(MasterTaskGroupTest, TaskExecutorMustMatch) {
  expectInvalid(
      [](auto& e, auto& tasks) {
        mesos::ExecutorInfo other = e;
        other.set_name("other");
        *tasks[1].mutable_executor() = other;
      },
      "The `ExecutorInfo` of task 'b' is different from executor 'default'");
}

// Ensures two tasks of one group may not share an id.
TEST_F(MasterTaskGroupTest, DuplicateTaskIdsInGroup) {
  expectInvalid([](auto&, auto& tasks) { tasks[1].mutable_task_id()->set_value("a"); },
                "Task 'a' is invalid: Task has duplicate ID: a");
}

// Ensures each task gets the general task validation, reported with its id.
TEST_F(MasterTaskGroupTest, TaskValidatedLikeLaunch) {
  expectInvalid([](auto&, auto& tasks) { tasks[1].clear_resources(); },
                "Task 'b' is invalid: Task uses no resources");
}

// Ensures Docker containers are refused on the tasks of a group.
TEST_F(MasterTaskGroupTest, NoDockerTask) {
  expectInvalid(
      [](auto&, auto& tasks) {
        tasks[0].mutable_container()->set_type(mesos::ContainerInfo::DOCKER);
      },
      "Task 'a' is invalid: Docker ContainerInfo is not supported on the task");
}

// Ensures the executor needs at least 0.01 cpus, 32 MB and some disk.
TEST_F(MasterTaskGroupTest, ExecutorMinimumResources) {
  expectInvalid(
      [](auto& e, auto&) {
        e.clear_resources();
        *e.add_resources() = scalar("cpus", 0.1);
        *e.add_resources() = scalar("mem", 16);
        *e.add_resources() = scalar("disk", 10);
      },
      "Executor 'default' uses less memory (16MB) than the minimum required (32MB)");
}

// Ensures the executor needs disk.
TEST_F(MasterTaskGroupTest, ExecutorNeedsDisk) {
  expectInvalid(
      [](auto& e, auto&) {
        e.clear_resources();
        *e.add_resources() = scalar("cpus", 0.1);
        *e.add_resources() = scalar("mem", 32);
      },
      "Executor 'default' uses no disk");
}

// Ensures tasks + new executor must fit in the offer, and nothing is launched otherwise.
TEST_F(MasterTaskGroupTest, NotEnoughResources) {
  mesos::Offer o = setUpOffer(/*cpus=*/2);
  launchGroup(o, executor(), {commandTask("a", o), commandTask("b", o)});
  auto u = updates();
  ASSERT_EQ(u.size(), 2u);
  for (const auto& s : u) {
    EXPECT_EQ(s.state(), mesos::TASK_ERROR);
    EXPECT_EQ(s.reason(), mesos::TaskStatus::REASON_TASK_GROUP_INVALID);
    EXPECT_EQ(s.message().rfind("Total resources ", 0), 0u) << s.message();
    EXPECT_NE(s.message().find("required by task group and its executor are more than "
                               "available"),
              std::string::npos)
        << s.message();
  }
  EXPECT_TRUE(transport_.take<RunTaskGroupMessage>(kAgent).empty());
  // The whole offer comes back (after the default 5 s filter).
  advance(seconds(6));
  auto again = offers();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_DOUBLE_EQ(Resources(again[0].resources()).cpus().value_or(0), 2);
}

// Ensures an operation id on LAUNCH_GROUP yields TASK_ERROR for every task.
TEST_F(MasterTaskGroupTest, OperationIdIsRefused) {
  mesos::Offer o = setUpOffer();
  Call c = call(Call::ACCEPT, fid_);
  *c.mutable_accept()->add_offer_ids() = o.id();
  auto* op = c.mutable_accept()->add_operations();
  op->set_type(mesos::Offer::Operation::LAUNCH_GROUP);
  op->mutable_id()->set_value("op-1");
  *op->mutable_launch_group()->mutable_executor() = executor();
  *op->mutable_launch_group()->mutable_task_group()->add_tasks() = commandTask("a", o);
  transport_.deliver(kScheduler, "master", c);
  loop_.poll();
  auto u = updates();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].reason(), mesos::TaskStatus::REASON_TASK_GROUP_INVALID);
  EXPECT_EQ(u[0].message(), "The `id` field cannot be set on LAUNCH_GROUP operations");
}

}  // namespace
}  // namespace keel::master
