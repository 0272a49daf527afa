// Unit tests of the launch path's copy-free steps: offers lent to the ResourceOffersMessage
// (with allocation_info hidden from frameworks without MULTI_ROLE and restored afterwards),
// the RunTaskMessage built around the framework's info and the task, and status updates
// forwarded with the agent's status moved rather than copied.

#include <gtest/gtest.h>
#include <mesos/internal/messages.pb.h>
#include <mesos/scheduler/scheduler.pb.h>

#include "master/master.hpp"
#include "master_fixture.hpp"

namespace keel::master {
namespace {

// Ensures a framework without MULTI_ROLE gets offers without allocation_info while the
// master keeps the role: a launch into the offer still gets its resources allocated to "*",
// and a second pass offers the rest the same way.
TEST_F(MasterTest, LentOffersHideAndKeepAllocationInfo) {
  registerAgent();
  std::string fid = subscribe();
  auto o = offers();
  ASSERT_EQ(o.size(), 1u);
  EXPECT_FALSE(o[0].has_allocation_info());
  for (const auto& r : o[0].resources()) EXPECT_FALSE(r.has_allocation_info()) << r.name();

  launch(fid, o[0], {commandTask("t1", o[0])}, 0);
  auto runs = transport_.take<RunTaskMessage>(kAgent);
  ASSERT_EQ(runs.size(), 1u);
  ASSERT_EQ(runs[0].task().resources_size(), 2);
  for (const auto& r : runs[0].task().resources()) {
    ASSERT_TRUE(r.has_allocation_info()) << r.name();
    EXPECT_EQ(r.allocation_info().role(), "*");
  }
  EXPECT_EQ(runs[0].framework().id().value(), fid);
  EXPECT_EQ(runs[0].framework().name(), "test");
  EXPECT_EQ(runs[0].pid(), kScheduler.str());
  EXPECT_TRUE(runs[0].launch_executor());

  advance(seconds(2));
  auto again = offers();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_FALSE(again[0].has_allocation_info());
  EXPECT_DOUBLE_EQ(Resources(again[0].resources()).cpus().value_or(0), 3);
}

// Ensures a MULTI_ROLE framework sees allocation_info on the offer and on every resource.
TEST_F(MasterTest, MultiRoleOffersCarryAllocationInfo) {
  registerAgent();
  mesos::FrameworkInfo info;
  info.add_capabilities()->set_type(mesos::FrameworkInfo::Capability::MULTI_ROLE);
  info.add_roles("web");
  subscribe(kScheduler, info);
  auto o = offers();
  ASSERT_EQ(o.size(), 1u);
  ASSERT_TRUE(o[0].has_allocation_info());
  EXPECT_EQ(o[0].allocation_info().role(), "web");
  for (const auto& r : o[0].resources()) {
    ASSERT_TRUE(r.has_allocation_info()) << r.name();
    EXPECT_EQ(r.allocation_info().role(), "web");
  }
}

// Ensures an agent's update reaches the framework with its status intact, the agent as
// acknowledgee and the update's uuid, and that the task records the state.
TEST_F(MasterTest, ForwardedUpdateCarriesTheAgentsStatus) {
  std::string aid = registerAgent();
  std::string fid = subscribe();
  auto o = offers();
  ASSERT_EQ(o.size(), 1u);
  launch(fid, o[0], {commandTask("t1", o[0])});
  transport_.take<RunTaskMessage>(kAgent);
  const std::string uuid(16, 'u');
  agentUpdate(fid, aid, "t1", mesos::TASK_RUNNING, uuid);
  auto forwarded = transport_.take<StatusUpdateMessage>(kScheduler);
  ASSERT_EQ(forwarded.size(), 1u);
  const auto& u = forwarded[0].update();
  EXPECT_EQ(u.framework_id().value(), fid);
  EXPECT_EQ(u.uuid(), uuid);
  EXPECT_EQ(u.status().task_id().value(), "t1");
  EXPECT_EQ(u.status().state(), mesos::TASK_RUNNING);
  EXPECT_EQ(forwarded[0].pid(), kAgent.str());
  // The master's copy of the task has the state too (reconciliation answers with it).
  Call reconcile = call(Call::RECONCILE, fid);
  reconcile.mutable_reconcile();
  transport_.deliver(kScheduler, "master", reconcile);
  loop_.poll();
  auto answers = updates();
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].state(), mesos::TASK_RUNNING);
}

}  // namespace
}  // namespace keel::master
