// Tests of the /master/state renderer (state_json.hpp) against the JsonWriter-based renderer
// it replaced, kept here as the reference, and of the off-loop rendering (state_worker.hpp).

#include "master/state_json.hpp"
#include "master/state_json_out.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <set>

#include "common/json.hpp"
#include "master/state_worker.hpp"
#include "runtime/event_loop.hpp"

namespace keel::master {
namespace {

// ---------------------------------------------------------------------------------------------
// The reference: http.cpp's renderer before state_json.cpp, unchanged but for its inputs.

void refResources(JsonWriter& w, const Resources& r) {
  w.beginObject();
  for (const char* name : {"disk", "mem", "gpus", "cpus"}) {
    w.key(name);
    w.value(r.scalar(name).value_or(0.0));
  }
  std::map<std::string, double> other_scalars;
  std::map<std::string, std::vector<std::pair<uint64_t, uint64_t>>> ranges;
  std::map<std::string, std::set<std::string>> sets;
  for (const auto& res : r.proto()) {
    const std::string& n = res.name();
    if (n == "disk" || n == "mem" || n == "gpus" || n == "cpus") continue;
    if (res.type() == mesos::Value::SCALAR) {
      other_scalars[n] += res.scalar().value();
    } else if (res.type() == mesos::Value::RANGES) {
      for (const auto& range : res.ranges().range()) ranges[n].emplace_back(range.begin(), range.end());
    } else if (res.type() == mesos::Value::SET) {
      sets[n].insert(res.set().item().begin(), res.set().item().end());
    }
  }
  for (const auto& [n, v] : other_scalars) {
    w.key(n);
    w.value(v);
  }
  for (auto& [n, list] : ranges) {
    std::sort(list.begin(), list.end());
    std::string text = "[";
    for (size_t i = 0; i < list.size(); ++i) {
      if (i > 0) text += ", ";
      text += std::to_string(list[i].first) + "-" + std::to_string(list[i].second);
    }
    w.key(n);
    w.value(text + "]");
  }
  for (const auto& [n, items] : sets) {
    std::string text = "{";
    bool first = true;
    for (const auto& item : items) {
      if (!first) text += ", ";
      first = false;
      text += item;
    }
    w.key(n);
    w.value(text + "}");
  }
  w.endObject();
}

void refTask(JsonWriter& w, const mesos::Task& t) {
  w.beginObject();
  w.key("id"); w.value(t.task_id().value());
  w.key("name"); w.value(t.name());
  w.key("framework_id"); w.value(t.framework_id().value());
  w.key("executor_id"); w.value(t.executor_id().value());
  w.key("slave_id"); w.value(t.slave_id().value());
  w.key("state"); w.value(mesos::TaskState_Name(t.state()));
  w.key("resources"); refResources(w, Resources(t.resources()));
  std::string role = "*";
  if (t.resources_size() > 0 && t.resources(0).has_allocation_info()) {
    role = t.resources(0).allocation_info().role();
  }
  w.key("role"); w.value(role);
  w.key("statuses");
  w.beginArray();
  for (const auto& s : t.statuses()) {
    w.beginObject();
    w.key("state"); w.value(mesos::TaskState_Name(s.state()));
    w.key("timestamp"); w.value(s.timestamp());
    if (s.has_container_status()) {
      w.key("container_status");
      writeProtobuf(w, s.container_status());
    }
    w.endObject();
  }
  w.endArray();
  if (t.has_labels()) { w.key("labels"); writeProtobuf(w, t.labels()); }
  if (t.has_discovery()) { w.key("discovery"); writeProtobuf(w, t.discovery()); }
  if (t.has_container()) { w.key("container"); writeProtobuf(w, t.container()); }
  w.endObject();
}

void refFramework(JsonWriter& w, const StateModel& m, const FrameworkState& f) {
  Resources used;
  for (const auto& [id, t] : f.tasks) {
    if (!isTerminalState(t->state())) used += Resources(t->resources());
  }
  for (const auto& [aid, execs] : f.executors) {
    for (const auto& [eid, e] : execs) used += Resources(e.resources());
  }
  Resources offered;
  for (const auto& oid : f.offers) {
    auto it = m.offers.find(oid);
    if (it != m.offers.end()) offered += *it->second.resources;
  }
  w.beginObject();
  w.key("id"); w.value(f.id());
  w.key("name"); w.value(f.info.name());
  w.key("pid"); w.value(f.pid.str());
  w.key("used_resources"); refResources(w, used);
  w.key("offered_resources"); refResources(w, offered);
  w.key("capabilities");
  w.beginArray();
  for (const auto& c : f.info.capabilities()) {
    w.value(mesos::FrameworkInfo::Capability::Type_Name(c.type()));
  }
  w.endArray();
  w.key("hostname"); w.value(f.info.hostname());
  w.key("webui_url"); w.value(f.info.webui_url());
  w.key("active"); w.value(f.active);
  w.key("connected"); w.value(f.connected);
  w.key("recovered"); w.value(false);
  w.key("user"); w.value(f.info.user());
  w.key("failover_timeout"); w.value(f.info.failover_timeout());
  w.key("checkpoint"); w.value(f.info.checkpoint());
  w.key("registered_time"); w.value(f.registered_time);
  w.key("unregistered_time"); w.value(f.unregistered_time.value_or(0.0));
  if (f.reregistered_time) { w.key("reregistered_time"); w.value(*f.reregistered_time); }
  if (f.info.has_principal()) { w.key("principal"); w.value(f.info.principal()); }
  w.key("resources"); refResources(w, used + offered);
  w.key("roles");
  w.beginArray();
  for (const auto& r : f.roles()) w.value(r);
  w.endArray();
  w.key("role"); w.value(f.roles().empty() ? std::string("*") : f.roles().front());
  w.key("tasks");
  w.beginArray();
  for (const auto& [id, t] : f.tasks) refTask(w, *t);
  w.endArray();
  w.key("unreachable_tasks");
  w.beginArray();
  for (const auto& [id, t] : f.unreachable_tasks) refTask(w, t);
  w.endArray();
  w.key("completed_tasks");
  w.beginArray();
  for (const auto& t : f.completed_tasks) refTask(w, t);
  w.endArray();
  w.key("offers");
  w.beginArray();
  for (const auto& oid : f.offers) {
    auto it = m.offers.find(oid);
    if (it == m.offers.end()) continue;
    const auto& o = it->second.offer;
    w.beginObject();
    w.key("id"); w.value(oid);
    w.key("framework_id"); w.value(o.framework_id().value());
    w.key("slave_id"); w.value(o.slave_id().value());
    w.key("resources"); refResources(w, *it->second.resources);
    w.endObject();
  }
  w.endArray();
  w.key("executors");
  w.beginArray();
  for (const auto& [aid, execs] : f.executors) {
    for (const auto& [eid, e] : execs) {
      w.beginObject();
      w.key("executor_id"); w.value(eid);
      w.key("name"); w.value(e.name());
      w.key("framework_id"); w.value(f.id());
      w.key("command"); writeProtobuf(w, e.command());
      w.key("resources"); refResources(w, Resources(e.resources()));
      w.key("slave_id"); w.value(aid);
      w.endObject();
    }
  }
  w.endArray();
  if (f.info.has_labels()) { w.key("labels"); writeProtobuf(w, f.info.labels()); }
  w.key("offer_constraints"); w.beginObject(); w.endObject();
  w.endObject();
}

void refAgent(JsonWriter& w, const StateModel& m, const AgentState& a) {
  Resources used;
  Resources offered;
  for (const auto& [fid, tasks] : a.tasks) {
    for (const auto& [tid, t] : tasks) {
      if (!isTerminalState(t->state())) used += Resources(t->resources());
    }
  }
  for (const auto& [fid, execs] : a.executors) {
    for (const auto& [eid, e] : execs) used += Resources(e.resources());
  }
  for (const auto& oid : a.offers) {
    auto it = m.offers.find(oid);
    if (it != m.offers.end()) offered += *it->second.resources;
  }
  w.beginObject();
  w.key("id"); w.value(a.id());
  w.key("hostname"); w.value(a.info.hostname());
  w.key("port"); w.value(static_cast<int64_t>(a.info.port()));
  w.key("attributes");
  w.beginObject();
  for (const auto& attr : a.info.attributes()) {
    w.key(attr.name());
    if (attr.type() == mesos::Value::SCALAR) {
      w.value(attr.scalar().value());
    } else if (attr.type() == mesos::Value::TEXT) {
      w.value(attr.text().value());
    } else {
      w.value(attr.ShortDebugString());
    }
  }
  w.endObject();
  w.key("pid"); w.value(a.pid.str());
  w.key("registered_time"); w.value(a.registered_time);
  if (a.reregistered_time) { w.key("reregistered_time"); w.value(*a.reregistered_time); }
  w.key("resources"); refResources(w, a.total);
  w.key("used_resources"); refResources(w, used.unallocated());
  w.key("offered_resources"); refResources(w, offered.unallocated());
  w.key("reserved_resources");
  w.beginObject();
  std::map<std::string, Resources> by_role;
  for (const auto& r : a.total) {
    if (r.reservations_size() > 0) by_role[Resources::reservationRole(r)] += r;
  }
  for (const auto& [role, reserved] : by_role) {
    w.key(role);
    refResources(w, reserved);
  }
  w.endObject();
  w.key("unreserved_resources"); refResources(w, a.total.unreserved());
  w.key("active"); w.value(a.active);
  w.key("deactivated"); w.value(false);
  w.key("version"); w.value(a.version);
  w.key("capabilities");
  w.beginArray();
  for (const auto& c : a.capabilities) w.value(mesos::SlaveInfo::Capability::Type_Name(c.type()));
  w.endArray();
  w.endObject();
}

std::string refState(const StateModel& m) {
  JsonWriter w;
  w.beginObject();
  w.key("version"); w.value(std::string(KEEL_MESOS_VERSION));
  w.key("build_date"); w.value(std::string(__DATE__ " " __TIME__));
  w.key("build_time"); w.value(0.0);
  w.key("build_user"); w.value(std::string(""));
  w.key("start_time"); w.value(m.start_time);
  w.key("elected_time"); w.value(m.start_time);
  w.key("id"); w.value(m.info.id());
  w.key("pid"); w.value(m.self.str());
  w.key("hostname"); w.value(m.info.hostname());
  w.key("capabilities");
  w.beginArray();
  for (const auto& c : m.info.capabilities()) {
    w.value(mesos::MasterInfo::Capability::Type_Name(c.type()));
  }
  w.endArray();
  int64_t active = 0;
  int64_t inactive = 0;
  for (const auto& [id, a] : m.agents) (a->active ? active : inactive)++;
  w.key("activated_slaves"); w.value(static_cast<double>(active));
  w.key("deactivated_slaves"); w.value(static_cast<double>(inactive));
  w.key("unreachable_slaves"); w.value(static_cast<double>(m.unreachable_agents.size()));
  w.key("leader"); w.value(m.self.str());
  w.key("leader_info");
  w.beginObject();
  w.key("id"); w.value(m.info.id());
  w.key("pid"); w.value(m.self.str());
  w.key("port"); w.value(static_cast<int64_t>(m.info.port()));
  w.key("hostname"); w.value(m.info.hostname());
  w.endObject();
  if (m.flags.cluster) { w.key("cluster"); w.value(*m.flags.cluster); }
  if (m.flags.log_dir) { w.key("log_dir"); w.value(*m.flags.log_dir); }
  w.key("flags");
  w.beginObject();
  for (const auto& [name, value] : m.flag_values) { w.key(name); w.value(value); }
  w.endObject();
  w.key("slaves");
  w.beginArray();
  for (const auto& [id, a] : m.agents) refAgent(w, m, *a);
  w.endArray();
  w.key("recovered_slaves"); w.beginArray(); w.endArray();
  w.key("frameworks");
  w.beginArray();
  for (const auto& [id, f] : m.frameworks) refFramework(w, m, *f);
  w.endArray();
  w.key("completed_frameworks");
  w.beginArray();
  for (const auto& f : m.completed_frameworks) refFramework(w, m, *f);
  w.endArray();
  w.key("orphan_tasks"); w.beginArray(); w.endArray();
  w.key("unregistered_frameworks"); w.beginArray(); w.endArray();
  w.endObject();
  return w.take();
}

// ---------------------------------------------------------------------------------------------
// A model with a bit of everything.

mesos::Resource scalar(const std::string& name, double v, const std::string& alloc = "") {
  mesos::Resource r;
  r.set_name(name);
  r.set_type(mesos::Value::SCALAR);
  r.mutable_scalar()->set_value(v);
  if (!alloc.empty()) r.mutable_allocation_info()->set_role(alloc);
  return r;
}

mesos::Resource ranges(const std::string& name, std::vector<std::pair<uint64_t, uint64_t>> list,
                       const std::string& alloc = "") {
  mesos::Resource r;
  r.set_name(name);
  r.set_type(mesos::Value::RANGES);
  for (auto [b, e] : list) {
    auto* x = r.mutable_ranges()->add_range();
    x->set_begin(b);
    x->set_end(e);
  }
  if (!alloc.empty()) r.mutable_allocation_info()->set_role(alloc);
  return r;
}

mesos::Resource set(const std::string& name, std::vector<std::string> items,
                    const std::string& alloc = "") {
  mesos::Resource r;
  r.set_name(name);
  r.set_type(mesos::Value::SET);
  for (auto& i : items) r.mutable_set()->add_item(i);
  if (!alloc.empty()) r.mutable_allocation_info()->set_role(alloc);
  return r;
}

mesos::Resource reserved(mesos::Resource r, const std::string& role) {
  auto* res = r.add_reservations();
  res->set_type(mesos::Resource::ReservationInfo::DYNAMIC);
  res->set_role(role);
  return r;
}

struct Model {
  mesos::MasterInfo info;
  wire::Pid self{"master", "127.0.0.1", 5050};
  MasterFlags flags;
  std::vector<std::pair<std::string, std::string>> flag_values{{"port", "5050"}, {"quiet", "\"x\""}};
  std::map<std::string, std::unique_ptr<AgentState>> agents;
  std::map<std::string, std::unique_ptr<FrameworkState>> frameworks;
  std::deque<std::unique_ptr<FrameworkState>> completed_frameworks;
  std::unordered_map<std::string, OfferState> offers;
  std::map<std::string, double> unreachable_agents{{"gone", 12.5}};

