#pragma once

// What the scenarios share: a cluster under test (harness + simulated agents and frameworks)
// and a task launcher that keeps launching into offers until it reaches its count.

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common.hpp"
#include "harness.hpp"
#include "report.hpp"
#include "sim_agent.hpp"
#include "sim_framework.hpp"

namespace keel::bench {

// Parses Mesos's resource text ("cpus:8;mem:1024;ports:[1-2]") into protobufs.
Result<std::vector<mesos::Resource>> parseResources(const std::string& text);
// The sum of the scalar resource `name`.
double scalarOf(const google::protobuf::RepeatedPtrField<mesos::Resource>& resources,
                const std::string& name);

// The number under "key" in a flat JSON object of numbers (metrics/snapshot), if present.
std::optional<double> metricValue(const std::string& json, const std::string& key);

class Bench;
// The "master" parameter of a scenario: "in-process <address>" or the external address.
std::string masterParam(Bench& bench);

// Conditions that change what the real_agent scenario measures, as parameters: loopback
// sockets in TIME_WAIT (thousands left by earlier runs within the last minute make every
// connect() search for a free ephemeral port) and the file system type of `dir`.
size_t socketsInTimeWait();
std::string fileSystemType(const std::string& dir);

class Launcher;

class Bench {
 public:
  static Result<std::unique_ptr<Bench>> create(const Options& options);
  ~Bench();  // simulation objects go on the loop, then the harness

  // Starts `n` agents and waits until all are registered.
  Status registerAgents(int n);
  // Adds `m` frameworks (numbered on from frameworks().size() + 1), runs `setup` on each (on
  // the loop, before it subscribes: install handlers there), and waits until all subscribed.
  Status subscribeFrameworks(int m, std::function<void(SimFramework&, int index)> setup = nullptr);

  // Waits until every task of `launcher` reached TASK_RUNNING; an error if one ended
  // otherwise or the deadline passed.
  Status waitForLaunch(Launcher& launcher);

  // Waits (bounded by the scenario deadline) with a progress line.
  Status wait(const std::string& what, const std::function<bool()>& pred,
              const std::function<std::string()>& progress);

  Harness& harness() { return *harness_; }
  runtime::EventLoop& loop() { return harness_->loop(); }
  SimAgents& agents() { return *agents_; }
  std::vector<std::unique_ptr<SimFramework>>& frameworks() { return frameworks_; }
  const Options& options() const { return options_; }
  Clock::time_point deadline() const { return deadline_; }

 private:
  Bench() = default;
  Options options_;
  Clock::time_point deadline_;
  std::unique_ptr<Harness> harness_;
  std::unique_ptr<SimAgents> agents_;
  std::vector<std::unique_ptr<SimFramework>> frameworks_;
};

// Launches `target` tasks of `task_resources` into whatever offers its frameworks get,
// and measures each task from its ACCEPT to its acknowledged TASK_RUNNING. Install before
// the frameworks subscribe or before offers flow; loop thread for everything but counters.
class Launcher {
 public:
  Launcher(size_t target, std::vector<mesos::Resource> task_resources)
      : target_(target), task_resources_(std::move(task_resources)) {}

  void install(SimFramework& framework, int index);

  std::atomic<size_t> running{0};
  std::atomic<size_t> failed{0};  // terminal updates other than RUNNING
  size_t target() const { return target_; }
  // Valid once running == target (read after a loop round trip).
  Clock::time_point first_accept, last_running;
  std::vector<double> latencies_ms;

 private:
  size_t target_;
  size_t issued_ = 0;
  size_t next_task_ = 0;
  bool started_ = false;
  std::vector<mesos::Resource> task_resources_;
  std::unordered_map<std::string, Clock::time_point> accepted_at_;
};

}  // namespace keel::bench
