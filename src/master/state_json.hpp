#pragma once

// The JSON of the master's read-only endpoints (/master/state, /frameworks, /slaves, /tasks),
// rendered straight from the master's model into one string. Field names, order and number
// formats are Mesos 1.12's (../shared/reference/wire-captures/json/); see http.cpp for the
// endpoints. The renderers only read the model: they may run on any thread as long as nothing
// mutates the model meanwhile (StateWorker arranges that).

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/master_flags.hpp"
#include "master/state.hpp"

namespace keel::master {

// What the renderers read: references into the master (or into a test's model).
struct StateModel {
  const mesos::MasterInfo& info;
  const wire::Pid& self;
  double start_time = 0;
  const MasterFlags& flags;
  const std::vector<std::pair<std::string, std::string>>& flag_values;
  const std::map<std::string, std::unique_ptr<AgentState>>& agents;
  const std::map<std::string, std::unique_ptr<FrameworkState>>& frameworks;
  const std::deque<std::unique_ptr<FrameworkState>>& completed_frameworks;
  const std::unordered_map<std::string, OfferState>& offers;
  const std::map<std::string, double>& unreachable_agents;
};

// Each appends one complete JSON document to `out`.
void renderState(const StateModel& model, std::string* out);       // /master/state
void renderFrameworks(const StateModel& model, std::string* out);  // /master/frameworks
void renderSlaves(const StateModel& model, std::string* out);      // /master/slaves
void renderTasks(const StateModel& model, std::string* out);       // /master/tasks

// Building blocks, exposed for tests: one task object, and Mesos's resource map of a list
// of resources (the four well-known scalars always, then the other scalars, ranges and sets
// by name; identical to rendering keel::Resources(list)).
void renderTask(const mesos::Task& task, std::string* out);
void renderResourceMap(const google::protobuf::RepeatedPtrField<mesos::Resource>& list,
                       std::string* out);

}  // namespace keel::master
