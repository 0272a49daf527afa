#include "cluster.hpp"

#include <glog/logging.h>

#include <stdexcept>
#include <thread>

extern char** environ;

namespace keel::testing {

namespace {

std::vector<const char*> argvOf(const std::vector<std::string>& args) {
  std::vector<const char*> out;
  for (const auto& a : args) out.push_back(a.c_str());
  out.push_back(nullptr);
  return out;
}

}  // namespace

Cluster::Cluster(Options options) {
  char tmpl[] = "/tmp/keel-cluster-XXXXXX";
  work_dir_ = mkdtemp(tmpl);

  std::vector<std::string> master_args = {"keel-master", "--ip=127.0.0.1", "--port=0",
                                          "--registry=in_memory",
                                          "--allocation_interval=" + options.allocation_interval};
  auto margv = argvOf(master_args);
  auto master_flags = loadMasterFlags(static_cast<int>(master_args.size()), margv.data(), nullptr,
                                      nullptr);
  if (!master_flags) throw std::runtime_error(master_flags.message());
  wire::TcpOptions mopts;
  auto mt = wire::TcpTransport::create(master_loop_, mopts);
  if (!mt) throw std::runtime_error(mt.message());
  master_transport_ = std::move(*mt);
  master_ = std::make_unique<master::Master>(master_loop_, *master_transport_, *master_flags);
  master_loop_.start();
  master_pid_ = onLoop(master_loop_, [this] {
    master_->start();
    return master_->pid();
  });

  for (int i = 0; i < options.agents; ++i) {
    std::string dir = work_dir_ + "/agent-" + std::to_string(i);
    std::filesystem::create_directories(dir);
    std::vector<std::string> args = {"keel-agent",
                                     "--master=" + master_pid_.str(),
                                     "--ip=127.0.0.1",
                                     "--port=0",
                                     "--work_dir=" + dir,
                                     "--launcher_dir=" KEEL_BIN_DIR,
                                     "--registration_backoff_factor=10ms",
                                     "--executor_shutdown_grace_period=2secs",
                                     "--resources=" + options.agent_resources};
    auto aargv = argvOf(args);
    auto flags = loadAgentFlags(static_cast<int>(args.size()), aargv.data(), nullptr, nullptr);
    if (!flags) throw std::runtime_error(flags.message());
    AgentNode node;
    node.loop = std::make_unique<runtime::EventLoop>();
    auto t = wire::TcpTransport::create(*node.loop, wire::TcpOptions{});
    if (!t) throw std::runtime_error(t.message());
    node.transport = std::move(*t);
    node.agent = std::make_unique<agent::Agent>(*node.loop, *node.transport, *flags, launcher_);
    node.loop->start();
    auto* a = node.agent.get();
    Status s = onLoop(*node.loop, [a] { return a->start(); });
    if (!s.isOk()) throw std::runtime_error(s.message());
    agents_.push_back(std::move(node));
  }
  const size_t n = agents_.size();
  if (!waitForMaster([n](master::Master& m) { return m.agentCount() == n; })) {
    throw std::runtime_error("agents did not register");
  }
}

Cluster::~Cluster() {
  for (auto& node : agents_) {
    std::promise<void> done;
    auto* a = node.agent.get();
    node.loop->post([a, &done] { a->shutdown("test over", [&done] { done.set_value(); }); });
    done.get_future().wait_for(std::chrono::seconds(20));
    onLoop(*node.loop, [&node] { node.transport->shutdown(); });
    node.loop->stop();
    node.loop->join();
    node.agent.reset();
  }
  onLoop(master_loop_, [this] { master_transport_->shutdown(); });
  master_loop_.stop();
  master_loop_.join();
  std::error_code ec;
  std::filesystem::remove_all(work_dir_, ec);
}

bool Cluster::waitForMaster(std::function<bool(master::Master&)> predicate,
                            std::chrono::milliseconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (onLoop(master_loop_, [&] { return predicate(*master_); })) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

bool Cluster::waitForAgent(size_t i, std::function<bool(agent::Agent&)> predicate,
                           std::chrono::milliseconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  auto& node = agents_.at(i);
  while (std::chrono::steady_clock::now() < until) {
    if (onLoop(*node.loop, [&] { return predicate(*node.agent); })) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

void RecordingScheduler::push(Event e) {
  {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(e));
  }
  cv_.notify_all();
}

void RecordingScheduler::registered(mesos::SchedulerDriver*, const mesos::FrameworkID& id,
                                    const mesos::MasterInfo&) {
  {
    std::lock_guard lock(mutex_);
    framework_id = id.value();
  }
  push({"registered", {}, {}, id.value()});
}
void RecordingScheduler::reregistered(mesos::SchedulerDriver*, const mesos::MasterInfo&) {
  push({"reregistered"});
}
void RecordingScheduler::disconnected(mesos::SchedulerDriver*) { push({"disconnected"}); }
void RecordingScheduler::resourceOffers(mesos::SchedulerDriver*,
                                        const std::vector<mesos::Offer>& offers) {
  push({"offers", offers});
}
void RecordingScheduler::offerRescinded(mesos::SchedulerDriver*, const mesos::OfferID& id) {
  push({"rescinded", {}, {}, id.value()});
}
void RecordingScheduler::statusUpdate(mesos::SchedulerDriver*, const mesos::TaskStatus& status) {
  push({"update", {}, status});
}
void RecordingScheduler::frameworkMessage(mesos::SchedulerDriver*, const mesos::ExecutorID&,
                                          const mesos::SlaveID&, const std::string& data) {
  push({"message", {}, {}, data});
}
void RecordingScheduler::slaveLost(mesos::SchedulerDriver*, const mesos::SlaveID& id) {
  push({"slaveLost", {}, {}, id.value()});
}
void RecordingScheduler::executorLost(mesos::SchedulerDriver*, const mesos::ExecutorID& e,
                                      const mesos::SlaveID&, int status) {
  push({"executorLost", {}, {}, e.value() + ":" + std::to_string(status)});
}
void RecordingScheduler::error(mesos::SchedulerDriver*, const std::string& message) {
  push({"error", {}, {}, message});
}

std::optional<RecordingScheduler::Event> RecordingScheduler::next(
    const std::string& kind, std::function<bool(const Event&)> pred,
    std::chrono::milliseconds deadline) {
  std::unique_lock lock(mutex_);
  std::optional<Event> found;
  cv_.wait_for(lock, deadline, [&] {
    for (auto it = events_.begin(); it != events_.end(); ++it) {
      if (it->kind == kind && (!pred || pred(*it))) {
        found = std::move(*it);
        events_.erase(it);
        return true;
      }
    }
    return false;
  });
  return found;
}

std::optional<mesos::TaskStatus> RecordingScheduler::awaitState(const std::string& task_id,
                                                                mesos::TaskState state,
                                                                std::chrono::milliseconds deadline) {
  auto e = next("update",
                [&](const Event& e) {
                  return e.status.task_id().value() == task_id && e.status.state() == state;
                },
                deadline);
  if (!e) return std::nullopt;
  return e->status;
}

mesos::TaskInfo commandTask(const mesos::Offer& offer, const std::string& id,
                            const std::string& command, double cpus, double mem) {
  mesos::TaskInfo task;
  task.set_name(id);
  task.mutable_task_id()->set_value(id);
  *task.mutable_slave_id() = offer.slave_id();
  auto* c = task.add_resources();
  c->set_name("cpus");
  c->set_type(mesos::Value::SCALAR);
  c->mutable_scalar()->set_value(cpus);
  auto* m = task.add_resources();
  m->set_name("mem");
  m->set_type(mesos::Value::SCALAR);
  m->mutable_scalar()->set_value(mem);
  task.mutable_command()->set_value(command);
  return task;
}

mesos::FrameworkInfo frameworkInfo(const std::string& name) {
  mesos::FrameworkInfo info;
  info.set_user("");
  info.set_name(name);
  return info;
}

}  // namespace keel::testing
