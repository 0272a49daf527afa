#include "common/flags.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace keel {
namespace {

using namespace std::chrono_literals;

// Runs FlagSet::load on a vector of arguments (program name added) and an environment.
Status loadArgs(FlagSet& set, std::vector<std::string> args, std::vector<std::string> env = {}) {
  args.insert(args.begin(), "/usr/bin/keel-test");
  std::vector<const char*> argv;
  for (const auto& a : args) {
    argv.push_back(a.c_str());
  }
  argv.push_back(nullptr);
  std::vector<const char*> envp;
  for (const auto& e : env) {
    envp.push_back(e.c_str());
  }
  envp.push_back(nullptr);
  return set.load(static_cast<int>(args.size()), argv.data(), envp.data());
}

std::map<std::string, std::string> valueMap(const FlagSet& set) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : set.values()) {
    out[name] = value;
  }
  return out;
}

struct Sample {
  std::string name;
  bool quiet = false;
  bool lookup = true;
  int64_t port = 5050;
  double factor = 0.8;
  runtime::Duration timeout = 15s;
  Bytes size{4096};
  std::optional<std::string> work_dir;
  std::optional<int64_t> quorum;
  std::optional<runtime::Duration> offer_timeout;

  void declare(FlagSet& s) {
    s.add("name", &name, "A name.");
    s.add("quiet", &quiet, "Be quiet.");
    s.add("lookup", &lookup, "Look up.");
    s.add("port", &port, "Port.");
    s.add("factor", &factor, "Factor.");
    s.add("timeout", &timeout, "Timeout.");
    s.add("size", &size, "Size.");
    s.add("work_dir", &work_dir, "Dir.");
    s.add("quorum", &quorum, "Quorum.");
    s.add("offer_timeout", &offer_timeout, "Offer timeout.");
    s.addUnimplemented("hadoop_home", "Hadoop.");
    s.addUnimplemented("docker", "Docker.", "docker");
    s.addUnimplementedBool("docker_kill_orphans", "Orphans.", true);
    s.addAlias("slave_timeout", "timeout");
  }
};

// Ensures every supported type parses from --name=value and defaults stay otherwise.
TEST(FlagSetTest, ParsesEveryType) {
  Sample f;
  FlagSet set;
  f.declare(set);
  ASSERT_TRUE(loadArgs(set, {"--name=alpha", "--quiet", "--no-lookup", "--port=0", "--factor=1.5",
                             "--timeout=2mins", "--size=512MB", "--work_dir=/tmp/x", "--quorum=3",
                             "--offer_timeout=500ms"})
                  .isOk());
  EXPECT_EQ(f.name, "alpha");
  EXPECT_TRUE(f.quiet);
  EXPECT_FALSE(f.lookup);
  EXPECT_EQ(f.port, 0);
  EXPECT_DOUBLE_EQ(f.factor, 1.5);
  EXPECT_EQ(f.timeout, 2min);
  EXPECT_EQ(f.size.bytes, 512ull * 1024 * 1024);
  EXPECT_EQ(f.work_dir, "/tmp/x");
  EXPECT_EQ(f.quorum, 3);
  EXPECT_EQ(f.offer_timeout, std::optional<runtime::Duration>(500ms));
  EXPECT_TRUE(set.warnings().empty());
  EXPECT_FALSE(set.helpRequested());
  EXPECT_TRUE(set.loaded("port"));
  EXPECT_FALSE(set.loaded("docker"));
}

// Ensures boolean flags accept explicit values and --no- cannot take one.
TEST(FlagSetTest, BooleanForms) {
  Sample f;
  FlagSet set;
  f.declare(set);
  ASSERT_TRUE(loadArgs(set, {"--quiet=true", "--lookup=false"}).isOk());
  EXPECT_TRUE(f.quiet);
  EXPECT_FALSE(f.lookup);

  Sample g;
  FlagSet set2;
  g.declare(set2);
  Status s = loadArgs(set2, {"--no-quiet=true"});
  ASSERT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("quiet"), std::string::npos);

  Sample h;
  FlagSet set3;
  h.declare(set3);
  s = loadArgs(set3, {"--quiet=maybe"});
  ASSERT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("Failed to load flag 'quiet'"), std::string::npos);
}

// Ensures an unknown command-line flag fails and the error carries the usage text.
TEST(FlagSetTest, UnknownFlagErrorIncludesUsage) {
  Sample f;
  FlagSet set;
  f.declare(set);
  Status s = loadArgs(set, {"--bogus=1"});
  ASSERT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("Failed to load unknown flag 'bogus'"), std::string::npos);
  EXPECT_NE(s.message().find("Usage: keel-test [options]"), std::string::npos);
  EXPECT_NE(s.message().find("--port=VALUE"), std::string::npos);
  EXPECT_NE(s.message().find("--[no-]quiet"), std::string::npos);

  FlagSet set2;
  Sample g;
  g.declare(set2);
  s = loadArgs(set2, {"--no-bogus"});
  ASSERT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("unknown flag 'bogus' via 'no-bogus'"), std::string::npos);
}

