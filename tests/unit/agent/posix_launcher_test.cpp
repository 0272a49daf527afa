#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <sstream>
#include <thread>

#include "agent/process_launcher.hpp"

namespace keel::agent {
namespace {

class PosixLauncherTest : public ::testing::Test {
 protected:
  PosixLauncherTest() {
    char tmpl[] = "/tmp/keel-launcher-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  ~PosixLauncherTest() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  LaunchSpec shell(const std::string& command) {
    LaunchSpec spec;
    spec.path = "/bin/sh";
    spec.argv = {"sh", "-c", command};
    spec.env = {{"PATH", "/usr/bin:/bin"}, {"GREETING", "hello"}};
    spec.working_dir = dir_;
    spec.stdout_path = dir_ + "/stdout";
    spec.stderr_path = dir_ + "/stderr";
    return spec;
  }
  std::string read(const std::string& name) {
    std::ifstream in(dir_ + "/" + name);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::string dir_;
};

TEST_F(PosixLauncherTest, RunsInSandboxWithOnlyGivenEnvironmentAndReportsExit) {
  // Ensures a launched process gets the given env and cwd, its own session, its output in
  // the files, and that its raw exit status is reported.
  PosixProcessLauncher launcher;
  std::promise<Result<pid_t>> launched;
  launcher.launch(shell("echo $GREETING; echo ${HOME:-nohome}; pwd; exit 3"),
                  [&](Result<pid_t> r) { launched.set_value(std::move(r)); });
  auto future = launched.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  Result<pid_t> pid = future.get();
  ASSERT_TRUE(pid.isOk()) << pid.message();
  std::promise<int> exited;
  launcher.watch(*pid, [&](int status) { exited.set_value(status); });
  auto status = exited.get_future();
  ASSERT_EQ(status.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  int raw = status.get();
  ASSERT_TRUE(WIFEXITED(raw));
  EXPECT_EQ(WEXITSTATUS(raw), 3);
  std::string out = read("stdout");
  EXPECT_NE(out.find("hello\nnohome\n" + std::filesystem::canonical(dir_).string()),
            std::string::npos)
      << out;
}

TEST_F(PosixLauncherTest, KillGroupTerminatesTheSession) {
  // Ensures killGroup reaches the process group of a launched process.
  PosixProcessLauncher launcher;
  std::promise<Result<pid_t>> launched;
  launcher.launch(shell("sleep 30"), [&](Result<pid_t> r) { launched.set_value(std::move(r)); });
  auto future = launched.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  Result<pid_t> pid = future.get();
  ASSERT_TRUE(pid.isOk()) << pid.message();
  std::promise<int> exited;
  EXPECT_EQ(::getsid(*pid), *pid);
  launcher.watch(*pid, [&](int status) { exited.set_value(status); });
  EXPECT_TRUE(launcher.killGroup(*pid, SIGKILL).isOk());
  auto status = exited.get_future();
  ASSERT_EQ(status.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  int raw = status.get();
  ASSERT_TRUE(WIFSIGNALED(raw));
  EXPECT_EQ(WTERMSIG(raw), SIGKILL);
}

TEST_F(PosixLauncherTest, MissingExecutableIsAnError) {
  // Ensures a launch that cannot exec reports an error instead of a pid.
  PosixProcessLauncher launcher;
  LaunchSpec spec = shell("true");
  spec.path = "/nonexistent/keel-executor";
  spec.argv = {"keel-executor"};
  auto result = PosixProcessLauncher::spawn(spec);
  EXPECT_FALSE(result.isOk());
}

// A TCP port on loopback that accepts connections and never answers: an executor pointed
// at it waits for its agent, alive, until it is killed.
class SilentAgent {
 public:
  SilentAgent() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot listen on loopback";
    }
    port_ = ntohs(addr.sin_port);
  }
  ~SilentAgent() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

std::string readProc(pid_t pid, const std::string& what) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + what);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// keel-executor waiting for the agent at `agent_port`, in the test's directory.
LaunchSpec executorSpec(const std::string& dir, int agent_port) {
  LaunchSpec spec;
  spec.path = std::string(KEEL_BIN_DIR) + "/keel-executor";
  spec.argv = {"keel-executor"};
  spec.env = {{"MESOS_SLAVE_PID", "slave(1)@127.0.0.1:" + std::to_string(agent_port)},
              {"MESOS_SLAVE_ID", "agent-1"},
              {"MESOS_FRAMEWORK_ID", "framework-1"},
              {"MESOS_EXECUTOR_ID", "executor-1"},
              {"MESOS_DIRECTORY", dir},
              {"MESOS_CHECKPOINT", "0"}};
  spec.working_dir = dir;
  return spec;
}

// launch() and its answer (an error if none came within 10 s).
Result<pid_t> launchAndWait(PosixProcessLauncher& launcher, const LaunchSpec& spec) {
  std::promise<Result<pid_t>> launched;
  launcher.launch(spec, [&](Result<pid_t> r) { launched.set_value(std::move(r)); });
  auto future = launched.get_future();
  if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    return Status::error("no answer to the launch");
  }
  return future.get();
}

// What watch() reports for `pid` (after SIGKILL to its group if `kill`); nullopt if
// nothing within 10 s.
std::optional<int> exitOf(PosixProcessLauncher& launcher, pid_t pid, bool kill) {
  std::promise<int> exited;
  launcher.watch(pid, [&](int status) { exited.set_value(status); });
  if (kill) EXPECT_TRUE(launcher.killGroup(pid, SIGKILL).isOk());
  auto status = exited.get_future();
  if (status.wait_for(std::chrono::seconds(10)) != std::future_status::ready) return std::nullopt;
  return status.get();
}

TEST_F(PosixLauncherTest, BuiltInExecutorStartsThroughTheForkServer) {
  // Ensures keel-executor is started by its fork server rather than as our child, in its
  // own session, directory and environment (nothing of ours), showing its own command
  // line, and that its exit status still reaches watch().
  SilentAgent agent;
  PosixProcessLauncher launcher;
  LaunchSpec spec = executorSpec(dir_, agent.port());
  spec.argv.push_back("--launcher_dir=" + std::string(KEEL_BIN_DIR));
  spec.env["MARKER"] = "fork-server-test";
  spec.stdout_path = dir_ + "/stdout";
  spec.stderr_path = dir_ + "/stderr";
  Result<pid_t> pid = launchAndWait(launcher, spec);
  ASSERT_TRUE(pid.isOk()) << pid.message();

  int ignored = 0;
  EXPECT_EQ(::waitpid(*pid, &ignored, WNOHANG), -1);  // not our child
  EXPECT_EQ(errno, ECHILD);
  EXPECT_EQ(::getsid(*pid), *pid);
  EXPECT_EQ(std::filesystem::read_symlink("/proc/" + std::to_string(*pid) + "/cwd"),
            std::filesystem::canonical(dir_));
  unsigned int map_size = 0;  // whether this kernel lets a process describe its own memory
  if (::prctl(PR_SET_MM, PR_SET_MM_MAP_SIZE, &map_size, 0, 0) == 0) {
    const std::string environ = readProc(*pid, "environ");
    EXPECT_NE(environ.find("MARKER=fork-server-test"), std::string::npos);
    EXPECT_EQ(environ.find("PATH="), std::string::npos);  // only what the spec gives
    EXPECT_EQ(readProc(*pid, "cmdline"),
              std::string("keel-executor") + '\0' + "--launcher_dir=" + KEEL_BIN_DIR + '\0');
  }

  std::optional<int> raw = exitOf(launcher, *pid, true);
  ASSERT_TRUE(raw.has_value());
  ASSERT_TRUE(WIFSIGNALED(*raw)) << *raw;
  EXPECT_EQ(WTERMSIG(*raw), SIGKILL);
}

TEST_F(PosixLauncherTest, ExecutorsOutliveADeadForkServer) {
  // Ensures that when the fork server dies, its executors are still watched (through
  // /proc, their status lost: -1) and later launches are spawned instead.
  SilentAgent agent;
  PosixProcessLauncher launcher;
  const LaunchSpec spec = executorSpec(dir_, agent.port());
  Result<pid_t> first = launchAndWait(launcher, spec);
  ASSERT_TRUE(first.isOk()) << first.message();
  // The server is the executor's parent (field 4 of /proc/<pid>/stat).
  std::string stat = readProc(*first, "stat");
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string state;
  pid_t server = 0;
  fields >> state >> server;
  ASSERT_GT(server, 1);
  ASSERT_NE(server, ::getpid());
  ASSERT_EQ(::kill(server, SIGKILL), 0);

  Result<pid_t> second = launchAndWait(launcher, spec);  // the server is gone: spawned
  ASSERT_TRUE(second.isOk()) << second.message();
  EXPECT_EQ(exitOf(launcher, *first, true), std::optional<int>(-1));

  std::optional<int> raw = exitOf(launcher, *second, true);
  ASSERT_TRUE(raw.has_value());
  ASSERT_TRUE(WIFSIGNALED(*raw)) << *raw;  // our own child: its real status
  EXPECT_EQ(WTERMSIG(*raw), SIGKILL);
}

TEST_F(PosixLauncherTest, ForkServerReportsWhatCannotStart) {
  // Ensures a built-in executor whose working directory is missing fails to launch with
  // the reason, as a spawn would, and that an exit code reaches watch().
  PosixProcessLauncher launcher;
  LaunchSpec spec;
  spec.path = std::string(KEEL_BIN_DIR) + "/keel-executor";
  spec.argv = {"keel-executor", "--help"};
  spec.working_dir = dir_ + "/missing";
  Result<pid_t> failed = launchAndWait(launcher, spec);
  EXPECT_FALSE(failed.isOk());
  spec.working_dir = dir_;
  spec.stdout_path = dir_ + "/stdout";
  Result<pid_t> pid = launchAndWait(launcher, spec);
  ASSERT_TRUE(pid.isOk()) << pid.message();
  std::optional<int> raw = exitOf(launcher, *pid, false);
  ASSERT_TRUE(raw.has_value());
  ASSERT_TRUE(WIFEXITED(*raw)) << *raw;
  EXPECT_EQ(WEXITSTATUS(*raw), 0);
  EXPECT_NE(read("stdout").find("Usage: keel-executor"), std::string::npos);
}

}  // namespace
}  // namespace keel::agent
