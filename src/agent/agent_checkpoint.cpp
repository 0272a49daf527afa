// What the agent writes to its checkpoint (<work_dir>/meta, spec §5.4, §5.8) as its
// frameworks, executors and tasks change, and the checkpointed resources the master
// sends (CheckpointResourcesMessage).

#include <glog/logging.h>

#include <filesystem>
#include <system_error>

#include "agent/agent.hpp"
#include "agent/checkpoint.hpp"
#include "agent/paths.hpp"
#include "agent/resource_detection.hpp"
#include "common/resource_conversions.hpp"

namespace keel::agent {

namespace {

void logFailure(const Status& status, const std::string& what) {
  if (!status) {
    // Mesos treats a failed checkpoint as fatal; the agent keeps running instead and
    // recovers less after a restart.
    LOG(ERROR) << "Failed to checkpoint " << what << ": " << status.message();
  }
}

// A path component from the network must not climb out of the volumes directory.
bool safeComponent(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}

// <work_dir>/volumes/roles/<role>/<persistence id> ("/" in a role becomes " ", as Mesos
// stores hierarchical roles); empty if the names are unusable.
std::string volumePath(const std::string& work_dir, const mesos::Resource& volume) {
  std::string role = Resources::reservationRole(volume);
  for (char& c : role) {
    if (c == '/') {
      c = ' ';
    }
  }
  const std::string& id = volume.disk().persistence().id();
  if (!safeComponent(role) || !safeComponent(id)) {
    return "";
  }
  return work_dir + "/volumes/roles/" + role + "/" + id;
}

}  // namespace

bool Agent::checkpointing(const FrameworkRecord& framework) const {
  return framework.info.checkpoint() && !agentId().empty();
}

void Agent::checkpointFramework(const FrameworkRecord& framework) {
  if (!checkpointing(framework)) {
    return;
  }
  const std::string& fid = framework.id();
  logFailure(checkpoint::writeRecord(checkpoint::frameworkInfoPath(work_dir_, agentId(), fid),
                                     framework.info),
             "framework " + fid);
  std::string pid = framework.scheduler_pid ? framework.scheduler_pid->str() : "";
  logFailure(checkpoint::writeText(checkpoint::frameworkPidPath(work_dir_, agentId(), fid), pid),
             "the pid of framework " + fid);
}

void Agent::checkpointExecutor(const FrameworkRecord& framework, const ExecutorRecord& executor) {
  if (!checkpointing(framework)) {
    return;
  }
  const std::string& fid = framework.id();
  const std::string& eid = executor.info.executor_id().value();
  const std::string& cid = executor.container_id.value();
  logFailure(checkpoint::writeRecord(checkpoint::executorInfoPath(work_dir_, agentId(), fid, eid),
                                     executor.info),
             "executor " + eid);
  if (executor.command_executor) {
    logFailure(checkpoint::writeText(
                   checkpoint::commandExecutorMarkerPath(work_dir_, agentId(), fid, eid), ""),
               "the command executor marker of " + eid);
  }
  std::string run = checkpoint::runPath(work_dir_, agentId(), fid, eid, cid);
  Status status = paths::createDirectories(run);
  if (status) {
    status = paths::replaceSymlink(
        run, checkpoint::executorPath(work_dir_, agentId(), fid, eid) + "/runs/latest");
  }
  logFailure(status, "the run of executor " + eid);
}

void Agent::checkpointForkedPid(const FrameworkRecord& framework, const ExecutorRecord& executor) {
  if (!checkpointing(framework)) {
    return;
  }
  const std::string& eid = executor.info.executor_id().value();
  logFailure(checkpoint::writeText(checkpoint::forkedPidPath(work_dir_, agentId(), framework.id(),
                                                             eid, executor.container_id.value()),
                                   std::to_string(executor.os_pid)),
             "the forked pid of executor " + eid);
}

void Agent::checkpointLibprocessPid(const FrameworkRecord& framework,
                                    const ExecutorRecord& executor) {
  if (!checkpointing(framework)) {
    return;
  }
  const std::string& eid = executor.info.executor_id().value();
  logFailure(
      checkpoint::writeText(checkpoint::libprocessPidPath(work_dir_, agentId(), framework.id(), eid,
                                                          executor.container_id.value()),
                            executor.pid.str()),
      "the libprocess pid of executor " + eid);
}

void Agent::checkpointTask(const FrameworkRecord& framework, const ExecutorRecord& executor,
                           const mesos::Task& task) {
  if (!checkpointing(framework)) {
    return;
  }
  logFailure(checkpoint::writeRecord(
                 checkpoint::taskInfoPath(work_dir_, agentId(), framework.id(),
                                          executor.info.executor_id().value(),
                                          executor.container_id.value(), task.task_id().value()),
                 task),
             "task " + task.task_id().value());
}

std::string Agent::updatesPath(const FrameworkRecord& framework, const ExecutorRecord& executor,
                               const std::string& task_id) const {
  if (!checkpointing(framework)) {
    return "";
  }
  return checkpoint::taskUpdatesPath(work_dir_, agentId(), framework.id(),
                                     executor.info.executor_id().value(),
                                     executor.container_id.value(), task_id);
}

void Agent::removeExecutorCheckpoint(const FrameworkRecord& framework,
                                     const ExecutorRecord& executor) {
  if (!checkpointing(framework)) {
    return;
  }
  // A completed executor must not be recovered by the next agent. (Mesos keeps the
  // directory until garbage collection and marks the run completed; Keel drops it.)
  std::error_code ec;
  std::filesystem::remove_all(checkpoint::executorPath(work_dir_, agentId(), framework.id(),
                                                       executor.info.executor_id().value()),
                              ec);
}

void Agent::removeFrameworkCheckpoint(const std::string& framework_id) {
  if (agentId().empty()) {
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(checkpoint::frameworkPath(work_dir_, agentId(), framework_id), ec);
}

void Agent::onCheckpointResources(const wire::Pid& from,
                                  const mesos::internal::CheckpointResourcesMessage& m) {
  if (!fromMaster(from, "CheckpointResourcesMessage") || state_ == State::kTerminating) {
    return;
  }
  Resources checkpointed = Resources(m.resources()).unallocated();
  Status status = applyCheckpointedResources(checkpointed);
  if (!status) {
    LOG(ERROR) << "Ignoring CheckpointResourcesMessage: " << status.message();
  }
}

Status Agent::applyCheckpointedResources(const Resources& checkpointed) {
  if (checkpointed == checkpointed_resources_) {
    return Status::ok();
  }
  // Also refuses resources an agent does not checkpoint.
  ASSIGN_OR_RETURN(Resources total,
                   keel::applyCheckpointedResources(Resources(info_.resources()), checkpointed));
  std::vector<const google::protobuf::Message*> records;
  for (const auto& resource : checkpointed) {
    records.push_back(&resource);
  }
  RETURN_IF_ERROR(checkpoint::writeRecords(checkpoint::resourcesInfoPath(work_dir_), records));
  syncPersistentVolumes(checkpointed_resources_, checkpointed);
  LOG(INFO) << "Updated checkpointed resources from " << checkpointed_resources_.str() << " to "
            << checkpointed.str();
  checkpointed_resources_ = checkpointed;
  total_ = std::move(total);
  return Status::ok();
}

void Agent::syncPersistentVolumes(const Resources& before, const Resources& after) {
  auto volumes = [](const Resources& resources) {
    return resources.filter([](const mesos::Resource& r) { return isPersistentVolume(r); });
  };
  for (const auto& volume : volumes(after)) {
    if (volumes(before).contains(volume)) {
      continue;
    }
    std::string path = volumePath(work_dir_, volume);
    Status created = path.empty() ? Status::error("unusable role or persistence id")
                                  : paths::createDirectories(path);
    if (!created) {
      LOG(ERROR) << "Failed to create persistent volume " << toString(volume) << ": "
                 << created.message();
    }
  }
  for (const auto& volume : volumes(before)) {
    if (volumes(after).contains(volume)) {
      continue;
    }
    std::string path = volumePath(work_dir_, volume);
    if (!path.empty()) {
      LOG(INFO) << "Deleting persistent volume '" << volume.disk().persistence().id() << "' at '"
                << path << "'";
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  }
}

}  // namespace keel::agent

namespace keel::agent {

void Agent::linkVolumes(const ExecutorRecord& executor,
                        const google::protobuf::RepeatedPtrField<mesos::Resource>& resources) {
  for (const auto& volume : resources) {
    if (!isPersistentVolume(volume) || !volume.disk().has_volume()) {
      continue;
    }
    const std::string& container_path = volume.disk().volume().container_path();
    std::string source = volumePath(work_dir_, volume);
    // Without a mount namespace a volume can only appear inside the sandbox, as with Mesos's
    // posix filesystem isolator: relative container paths that stay below the sandbox.
    if (source.empty() || container_path.empty() || container_path.front() == '/' ||
        container_path.find("..") != std::string::npos) {
      LOG(WARNING) << "Not linking persistent volume " << toString(volume)
                   << ": its container path must be relative to the sandbox";
      continue;
    }
    std::error_code ec;
    std::filesystem::create_directories(source, ec);
    std::filesystem::path target = std::filesystem::path(executor.directory) / container_path;
    if (std::filesystem::is_symlink(target, ec)) {
      continue;  // linked for an earlier task of this executor
    }
    std::filesystem::create_directories(target.parent_path(), ec);
    std::filesystem::create_directory_symlink(source, target, ec);
    if (ec) {
      LOG(ERROR) << "Failed to link persistent volume " << source << " at " << target.string()
                 << ": " << ec.message();
    }
  }
}

}  // namespace keel::agent
