// keel-bench scenarios that run Keel's real binaries beside the simulation: `memory` (the
// resident memory of a keel-master process as agents and tasks arrive) and `real_agent`
// (one keel-agent process running real command tasks through keel-executor).

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include "http_client.hpp"
#include "scenarios.hpp"
#include "support.hpp"

extern char** environ;

namespace keel::bench {

namespace {

// The directory keel-bench was started from: Keel's other binaries are built beside it.
std::string binDir() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : self.parent_path().string();
}

// A loopback port nobody listens on right now (the kernel's choice for port 0).
Result<int> freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::error("socket: " + std::string(std::strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return Status::error("bind 127.0.0.1:0: " + std::string(std::strerror(errno)));
  }
  int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

// A child process running one of Keel's binaries, its output in a log file. Stopped with
// SIGTERM (SIGKILL after 10 s) when this goes.
class Child {
 public:
  static Result<std::unique_ptr<Child>> spawn(const std::string& program,
                                              const std::vector<std::string>& args,
                                              const std::string& log) {
    if (::access(program.c_str(), X_OK) != 0) {
      return Status::error(program + " is missing (build it: ninja bench)");
    }
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(program.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return Status::error("spawn " + program + ": " + std::strerror(rc));
    return std::unique_ptr<Child>(new Child(pid, log));
  }

  ~Child() { stop(); }

  // Whether it still runs (reaps it if not).
  bool alive() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    return true;
  }

  // Resident set size in KiB, from /proc/<pid>/status (0 when unreadable).
  long rssKiB() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
    }
    return 0;
  }

  // The last lines of its log, for error messages.
  std::string logTail() const {
    std::ifstream in(log_);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.size() > 600 ? text.substr(text.size() - 600) : text;
  }

