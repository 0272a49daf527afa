// reregister and state, and the scenario table.

#include <atomic>
#include <set>
#include <thread>

#include "http_client.hpp"
#include "scenarios.hpp"
#include "support.hpp"

namespace keel::bench {

namespace {

// What the framework sees after the master restart (loop thread, counters atomic).
struct OfferFlow {
  bool after_restart = false;
  Clock::time_point first_offer_at, all_offered_at;
  std::set<std::string> agents_offered;
  std::atomic<size_t> offered{0};
};

constexpr const char* kSynthTaskResources = "cpus:0.1;mem:32";

}  // namespace

ScenarioResult runReregister(const Options& o) {
  ScenarioResult r;
  r.scenario = "reregister";
  r.params = {{"agents", std::to_string(o.agents)},
              {"registry", o.registry},
              {"tasks_per_agent", std::to_string(o.tasks_per_agent)},
              {"task_resources", kSynthTaskResources},
              {"agent_resources", o.agent_resources}};
  if (!o.master.empty()) {
    r.ok = true;
    r.error = "skipped: needs the in-process master (it restarts it)";
    r.params.emplace_back("master", o.master);
    return r;
  }
  auto task_res = parseResources(kSynthTaskResources);
  if (!task_res) return failed(r, task_res.message());
  OfferFlow flow;  // before the bench: the simulation's handlers use it
  auto b = Bench::create(o);
  if (!b) return failed(r, b.message());
  Bench& bench = **b;
  if (Status s = bench.registerAgents(o.agents); !s.isOk()) return failed(r, s.message());
  OfferFlow* fl = &flow;
  const size_t n = static_cast<size_t>(o.agents);
  SimFramework* framework = nullptr;
  Status s = bench.subscribeFrameworks(1, [fl, n, &framework](SimFramework& f, int) {
    framework = &f;
    f.on_offers = [fl, n](std::vector<mesos::Offer>&& offers) {
      if (!fl->after_restart) return;  // the first master's offers are simply held
      const auto now = Clock::now();
      if (fl->agents_offered.empty()) fl->first_offer_at = now;
      for (const auto& offer : offers) fl->agents_offered.insert(offer.slave_id().value());
      fl->offered = fl->agents_offered.size();
      if (fl->agents_offered.size() == n) fl->all_offered_at = now;
    };
  });
  if (!s.isOk()) return failed(r, s.message());
  const int per_agent = o.tasks_per_agent;
  onLoop(bench.loop(), [&] {
    bench.agents().addTasks(per_agent, framework->info(), *task_res);
    // The agents' messages are built before the clock starts (Mesos's benchmark builds its
    // test agents' messages up front too): the figure is the master's re-registration.
    bench.agents().prepareReregistration();
  });

  auto pid = bench.harness().restartMaster();
  if (!pid) return failed(r, pid.message());
  r.params.emplace_back("master", "in-process, restarted at " + pid->address());
  const auto start = Clock::now();
  onLoop(bench.loop(), [&] {
    fl->after_restart = true;
    framework->setMaster(*pid);
    framework->subscribe();
    bench.agents().reregisterAll(*pid);
  });
  SimAgents* agents = &bench.agents();
  s = bench.wait(
      "agents re-registered and offered",
      [agents, fl, n] { return agents->reregistered.load() >= n && fl->offered.load() >= n; },
      [agents, fl, n] {
        return std::to_string(agents->reregistered.load()) + "/" + std::to_string(n) +
               " re-registered, offers for " + std::to_string(fl->offered.load()) + " agents";
      });
  if (!s.isOk()) return failed(r, s.message());
  auto [rereg, first, all] = onLoop(bench.loop(), [&] {
    return std::make_tuple(agents->all_reregistered_at, fl->first_offer_at, fl->all_offered_at);
  });
  r.figures.push_back({"time until all agents re-registered", msBetween(start, rereg) / 1000, "s",
                       "<= 2 s at 40k agents / 400k tasks"});
  r.figures.push_back({"time until the first offer", msBetween(start, first) / 1000, "s", ""});
  r.figures.push_back(
      {"time until every agent was offered", msBetween(start, all) / 1000, "s", ""});
  r.ok = true;
  return r;
}

ScenarioResult runState(const Options& o) {
  ScenarioResult r;
  r.scenario = "state";
  const size_t running = static_cast<size_t>(o.agents) * o.tasks_per_agent;
  const size_t completed = static_cast<size_t>(o.agents) * o.completed_per_agent;
  const int frameworks = o.state_frameworks;
  r.params = {{"agents", std::to_string(o.agents)},
              {"frameworks", std::to_string(frameworks)},
              {"running tasks", std::to_string(running)},
              {"completed tasks", std::to_string(completed)},
              {"task_resources", kSynthTaskResources},
              {"state_requests", std::to_string(o.state_requests)},
              {"clients", std::to_string(o.clients)},
              {"health_samples", std::to_string(o.samples)}};
  auto task_res = parseResources(kSynthTaskResources);
  if (!task_res) return failed(r, task_res.message());
  // Every task is launched; then `completed` of them finish, so the master holds them as
  // completed tasks (it must be told to keep that many: Mesos's default is 1,000 per
  // framework).
  Launcher launcher(running + completed, *task_res);  // before the bench
  struct Finished {
    std::vector<std::pair<size_t, std::string>> launched;  // agent index, task id
    std::map<std::string, std::string> framework_of;       // task id → framework id
    std::atomic<size_t> acked{0};
  } finished;
  Options so = o;
  if (completed > 0 && o.master.empty()) {
    so.master_flags.push_back("--max_completed_tasks_per_framework=" + std::to_string(completed));
  }
  auto b = Bench::create(so);
  if (!b) return failed(r, b.message());
  Bench& bench = **b;
  r.params.emplace_back("master", bench.harness().masterAddress());
  Finished* fin = &finished;
  onLoop(bench.loop(), [&] {
    bench.agents().on_launched = [fin](size_t index, const mesos::TaskInfo& t) {
      fin->launched.emplace_back(index, t.task_id().value());
    };
  });
  if (Status s = bench.registerAgents(o.agents); !s.isOk()) return failed(r, s.message());
  Status s = bench.subscribeFrameworks(frameworks, [&launcher, fin](SimFramework& f, int index) {
    launcher.install(f, index);
    auto counted = std::move(f.on_update);
    SimFramework* fw = &f;
    f.on_update = [counted, fin, fw](const mesos::TaskStatus& status) {
      if (status.state() == mesos::TASK_FINISHED) {
        fin->acked++;
        return;
      }
      if (status.state() == mesos::TASK_RUNNING)
        fin->framework_of[status.task_id().value()] = fw->id();
      counted(status);
    };
  });
  if (!s.isOk()) return failed(r, s.message());
  s = bench.waitForLaunch(launcher);
  if (!s.isOk()) return failed(r, s.message());
  if (completed > 0) {
    onLoop(bench.loop(), [&] {
      for (size_t i = 0; i < completed && i < fin->launched.size(); ++i) {
        const auto& [index, task_id] = fin->launched[i];
        bench.agents().finishTask(index, fin->framework_of[task_id], task_id);
      }
    });
    s = bench.wait(
        "tasks finished", [fin, completed] { return fin->acked.load() >= completed; },
        [fin, completed] {
          return std::to_string(fin->acked.load()) + "/" + std::to_string(completed) +
                 " tasks finished";
        });
    if (!s.isOk()) return failed(r, s.message());
  }
  // Like Mesos's benchmark, measure a quiet master: the frameworks have launched all they
  // want and stop taking offers (otherwise unused resources keep circulating as offers and
  // declines, and the master's own work is what /state then waits for).
  onLoop(bench.loop(), [&] {
    for (auto& f : bench.frameworks()) f->suppress();
  });

  const auto remaining = [&] {
    return std::max(
        std::chrono::milliseconds(1),
        std::chrono::duration_cast<std::chrono::milliseconds>(bench.deadline() - Clock::now()));
  };
  const std::string address = bench.harness().masterAddress();
  // Offers sent before the suppression are declined by the launcher; wait until none is out.
  {
    HttpClient client(address, remaining());
    for (;;) {
      auto body = client.get("/metrics/snapshot");
      if (!body) return failed(r, "GET /metrics/snapshot: " + body.message());
      auto out = metricValue(*body, "master/outstanding_offers");
      if (out && *out == 0) break;
      if (Clock::now() >= bench.deadline()) return failed(r, "offers still outstanding");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  std::vector<double> state_ms;
  size_t state_bytes = 0;
  {
    HttpClient client(address, remaining());
    std::string body;
    for (int i = 0; i < o.state_requests; ++i) {
      const auto t0 = Clock::now();
      if (Status s = client.getInto("/master/state", &body); !s.isOk()) {
        return failed(r, "GET /master/state: " + s.message());
      }
      state_ms.push_back(msBetween(t0, Clock::now()));
      state_bytes = body.size();
    }
  }

  // C clients poll /state while /health is sampled.
  std::atomic<bool> stop{false};
  std::atomic<size_t> polls{0};
  std::atomic<size_t> poll_errors{0};
  std::vector<std::thread> pollers;
  const auto poll_timeout = remaining();
  for (int c = 0; c < o.clients; ++c) {
    pollers.emplace_back([&, poll_timeout] {
      HttpClient client(address, poll_timeout);
      std::string body;
      while (!stop.load() && Clock::now() < bench.deadline()) {
        if (client.getInto("/master/state", &body).isOk()) {
          polls++;
        } else {
          poll_errors++;
        }
      }
    });
  }
  std::vector<double> health_ms;
  std::string health_error;
  {
    HttpClient client(address, remaining());
    // At least `samples`, and for as long as it takes the pollers to get two rounds of
    // answers, so the sampling spans renders and the sending of their documents alike.
    const size_t rounds = 2 * static_cast<size_t>(o.clients);
    auto last_progress = Clock::now();
    for (int i = 0; (i < o.samples || polls.load() < rounds) && Clock::now() < bench.deadline();
         ++i) {
      const auto t0 = Clock::now();
      auto body = client.get("/health");
      if (!body) {
        health_error = body.message();
        break;
      }
      health_ms.push_back(msBetween(t0, Clock::now()));
      if (Clock::now() - last_progress >= std::chrono::seconds(1)) {  // a line a second
        last_progress = Clock::now();
        std::fprintf(stderr,
                     "[health under /state load] %d samples (at least %d), %zu/%zu /state served\n",
                     i + 1, o.samples, polls.load(), rounds);
      }
    }
  }
  stop = true;
  for (auto& t : pollers) t.join();
  if (!health_error.empty()) return failed(r, "GET /health: " + health_error);
  if (health_ms.size() < static_cast<size_t>(o.samples) ||
      polls.load() < 2 * static_cast<size_t>(o.clients))
    return failed(r, "timed out sampling /health");
  if (poll_errors.load() > 0) {
    return failed(r, std::to_string(poll_errors.load()) + " /state polls failed");
  }
  r.figures.push_back({"GET /master/state p50", percentile(state_ms, 50), "ms",
                       "<= 500 ms at 20k agents / 400k tasks"});
  r.figures.push_back({"GET /master/state max", percentile(state_ms, 100), "ms", ""});
  r.figures.push_back({"/master/state size", static_cast<double>(state_bytes) / 1e6, "MB", ""});
  r.figures.push_back({"/health samples", static_cast<double>(health_ms.size()), "", ""});
  r.figures.push_back({"/health p50 while polled", percentile(health_ms, 50), "ms", ""});
  r.figures.push_back({"/health p99 while polled", percentile(health_ms, 99), "ms", "<= 10 ms"});
  r.figures.push_back({"/state answers during /health sampling", static_cast<double>(polls.load()),
                       "responses", ""});
  r.ok = true;
  return r;
}

const std::vector<std::string>& scenarioNames() {
  static const std::vector<std::string> names = {"register",   "launch",    "offer_latency",
                                                 "reregister", "state",     "memory",
                                                 "real_agent", "allocation"};
  return names;
}

ScenarioResult runScenario(const std::string& name, const Options& options) {
  const auto t0 = Clock::now();
  std::fprintf(stderr, "[%s] starting\n", name.c_str());
  ScenarioResult r;
  if (name == "register")
    r = runRegister(options);
  else if (name == "launch")
    r = runLaunch(options);
  else if (name == "offer_latency")
    r = runOfferLatency(options);
  else if (name == "reregister")
    r = runReregister(options);
  else if (name == "state")
    r = runState(options);
  else if (name == "memory")
    r = runMemory(options);
  else if (name == "real_agent")
    r = runRealAgent(options);
  else if (name == "allocation")
    r = runAllocation(options);
  else {
    r.scenario = name;
    r.error = "unknown scenario";
  }
  r.wall_seconds = secondsSince(t0);
  std::fprintf(stderr, "[%s] %s in %.2f s%s\n", name.c_str(), r.ok ? "done" : "FAILED",
               r.wall_seconds, r.ok ? "" : (": " + r.error).c_str());
  return r;
}

}  // namespace keel::bench
