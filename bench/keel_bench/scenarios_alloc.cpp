// keel-bench's `allocation` scenario: the allocation cycle measured through a master, in the
// shape of Mesos's DeclineOffers benchmark (every framework declines every offer with a long
// filter). The figures come from the master's own metrics, which Keel names as Mesos does
// (`allocator/mesos/allocation_runs`, `allocator/mesos/allocation_run_ms`), so the scenario
// reads the same figures from any master that serves them.

#include <atomic>
#include <cstdlib>
#include <optional>
#include <thread>

#include "http_client.hpp"
#include "scenarios.hpp"
#include "support.hpp"

namespace keel::bench {

namespace {

constexpr double kRefuseSeconds = 24 * 60 * 60;

}  // namespace

ScenarioResult runAllocation(const Options& o) {
  ScenarioResult r;
  r.scenario = "allocation";
  r.params = {{"agents", std::to_string(o.agents)},
              {"frameworks", std::to_string(o.frameworks)},
              {"passes", std::to_string(o.passes)},
              {"agent_resources", o.agent_resources},
              {"decline refuse_seconds", "86400"},
              {"allocation_interval", o.master.empty() ? o.allocation_interval : "(external)"}};
  auto b = Bench::create(o);
  if (!b) return failed(r, b.message());
  Bench& bench = **b;
  r.params.emplace_back("master", masterParam(bench));
  if (Status s = bench.registerAgents(o.agents); !s.isOk()) return failed(r, s.message());
  std::atomic<size_t> offers{0};
  std::atomic<size_t>* count = &offers;
  Status s = bench.subscribeFrameworks(o.frameworks, [count](SimFramework& f, int) {
    SimFramework* fw = &f;
    f.on_offers = [fw, count](std::vector<mesos::Offer>&& batch) {
      std::vector<mesos::OfferID> ids;
      ids.reserve(batch.size());
      for (const auto& offer : batch) ids.push_back(offer.id());
      *count += ids.size();
      fw->decline(ids, kRefuseSeconds);
    };
  });
  if (!s.isOk()) return failed(r, s.message());

  // Each periodic pass bumps allocation_runs; when it moved by one since the last look, the
  // timer's last value is that pass's. Looks come every 50 ms, well inside the 1 s interval.
  HttpClient client(bench.harness().masterAddress(), std::chrono::seconds(30));
  std::vector<double> run_ms, pass_ms;
  std::optional<double> last_runs, first_measured_runs, last_measured_runs;
  size_t first_offers = 0, last_offers = 0;
  bool has_pass_metric = false;
  while (run_ms.size() < static_cast<size_t>(o.passes) && Clock::now() < bench.deadline()) {
    auto body = client.get("/metrics/snapshot");
    if (!body) return failed(r, "GET /metrics/snapshot: " + body.message());
    auto runs = metricValue(*body, "allocator/mesos/allocation_runs");
    auto run = metricValue(*body, "allocator/mesos/allocation_run_ms");
    if (!runs) return failed(r, "the master serves no allocator/mesos/allocation_runs");
    if (last_runs && *runs == *last_runs + 1 && run) {
      run_ms.push_back(*run);
      if (auto pass = metricValue(*body, "master/allocation_pass_ms")) {
        has_pass_metric = true;
        pass_ms.push_back(*pass);
      }
      // Offers arrive after their pass; those counted between the first and the last
      // measured pass belong to the passes in between.
      if (!first_measured_runs) {
        first_measured_runs = runs;
        first_offers = offers.load();
      }
      last_measured_runs = runs;
      last_offers = offers.load();
    }
    last_runs = runs;
    std::fprintf(stderr, "\r[allocation] %zu/%d passes measured", run_ms.size(), o.passes);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::fprintf(stderr, "\n");
  if (run_ms.size() < static_cast<size_t>(o.passes)) {
    return failed(r, "timed out after " + std::to_string(run_ms.size()) + " passes");
  }
  r.figures.push_back({"allocator run in the master (allocation_run_ms) p50",
                       percentile(run_ms, 50), "ms", "<= 50 ms at 10k x 1k"});
  r.figures.push_back({"allocator run max", percentile(run_ms, 100), "ms", ""});
  if (has_pass_metric) {
    r.figures.push_back({"whole pass incl. building and sending offers p50",
                         percentile(pass_ms, 50), "ms", ""});
    r.figures.push_back({"whole pass max", percentile(pass_ms, 100), "ms", ""});
  }
  if (last_measured_runs && *last_measured_runs > *first_measured_runs) {
    r.figures.push_back({"offers received per pass (mean)",
                         static_cast<double>(last_offers - first_offers) /
                             (*last_measured_runs - *first_measured_runs),
                         "offers", ""});
  }
  r.ok = true;
  return r;
}

}  // namespace keel::bench
