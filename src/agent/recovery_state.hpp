#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <mesos/internal/messages.pb.h>
#include <mesos/mesos.pb.h>

#include "common/status.hpp"

// What an agent finds in its checkpoint (`<work_dir>/meta`, see checkpoint.hpp) when it
// starts: plain data read by readCheckpoint(), then turned into live records by the
// Agent (agent_recovery.cpp). Mirrors Mesos's slave/state.hpp tree.
namespace keel::agent {

struct TaskCheckpoint {
  std::string id;
  std::optional<mesos::Task> info;                           // task.info
  std::vector<mesos::internal::StatusUpdateRecord> records;  // task.updates, in order
};

struct RunCheckpoint {
  std::string container_id;
  std::optional<pid_t> forked_pid;            // pids/forked.pid (not read after a reboot)
  std::optional<std::string> libprocess_pid;  // pids/libprocess.pid
  std::map<std::string, TaskCheckpoint> tasks;
};

struct ExecutorCheckpoint {
  std::string id;
  std::optional<mesos::ExecutorInfo> info;  // executor.info
  bool command_executor = false;            // executor_generated_for_command_task exists
  std::optional<std::string> latest;        // the container id runs/latest points at
  std::map<std::string, RunCheckpoint> runs;
};

struct FrameworkCheckpoint {
  std::string id;
  std::optional<mesos::FrameworkInfo> info;  // framework.info
  std::optional<std::string> pid;            // framework.pid ("" for HTTP frameworks)
  std::map<std::string, ExecutorCheckpoint> executors;
};

struct AgentCheckpoint {
  std::string id;                        // from meta/slaves/latest
  std::optional<mesos::SlaveInfo> info;  // slave.info; absent if it died before registering
  std::map<std::string, FrameworkCheckpoint> frameworks;
};

struct RecoveredState {
  // meta/resources/resources.info; nullopt when the file does not exist.
  std::optional<std::vector<mesos::Resource>> resources;
  // meta/boot_id exists and differs from this boot's id.
  bool rebooted = false;
  // The agent meta/slaves/latest points at; nullopt when there is none.
  std::optional<AgentCheckpoint> agent;
  // Problems skipped because `strict` was false.
  int errors = 0;
};

// Reads the checkpoint under `work_dir`. A missing file means the agent died before
// writing it and is not an error; a truncated last record of task.updates (the agent
// died mid-append) is dropped and the file rewritten without it. Anything unreadable or
// unparsable is an error when `strict`, else it is skipped and counted in `errors`.
// `boot_id` is this boot's id (empty: unknown, never "rebooted"). After a reboot the
// executors' pid files are not read: their processes cannot exist any more.
// Blocking; call once at start-up.
Result<RecoveredState> readCheckpoint(const std::string& work_dir, bool strict,
                                      const std::string& boot_id);

}  // namespace keel::agent
