#include "agent/recovery_state.hpp"

#include <glog/logging.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "agent/checkpoint.hpp"

namespace keel::agent {

namespace {

namespace fs = std::filesystem;

// Accumulates the strict/lenient decision: in strict mode the first problem is the
// result; otherwise it is logged and counted.
class Reader {
 public:
  Reader(std::string work_dir, bool strict) : work_dir_(std::move(work_dir)), strict_(strict) {}

  Status problem(const std::string& message) {
    if (strict_) {
      return Status::error(message);
    }
    LOG(WARNING) << "Recovery: " << message << " (skipped, --strict=false)";
    ++errors_;
    return Status::ok();
  }

  // The single record of `path`; nullopt if the file is missing, empty or (lenient)
  // broken.
  template <class M>
  Result<std::optional<M>> single(const std::string& path) {
    if (!fs::exists(path)) {
      return std::optional<M>();
    }
    auto records = checkpoint::readRecords<M>(path);
    if (!records) {
      RETURN_IF_ERROR(problem(records.message()));
      return std::optional<M>();
    }
    if (records->empty()) {
      // Mesos's reading: the host died after creating the file, before the data hit disk.
      LOG(WARNING) << "Recovery: empty checkpoint file '" << path << "'";
      return std::optional<M>();
    }
    return std::optional<M>(std::move(records->front()));
  }

  // The text of `path` without trailing whitespace; nullopt if missing.
  Result<std::optional<std::string>> text(const std::string& path) {
    if (!fs::exists(path)) {
      return std::optional<std::string>();
    }
    auto read = checkpoint::readText(path);
    if (!read) {
      RETURN_IF_ERROR(problem(read.message()));
      return std::optional<std::string>();
    }
    std::string value = *read;
    while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) {
      value.pop_back();
    }
    return std::optional<std::string>(value);
  }

  const std::string& workDir() const { return work_dir_; }
  int errors() const { return errors_; }

 private:
  std::string work_dir_;
  bool strict_;
  int errors_ = 0;
};

// Names of the subdirectories of `dir` (none if it does not exist).
std::vector<std::string> subdirectories(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory() && !it->is_symlink()) {
      out.push_back(it->path().filename().string());
    }
  }
  return out;
}

Result<TaskCheckpoint> readTask(Reader& reader, const std::string& agent_id, const std::string& fid,
                                const std::string& eid, const std::string& cid,
                                const std::string& tid) {
  const std::string& dir = reader.workDir();
  TaskCheckpoint task;
  task.id = tid;
  ASSIGN_OR_RETURN(task.info, reader.single<mesos::Task>(
                                  checkpoint::taskInfoPath(dir, agent_id, fid, eid, cid, tid)));
  std::string updates = checkpoint::taskUpdatesPath(dir, agent_id, fid, eid, cid, tid);
  if (!fs::exists(updates)) {
    return task;
  }
  int truncated = 0;
  auto records = checkpoint::readRecords<mesos::internal::StatusUpdateRecord>(updates, &truncated);
  if (!records) {
    RETURN_IF_ERROR(reader.problem(records.message()));
    return task;
  }
  task.records = std::move(*records);
  if (truncated > 0) {
    // Later appends must not land behind the torn record.
    LOG(WARNING) << "Recovery: dropping a partial record at the end of '" << updates << "'";
    std::vector<const google::protobuf::Message*> keep;
    for (const auto& record : task.records) {
      keep.push_back(&record);
    }
    RETURN_IF_ERROR(checkpoint::writeRecords(updates, keep));
  }
  return task;
}

Result<RunCheckpoint> readRun(Reader& reader, const std::string& agent_id, const std::string& fid,
                              const std::string& eid, const std::string& cid, bool rebooted) {
  const std::string& dir = reader.workDir();
  RunCheckpoint run;
  run.container_id = cid;
  if (!rebooted) {
    ASSIGN_OR_RETURN(auto forked,
                     reader.text(checkpoint::forkedPidPath(dir, agent_id, fid, eid, cid)));
    if (forked) {
      char* end = nullptr;
      long value = std::strtol(forked->c_str(), &end, 10);
      if (end == forked->c_str() || *end != '\0' || value <= 1) {
        RETURN_IF_ERROR(reader.problem("Bad forked pid '" + *forked + "'"));
      } else {
        run.forked_pid = static_cast<pid_t>(value);
      }
    }
    ASSIGN_OR_RETURN(run.libprocess_pid,
                     reader.text(checkpoint::libprocessPidPath(dir, agent_id, fid, eid, cid)));
  }
  std::string tasks = checkpoint::runPath(dir, agent_id, fid, eid, cid) + "/tasks";
  for (const std::string& tid : subdirectories(tasks)) {
    ASSIGN_OR_RETURN(auto task, readTask(reader, agent_id, fid, eid, cid, tid));
    run.tasks.emplace(tid, std::move(task));
  }
  return run;
}

