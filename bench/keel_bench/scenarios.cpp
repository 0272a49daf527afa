// register, launch and offer_latency; the others are in scenarios_cluster.cpp.

#include "scenarios.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "support.hpp"

namespace keel::bench {

namespace {

std::string str(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}


}  // namespace

ScenarioResult runRegister(const Options& o) {
  ScenarioResult r;
  r.scenario = "register";
  r.params = {{"agents", std::to_string(o.agents)}, {"agent_resources", o.agent_resources}};
  auto b = Bench::create(o);
  if (!b) return failed(r, b.message());
  r.params.emplace_back("master", masterParam(**b));
  const auto start = Clock::now();
  if (Status s = (*b)->registerAgents(o.agents); !s.isOk()) return failed(r, s.message());
  const Clock::time_point done =
      onLoop((*b)->loop(), [&] { return (*b)->agents().all_registered_at; });
  const double secs = msBetween(start, done) / 1000;
  r.figures.push_back({"time until all agents registered", secs, "s", ""});
  r.figures.push_back(
      {"registrations per second", o.agents / std::max(secs, 1e-9), "agents/s", ""});
  r.ok = true;
  return r;
}

ScenarioResult runLaunch(const Options& o) {
  ScenarioResult r;
  r.scenario = "launch";
  r.params = {{"agents", std::to_string(o.agents)},
              {"frameworks", std::to_string(o.frameworks)},
              {"tasks", std::to_string(o.tasks)},
              {"task_resources", o.task_resources},
              {"agent_resources", o.agent_resources}};
  auto task_res = parseResources(o.task_resources);
  auto agent_res = parseResources(o.agent_resources);
  if (!task_res) return failed(r, task_res.message());
  if (!agent_res) return failed(r, agent_res.message());
  {
    // Tasks never end here, so the cluster must hold them all at once.
    google::protobuf::RepeatedPtrField<mesos::Resource> have(agent_res->begin(), agent_res->end());
    double per_agent = 1e18;
    for (const auto& t : *task_res) {
      if (t.type() == mesos::Value::SCALAR && t.scalar().value() > 0) {
        per_agent = std::min(per_agent, std::floor(scalarOf(have, t.name()) / t.scalar().value()));
      }
    }
    if (per_agent * o.agents < o.tasks) {
      return failed(r, "the agents hold only " + str(per_agent * o.agents) +
                           " such tasks; raise --agents or --agent_resources");
    }
  }
  // Declared before the bench: the simulation's handlers use it until the bench is gone.
  Launcher launcher(static_cast<size_t>(o.tasks), *task_res);
  auto b = Bench::create(o);
  if (!b) return failed(r, b.message());
  Bench& bench = **b;
  r.params.emplace_back("master", masterParam(bench));
  if (Status s = bench.registerAgents(o.agents); !s.isOk()) return failed(r, s.message());
  Status s = bench.subscribeFrameworks(
      o.frameworks, [&launcher](SimFramework& f, int index) { launcher.install(f, index); });
  if (!s.isOk()) return failed(r, s.message());
  s = bench.waitForLaunch(launcher);
  if (!s.isOk()) return failed(r, s.message());
  Launcher* l = &launcher;
  const size_t target = launcher.target();
  auto [first, last, lat] = onLoop(bench.loop(), [l] {
    return std::make_tuple(l->first_accept, l->last_running, l->latencies_ms);
  });
  // The frameworks' acknowledgements reach the agents too (not part of the figures).
  SimAgents* agents = &bench.agents();
  s = bench.wait(
      "acknowledgements at the agents", [agents, target] { return agents->acks.load() >= target; },
      [agents, target] {
        return std::to_string(agents->acks.load()) + "/" + std::to_string(target) + " acks";
      });
  if (!s.isOk()) return failed(r, s.message());
  const double secs = msBetween(first, last) / 1000;
  r.figures.push_back({"launch throughput (first ACCEPT to last TASK_RUNNING acked)",
                       o.tasks / std::max(secs, 1e-9), "tasks/s", ">= 10,000 tasks/s"});
  r.figures.push_back({"launch phase", secs, "s", ""});
  r.figures.push_back(
      {"launch latency p50 (ACCEPT to TASK_RUNNING acked)", percentile(lat, 50), "ms", ""});
  r.figures.push_back({"launch latency p99", percentile(lat, 99), "ms", ""});
  r.figures.push_back({"launch latency max", percentile(lat, 100), "ms", ""});
  r.ok = true;
  return r;
}

namespace {

// offer_latency's state, all on the loop.
struct OfferProbe {
  SimAgents* agents = nullptr;
  SimFramework* holder = nullptr;
  std::map<std::string, std::string> hold_task;  // agent id -> the holder's task there
  std::atomic<size_t> holding{0};
  bool sampling = false;
  size_t want = 0;
  std::string current_agent;
  Clock::time_point sent_at;
  std::vector<double> latencies_ms;
  std::atomic<size_t> done{0};
  std::atomic<bool> lost{false};  // a sample's agent had no task to finish

