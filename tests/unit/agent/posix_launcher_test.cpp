#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>

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

}  // namespace
}  // namespace keel::agent
