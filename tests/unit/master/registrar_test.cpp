// Unit tests of the master's registry storage: what survives a reopen, batching of
// mutations with callbacks after the write, and refusal of a corrupt file.

#include "master/registrar.hpp"

#include <gtest/gtest.h>
#include <mesos/internal/registry.pb.h>

#include <filesystem>
#include <fstream>

#include "runtime/clock.hpp"

namespace keel::master {
namespace {

class RegistrarTest : public ::testing::Test {
 protected:
  RegistrarTest() : loop_(clock_) {
    char tmpl[] = "/tmp/keel-registrar-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  ~RegistrarTest() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  static mesos::SlaveInfo agent(const std::string& id) {
    mesos::SlaveInfo info;
    info.set_hostname("host-" + id);
    info.mutable_id()->set_value(id);
    return info;
  }

  // Lets a durable registry's batch window pass and runs what became due.
  void settle() {
    clock_.advance(Registrar::kBatchWindow);
    loop_.poll();
  }

  runtime::ManualClock clock_;
  runtime::EventLoop loop_;
  std::string dir_;
};

// Ensures admissions, unreachable marks and removals reach the file and are read back by the
// next open, and that callbacks run only once the batch is written.
TEST_F(RegistrarTest, SurvivesReopen) {
  {
    auto r = Registrar::open(loop_, "replicated_log", dir_);
    ASSERT_TRUE(r.isOk()) << r.message();
    int done = 0;
    (*r)->apply(Registrar::admit(agent("S0")), [&] { ++done; });
    (*r)->apply(Registrar::admit(agent("S1")), [&] { ++done; });
    (*r)->apply(Registrar::admit(agent("S2")), [&] { ++done; });
    EXPECT_EQ(done, 0) << "callbacks wait for the write";
    loop_.poll();
    EXPECT_EQ(done, 0) << "a durable registry gathers changes for a short window";
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/registry"));
    settle();
    EXPECT_EQ(done, 3);
    EXPECT_TRUE(std::filesystem::exists(dir_ + "/registry"));
    (*r)->apply(Registrar::markUnreachable("S1", 12.5));
    (*r)->apply(Registrar::remove("S2"));
    settle();
  }
  auto r = Registrar::open(loop_, "replicated_log", dir_);
  ASSERT_TRUE(r.isOk());
  const auto& registry = (*r)->registry();
  ASSERT_EQ(registry.slaves().slaves_size(), 1);
  EXPECT_EQ(registry.slaves().slaves(0).info().hostname(), "host-S0");
  ASSERT_EQ(registry.unreachable().slaves_size(), 1);
  EXPECT_EQ(registry.unreachable().slaves(0).id().value(), "S1");
  EXPECT_EQ(registry.unreachable().slaves(0).timestamp().nanoseconds(), 12'500'000'000);

  // Coming back from unreachable moves the agent back to the admitted list.
  (*r)->apply(Registrar::markReachable(agent("S1")));
  settle();
  EXPECT_EQ((*r)->registry().slaves().slaves_size(), 2);
  EXPECT_EQ((*r)->registry().unreachable().slaves_size(), 0);
}

// Ensures an in-memory registry writes nothing and still runs callbacks.
TEST_F(RegistrarTest, InMemoryWritesNothing) {
  auto r = Registrar::open(loop_, "in_memory", dir_);
  ASSERT_TRUE(r.isOk());
  bool done = false;
  (*r)->apply(Registrar::admit(agent("S0")), [&] { done = true; });
  loop_.poll();
  EXPECT_TRUE(done);
  EXPECT_TRUE(std::filesystem::is_empty(dir_));
  EXPECT_FALSE((*r)->durable());
}

// Ensures a corrupt registry file and a missing work_dir are refused with a clear error.
TEST_F(RegistrarTest, CorruptFileIsRefused) {
  std::ofstream(dir_ + "/registry") << "\xff\xff\xff not a registry";
  auto r = Registrar::open(loop_, "replicated_log", dir_);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.message().find("not a valid registry"), std::string::npos) << r.message();
  EXPECT_FALSE(Registrar::open(loop_, "replicated_log", "").isOk());
}

}  // namespace
}  // namespace keel::master