  void stop() {
    if (!alive()) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 1000 && alive(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (alive()) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

 private:
  Child(pid_t pid, std::string log) : pid_(pid), log_(std::move(log)) {}
  pid_t pid_;
  std::string log_;
};

// Polls GET `path` at `address` until it answers 200, the child dies or the deadline passes.
// (A process that has just been spawned has no way to tell us it listens; polling it is the
// only option.)
Status waitServing(Child& child, const std::string& address, const std::string& path,
                   Clock::time_point deadline) {
  while (Clock::now() < deadline) {
    if (!child.alive()) return Status::error("it exited: " + child.logTail());
    HttpClient client(address, std::chrono::milliseconds(1000));
    if (client.get(path)) return Status::ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Status::error("not serving " + path + " at " + address + " in time");
}

constexpr const char* kMemoryTaskResources = "cpus:0.1;mem:32";

}  // namespace

ScenarioResult runMemory(const Options& o) {
  ScenarioResult r;
  r.scenario = "memory";
  const int tasks = o.agents * o.tasks_per_agent;
  r.params = {{"agents", std::to_string(o.agents)},
              {"tasks", std::to_string(tasks)},
              {"task_resources", kMemoryTaskResources},
              {"agent_resources", o.agent_resources}};
  if (!o.master.empty()) {
    r.ok = true;
    r.error = "skipped: measures a keel-master process it starts itself";
    return r;
  }
  auto task_res = parseResources(kMemoryTaskResources);
  if (!task_res) return failed(r, task_res.message());
  TempDir dir;
  if (dir.path().empty()) return failed(r, "cannot create a temporary directory");
  auto port = freePort();
  if (!port) return failed(r, port.message());
  const std::string address = "127.0.0.1:" + std::to_string(*port);
  auto master = Child::spawn(binDir() + "/keel-master",
                             {"--ip=127.0.0.1", "--port=" + std::to_string(*port),
                              "--registry=in_memory", "--work_dir=" + dir.path(),
                              "--allocation_interval=" + o.allocation_interval},
                             dir.path() + "/master.log");
  if (!master) return failed(r, master.message());
  const auto setup_deadline = Clock::now() + o.timeout;
  if (Status s = waitServing(**master, address, "/master/health", setup_deadline); !s.isOk()) {
    return failed(r, "keel-master: " + s.message());
  }
  r.params.emplace_back("master", "keel-master process at " + address);
  const long idle = (*master)->rssKiB();

  Options mo = o;
  mo.master = address;
  Launcher launcher(static_cast<size_t>(tasks), *task_res);
  auto b = Bench::create(mo);
  if (!b) return failed(r, b.message());
  Bench& bench = **b;
  if (Status s = bench.registerAgents(o.agents); !s.isOk()) return failed(r, s.message());
  const long with_agents = (*master)->rssKiB();
  Status s = bench.subscribeFrameworks(
      1, [&launcher](SimFramework& f, int index) { launcher.install(f, index); });
  if (!s.isOk()) return failed(r, s.message());
  s = bench.waitForLaunch(launcher);
  if (!s.isOk()) return failed(r, s.message());
  const long with_tasks = (*master)->rssKiB();
  if (idle <= 0 || with_agents <= 0 || with_tasks <= 0) {
    return failed(r, "cannot read the master's VmRSS");
  }
  const double mib = 1024.0;
  r.figures.push_back({"keel-master RSS idle", idle / mib, "MiB", ""});
  r.figures.push_back({"RSS with the agents", with_agents / mib, "MiB", ""});
  r.figures.push_back({"RSS with the agents and tasks", with_tasks / mib, "MiB", ""});
  r.figures.push_back({"RSS per 10,000 agents", (with_agents - idle) / mib * 10000.0 / o.agents,
                       "MiB", ""});
  if (tasks > 0) {
    r.figures.push_back({"RSS per 100,000 tasks",
                         (with_tasks - with_agents) / mib * 100000.0 / tasks, "MiB", ""});
  }
  r.ok = true;
  return r;
}

ScenarioResult runRealAgent(const Options& o) {
  ScenarioResult r;
  r.scenario = "real_agent";
  const size_t n = static_cast<size_t>(o.real_tasks);
  // Each command task also carries its executor's cpus 0.1 + mem 32 on the agent.
  const std::string agent_resources = "cpus:" + std::to_string(n / 8 + 1) +
                                      ";mem:" + std::to_string(n * 40 + 1024) +
                                      ";disk:100000;ports:[31000-32000]";
  const std::string task_resources = "cpus:0.01;mem:4";
  r.params = {{"tasks", std::to_string(n)},
              {"command", o.real_command},
              {"task_resources", task_resources},
              {"agent_resources", agent_resources}};
  auto task_res = parseResources(task_resources);
  if (!task_res) return failed(r, task_res.message());
  // Before the bench, whose framework's handlers use it. The framework (loop thread) launches into the real agent's offers until n tasks are
  // out, then counts RUNNING and, after the kills, KILLED.
  struct Flow {
    size_t issued = 0;
    std::map<std::string, mesos::SlaveID> tasks;  // id → agent
    Clock::time_point first_accept, all_running, kill_sent, all_killed;
    std::atomic<size_t> running{0}, killed{0}, other{0};
    std::string other_text;
  } flow;
  TempDir dir;
  if (dir.path().empty()) return failed(r, "cannot create a temporary directory");
  r.params.emplace_back("work_dir", dir.path() + " (" + fileSystemType(dir.path()) + ")");
  r.params.emplace_back("TIME_WAIT sockets at start", std::to_string(socketsInTimeWait()));
  auto b = Bench::create(o);
  if (!b) return failed(r, b.message());
  Bench& bench = **b;
  r.params.emplace_back("master", masterParam(bench));
  auto port = freePort();
  if (!port) return failed(r, port.message());
  auto agent = Child::spawn(
      binDir() + "/keel-agent",
      {"--master=" + bench.harness().masterAddress(), "--ip=127.0.0.1",
       "--port=" + std::to_string(*port), "--work_dir=" + dir.path() + "/agent",
       "--resources=" + agent_resources, "--launcher_dir=" + binDir(),
       "--registration_backoff_factor=10ms"},
      dir.path() + "/agent.log");
  if (!agent) return failed(r, agent.message());

  Flow* fl = &flow;
  std::vector<mesos::Resource> per_task = *task_res;
  const std::string command = o.real_command;
  Status s = bench.subscribeFrameworks(1, [fl, n, per_task, command](SimFramework& f, int) {
    SimFramework* fw = &f;
    f.on_offers = [fl, n, per_task, command, fw](std::vector<mesos::Offer>&& offers) {
      for (const auto& offer : offers) {
        size_t fits = n - fl->issued;
        for (const auto& res : per_task) {
          double have = scalarOf(offer.resources(), res.name());
          // The executor's share comes out of the same offer.
          double need = res.scalar().value() + (res.name() == "cpus" ? 0.1 : 32);
          fits = std::min(fits, static_cast<size_t>(std::floor(have / need + 1e-9)));
        }
        if (fits == 0) {
          fw->decline({offer.id()}, 3600);
          continue;
        }
        if (fl->issued == 0) fl->first_accept = Clock::now();
        std::vector<mesos::TaskInfo> tasks;
        for (size_t i = 0; i < fits; ++i) {
          mesos::TaskInfo t;
          const std::string id = "real-" + std::to_string(fl->issued + i);
          t.set_name(id);
          t.mutable_task_id()->set_value(id);
          *t.mutable_slave_id() = offer.slave_id();
          for (const auto& res : per_task) *t.add_resources() = res;
          t.mutable_command()->set_value(command);
          fl->tasks[id] = offer.slave_id();
          tasks.push_back(std::move(t));
        }
        fl->issued += fits;
        fw->accept({offer.id()}, std::move(tasks), 3600);
      }
    };
    f.on_update = [fl, n](const mesos::TaskStatus& status) {
      switch (status.state()) {
        case mesos::TASK_STARTING:
        case mesos::TASK_KILLING:
          break;
        case mesos::TASK_RUNNING:
          if (++fl->running == n) fl->all_running = Clock::now();
          break;
        case mesos::TASK_KILLED:
          if (++fl->killed == n) fl->all_killed = Clock::now();
          break;
        default:
          if (fl->other++ == 0) {
            fl->other_text = status.task_id().value() + " " +
                             mesos::TaskState_Name(status.state()) + ": " + status.message();
          }
      }
    };
  });
  if (!s.isOk()) return failed(r, s.message());
  Child* a = agent->get();
  s = bench.wait(
      "tasks running",
      [fl, n, a] { return fl->running.load() >= n || fl->other.load() > 0 || !a->alive(); },
      [fl, n] { return std::to_string(fl->running.load()) + "/" + std::to_string(n) + " running"; });
  if (!s.isOk()) return failed(r, s.message() + "; agent log: " + a->logTail());
  if (!a->alive()) return failed(r, "keel-agent exited: " + a->logTail());
  if (flow.other.load() > 0) {
    return failed(r, onLoop(bench.loop(), [fl] { return fl->other_text; }));
  }
  onLoop(bench.loop(), [&] {
    fl->kill_sent = Clock::now();
    for (const auto& [id, agent_id] : fl->tasks) {
      mesos::TaskID tid;
      tid.set_value(id);
      bench.frameworks()[0]->kill(tid, agent_id);
    }
  });
  s = bench.wait(
      "tasks killed", [fl, n] { return fl->killed.load() >= n || fl->other.load() > 0; },
      [fl, n] { return std::to_string(fl->killed.load()) + "/" + std::to_string(n) + " killed"; });
  if (!s.isOk()) return failed(r, s.message() + "; agent log: " + a->logTail());
  if (flow.other.load() > 0) {
    return failed(r, onLoop(bench.loop(), [fl] { return fl->other_text; }));
  }
  auto [first, running, kill, killed] = onLoop(bench.loop(), [fl] {
    return std::make_tuple(fl->first_accept, fl->all_running, fl->kill_sent, fl->all_killed);
  });
  r.figures.push_back({"first ACCEPT → every task TASK_RUNNING", msBetween(first, running) / 1000,
                       "s", "<= 2 s for 1,000 tasks"});
  r.figures.push_back(
      {"kills sent → every task TASK_KILLED", msBetween(kill, killed) / 1000, "s", ""});
  r.ok = true;
  return r;
}

}  // namespace keel::bench
