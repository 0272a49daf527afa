#pragma once

// keel-bench's scenarios. Each builds its own cluster (simulation + in-process master, or
// the external master), runs to completion or to options.timeout, and returns its figures;
// a scenario that could not complete returns ok=false with the reason.

#include <string>
#include <vector>

#include "common.hpp"
#include "report.hpp"

namespace keel::bench {

ScenarioResult runRegister(const Options& options);
ScenarioResult runLaunch(const Options& options);
ScenarioResult runOfferLatency(const Options& options);
ScenarioResult runReregister(const Options& options);
ScenarioResult runState(const Options& options);
ScenarioResult runMemory(const Options& options);
ScenarioResult runAllocation(const Options& options);
ScenarioResult runRealAgent(const Options& options);

// The names accepted on the command line, in the order "all" runs them.
const std::vector<std::string>& scenarioNames();
ScenarioResult runScenario(const std::string& name, const Options& options);

}  // namespace keel::bench
