#pragma once

// Durable file writes shared by the agent's checkpoints and the master's registry.

#include <sys/types.h>

#include <string>

#include "common/status.hpp"

namespace keel {

// Writes all of `data` to `fd`, retrying short writes and EINTR.
Status writeAll(int fd, const std::string& data);

// Replaces `path` with `data` so that a crash leaves either the old or the new content: a
// temporary file beside it, fsync, rename, fsync of the directory. Creates the parent
// directories. `mode` applies to a newly created file.
Status writeFileAtomically(const std::string& path, const std::string& data, mode_t mode = 0644);

}  // namespace keel
