// Tests of the CRAM-MD5 mechanism (RFC 2195) and of the master's credentials file reader.

#include "authentication/cram_md5.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "authentication/credentials.hpp"

namespace keel::auth {
namespace {

// The worked example of RFC 2195 section 2 gives the exact answer.
TEST(CramMd5, Rfc2195Vector) {
  const std::string challenge = "<1896.697170952@postoffice.reston.mci.net>";
  EXPECT_EQ(hmacMd5Hex("tanstaaftanstaaf", challenge), "b913a602c7eda7a495b4e6e7334d3890");
  EXPECT_EQ(cramMd5Response("tim", "tanstaaftanstaaf", challenge),
            "tim b913a602c7eda7a495b4e6e7334d3890");
}

// HMAC-MD5 test case 2 of RFC 2104 (key shorter than a block).
TEST(CramMd5, Rfc2104Vector) {
  EXPECT_EQ(hmacMd5Hex("Jefe", "what do ya want for nothing?"), "750c783e6ab0b503eaa86e310a5db738");
}

// Challenges look like the SASL plugin's: <random.time@host>, time modulo 0xFFFFFF.
TEST(CramMd5, ChallengeShape) {
  EXPECT_EQ(cramMd5Challenge(1896, 697170952 % 0xFFFFFF, "postoffice.reston.mci.net"),
            "<1896." + std::to_string(697170952 % 0xFFFFFF) + "@postoffice.reston.mci.net>");
  EXPECT_EQ(cramMd5Challenge(4294967295u, 0xFFFFFF + 5, "h"), "<4294967295.5@h>");
}

// Answers split at the last space; malformed ones are rejected.
TEST(CramMd5, ParsesAnswers) {
  auto answer = parseCramMd5Answer("tim B913A602C7EDA7A495B4E6E7334D3890");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->principal, "tim");
  EXPECT_EQ(answer->digest, "b913a602c7eda7a495b4e6e7334d3890");
  auto spaced = parseCramMd5Answer("a b b913a602c7eda7a495b4e6e7334d3890");
  ASSERT_TRUE(spaced);
  EXPECT_EQ(spaced->principal, "a b");
  EXPECT_FALSE(parseCramMd5Answer("timb913a602c7eda7a495b4e6e7334d3890"));
  EXPECT_FALSE(parseCramMd5Answer(" b913a602c7eda7a495b4e6e7334d3890"));
  EXPECT_FALSE(parseCramMd5Answer("tim b913a602"));
  EXPECT_FALSE(parseCramMd5Answer("tim z913a602c7eda7a495b4e6e7334d3890"));
}

// Verification accepts the right digest in either case and nothing else.
TEST(CramMd5, Verifies) {
  const std::string challenge = "<1896.697170952@postoffice.reston.mci.net>";
  EXPECT_TRUE(
      verifyCramMd5Digest("tanstaaftanstaaf", challenge, "b913a602c7eda7a495b4e6e7334d3890"));
  EXPECT_TRUE(
      verifyCramMd5Digest("tanstaaftanstaaf", challenge, "B913A602C7EDA7A495B4E6E7334D3890"));
  EXPECT_FALSE(verifyCramMd5Digest("tanstaaf", challenge, "b913a602c7eda7a495b4e6e7334d3890"));
  EXPECT_FALSE(verifyCramMd5Digest("tanstaaftanstaaf", challenge, "b913a602"));
}

// Both the JSON form and the legacy text form give the credentials.
TEST(Credentials, ParsesJsonAndText) {
  auto json = parseCredentials(
      R"({"credentials": [{"principal": "a", "secret": "s1"}, {"principal": "b", "secret": "s2"}]})");
  ASSERT_TRUE(json) << json.message();
  ASSERT_EQ(json->credentials_size(), 2);
  EXPECT_EQ(json->credentials(1).principal(), "b");
  EXPECT_EQ(json->credentials(1).secret(), "s2");

  auto text = parseCredentials("a s1\n\n  b   s2  \n");
  ASSERT_TRUE(text) << text.message();
  ASSERT_EQ(text->credentials_size(), 2);
  EXPECT_EQ(secretsOf(*text), (std::map<std::string, std::string>{{"a", "s1"}, {"b", "s2"}}));
}

// Empty files, malformed JSON and malformed lines are errors with useful messages.
TEST(Credentials, RejectsBadContent) {
  EXPECT_EQ(parseCredentials("").message(),
            "Credentials file must contain at least one credential");
  EXPECT_EQ(parseCredentials(R"({"credentials": []})").message(),
            "Credentials file must contain at least one credential");
  EXPECT_NE(parseCredentials("{oops").message().find("Invalid json format"), std::string::npos);
  EXPECT_NE(parseCredentials(R"({"credentials": [{"secret": "x"}]})")
                .message()
                .find("Failed to parse credentials"),
            std::string::npos);
  EXPECT_NE(parseCredentials("a b c\n").message().find("line 1"), std::string::npos);
  EXPECT_NE(parseCredentials("ok s\nlonely\n").message().find("line 2"), std::string::npos);
}

// The file is read by path, with or without file://, and as content the flag loader read.
TEST(Credentials, ReadsFiles) {
  char dir_template[] = "/tmp/keel-credentials-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string path = std::string(dir_template) + "/credentials";
  {
    std::ofstream out(path);
    out << R"({"credentials": [{"principal": "p", "secret": "s"}]})";
  }
  for (const std::string& value : {path, "file://" + path}) {
    auto credentials = readCredentials(value);
    ASSERT_TRUE(credentials) << credentials.message();
    EXPECT_EQ(credentials->credentials(0).principal(), "p");
  }
  auto content = readCredentials(R"({"credentials": [{"principal": "q", "secret": "s"}]})");
  ASSERT_TRUE(content) << content.message();
  EXPECT_EQ(content->credentials(0).principal(), "q");
  auto text = readCredentials("tim tanstaaftanstaaf");  // a one-line text file, already read
  ASSERT_TRUE(text) << text.message();
  EXPECT_EQ(text->credentials(0).secret(), "tanstaaftanstaaf");
  EXPECT_NE(readCredentials("/no such/file at all").message().find("Failed to read"),
            std::string::npos);
  EXPECT_NE(readCredentials(path + ".missing").message().find("Failed to read credentials file"),
            std::string::npos);
  std::remove(path.c_str());
  rmdir(dir_template);
}

// Ensures an agent's --credential reads as JSON or "principal secret" text, from a file or
// as content, and that malformed or missing credentials are errors.
TEST(Credentials, AgentCredential) {
  auto json = parseCredential(R"({"principal": "agent", "secret": "s"})");
  ASSERT_TRUE(json.isOk()) << json.message();
  EXPECT_EQ(json->principal(), "agent");
  EXPECT_EQ(json->secret(), "s");
  auto text = parseCredential("agent s\n");
  ASSERT_TRUE(text.isOk());
  EXPECT_EQ(text->secret(), "s");
  EXPECT_FALSE(parseCredential("").isOk());
  EXPECT_FALSE(parseCredential("just-one-field").isOk());
  EXPECT_FALSE(parseCredential(R"({"secret": "s"})").isOk());

  char path[] = "/tmp/keel-credential-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  std::ofstream(path) << "agent from-file";
  auto from_file = readCredential(std::string("file://") + path);
  ASSERT_TRUE(from_file.isOk()) << from_file.message();
  EXPECT_EQ(from_file->secret(), "from-file");
  std::remove(path);
  EXPECT_FALSE(readCredential("/nonexistent/keel-credential").isOk());
}

}  // namespace
}  // namespace keel::auth
