// Default values of unset fields, which both ends of a connection must agree on: Mesos never
// sends a field that equals nothing, so a wrong default silently changes behaviour.

#include <gtest/gtest.h>

#include <mesos/executor/executor.pb.h>
#include <mesos/internal/messages.pb.h>
#include <mesos/mesos.pb.h>
#include <mesos/scheduler/scheduler.pb.h>
#include <mesos/v1/mesos.pb.h>
#include <mesos/v1/scheduler/scheduler.pb.h>

namespace keel::proto_test {
namespace {

// Ensures FrameworkInfo's explicit defaults: no failover timeout, no checkpointing, role "*".
TEST(Defaults, FrameworkInfo) {
  mesos::FrameworkInfo f;
  EXPECT_EQ(f.failover_timeout(), 0.0);
  EXPECT_FALSE(f.checkpoint());
  EXPECT_EQ(f.role(), "*");
  EXPECT_FALSE(f.has_failover_timeout());
}

// Ensures an unset Filters.refuse_seconds means 5 seconds.
TEST(Defaults, FiltersRefuseSeconds) {
  EXPECT_EQ(mesos::Filters().refuse_seconds(), 5.0);
  EXPECT_EQ(mesos::v1::Filters().refuse_seconds(), 5.0);
}

// Ensures commands run through the shell and fetched URIs are extracted unless told otherwise.
TEST(Defaults, CommandInfo) {
  EXPECT_TRUE(mesos::CommandInfo().shell());
  EXPECT_TRUE(mesos::CommandInfo::URI().extract());
  EXPECT_FALSE(mesos::CommandInfo::URI().executable());
  EXPECT_FALSE(mesos::CommandInfo::URI().cache());
}

// Ensures the well-known ports: master 5050, agent 5051.
TEST(Defaults, MasterAndAgentPorts) {
  EXPECT_EQ(mesos::MasterInfo().port(), 5050u);
  EXPECT_EQ(mesos::SlaveInfo().port(), 5051);
  EXPECT_FALSE(mesos::SlaveInfo().checkpoint());
  EXPECT_EQ(mesos::v1::MasterInfo().port(), 5050u);
  EXPECT_EQ(mesos::v1::AgentInfo().port(), 5051);
}

// Ensures HealthCheck timing defaults (15s delay, 10s interval, 20s timeout, 3 failures, 10s
// grace) and IPv4 for HTTP/TCP checks.
TEST(Defaults, HealthCheck) {
  mesos::HealthCheck h;
  EXPECT_EQ(h.delay_seconds(), 15.0);
  EXPECT_EQ(h.interval_seconds(), 10.0);
  EXPECT_EQ(h.timeout_seconds(), 20.0);
  EXPECT_EQ(h.consecutive_failures(), 3u);
  EXPECT_EQ(h.grace_period_seconds(), 10.0);
  EXPECT_EQ(h.type(), mesos::HealthCheck::UNKNOWN);
  EXPECT_EQ(mesos::HealthCheck::HTTPCheckInfo().protocol(), mesos::NetworkInfo::IPv4);
  EXPECT_EQ(mesos::HealthCheck::TCPCheckInfo().protocol(), mesos::NetworkInfo::IPv4);
}

// Ensures CheckInfo timing defaults (15s delay, 10s interval, 20s timeout).
TEST(Defaults, CheckInfo) {
  mesos::CheckInfo c;
  EXPECT_EQ(c.delay_seconds(), 15.0);
  EXPECT_EQ(c.interval_seconds(), 10.0);
  EXPECT_EQ(c.timeout_seconds(), 20.0);
}

// Ensures Resource.role is "*" when unset (pre-reservation-refinement agents rely on it).
TEST(Defaults, ResourceRole) { EXPECT_EQ(mesos::Resource().role(), "*"); }

// Ensures the smaller explicit defaults: environment variables are plain values, images are
// cached, containers share cgroups, Docker uses host networking unprivileged, IPv4 addresses.
TEST(Defaults, ContainerRelated) {
  EXPECT_EQ(mesos::Environment::Variable().type(), mesos::Environment::Variable::VALUE);
  EXPECT_TRUE(mesos::Image().cached());
  EXPECT_TRUE(mesos::LinuxInfo().share_cgroups());
  EXPECT_EQ(mesos::ContainerInfo::DockerInfo().network(), mesos::ContainerInfo::DockerInfo::HOST);
  EXPECT_FALSE(mesos::ContainerInfo::DockerInfo().privileged());
  EXPECT_EQ(mesos::NetworkInfo::IPAddress().protocol(), mesos::NetworkInfo::IPv4);
  EXPECT_EQ(mesos::CSIPluginInfo().name(), "default");
  EXPECT_FALSE(mesos::DrainConfig().mark_gone());
  EXPECT_FALSE(mesos::internal::TaskHealthStatus().kill_task());
}

// Ensures enums without an explicit default fall back to their first declared value, which for
// TaskState is TASK_STAGING (= 6), not the zero value — declaration order is part of the contract.
TEST(Defaults, ImplicitEnumDefaults) {
  EXPECT_EQ(mesos::TaskStatus().state(), mesos::TASK_STAGING);
  EXPECT_EQ(mesos::v1::TaskStatus().state(), mesos::v1::TASK_STAGING);
  EXPECT_EQ(mesos::Value().type(), mesos::Value::SCALAR);
  EXPECT_EQ(mesos::Image().type(), mesos::Image::APPC);
  EXPECT_EQ(mesos::ContainerInfo().type(), mesos::ContainerInfo::DOCKER);
  EXPECT_EQ(mesos::scheduler::Call().type(), mesos::scheduler::Call::UNKNOWN);
  EXPECT_EQ(mesos::v1::scheduler::Call().type(), mesos::v1::scheduler::Call::UNKNOWN);
}

// Ensures the numeric values of the enums that drivers and tools expose or log.
TEST(Defaults, EnumNumbers) {
  EXPECT_EQ(mesos::DRIVER_NOT_STARTED, 1);
  EXPECT_EQ(mesos::DRIVER_RUNNING, 2);
  EXPECT_EQ(mesos::DRIVER_ABORTED, 3);
  EXPECT_EQ(mesos::DRIVER_STOPPED, 4);
  EXPECT_EQ(mesos::TASK_STARTING, 0);
  EXPECT_EQ(mesos::TASK_RUNNING, 1);
  EXPECT_EQ(mesos::TASK_FINISHED, 2);
  EXPECT_EQ(mesos::TASK_FAILED, 3);
  EXPECT_EQ(mesos::TASK_KILLED, 4);
  EXPECT_EQ(mesos::TASK_LOST, 5);
  EXPECT_EQ(mesos::TASK_STAGING, 6);
  EXPECT_EQ(mesos::TASK_ERROR, 7);
  EXPECT_EQ(mesos::TASK_KILLING, 8);
  EXPECT_EQ(mesos::TASK_DROPPED, 9);
  EXPECT_EQ(mesos::TASK_UNREACHABLE, 10);
  EXPECT_EQ(mesos::TASK_GONE, 11);
  EXPECT_EQ(mesos::TASK_GONE_BY_OPERATOR, 12);
  EXPECT_EQ(mesos::TASK_UNKNOWN, 13);
  EXPECT_EQ(mesos::TaskStatus::SOURCE_MASTER, 0);
  EXPECT_EQ(mesos::TaskStatus::SOURCE_SLAVE, 1);
  EXPECT_EQ(mesos::TaskStatus::SOURCE_EXECUTOR, 2);
  EXPECT_EQ(mesos::TaskStatus::REASON_COMMAND_EXECUTOR_FAILED, 0);
  EXPECT_EQ(mesos::executor::Call::SUBSCRIBE, 1);
  EXPECT_EQ(mesos::executor::Event::LAUNCH_GROUP, 8);
}

}  // namespace
}  // namespace keel::proto_test
