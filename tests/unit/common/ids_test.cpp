#include "common/ids.hpp"

#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <regex>
#include <set>

namespace keel {
namespace {

// Ensures UUID strings are canonical, lower-case, version 4 with the RFC 4122 variant.
TEST(IdsTest, UuidStringFormat) {
  const std::regex pattern("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  for (int i = 0; i < 100; ++i) {
    std::string uuid = uuidString();
    EXPECT_TRUE(std::regex_match(uuid, pattern)) << uuid;
  }
}

// Ensures UUIDs do not repeat.
TEST(IdsTest, UuidsAreUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    seen.insert(uuidBytes());
  }
  EXPECT_EQ(seen.size(), 1000u);
}

// Ensures raw bytes and text convert both ways and bad input is rejected.
TEST(IdsTest, UuidConversions) {
  std::string bytes = uuidBytes();
  ASSERT_TRUE(isValidUuidBytes(bytes));
  std::string text = uuidBytesToString(bytes);
  EXPECT_EQ(text.size(), 36u);
  EXPECT_EQ(uuidStringToBytes(text), bytes);
  EXPECT_EQ(uuidBytesToString(std::string("\x28\x74\x5b\x26\xfd\x23\x4e\x90\xba\xb3\xfa\xc5\xd7"
                                          "\xb9\x96\x6e",
                                          16)),
            "28745b26-fd23-4e90-bab3-fac5d7b9966e");
  EXPECT_EQ(uuidStringToBytes("28745B26-FD23-4E90-BAB3-FAC5D7B9966E"),
            uuidStringToBytes("28745b26-fd23-4e90-bab3-fac5d7b9966e"));
  EXPECT_FALSE(uuidStringToBytes("28745b26fd234e90bab3fac5d7b9966e"));
  EXPECT_FALSE(uuidStringToBytes("28745b26-fd23-4e90-bab3-fac5d7b9966g"));
  EXPECT_EQ(uuidBytesToString("short"), "");
  EXPECT_FALSE(isValidUuidBytes("short"));
}

// Ensures Mesos's id rules: non-empty, <= 255 chars, not . or .., no control chars or slashes.
TEST(IdsTest, ValidateId) {
  EXPECT_TRUE(validateId("task-1.a_b").isOk());
  EXPECT_TRUE(validateId(std::string(255, 'x')).isOk());
  EXPECT_TRUE(validateId("...").isOk());
  EXPECT_FALSE(validateId("").isOk());
  EXPECT_FALSE(validateId(std::string(256, 'x')).isOk());
  EXPECT_FALSE(validateId(".").isOk());
  EXPECT_FALSE(validateId("..").isOk());
  EXPECT_FALSE(validateId("a/b").isOk());
  EXPECT_FALSE(validateId("a\\b").isOk());
  EXPECT_FALSE(validateId("a\nb").isOk());
  EXPECT_FALSE(validateId(std::string("a\0b", 3)).isOk());
  EXPECT_FALSE(validateId("a\x7f").isOk());
  EXPECT_NE(validateId("a/b").message().find("invalid characters"), std::string::npos);
}

// Ensures framework, offer and agent ids have Mesos's shapes.
TEST(IdsTest, DerivedIds) {
  const std::string m = "28745b26-fd23-4e90-bab3-fac5d7b9966e";
  EXPECT_EQ(frameworkId(m, 0), m + "-0000");
  EXPECT_EQ(frameworkId(m, 12), m + "-0012");
  EXPECT_EQ(frameworkId(m, 12345), m + "-12345");
  EXPECT_EQ(offerId(m, 7), m + "-O7");
  EXPECT_EQ(agentId(m, 0), m + "-S0");
}

// Ensures the host facts are available.
TEST(IdsTest, HostFacts) {
  EXPECT_FALSE(hostname().empty());
  passwd* entry = getpwuid(getuid());
  if (entry != nullptr) {
    EXPECT_EQ(currentUser(), entry->pw_name);
  } else {
    EXPECT_EQ(currentUser(), "");
  }
}

}  // namespace
}  // namespace keel
