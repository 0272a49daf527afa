#pragma once

#include <map>
#include <string>

#include <mesos/mesos.pb.h>

#include "agent/process_launcher.hpp"
#include "runtime/clock.hpp"

// Pure helpers that turn a task into the executor the agent starts for it: the
// synthesized command executor (spec §5.2), the executor's environment (§5.3) and
// the process launch description. No I/O, no loop.
namespace keel::agent {

// Name of the built-in command executor binary, looked up in --launcher_dir.
inline constexpr const char* kCommandExecutorBinary = "keel-executor";

// "Command Executor (Task: <id>) (Command: sh -c '<value>')", the value cut to 12
// characters plus "..." when longer than 15 (Mesos's rule).
std::string commandExecutorName(const mesos::TaskInfo& task);

// The ExecutorInfo the agent synthesizes for a command task: ExecutorID = TaskID,
// command <launcher_dir>/keel-executor (shell=false, argv keel-executor
// --launcher_dir=...), the task's environment and user, source = task id, and
// cpus 0.1 + mem 32 allocated to the task's role.
mesos::ExecutorInfo commandExecutorInfo(const mesos::FrameworkInfo& framework,
                                        const mesos::TaskInfo& task,
                                        const std::string& launcher_dir);

// True if `executor` is one the agent synthesized for a command task.
bool isCommandExecutor(const mesos::ExecutorInfo& executor);

struct ExecutorEnvironmentInputs {
  std::string agent_pid;  // slave(1)@ip:port
  std::string agent_id;
  std::string framework_id;
  std::string executor_id;
  std::string directory;    // sandbox host path
  bool checkpoint = false;  // FrameworkInfo.checkpoint
  runtime::Duration shutdown_grace_period{};
  runtime::Duration recovery_timeout{};
  runtime::Duration reregistration_timeout{};
  std::string libprocess_ip;                 // empty = not set
  std::map<std::string, std::string> extra;  // --executor_environment_variables
};

// The complete environment of an executor (the agent's own environment is never
// inherited): --executor_environment_variables, then Keel's MESOS_* variables and
// LIBPROCESS_*, a default PATH if none was given, then the executor CommandInfo's
// variables on top.
std::map<std::string, std::string> executorEnvironment(const ExecutorEnvironmentInputs& inputs,
                                                       const mesos::CommandInfo& command);

// How to start the executor: `/bin/sh -c value` (shell) or value + arguments, with cwd
// and stdout/stderr files in the sandbox.
LaunchSpec executorLaunchSpec(const mesos::CommandInfo& command,
                              std::map<std::string, std::string> env, const std::string& sandbox);

}  // namespace keel::agent
