#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glog/logging.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "agent/executor_fork_server.hpp"
#include "agent/process_launcher.hpp"
#include "agent/spawn_attributes.hpp"
#include "common/files.hpp"

namespace keel::agent {

namespace {

// How often watched children are polled. Mesos's reaper polls too; a short interval
// keeps executor-exit handling prompt without a SIGCHLD handler that would reap
// children belonging to other components of the process.
constexpr auto kReapInterval = std::chrono::milliseconds(100);
// The built-in executor's file name: the one the fork server can start.
constexpr std::string_view kBuiltInExecutor = "keel-executor";

// `path` on the environment's PATH (a default one if it has none); `path` itself if it is
// not found there, for posix_spawn to report.
std::string findExecutable(const std::string& path, const std::map<std::string, std::string>& env) {
  auto it = env.find("PATH");
  std::string found = findOnPath(
      path, it != env.end() ? std::string_view(it->second) : "/usr/local/bin:/usr/bin:/bin");
  return found.empty() ? path : found;
}

// Whether `pid` exists and is not a zombie, from /proc/<pid>/stat (the state letter
// follows the parenthesised command name, which may itself contain ')').
bool runningNonChild(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!in || !std::getline(in, stat)) {
    return false;
  }
  size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) {
    return false;
  }
  char state = stat[close + 2];
  return state != 'Z' && state != 'X';
}

std::string errnoMessage(const std::string& what, int error) {
  return what + ": " + ::strerror(error);
}

}  // namespace

PosixProcessLauncher::PosixProcessLauncher()
    : use_fork_server_([] {
        const char* v = std::getenv("KEEL_EXECUTOR_FORK_SERVER");
        return v == nullptr || std::string(v) != "0";
      }()) {
  launch_thread_ = std::thread([this] { launchLoop(); });
  reap_thread_ = std::thread([this] { reapLoop(); });
}

PosixProcessLauncher::~PosixProcessLauncher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  launch_cv_.notify_all();
  reap_cv_.notify_all();
  launch_thread_.join();
  reap_thread_.join();
}

void PosixProcessLauncher::launch(LaunchSpec spec, LaunchDone done) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    launches_.emplace_back(std::move(spec), std::move(done));
  }
  launch_cv_.notify_one();
}

void PosixProcessLauncher::watch(pid_t pid, ExitDone on_exit) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    watched_[pid] = std::move(on_exit);
  }
  reap_cv_.notify_one();
}

Status PosixProcessLauncher::killGroup(pid_t pid, int signal) {
  if (pid <= 1) {
    return Status::error("Refusing to signal process group " + std::to_string(pid));
  }
  if (::killpg(pid, signal) != 0) {
    return Status::error(errnoMessage("killpg(" + std::to_string(pid) + ")", errno));
  }
  return Status::ok();
}

Result<pid_t> PosixProcessLauncher::spawn(const LaunchSpec& spec) {
  if (spec.argv.empty()) {
    return Result<pid_t>::error("Empty argv");
  }
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);

  const char* out = spec.stdout_path.empty() ? "/dev/null" : spec.stdout_path.c_str();
  const char* err = spec.stderr_path.empty() ? "/dev/null" : spec.stderr_path.c_str();
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (!spec.working_dir.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, spec.working_dir.c_str());
  }
  // Nothing of the agent leaks into the executor: an inherited listening socket (asio
  // does not open sockets close-on-exec) would keep the agent's port bound after the
  // agent dies, and a restarted agent could not listen there again.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);

  // A fresh session so the whole executor tree can be signalled as one group, with
  // default dispositions and an empty mask whatever the agent's threads have set.
  defaultSignalsOnSpawn(&attr, POSIX_SPAWN_SETSID);

  std::vector<std::string> env_strings;
  env_strings.reserve(spec.env.size());
  for (const auto& [key, value] : spec.env) {
    env_strings.push_back(key + "=" + value);
  }
  std::vector<char*> envp;
  for (auto& s : env_strings) {
    envp.push_back(s.data());
  }
  envp.push_back(nullptr);
  std::vector<std::string> args = spec.argv;
  std::vector<char*> argv;
  for (auto& s : args) {
    argv.push_back(s.data());
  }
  argv.push_back(nullptr);

  std::string executable = findExecutable(spec.path, spec.env);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, executable.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return Result<pid_t>::error(errnoMessage("Failed to execute '" + executable + "'", rc));
  }
  return pid;
}

void PosixProcessLauncher::launchLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    launch_cv_.wait(lock, [this] { return stopping_ || !launches_.empty(); });
    if (stopping_) {
      return;
    }
    auto [spec, done] = std::move(launches_.front());
    launches_.pop_front();
    lock.unlock();
    done(start(spec));
    lock.lock();
  }
}

Result<pid_t> PosixProcessLauncher::start(const LaunchSpec& spec) {
  const bool built_in = std::filesystem::path(spec.path).filename() == kBuiltInExecutor;
  if (use_fork_server_ && built_in) {
    if (!fork_server_ && !fork_server_failed_) {
      auto server = ExecutorForkServer::start(spec.path);
      if (server.isOk()) {
        std::lock_guard<std::mutex> lock(mutex_);
        fork_server_ = std::move(*server);
      } else {
        fork_server_failed_ = true;
        LOG(WARNING) << server.message() << "; executors will be spawned";
      }
    }
    if (fork_server_ && fork_server_->serves(spec)) {
      auto pid = fork_server_->launch(spec);
      if (pid.isOk()) return pid;
      VLOG(1) << pid.message() << "; spawning it instead";
    }
  }
  return spawn(spec);
}

void PosixProcessLauncher::reapLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    std::vector<std::pair<ExitDone, int>> exited;
    for (auto it = watched_.begin(); it != watched_.end();) {
      int status = 0;
      if (fork_server_) {
        // A child of the fork server: its status comes from the server (or, if the server
        // died first, the process is watched like any non-child).
        auto child = fork_server_->poll(it->first, &status);
        if (child == ExecutorForkServer::Child::kRunning) {
          ++it;
          continue;
        }
        if (child == ExecutorForkServer::Child::kExited) {
          exited.emplace_back(std::move(it->second), status);
          it = watched_.erase(it);
          continue;
        }
      }
      pid_t rc = ::waitpid(it->first, &status, WNOHANG);
      if (rc == 0 || (rc < 0 && errno == EINTR)) {
        ++it;
        continue;
      }
      if (rc < 0 && errno == ECHILD && runningNonChild(it->first)) {
        // An executor recovered by a restarted agent: not ours to reap, so polled.
        ++it;
        continue;
      }
      exited.emplace_back(std::move(it->second), rc == it->first ? status : -1);
      it = watched_.erase(it);
    }
    lock.unlock();
    for (auto& [callback, status] : exited) {
      callback(status);
    }
    lock.lock();
    if (watched_.empty()) {
      reap_cv_.wait(lock, [this] { return stopping_ || !watched_.empty(); });
    } else {
      reap_cv_.wait_for(lock, kReapInterval, [this] { return stopping_; });
    }
  }
}

}  // namespace keel::agent
