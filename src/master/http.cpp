// The master's HTTP endpoints (spec §6.5): /state and its subsets, /health, /flags,
// /version, /metrics/snapshot, /redirect. Field names and number formats follow what
// Mesos 1.12 serves (../shared/reference/wire-captures/json/), because tools parse them.

#include <glog/logging.h>

#include <algorithm>
#include <set>

#include "allocator/allocator.hpp"
#include "common/json.hpp"
#include "master/master.hpp"

namespace keel::master {

class HttpEndpoints {
 public:
  explicit HttpEndpoints(Master& m) : m_(m) {}

  // Mesos's resource map: the four well-known scalars always, then every other resource
  // (ranges and sets as their text form).
  static void resources(JsonWriter& w, const Resources& r) {
    w.beginObject();
    for (const char* name : {"disk", "mem", "gpus", "cpus"}) {
      w.key(name);
      w.value(r.scalar(name).value_or(0.0));
    }
    // Scalars other than the four are summed; ranges and sets merge into one text value.
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

  void task(JsonWriter& w, const mesos::Task& t) {
    w.beginObject();
    w.key("id"); w.value(t.task_id().value());
    w.key("name"); w.value(t.name());
    w.key("framework_id"); w.value(t.framework_id().value());
    w.key("executor_id"); w.value(t.executor_id().value());
    w.key("slave_id"); w.value(t.slave_id().value());
    w.key("state"); w.value(mesos::TaskState_Name(t.state()));
    w.key("resources"); resources(w, Resources(t.resources()));
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
    if (t.has_labels()) {
      w.key("labels");
      writeProtobuf(w, t.labels());
    }
    if (t.has_discovery()) {
      w.key("discovery");
      writeProtobuf(w, t.discovery());
    }
    if (t.has_container()) {
      w.key("container");
      writeProtobuf(w, t.container());
    }
    w.endObject();
  }

  void framework(JsonWriter& w, const FrameworkState& f) {
    Resources used;
    for (const auto& [id, t] : f.tasks) {
      if (!isTerminalState(t->state())) used += Resources(t->resources());
    }
    for (const auto& [aid, execs] : f.executors) {
      for (const auto& [eid, e] : execs) used += Resources(e.resources());
    }
    Resources offered;
    for (const auto& oid : f.offers) {
      auto it = m_.offers_.find(oid);
      if (it != m_.offers_.end()) offered += *it->second.resources;
    }
    w.beginObject();
    w.key("id"); w.value(f.id());
    w.key("name"); w.value(f.info.name());
    w.key("pid"); w.value(f.pid.str());
    w.key("used_resources"); resources(w, used);
    w.key("offered_resources"); resources(w, offered);
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
    if (f.reregistered_time) {
      w.key("reregistered_time"); w.value(*f.reregistered_time);
    }
    if (f.info.has_principal()) {
      w.key("principal"); w.value(f.info.principal());
    }
    w.key("resources"); resources(w, used + offered);
    w.key("roles");
    w.beginArray();
    for (const auto& r : f.roles()) w.value(r);
    w.endArray();
    w.key("role"); w.value(f.roles().empty() ? std::string("*") : f.roles().front());
    w.key("tasks");
    w.beginArray();
    for (const auto& [id, t] : f.tasks) task(w, *t);
    w.endArray();
    w.key("unreachable_tasks");
    w.beginArray();
    for (const auto& [id, t] : f.unreachable_tasks) task(w, t);
    w.endArray();
    w.key("completed_tasks");
    w.beginArray();
    for (const auto& t : f.completed_tasks) task(w, t);
    w.endArray();
    w.key("offers");
    w.beginArray();
    for (const auto& oid : f.offers) {
      auto it = m_.offers_.find(oid);
      if (it == m_.offers_.end()) continue;
      const auto& o = it->second.offer;
      w.beginObject();
      w.key("id"); w.value(oid);
      w.key("framework_id"); w.value(o.framework_id().value());
      w.key("slave_id"); w.value(o.slave_id().value());
      w.key("resources"); resources(w, *it->second.resources);
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
        w.key("resources"); resources(w, Resources(e.resources()));
        w.key("slave_id"); w.value(aid);
        w.endObject();
      }
    }
    w.endArray();
    if (f.info.has_labels()) {
      w.key("labels"); writeProtobuf(w, f.info.labels());
    }
    // Offer constraints come with the v1 API; Mesos always renders the object.
    w.key("offer_constraints"); w.beginObject(); w.endObject();
    w.endObject();
  }

