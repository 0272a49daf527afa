#pragma once

// Shared pieces of keel-bench: its options, a bounded wait with a progress line, and
// running work on an event loop from the driving thread.

#include <chrono>
#include <stdlib.h>

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

#include "runtime/event_loop.hpp"

namespace keel::bench {

using Clock = std::chrono::steady_clock;

inline double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}
inline double msBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

struct Options {
  std::string master;  // "ip:port" of an external master; empty = start one in-process
  int agents = 1000;
  int frameworks = 10;
  int tasks = 20000;         // launch: tasks to launch
  int tasks_per_agent = 10;  // reregister (and state): tasks running on each agent
  int completed_per_agent = 0;  // state: completed tasks per agent (launched, then finished)
  int state_frameworks = 1;     // state: frameworks holding the tasks
  std::vector<std::string> master_flags;  // extra flags of the in-process master
  int samples = 200;         // offer_latency: samples; state: /health samples
  int state_requests = 5;    // state: sequential GET /master/state
  int clients = 4;           // state: concurrent /state pollers while /health is sampled
  std::string agent_resources = "cpus:8;mem:16384;disk:100000;ports:[31000-32000]";
  std::string task_resources = "cpus:1;mem:32";
  std::string allocation_interval = "1secs";  // in-process master only
  std::string registry = "in_memory";         // in-process master: or replicated_log
  int passes = 10;                            // allocation: passes measured
  int real_tasks = 1000;                      // real_agent: command tasks on one agent
  std::string real_command = "sleep 60";      // real_agent: each task's shell command
  std::chrono::milliseconds timeout{120000};  // per scenario
};

// A directory of its own under the system's temporary directory, removed with everything in
// it when this goes; path() is empty if it could not be made.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "keel-bench") {
    std::string pattern =
        (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The driving thread waits here for what the simulation (on its loop) reports; the loop
// calls notify() when something that a wait may depend on changed.
class Notifier {
 public:
  void notify();

  // Waits until pred() or the deadline; every second (and at the end) prints
  // "[what] progress()" on stderr. pred and progress must be thread-safe (atomics).
  bool waitFor(const std::string& what, const std::function<bool()>& pred,
               const std::function<std::string()>& progress, Clock::time_point deadline);

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
};

// Runs fn on the loop thread and returns its result; the loop must be running.
template <class F>
auto onLoop(runtime::EventLoop& loop, F fn) -> decltype(fn()) {
  using R = decltype(fn());
  std::promise<R> p;
  loop.post([&] {
    if constexpr (std::is_void_v<R>) {
      fn();
      p.set_value();
    } else {
      p.set_value(fn());
    }
  });
  return p.get_future().get();
}

}  // namespace keel::bench
