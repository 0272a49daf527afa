#include "exe/task_command.hpp"

#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>

#include <map>
#include <vector>

extern char** environ;

namespace keel {

pid_t spawnTaskCommand(const mesos::TaskInfo& task, bool with_task_id, std::string* error) {
  const mesos::CommandInfo& command = task.command();
  std::vector<std::string> args;
  std::string path;
  if (command.shell()) {
    path = "/bin/sh";
    args = {"sh", "-c", command.value()};
  } else {
    path = command.value();
    args.assign(command.arguments().begin(), command.arguments().end());
    if (args.empty()) {
      args.push_back(command.value());
    }
  }
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry = *e;
    auto eq = entry.find('=');
    if (eq != std::string::npos) {
      env[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
  }
  for (const auto& r : task.resources()) {
    if (r.has_allocation_info() && r.allocation_info().has_role()) {
      env["MESOS_ALLOCATION_ROLE"] = r.allocation_info().role();
      break;
    }
  }
  if (with_task_id) {
    env["MESOS_TASK_ID"] = task.task_id().value();
  }
  for (const auto& variable : command.environment().variables()) {
    if (variable.has_value()) {
      env[variable.name()] = variable.value();
    }
  }
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) {
    env_strings.push_back(k + "=" + v);
  }
  std::vector<char*> argv;
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& s : env_strings) {
    envp.push_back(s.data());
  }
  envp.push_back(nullptr);

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  int rc = command.shell() || path.find('/') != std::string::npos
               ? ::posix_spawn(&pid, path.c_str(), nullptr, &attr, argv.data(), envp.data())
               : ::posix_spawnp(&pid, path.c_str(), nullptr, &attr, argv.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    *error = "Failed to launch '" + path + "': " + ::strerror(rc);
    return -1;
  }
  return pid;
}

std::string describeExit(int status) {
  if (WIFEXITED(status)) {
    return "Command exited with status " + std::to_string(WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) {
    return std::string("Command terminated with signal ") + ::strsignal(WTERMSIG(status));
  }
  return "Command terminated with unknown status " + std::to_string(status);
}

bool hasKillingState(const mesos::FrameworkInfo& framework) {
  for (const auto& c : framework.capabilities()) {
    if (c.type() == mesos::FrameworkInfo::Capability::TASK_KILLING_STATE) {
      return true;
    }
  }
  return false;
}

mesos::TaskStatus executorStatus(const mesos::ExecutorInfo& executor,
                                 const mesos::TaskID& task_id, mesos::TaskState state,
                                 const std::string& message) {
  mesos::TaskStatus status;
  *status.mutable_task_id() = task_id;
  status.set_state(state);
  if (!message.empty()) {
    status.set_message(message);
  }
  if (executor.has_executor_id()) {
    *status.mutable_executor_id() = executor.executor_id();
  }
  status.set_source(mesos::TaskStatus::SOURCE_EXECUTOR);
  return status;
}

}  // namespace keel
