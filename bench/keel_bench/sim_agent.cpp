#include "sim_agent.hpp"

#include <chrono>

namespace keel::bench {

namespace {

constexpr const char* kVersion = "1.12.0";

double unixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void addCapabilities(google::protobuf::RepeatedPtrField<mesos::SlaveInfo::Capability>* caps) {
  for (auto type :
       {mesos::SlaveInfo::Capability::MULTI_ROLE, mesos::SlaveInfo::Capability::HIERARCHICAL_ROLE,
        mesos::SlaveInfo::Capability::RESERVATION_REFINEMENT}) {
    caps->Add()->set_type(type);
  }
}

}  // namespace

SimAgents::SimAgents(wire::Transport& transport, Notifier& notifier,
                     std::vector<mesos::Resource> resources)
    : transport_(transport), notifier_(notifier), resources_(std::move(resources)) {}

SimAgents::~SimAgents() {
  for (const auto& a : agents_) transport_.removeProcess(a.process);
}

long SimAgents::indexOf(const std::string& agent_id) const {
  auto it = by_id_.find(agent_id);
  return it == by_id_.end() ? -1 : static_cast<long>(it->second);
}

std::string SimAgents::uuid() {
  std::string out(16, '\0');
  uint64_t a = random_(), b = random_();
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<char>(a >> (8 * i));
    out[8 + i] = static_cast<char>(b >> (8 * i));
  }
  out[6] = static_cast<char>((out[6] & 0x0f) | 0x40);  // version 4
  out[8] = static_cast<char>((out[8] & 0x3f) | 0x80);
  return out;
}

void SimAgents::start(int n, const wire::Pid& master) {
  master_ = master;
  const size_t first = agents_.size();
  agents_.reserve(first + static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const size_t index = agents_.size();
    Agent a;
    a.process = "slave(" + std::to_string(index + 1) + ")";
    a.pid = transport_.pidOf(a.process);
    agents_.push_back(std::move(a));
    transport_.addProcess(
        agents_[index].process,
        wire::ProcessHandlers{
            [this, index](wire::Message&& m) { return receive(index, std::move(m)); }, nullptr});
  }
  for (size_t index = first; index < agents_.size(); ++index) {
    Agent& a = agents_[index];
    mesos::internal::RegisterSlaveMessage reg;
    mesos::SlaveInfo* info = reg.mutable_slave();
    info->set_hostname("bench-agent-" + std::to_string(index + 1));
    info->set_port(a.pid.port);
    for (const auto& r : resources_) *info->add_resources() = r;
    reg.set_version(kVersion);
    addCapabilities(reg.mutable_agent_capabilities());
    transport_.send(wire::makeMessage(a.pid, master_, reg));
  }
}

void SimAgents::addTasks(int per_agent, const mesos::FrameworkInfo& framework,
                         const std::vector<mesos::Resource>& resources) {
  const std::string fid = framework.id().value();
  for (size_t index = 0; index < agents_.size(); ++index) {
    Agent& a = agents_[index];
    a.frameworks[fid] = framework;
    for (int t = 0; t < per_agent; ++t) {
      mesos::Task task;
      const std::string tid = "synth-" + std::to_string(index + 1) + "-" + std::to_string(t);
      task.set_name(tid);
      task.mutable_task_id()->set_value(tid);
      task.mutable_framework_id()->set_value(fid);
      task.mutable_slave_id()->set_value(a.id);
      task.set_state(mesos::TASK_RUNNING);
      task.set_status_update_state(mesos::TASK_RUNNING);
      for (const auto& r : resources) *task.add_resources() = r;
      a.tasks[fid][tid] = std::move(task);
    }
  }
}

void SimAgents::prepareReregistration() {
  prepared_.clear();
  prepared_.reserve(agents_.size());
  for (auto& a : agents_) prepared_.push_back(reregistration(a));
}

void SimAgents::reregisterAll(const wire::Pid& master) {
  master_ = master;
  reregistered = 0;
  for (auto& a : agents_) a.reregistered = false;
  const bool prepared = prepared_.size() == agents_.size();
  for (size_t i = 0; i < agents_.size(); ++i) {
    Agent& a = agents_[i];
    transport_.send(wire::Message{a.pid, master_, "mesos.internal.ReregisterSlaveMessage",
                                  prepared ? std::move(prepared_[i]) : reregistration(a)});
  }
  prepared_.clear();
}

std::string SimAgents::reregistration(const Agent& a) const {
  mesos::internal::ReregisterSlaveMessage msg;
  mesos::SlaveInfo* info = msg.mutable_slave();
  info->set_hostname("bench-agent-" + a.process.substr(6, a.process.size() - 7));
  info->set_port(a.pid.port);
  info->mutable_id()->set_value(a.id);
  for (const auto& r : resources_) *info->add_resources() = r;
  for (const auto& [fid, tasks] : a.tasks) {
    for (const auto& [tid, task] : tasks) *msg.add_tasks() = task;
  }
  for (const auto& [fid, fw] : a.frameworks) *msg.add_frameworks() = fw;
  msg.set_version(kVersion);
  addCapabilities(msg.mutable_agent_capabilities());
  return msg.SerializeAsString();
}

