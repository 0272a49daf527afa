#include "master/state_json.hpp"

#include <google/protobuf/message.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

#include "common/json.hpp"
#include "master/state_json_out.hpp"

namespace keel::master {

namespace {

using state_json::Out;
using state_json::ResourceSum;
using state_json::writeResourcesSlow;

const Resources* offerResources(const StateModel& m, const std::string& offer_id) {
  auto it = m.offers.find(offer_id);
  return it == m.offers.end() ? nullptr : it->second.resources.get();
}

// The quoted JSON text of a task state's name, e.g. "\"TASK_RUNNING\"" (enum names are
// looked up through descriptors otherwise).
std::string_view quotedStateName(mesos::TaskState state) {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v(64);
    for (int i = 0; i < 64; ++i) {
      if (mesos::TaskState_IsValid(i)) {
        v[i] = quoteJson(mesos::TaskState_Name(static_cast<mesos::TaskState>(i)));
      }
    }
    return v;
  }();
  if (state >= 0 && state < 64 && !names[state].empty()) return names[state];
  thread_local std::string other;
  other = quoteJson(mesos::TaskState_Name(state));
  return other;
}

// One task; `sum` holds the sum of its resources (and is sorted by writing it).
void writeTask(Out& w, const mesos::Task& t, ResourceSum& sum) {
  w.beginObject();
  w.key("id");
  w.str(t.task_id().value());
  w.key("name");
  w.str(t.name());
  w.key("framework_id");
  w.str(t.framework_id().value());
  w.key("executor_id");
  w.str(t.executor_id().value());
  w.key("slave_id");
  w.str(t.slave_id().value());
  w.key("state");
  w.raw(quotedStateName(t.state()));
  w.key("resources");
  if (sum.exact()) {
    sum.write(w);
  } else {
    writeResourcesSlow(w, Resources(t.resources()));
  }
  w.key("role");
  if (t.resources_size() > 0 && t.resources(0).has_allocation_info()) {
    w.str(t.resources(0).allocation_info().role());
  } else {
    w.str("*");
  }
  w.key("statuses");
  w.beginArray();
  for (const auto& s : t.statuses()) {
    w.beginObject();
    w.key("state");
    w.raw(quotedStateName(s.state()));
    w.key("timestamp");
    w.num(s.timestamp());
    if (s.has_container_status()) {
      w.key("container_status");
      w.protobuf(s.container_status());
    }
    w.endObject();
  }
  w.endArray();
  if (t.has_labels()) {
    w.key("labels");
    w.protobuf(t.labels());
  }
  if (t.has_discovery()) {
    w.key("discovery");
    w.protobuf(t.discovery());
  }
  if (t.has_container()) {
    w.key("container");
    w.protobuf(t.container());
  }
  w.endObject();
}

// Sums of what tasks on each agent use, made while the frameworks' tasks are rendered (so
// each task is read once); `tasks` counts every task attributed to the agent, to check it
// against the agent's own index before the sum is trusted.
struct AgentSum {
  ResourceSum used;
  size_t tasks = 0;
};
using AgentSums = std::unordered_map<std::string_view, AgentSum>;

void writeTaskWithSum(Out& w, const mesos::Task& t) {
  ResourceSum sum;
  sum.add(t.resources());
  writeTask(w, t, sum);
}

// A framework's task lists, rendered ahead ("tasks":[...],"unreachable_tasks":[...],
// "completed_tasks":[...]) as consecutive parts, copied once into the document, with the
// sum of its live tasks' resources.
struct PreparedFramework {
  ResourceSum used;
  std::vector<std::string> task_lists;
};

using TaskMap = std::map<std::string, std::unique_ptr<mesos::Task>>;

// Tasks [begin, end) as comma-separated objects into `out`, summing what the live ones use.
void writeTaskRange(TaskMap::const_iterator begin, TaskMap::const_iterator end, AgentSums* agents,
                    ResourceSum* used, std::string* out) {
  Out w(out);
  for (auto it = begin; it != end; ++it) {
    const mesos::Task& t = *it->second;
    ResourceSum own;
    own.add(t.resources());
    writeTask(w, t, own);
    AgentSum* on_agent = agents != nullptr ? &(*agents)[t.slave_id().value()] : nullptr;
    if (on_agent != nullptr) on_agent->tasks++;
    if (!isTerminalState(t.state())) {
      used->add(own);
      if (on_agent != nullptr) on_agent->used.add(own);
    }
  }
}

// ,"unreachable_tasks":[...],"completed_tasks":[...] into `out`.
void writeEndedTaskLists(const FrameworkState& f, std::string* out) {
  Out w(out, true);
  w.key("unreachable_tasks");
  w.beginArray();
  for (const auto& [id, t] : f.unreachable_tasks) writeTaskWithSum(w, t);
  w.endArray();
  w.key("completed_tasks");
  w.beginArray();
  if (f.completed_json.size() == f.completed_tasks.size()) {
    // Completed tasks never change: each is rendered once and kept (the model's gate keeps
    // the master off it meanwhile, and one thread renders a framework's ended lists).
    for (size_t i = 0; i < f.completed_tasks.size(); ++i) {
      std::string& json = f.completed_json[i];
      if (json.empty()) {
        Out one(&json);
        writeTaskWithSum(one, f.completed_tasks[i]);
      }
      w.raw(json);
    }
  } else {
    for (const auto& t : f.completed_tasks) writeTaskWithSum(w, t);
  }
  w.endArray();
}

// The task lists are cut into pieces rendered by a few threads at once (the model is
// read-only meanwhile; most of the cost is waiting for memory). A framework's live tasks are
// split only when they exceed a piece: finding where a piece ends walks the map, and that
// walk is not shared.
constexpr size_t kMinPieceTasks = 8192;
// Below this many tasks in all, one thread renders everything.
constexpr size_t kParallelTasks = 20000;

// One piece of the frameworks' task lists: a range of a framework's live tasks, or its
// ended lists; each has its own output and sums, merged in document order afterwards.
struct TaskPiece {
  size_t framework = 0;  // index into the prepared frameworks
  const FrameworkState* f = nullptr;
  bool ended = false;
  TaskMap::const_iterator begin, end;
  size_t tasks = 0;  // live tasks in [begin, end)
  bool count_agents = false;
  std::string out;
  ResourceSum used;
};

// `agents`: the sums of the thread rendering the piece (none when nobody wants them).
void renderPiece(TaskPiece& piece, AgentSums* agents) {
  // One allocation (a task is about 400 bytes) rather than a string doubling and copying.
  constexpr size_t kTaskBytes = 480;
  const size_t tasks = piece.ended
                           ? piece.f->unreachable_tasks.size() + piece.f->completed_tasks.size()
                           : piece.tasks;
  piece.out.reserve(64 + tasks * kTaskBytes);
  if (piece.ended) {
    writeEndedTaskLists(*piece.f, &piece.out);
  } else {
    writeTaskRange(piece.begin, piece.end, piece.count_agents ? agents : nullptr, &piece.used,
                   &piece.out);
  }
}

void addPieces(const FrameworkState& f, size_t index, bool count_agents, size_t piece_tasks,
               std::vector<TaskPiece>* pieces) {
  auto it = f.tasks.begin();
  size_t left = f.tasks.size();
  do {  // at least one live piece, so that every framework has its "tasks" list
    const size_t n = std::min(left, piece_tasks);
    TaskPiece& piece = pieces->emplace_back();
    piece.framework = index;
    piece.f = &f;
    piece.begin = it;
    piece.tasks = n;
    it = n == left ? f.tasks.end() : std::next(it, static_cast<long>(n));
    piece.end = it;
    piece.count_agents = count_agents;
    left -= n;
  } while (left > 0);
  TaskPiece& ended = pieces->emplace_back();
  ended.framework = index;
  ended.f = &f;
  ended.ended = true;
}

void writeFramework(Out& w, const StateModel& m, const FrameworkState& f,
                    PreparedFramework& prepared) {
  ResourceSum& used = prepared.used;
  for (const auto& [aid, execs] : f.executors) {
    for (const auto& [eid, e] : execs) used.add(e.resources());
  }
  ResourceSum offered;
  for (const auto& oid : f.offers) {
    if (const Resources* r = offerResources(m, oid)) offered.add(r->proto());
  }
  ResourceSum total = used;
  total.add(offered);
  // The general path, when the fast sums cannot tell.
  std::optional<Resources> slow_used;
  std::optional<Resources> slow_offered;
  if (!total.exact()) {
    slow_used.emplace();
    for (const auto& [id, t] : f.tasks) {
      if (!isTerminalState(t->state())) *slow_used += Resources(t->resources());
    }
    for (const auto& [aid, execs] : f.executors) {
      for (const auto& [eid, e] : execs) *slow_used += Resources(e.resources());
    }
    slow_offered.emplace();
    for (const auto& oid : f.offers) {
      if (const Resources* r = offerResources(m, oid)) *slow_offered += *r;
    }
  }
  auto writeSum = [&w](ResourceSum& fast, const std::optional<Resources>& slow) {
    if (slow) {
      writeResourcesSlow(w, *slow);
    } else {
      fast.write(w);
    }
  };

  w.beginObject();
  w.key("id");
  w.str(f.id());
  w.key("name");
  w.str(f.info.name());
  w.key("pid");
  w.str(f.pid.str());
  w.key("used_resources");
  writeSum(used, slow_used);
  w.key("offered_resources");
  writeSum(offered, slow_offered);
  w.key("capabilities");
  w.beginArray();
  for (const auto& c : f.info.capabilities()) {
    w.str(mesos::FrameworkInfo::Capability::Type_Name(c.type()));
  }
  w.endArray();
  w.key("hostname");
  w.str(f.info.hostname());
  w.key("webui_url");
  w.str(f.info.webui_url());
  w.key("active");
  w.boolean(f.active);
  w.key("connected");
  w.boolean(f.connected);
  w.key("recovered");
  w.boolean(false);
  w.key("user");
  w.str(f.info.user());
  w.key("failover_timeout");
  w.num(f.info.failover_timeout());
  w.key("checkpoint");
  w.boolean(f.info.checkpoint());
  w.key("registered_time");
  w.num(f.registered_time);
  w.key("unregistered_time");
  w.num(f.unregistered_time.value_or(0.0));
  if (f.reregistered_time) {
    w.key("reregistered_time");
    w.num(*f.reregistered_time);
  }
  if (f.info.has_principal()) {
    w.key("principal");
    w.str(f.info.principal());
  }
  w.key("resources");
  if (slow_used) {
    writeResourcesSlow(w, *slow_used + *slow_offered);
  } else {
    total.write(w);
  }
  const std::vector<std::string> roles = f.roles();
  w.key("roles");
  w.beginArray();
  for (const auto& r : roles) w.str(r);
  w.endArray();
  w.key("role");
  w.str(roles.empty() ? std::string("*") : roles.front());
  if (!prepared.task_lists.empty()) {
    w.members(prepared.task_lists.front());
    for (size_t i = 1; i < prepared.task_lists.size(); ++i) {
      w.continued(prepared.task_lists[i]);
      std::string().swap(prepared.task_lists[i]);
    }
    prepared.task_lists.clear();
  }
  w.key("offers");
  w.beginArray();
  for (const auto& oid : f.offers) {
    auto it = m.offers.find(oid);
    if (it == m.offers.end()) continue;
    const auto& o = it->second.offer;
    w.beginObject();
    w.key("id");
    w.str(oid);
    w.key("framework_id");
    w.str(o.framework_id().value());
    w.key("slave_id");
    w.str(o.slave_id().value());
    w.key("resources");
    ResourceSum sum;
    sum.add(it->second.resources->proto());
    if (sum.exact()) {
      sum.write(w);
    } else {
      writeResourcesSlow(w, *it->second.resources);
    }
    w.endObject();
  }
  w.endArray();
  w.key("executors");
  w.beginArray();
  for (const auto& [aid, execs] : f.executors) {
    for (const auto& [eid, e] : execs) {
      w.beginObject();
      w.key("executor_id");
      w.str(eid);
      w.key("name");
      w.str(e.name());
      w.key("framework_id");
      w.str(f.id());
      w.key("command");
      w.protobuf(e.command());
      w.key("resources");
      writeResourcesSlow(w, Resources(e.resources()));
      w.key("slave_id");
      w.str(aid);
      w.endObject();
    }
  }
  w.endArray();
  if (f.info.has_labels()) {
    w.key("labels");
    w.protobuf(f.info.labels());
  }
  // Offer constraints come with the v1 API; Mesos always renders the object.
  w.key("offer_constraints");
  w.beginObject();
  w.endObject();
  w.endObject();
}

// The same sums over an agent, with allocation roles dropped (Resources::unallocated()).
void writeAgentSums(Out& w, const StateModel& m, const AgentState& a, const AgentSums* sums) {
  ResourceSum used;
  size_t count = 0;
  for (const auto& [fid, tasks] : a.tasks) count += tasks.size();
  const AgentSum* pre = nullptr;
  if (sums != nullptr) {
    auto it = sums->find(a.id());
    static const AgentSum kNone;
    pre = it != sums->end() ? &it->second : &kNone;
    if (pre->tasks != count) pre = nullptr;  // the indexes disagree: use the agent's own
  }
  if (pre != nullptr) {
    used = pre->used;
  } else {
    for (const auto& [fid, tasks] : a.tasks) {
      for (const auto& [tid, t] : tasks) {
        if (!isTerminalState(t->state())) used.add(t->resources());
      }
    }
  }
  for (const auto& [fid, execs] : a.executors) {
    for (const auto& [eid, e] : execs) used.add(e.resources());
  }
  ResourceSum offered;
  for (const auto& oid : a.offers) {
    if (const Resources* r = offerResources(m, oid)) offered.add(r->proto());
  }
  w.key("used_resources");
  if (used.exact()) {
    used.write(w);
  } else {
    Resources slow;
    for (const auto& [fid, tasks] : a.tasks) {
      for (const auto& [tid, t] : tasks) {
        if (!isTerminalState(t->state())) slow += Resources(t->resources());
      }
    }
    for (const auto& [fid, execs] : a.executors) {
      for (const auto& [eid, e] : execs) slow += Resources(e.resources());
    }
    writeResourcesSlow(w, slow.unallocated());
  }
  w.key("offered_resources");
  if (offered.exact()) {
    offered.write(w);
  } else {
    Resources slow;
    for (const auto& oid : a.offers) {
      if (const Resources* r = offerResources(m, oid)) slow += *r;
    }
    writeResourcesSlow(w, slow.unallocated());
  }
}

void writeAgent(Out& w, const StateModel& m, const AgentState& a, const AgentSums* sums) {
  w.beginObject();
  w.key("id");
  w.str(a.id());
  w.key("hostname");
  w.str(a.info.hostname());
  w.key("port");
  w.integer(a.info.port());
  w.key("attributes");
  w.beginObject();
  for (const auto& attr : a.info.attributes()) {
    w.dataKey(attr.name());
    if (attr.type() == mesos::Value::SCALAR) {
      w.num(attr.scalar().value());
    } else if (attr.type() == mesos::Value::TEXT) {
      w.str(attr.text().value());
    } else {
      w.str(attr.ShortDebugString());
    }
  }
  w.endObject();
  w.key("pid");
  w.str(a.pid.str());
  w.key("registered_time");
  w.num(a.registered_time);
  if (a.reregistered_time) {
    w.key("reregistered_time");
    w.num(*a.reregistered_time);
  }
  bool reserved = false;
  for (const auto& r : a.total) reserved = reserved || r.reservations_size() > 0;
  ResourceSum total;
  total.add(a.total.proto());
  w.key("resources");
  if (total.exact()) {
    total.write(w);  // write() may be repeated: it only sorts and merges in place
  } else {
    writeResourcesSlow(w, a.total);
  }
  writeAgentSums(w, m, a, sums);
  w.key("reserved_resources");
  w.beginObject();
  if (reserved) {
    std::map<std::string, Resources> by_role;
    for (const auto& r : a.total) {
      if (r.reservations_size() > 0) by_role[Resources::reservationRole(r)] += r;
    }
    for (const auto& [role, resources] : by_role) {
      w.dataKey(role);
      writeResourcesSlow(w, resources);
    }
  }
  w.endObject();
  w.key("unreserved_resources");
  if (reserved || !total.exact()) {
    writeResourcesSlow(w, a.total.unreserved());
  } else {
    total.write(w);  // nothing reserved: the same list
  }
  w.key("active");
  w.boolean(a.active);
  w.key("deactivated");
  w.boolean(false);
  w.key("version");
  w.str(a.version);
  w.key("capabilities");
  w.beginArray();
  for (const auto& c : a.capabilities) {
    w.str(mesos::SlaveInfo::Capability::Type_Name(c.type()));
  }
  w.endArray();
  w.endObject();
}

void writeFlags(Out& w, const StateModel& m) {
  w.beginObject();
  for (const auto& [name, value] : m.flag_values) {
    w.dataKey(name);
    w.str(value);
  }
  w.endObject();
}

// Renders every framework's task lists ahead, in document order, on up to four threads
// when there are many tasks.
std::vector<PreparedFramework> prepareFrameworks(const StateModel& m, AgentSums* agents) {
  std::vector<PreparedFramework> prepared(m.frameworks.size() + m.completed_frameworks.size());
  size_t tasks = 0;
  auto count = [&](const FrameworkState& f) {
    tasks += f.tasks.size() + f.unreachable_tasks.size() + f.completed_tasks.size();
  };
  for (const auto& [id, f] : m.frameworks) count(*f);
  for (const auto& f : m.completed_frameworks) count(*f);
  size_t threads = 1;
  if (tasks >= kParallelTasks) {
    threads = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 4);
  }
  // About two pieces per thread when one framework has most tasks.
  const size_t piece_tasks = std::max(kMinPieceTasks, tasks / (2 * threads) + 1);
  std::vector<TaskPiece> pieces;
  size_t i = 0;
  for (const auto& [id, f] : m.frameworks) {
    addPieces(*f, i++, agents != nullptr, piece_tasks, &pieces);
  }
  for (const auto& f : m.completed_frameworks) addPieces(*f, i++, false, piece_tasks, &pieces);
  threads = std::clamp<size_t>(pieces.size(), 1, threads);
  std::atomic<size_t> next{0};
  std::vector<AgentSums> helper_agents(threads - 1);
  auto work = [&](AgentSums* sums) {
    for (size_t k = next++; k < pieces.size(); k = next++) renderPiece(pieces[k], sums);
  };
  std::vector<std::thread> helpers;
  for (size_t t = 1; t < threads; ++t) {
    helpers.emplace_back(work, agents != nullptr ? &helper_agents[t - 1] : nullptr);
  }
  work(agents);
  for (auto& h : helpers) h.join();
  if (agents != nullptr) {
    for (auto& sums : helper_agents) {
      for (auto& [id, sum] : sums) {
        AgentSum& mine = (*agents)[id];
        mine.tasks += sum.tasks;
        mine.used.add(sum.used);
      }
    }
  }

