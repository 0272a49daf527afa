#include "exe/fork_server.hpp"

#include <errno.h>
#include <fcntl.h>
#include <linux/prctl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "agent/fork_server_protocol.hpp"

extern char** environ;

namespace keel::exe {

namespace {

namespace proto = keel::agent::fork_server;

void sendPacket(int fd, const std::string& packet) {
  while (::send(fd, packet.data(), packet.size(), MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

// Every child that exited, reported to the agent.
void reapChildren(int fd) {
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    sendPacket(fd, proto::encodeReply('X', pid, status));
  }
}

// The boundaries of the server's address space that PR_SET_MM_MAP must be given back
// unchanged, from /proc/self/stat. A child's are the same (fork copies the layout), so the
// server reads them once, before it forks anyone; nullopt if they could not be read.
std::optional<prctl_mm_map> readAddressSpaceLayout() {
  std::ifstream in("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 2));
  std::vector<unsigned long long> f(4, 0);  // f[n] is field n of proc(5); 3 is the state
  std::string state;
  fields >> state;
  unsigned long long v = 0;
  while (fields >> v) f.push_back(v);
  if (f.size() <= 51) return std::nullopt;
  prctl_mm_map map{};
  map.start_code = f[26];
  map.end_code = f[27];
  map.start_stack = f[28];
  map.start_data = f[45];
  map.end_data = f[46];
  map.start_brk = f[47];
  return map;
}

std::optional<prctl_mm_map> layout;  // the server's, read in runForkServer()

// Points /proc/<pid>/cmdline and /proc/<pid>/environ of the child at its own argv and
// environment (they show the memory the kernel set up at exec, the server's otherwise).
// PR_SET_MM_MAP takes every boundary of the address space at once; the others are the
// server's unchanged. Best effort: nothing changes if the kernel refuses.
void showArgvAndEnvironment(const std::vector<std::string>& argv,
                            const std::vector<std::string>& env) {
  if (!layout) return;
  static std::string args_text;
  static std::string env_text;
  for (const auto& a : argv) args_text.append(a).push_back('\0');
  for (const auto& e : env) env_text.append(e).push_back('\0');
  if (env_text.empty()) env_text.push_back('\0');
  prctl_mm_map map = *layout;
  map.brk = reinterpret_cast<unsigned long>(::sbrk(0));
  map.arg_start = reinterpret_cast<unsigned long>(args_text.data());
  map.arg_end = map.arg_start + args_text.size();
  map.env_start = reinterpret_cast<unsigned long>(env_text.data());
  map.env_end = map.env_start + env_text.size();
  map.exe_fd = static_cast<uint32_t>(-1);
  ::prctl(PR_SET_MM, PR_SET_MM_MAP, reinterpret_cast<unsigned long>(&map), sizeof map, 0);
}

// In the child: what posix_spawn does for the agent (a new session, stdin from /dev/null,
// the output files, the working directory). Returns 0 or the errno of what failed.
int prepare(const proto::LaunchRequest& r) {
  if (::setsid() < 0) return errno;
  auto open_or = [](const std::string& path, int flags) {
    return ::open(path.empty() ? "/dev/null" : path.c_str(), flags | O_CLOEXEC, 0644);
  };
  int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int out = open_or(r.stdout_path, O_WRONLY | O_CREAT | O_APPEND);
  int err = open_or(r.stderr_path, O_WRONLY | O_CREAT | O_APPEND);
  if (in < 0 || out < 0 || err < 0) return errno;
  if (!r.working_dir.empty() && ::chdir(r.working_dir.c_str()) != 0) return errno;
  if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) return errno;
  return 0;
}

// In the child, once it is committed: default signal dispositions and an empty mask
// (posix_spawn's SETSIGDEF and SETSIGMASK) and the request's environment, in place before
// the server answers the agent (as a spawned process has them from its first moment).
void becomeExecutor(proto::LaunchRequest& r, std::vector<char*>* env) {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; ++s) {
    if (s != SIGKILL && s != SIGSTOP) ::sigaction(s, &dfl, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  static std::vector<std::string> strings;
  strings = std::move(r.env);  // the child's own copy of the request
  for (auto& e : strings) env->push_back(e.data());
  env->push_back(nullptr);
  environ = env->data();
  showArgvAndEnvironment(r.argv, strings);
}

// Forks the child for `r`; answers the agent with its pid or why it could not start.
void launch(int fd, proto::LaunchRequest& r, int (*executor_main)(int, char**)) {
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    sendPacket(fd, proto::encodeReply('F', errno));
    return;
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    ::close(report[0]);
    ::close(report[1]);
    sendPacket(fd, proto::encodeReply('F', e));
    return;
  }
  if (pid == 0) {
    ::close(report[0]);
    int e = prepare(r);
    if (e != 0) {
      while (::write(report[1], &e, sizeof e) < 0 && errno == EINTR) {
      }
      ::_exit(127);
    }
    std::vector<char*> env;
    becomeExecutor(r, &env);
    ::close(report[1]);        // success: the server's read sees the end
    ::close_range(3, ~0U, 0);  // nothing of the server's descriptors
    std::vector<std::string> args = r.argv;
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::exit(executor_main(static_cast<int>(args.size()), argv.data()));
  }
  ::close(report[1]);
  int child_error = 0;
  ssize_t got;
  while ((got = ::read(report[0], &child_error, sizeof child_error)) < 0 && errno == EINTR) {
  }
  ::close(report[0]);
  if (got == static_cast<ssize_t>(sizeof child_error)) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    sendPacket(fd, proto::encodeReply('F', child_error));
  } else {
    sendPacket(fd, proto::encodeReply('S', pid));
  }
}

}  // namespace

int runForkServer(int fd, int (*executor_main)(int, char**)) {
  layout = readAddressSpaceLayout();
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &chld, nullptr);
  int signals = ::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (signals < 0) return 1;
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  std::vector<char> buffer(proto::kMaxPacket);
  for (;;) {
    pollfd fds[2] = {{fd, POLLIN, 0}, {signals, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo info;
      while (::read(signals, &info, sizeof info) > 0) {
      }
      reapChildren(fd);
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return 0;  // the agent is gone; the executors live on
      auto request = proto::decode(buffer.data(), static_cast<size_t>(n));
      if (!request) {
        sendPacket(fd, proto::encodeReply('F', EINVAL));
        continue;
      }
      launch(fd, *request, executor_main);
    }
  }
}

}  // namespace keel::exe
