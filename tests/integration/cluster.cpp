#include "cluster.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

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
  master_args.insert(master_args.end(), options.master_flags.begin(), options.master_flags.end());
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

// --- Helpers shared by both kinds of cluster -------------------------------------------

namespace keel::testing {

namespace {

int freePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

pid_t spawnLogged(const std::vector<std::string>& args, const std::string& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  auto argv = argvOf(args);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, const_cast<char* const*>(argv.data()),
                       environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + args[0]);
  return pid;
}

// SIGTERM, then SIGKILL if the process has not exited within `grace`.
void terminate(pid_t pid, std::chrono::milliseconds grace) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  auto until = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < until) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

}  // namespace

std::optional<std::string> httpGet(const std::string& address, const std::string& path) {
  size_t colon = address.rfind(':');
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
  inet_pton(AF_INET, address.substr(0, colon).c_str(), &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return std::nullopt;
  }
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + address + "\r\nConnection: close\r\n\r\n";
  if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return std::nullopt;
  }
  std::string reply;
  char buf[65536];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) reply.append(buf, n);
  close(fd);
  if (reply.rfind("HTTP/1.1 200", 0) != 0) return std::nullopt;
  size_t body = reply.find("\r\n\r\n");
  return body == std::string::npos ? std::nullopt : std::optional(reply.substr(body + 4));
}

bool eventually(std::function<bool()> predicate, std::chrono::milliseconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return predicate();
}

ProcessCluster::ProcessCluster(Options options) {
  char tmpl[] = "/tmp/keel-processes-XXXXXX";
  work_dir_ = mkdtemp(tmpl);
  master_port_ = freePort();
  master_ = spawnLogged({KEEL_BIN_DIR "/keel-master", "--ip=127.0.0.1",
                         "--port=" + std::to_string(master_port_), "--registry=in_memory",
                         "--allocation_interval=" + options.allocation_interval},
                        work_dir_ + "/master.log");
  if (!eventually([this] { return httpGet(masterAddress(), "/health").has_value(); })) {
    throw std::runtime_error("keel-master did not come up");
  }
  options_ = options;
  for (int i = 0; i < options.agents; ++i) {
    agent_ports_.push_back(freePort());
    agents_.push_back(spawnAgent(static_cast<size_t>(i), {}));
  }
  const std::string expected = "\"activated_slaves\":" + std::to_string(options.agents) + ".0";
  if (!eventually([&] {
        auto state = httpGet(masterAddress(), "/state");
        return state && state->find(expected) != std::string::npos;
      })) {
    throw std::runtime_error("keel-agents did not register");
  }
}

pid_t ProcessCluster::spawnAgent(size_t i, const std::vector<std::string>& extra_flags) {
  std::vector<std::string> args = {
      KEEL_BIN_DIR "/keel-agent", "--master=" + masterAddress(), "--ip=127.0.0.1",
      "--port=" + std::to_string(agent_ports_.at(i)), "--work_dir=" + agentWorkDir(i),
      "--registration_backoff_factor=10ms", "--executor_shutdown_grace_period=2secs",
      "--resources=" + options_.agent_resources};
  args.insert(args.end(), extra_flags.begin(), extra_flags.end());
  return spawnLogged(args, work_dir_ + "/agent-" + std::to_string(i) + ".log");
}

void ProcessCluster::killAgent(size_t i, int signal) {
  pid_t& pid = agents_.at(i);
  if (pid <= 0) return;
  kill(pid, signal);
  waitpid(pid, nullptr, 0);
  pid = -1;
}

void ProcessCluster::restartAgent(size_t i, const std::vector<std::string>& extra_flags) {
  killAgent(i);
  agents_.at(i) = spawnAgent(i, extra_flags);
}

std::optional<int> ProcessCluster::waitAgentExit(size_t i, std::chrono::milliseconds deadline) {
  pid_t& pid = agents_.at(i);
  auto until = std::chrono::steady_clock::now() + deadline;
  while (pid > 0 && std::chrono::steady_clock::now() < until) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      pid = -1;
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

ProcessCluster::~ProcessCluster() {
  for (pid_t agent : agents_) terminate(agent, std::chrono::seconds(15));
  terminate(master_, std::chrono::seconds(5));
  std::error_code ec;
  std::filesystem::remove_all(work_dir_, ec);
}

}  // namespace keel::testing
