// One allocation pass of keel::allocator::Allocator in Mesos's "decline with a long filter"
// shape: every framework declines every offer it gets with refuse_seconds = 1 day, so each
// pass offers every agent to a framework that has not refused it yet, and agents accumulate
// one filter per pass. Only allocate() is timed; the declines between passes are not.
//
// Reproduce:
//   cmake -S . -B build-rel -G Ninja -DCMAKE_BUILD_TYPE=Release
//   ninja -C build-rel allocator_bench && build-rel/bin/allocator_bench
//
// Targets (issue 4, on a 2-core box): 10,000 agents x 1,000 frameworks <= 50 ms per pass,
// 20,000 x 2,000 <= 200 ms. Compare the CPU column when the machine is shared.

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "allocator/allocator.hpp"

namespace {

using keel::Resources;
using keel::allocator::Allocator;
using keel::allocator::FrameworkEntry;
using keel::allocator::Offerable;

constexpr double kRefuseSeconds = 24 * 60 * 60;

void declinePass(benchmark::State& state) {
  const int agents = static_cast<int>(state.range(0));
  const int frameworks = static_cast<int>(state.range(1));
  keel::allocator::Options options;
  options.seed = 42;
  Allocator allocator(options);
  const Resources agent_total =
      *Resources::parse("cpus:16;mem:65536;disk:1048576;ports:[31000-32000]");
  for (int i = 0; i < agents; ++i) {
    allocator.addAgent("agent-" + std::to_string(i), agent_total);
  }
  for (int i = 0; i < frameworks; ++i) {
    allocator.addFramework("framework-" + std::to_string(i), FrameworkEntry{});
  }

  keel::runtime::TimePoint now{};
  size_t offers_made = 0;
  size_t passes = 0;
  for (auto _ : state) {
    now += std::chrono::seconds(1);
    std::vector<Offerable> offers = allocator.allocate(now);
    state.PauseTiming();
    offers_made += offers.size();
    ++passes;
    for (const auto& o : offers) {
      allocator.recoverResources(o.framework_id, o.agent_id, *o.resources, kRefuseSeconds, now);
    }
    state.ResumeTiming();
  }
  state.counters["agents"] = agents;
  state.counters["frameworks"] = frameworks;
  state.counters["offers_per_pass"] =
      passes > 0 ? static_cast<double>(offers_made) / static_cast<double>(passes) : 0;
  state.counters["filters_at_end"] = static_cast<double>(allocator.filterCount());
  state.SetLabel("decline all offers, refuse_seconds=86400, agent=" + agent_total.str());
}

BENCHMARK(declinePass)
    ->ArgNames({"agents", "frameworks"})
    ->Args({1000, 100})
    ->Args({10000, 1000})
    ->Args({20000, 2000})
    ->Iterations(20)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
