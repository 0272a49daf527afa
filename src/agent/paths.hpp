#pragma once

#include <string>

#include "common/status.hpp"

// The agent's work-directory layout (Mesos's, spec §5.4). Pure path arithmetic plus
// the few filesystem helpers the agent needs; blocking, so callers keep them off hot
// paths (directory creation happens once per executor launch).
namespace keel::agent::paths {

// <work_dir>/slaves/<agent_id>
std::string agentDir(const std::string& work_dir, const std::string& agent_id);

// <work_dir>/slaves/<agent_id>/frameworks/<fid>/executors/<eid>
std::string executorDir(const std::string& work_dir, const std::string& agent_id,
                        const std::string& framework_id, const std::string& executor_id);

// <executorDir>/runs/<container_id>: the sandbox.
std::string runDir(const std::string& work_dir, const std::string& agent_id,
                   const std::string& framework_id, const std::string& executor_id,
                   const std::string& container_id);

// <work_dir>/meta/slaves/<agent_id>/slave.info
std::string agentInfoPath(const std::string& work_dir, const std::string& agent_id);

// mkdir -p. Errors name the path.
Status createDirectories(const std::string& path);

// Points `link` at `target`, replacing whatever link was there (via a temporary link
// and rename, so readers never see it missing).
Status replaceSymlink(const std::string& target, const std::string& link);

// Creates the run directory of an executor, its `runs/latest` link and the agent's
// `slaves/latest` link.
Status createSandbox(const std::string& work_dir, const std::string& agent_id,
                     const std::string& framework_id, const std::string& executor_id,
                     const std::string& container_id);

}  // namespace keel::agent::paths