  // Pieces are in document order: a framework's live pieces, then its ended lists.
  for (size_t k = 0; k < pieces.size(); ++k) {
    TaskPiece& piece = pieces[k];
    std::vector<std::string>& parts = prepared[piece.framework].task_lists;
    if (piece.ended) {
      parts.emplace_back("]");
    } else {
      // Only a framework's first piece can be empty (when it has no live tasks at all).
      const bool first = k == 0 || pieces[k - 1].framework != piece.framework;
      parts.emplace_back(first ? "\"tasks\":[" : ",");
      prepared[piece.framework].used.add(piece.used);
    }
    if (!piece.out.empty()) parts.push_back(std::move(piece.out));
  }
  return prepared;
}

void writeFrameworkLists(Out& w, const StateModel& m, std::vector<PreparedFramework>& prepared) {
  size_t i = 0;
  w.key("frameworks");
  w.beginArray();
  for (const auto& [id, f] : m.frameworks) writeFramework(w, m, *f, prepared[i++]);
  w.endArray();
  w.key("completed_frameworks");
  w.beginArray();
  for (const auto& f : m.completed_frameworks) writeFramework(w, m, *f, prepared[i++]);
  w.endArray();
}

void writeAgentList(Out& w, const StateModel& m, const AgentSums* sums) {
  w.key("slaves");
  w.beginArray();
  for (const auto& [id, a] : m.agents) writeAgent(w, m, *a, sums);
  w.endArray();
  w.emptyArray("recovered_slaves");
}

