// keel-bench: a load generator that simulates agents and frameworks over real sockets speaking
// Mesos's v0 wire protocol, against an in-process Keel master or any master given by
// --master=ip:port (loopback only). See usage() and docs/benchmarks.md.

#include <glog/logging.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "common/log_time_zone.hpp"
#include "common/malloc_tuning.hpp"
#include "runtime/clock.hpp"
#include "scenarios.hpp"

namespace {

using keel::bench::Options;

void usage() {
  std::fprintf(stderr, R"(usage: keel-bench [scenario...] [--flag=value...]
scenarios: register launch offer_latency reregister state memory real_agent allocation all
           (default: all)
  --master=IP:PORT          an external master (127.0.0.1 only); default: one in this process
  --agents=N                simulated agents (default 1000)
  --frameworks=M            frameworks for launch and allocation (default 10)
  --tasks=K                 tasks for launch (default 20000)
  --tasks_per_agent=T       reregister/state/memory: tasks on each agent (default 10)
  --completed_per_agent=C   state: completed tasks per agent (default 0)
  --state_frameworks=F      state: frameworks holding the tasks (default 1)
  --samples=S               offer_latency samples; state: /health samples (default 200)
  --state_requests=R        state: sequential GET /master/state (default 5)
  --clients=C               state: concurrent /state pollers (default 4)
  --agent_resources=TEXT    default "cpus:8;mem:16384;disk:100000;ports:[31000-32000]"
  --task_resources=TEXT     launch: each task (default "cpus:1;mem:32")
  --allocation_interval=D   in-process master (default 1secs)
  --registry=R              in-process master: in_memory (default) or replicated_log (a
                            durable registry in a temporary work dir, kept across the
                            reregister scenario's restart)
  --passes=P                allocation: periodic passes measured (default 10)
  --real_tasks=N            real_agent: command tasks on one keel-agent (default 1000)
  --real_command=CMD        real_agent: each task's command (default "sleep 60")
  --timeout=D               per scenario (default 120secs)
  --json=FILE               also write the results as JSON
  --smoke                   every scenario at a tiny size; exit status only
  --verbose                 the master's INFO log on stderr
)");
}

bool parseInt(const std::string& v, int* out) {
  try {
    size_t used = 0;
    int n = std::stoi(v, &used);
    if (used != v.size() || n < 0) return false;
    *out = n;
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace

int main(int argc, char** argv) {
  keel::tuneMallocForDaemon();
  keel::pinLocalTimeZoneForLogging();
  Options o;
  std::vector<std::string> scenarios;
  std::string json;
  bool smoke = false;
  bool verbose = false;
  std::vector<std::pair<std::string, std::string>> flags;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      usage();
      return 0;
    }
    if (a.rfind("--", 0) != 0) {
      scenarios.push_back(a);
      continue;
    }
    auto eq = a.find('=');
    flags.emplace_back(a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2),
                       eq == std::string::npos ? "" : a.substr(eq + 1));
  }
  for (const auto& [k, v] : flags) {
    if (k == "smoke") {
      smoke = true;
      o.agents = 20;
      o.frameworks = 2;
      o.tasks = 100;
      o.tasks_per_agent = 5;
      o.samples = 10;
      o.allocation_interval = "100ms";  // offer_latency waits for allocation passes
      o.state_requests = 3;
      o.clients = 2;
      o.real_tasks = 5;
      o.passes = 2;
      o.completed_per_agent = 2;
      o.state_frameworks = 2;
      o.timeout = std::chrono::seconds(30);
    }
  }
  for (const auto& [k, v] : flags) {
    bool ok = true;
    if (k == "smoke")
      continue;
    else if (k == "verbose")
      verbose = true;
    else if (k == "master")
      o.master = v;
    else if (k == "json")
      json = v;
    else if (k == "agents")
      ok = parseInt(v, &o.agents) && o.agents > 0;
    else if (k == "frameworks")
      ok = parseInt(v, &o.frameworks) && o.frameworks > 0;
    else if (k == "tasks")
      ok = parseInt(v, &o.tasks);
    else if (k == "tasks_per_agent")
      ok = parseInt(v, &o.tasks_per_agent);
    else if (k == "completed_per_agent")
      ok = parseInt(v, &o.completed_per_agent) && o.completed_per_agent >= 0;
    else if (k == "state_frameworks")
      ok = parseInt(v, &o.state_frameworks) && o.state_frameworks > 0;
    else if (k == "samples")
      ok = parseInt(v, &o.samples) && o.samples > 0;
    else if (k == "state_requests")
      ok = parseInt(v, &o.state_requests) && o.state_requests > 0;
    else if (k == "clients")
      ok = parseInt(v, &o.clients);
    else if (k == "agent_resources")
      o.agent_resources = v;
    else if (k == "task_resources")
      o.task_resources = v;
    else if (k == "allocation_interval")
      o.allocation_interval = v;
    else if (k == "registry")
      ok = (o.registry = v) == "in_memory" || v == "replicated_log";
    else if (k == "passes")
      ok = parseInt(v, &o.passes) && o.passes > 0;
    else if (k == "real_tasks")
      ok = parseInt(v, &o.real_tasks) && o.real_tasks > 0;
    else if (k == "real_command")
      ok = !(o.real_command = v).empty();
    else if (k == "timeout") {
      keel::runtime::Duration d{};
      ok = keel::runtime::parseDuration(v, &d);
      o.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(d);
    } else {
      std::fprintf(stderr, "unknown flag --%s\n", k.c_str());
      usage();
      return 2;
    }
    if (!ok) {
      std::fprintf(stderr, "bad value for --%s: '%s'\n", k.c_str(), v.c_str());
      return 2;
    }
  }
  if (scenarios.empty() || (scenarios.size() == 1 && scenarios[0] == "all")) {
    scenarios = keel::bench::scenarioNames();
  }
  if (!verbose) FLAGS_minloglevel = google::GLOG_WARNING;
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);

  std::vector<keel::bench::ScenarioResult> results;
  bool all_ok = true;
  for (const auto& name : scenarios) {
    results.push_back(keel::bench::runScenario(name, o));
    all_ok = all_ok && results.back().ok;
  }
  keel::bench::printTable(std::cout, results);
  if (!json.empty()) {
    std::ofstream out(json);
    out << keel::bench::toJson(results);
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", json.c_str());
      return 1;
    }
  }
  if (smoke) std::fprintf(stderr, "smoke: %s\n", all_ok ? "all scenarios completed" : "FAILED");
  return all_ok ? 0 : 1;
}
