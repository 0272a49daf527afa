// Framework authentication through a whole in-process cluster over loopback TCP: the public
// MesosSchedulerDriver with and without a credential against a master started with
// --authenticate_frameworks and a credentials file.

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "cluster.hpp"

namespace keel::testing {
namespace {

mesos::Credential credential(const std::string& principal, const std::string& secret) {
  mesos::Credential c;
  c.set_principal(principal);
  c.set_secret(secret);
  return c;
}

class AuthenticationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keel-auth-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    const std::string path = dir_ + "/credentials.json";
    {
      std::ofstream out(path);
      out << R"({"credentials": [{"principal": "tim", "secret": "tanstaaftanstaaf"}]})";
    }
    ClusterOptions options;
    options.agents = 0;
    options.master_flags = {"--authenticate_frameworks", "--credentials=" + path};
    cluster_ = std::make_unique<Cluster>(options);
  }

  void TearDown() override {
    if (driver_) {
      driver_->stop();
      driver_->join();
      driver_.reset();
    }
    cluster_.reset();
    std::filesystem::remove_all(dir_);
  }

  void start(mesos::FrameworkInfo info, std::optional<mesos::Credential> c) {
    if (c) {
      driver_ = std::make_unique<mesos::MesosSchedulerDriver>(&scheduler_, info,
                                                              cluster_->masterAddress(), *c);
    } else {
      driver_ = std::make_unique<mesos::MesosSchedulerDriver>(&scheduler_, info,
                                                              cluster_->masterAddress());
    }
    ASSERT_EQ(driver_->start(), mesos::DRIVER_RUNNING);
  }

  std::string dir_;
  std::unique_ptr<Cluster> cluster_;
  RecordingScheduler scheduler_;
  std::unique_ptr<mesos::MesosSchedulerDriver> driver_;
};

// The right credential authenticates, then registers; the master records the principal.
TEST_F(AuthenticationTest, RightCredentialRegisters) {
  start(frameworkInfo(), credential("tim", "tanstaaftanstaaf"));
  ASSERT_TRUE(scheduler_.next("registered"));
  EXPECT_FALSE(scheduler_.next("error", nullptr, std::chrono::milliseconds(100)));
  auto state = httpGet(cluster_->masterAddress(), "/master/state");
  ASSERT_TRUE(state);
  EXPECT_NE(state->find("\"principal\":\"tim\""), std::string::npos);
}

// A wrong secret is refused: error("Master refused authentication") and an aborted driver.
TEST_F(AuthenticationTest, WrongSecretAbortsTheDriver) {
  start(frameworkInfo(), credential("tim", "wrong"));
  auto error = scheduler_.next("error");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->data, "Master refused authentication");
  EXPECT_EQ(driver_->join(), mesos::DRIVER_ABORTED);
  EXPECT_FALSE(scheduler_.next("registered", nullptr, std::chrono::milliseconds(100)));
}

// Without a credential the master refuses the subscription with Mesos's message.
TEST_F(AuthenticationTest, NoCredentialIsRefused) {
  start(frameworkInfo(), std::nullopt);
  auto error = scheduler_.next("error");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->data.rfind("Framework at scheduler-", 0), 0u) << error->data;
  EXPECT_NE(error->data.find(" is not authenticated"), std::string::npos) << error->data;
  EXPECT_EQ(driver_->join(), mesos::DRIVER_ABORTED);
}

// A FrameworkInfo.principal other than the authenticated one is refused.
TEST_F(AuthenticationTest, PrincipalMismatchIsRefused) {
  mesos::FrameworkInfo info = frameworkInfo();
  info.set_principal("bob");
  start(info, credential("tim", "tanstaaftanstaaf"));
  auto error = scheduler_.next("error");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->data, "Framework principal 'bob' does not match authenticated principal 'tim'");
  EXPECT_EQ(driver_->join(), mesos::DRIVER_ABORTED);
}

}  // namespace
}  // namespace keel::testing
