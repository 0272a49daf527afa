#include "agent/paths.hpp"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <filesystem>
#include <string_view>
#include <system_error>

namespace keel::agent::paths {

std::string agentDir(const std::string& work_dir, const std::string& agent_id) {
  return work_dir + "/slaves/" + agent_id;
}

std::string executorDir(const std::string& work_dir, const std::string& agent_id,
                        const std::string& framework_id, const std::string& executor_id) {
  return agentDir(work_dir, agent_id) + "/frameworks/" + framework_id + "/executors/" + executor_id;
}

std::string runDir(const std::string& work_dir, const std::string& agent_id,
                   const std::string& framework_id, const std::string& executor_id,
                   const std::string& container_id) {
  return executorDir(work_dir, agent_id, framework_id, executor_id) + "/runs/" + container_id;
}

std::string agentInfoPath(const std::string& work_dir, const std::string& agent_id) {
  return work_dir + "/meta/slaves/" + agent_id + "/slave.info";
}

Status createDirectories(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) {
    return Status::error("Failed to create directory '" + path + "': " + ec.message());
  }
  return Status::ok();
}

Status replaceSymlink(const std::string& target, const std::string& link) {
  std::string temp = link + ".tmp-" + std::to_string(::getpid());
  ::unlink(temp.c_str());
  if (::symlink(target.c_str(), temp.c_str()) != 0) {
    return Status::error("Failed to create symlink '" + temp + "': " + ::strerror(errno));
  }
  if (::rename(temp.c_str(), link.c_str()) != 0) {
    int error = errno;
    ::unlink(temp.c_str());
    return Status::error("Failed to rename symlink to '" + link + "': " + ::strerror(error));
  }
  return Status::ok();
}

Status createSandbox(const std::string& work_dir, const std::string& agent_id,
                     const std::string& framework_id, const std::string& executor_id,
                     const std::string& container_id) {
  std::string run = runDir(work_dir, agent_id, framework_id, executor_id, container_id);
  RETURN_IF_ERROR(createDirectories(run));
  std::string runs = executorDir(work_dir, agent_id, framework_id, executor_id) + "/runs";
  RETURN_IF_ERROR(replaceSymlink(run, runs + "/latest"));
  // slaves/latest changes only when the agent id does: reading the link is far cheaper than
  // creating a new one for every executor (an inode each).
  const std::string agent = agentDir(work_dir, agent_id);
  const std::string latest = work_dir + "/slaves/latest";
  char target[4096];
  const ssize_t n = ::readlink(latest.c_str(), target, sizeof target);
  if (n > 0 && std::string_view(target, static_cast<size_t>(n)) == agent) return Status::ok();
  return replaceSymlink(agent, latest);
}

}  // namespace keel::agent::paths
