#include "agent/executor_fork_server.hpp"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <vector>

#include "agent/fork_server_protocol.hpp"
#include "agent/spawn_attributes.hpp"
#include "common/strings.hpp"

namespace keel::agent {

namespace {

namespace proto = fork_server;

// How long a launch may wait for the server's answer before the caller spawns itself.
constexpr auto kReplyTimeout = std::chrono::seconds(10);

}  // namespace

Result<std::unique_ptr<ExecutorForkServer>> ExecutorForkServer::start(
    const std::string& executable) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
    return Status::error(std::string("socketpair: ") + ::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], proto::kSocketFd);
  posix_spawn_file_actions_addclosefrom_np(&actions, proto::kSocketFd + 1);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  defaultSignalsOnSpawn(&attr);
  std::string arg0 = "keel-executor";
  std::string arg1 = proto::kFlag;
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  char* envp[] = {nullptr};  // its children get their whole environment from each request
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, executable.c_str(), &actions, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return Status::error("Failed to start the executor fork server '" + executable +
                         "': " + ::strerror(rc));
  }
  return std::unique_ptr<ExecutorForkServer>(new ExecutorForkServer(executable, pid, fds[0]));
}

ExecutorForkServer::ExecutorForkServer(std::string executable, pid_t pid, int fd)
    : executable_(std::move(executable)), server_pid_(pid), fd_(fd) {
  reader_ = std::thread([this] { readLoop(); });
}

ExecutorForkServer::~ExecutorForkServer() {
  ::shutdown(fd_, SHUT_RDWR);  // the server sees the end and exits; the reader wakes
  reader_.join();
  ::close(fd_);
  int status = 0;
  while (::waitpid(server_pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

bool ExecutorForkServer::serves(const LaunchSpec& spec) const {
  if (spec.path != executable_) return false;
  for (const auto& [key, value] : spec.env) {
    using strings::startsWith;
    if (startsWith(key, "LD_") || startsWith(key, "GLOG_") || startsWith(key, "GOOGLE_") ||
        startsWith(key, "MALLOC_") || key == "GLIBC_TUNABLES") {
      return false;
    }
  }
  return true;
}

Result<pid_t> ExecutorForkServer::launch(const LaunchSpec& spec) {
  proto::LaunchRequest request;
  request.working_dir = spec.working_dir;
  request.stdout_path = spec.stdout_path;
  request.stderr_path = spec.stderr_path;
  request.argv = spec.argv;
  if (request.argv.empty()) request.argv.push_back(spec.path);
  for (const auto& [key, value] : spec.env) request.env.push_back(key + "=" + value);
  const std::string packet = proto::encode(request);
  if (packet.size() > proto::kMaxPacket) return Status::error("launch request too large");

  std::lock_guard<std::mutex> one_at_a_time(launch_mutex_);
  std::unique_lock<std::mutex> lock(mutex_);
  if (dead_) return Status::error("the executor fork server is gone");
  reply_.reset();
  ssize_t sent;
  while ((sent = ::send(fd_, packet.data(), packet.size(), MSG_NOSIGNAL)) < 0 && errno == EINTR) {
  }
  if (sent != static_cast<ssize_t>(packet.size())) {
    return Status::error(std::string("fork server: send: ") + ::strerror(errno));
  }
  if (!replied_.wait_for(lock, kReplyTimeout, [this] { return reply_.has_value() || dead_; }) ||
      !reply_) {
    return Status::error("the executor fork server did not answer");
  }
  auto [kind, value] = *reply_;
  reply_.reset();
  if (kind != 'S') {
    return Status::error("Failed to execute '" + spec.path + "': " + ::strerror(value));
  }
  children_.insert(value);
  return static_cast<pid_t>(value);
}

ExecutorForkServer::Child ExecutorForkServer::poll(pid_t pid, int* status) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!children_.count(pid)) return Child::kNotOurs;
  auto it = exits_.find(pid);
  if (it != exits_.end()) {
    *status = it->second;
    exits_.erase(it);
    children_.erase(pid);
    return Child::kExited;
  }
  if (dead_) {
    children_.erase(pid);
    return Child::kLost;
  }
  return Child::kRunning;
}

void ExecutorForkServer::readLoop() {
  std::vector<char> buffer(64);
  for (;;) {
    ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    proto::Reader in(buffer.data() + 1, static_cast<size_t>(n) - 1);
    int32_t a = 0;
    int32_t b = 0;
    std::lock_guard<std::mutex> lock(mutex_);
    if ((buffer[0] == 'S' || buffer[0] == 'F') && in.integer(&a)) {
      reply_ = std::make_pair(buffer[0], static_cast<int>(a));
      replied_.notify_all();
    } else if (buffer[0] == 'X' && in.integer(&a) && in.integer(&b)) {
      exits_[a] = b;
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  dead_ = true;
  replied_.notify_all();
}

}  // namespace keel::agent
