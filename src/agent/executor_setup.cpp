#include "agent/executor_setup.hpp"

namespace keel::agent {

namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string shorten(const std::string& text) {
  return text.size() > 15 ? text.substr(0, 12) + "..." : text;
}

void addScalar(mesos::ExecutorInfo* info, const std::string& name, double value,
               const std::string* role) {
  mesos::Resource* r = info->add_resources();
  r->set_name(name);
  r->set_type(mesos::Value::SCALAR);
  r->mutable_scalar()->set_value(value);
  if (role != nullptr) {
    r->mutable_allocation_info()->set_role(*role);
  }
}

}  // namespace

std::string commandExecutorName(const mesos::TaskInfo& task) {
  std::string name = "Command Executor (Task: " + task.task_id().value() + ") ";
  const mesos::CommandInfo& command = task.command();
  if (command.shell()) {
    if (!command.has_value()) {
      return name + "(Command: NO COMMAND)";
    }
    return name + "(Command: sh -c '" + shorten(command.value()) + "')";
  }
  if (!command.has_value()) {
    return name + "(Command: NO EXECUTABLE)";
  }
  std::string args = command.value();
  for (const auto& arg : command.arguments()) {
    args += ", " + arg;
  }
  return name + "(Command: [" + shorten(args) + "])";
}

mesos::ExecutorInfo commandExecutorInfo(const mesos::FrameworkInfo& framework,
                                        const mesos::TaskInfo& task,
                                        const std::string& launcher_dir) {
  mesos::ExecutorInfo info;
  info.mutable_executor_id()->set_value(task.task_id().value());
  info.mutable_framework_id()->CopyFrom(framework.id());
  info.set_name(commandExecutorName(task));
  info.set_source(task.task_id().value());

  const std::string* role = nullptr;
  for (const auto& r : task.resources()) {
    if (r.has_allocation_info() && r.allocation_info().has_role()) {
      role = &r.allocation_info().role();
      break;
    }
  }
  addScalar(&info, "cpus", 0.1, role);
  addScalar(&info, "mem", 32, role);

  mesos::CommandInfo* command = info.mutable_command();
  command->set_value(launcher_dir + "/" + kCommandExecutorBinary);
  command->set_shell(false);
  command->add_arguments(kCommandExecutorBinary);
  command->add_arguments("--launcher_dir=" + launcher_dir);
  command->mutable_uris()->CopyFrom(task.command().uris());
  if (task.command().has_environment()) {
    command->mutable_environment()->CopyFrom(task.command().environment());
  }
  if (task.command().has_user()) {
    command->set_user(task.command().user());
  }
  if (task.has_container()) {
    info.mutable_container()->CopyFrom(task.container());
  }
  if (task.has_labels()) {
    info.mutable_labels()->CopyFrom(task.labels());
  }
  if (task.has_discovery()) {
    info.mutable_discovery()->CopyFrom(task.discovery());
  }
  return info;
}

bool isCommandExecutor(const mesos::ExecutorInfo& executor) {
  const mesos::CommandInfo& command = executor.command();
  std::string suffix = std::string("/") + kCommandExecutorBinary;
  return !command.shell() && command.value().size() >= suffix.size() &&
         command.value().compare(command.value().size() - suffix.size(), suffix.size(), suffix) ==
             0 &&
         executor.source() == executor.executor_id().value();
}

std::map<std::string, std::string> executorEnvironment(const ExecutorEnvironmentInputs& in,
                                                       const mesos::CommandInfo& command) {
  std::map<std::string, std::string> env = in.extra;
  if (!in.libprocess_ip.empty()) {
    env["LIBPROCESS_IP"] = in.libprocess_ip;
  }
  env["LIBPROCESS_PORT"] = "0";
  env["MESOS_FRAMEWORK_ID"] = in.framework_id;
  env["MESOS_EXECUTOR_ID"] = in.executor_id;
  env["MESOS_DIRECTORY"] = in.directory;
  env["MESOS_SANDBOX"] = in.directory;
  env["MESOS_SLAVE_ID"] = in.agent_id;
  env["MESOS_SLAVE_PID"] = in.agent_pid;
  auto at = in.agent_pid.find('@');
  env["MESOS_AGENT_ENDPOINT"] =
      at == std::string::npos ? in.agent_pid : in.agent_pid.substr(at + 1);
  env["MESOS_CHECKPOINT"] = in.checkpoint ? "1" : "0";
  env["MESOS_HTTP_COMMAND_EXECUTOR"] = "0";
  env["MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"] = runtime::formatDuration(in.shutdown_grace_period);
  if (in.checkpoint) {
    env["MESOS_RECOVERY_TIMEOUT"] = runtime::formatDuration(in.recovery_timeout);
    env["MESOS_SUBSCRIPTION_BACKOFF_MAX"] = runtime::formatDuration(in.reregistration_timeout);
  }
  if (env.count("PATH") == 0) {
    env["PATH"] = kDefaultPath;
  }
  for (const auto& variable : command.environment().variables()) {
    // Secret-typed variables would need a secret resolver; only plain values apply.
    if (variable.has_value()) {
      env[variable.name()] = variable.value();
    }
  }
  return env;
}

LaunchSpec executorLaunchSpec(const mesos::CommandInfo& command,
                              std::map<std::string, std::string> env, const std::string& sandbox) {
  LaunchSpec spec;
  if (command.shell()) {
    spec.path = "/bin/sh";
    spec.argv = {"sh", "-c", command.value()};
  } else {
    spec.path = command.value();
    if (command.arguments().empty()) {
      spec.argv = {command.value()};
    } else {
      spec.argv.assign(command.arguments().begin(), command.arguments().end());
    }
  }
  spec.env = std::move(env);
  spec.working_dir = sandbox;
  spec.stdout_path = sandbox + "/stdout";
  spec.stderr_path = sandbox + "/stderr";
  return spec;
}

}  // namespace keel::agent
