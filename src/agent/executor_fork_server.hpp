#pragma once

// The agent's end of keel-executor's fork server (src/exe/fork_server.hpp): starts
// `keel-executor --fork_server` once and asks it for each built-in executor instead of
// spawning the binary, which saves the executor's whole start-up (docs/benchmarks.md,
// real_agent). Its children are the server's, not the agent's: the server reports their
// exit statuses, kept here until the reaper takes them. Used by PosixProcessLauncher only.

#include <sys/types.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "agent/process_launcher.hpp"
#include "common/status.hpp"

namespace keel::agent {

class ExecutorForkServer {
 public:
  // Starts the server from `executable`; an error if it cannot be started.
  static Result<std::unique_ptr<ExecutorForkServer>> start(const std::string& executable);
  ~ExecutorForkServer();  // the server exits; the executors it started live on

  ExecutorForkServer(const ExecutorForkServer&) = delete;
  ExecutorForkServer& operator=(const ExecutorForkServer&) = delete;

  const std::string& executable() const { return executable_; }

  // Whether `spec` may be started by the server rather than exec'd: the server's
  // binary, and no environment that acts when a program is loaded or initialises
  // (LD_*, GLOG_*, GOOGLE_*, MALLOC_*, GLIBC_TUNABLES), since a forked child skips both.
  bool serves(const LaunchSpec& spec) const;

  // Starts `spec` through the server (blocking). An error if the server refused it or is
  // gone; the caller may then spawn it itself.
  Result<pid_t> launch(const LaunchSpec& spec);

  enum class Child { kNotOurs, kRunning, kExited, kLost };
  // For a pid: not started by this server; still running; exited (status set); or the
  // server died before saying (the child was reparented and its status is lost).
  Child poll(pid_t pid, int* status);

 private:
  ExecutorForkServer(std::string executable, pid_t pid, int fd);
  void readLoop();

  const std::string executable_;
  const pid_t server_pid_;
  const int fd_;
  std::mutex launch_mutex_;  // one request at a time
  std::mutex mutex_;
  std::condition_variable replied_;
  std::optional<std::pair<char, int>> reply_;
  bool dead_ = false;
  std::set<pid_t> children_;
  std::map<pid_t, int> exits_;
  std::thread reader_;
};

}  // namespace keel::agent
