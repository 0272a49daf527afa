#pragma once

// Durable file writes shared by the agent's checkpoints and the master's registry, and the
// PATH search shared by the agent and keel-executor.

#include <sys/types.h>

#include <string>
#include <string_view>

#include "common/status.hpp"

namespace keel {

// Writes all of `data` to `fd`, retrying short writes and EINTR.
Status writeAll(int fd, const std::string& data);

// Replaces `path` with `data` so that a crash leaves either the old or the new content: a
// temporary file beside it, fsync, rename, fsync of the directory. Creates the parent
// directories. `mode` applies to a newly created file.
Status writeFileAtomically(const std::string& path, const std::string& data, mode_t mode = 0644);

// Where a shell or execvp() finds `name` on `path_list` (colon-separated; an empty entry is
// the working directory): the first executable regular file. `name` itself when it holds a
// '/'; empty when nothing is found.
std::string findOnPath(const std::string& name, std::string_view path_list);

}  // namespace keel
