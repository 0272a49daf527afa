#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.hpp"

namespace keel::agent {

// Everything needed to start one executor process.
struct LaunchSpec {
  std::string path;                        // executable (absolute, or looked up in env PATH)
  std::vector<std::string> argv;           // argv[0] included
  std::map<std::string, std::string> env;  // the complete environment; nothing inherited
  std::string working_dir;                 // cwd of the child; must exist
  std::string stdout_path;                 // created/appended; empty = /dev/null
  std::string stderr_path;                 // created/appended; empty = /dev/null
};

// The seam between the agent and the operating system's processes. The agent calls
// these on its loop thread; callbacks may run on any thread (the agent re-posts them
// to its loop). Two implementations: PosixProcessLauncher and the tests' fake.
class ProcessLauncher {
 public:
  using LaunchDone = std::function<void(Result<pid_t>)>;
  using ExitDone = std::function<void(int wait_status)>;

  virtual ~ProcessLauncher() = default;

  // Starts `spec` as the leader of a new session (and process group). `done` is called
  // exactly once with the pid, or an error saying why the process could not start.
  virtual void launch(LaunchSpec spec, LaunchDone done) = 0;

  // Calls `on_exit` exactly once with the raw waitpid() status when `pid` (a child
  // returned by launch) exits. A live process that is not our child (an executor a
  // restarted agent recovered) is watched until it is gone and reports -1; watching a
  // pid that does not exist reports -1 at once.
  virtual void watch(pid_t pid, ExitDone on_exit) = 0;

  // Sends `signal` to the process group led by `pid`. Errors are reported, not fatal.
  virtual Status killGroup(pid_t pid, int signal) = 0;
};

// posix_spawn(POSIX_SPAWN_SETSID) on a worker thread; a reaper thread polls the
// watched children with waitpid(WNOHANG) so that no child of other components of the
// process is ever reaped by accident, and watched non-children through /proc/<pid>/stat
// (every 100 ms; a recycled pid would look alive). Executors are their own sessions, so
// they outlive the launcher and the agent process. Thread-safe.
class ExecutorForkServer;

// The built-in executor (`keel-executor`, found by its file name) is started through its
// fork server (agent/executor_fork_server.hpp) unless the agent's environment has
// KEEL_EXECUTOR_FORK_SERVER=0; anything else, or when the server cannot serve, is
// spawned.
class PosixProcessLauncher final : public ProcessLauncher {
 public:
  PosixProcessLauncher();
  ~PosixProcessLauncher() override;  // stops and joins both threads

  void launch(LaunchSpec spec, LaunchDone done) override;
  void watch(pid_t pid, ExitDone on_exit) override;
  Status killGroup(pid_t pid, int signal) override;

  // The blocking part of launch(), exposed for tests and for tools that launch
  // synchronously.
  static Result<pid_t> spawn(const LaunchSpec& spec);

 private:
  void launchLoop();
  void reapLoop();
  Result<pid_t> start(const LaunchSpec& spec);  // on the launch thread

  std::mutex mutex_;
  std::condition_variable launch_cv_;
  std::condition_variable reap_cv_;
  bool stopping_ = false;
  std::deque<std::pair<LaunchSpec, LaunchDone>> launches_;
  std::map<pid_t, ExitDone> watched_;
  const bool use_fork_server_;
  bool fork_server_failed_ = false;                 // launch thread only
  std::unique_ptr<ExecutorForkServer> fork_server_;  // set once, under mutex_
  std::thread launch_thread_;
  std::thread reap_thread_;
};

}  // namespace keel::agent