// Ensures bad values, missing values and --no- on a non-boolean are errors naming the flag.
TEST(FlagSetTest, BadValuesNameTheFlag) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--port=abc", "'port'"},      {"--port=", "'port'"},
      {"--port", "Missing value"},   {"--factor=x", "'factor'"},
      {"--timeout=15", "'timeout'"}, {"--size=1.5GB", "'size'"},
      {"--size=12XB", "'size'"},     {"--no-port", "non-boolean flag 'port' via 'no-port'"},
      {"--quorum=2x", "'quorum'"},   {"--offer_timeout=soon", "'offer_timeout'"},
  };
  for (const auto& [arg, expected] : cases) {
    Sample f;
    FlagSet set;
    f.declare(set);
    Status s = loadArgs(set, {arg});
    ASSERT_FALSE(s.isOk()) << arg;
    EXPECT_NE(s.message().find(expected), std::string::npos) << arg << ": " << s.message();
  }
}

// Ensures the command line beats KEEL_ which beats MESOS_, and env names are case-insensitive.
TEST(FlagSetTest, EnvironmentPrecedence) {
  Sample f;
  FlagSet set;
  f.declare(set);
  ASSERT_TRUE(loadArgs(set, {"--port=1"},
                       {"MESOS_PORT=2", "KEEL_PORT=3", "MESOS_NAME=mesos", "KEEL_NAME=keel",
                        "MESOS_FACTOR=0.5", "MESOS_quiet=true", "MESOS_UNKNOWN_THING=1",
                        "PATH=/bin", "MESOS_TIMEOUT"})
                  .isOk());
  EXPECT_EQ(f.port, 1);
  EXPECT_EQ(f.name, "keel");
  EXPECT_DOUBLE_EQ(f.factor, 0.5);
  EXPECT_TRUE(f.quiet);
  EXPECT_TRUE(set.loaded("factor"));
}

// Ensures a bad value in the environment is reported like one on the command line.
TEST(FlagSetTest, BadEnvironmentValueIsAnError) {
  Sample f;
  FlagSet set;
  f.declare(set);
  Status s = loadArgs(set, {}, {"MESOS_PORT=high"});
  ASSERT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("'port'"), std::string::npos);
}

// Ensures a flag given twice, also through its deprecated name, is rejected.
TEST(FlagSetTest, DuplicatesAreErrors) {
  Sample f;
  FlagSet set;
  f.declare(set);
  Status s = loadArgs(set, {"--port=1", "--port=2"});
  ASSERT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("already loaded"), std::string::npos);

  Sample g;
  FlagSet set2;
  g.declare(set2);
  s = loadArgs(set2, {"--timeout=1secs", "--slave_timeout=2secs"});
  ASSERT_FALSE(s.isOk());
}

// Ensures a deprecated name sets the flag and leaves a warning.
TEST(FlagSetTest, AliasWarns) {
  Sample f;
  FlagSet set;
  f.declare(set);
  ASSERT_TRUE(loadArgs(set, {"--slave_timeout=3secs"}).isOk());
  EXPECT_EQ(f.timeout, 3s);
  ASSERT_EQ(set.warnings().size(), 1u);
  EXPECT_NE(set.warnings()[0].find("deprecated flag 'slave_timeout'"), std::string::npos);
  EXPECT_TRUE(set.loaded("timeout"));
}

// Ensures setting an unimplemented flag is accepted with the documented warning.
TEST(FlagSetTest, UnimplementedFlagWarns) {
  Sample f;
  FlagSet set;
  f.declare(set);
  ASSERT_TRUE(
      loadArgs(set, {"--hadoop_home=/opt/hadoop", "--no-docker_kill_orphans"}, {"MESOS_DOCKER=d"})
          .isOk());
  ASSERT_EQ(set.warnings().size(), 3u);
  EXPECT_EQ(set.warnings()[0],
            "Flag --hadoop_home is accepted for compatibility with Mesos but is not implemented "
            "yet; it is ignored");
  auto values = valueMap(set);
  EXPECT_EQ(values["hadoop_home"], "/opt/hadoop");
  EXPECT_EQ(values["docker"], "d");
  EXPECT_EQ(values["docker_kill_orphans"], "false");
}

