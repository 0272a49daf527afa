#pragma once

#include <string>
#include <vector>

#include <google/protobuf/message.h>

#include "common/status.hpp"

// The agent's checkpoint: the `<work_dir>/meta` tree of Mesos's layout (spec §5.4,
// documented in docs/architecture.md "Agent recovery") and the two on-disk encodings
// Mesos uses there:
//   - protobuf files (slave.info, framework.info, executor.info, task.info,
//     resources.info, task.updates) are a sequence of records, each a 4-byte
//     little-endian length followed by that many bytes of the serialized message;
//   - pid and boot id files (framework.pid, forked.pid, libprocess.pid, boot_id) are
//     plain text.
// Every helper blocks on the filesystem; the agent calls them on its loop, once per
// state change of a checkpointing framework.
namespace keel::agent::checkpoint {

// <work_dir>/meta
std::string metaDir(const std::string& work_dir);
// <meta>/boot_id
std::string bootIdPath(const std::string& work_dir);
// <meta>/resources/resources.info
std::string resourcesInfoPath(const std::string& work_dir);
// <meta>/slaves/latest
std::string latestAgentPath(const std::string& work_dir);
// <meta>/slaves/<agent_id>
std::string agentPath(const std::string& work_dir, const std::string& agent_id);
// <meta>/slaves/<agent_id>/slave.info
std::string agentInfoPath(const std::string& work_dir, const std::string& agent_id);
// <meta>/slaves/<agent_id>/frameworks/<fid>
std::string frameworkPath(const std::string& work_dir, const std::string& agent_id,
                          const std::string& framework_id);
// <framework>/framework.info and framework.pid
std::string frameworkInfoPath(const std::string& work_dir, const std::string& agent_id,
                              const std::string& framework_id);
std::string frameworkPidPath(const std::string& work_dir, const std::string& agent_id,
                             const std::string& framework_id);
// <framework>/executors/<eid>
std::string executorPath(const std::string& work_dir, const std::string& agent_id,
                         const std::string& framework_id, const std::string& executor_id);
// <executor>/executor.info
std::string executorInfoPath(const std::string& work_dir, const std::string& agent_id,
                             const std::string& framework_id, const std::string& executor_id);
// <executor>/executor_generated_for_command_task (an empty marker file)
std::string commandExecutorMarkerPath(const std::string& work_dir, const std::string& agent_id,
                                      const std::string& framework_id,
                                      const std::string& executor_id);
// <executor>/runs/<cid>
std::string runPath(const std::string& work_dir, const std::string& agent_id,
                    const std::string& framework_id, const std::string& executor_id,
                    const std::string& container_id);
// <run>/pids/forked.pid and <run>/pids/libprocess.pid
std::string forkedPidPath(const std::string& work_dir, const std::string& agent_id,
                          const std::string& framework_id, const std::string& executor_id,
                          const std::string& container_id);
std::string libprocessPidPath(const std::string& work_dir, const std::string& agent_id,
                              const std::string& framework_id, const std::string& executor_id,
                              const std::string& container_id);
// <run>/tasks/<tid>
std::string taskPath(const std::string& work_dir, const std::string& agent_id,
                     const std::string& framework_id, const std::string& executor_id,
                     const std::string& container_id, const std::string& task_id);
// <task>/task.info and <task>/task.updates
std::string taskInfoPath(const std::string& work_dir, const std::string& agent_id,
                         const std::string& framework_id, const std::string& executor_id,
                         const std::string& container_id, const std::string& task_id);
std::string taskUpdatesPath(const std::string& work_dir, const std::string& agent_id,
                            const std::string& framework_id, const std::string& executor_id,
                            const std::string& container_id, const std::string& task_id);

// One record: 4-byte little-endian length + bytes.
std::string encodeRecord(const google::protobuf::Message& message);

// Atomically replaces `path` with `messages` encoded as records (temp file, fsync,
// rename). Creates parent directories. Errors name the path.
Status writeRecords(const std::string& path,
                    const std::vector<const google::protobuf::Message*>& messages);
Status writeRecord(const std::string& path, const google::protobuf::Message& message);

// Appends one record to `path` and fsyncs it (the status update log). Creates the file
// and its directories.
Status appendRecord(const std::string& path, const google::protobuf::Message& message);

// Reads every record of `path` into messages of type M. A truncated last record (the
// agent died mid-append) is dropped and counted in `*truncated` (if given); a record
// that does not parse is an error. Errors: unreadable file.
template <class M>
Result<std::vector<M>> readRecords(const std::string& path, int* truncated = nullptr);

// Atomically replaces `path` with `text`.
Status writeText(const std::string& path, const std::string& text);
// The whole file. Errors: missing or unreadable.
Result<std::string> readText(const std::string& path);

// This boot's id (/proc/sys/kernel/random/boot_id, trimmed). Errors: unreadable.
Result<std::string> currentBootId();

// The raw record payloads of `path` (see readRecords).
Result<std::vector<std::string>> readRawRecords(const std::string& path, int* truncated);

template <class M>
Result<std::vector<M>> readRecords(const std::string& path, int* truncated) {
  ASSIGN_OR_RETURN(auto raw, readRawRecords(path, truncated));
  std::vector<M> out;
  out.reserve(raw.size());
  for (const auto& bytes : raw) {
    M message;
    if (!message.ParseFromString(bytes)) {
      return Result<std::vector<M>>::error("Failed to parse a " + message.GetTypeName() +
                                           " record of '" + path + "'");
    }
    out.push_back(std::move(message));
  }
  return out;
}

}  // namespace keel::agent::checkpoint
