// Unit tests of the master's pure validation functions (spec §3.2, §3.5).

#include "master/validation.hpp"

#include <gtest/gtest.h>
#include <mesos/mesos.pb.h>

namespace keel::master {
namespace {

mesos::Resource scalar(const std::string& name, double value) {
  mesos::Resource r;
  r.set_name(name);
  r.set_type(mesos::Value::SCALAR);
  r.mutable_scalar()->set_value(value);
  r.mutable_allocation_info()->set_role("*");
  return r;
}

mesos::TaskInfo commandTask(const std::string& id, double cpus = 1, double mem = 64) {
  mesos::TaskInfo task;
  task.set_name(id);
  task.mutable_task_id()->set_value(id);
  task.mutable_slave_id()->set_value("agent-1");
  *task.add_resources() = scalar("cpus", cpus);
  *task.add_resources() = scalar("mem", mem);
  task.mutable_command()->set_value("true");
  return task;
}

TaskContext context(const std::map<std::string, mesos::ExecutorInfo>* executors = nullptr) {
  TaskContext c;
  c.framework_id = "fw-1";
  c.agent_id = "agent-1";
  c.task_id_in_use = [](const std::string& id) { return id == "taken"; };
  c.agent_executors = executors;
  google::protobuf::RepeatedPtrField<mesos::Resource> pool;
  *pool.Add() = scalar("cpus", 4);
  *pool.Add() = scalar("mem", 1024);
  c.available = Resources(pool);
  return c;
}

// Ensures role names follow Mesos's rules.
TEST(ValidationTest, Roles) {
  EXPECT_FALSE(validateRole("*"));
  EXPECT_FALSE(validateRole("eng"));
  EXPECT_FALSE(validateRole("eng/ml"));
  EXPECT_TRUE(validateRole(""));
  EXPECT_TRUE(validateRole("/eng"));
  EXPECT_TRUE(validateRole("eng/"));
  EXPECT_TRUE(validateRole("eng//ml"));
  EXPECT_TRUE(validateRole("eng/.."));
  EXPECT_TRUE(validateRole("-eng"));
  EXPECT_TRUE(validateRole("a b"));
  EXPECT_TRUE(validateRole("eng/*"));
}

// Ensures a valid command task passes and each rule's violation is reported.
TEST(ValidationTest, TaskRules) {
  auto ctx = context();
  EXPECT_FALSE(validateTask(commandTask("t1"), ctx));

  auto bad_id = commandTask("a/b");
  EXPECT_TRUE(validateTask(bad_id, ctx));

  auto dup = commandTask("taken");
  auto e = validateTask(dup, ctx);
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("duplicate ID"), std::string::npos);

  auto wrong_agent = commandTask("t2");
  wrong_agent.mutable_slave_id()->set_value("agent-2");
  EXPECT_TRUE(validateTask(wrong_agent, ctx));

  auto no_resources = commandTask("t3");
  no_resources.clear_resources();
  e = validateTask(no_resources, ctx);
  ASSERT_TRUE(e);
  EXPECT_EQ(*e, "Task uses no resources");

  auto both = commandTask("t4");
  both.mutable_executor()->mutable_executor_id()->set_value("e");
  both.mutable_executor()->mutable_command()->set_value("x");
  e = validateTask(both, ctx);
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("not both"), std::string::npos);

  auto neither = commandTask("t5");
  neither.clear_command();
  EXPECT_TRUE(validateTask(neither, ctx));

  auto too_big = commandTask("t6", 8, 64);
  e = validateTask(too_big, ctx);
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("more than available"), std::string::npos);

  auto negative = commandTask("t7", -1, 64);
  EXPECT_TRUE(validateTask(negative, ctx));
}

// Ensures an ExecutorInfo reusing an ExecutorID must equal the one already on the agent,
// and that only a new executor's resources are charged.
TEST(ValidationTest, ExecutorCompatibility) {
  mesos::ExecutorInfo executor;
  executor.mutable_executor_id()->set_value("exec");
  executor.mutable_framework_id()->set_value("fw-1");
  executor.mutable_command()->set_value("./exec");
  *executor.add_resources() = scalar("cpus", 0.5);

  std::map<std::string, mesos::ExecutorInfo> known = {{"exec", executor}};
  auto ctx = context(&known);

  auto task = commandTask("t1");
  task.clear_command();
  *task.mutable_executor() = executor;
  EXPECT_FALSE(validateTask(task, ctx));
  EXPECT_EQ(taskAndNewExecutorResources(task, known).cpus(), 1.0);
  EXPECT_EQ(taskAndNewExecutorResources(task, {}).cpus(), 1.5);

  auto changed = task;
  changed.mutable_executor()->mutable_command()->set_value("./other");
  auto e = validateTask(changed, ctx);
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("not compatible"), std::string::npos);
}

// Ensures FrameworkInfo role rules depend on the MULTI_ROLE capability.
TEST(ValidationTest, FrameworkInfoRoles) {
  mesos::FrameworkInfo info;
  info.set_user("u");
  info.set_name("f");
  EXPECT_FALSE(validateFrameworkInfo(info));

  info.add_roles("a");
  EXPECT_TRUE(validateFrameworkInfo(info));  // roles without MULTI_ROLE

  info.add_capabilities()->set_type(mesos::FrameworkInfo::Capability::MULTI_ROLE);
  EXPECT_FALSE(validateFrameworkInfo(info));
  info.add_roles("a");
  EXPECT_TRUE(validateFrameworkInfo(info));  // duplicate

  mesos::FrameworkInfo bad_role;
  bad_role.set_user("u");
  bad_role.set_name("f");
  bad_role.set_role("a//b");
  EXPECT_TRUE(validateFrameworkInfo(bad_role));
}

}  // namespace
}  // namespace keel::master