  void agent(JsonWriter& w, const AgentState& a) {
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
      auto it = m_.offers_.find(oid);
      if (it != m_.offers_.end()) offered += *it->second.resources;
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
    if (a.reregistered_time) {
      w.key("reregistered_time"); w.value(*a.reregistered_time);
    }
    w.key("resources"); resources(w, a.total);
    w.key("used_resources"); resources(w, used.unallocated());
    w.key("offered_resources"); resources(w, offered.unallocated());
    w.key("reserved_resources");
    w.beginObject();
    std::map<std::string, Resources> by_role;
    for (const auto& r : a.total) {
      if (r.reservations_size() > 0) by_role[Resources::reservationRole(r)] += r;
    }
    for (const auto& [role, reserved] : by_role) {
      w.key(role);
      resources(w, reserved);
    }
    w.endObject();
    w.key("unreserved_resources"); resources(w, a.total.unreserved());
    w.key("active"); w.value(a.active);
    w.key("deactivated"); w.value(false);
    w.key("version"); w.value(a.version);
    w.key("capabilities");
    w.beginArray();
    for (const auto& c : a.capabilities) {
      w.value(mesos::SlaveInfo::Capability::Type_Name(c.type()));
    }
    w.endArray();
    w.endObject();
  }

  void masterHeader(JsonWriter& w) {
    w.key("version"); w.value(std::string(KEEL_MESOS_VERSION));
    w.key("build_date"); w.value(std::string(__DATE__ " " __TIME__));
    w.key("build_time"); w.value(0.0);
    w.key("build_user"); w.value(std::string(""));
    w.key("start_time"); w.value(m_.start_time_);
    w.key("elected_time"); w.value(m_.start_time_);
    w.key("id"); w.value(m_.info_.id());
    w.key("pid"); w.value(m_.self_.str());
    w.key("hostname"); w.value(m_.info_.hostname());
    w.key("capabilities");
    w.beginArray();
    for (const auto& c : m_.info_.capabilities()) {
      w.value(mesos::MasterInfo::Capability::Type_Name(c.type()));
    }
    w.endArray();
  }

  std::string state() {
    JsonWriter w;
    w.beginObject();
    masterHeader(w);
    int64_t active = 0;
    int64_t inactive = 0;
    for (const auto& [id, a] : m_.agents_) (a->active ? active : inactive)++;
    w.key("activated_slaves"); w.value(static_cast<double>(active));
    w.key("deactivated_slaves"); w.value(static_cast<double>(inactive));
    w.key("unreachable_slaves"); w.value(static_cast<double>(m_.unreachable_agents_.size()));
    w.key("leader"); w.value(m_.self_.str());
    w.key("leader_info");
    w.beginObject();
    w.key("id"); w.value(m_.info_.id());
    w.key("pid"); w.value(m_.self_.str());
    w.key("port"); w.value(static_cast<int64_t>(m_.info_.port()));
    w.key("hostname"); w.value(m_.info_.hostname());
    w.endObject();
    if (m_.flags_.cluster) {
      w.key("cluster"); w.value(*m_.flags_.cluster);
    }
    if (m_.flags_.log_dir) {
      w.key("log_dir"); w.value(*m_.flags_.log_dir);
    }
    w.key("flags"); flags(w);
    w.key("slaves");
    w.beginArray();
    for (const auto& [id, a] : m_.agents_) agent(w, *a);
    w.endArray();
    w.key("recovered_slaves"); w.beginArray(); w.endArray();
    w.key("frameworks");
    w.beginArray();
    for (const auto& [id, f] : m_.frameworks_) framework(w, *f);
    w.endArray();
    w.key("completed_frameworks");
    w.beginArray();
    for (const auto& f : m_.completed_frameworks_) framework(w, *f);
    w.endArray();
    w.key("orphan_tasks"); w.beginArray(); w.endArray();
    w.key("unregistered_frameworks"); w.beginArray(); w.endArray();
    w.endObject();
    return w.take();
  }

  void flags(JsonWriter& w) {
    w.beginObject();
    for (const auto& [name, value] : m_.flag_values_) {
      w.key(name);
      w.value(value);
    }
    w.endObject();
  }

  std::string metrics() {
    JsonWriter w;
    w.beginObject();
    auto metric = [&w](const std::string& name, double v) {
      w.key(name);
      w.value(v);
    };
    metric("master/elected", 1);
    metric("master/uptime_secs", m_.now() - m_.start_time_);
    int64_t active = 0;
    for (const auto& [id, a] : m_.agents_) active += a->active ? 1 : 0;
    metric("master/slaves_active", active);
    metric("master/slaves_inactive", m_.agents_.size() - active);
    metric("master/slaves_connected", active);
    metric("master/slaves_unreachable", m_.unreachable_agents_.size());
    int64_t fw_active = 0;
    for (const auto& [id, f] : m_.frameworks_) fw_active += f->active ? 1 : 0;
    metric("master/frameworks_active", fw_active);
    metric("master/frameworks_inactive", m_.frameworks_.size() - fw_active);
    metric("master/frameworks_connected", fw_active);
    metric("master/outstanding_offers", m_.offers_.size());
    metric("master/dropped_messages", m_.metrics_.dropped_messages);
    metric("master/valid_status_updates", m_.metrics_.valid_status_updates);
    metric("master/invalid_status_updates", m_.metrics_.invalid_status_updates);
    metric("master/tasks_launched", m_.metrics_.tasks_launched);
    std::map<std::string, int64_t> by_state;
    for (const auto& [id, f] : m_.frameworks_) {
      for (const auto& [tid, t] : f->tasks) by_state[t->state() == mesos::TASK_STAGING ? "staging" : t->state() == mesos::TASK_STARTING ? "starting" : t->state() == mesos::TASK_RUNNING ? "running" : "other"]++;
      for (const auto& t : f->completed_tasks) {
        std::string s = mesos::TaskState_Name(t.state()).substr(5);
        for (auto& c : s) c = static_cast<char>(std::tolower(c));
        by_state[s]++;
      }
    }
    for (const char* s : {"staging", "starting", "running", "finished", "failed", "killed", "lost", "error"}) {
      metric(std::string("master/tasks_") + s, by_state[s]);
    }
    for (const auto& [name, count] : m_.metrics_.messages) {
      std::string short_name = name.substr(name.rfind('.') + 1);
      metric("master/messages_" + short_name, count);
    }
    w.endObject();
    return w.take();
  }

