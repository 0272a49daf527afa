// Wire compatibility: the SUBSCRIBE call our driver sends is byte for byte the one
// Mesos's driver sent for the same FrameworkInfo (capture 0006).

#include <fstream>
#include <sstream>

#include "scheduler/scheduler_test_util.hpp"

namespace keel::testing {
namespace {

// The body of a captured libprocess request: one chunk after the headers.
std::string capturedBody(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  std::string http = content.str();
  auto headers_end = http.find("\r\n\r\n");
  if (headers_end == std::string::npos) {
    return "";
  }
  std::string rest = http.substr(headers_end + 4);
  auto size_end = rest.find("\r\n");
  if (size_end == std::string::npos) {
    return "";
  }
  size_t size = std::stoul(rest.substr(0, size_end), nullptr, 16);
  return rest.substr(size_end + 2, size);
}

// Same FrameworkInfo as Mesos's test-framework in the capture → same bytes on the wire.
TEST_F(SchedulerDriverTest, SubscribeBytesMatchMesosCapture) {
  const std::string file = std::string(KEEL_SHARED_DIR) +
                           "/reference/wire-captures/messages/0006-mesos.scheduler.Call.http";
  std::string expected = capturedBody(file);
  ASSERT_FALSE(expected.empty()) << "cannot read " << file;

  mesos::FrameworkInfo info;
  info.set_user("root");
  info.set_name("Test Framework (C++)");
  info.set_checkpoint(false);
  info.set_hostname("vm");
  info.set_principal("test");
  info.add_capabilities()->set_type(mesos::FrameworkInfo::Capability::MULTI_ROLE);
  info.add_capabilities()->set_type(mesos::FrameworkInfo::Capability::RESERVATION_REFINEMENT);
  info.add_roles("*");
  makeDriver(info);
  start();

  auto sent = transport_->sent();
  ASSERT_EQ(1u, sent.size());
  EXPECT_EQ("mesos.scheduler.Call", sent[0].name);
  EXPECT_EQ(expected.size(), sent[0].body.size());
  EXPECT_TRUE(expected == sent[0].body) << "SUBSCRIBE body differs from Mesos's";
}

}  // namespace
}  // namespace keel::testing