// Ensures values() renders defaults Mesos-style, sorted, and omits unset optionals.
TEST(FlagSetTest, ValuesRendering) {
  Sample f;
  FlagSet set;
  f.declare(set);
  ASSERT_TRUE(loadArgs(set, {"--quorum=2"}).isOk());
  std::vector<std::pair<std::string, std::string>> expected = {
      {"docker", "docker"}, {"docker_kill_orphans", "true"},
      {"factor", "0.8"},    {"help", "false"},
      {"lookup", "true"},   {"port", "5050"},
      {"quiet", "false"},   {"quorum", "2"},
      {"size", "4KB"},      {"timeout", "15secs"},
  };
  EXPECT_EQ(set.values(), expected);
}

// Ensures an empty string flag shows up once it was given explicitly.
TEST(FlagSetTest, ExplicitEmptyStringIsShown) {
  Sample f;
  FlagSet set;
  f.declare(set);
  ASSERT_TRUE(loadArgs(set, {"--name="}).isOk());
  EXPECT_EQ(valueMap(set).count("name"), 1u);
  EXPECT_EQ(valueMap(set)["name"], "");
}

// Ensures values() is a snapshot that survives the bound variables.
TEST(FlagSetTest, ValuesOutliveTheFlagsStruct) {
  FlagSet set;
  {
    Sample f;
    f.declare(set);
    ASSERT_TRUE(loadArgs(set, {"--port=7"}).isOk());
  }
  EXPECT_EQ(valueMap(set)["port"], "7");
}

// Ensures --help is reported, not treated as an error.
TEST(FlagSetTest, HelpRequested) {
  Sample f;
  FlagSet set;
  f.declare(set);
  ASSERT_TRUE(loadArgs(set, {"--help"}).isOk());
  EXPECT_TRUE(set.helpRequested());
  EXPECT_EQ(set.programName(), "keel-test");
  EXPECT_NE(set.usage("keel-test").find("--[no-]help"), std::string::npos);
}

// Ensures file:// values are read from the file for implemented flags only.
TEST(FlagSetTest, FileValues) {
  std::string path = testing::TempDir() + "/keel_flags_file_test_value";
  {
    std::ofstream out(path);
    out << "zk://10.0.0.1:2181/mesos\n";
  }
  Sample f;
  FlagSet set;
  f.declare(set);
  ASSERT_TRUE(loadArgs(set, {"--work_dir=file://" + path, "--hadoop_home=file://" + path}).isOk());
  EXPECT_EQ(f.work_dir, "zk://10.0.0.1:2181/mesos");
  EXPECT_EQ(valueMap(set)["hadoop_home"], "file://" + path);

  Sample g;
  FlagSet set2;
  g.declare(set2);
  Status s = loadArgs(set2, {"--port=file://" + path + ".missing"});
  ASSERT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("Failed to load flag 'port'"), std::string::npos);
  std::remove(path.c_str());
}

// Ensures "--" ends parsing, positional arguments are skipped with a warning, names are
// lower-cased.
TEST(FlagSetTest, ArgumentShapes) {
  Sample f;
  FlagSet set;
  f.declare(set);
  ASSERT_TRUE(loadArgs(set, {"positional", "--PORT=9", "--", "--bogus"}).isOk());
  EXPECT_EQ(f.port, 9);
  ASSERT_EQ(set.warnings().size(), 1u);
  EXPECT_NE(set.warnings()[0].find("positional"), std::string::npos);
}

// Ensures Bytes parse and render with Mesos's units and rules.
TEST(BytesTest, ParseAndFormat) {
  EXPECT_EQ(parseBytes("100B")->bytes, 100u);
  EXPECT_EQ(parseBytes("4KB")->bytes, 4096u);
  EXPECT_EQ(parseBytes("512mb")->bytes, 512ull << 20);
  EXPECT_EQ(parseBytes("1GB")->bytes, 1ull << 30);
  EXPECT_EQ(parseBytes("2TB")->bytes, 2ull << 40);
  EXPECT_FALSE(parseBytes("1.5GB").isOk());
  EXPECT_FALSE(parseBytes("GB").isOk());
  EXPECT_FALSE(parseBytes("100").isOk());
  EXPECT_FALSE(parseBytes("10PB").isOk());
  EXPECT_FALSE(parseBytes("-1MB").isOk());
  EXPECT_FALSE(parseBytes("99999999999TB").isOk());
  EXPECT_EQ(formatBytes(Bytes{0}), "0B");
  EXPECT_EQ(formatBytes(Bytes{100}), "100B");
  EXPECT_EQ(formatBytes(Bytes{4096}), "4KB");
  EXPECT_EQ(formatBytes(Bytes{1536ull << 20}), "1536MB");
  EXPECT_EQ(formatBytes(Bytes{2ull << 30}), "2GB");
  EXPECT_EQ(formatBytes(Bytes{1ull << 40}), "1TB");
}

}  // namespace
}  // namespace keel