  void install() {
    auto& t = m_.transport_;
    auto json = [](std::string body, const wire::HttpRequest& req) {
      wire::HttpResponse r;
      auto it = req.query.find("jsonp");
      if (it != req.query.end()) {
        r.content_type = "text/javascript";
        r.body = it->second + "(" + body + ");";
      } else {
        r.body = std::move(body);
      }
      return r;
    };
    auto route = [&](const std::string& name, std::function<std::string()> produce) {
      t.addRoute("/master/" + name, [json, produce](const wire::HttpRequest& req,
                                                    wire::Responder respond) {
        if (req.method != "GET" && req.method != "POST") {
          respond(wire::HttpResponse{405, "text/plain", "Expecting 'GET'", {}});
          return;
        }
        respond(json(produce(), req));
      });
    };
    route("state", [this] { return state(); });
    route("state.json", [this] { return state(); });
    route("frameworks", [this] {
      JsonWriter w;
      w.beginObject();
      w.key("frameworks");
      w.beginArray();
      for (const auto& [id, f] : m_.frameworks_) framework(w, *f);
      w.endArray();
      w.key("completed_frameworks");
      w.beginArray();
      for (const auto& f : m_.completed_frameworks_) framework(w, *f);
      w.endArray();
      w.key("unregistered_frameworks"); w.beginArray(); w.endArray();
      w.endObject();
      return w.take();
    });
    route("slaves", [this] {
      JsonWriter w;
      w.beginObject();
      w.key("slaves");
      w.beginArray();
      for (const auto& [id, a] : m_.agents_) agent(w, *a);
      w.endArray();
      w.key("recovered_slaves"); w.beginArray(); w.endArray();
      w.endObject();
      return w.take();
    });
    route("tasks", [this] {
      JsonWriter w;
      w.beginObject();
      w.key("tasks");
      w.beginArray();
      for (const auto& [id, f] : m_.frameworks_) {
        for (const auto& [tid, tk] : f->tasks) task(w, *tk);
        for (const auto& tk : f->completed_tasks) task(w, tk);
      }
      w.endArray();
      w.endObject();
      return w.take();
    });
    route("flags", [this] {
      JsonWriter w;
      w.beginObject();
      w.key("flags");
      flags(w);
      w.endObject();
      return w.take();
    });
    route("version", [] {
      JsonWriter w;
      w.beginObject();
      w.key("version"); w.value(std::string(KEEL_MESOS_VERSION));
      w.key("build_date"); w.value(std::string(__DATE__ " " __TIME__));
      w.key("build_time"); w.value(0.0);
      w.key("build_user"); w.value(std::string(""));
      w.endObject();
      return w.take();
    });
    t.addRoute("/master/health", [](const wire::HttpRequest&, wire::Responder respond) {
      respond(wire::HttpResponse{200, "text/plain", "", {}});
    });
    t.addRoute("/master/redirect", [this](const wire::HttpRequest&, wire::Responder respond) {
      wire::HttpResponse r{307, "text/plain", "", {}};
      r.headers.emplace_back("Location",
                             "//" + m_.info_.hostname() + ":" + std::to_string(m_.info_.port()));
      respond(std::move(r));
    });
    auto metrics_handler = [this](const wire::HttpRequest& req, wire::Responder respond) {
      wire::HttpResponse r;
      r.body = metrics();
      respond(std::move(r));
    };
    t.addRoute("/metrics/snapshot", metrics_handler);
    t.addRoute("/master/metrics/snapshot", metrics_handler);
  }

 private:
  Master& m_;
};

void Master::installEndpoints() {
  endpoints_ = std::make_unique<HttpEndpoints>(*this);
  endpoints_->install();
}

}  // namespace keel::master

namespace keel::master {
// The constructor and destructor live here, where HttpEndpoints is complete.
Master::Master(runtime::EventLoop& loop, wire::Transport& transport, MasterFlags flags,
               std::vector<std::pair<std::string, std::string>> flag_values)
    : loop_(loop),
      transport_(transport),
      flags_(std::move(flags)),
      flag_values_(std::move(flag_values)) {}

Master::~Master() {
  // A master can be replaced on the same transport (a restart in tests): nothing may call
  // into this one afterwards.
  for (const auto& [observer, agent_id] : agent_by_observer_) transport_.removeProcess(observer);
  transport_.removeProcess("master");
}
}  // namespace keel::master
