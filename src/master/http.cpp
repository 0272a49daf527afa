// The master's HTTP endpoints (spec §6.5): /state and its subsets, /health, /flags,
// /version, /metrics/snapshot, /redirect. Field names and number formats follow what
// Mesos 1.12 serves (../shared/reference/wire-captures/json/), because tools parse them.

#include <glog/logging.h>

#include <algorithm>
#include <set>

#include "allocator/allocator.hpp"
#include "common/json.hpp"
#include "master/master.hpp"
#include "master/state_json.hpp"
#include "master/state_worker.hpp"
#include "wire/parse_ahead.hpp"

namespace keel::master {

class HttpEndpoints {
 public:
  explicit HttpEndpoints(Master& m)
      : m_(m),
        model_{m.info_,   m.self_,       m.start_time_,           m.flags_,  m.flag_values_,
               m.agents_, m.frameworks_, m.completed_frameworks_, m.offers_, m.unreachable_agents_},
        worker_(
            m.loop_, m.gate_,
            [this](StateWorker::Kind kind, std::string* out) { render(kind, out); },
            [this] { return small(); }) {}

  // Whether the model renders in well under a millisecond (then on the loop, at once).
  bool small() const {
    auto size = [](const FrameworkState& f) {
      return 1 + f.tasks.size() + f.completed_tasks.size() + f.unreachable_tasks.size();
    };
    size_t n = m_.agents_.size();
    for (const auto& [id, f] : m_.frameworks_) n += size(*f);
    for (const auto& f : m_.completed_frameworks_) n += size(*f);
    return n <= kInlineObjects;
  }
  static constexpr size_t kInlineObjects = 500;

  // Ends the render thread (before the model it reads goes away).
  void stop() { worker_.stop(); }

  void render(StateWorker::Kind kind, std::string* out) const {
    switch (kind) {
      case StateWorker::Kind::kState:
        renderState(model_, out);
        break;
      case StateWorker::Kind::kFrameworks:
        renderFrameworks(model_, out);
        break;
      case StateWorker::Kind::kSlaves:
        renderSlaves(model_, out);
        break;
      case StateWorker::Kind::kTasks:
        renderTasks(model_, out);
        break;
    }
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
    metric("allocator/mesos/allocation_runs", m_.metrics_.allocation_runs);
    m_.metrics_.allocation_run_ms.emit("allocator/mesos/allocation_run_ms", metric);
    m_.metrics_.allocation_pass_ms.emit("master/allocation_pass_ms", metric);
    std::map<std::string, int64_t> by_state;
    for (const auto& [id, f] : m_.frameworks_) {
      for (const auto& [tid, t] : f->tasks)
        by_state[t->state() == mesos::TASK_STAGING    ? "staging"
                 : t->state() == mesos::TASK_STARTING ? "starting"
                 : t->state() == mesos::TASK_RUNNING  ? "running"
                                                      : "other"]++;
      for (const auto& t : f->completed_tasks) {
        std::string s = mesos::TaskState_Name(t.state()).substr(5);
        for (auto& c : s) c = static_cast<char>(std::tolower(c));
        by_state[s]++;
      }
    }
    for (const char* s :
         {"staging", "starting", "running", "finished", "failed", "killed", "lost", "error"}) {
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
    // Routes that only read the model, or nothing of it, go on the transport itself: they
    // may run while a render reads the model, and must not wait for one (/health).
    wire::Transport& t = m_.gated_transport_->inner();
    auto rendered = [&](const std::string& name, StateWorker::Kind kind) {
      t.addRoute("/master/" + name,
                 [this, kind](const wire::HttpRequest& req, wire::Responder respond) {
                   if (req.method != "GET" && req.method != "POST") {
                     respond(wire::HttpResponse{405, "text/plain", "Expecting 'GET'", {}});
                     return;
                   }
                   auto it = req.query.find("jsonp");
                   worker_.request(kind, it == req.query.end() ? std::string() : it->second,
                                   std::move(respond));
                 });
    };
    rendered("state", StateWorker::Kind::kState);
    rendered("state.json", StateWorker::Kind::kState);
    rendered("frameworks", StateWorker::Kind::kFrameworks);
    rendered("slaves", StateWorker::Kind::kSlaves);
    rendered("tasks", StateWorker::Kind::kTasks);
    auto small = [&](const std::string& name, std::function<std::string()> produce) {
      t.addRoute("/master/" + name,
                 [produce](const wire::HttpRequest& req, wire::Responder respond) {
                   if (req.method != "GET" && req.method != "POST") {
                     respond(wire::HttpResponse{405, "text/plain", "Expecting 'GET'", {}});
                     return;
                   }
                   wire::HttpResponse r;
                   auto it = req.query.find("jsonp");
                   if (it != req.query.end()) {
                     r.content_type = "text/javascript";
                     r.body = it->second + "(" + produce() + ");";
                   } else {
                     r.body = produce();
                   }
                   respond(std::move(r));
                 });
    };
    small("flags", [this] {
      JsonWriter w;
      w.beginObject();
      w.key("flags");
      w.beginObject();
      for (const auto& [name, value] : m_.flag_values_) {
        w.key(name);
        w.value(value);
      }
      w.endObject();
      w.endObject();
      return w.take();
    });
    small("version", [] {
      JsonWriter w;
      w.beginObject();
      w.key("version");
      w.value(std::string(KEEL_MESOS_VERSION));
      w.key("build_date");
      w.value(std::string(__DATE__ " " __TIME__));
      w.key("build_time");
      w.value(0.0);
      w.key("build_user");
      w.value(std::string(""));
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
  StateModel model_;
  StateWorker worker_;
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
      gate_(std::make_shared<ModelGate>(loop)),
      gated_transport_(std::make_unique<GatedTransport>(transport, gate_)),
      transport_(*gated_transport_),
      flags_(std::move(flags)),
      flag_values_(std::move(flag_values)) {}

Master::~Master() {
  parse_ahead_.reset();  // its thread, and what it holds for the master's handlers
  // The render thread reads the model: it ends first.
  if (endpoints_) endpoints_->stop();
  // A master can be replaced on the same transport (a restart in tests): nothing may call
  // into this one afterwards.
  for (const auto& [observer, agent_id] : agent_by_observer_) transport_.removeProcess(observer);
  transport_.removeProcess("master");
}
}  // namespace keel::master