// A guess of the document's size from the model, to reserve once.
size_t sizeHint(const StateModel& m) {
  size_t tasks = 0;
  for (const auto& [id, f] : m.frameworks) {
    tasks += f->tasks.size() + f->completed_tasks.size() + f->unreachable_tasks.size();
  }
  return 4096 + m.agents.size() * 1100 + tasks * 450;
}

}  // namespace

void renderTask(const mesos::Task& task, std::string* out) {
  Out w(out);
  writeTaskWithSum(w, task);
}

void renderResourceMap(const google::protobuf::RepeatedPtrField<mesos::Resource>& list,
                       std::string* out) {
  Out w(out);
  ResourceSum sum;
  sum.add(list);
  if (sum.exact()) {
    sum.write(w);
  } else {
    writeResourcesSlow(w, Resources(list));
  }
}

void renderState(const StateModel& m, std::string* out) {
  // Tasks first (their lists are most of the document), summing per agent on the way.
  AgentSums agent_sums;
  agent_sums.reserve(m.agents.size());
  std::vector<PreparedFramework> prepared = prepareFrameworks(m, &agent_sums);
  out->reserve(out->size() + sizeHint(m));
  Out w(out);
  w.beginObject();
  w.key("version");
  w.str(KEEL_MESOS_VERSION);
  w.key("build_date");
  w.str(__DATE__ " " __TIME__);
  w.key("build_time");
  w.num(0.0);
  w.key("build_user");
  w.str("");
  w.key("start_time");
  w.num(m.start_time);
  w.key("elected_time");
  w.num(m.start_time);
  w.key("id");
  w.str(m.info.id());
  w.key("pid");
  w.str(m.self.str());
  w.key("hostname");
  w.str(m.info.hostname());
  w.key("capabilities");
  w.beginArray();
  for (const auto& c : m.info.capabilities()) {
    w.str(mesos::MasterInfo::Capability::Type_Name(c.type()));
  }
  w.endArray();
  int64_t active = 0;
  int64_t inactive = 0;
  for (const auto& [id, a] : m.agents) (a->active ? active : inactive)++;
  w.key("activated_slaves");
  w.num(static_cast<double>(active));
  w.key("deactivated_slaves");
  w.num(static_cast<double>(inactive));
  w.key("unreachable_slaves");
  w.num(static_cast<double>(m.unreachable_agents.size()));
  w.key("leader");
  w.str(m.self.str());
  w.key("leader_info");
  w.beginObject();
  w.key("id");
  w.str(m.info.id());
  w.key("pid");
  w.str(m.self.str());
  w.key("port");
  w.integer(m.info.port());
  w.key("hostname");
  w.str(m.info.hostname());
  w.endObject();
  if (m.flags.cluster) {
    w.key("cluster");
    w.str(*m.flags.cluster);
  }
  if (m.flags.log_dir) {
    w.key("log_dir");
    w.str(*m.flags.log_dir);
  }
  w.key("flags");
  writeFlags(w, m);
  writeAgentList(w, m, &agent_sums);
  writeFrameworkLists(w, m, prepared);
  w.emptyArray("orphan_tasks");
  w.emptyArray("unregistered_frameworks");
  w.endObject();
}

void renderFrameworks(const StateModel& m, std::string* out) {
  std::vector<PreparedFramework> prepared = prepareFrameworks(m, nullptr);
  Out w(out);
  w.beginObject();
  writeFrameworkLists(w, m, prepared);
  w.emptyArray("unregistered_frameworks");
  w.endObject();
}

void renderSlaves(const StateModel& m, std::string* out) {
  Out w(out);
  w.beginObject();
  writeAgentList(w, m, nullptr);
  w.endObject();
}

void renderTasks(const StateModel& m, std::string* out) {
  out->reserve(out->size() + sizeHint(m));
  Out w(out);
  w.beginObject();
  w.key("tasks");
  w.beginArray();
  for (const auto& [id, f] : m.frameworks) {
    for (const auto& [tid, t] : f->tasks) writeTaskWithSum(w, *t);
    for (const auto& t : f->completed_tasks) writeTaskWithSum(w, t);
  }
  w.endArray();
  w.endObject();
}

}  // namespace keel::master
