#include "agent/checkpoint.hpp"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/paths.hpp"
#include "common/files.hpp"

namespace keel::agent::checkpoint {

namespace {

std::string errnoText(const std::string& what, int error) {
  return what + ": " + ::strerror(error);
}

}  // namespace

std::string metaDir(const std::string& work_dir) { return work_dir + "/meta"; }

std::string bootIdPath(const std::string& work_dir) { return metaDir(work_dir) + "/boot_id"; }

std::string resourcesInfoPath(const std::string& work_dir) {
  return metaDir(work_dir) + "/resources/resources.info";
}

std::string latestAgentPath(const std::string& work_dir) {
  return metaDir(work_dir) + "/slaves/latest";
}

std::string agentPath(const std::string& work_dir, const std::string& agent_id) {
  return metaDir(work_dir) + "/slaves/" + agent_id;
}

std::string agentInfoPath(const std::string& work_dir, const std::string& agent_id) {
  return agentPath(work_dir, agent_id) + "/slave.info";
}

std::string frameworkPath(const std::string& work_dir, const std::string& agent_id,
                          const std::string& framework_id) {
  return agentPath(work_dir, agent_id) + "/frameworks/" + framework_id;
}

std::string frameworkInfoPath(const std::string& work_dir, const std::string& agent_id,
                              const std::string& framework_id) {
  return frameworkPath(work_dir, agent_id, framework_id) + "/framework.info";
}

std::string frameworkPidPath(const std::string& work_dir, const std::string& agent_id,
                             const std::string& framework_id) {
  return frameworkPath(work_dir, agent_id, framework_id) + "/framework.pid";
}

std::string executorPath(const std::string& work_dir, const std::string& agent_id,
                         const std::string& framework_id, const std::string& executor_id) {
  return frameworkPath(work_dir, agent_id, framework_id) + "/executors/" + executor_id;
}

std::string executorInfoPath(const std::string& work_dir, const std::string& agent_id,
                             const std::string& framework_id, const std::string& executor_id) {
  return executorPath(work_dir, agent_id, framework_id, executor_id) + "/executor.info";
}

std::string commandExecutorMarkerPath(const std::string& work_dir, const std::string& agent_id,
                                      const std::string& framework_id,
                                      const std::string& executor_id) {
  return executorPath(work_dir, agent_id, framework_id, executor_id) +
         "/executor_generated_for_command_task";
}

std::string runPath(const std::string& work_dir, const std::string& agent_id,
                    const std::string& framework_id, const std::string& executor_id,
                    const std::string& container_id) {
  return executorPath(work_dir, agent_id, framework_id, executor_id) + "/runs/" + container_id;
}

std::string forkedPidPath(const std::string& work_dir, const std::string& agent_id,
                          const std::string& framework_id, const std::string& executor_id,
                          const std::string& container_id) {
  return runPath(work_dir, agent_id, framework_id, executor_id, container_id) + "/pids/forked.pid";
}

std::string libprocessPidPath(const std::string& work_dir, const std::string& agent_id,
                              const std::string& framework_id, const std::string& executor_id,
                              const std::string& container_id) {
  return runPath(work_dir, agent_id, framework_id, executor_id, container_id) +
         "/pids/libprocess.pid";
}

std::string taskPath(const std::string& work_dir, const std::string& agent_id,
                     const std::string& framework_id, const std::string& executor_id,
                     const std::string& container_id, const std::string& task_id) {
  return runPath(work_dir, agent_id, framework_id, executor_id, container_id) + "/tasks/" + task_id;
}

std::string taskInfoPath(const std::string& work_dir, const std::string& agent_id,
                         const std::string& framework_id, const std::string& executor_id,
                         const std::string& container_id, const std::string& task_id) {
  return taskPath(work_dir, agent_id, framework_id, executor_id, container_id, task_id) +
         "/task.info";
}

std::string taskUpdatesPath(const std::string& work_dir, const std::string& agent_id,
                            const std::string& framework_id, const std::string& executor_id,
                            const std::string& container_id, const std::string& task_id) {
  return taskPath(work_dir, agent_id, framework_id, executor_id, container_id, task_id) +
         "/task.updates";
}

std::string encodeRecord(const google::protobuf::Message& message) {
  std::string body = message.SerializeAsString();
  auto size = static_cast<uint32_t>(body.size());
  std::string out;
  out.reserve(4 + body.size());
  for (int i = 0; i < 4; ++i) {
    out.push_back(static_cast<char>((size >> (8 * i)) & 0xff));
  }
  out += body;
  return out;
}

Status writeRecords(const std::string& path,
                    const std::vector<const google::protobuf::Message*>& messages) {
  std::string data;
  for (const auto* message : messages) {
    data += encodeRecord(*message);
  }
  return writeFileAtomically(path, data);
}

Status writeRecord(const std::string& path, const google::protobuf::Message& message) {
  return writeFileAtomically(path, encodeRecord(message));
}

Status appendRecord(const std::string& path, const google::protobuf::Message& message) {
  RETURN_IF_ERROR(paths::createDirectories(std::filesystem::path(path).parent_path().string()));
  std::string data = encodeRecord(message);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::error(errnoText("Failed to open '" + path + "'", errno));
  }
  if (Status written = writeAll(fd, data); !written.isOk()) {
    ::close(fd);
    return Status::error("Failed to append to '" + path + "': " + written.message());
  }
  // The executor is acknowledged only after this returns, so the record must be on disk.
  if (::fsync(fd) != 0) {
    int error = errno;
    ::close(fd);
    return Status::error(errnoText("Failed to fsync '" + path + "'", error));
  }
  ::close(fd);
  return Status::ok();
}

Result<std::vector<std::string>> readRawRecords(const std::string& path, int* truncated) {
  ASSIGN_OR_RETURN(std::string data, readText(path));
  std::vector<std::string> out;
  size_t offset = 0;
  while (offset < data.size()) {
    if (data.size() - offset < 4) {
      if (truncated != nullptr) {
        ++*truncated;
      }
      break;
    }
    uint32_t size = 0;
    for (int i = 0; i < 4; ++i) {
      size |= static_cast<uint32_t>(static_cast<unsigned char>(data[offset + i])) << (8 * i);
    }
    offset += 4;
    if (data.size() - offset < size) {
      if (truncated != nullptr) {
        ++*truncated;
      }
      break;
    }
    out.push_back(data.substr(offset, size));
    offset += size;
  }
  return out;
}

Status writeText(const std::string& path, const std::string& text) {
  return writeFileAtomically(path, text);
}

Result<std::string> readText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Result<std::string>::error("Failed to read '" + path + "'");
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

Result<std::string> currentBootId() {
  ASSIGN_OR_RETURN(std::string text, readText("/proc/sys/kernel/random/boot_id"));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  if (text.empty()) {
    return Result<std::string>::error("Empty boot id");
  }
  return text;
}

}  // namespace keel::agent::checkpoint
