// Ensures the master's /state has every field, with the same JSON type, that Mesos 1.12's
// /master/state has in the recorded capture (tools and the web UI parse these names).

#include <gtest/gtest.h>
#include <mesos/internal/messages.pb.h>
#include <mesos/scheduler/scheduler.pb.h>

#include <fstream>
#include <sstream>

#include "common/json.hpp"
#include "fake_transport.hpp"
#include "master/master.hpp"

namespace keel::master {
namespace {

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const char* typeName(const JsonValue& v) {
  if (v.isNull()) return "null";
  if (v.isBool()) return "bool";
  if (v.isNumber()) return "number";
  if (v.isString()) return "string";
  if (v.isArray()) return "array";
  return "object";
}

// Records, for every key of `reference` (recursively, first array element only), whether
// `ours` has it with the same type.
void compareShape(const JsonValue& ours, const JsonValue& reference, const std::string& path,
                  std::vector<std::string>* problems) {
  if (reference.isObject()) {
    if (!ours.isObject()) {
      problems->push_back(path + ": expected an object");
      return;
    }
    for (const auto& [key, value] : reference.asObject()) {
      const JsonValue* mine = ours.find(key);
      if (mine == nullptr) {
        problems->push_back(path + "." + key + ": missing");
      } else {
        compareShape(*mine, value, path + "." + key, problems);
      }
    }
  } else if (reference.isArray()) {
    if (!ours.isArray()) {
      problems->push_back(path + ": expected an array");
    } else if (!ours.asArray().empty() && !reference.asArray().empty()) {
      compareShape(ours.asArray().front(), reference.asArray().front(), path + "[0]", problems);
    }
  } else if (std::string(typeName(ours)) != typeName(reference)) {
    problems->push_back(path + ": " + typeName(ours) + " instead of " + typeName(reference));
  }
}

TEST(StateShapeTest, MatchesMesosCapture) {
  runtime::ManualClock clock;
  runtime::EventLoop loop(clock);
  testing::FakeTransport transport;
  MasterFlags flags;
  Master master(loop, transport, flags, {{"port", "5050"}});
  master.start();
  loop.poll();

  const wire::Pid agent{"slave(1)", "127.0.0.2", 5051};
  const wire::Pid scheduler{"scheduler-1", "127.0.0.3", 40000};
  mesos::internal::RegisterSlaveMessage reg;
  reg.mutable_slave()->set_hostname("localhost");
  auto* cpus = reg.mutable_slave()->add_resources();
  cpus->set_name("cpus");
  cpus->set_type(mesos::Value::SCALAR);
  cpus->mutable_scalar()->set_value(4);
  auto* ports = reg.mutable_slave()->add_resources();
  ports->set_name("ports");
  ports->set_type(mesos::Value::RANGES);
  auto* range = ports->mutable_ranges()->add_range();
  range->set_begin(31000);
  range->set_end(32000);
  reg.set_version("1.12.0");
  transport.deliver(agent, "master", reg);
  mesos::scheduler::Call sub;
  sub.set_type(mesos::scheduler::Call::SUBSCRIBE);
  sub.mutable_subscribe()->mutable_framework_info()->set_user("u");
  sub.mutable_subscribe()->mutable_framework_info()->set_name("f");
  sub.mutable_subscribe()->mutable_framework_info()->set_principal("p");
  transport.deliver(scheduler, "master", sub);
  loop.poll();

  auto ours = parseJson(transport.get("/master/state")->body);
  ASSERT_TRUE(ours) << ours.message();
  auto reference =
      parseJson(readFile(KEEL_SHARED_DIR "/reference/wire-captures/json/master-master-state.json"));
  ASSERT_TRUE(reference) << reference.message();

  // The framework in the capture is a completed one; ours is active: compare it with that.
  JsonObject ref_top;
  for (const auto& [key, value] : reference->asObject()) {
    if (key != "flags" && key != "completed_frameworks" && key != "frameworks") {
      ref_top.emplace_back(key, value);
    }
  }
  std::vector<std::string> problems;
  compareShape(*ours, JsonValue{ref_top}, "state", &problems);
  const JsonValue* ref_frameworks = reference->find("completed_frameworks");
  ASSERT_NE(ref_frameworks, nullptr);
  ASSERT_FALSE(ref_frameworks->asArray().empty());
  const JsonValue* our_frameworks = ours->find("frameworks");
  ASSERT_NE(our_frameworks, nullptr);
  ASSERT_EQ(our_frameworks->asArray().size(), 1u);
  compareShape(our_frameworks->asArray().front(), ref_frameworks->asArray().front(),
               "state.frameworks[0]", &problems);
  for (const auto& p : problems) ADD_FAILURE() << p;
}

// Ensures /metrics/snapshot carries the allocator's timers under Mesos's names once a pass
// has run (keel-bench's allocation scenario reads them), with libprocess's statistics keys.
TEST(StateShapeTest, MetricsCountAllocationPasses) {
  runtime::ManualClock clock;
  runtime::EventLoop loop(clock);
  testing::FakeTransport transport;
  MasterFlags flags;
  Master master(loop, transport, flags, {{"port", "5050"}});
  master.start();
  loop.poll();

  auto before = parseJson(transport.get("/metrics/snapshot")->body);
  ASSERT_TRUE(before) << before.message();
  ASSERT_NE(before->find("allocator/mesos/allocation_runs"), nullptr);
  // Metric values are JSON doubles ("1.0"), as Mesos writes them.
  const double runs_before = before->find("allocator/mesos/allocation_runs")->asDouble();

  const wire::Pid agent{"slave(1)", "127.0.0.2", 5051};
  mesos::internal::RegisterSlaveMessage reg;
  reg.mutable_slave()->set_hostname("localhost");
  auto* cpus = reg.mutable_slave()->add_resources();
  cpus->set_name("cpus");
  cpus->set_type(mesos::Value::SCALAR);
  cpus->mutable_scalar()->set_value(4);
  reg.set_version("1.12.0");
  transport.deliver(agent, "master", reg);
  loop.poll();  // the registration schedules a pass over the new agent

  auto after = parseJson(transport.get("/metrics/snapshot")->body);
  ASSERT_TRUE(after) << after.message();
  const double runs_after = after->find("allocator/mesos/allocation_runs")->asDouble();
  EXPECT_GT(runs_after, runs_before);
  for (const char* key : {"allocator/mesos/allocation_run_ms",
                          "allocator/mesos/allocation_run_ms/count",
                          "allocator/mesos/allocation_run_ms/p99", "master/allocation_pass_ms",
                          "master/allocation_pass_ms/max"}) {
    EXPECT_NE(after->find(key), nullptr) << key;
  }
}

}  // namespace
}  // namespace keel::master