  void next(runtime::EventLoop& loop) {
    if (latencies_ms.size() >= want) {
      sampling = false;
      done = latencies_ms.size();
      return;
    }
    const size_t index = latencies_ms.size() % agents->size();
    current_agent = agents->agentId(index);
    sent_at = Clock::now();
    if (!agents->finishTask(index, holder->id(), hold_task[current_agent])) lost = true;
    (void)loop;
  }
};

}  // namespace

ScenarioResult runOfferLatency(const Options& o) {
  ScenarioResult r;
  r.scenario = "offer_latency";
  const size_t samples = static_cast<size_t>(std::min(o.samples, o.agents));
  r.params = {{"agents", std::to_string(o.agents)},
              {"samples", std::to_string(samples)},
              {"agent_resources", o.agent_resources},
              {"allocation_interval", o.master.empty() ? o.allocation_interval : "(external)"}};
  OfferProbe probe;  // before the bench: the simulation's handlers use it
  auto b = Bench::create(o);
  if (!b) return failed(r, b.message());
  Bench& bench = **b;
  r.params.emplace_back("master", masterParam(bench));
  if (Status s = bench.registerAgents(o.agents); !s.isOk()) return failed(r, s.message());

  // The holder takes every agent whole with one task each.
  probe.agents = &bench.agents();
  probe.want = samples;
  OfferProbe* p = &probe;
  Status s = bench.subscribeFrameworks(1, [p](SimFramework& f, int) {
    p->holder = &f;
    f.on_offers = [p, &f](std::vector<mesos::Offer>&& offers) {
      for (const auto& offer : offers) {
        const std::string agent = offer.slave_id().value();
        if (p->hold_task.count(agent)) {
          f.decline({offer.id()}, 3600);
          continue;
        }
        mesos::TaskInfo t;
        t.set_name("hold-" + agent);
        t.mutable_task_id()->set_value("hold-" + agent);
        *t.mutable_slave_id() = offer.slave_id();
        *t.mutable_resources() = offer.resources();
        t.mutable_command()->set_value("sleep 1000");
        p->hold_task[agent] = t.task_id().value();
        f.accept({offer.id()}, {t}, 3600);
      }
    };
    f.on_update = [p](const mesos::TaskStatus& st) {
      if (st.state() == mesos::TASK_RUNNING) p->holding++;
    };
  });
  if (!s.isOk()) return failed(r, s.message());
  const size_t n = static_cast<size_t>(o.agents);
  s = bench.wait(
      "holder tasks running", [p, n] { return p->holding.load() >= n; },
      [p, n] {
        return std::to_string(p->holding.load()) + "/" + std::to_string(n) + " agents held";
      });
  if (!s.isOk()) return failed(r, s.message());

  // The waiting framework: every offer for the agent of the current sample ends the sample.
  runtime::EventLoop* loop = &bench.loop();
  s = bench.subscribeFrameworks(1, [p, loop](SimFramework& f, int) {
    f.on_offers = [p, loop, &f](std::vector<mesos::Offer>&& offers) {
      bool hit = false;
      std::vector<mesos::OfferID> ids;
      for (const auto& offer : offers) {
        ids.push_back(offer.id());
        if (p->sampling && offer.slave_id().value() == p->current_agent) hit = true;
      }
      const auto now = Clock::now();
      f.decline(ids, 3600);
      if (hit) {
        p->latencies_ms.push_back(msBetween(p->sent_at, now));
        p->done = p->latencies_ms.size();
        loop->post([p, loop] { p->next(*loop); });
      }
    };
  });
  if (!s.isOk()) return failed(r, s.message());
  onLoop(bench.loop(), [p, loop] {
    p->sampling = true;
    p->next(*loop);
  });
  s = bench.wait(
      "offer latency samples", [p, samples] { return p->done.load() >= samples || p->lost.load(); },
      [p, samples] {
        return std::to_string(p->done.load()) + "/" + std::to_string(samples) + " samples";
      });
  if (!s.isOk()) return failed(r, s.message());
  if (probe.lost.load()) return failed(r, "an agent had no held task to finish");
  auto lat = onLoop(bench.loop(), [p] { return p->latencies_ms; });
  r.figures.push_back(
      {"offer latency p50 (TASK_FINISHED sent to offer received)", percentile(lat, 50), "ms", ""});
  r.figures.push_back({"offer latency p99", percentile(lat, 99), "ms", "<= 5 ms"});
  r.figures.push_back({"offer latency max", percentile(lat, 100), "ms", ""});
  r.ok = true;
  return r;
}

}  // namespace keel::bench