bool SimAgents::finishTask(size_t index, const std::string& framework_id,
                           const std::string& task_id) {
  Agent& a = agents_.at(index);
  auto f = a.tasks.find(framework_id);
  if (f == a.tasks.end()) return false;
  auto t = f->second.find(task_id);
  if (t == f->second.end()) return false;
  t->second.set_state(mesos::TASK_FINISHED);
  sendUpdate(a, framework_id, t->second.task_id(), mesos::TASK_FINISHED);
  return true;
}

void SimAgents::sendUpdate(Agent& a, const std::string& framework_id, const mesos::TaskID& task_id,
                           mesos::TaskState state) {
  mesos::internal::StatusUpdateMessage msg;
  mesos::internal::StatusUpdate* u = msg.mutable_update();
  const double now = unixNow();
  const std::string id = uuid();
  u->mutable_framework_id()->set_value(framework_id);
  u->mutable_slave_id()->set_value(a.id);
  u->set_timestamp(now);
  u->set_uuid(id);
  mesos::TaskStatus* s = u->mutable_status();
  *s->mutable_task_id() = task_id;
  s->set_state(state);
  s->mutable_slave_id()->set_value(a.id);
  s->set_source(mesos::TaskStatus::SOURCE_EXECUTOR);
  s->set_timestamp(now);
  s->set_uuid(id);
  msg.set_pid(a.pid.str());
  transport_.send(wire::makeMessage(a.pid, master_, msg));
}

wire::Delivery SimAgents::receive(size_t index, wire::Message&& msg) {
  Agent& a = agents_[index];
  const std::string& name = msg.name;
  if (name == "mesos.internal.PingSlaveMessage") {
    pings++;
    transport_.send(wire::makeMessage(a.pid, msg.from, mesos::internal::PongSlaveMessage()));
    return wire::Delivery::kAccepted;
  }
  if (name == "mesos.internal.SlaveRegisteredMessage" ||
      name == "mesos.internal.SlaveReregisteredMessage") {
    const bool re = name == "mesos.internal.SlaveReregisteredMessage";
    mesos::internal::SlaveRegisteredMessage m;  // same fields 1 and 2 as the re-registered one
    if (!m.ParseFromString(msg.body)) return wire::Delivery::kMalformed;
    if (a.id.empty()) {
      a.id = m.slave_id().value();
      by_id_[a.id] = index;
    }
    if (!re && !a.registered) {
      a.registered = true;
      if (++registered == agents_.size()) all_registered_at = Clock::now();
      notifier_.notify();
    }
    if (re && !a.reregistered) {
      a.reregistered = true;
      if (++reregistered == agents_.size()) all_reregistered_at = Clock::now();
      notifier_.notify();
    }
    return wire::Delivery::kAccepted;
  }
  if (name == "mesos.internal.RunTaskMessage") {
    mesos::internal::RunTaskMessage m;
    if (!m.ParseFromString(msg.body)) return wire::Delivery::kMalformed;
    const std::string fid = m.framework().id().value();
    a.frameworks[fid] = std::move(*m.mutable_framework());  // a swap, not a copy
    mesos::TaskInfo* info = m.mutable_task();
    const std::string tid = info->task_id().value();
    mesos::Task& task = a.tasks[fid][tid];
    task.Clear();
    task.set_name(info->name());
    *task.mutable_task_id() = info->task_id();
    task.mutable_framework_id()->set_value(fid);
    task.mutable_slave_id()->set_value(a.id);
    task.set_state(mesos::TASK_RUNNING);
    task.set_status_update_state(mesos::TASK_RUNNING);
    task.mutable_resources()->Swap(info->mutable_resources());
    sendUpdate(a, fid, task.task_id(), mesos::TASK_RUNNING);
    launched++;
    if (on_launched) {
      info->mutable_resources()->CopyFrom(task.resources());
      on_launched(index, *info);
    }
    notifier_.notify();
    return wire::Delivery::kAccepted;
  }
  if (name == "mesos.internal.StatusUpdateAcknowledgementMessage") {
    mesos::internal::StatusUpdateAcknowledgementMessage m;
    if (!m.ParseFromString(msg.body)) return wire::Delivery::kMalformed;
    auto f = a.tasks.find(m.framework_id().value());
    if (f != a.tasks.end()) {
      auto t = f->second.find(m.task_id().value());
      if (t != f->second.end() && t->second.state() == mesos::TASK_FINISHED) f->second.erase(t);
    }
    acks++;
    notifier_.notify();
    return wire::Delivery::kAccepted;
  }
  // Everything else (UpdateFrameworkMessage, CheckpointResourcesMessage, ...) is taken and
  // ignored.
  return wire::Delivery::kAccepted;
}

}  // namespace keel::bench
