#include "agent/paths.hpp"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <filesystem>
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

Status writeFileAtomically(const std::string& path, const std::string& data) {
  std::filesystem::path target(path);
  RETURN_IF_ERROR(createDirectories(target.parent_path().string()));
  std::string temp = path + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::error("Failed to open '" + temp + "': " + ::strerror(errno));
  }
  size_t written = 0;
  while (written < data.size()) {
    ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      int error = errno;
      ::close(fd);
      return Status::error("Failed to write '" + temp + "': " + ::strerror(error));
    }
    written += static_cast<size_t>(n);
  }
  // The rename must not become visible before the bytes are on disk, else a crash
  // leaves an empty checkpoint behind.
  if (::fsync(fd) != 0) {
    int error = errno;
    ::close(fd);
    return Status::error("Failed to fsync '" + temp + "': " + ::strerror(error));
  }
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    return Status::error("Failed to rename '" + temp + "': " + ::strerror(errno));
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
  return replaceSymlink(agentDir(work_dir, agent_id), work_dir + "/slaves/latest");
}

}  // namespace keel::agent::paths