  StateModel view() const {
    return StateModel{info,       self,   1700000000.123456, flags,          flag_values,
                      agents,     frameworks, completed_frameworks, offers, unreachable_agents};
  }
};

mesos::Task makeTask(const std::string& id, const std::string& fid, const std::string& aid,
                     mesos::TaskState state, std::vector<mesos::Resource> res) {
  mesos::Task t;
  t.mutable_task_id()->set_value(id);
  t.set_name("task \"" + id + "\"\n");
  t.mutable_framework_id()->set_value(fid);
  t.mutable_slave_id()->set_value(aid);
  t.set_state(state);
  for (auto& r : res) *t.add_resources() = r;
  auto* s = t.add_statuses();
  s->set_state(mesos::TASK_STAGING);
  s->set_timestamp(1700000001.5);
  s = t.add_statuses();
  s->set_state(state);
  s->set_timestamp(1700000002);
  return t;
}

void fill(Model& m) {
  m.info.set_id("master-id");
  m.info.set_hostname("host\tname");
  m.info.set_port(5050);
  m.info.add_capabilities()->set_type(mesos::MasterInfo::Capability::AGENT_UPDATE);
  m.flags.cluster = "cluster-1";

  for (int i = 0; i < 3; ++i) {
    auto a = std::make_unique<AgentState>();
    const std::string aid = "agent-" + std::to_string(i);
    a->info.mutable_id()->set_value(aid);
    a->info.set_hostname("h" + std::to_string(i));
    a->info.set_port(5051);
    auto* attr = a->info.add_attributes();
    attr->set_name("rack");
    attr->set_type(mesos::Value::TEXT);
    attr->mutable_text()->set_value("r1");
    attr = a->info.add_attributes();
    attr->set_name("weight");
    attr->set_type(mesos::Value::SCALAR);
    attr->mutable_scalar()->set_value(2);
    a->pid = wire::Pid{"slave(1)", "10.0.0." + std::to_string(i), 5051};
    a->version = "1.12.0";
    a->registered_time = 1700000000.25;
    if (i == 1) a->reregistered_time = 1700000100.0;
    a->active = i != 2;
    a->total += scalar("cpus", 8);
    a->total += scalar("mem", 16384);
    a->total += ranges("ports", {{31000, 32000}});
    a->total += set("zones", {"b", "a"});
    a->total += scalar("foo", 3.3);
    if (i == 2) a->total += reserved(scalar("cpus", 2), "web");
    mesos::SlaveInfo::Capability cap;
    cap.set_type(mesos::SlaveInfo::Capability::MULTI_ROLE);
    a->capabilities.push_back(cap);
    m.agents[aid] = std::move(a);
  }

  for (int f = 0; f < 2; ++f) {
    auto fw = std::make_unique<FrameworkState>();
    const std::string fid = "fw-" + std::to_string(f);
    fw->info.mutable_id()->set_value(fid);
    fw->info.set_name("framework " + std::to_string(f));
    fw->info.set_user("u");
    fw->info.set_failover_timeout(f == 0 ? 0 : 3600.5);
    fw->info.set_checkpoint(f == 1);
    fw->info.set_role("web");
    if (f == 1) {
      fw->info.set_principal("p");
      auto* l = fw->info.mutable_labels()->add_labels();
      l->set_key("k");
      l->set_value("v");
      fw->reregistered_time = 1700000300.75;
    }
    fw->pid = wire::Pid{"scheduler-" + std::to_string(f), "10.1.0.1", 4000};
    fw->registered_time = 1700000200.0;
    for (int t = 0; t < 6; ++t) {
      const std::string aid = "agent-" + std::to_string(t % 3);
      std::vector<mesos::Resource> res = {scalar("cpus", 0.1, "web"), scalar("mem", 32, "web")};
      if (t == 1) res.push_back(ranges("ports", {{31000, 31001}, {31005, 31005}}, "web"));
      if (t == 2) res.push_back(ranges("ports", {{31002, 31004}}, "web"));
      if (t == 3) res.push_back(set("zones", {"a"}, "web"));
      if (t == 4) res.push_back(scalar("gpus", 1.0005, "web"));
      if (t == 5) res.push_back(scalar("foo", 0.0001, "web"));  // invalid: rounds to 0
      auto task = std::make_unique<mesos::Task>(
          makeTask("t" + std::to_string(t), fid, aid,
                   t == 4 ? mesos::TASK_FINISHED : mesos::TASK_RUNNING, res));
      if (t == 0) {
        auto* l = task->mutable_labels()->add_labels();
        l->set_key("a");
        l->set_value("b\\c");
        task->mutable_discovery()->set_visibility(mesos::DiscoveryInfo::FRAMEWORK);
        task->mutable_discovery()->set_name("d");
        task->mutable_container()->set_type(mesos::ContainerInfo::MESOS);
        auto* cs = task->mutable_statuses(1)->mutable_container_status();
        cs->add_network_infos()->add_ip_addresses()->set_ip_address("10.2.0.1");
      }
      if (t == 3) task->mutable_executor_id()->set_value("exec-1");
      m.agents[aid]->tasks[fid][task->task_id().value()] = task.get();
      fw->tasks[task->task_id().value()] = std::move(task);
    }
    fw->completed_tasks.push_back(
        makeTask("c1", fid, "agent-0", mesos::TASK_KILLED, {scalar("cpus", 1, "web")}));
    fw->unreachable_tasks["u1"] =
        makeTask("u1", fid, "agent-9", mesos::TASK_UNREACHABLE, {scalar("mem", 5, "web")});
    mesos::ExecutorInfo e;
    e.mutable_executor_id()->set_value("exec-1");
    e.set_name("executor");
    e.mutable_command()->set_value("sleep 1");
    *e.add_resources() = scalar("cpus", 0.05, "web");
    *e.add_resources() = scalar("mem", 16, "web");
    fw->executors["agent-0"]["exec-1"] = e;
    m.agents["agent-0"]->executors[fid]["exec-1"] = e;
    // One offer per agent.
    for (int a = 0; a < 3; ++a) {
      const std::string oid = fid + "-o" + std::to_string(a);
      OfferState o;
      o.offer.mutable_id()->set_value(oid);
      o.offer.mutable_framework_id()->set_value(fid);
      o.offer.mutable_slave_id()->set_value("agent-" + std::to_string(a));
      Resources r;
      r += scalar("cpus", 1.5, "web");
      r += ranges("ports", {{31010, 31020}}, "web");
      if (a == 2) r += reserved(scalar("cpus", 2, "web"), "web");
      o.resources = std::make_shared<const Resources>(r);
      m.offers[oid] = std::move(o);
      fw->offers.insert(oid);
      m.agents["agent-" + std::to_string(a)]->offers.insert(oid);
    }
    m.frameworks[fid] = std::move(fw);
  }
  auto done = std::make_unique<FrameworkState>();
  done->info.mutable_id()->set_value("fw-old");
  done->info.set_name("old");
  done->active = false;
  done->connected = false;
  done->unregistered_time = 1700000400.0;
  done->completed_tasks.push_back(
      makeTask("c9", "fw-old", "agent-1", mesos::TASK_FINISHED, {scalar("cpus", 0.3)}));
  m.completed_frameworks.push_back(std::move(done));
}

// `json` without its build_date value (the compile time of the file that wrote it).
std::string withoutBuildDate(std::string json) {
  const std::string key = "\"build_date\":\"";
  auto at = json.find(key);
  if (at != std::string::npos) {
    auto end = json.find('"', at + key.size());
    json.erase(at + key.size(), end - (at + key.size()));
  }
  return json;
}

// Where two texts first differ, with some context, for readable failures.
std::string firstDifference(const std::string& a, const std::string& b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  if (i == a.size() && i == b.size()) return "";
  size_t from = i < 80 ? 0 : i - 80;
  return "at " + std::to_string(i) + ":\n ours: " + a.substr(from, 200) +
         "\n  ref: " + b.substr(from, 200);
}

// Ensures /master/state renders byte for byte like the previous renderer.
TEST(StateJsonTest, SameAsPreviousRenderer) {
  Model m;
  fill(m);
  std::string ours;
  renderState(m.view(), &ours);
  ours = withoutBuildDate(ours);
  const std::string reference = withoutBuildDate(refState(m.view()));
  EXPECT_EQ(firstDifference(ours, reference), "");
  EXPECT_GT(ours.size(), 5000u);
  EXPECT_TRUE(parseJson(ours));
}

// Ensures the resource maps match keel::Resources' rendering, including the cases the fast
// sums must hand to the general path (identities, legacy roles, invalid resources).
// A master with no frameworks and no agents yet (as right after it starts).
TEST(StateJsonTest, EmptyModel) {
  Model m;
  m.info.set_id("master-id");
  std::string ours;
  renderState(m.view(), &ours);
  EXPECT_EQ(firstDifference(withoutBuildDate(ours), withoutBuildDate(refState(m.view()))), "");
  std::string frameworks;
  renderFrameworks(m.view(), &frameworks);
  EXPECT_TRUE(parseJson(frameworks));
}

TEST(StateJsonTest, ResourceMapsLikeResources) {
  using List = std::vector<mesos::Resource>;
  mesos::Resource legacy = scalar("foo", 1);
  legacy.set_role("web");
  mesos::Resource negative = scalar("cpus", -1);
  mesos::Resource overlapping = ranges("ports", {{1, 5}, {3, 7}});
  std::vector<List> cases = {
      {},
      {scalar("cpus", 0.1), scalar("mem", 32)},
      {scalar("cpus", 0.1), scalar("cpus", 0.2), scalar("cpus", 1e-4)},
      {scalar("foo", 1.25), scalar("bar", 2), scalar("foo", 1.25)},
      {scalar("foo", 1, "a"), scalar("foo", 2, "b")},
      {scalar("foo", 1), reserved(scalar("foo", 2), "r")},
      {ranges("ports", {{5, 6}, {1, 2}}), ranges("ports", {{3, 4}})},
      {ranges("ports", {{5, 6}}, "a"), ranges("ports", {{7, 8}}, "b")},
      {set("s", {"b", "a"}), set("s", {"a", "c"}, "x"), set("t", {})},
      {legacy, scalar("foo", 2)},
      {negative, overlapping, scalar("mem", 1)},
      {ranges("cpus", {{1, 2}}), scalar("zz", 1), ranges("zz", {{1, 1}}), set("zz", {"q"})},
      {scalar("disk", 10), scalar("gpus", 1), scalar("mem", 0.0004)},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    google::protobuf::RepeatedPtrField<mesos::Resource> list(cases[i].begin(), cases[i].end());
    std::string ours;
    renderResourceMap(list, &ours);
    JsonWriter w;
    refResources(w, Resources(list));
    EXPECT_EQ(ours, w.str()) << "case " << i;
  }
}

// Ensures resource values written from thousandths read exactly as formatJsonDouble writes
// the same doubles.
TEST(StateJsonTest, ThousandthsLikeDoubles) {
  std::vector<int64_t> values;
  for (int64_t n = 0; n < 200000; ++n) values.push_back(n);
  for (int64_t n = 99990000; n < 100010000; ++n) values.push_back(n);
  for (int64_t n : {int64_t{16384000}, int64_t{100000000}, int64_t{123456789012345}, int64_t{-5}}) {
    values.push_back(n);
  }
  for (int64_t n = 1; n < (int64_t{1} << 50); n = n * 3 + 7) values.push_back(n);
  for (int64_t n : values) {
    std::string ours;
    state_json::Out w(&ours);
    w.thousandths(n);
    ASSERT_EQ(ours, formatJsonDouble(static_cast<double>(n) / 1000.0)) << n;
  }
}

// Ensures the other documents and a lone task parse and carry what /state carries.
TEST(StateJsonTest, SubsetDocuments) {
  Model m;
  fill(m);
  std::string frameworks, slaves, tasks, task;
  renderFrameworks(m.view(), &frameworks);
  renderSlaves(m.view(), &slaves);
  renderTasks(m.view(), &tasks);
  renderTask(*m.frameworks["fw-0"]->tasks["t0"], &task);
  JsonWriter w;
  refTask(w, *m.frameworks["fw-0"]->tasks["t0"]);
  EXPECT_EQ(task, w.str());
  auto f = parseJson(frameworks);
  ASSERT_TRUE(f) << f.message();
  EXPECT_EQ(f->find("frameworks")->asArray().size(), 2u);
  EXPECT_EQ(f->find("completed_frameworks")->asArray().size(), 1u);
  auto s = parseJson(slaves);
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(s->find("slaves")->asArray().size(), 3u);
  auto t = parseJson(tasks);
  ASSERT_TRUE(t) << t.message();
  EXPECT_EQ(t->find("tasks")->asArray().size(), 14u);  // 2 × (6 tasks + 1 completed)
}

// A bench-shaped model: `agents` agents with `per_agent` running and `completed_per_agent`
// finished tasks each, spread round-robin over `frameworks` frameworks.
void fillBench(Model& m, int agents, int per_agent, int completed_per_agent, int frameworks) {
  m.info.set_id("master-id");
  std::vector<std::unique_ptr<FrameworkState>> fws;
  for (int f = 0; f < frameworks; ++f) {
    auto fw = std::make_unique<FrameworkState>();
    fw->info.mutable_id()->set_value("fw-" + std::to_string(f));
    fw->info.set_name("bench");
    fw->info.set_role("*");
    fws.push_back(std::move(fw));
  }
  int n = 0;
  for (int a = 0; a < agents; ++a) {
    auto agent = std::make_unique<AgentState>();
    const std::string aid = "agent-S" + std::to_string(a);
    agent->info.mutable_id()->set_value(aid);
    agent->info.set_hostname("h" + std::to_string(a));
    agent->pid = wire::Pid{"slave(1)", "127.0.0.1", static_cast<uint16_t>(a % 60000)};
    agent->total += scalar("cpus", 8);
    agent->total += scalar("mem", 16384);
    agent->total += scalar("disk", 100000);
    agent->total += ranges("ports", {{31000, 32000}});
    for (int t = 0; t < per_agent; ++t) {
      FrameworkState& fw = *fws[n++ % frameworks];
      const std::string fid = fw.info.id().value();
      const std::string tid = "task-" + std::to_string(a) + "-" + std::to_string(t);
      auto task = std::make_unique<mesos::Task>(makeTask(
          tid, fid, aid, mesos::TASK_RUNNING, {scalar("cpus", 0.1, "*"), scalar("mem", 32, "*")}));
      agent->tasks[fid][tid] = task.get();
      fw.tasks[tid] = std::move(task);
    }
    for (int t = 0; t < completed_per_agent; ++t) {
      FrameworkState& fw = *fws[n++ % frameworks];
      fw.addCompleted(makeTask("done-" + std::to_string(a) + "-" + std::to_string(t),
                               fw.info.id().value(), aid, mesos::TASK_FINISHED,
                               {scalar("cpus", 0.1, "*"), scalar("mem", 32, "*")}),
                      1u << 30);
    }
    m.agents[aid] = std::move(agent);
  }
  for (auto& fw : fws) {
    const std::string fid = fw->info.id().value();
    m.frameworks[fid] = std::move(fw);
  }
}

// Enough tasks for the frameworks' lists to be cut into pieces rendered by several threads:
// still the same document as the previous renderer's.
TEST(StateJsonTest, ManyTasksRenderedInPiecesSameAsPreviousRenderer) {
  Model m;
  fillBench(m, 2500, 10, 4, 2);  // 35,000 tasks; each framework's live ones in two pieces
  const std::string reference = withoutBuildDate(refState(m.view()));
  std::string ours;
  renderState(m.view(), &ours);
  EXPECT_EQ(firstDifference(withoutBuildDate(ours), reference), "");
  // Again, the completed tasks now from their kept JSON.
  for (const auto& [id, f] : m.frameworks) {
    ASSERT_EQ(f->completed_json.size(), f->completed_tasks.size());
    EXPECT_FALSE(f->completed_json.front().empty());
  }
  ours.clear();
  renderState(m.view(), &ours);
  EXPECT_EQ(firstDifference(withoutBuildDate(ours), reference), "");
  std::string frameworks;
  renderFrameworks(m.view(), &frameworks);
  EXPECT_TRUE(parseJson(frameworks));
  EXPECT_NE(frameworks.find("\"id\":\"task-2499-9\""), std::string::npos);
}

// Not a test: times both renderers on a bench-sized model and checks they agree there too.
// Run with --gtest_also_run_disabled_tests; KEEL_STATE_AGENTS, KEEL_STATE_TASKS,
// KEEL_STATE_COMPLETED and KEEL_STATE_FRAMEWORKS size it.
TEST(StateJsonTest, DISABLED_RenderTimes) {
  auto env = [](const char* name, int fallback) {
    const char* v = std::getenv(name);
    return v ? std::atoi(v) : fallback;
  };
  const int agents = env("KEEL_STATE_AGENTS", 10000);
  const int per_agent = env("KEEL_STATE_TASKS", 10);
  const int completed_per_agent = env("KEEL_STATE_COMPLETED", 0);
  Model m;
  fillBench(m, agents, per_agent, completed_per_agent, env("KEEL_STATE_FRAMEWORKS", 1));
  using Clock = std::chrono::steady_clock;
  const bool skip_reference = std::getenv("KEEL_STATE_NO_REFERENCE") != nullptr;
  auto t0 = Clock::now();
  const std::string reference = skip_reference ? std::string() : refState(m.view());
  auto t1 = Clock::now();
  std::string ours;
  for (int i = 0; i < (skip_reference ? 5 : 1); ++i) {
    ours.clear();
    t1 = Clock::now();
    renderState(m.view(), &ours);
  }
  auto t2 = Clock::now();
  auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
  std::printf("agents=%d tasks=%d size=%.1f MB previous=%.0f ms new=%.0f ms\n", agents,
              agents * per_agent, ours.size() / 1e6, ms(t1 - t0), ms(t2 - t1));
  if (skip_reference) {
    std::string part;
    auto t3 = Clock::now();
    renderSlaves(m.view(), &part);
    auto t4 = Clock::now();
    part.clear();
    renderFrameworks(m.view(), &part);
    auto t5 = Clock::now();
    std::printf("slaves=%.0f ms frameworks=%.0f ms\n", ms(t4 - t3), ms(t5 - t4));
  }
  if (!skip_reference) {
    EXPECT_EQ(firstDifference(withoutBuildDate(ours), withoutBuildDate(reference)), "");
  }
}

}  // namespace
}  // namespace keel::master