Result<ExecutorCheckpoint> readExecutor(Reader& reader, const std::string& agent_id,
                                        const std::string& fid, const std::string& eid,
                                        bool rebooted) {
  const std::string& dir = reader.workDir();
  ExecutorCheckpoint executor;
  executor.id = eid;
  ASSIGN_OR_RETURN(executor.info, reader.single<mesos::ExecutorInfo>(
                                      checkpoint::executorInfoPath(dir, agent_id, fid, eid)));
  executor.command_executor =
      fs::exists(checkpoint::commandExecutorMarkerPath(dir, agent_id, fid, eid));
  std::string runs = checkpoint::executorPath(dir, agent_id, fid, eid) + "/runs";
  std::error_code ec;
  fs::path latest = fs::read_symlink(runs + "/latest", ec);
  if (!ec) {
    executor.latest = latest.filename().string();
  }
  for (const std::string& cid : subdirectories(runs)) {
    ASSIGN_OR_RETURN(auto run, readRun(reader, agent_id, fid, eid, cid, rebooted));
    executor.runs.emplace(cid, std::move(run));
  }
  if (!executor.latest && executor.runs.size() == 1) {
    executor.latest = executor.runs.begin()->first;
  }
  return executor;
}

Result<FrameworkCheckpoint> readFramework(Reader& reader, const std::string& agent_id,
                                          const std::string& fid, bool rebooted) {
  const std::string& dir = reader.workDir();
  FrameworkCheckpoint framework;
  framework.id = fid;
  ASSIGN_OR_RETURN(framework.info, reader.single<mesos::FrameworkInfo>(
                                       checkpoint::frameworkInfoPath(dir, agent_id, fid)));
  ASSIGN_OR_RETURN(framework.pid, reader.text(checkpoint::frameworkPidPath(dir, agent_id, fid)));
  std::string executors = checkpoint::frameworkPath(dir, agent_id, fid) + "/executors";
  for (const std::string& eid : subdirectories(executors)) {
    ASSIGN_OR_RETURN(auto executor, readExecutor(reader, agent_id, fid, eid, rebooted));
    framework.executors.emplace(eid, std::move(executor));
  }
  return framework;
}

}  // namespace

Result<RecoveredState> readCheckpoint(const std::string& work_dir, bool strict,
                                      const std::string& boot_id) {
  Reader reader(work_dir, strict);
  RecoveredState state;

  std::string resources = checkpoint::resourcesInfoPath(work_dir);
  if (fs::exists(resources)) {
    auto records = checkpoint::readRecords<mesos::Resource>(resources);
    if (records) {
      state.resources = std::move(*records);
    } else {
      RETURN_IF_ERROR(reader.problem(records.message()));
    }
  }

  ASSIGN_OR_RETURN(auto recorded_boot, reader.text(checkpoint::bootIdPath(work_dir)));
  if (recorded_boot && !boot_id.empty() && *recorded_boot != boot_id) {
    LOG(INFO) << "Agent host rebooted (boot id " << *recorded_boot << " -> " << boot_id << ")";
    state.rebooted = true;
  }

  std::error_code ec;
  fs::path latest = fs::read_symlink(checkpoint::latestAgentPath(work_dir), ec);
  if (ec) {
    // Never registered, or told to start afresh.
    state.errors = reader.errors();
    return state;
  }
  AgentCheckpoint agent;
  agent.id = latest.filename().string();
  ASSIGN_OR_RETURN(agent.info,
                   reader.single<mesos::SlaveInfo>(checkpoint::agentInfoPath(work_dir, agent.id)));
  if (agent.info) {
    std::string frameworks = checkpoint::agentPath(work_dir, agent.id) + "/frameworks";
    for (const std::string& fid : subdirectories(frameworks)) {
      ASSIGN_OR_RETURN(auto framework, readFramework(reader, agent.id, fid, state.rebooted));
      agent.frameworks.emplace(fid, std::move(framework));
    }
  }
  state.agent = std::move(agent);
  state.errors = reader.errors();
  return state;
}

}  // namespace keel::agent
