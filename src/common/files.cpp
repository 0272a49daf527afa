#include "common/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace keel {

Status writeAll(int fd, const std::string& data) {
  size_t written = 0;
  while (written < data.size()) {
    ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return Status::error(std::strerror(errno));
    }
    written += static_cast<size_t>(n);
  }
  return Status::ok();
}

Status writeFileAtomically(const std::string& path, const std::string& data, mode_t mode) {
  const std::filesystem::path target(path);
  std::error_code ec;
  std::filesystem::create_directories(target.parent_path(), ec);
  if (ec) {
    return Status::error("Failed to create '" + target.parent_path().string() +
                         "': " + ec.message());
  }
  const std::string temp = path + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    return Status::error("Failed to open '" + temp + "': " + std::strerror(errno));
  }
  Status written = writeAll(fd, data);
  // The rename must not become visible before the bytes are on disk, else a crash leaves
  // an empty file behind.
  if (written.isOk() && ::fsync(fd) != 0) {
    written = Status::error(std::string("fsync: ") + std::strerror(errno));
  }
  ::close(fd);
  if (!written.isOk()) {
    return Status::error("Failed to write '" + temp + "': " + written.message());
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    return Status::error("Failed to rename '" + temp + "': " + std::strerror(errno));
  }
  int dir = ::open(target.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return Status::ok();
}

std::string findOnPath(const std::string& name, std::string_view path_list) {
  if (name.find('/') != std::string::npos) return name;
  size_t start = 0;
  for (;;) {
    const size_t end = path_list.find(':', start);
    const std::string_view dir = path_list.substr(start, end - start);
    const std::string candidate = (dir.empty() ? std::string(".") : std::string(dir)) + "/" + name;
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    if (end == std::string_view::npos) return std::string();
    start = end + 1;
  }
}

}  // namespace keel
