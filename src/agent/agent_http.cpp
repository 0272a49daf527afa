// The agent's HTTP endpoints: /slave(1)/state, /slave(1)/flags, /slave(1)/health. Field
// names, nesting and number formats follow the captured Mesos agent's /state.

#include <time.h>

#include <cstdio>
#include <cstring>

#include "agent/agent.hpp"
#include "agent/resource_detection.hpp"
#include "common/json.hpp"

namespace keel::agent {

namespace {

const char* capabilityName(mesos::SlaveInfo::Capability::Type type) {
  return mesos::SlaveInfo::Capability::Type_Name(type).c_str();
}

// "Nov 25 2026" + "19:35:09" -> ("2026-11-25 19:35:09", seconds since the epoch, UTC).
std::pair<std::string, double> buildTime() {
  static const char* kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  const char* date = __DATE__;
  struct tm tm {};
  char month[4] = {date[0], date[1], date[2], 0};
  const char* found = std::strstr(kMonths, month);
  tm.tm_mon = found ? static_cast<int>((found - kMonths) / 3) : 0;
  tm.tm_mday = std::atoi(date + 4);
  tm.tm_year = std::atoi(date + 7) - 1900;
  std::sscanf(__TIME__, "%d:%d:%d", &tm.tm_hour, &tm.tm_min, &tm.tm_sec);
  char text[64];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02d %s", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, __TIME__);
  return {text, static_cast<double>(::timegm(&tm))};
}

// Mesos's "model(Resources)": cpus/gpus/mem/disk always, other scalars, and ranges and
// sets as text.
void writeResources(JsonWriter& w, const Resources& resources) {
  w.beginObject();
  for (const char* name : {"disk", "mem", "gpus", "cpus"}) {
    w.field(name, resources.scalar(name).value_or(0.0));
  }
  for (const auto& name : resources.names()) {
    if (name == "disk" || name == "mem" || name == "gpus" || name == "cpus") {
      continue;
    }
    Resources named = resources.named(name);
    const mesos::Resource& first = *named.begin();
    if (first.type() == mesos::Value::SCALAR) {
      w.field(name, named.scalar(name).value_or(0.0));
    } else if (first.type() == mesos::Value::RANGES) {
      w.field(name, toString(*named.ranges(name)));
    } else if (first.type() == mesos::Value::SET) {
      std::string text = "{";
      for (int i = 0; i < first.set().item_size(); ++i) {
        text += (i ? "," : "") + first.set().item(i);
      }
      w.field(name, text + "}");
    }
  }
  w.endObject();
}

void writeAttributes(JsonWriter& w,
                     const google::protobuf::RepeatedPtrField<mesos::Attribute>& as) {
  w.beginObject();
  for (const auto& a : as) {
    switch (a.type()) {
      case mesos::Value::SCALAR:
        w.field(a.name(), a.scalar().value());
        break;
      case mesos::Value::RANGES:
        w.field(a.name(), toString(a.ranges()));
        break;
      case mesos::Value::SET: {
        std::string text = "{";
        for (int i = 0; i < a.set().item_size(); ++i) {
          text += (i ? "," : "") + a.set().item(i);
        }
        w.field(a.name(), text + "}");
        break;
      }
      default:
        w.field(a.name(), a.text().value());
    }
  }
  w.endObject();
}

const std::string* allocationRole(const google::protobuf::RepeatedPtrField<mesos::Resource>& rs) {
  for (const auto& r : rs) {
    if (r.has_allocation_info() && r.allocation_info().has_role()) {
      return &r.allocation_info().role();
    }
  }
  return nullptr;
}

void writeTask(JsonWriter& w, const mesos::Task& task) {
  w.beginObject();
  w.field("id", task.task_id().value());
  w.field("name", task.name());
  w.field("framework_id", task.framework_id().value());
  w.field("executor_id", task.executor_id().value());
  w.field("slave_id", task.slave_id().value());
  w.field("state", mesos::TaskState_Name(task.state()));
  w.key("resources");
  writeResources(w, Resources(task.resources()));
  if (const std::string* role = allocationRole(task.resources())) {
    w.field("role", *role);
  }
  w.key("statuses");
  w.beginArray();
  for (const auto& status : task.statuses()) {
    w.beginObject();
    w.field("state", mesos::TaskState_Name(status.state()));
    w.field("timestamp", status.timestamp());
    if (status.has_labels()) {
      w.key("labels");
      writeProtobuf(w, status.labels());
    }
    if (status.has_container_status()) {
      const auto& container = status.container_status();
      w.key("container_status");
      w.beginObject();
      if (container.has_container_id()) {
        w.key("container_id");
        writeProtobuf(w, container.container_id());
      }
      if (container.network_infos_size() > 0) {
        w.key("network_infos");
        w.beginArray();
        for (const auto& network : container.network_infos()) {
          writeProtobuf(w, network);
        }
        w.endArray();
      }
      w.endObject();
    }
    if (status.has_healthy()) {
      w.field("healthy", status.healthy());
    }
    w.endObject();
  }
  w.endArray();
  w.endObject();
}

mesos::Task queuedTask(const mesos::TaskInfo& info, const std::string& framework_id,
                       const mesos::SlaveID& agent_id) {
  mesos::Task task;
  task.set_name(info.name());
  task.mutable_task_id()->CopyFrom(info.task_id());
  task.mutable_framework_id()->set_value(framework_id);
  if (info.has_executor()) {
    task.mutable_executor_id()->CopyFrom(info.executor().executor_id());
  }
  task.mutable_slave_id()->CopyFrom(agent_id);
  task.set_state(mesos::TASK_STAGING);
  task.mutable_resources()->CopyFrom(info.resources());
  return task;
}

void writeExecutor(JsonWriter& w, const ExecutorRecord& e, const std::string& framework_id,
                   const mesos::SlaveID& agent_id) {
  w.beginObject();
  w.field("id", e.info.executor_id().value());
  w.field("name", e.info.name());
  w.field("source", e.info.source());
  w.field("container", e.container_id.value());
  w.field("directory", e.directory);
  w.key("resources");
  writeResources(w, Resources(e.info.resources()));
  if (const std::string* role = allocationRole(e.info.resources())) {
    w.field("role", *role);
  }
  w.key("tasks");
  w.beginArray();
  for (const auto& [id, task] : e.launched_tasks) {
    writeTask(w, task);
  }
  for (const auto& [id, task] : e.terminated_tasks) {
    writeTask(w, task);
  }
  w.endArray();
  w.key("queued_tasks");
  w.beginArray();
  for (const auto& info : e.queued_tasks) {
    writeTask(w, queuedTask(info, framework_id, agent_id));
  }
  w.endArray();
  w.key("completed_tasks");
  w.beginArray();
  for (const auto& task : e.completed_tasks) {
    writeTask(w, task);
  }
  w.endArray();
  w.endObject();
}

void writeFramework(JsonWriter& w, const FrameworkRecord& f, const mesos::SlaveID& agent_id) {
  const mesos::FrameworkInfo& info = f.info;
  w.beginObject();
  w.field("id", info.id().value());
  w.field("name", info.name());
  w.field("user", info.user());
  w.field("failover_timeout", info.failover_timeout());
  w.field("checkpoint", info.checkpoint());
  w.field("hostname", info.hostname());
  if (info.has_principal()) {
    w.field("principal", info.principal());
  }
  bool multi_role = false;
  for (const auto& c : info.capabilities()) {
    multi_role |= c.type() == mesos::FrameworkInfo::Capability::MULTI_ROLE;
  }
  if (multi_role) {
    w.key("roles");
    w.beginArray();
    for (const auto& role : info.roles()) {
      w.value(role);
    }
    w.endArray();
  } else {
    w.field("role", info.role());
  }
  w.key("executors");
  w.beginArray();
  for (const auto& [id, executor] : f.executors) {
    writeExecutor(w, *executor, info.id().value(), agent_id);
  }
  w.endArray();
  w.key("completed_executors");
  w.beginArray();
  for (const auto& executor : f.completed_executors) {
    writeExecutor(w, *executor, info.id().value(), agent_id);
  }
  w.endArray();
  w.endObject();
}

}  // namespace

std::string Agent::flagsJson() const {
  JsonWriter w;
  w.beginObject();
  w.key("flags");
  w.beginObject();
  for (const auto& [name, value] : flag_values_) {
    w.field(name, value);
  }
  w.endObject();
  w.endObject();
  return w.take();
}

std::string Agent::stateJson() const {
  static const auto build = buildTime();
  Resources allocated;
  for (const auto& [fid, framework] : frameworks_) {
    for (const auto& [eid, executor] : framework->executors) {
      allocated += Resources(executor->info.resources());
      for (const auto& [tid, task] : executor->launched_tasks) {
        allocated += Resources(task.resources());
      }
    }
  }
  allocated = allocated.unallocated();

  JsonWriter w;
  w.beginObject();
  w.field("version", KEEL_MESOS_VERSION);
  w.field("build_date", build.first);
  w.field("build_time", build.second);
  w.field("build_user", "");
  w.field("start_time", start_time_);
  if (!agentId().empty()) {
    w.field("id", agentId());
  }
  w.field("pid", self_.str());
  w.field("hostname", info_.hostname());
  w.key("capabilities");
  w.beginArray();
  for (auto type : kAgentCapabilities) {
    w.value(capabilityName(type));
  }
  w.endArray();
  w.key("resources");
  writeResources(w, total_);

  // Reserved resources grouped by role, in both the summary and the full form.
  std::map<std::string, Resources> reserved;
  for (const auto& r : total_) {
    if (r.reservations_size() > 0) {
      reserved[Resources::reservationRole(r)] += r;
    }
  }
  w.key("reserved_resources");
  w.beginObject();
  for (const auto& [role, rs] : reserved) {
    w.key(role);
    writeResources(w, rs);
  }
  w.endObject();
  w.key("unreserved_resources");
  writeResources(w, total_.unreserved());
  w.key("reserved_resources_full");
  w.beginObject();
  for (const auto& [role, rs] : reserved) {
    w.key(role);
    w.beginArray();
    for (const auto& r : toLegacyFormat(rs.proto())) {
      writeProtobuf(w, r);
    }
    w.endArray();
  }
  w.endObject();
  w.key("unreserved_resources_full");
  w.beginArray();
  for (const auto& r : toLegacyFormat(total_.unreserved().proto())) {
    writeProtobuf(w, r);
  }
  w.endArray();
  w.key("reserved_resources_allocated");
  w.beginObject();
  for (const auto& [role, rs] : reserved) {
    w.key(role);
    writeResources(w, allocated.reserved(role));
  }
  w.endObject();
  w.key("unreserved_resources_allocated");
  writeResources(w, allocated.unreserved());
  w.key("resource_providers");
  w.beginArray();
  w.endArray();
  w.key("attributes");
  writeAttributes(w, info_.attributes());
  if (!master_.empty()) {
    w.field("master_hostname", master_.ip == "127.0.0.1" ? std::string("localhost") : master_.ip);
  }
  w.key("flags");
  w.beginObject();
  for (const auto& [name, value] : flag_values_) {
    w.field(name, value);
  }
  w.endObject();
  w.key("frameworks");
  w.beginArray();
  for (const auto& [id, framework] : frameworks_) {
    writeFramework(w, *framework, info_.id());
  }
  w.endArray();
  w.key("completed_frameworks");
  w.beginArray();
  for (const auto& framework : completed_frameworks_) {
    writeFramework(w, *framework, info_.id());
  }
  w.endArray();
  w.endObject();
  return w.take();
}

void Agent::installRoutes() {
  auto state = [this](const wire::HttpRequest&, wire::Responder respond) {
    wire::HttpResponse response;
    response.body = stateJson();
    respond(std::move(response));
  };
  auto flags = [this](const wire::HttpRequest&, wire::Responder respond) {
    wire::HttpResponse response;
    response.body = flagsJson();
    respond(std::move(response));
  };
  auto health = [](const wire::HttpRequest&, wire::Responder respond) {
    wire::HttpResponse response;
    response.content_type.clear();
    respond(std::move(response));
  };
  std::string prefix = std::string("/") + kProcessId;
  transport_.addRoute(prefix + "/state", state);
  transport_.addRoute(prefix + "/state.json", state);
  transport_.addRoute(prefix + "/flags", flags);
  transport_.addRoute(prefix + "/health", health);
  transport_.setDelegate(kProcessId);
}

}  // namespace keel::agent
