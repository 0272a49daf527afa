#pragma once

// keel-bench's results: one ScenarioResult per scenario run, printed as a human table and
// written as JSON.

#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace keel::bench {

struct Figure {
  std::string name;  // "tasks/s", "latency p99", ...
  double value = 0;
  std::string unit;    // "ms", "s", "tasks/s", "bytes", ...
  std::string target;  // the target beside it, "" if none
};

struct ScenarioResult {
  std::string scenario;
  bool ok = false;
  std::string error;  // why it did not complete when !ok; a note (e.g. "skipped: ...") when ok
  std::vector<std::pair<std::string, std::string>> params;  // in the order given
  std::vector<Figure> figures;
  double wall_seconds = 0;  // the whole scenario, set-up included
};

// `r` marked as not completed, for `why`.
ScenarioResult failed(ScenarioResult r, const std::string& why);

// The p-th percentile (0..100, nearest rank) of `samples`; 0 for none.
double percentile(std::vector<double> samples, double p);

// One block per scenario: its parameters, then a figure/unit/target table.
void printTable(std::ostream& out, const std::vector<ScenarioResult>& results);

// {"machine": {...}, "results": [{"scenario", "ok", "error", "params", "figures"}]}.
std::string toJson(const std::vector<ScenarioResult>& results);

}  // namespace keel::bench
