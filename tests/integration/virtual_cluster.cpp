#include "virtual_cluster.hpp"

#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <filesystem>
#include <stdexcept>

namespace keel::testing {

namespace {

std::vector<const char*> argvOf(const std::vector<std::string>& args) {
  std::vector<const char*> out;
  for (const auto& a : args) out.push_back(a.c_str());
  out.push_back(nullptr);
  return out;
}

// Waits for every handler posted to `loop` so far; false if it took more than 10 real
// seconds (a stuck loop must fail the test, not hang it).
bool drainLoop(runtime::EventLoop& loop) {
  auto done = std::make_shared<std::promise<void>>();
  auto fut = done->get_future();
  loop.post([done] { done->set_value(); });
  return fut.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// The fake launcher: launches and exits are queued and carried out by settle() on the test
// thread, so an executor driver is never built or destroyed on another component's loop.

class VirtualCluster::Launcher final : public agent::ProcessLauncher {
 public:
  explicit Launcher(VirtualCluster& cluster) : cluster_(cluster) {}

  void launch(agent::LaunchSpec spec, LaunchDone done) override {
    std::lock_guard lock(mutex_);
    pending_.emplace_back(std::move(spec), std::move(done));
  }

  void watch(pid_t pid, ExitDone on_exit) override {
    std::lock_guard lock(cluster_.executors_mutex_);
    for (auto& node : cluster_.executors_) {
      if (node->pid != pid) continue;
      if (node->exited && node->exit_requested) {
        int status = *node->exit_requested;
        on_exit(status);
      } else {
        node->on_exit = std::move(on_exit);
      }
      return;
    }
    on_exit(-1);
  }

  Status killGroup(pid_t pid, int signal) override {
    std::lock_guard lock(cluster_.executors_mutex_);
    for (auto& node : cluster_.executors_) {
      if (node->pid == pid && !node->exited && !node->exit_requested) {
        node->exit_requested = signal;  // "terminated by signal": the raw status is the signal
      }
    }
    return Status::ok();
  }

  std::deque<std::pair<agent::LaunchSpec, LaunchDone>> take() {
    std::lock_guard lock(mutex_);
    return std::exchange(pending_, {});
  }

 private:
  VirtualCluster& cluster_;
  std::mutex mutex_;
  std::deque<std::pair<agent::LaunchSpec, LaunchDone>> pending_;
};

// ---------------------------------------------------------------------------------------

void VirtualExecutor::send(mesos::ExecutorDriver* driver, const mesos::TaskID& task_id,
                           mesos::TaskState state) {
  mesos::TaskStatus status;
  status.mutable_task_id()->CopyFrom(task_id);
  status.set_state(state);
  driver->sendStatusUpdate(status);
}

void VirtualExecutor::launchTask(mesos::ExecutorDriver* driver, const mesos::TaskInfo& task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(task.task_id());
  }
  send(driver, task.task_id(), mesos::TASK_STARTING);
  send(driver, task.task_id(), mesos::TASK_RUNNING);
  const std::string command = task.has_command() ? task.command().value() : "";
  if (command == "exit 0") {
    send(driver, task.task_id(), mesos::TASK_FINISHED);
  } else if (command == "exit 1") {
    send(driver, task.task_id(), mesos::TASK_FAILED);
  }
}

void VirtualExecutor::killTask(mesos::ExecutorDriver* driver, const mesos::TaskID& task_id) {
  send(driver, task_id, mesos::TASK_KILLED);
}

void VirtualExecutor::shutdown(mesos::ExecutorDriver* driver) {
  std::vector<mesos::TaskID> tasks;
  {
    std::lock_guard lock(mutex_);
    tasks = tasks_;
  }
  for (const auto& t : tasks) send(driver, t, mesos::TASK_KILLED);
  cluster_.requestExit(executor_id_, 0);
}

// ---------------------------------------------------------------------------------------

VirtualCluster::VirtualCluster(Options options) {
  network_.setFilter([this](const wire::Message& m) {
    messages_.fetch_add(1);
    std::lock_guard lock(filter_mutex_);
    return filter_ ? filter_(m) : wire::FilterAction::deliver();
  });
  char tmpl[] = "/tmp/keel-virtual-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  work_dir_ = tmpl;
  launcher_ = std::make_unique<Launcher>(*this);

  std::vector<std::string> margs = {"keel-master", "--ip=127.0.0.1", "--port=5050"};
  const bool registry_given =
      std::any_of(options.master_flags.begin(), options.master_flags.end(),
                  [](const std::string& f) { return f.rfind("--registry=", 0) == 0; });
  if (!registry_given) margs.push_back("--registry=in_memory");
  margs.insert(margs.end(), options.master_flags.begin(), options.master_flags.end());
  auto margv = argvOf(margs);
  auto mflags = loadMasterFlags(static_cast<int>(margs.size()), margv.data(), nullptr, nullptr);
  if (!mflags) throw std::runtime_error(mflags.message());
  master_flags_ = std::make_unique<MasterFlags>(*mflags);
  master_loop_ = std::make_unique<runtime::EventLoop>(clock_);
  master_transport_ = network_.createTransport(*master_loop_);
  master_address_ = master_transport_->address();
  master_ = std::make_unique<master::Master>(*master_loop_, *master_transport_, *mflags);
  master_loop_->start();
  master_pid_ = onLoopOf(*master_loop_, [this] {
    master_->start();
    return master_->pid();
  });

  for (int i = 0; i < options.agents; ++i) {
    std::string dir = work_dir_ + "/agent-" + std::to_string(i);
    std::filesystem::create_directories(dir);
    std::vector<std::string> args = {"keel-agent",
                                     "--master=" + master_pid_.str(),
                                     "--ip=127.0.0.1",
                                     "--port=5051",
                                     "--work_dir=" + dir,
                                     "--launcher_dir=/nonexistent-keel-launcher-dir",
                                     "--resources=" + options.agent_resources};
    args.insert(args.end(), options.agent_flags.begin(), options.agent_flags.end());
    auto argv = argvOf(args);
    auto flags = loadAgentFlags(static_cast<int>(args.size()), argv.data(), nullptr, nullptr);
    if (!flags) throw std::runtime_error(flags.message());
    auto node = std::make_unique<AgentNode>();
    node->loop = std::make_unique<runtime::EventLoop>(clock_);
    node->transport = network_.createTransport(*node->loop);
    node->agent = std::make_unique<agent::Agent>(*node->loop, *node->transport, *flags, *launcher_);
    node->loop->start();
    auto* a = node->agent.get();
    Status s = onLoopOf(*node->loop, [a] { return a->start(); });
    if (!s.isOk()) throw std::runtime_error(s.message());
    agents_.push_back(std::move(node));
  }
  settle();
  const size_t n = agents_.size();
  auto all_registered = [this, n] {
    if (onMaster([](master::Master& m) { return m.agentCount(); }) != n) return false;
    for (size_t i = 0; i < n; ++i) {
      // The agent itself knows once the master has recorded it (a durable registry
      // answers after its batch window).
      if (onAgent(i, [](agent::Agent& a) { return a.agentId().empty(); })) return false;
    }
    return true;
  };
  for (int i = 0; i < 600; ++i) {
    if (all_registered()) return;
    advance(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("agents did not register within a minute of virtual time");
}

VirtualCluster::~VirtualCluster() {
  // Make every transport unreachable while every loop is still alive, and let the resulting
  // notifications run; destroying a transport afterwards then posts nothing to other loops.
  std::vector<std::string> addresses = {master_address_};
  for (auto& a : agents_) addresses.push_back(a->transport->address());
  for (auto& s : schedulers_) {
    if (!s.address->empty()) addresses.push_back(*s.address);
  }
  {
    std::lock_guard lock(executors_mutex_);
    for (auto& e : executors_) {
      if (!e->address->empty()) addresses.push_back(*e->address);
    }
  }
  for (const auto& address : addresses) network_.kill(address);
  drainAll();

  schedulers_.clear();  // driver destructors stop their loops
  {
    std::vector<std::unique_ptr<ExecutorNode>> executors;
    {
      std::lock_guard lock(executors_mutex_);
      executors.swap(executors_);
    }
    for (auto& node : executors) node->driver.reset();
  }
  for (auto& node : agents_) {
    onLoopOf(*node->loop, [&node] {
      node->agent.reset();
      node->transport.reset();
    });
  }
  onLoopOf(*master_loop_, [this] {
    master_.reset();
    master_transport_.reset();
  });
  for (auto& node : agents_) {
    node->loop->stop();
    node->loop->join();
  }
  master_loop_->stop();
  master_loop_->join();
  agents_.clear();
  master_loop_.reset();
  std::error_code ec;
  std::filesystem::remove_all(work_dir_, ec);
}

void VirtualCluster::restartMaster() {
  network_.kill(master_address_);
  settle();
  onLoopOf(*master_loop_, [this] {
    master_.reset();
    master_ = std::make_unique<master::Master>(*master_loop_, *master_transport_, *master_flags_);
  });
  network_.revive(master_address_);
  onLoopOf(*master_loop_, [this] { master_->start(); });
  settle();
}

void VirtualCluster::setFilter(std::function<wire::FilterAction(const wire::Message&)> filter) {
  std::lock_guard lock(filter_mutex_);
  filter_ = std::move(filter);
}

bool VirtualCluster::drainAll() {
  std::vector<runtime::EventLoop*> loops = {master_loop_.get()};
  for (auto& a : agents_) loops.push_back(a->loop.get());
  for (auto& s : schedulers_) {
    if (s.driver->loop() != nullptr) loops.push_back(s.driver->loop());
  }
  {
    std::lock_guard lock(executors_mutex_);
    for (auto& e : executors_) {
      if (!e->exited && e->driver && e->driver->loop() != nullptr) {
        loops.push_back(e->driver->loop());
      }
    }
  }
  for (auto* loop : loops) {
    if (!drainLoop(*loop)) return false;
  }
  return true;
}

void VirtualCluster::settle() {
  int quiet = 0;
  for (int round = 0; round < 10000 && quiet < 2; ++round) {
    bool did = processPending();
    uint64_t before = messages_.load();
    if (!drainAll()) throw std::runtime_error("a loop did not become idle");
    if (did || messages_.load() != before) {
      quiet = 0;
    } else {
      ++quiet;
    }
  }
  if (quiet < 2) throw std::runtime_error("the cluster never became idle");
}

void VirtualCluster::advance(runtime::Duration d, runtime::Duration step) {
  while (d > runtime::Duration::zero()) {
    runtime::Duration s = std::min(d, step);
    clock_.advance(s);
    settle();
    d -= s;
  }
}

bool VirtualCluster::processPending() {
  bool did = false;
  static std::atomic<pid_t> next_pid{40000};
  for (auto& [spec, done] : launcher_->take()) {
    did = true;
    auto node = std::make_unique<ExecutorNode>();
    node->executor_id = spec.env.count("MESOS_EXECUTOR_ID") ? spec.env.at("MESOS_EXECUTOR_ID") : "";
    node->pid = next_pid.fetch_add(1);
    node->executor = std::make_unique<VirtualExecutor>(*this, node->executor_id);
    node->address = std::make_shared<std::string>();
    exec::ExecutorDriverDeps deps;
    deps.clock = &clock_;
    auto address = node->address;
    deps.make_transport = [this, address](
                              runtime::EventLoop& loop,
                              const wire::Pid&) -> Result<std::unique_ptr<wire::Transport>> {
      auto t = network_.createTransport(loop);
      *address = t->address();
      return std::unique_ptr<wire::Transport>(std::move(t));
    };
    const std::string id = node->executor_id;
    deps.kill_process_group = [this, id] { requestExit(id, SIGKILL); };
    deps.fatal = [this, id](const std::string&) { requestExit(id, 1 << 8); };
    deps.shutdown_linger = runtime::Duration::zero();
    node->driver = std::make_unique<exec::ExecutorDriverImpl>(nullptr, node->executor.get(),
                                                              spec.env, std::move(deps));
    auto* driver = node->driver.get();
    pid_t pid = node->pid;
    {
      std::lock_guard lock(executors_mutex_);
      executors_.push_back(std::move(node));
    }
    if (driver->start() != mesos::DRIVER_RUNNING) {
      done(Status::error("virtual executor driver did not start"));
      requestExit(id, 1 << 8);
      continue;
    }
    done(pid);
  }
  std::vector<std::pair<ExecutorNode*, int>> exits;
  {
    std::lock_guard lock(executors_mutex_);
    for (auto& e : executors_) {
      if (e->exit_requested && !e->exited) exits.emplace_back(e.get(), *e->exit_requested);
    }
  }
  for (auto& [node, status] : exits) {
    doExit(*node, status);
    did = true;
  }
  return did;
}

void VirtualCluster::doExit(ExecutorNode& node, int wait_status) {
  agent::ProcessLauncher::ExitDone on_exit;
  std::string address;
  {
    std::lock_guard lock(executors_mutex_);
    if (node.exited) return;
    node.exited = true;
    node.exit_requested = wait_status;
    on_exit = std::move(node.on_exit);
    address = *node.address;
  }
  // A dead process's connections break: its transport becomes unreachable. The driver object
  // itself lives on (idle) until the cluster is destroyed, so that no loop is destroyed while
  // other transports may still post to it.
  if (!address.empty()) network_.kill(address);
  if (on_exit) on_exit(wait_status);
}

void VirtualCluster::requestExit(const std::string& executor_id, int wait_status) {
  std::lock_guard lock(executors_mutex_);
  for (auto& e : executors_) {
    if (e->executor_id == executor_id && !e->exited && !e->exit_requested) {
      e->exit_requested = wait_status;
    }
  }
}

VirtualCluster::ExecutorNode* VirtualCluster::findExecutor(const std::string& executor_id) {
  for (auto& e : executors_) {
    if (e->executor_id == executor_id && !e->exited) return e.get();
  }
  return nullptr;
}

const VirtualCluster::ExecutorNode* VirtualCluster::findExecutor(
    const std::string& executor_id) const {
  for (auto& e : executors_) {
    if (e->executor_id == executor_id && !e->exited) return e.get();
  }
  return nullptr;
}

bool VirtualCluster::executorRunning(const std::string& executor_id) const {
  std::lock_guard lock(executors_mutex_);
  return findExecutor(executor_id) != nullptr;
}

size_t VirtualCluster::executorsRunning() const {
  std::lock_guard lock(executors_mutex_);
  size_t n = 0;
  for (auto& e : executors_) n += e->exited ? 0 : 1;
  return n;
}

bool VirtualCluster::exitExecutor(const std::string& executor_id, int wait_status) {
  ExecutorNode* node;
  {
    std::lock_guard lock(executors_mutex_);
    node = findExecutor(executor_id);
    if (node == nullptr) return false;
  }
  doExit(*node, wait_status);
  settle();
  return true;
}

bool VirtualCluster::sendExecutorUpdate(const std::string& executor_id, const std::string& task_id,
                                        mesos::TaskState state) {
  exec::ExecutorDriverImpl* driver;
  {
    std::lock_guard lock(executors_mutex_);
    ExecutorNode* node = findExecutor(executor_id);
    if (node == nullptr || !node->driver) return false;
    driver = node->driver.get();
  }
  mesos::TaskStatus status;
  status.mutable_task_id()->set_value(task_id);
  status.set_state(state);
  bool ok = driver->sendStatusUpdate(status) == mesos::DRIVER_RUNNING;
  settle();
  return ok;
}

mesos::SchedulerDriver* VirtualCluster::startScheduler(mesos::Scheduler* scheduler,
                                                       const mesos::FrameworkInfo& framework,
                                                       bool implicit_acknowledgements) {
  SchedulerNode node;
  node.address = std::make_shared<std::string>();
  sched::SchedulerDriverDeps deps;
  deps.clock = &clock_;
  auto address = node.address;
  deps.make_transport = [this, address](
                            runtime::EventLoop& loop,
                            const wire::Pid&) -> Result<std::unique_ptr<wire::Transport>> {
    auto t = network_.createTransport(loop);
    *address = t->address();
    return std::unique_ptr<wire::Transport>(std::move(t));
  };
  deps.uniform01 = [] { return 0.5; };
  deps.getenv = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  deps.shutdown_linger = runtime::Duration::zero();
  node.driver = std::make_unique<sched::SchedulerDriverImpl>(
      nullptr, scheduler, framework, std::vector<std::string>{}, master_pid_.str(),
      implicit_acknowledgements, std::nullopt, std::move(deps));
  auto* driver = node.driver.get();
  schedulers_.push_back(std::move(node));
  driver->start();
  settle();
  return driver;
}

std::string VirtualCluster::schedulerAddress(mesos::SchedulerDriver* driver) const {
  for (const auto& s : schedulers_) {
    if (s.driver.get() == driver) return *s.address;
  }
  return "";
}

std::optional<VirtualEvent> take(RecordingScheduler& s, const std::string& kind,
                                 std::function<bool(const VirtualEvent&)> pred) {
  return s.next(kind, std::move(pred), std::chrono::milliseconds(0));
}

std::optional<mesos::Offer> awaitOffer(VirtualCluster& c, RecordingScheduler& s) {
  for (int i = 0; i < 100; ++i) {
    if (auto e = take(s, "offers")) return e->offers.at(0);
    c.advance(std::chrono::milliseconds(100));
  }
  return std::nullopt;
}

std::optional<mesos::TaskStatus> takeUpdate(RecordingScheduler& s, const std::string& task,
                                            mesos::TaskState state) {
  auto e = take(s, "update", [&](const VirtualEvent& e) {
    return e.status.task_id().value() == task && e.status.state() == state;
  });
  if (!e) return std::nullopt;
  return e->status;
}

}  // namespace keel::testing
