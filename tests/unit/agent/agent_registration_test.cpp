#include <filesystem>

#include "agent/paths.hpp"
#include "agent_fixture.hpp"
#include "common/json.hpp"

namespace keel::agent::testing {
namespace {

using mesos::internal::PingSlaveMessage;
using mesos::internal::PongSlaveMessage;
using mesos::internal::RegisterSlaveMessage;
using mesos::internal::ReregisterSlaveMessage;
using mesos::internal::SlaveRegisteredMessage;
using mesos::internal::UpdateSlaveMessage;

TEST_F(AgentTest, RegistersLikeCapturedMesosAgent) {
  // Ensures RegisterSlaveMessage carries what capture 0001 shows, after the initial delay.
  EXPECT_TRUE(transport_.sent<RegisterSlaveMessage>().empty());
  advance(std::chrono::seconds(2));
  auto registers = transport_.sent<RegisterSlaveMessage>("master");
  ASSERT_EQ(registers.size(), 1u);
  const RegisterSlaveMessage& m = registers[0];
  EXPECT_EQ(m.version(), "1.12.0");
  EXPECT_EQ(m.slave().hostname(), "localhost");
  EXPECT_EQ(m.slave().port(), 5051);
  EXPECT_TRUE(m.slave().checkpoint());
  EXPECT_FALSE(m.slave().has_id());
  ASSERT_EQ(m.slave().resources_size(), 4);
  EXPECT_EQ(m.slave().resources(0).name(), "cpus");
  EXPECT_EQ(m.slave().resources(0).role(), "*");
  EXPECT_EQ(m.slave().resources(3).name(), "ports");
  // Mesos's list in Mesos's order, minus RESOURCE_PROVIDER, RESIZE_VOLUME and
  // AGENT_OPERATION_FEEDBACK, which would make a Mesos master send operations this agent
  // does not take (see kAgentCapabilities).
  ASSERT_EQ(m.agent_capabilities_size(), 5);
  EXPECT_EQ(m.agent_capabilities(0).type(), mesos::SlaveInfo::Capability::MULTI_ROLE);
  EXPECT_EQ(m.agent_capabilities(1).type(), mesos::SlaveInfo::Capability::HIERARCHICAL_ROLE);
  for (const auto& c : m.agent_capabilities()) {
    EXPECT_NE(c.type(), mesos::SlaveInfo::Capability::RESOURCE_PROVIDER);
  }
  EXPECT_EQ(m.agent_capabilities(4).type(), mesos::SlaveInfo::Capability::TASK_RESOURCE_LIMITS);
  EXPECT_EQ(m.resource_version_uuid().value().size(), 16u);
  EXPECT_EQ(transport_.links_.count(masterPid()), 1u);
}

TEST_F(AgentTest, RetriesRegistrationUntilAnswered) {
  // Ensures an unanswered registration is retried with a backoff capped at one minute.
  advance(std::chrono::seconds(2));
  ASSERT_EQ(transport_.sent<RegisterSlaveMessage>().size(), 1u);
  for (int i = 0; i < 4; ++i) {
    advance(std::chrono::minutes(1));
  }
  size_t attempts = transport_.sent<RegisterSlaveMessage>().size();
  EXPECT_GE(attempts, 4u);
  SlaveRegisteredMessage registered;
  registered.mutable_slave_id()->set_value(kAgentId);
  fromMaster(registered);
  EXPECT_EQ(agent_->state(), Agent::State::kRunning);
  advance(std::chrono::minutes(5));
  EXPECT_EQ(transport_.sent<RegisterSlaveMessage>().size(), attempts);
}

TEST_F(AgentTest, RegisteredSendsUpdateSlaveAndCheckpoints) {
  // Ensures SlaveRegisteredMessage is followed by UpdateSlaveMessage (capture 0004) and
  // the agent info is checkpointed.
  registerAgent();
  EXPECT_EQ(agent_->agentId(), kAgentId);
  auto updates = transport_.sent<UpdateSlaveMessage>("master");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].slave_id().value(), kAgentId);
  EXPECT_TRUE(updates[0].has_update_oversubscribed_resources());
  EXPECT_FALSE(updates[0].update_oversubscribed_resources());
  EXPECT_TRUE(updates[0].has_operations());
  EXPECT_TRUE(updates[0].has_resource_providers());
  EXPECT_EQ(updates[0].resource_version_uuid().value().size(), 16u);
  EXPECT_TRUE(std::filesystem::exists(paths::agentInfoPath(work_dir_, kAgentId)));
}

TEST_F(AgentTest, IgnoresRegistrationFromANonMaster) {
  // Ensures only the configured master can register the agent.
  advance(std::chrono::seconds(2));
  SlaveRegisteredMessage registered;
  registered.mutable_slave_id()->set_value(kAgentId);
  fromMaster(registered, "impostor");
  EXPECT_EQ(agent_->state(), Agent::State::kDisconnected);
}

