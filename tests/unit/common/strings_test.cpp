#include "common/strings.hpp"

#include <gtest/gtest.h>

namespace keel::strings {
namespace {

// Ensures split keeps empty pieces and tokenize drops them.
TEST(StringsTest, SplitAndTokenize) {
  EXPECT_EQ(split("a,,b", ","), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(split("", ","), (std::vector<std::string>{""}));
  EXPECT_EQ(tokenize("a,,b;c", ",;"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(tokenize("", ",").empty());
}

// Ensures trim, case conversion, prefix/suffix tests, join and replaceAll behave.
TEST(StringsTest, BasicTransforms) {
  EXPECT_EQ(trim("  x y \n"), "x y");
  EXPECT_EQ(trim("   "), "");
  EXPECT_EQ(lower("MeSoS_1"), "mesos_1");
  EXPECT_EQ(upper("work_dir"), "WORK_DIR");
  EXPECT_TRUE(startsWith("--no-quiet", "--no-"));
  EXPECT_FALSE(startsWith("-", "--"));
  EXPECT_TRUE(endsWith("100%", "%"));
  EXPECT_EQ(join({"a", "b", "c"}, ", "), "a, b, c");
  EXPECT_EQ(replaceAll("a.b.c", ".", "::"), "a::b::c");
}

// Ensures numbers parse only when the whole string is a number that fits.
TEST(StringsTest, NumberParsing) {
  EXPECT_EQ(parseInt64("-42"), -42);
  EXPECT_EQ(parseInt64("9223372036854775807"), INT64_MAX);
  EXPECT_FALSE(parseInt64("9223372036854775808"));
  EXPECT_FALSE(parseInt64("12x"));
  EXPECT_FALSE(parseInt64(""));
  EXPECT_FALSE(parseInt64(" 1"));
  EXPECT_EQ(parseUint64("18446744073709551615"), UINT64_MAX);
  EXPECT_FALSE(parseUint64("-1"));
  EXPECT_FALSE(parseUint64("+1"));
  EXPECT_EQ(parseDouble("0.25"), 0.25);
  EXPECT_FALSE(parseDouble("0.25s"));
}

// Ensures base64 matches RFC 4648 test vectors both ways and rejects junk.
TEST(StringsTest, Base64) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64Encode(plain), encoded);
    auto decoded = base64Decode(encoded);
    ASSERT_TRUE(decoded.isOk()) << decoded.message();
    EXPECT_EQ(*decoded, plain);
  }
  std::string binary("\x00\xff\x10\x80", 4);
  EXPECT_EQ(*base64Decode(base64Encode(binary)), binary);
  EXPECT_FALSE(base64Decode("Zm9v!").isOk());
  EXPECT_FALSE(base64Decode("Z").isOk());
}

}  // namespace
}  // namespace keel::strings