TEST_F(AgentTest, AnswersPingsToTheSender) {
  // Ensures PingSlaveMessage is answered with an empty PongSlaveMessage to its sender.
  registerAgent();
  PingSlaveMessage ping;
  ping.set_connected(true);
  fromMaster(ping, "slave-observer(1)");
  auto pongs = transport_.all();
  int count = 0;
  for (const auto& msg : pongs) {
    if (msg.name == "mesos.internal.PongSlaveMessage") {
      EXPECT_EQ(msg.to.id, "slave-observer(1)");
      EXPECT_TRUE(msg.body.empty());
      ++count;
    }
  }
  EXPECT_EQ(count, 1);
}

TEST_F(AgentTest, ReregistersAfterMasterLinkBreaks) {
  // Ensures a broken master link makes the agent reregister with its id.
  registerAgent();
  transport_.breakLink(masterPid());
  settle();
  EXPECT_EQ(agent_->state(), Agent::State::kDisconnected);
  advance(std::chrono::seconds(2));
  auto reregisters = transport_.sent<ReregisterSlaveMessage>("master");
  ASSERT_GE(reregisters.size(), 1u);
  EXPECT_EQ(reregisters[0].slave().id().value(), kAgentId);
  EXPECT_EQ(reregisters[0].version(), "1.12.0");
  mesos::internal::SlaveReregisteredMessage back;
  back.mutable_slave_id()->set_value(kAgentId);
  fromMaster(back);
  EXPECT_EQ(agent_->state(), Agent::State::kRunning);
}

TEST_F(AgentTest, ReregistersWhenPingsStop) {
  // Ensures no ping within the ping timeout makes the agent reregister.
  registerAgent();
  advance(std::chrono::seconds(76));
  EXPECT_EQ(agent_->state(), Agent::State::kDisconnected);
  advance(std::chrono::seconds(2));
  EXPECT_GE(transport_.sent<ReregisterSlaveMessage>().size(), 1u);
}

TEST_F(AgentTest, ServesStateFlagsAndHealth) {
  // Ensures the endpoints exist, /state is delegated and carries the captured field names.
  registerAgent();
  runTask(commandTask("t1"));
  EXPECT_EQ(transport_.delegate_, "slave(1)");
  ASSERT_EQ(transport_.routes_.count("/slave(1)/state"), 1u);
  ASSERT_EQ(transport_.routes_.count("/slave(1)/flags"), 1u);
  ASSERT_EQ(transport_.routes_.count("/slave(1)/health"), 1u);
  wire::HttpResponse health;
  run([&] {
    transport_.routes_["/slave(1)/health"](wire::HttpRequest{},
                                           [&](wire::HttpResponse r) { health = r; });
  });
  EXPECT_EQ(health.status, 200);
  EXPECT_TRUE(health.body.empty());

  std::string state;
  run([&] { state = agent_->stateJson(); });
  auto json = parseJson(state);
  ASSERT_TRUE(json.isOk()) << json.message();
  for (const char* field : {"version",
                            "build_date",
                            "build_time",
                            "start_time",
                            "id",
                            "pid",
                            "hostname",
                            "capabilities",
                            "resources",
                            "reserved_resources",
                            "unreserved_resources",
                            "reserved_resources_full",
                            "unreserved_resources_full",
                            "reserved_resources_allocated",
                            "unreserved_resources_allocated",
                            "resource_providers",
                            "attributes",
                            "flags",
                            "frameworks",
                            "completed_frameworks"}) {
    EXPECT_NE(json->find(field), nullptr) << field;
  }
  EXPECT_EQ(json->find("pid")->asString(), "slave(1)@127.0.0.1:5051");
  EXPECT_EQ(json->find("resources")->find("ports")->asString(), "[31000-32000]");
  EXPECT_EQ(json->find("resources")->find("cpus")->asDouble(), 4.0);
  const auto& frameworks = json->find("frameworks")->asArray();
  ASSERT_EQ(frameworks.size(), 1u);
  const auto& executors = frameworks[0].find("executors")->asArray();
  ASSERT_EQ(executors.size(), 1u);
  EXPECT_EQ(executors[0].find("id")->asString(), "t1");
  EXPECT_EQ(executors[0].find("name")->asString(),
            "Command Executor (Task: t1) (Command: sh -c 'sleep 100')");
  EXPECT_EQ(executors[0].find("resources")->find("mem")->asDouble(), 32.0);
  EXPECT_EQ(executors[0].find("queued_tasks")->asArray().size(), 1u);
  EXPECT_NE(state.find("\"unreserved_resources_full\":[{\"name\":\"cpus\",\"type\":\"SCALAR\","
                       "\"scalar\":{\"value\":4.0},\"role\":\"*\"}"),
            std::string::npos)
      << state;
}

}  // namespace
}  // namespace keel::agent::testing
