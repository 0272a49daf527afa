#include "allocator/allocator.hpp"

#include <gtest/gtest.h>

#include <map>

namespace keel::allocator {
namespace {

using std::chrono::seconds;

Resources R(const std::string& text) {
  auto r = Resources::parse(text);
  EXPECT_TRUE(r.isOk()) << r.message();
  return r.isOk() ? *r : Resources();
}

const Resources kAgent = R("cpus:4;mem:4096;ports:[31000-32000]");

class AllocatorTest : public ::testing::Test {
 protected:
  runtime::TimePoint t0_{};
  runtime::TimePoint at(int s) const { return t0_ + seconds(s); }

  static std::map<std::string, int> countByFramework(const std::vector<Offerable>& offers) {
    std::map<std::string, int> out;
    for (const auto& o : offers) {
      ++out[o.framework_id];
    }
    return out;
  }

  void declineAll(Allocator& a, const std::vector<Offerable>& offers, std::optional<double> secs,
                  runtime::TimePoint now) {
    for (const auto& o : offers) {
      a.recoverResources(o.framework_id, o.agent_id, *o.resources, secs, now);
    }
  }
};

// Ensures a single framework receives every agent whole, allocated to its role.
TEST_F(AllocatorTest, SingleFrameworkGetsWholeAgents) {
  Allocator a;
  a.addAgent("a1", kAgent);
  a.addAgent("a2", kAgent);
  a.addFramework("f1", FrameworkEntry{});
  auto offers = a.allocate(at(0));
  ASSERT_EQ(offers.size(), 2u);
  for (const auto& o : offers) {
    EXPECT_EQ(o.framework_id, "f1");
    EXPECT_EQ(o.role, "*");
    EXPECT_EQ(*o.resources, kAgent.allocate("*"));
  }
  EXPECT_EQ(a.allocated("f1").unallocated(), kAgent + kAgent);
  EXPECT_DOUBLE_EQ(a.share("f1"), 1.0);
  EXPECT_TRUE(a.allocate(at(1)).empty());  // everything is already allocated
}

// Ensures two frameworks alternate by DRF: the one with the lower share gets the next agent.
TEST_F(AllocatorTest, TwoFrameworksShareFairly) {
  Allocator a;
  for (int i = 0; i < 10; ++i) {
    a.addAgent("a" + std::to_string(i), kAgent);
  }
  a.addFramework("f1", FrameworkEntry{});
  a.addFramework("f2", FrameworkEntry{});
  auto offers = a.allocate(at(0));
  auto counts = countByFramework(offers);
  EXPECT_EQ(counts["f1"], 5);
  EXPECT_EQ(counts["f2"], 5);
  EXPECT_DOUBLE_EQ(a.share("f1"), 0.5);

  // f1 gives back everything; across the next passes it catches up, f2 gets nothing.
  declineAll(
      a,
      [&] {
        std::vector<Offerable> mine;
        for (const auto& o : offers) {
          if (o.framework_id == "f1") {
            mine.push_back(o);
          }
        }
        return mine;
      }(),
      std::nullopt, at(0));
  auto next = a.allocate(at(1));
  EXPECT_EQ(countByFramework(next)["f1"], 5);
  EXPECT_EQ(countByFramework(next).count("f2"), 0u);
}

// Ensures a framework added with less gets agents first (incremental shares across passes).
TEST_F(AllocatorTest, LowerShareGoesFirst) {
  Allocator a;
  a.addAgent("a1", kAgent);
  a.addAgent("a2", kAgent);
  a.addAgent("a3", kAgent);
  a.addFramework("big", FrameworkEntry{}, {});
  auto first = a.allocate(at(0), {"a1", "a2"});
  EXPECT_EQ(countByFramework(first)["big"], 2);
  a.addFramework("small", FrameworkEntry{});
  auto second = a.allocate(at(1));
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].framework_id, "small");
  EXPECT_EQ(second[0].agent_id, "a3");
}

// Ensures a decline filter blocks only a subset of what it refused, for refuse_seconds.
TEST_F(AllocatorTest, DeclineFilterBlocksSubsetUntilExpiry) {
  Allocator a;
  a.addAgent("a1", kAgent);
  a.addFramework("f1", FrameworkEntry{});
  auto offers = a.allocate(at(0));
  ASSERT_EQ(offers.size(), 1u);
  a.recoverResources("f1", "a1", *offers[0].resources, 10.0, at(0));
  EXPECT_EQ(a.filterCount(), 1u);
  EXPECT_TRUE(a.allocate(at(1)).empty());
  EXPECT_TRUE(a.allocate(at(9)).empty());
  auto again = a.allocate(at(10));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(a.filterCount(), 0u);

  // Refuse only part: the filter holds cpus:1;mem:512 while cpus:3 stay allocated.
  Resources part = R("cpus:1;mem:512").allocate("*");
  a.recoverResources("f1", "a1", part, 100.0, at(10));
  EXPECT_TRUE(a.allocate(at(11)).empty());
  // More becomes available than was refused: the filter no longer covers the offer.
  a.recoverResources("f1", "a1", R("cpus:1").allocate("*"), std::nullopt, at(11));
  auto bigger = a.allocate(at(12));
  ASSERT_EQ(bigger.size(), 1u);
  EXPECT_EQ(bigger[0].resources->unallocated(), R("cpus:2;mem:512"));
}

// Ensures the filter only affects the framework that declined.
TEST_F(AllocatorTest, FilterIsPerFramework) {
  Allocator a;
  a.addAgent("a1", kAgent);
  a.addFramework("f1", FrameworkEntry{});
  auto offers = a.allocate(at(0));
  a.addFramework("f2", FrameworkEntry{});
  a.recoverResources("f1", "a1", *offers[0].resources, 1000.0, at(0));
  auto next = a.allocate(at(1));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].framework_id, "f2");
}

// Ensures refuse_seconds 0 creates no filter, negative means 5 s, tiny means one interval.
TEST_F(AllocatorTest, RefuseSecondsRules) {
  Allocator a;
  a.addAgent("a1", kAgent);
  a.addFramework("f1", FrameworkEntry{});
  auto offers = a.allocate(at(0));
  a.recoverResources("f1", "a1", *offers[0].resources, 0.0, at(0));
  EXPECT_EQ(a.filterCount(), 0u);
  offers = a.allocate(at(0));
  ASSERT_EQ(offers.size(), 1u);

  a.recoverResources("f1", "a1", *offers[0].resources, -3.0, at(0));
  EXPECT_TRUE(a.allocate(at(4)).empty());
  offers = a.allocate(at(5));
  ASSERT_EQ(offers.size(), 1u);

  a.recoverResources("f1", "a1", *offers[0].resources, 0.001, at(5));
  EXPECT_TRUE(a.allocate(t0_ + seconds(5) + std::chrono::milliseconds(500)).empty());
  EXPECT_EQ(a.allocate(at(6)).size(), 1u);
}

// Ensures revive clears filters so declined resources come straight back.
TEST_F(AllocatorTest, ReviveClearsFilters) {
  Allocator a;
  a.addAgent("a1", kAgent);
  a.addFramework("f1", FrameworkEntry{});
  auto offers = a.allocate(at(0));
  a.recoverResources("f1", "a1", *offers[0].resources, 3600.0, at(0));
  EXPECT_TRUE(a.allocate(at(1)).empty());
  a.reviveOffers("f1", {});
  EXPECT_EQ(a.filterCount(), 0u);
  EXPECT_EQ(a.allocate(at(2)).size(), 1u);
}

// Ensures suppress stops offers (without clearing filters) and revive restarts them.
TEST_F(AllocatorTest, SuppressStopsOffers) {
  Allocator a;
  a.addAgent("a1", kAgent);
  a.addFramework("f1", FrameworkEntry{});
  a.suppressOffers("f1", {});
  EXPECT_TRUE(a.allocate(at(0)).empty());
  a.reviveOffers("f1", {"*"});
  EXPECT_EQ(a.allocate(at(1)).size(), 1u);
}

// Ensures a deactivated framework gets nothing, keeps its allocation, and loses its filters.
TEST_F(AllocatorTest, DeactivatedFrameworkGetsNothing) {
  Allocator a;
  a.addAgent("a1", kAgent);
  a.addAgent("a2", kAgent);
  a.addFramework("f1", FrameworkEntry{});
  auto offers = a.allocate(at(0), {"a1"});
  ASSERT_EQ(offers.size(), 1u);
  a.recoverResources("f1", "a1", *offers[0].resources, 3600.0, at(0));
  a.deactivateFramework("f1");
  EXPECT_EQ(a.filterCount(), 0u);
  EXPECT_TRUE(a.allocate(at(1)).empty());
  a.activateFramework("f1");
  EXPECT_EQ(a.allocate(at(2)).size(), 2u);

  FrameworkEntry inactive;
  inactive.active = false;
  a.addFramework("f2", inactive);
  a.addAgent("a3", kAgent);
  auto later = a.allocate(at(3));
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].framework_id, "f1");  // f2 has a lower share but is inactive
}

// Ensures offers below every min-allocatable set are not made.
TEST_F(AllocatorTest, MinAllocatable) {
  Allocator a;  // default cpus:0.01|mem:32
  a.addAgent("tiny", R("cpus:0.005;mem:16;disk:100"));
  a.addAgent("mem_only", R("mem:64"));
  a.addFramework("f1", FrameworkEntry{});
  auto offers = a.allocate(at(0));
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent_id, "mem_only");

  auto parsed = Options::parseMinAllocatable("cpus:1;mem:100|disk:50");
  ASSERT_TRUE(parsed.isOk());
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].size(), 2u);
  EXPECT_FALSE(Options::parseMinAllocatable("cpus").isOk());
  EXPECT_FALSE(Options::parseMinAllocatable("cpus:-1").isOk());

  Options opts;
  opts.min_allocatable = *parsed;
  Allocator b(opts);
  b.addAgent("x", R("cpus:2;mem:50"));
  b.addAgent("y", R("cpus:0.1;disk:50"));
  b.addFramework("f1", FrameworkEntry{});
  offers = b.allocate(at(0));
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent_id, "y");
}

// Ensures recovered resources become offerable again, and partial recovery adds up.
TEST_F(AllocatorTest, RecoveredResourcesOfferableAgain) {
  Allocator a;
  a.addAgent("a1", kAgent);
  a.addFramework("f1", FrameworkEntry{});
  auto offers = a.allocate(at(0));
  ASSERT_EQ(offers.size(), 1u);
  // A task keeps cpus:1;mem:1024; the rest comes back.
  Resources task = R("cpus:1;mem:1024").allocate("*");
  a.recoverResources("f1", "a1", *offers[0].resources - task, std::nullopt, at(0));
  EXPECT_EQ(a.allocated("f1"), task);
  auto again = a.allocate(at(1));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].resources->unallocated(), kAgent - task.unallocated());
  // The task ends: its resources come back too.
  a.recoverResources("f1", "a1", *again[0].resources + task, std::nullopt, at(1));
  EXPECT_EQ(a.available("a1"), kAgent);
}

// Ensures a removed agent's resources vanish from totals, allocations and offers.
TEST_F(AllocatorTest, RemovedAgentVanishes) {
  Allocator a;
  a.addAgent("a1", kAgent);
  a.addAgent("a2", kAgent);
  a.addFramework("f1", FrameworkEntry{});
  a.allocate(at(0), {"a1"});
  a.removeAgent("a1");
  EXPECT_EQ(a.total(), kAgent);
  EXPECT_TRUE(a.allocated("f1").empty());
  auto offers = a.allocate(at(1));
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent_id, "a2");
  EXPECT_EQ(a.agentCount(), 1u);
  a.recoverResources("f1", "a1", kAgent.allocate("*"), 5.0, at(1));  // ignored
  EXPECT_EQ(a.filterCount(), 0u);
}

// Ensures deactivated agents are skipped and only requested agents are considered.
TEST_F(AllocatorTest, AgentActivationAndCandidates) {
  Allocator a;
  a.addAgent("a1", kAgent);
  a.addAgent("a2", kAgent);
  a.addFramework("f1", FrameworkEntry{});
  a.deactivateAgent("a1");
  auto offers = a.allocate(at(0), {"a1", "a2", "nope"});
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent_id, "a2");
  a.activateAgent("a1");
  EXPECT_EQ(a.allocate(at(1)).size(), 1u);
}

// Ensures removing a framework returns its allocation to the agents.
TEST_F(AllocatorTest, RemoveFrameworkReturnsResources) {
  Allocator a;
  a.addAgent("a1", kAgent);
  a.addFramework("f1", FrameworkEntry{});
  a.allocate(at(0));
  a.removeFramework("f1");
  EXPECT_EQ(a.available("a1"), kAgent);
  a.addFramework("f2", FrameworkEntry{});
  EXPECT_EQ(a.allocate(at(1)).size(), 1u);
}

// Ensures resources already in use at addAgent/addFramework are not offered again.
TEST_F(AllocatorTest, UsedResourcesAtRecovery) {
  Allocator a;
  Resources used = R("cpus:1;mem:1024");
  a.addAgent("a1", kAgent, {{"f1", used}});
  EXPECT_EQ(a.available("a1"), kAgent - used);
  a.addFramework("f1", FrameworkEntry{}, {{"a1", used}});
  EXPECT_EQ(a.available("a1"), kAgent - used);  // not counted twice
  EXPECT_EQ(a.allocated("f1"), used.allocate("*"));
  auto offers = a.allocate(at(0));
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].resources->unallocated(), kAgent - used);
}

// Ensures reserved resources go only to their role and revocable only to capable frameworks.
TEST_F(AllocatorTest, ReservationsAndCapabilities) {
  Allocator a;
  a.addAgent("a1", *Resources::parse("cpus:2;mem:256", "eng") + R("cpus:1;mem:128"));
  FrameworkEntry star;
  a.addFramework("f_star", star);
  auto offers = a.allocate(at(0));
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].resources->unallocated(), R("cpus:1;mem:128"));
  FrameworkEntry eng;
  eng.roles = {"eng"};
  a.addFramework("f_eng", eng);
  offers = a.allocate(at(1));
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework_id, "f_eng");
  EXPECT_EQ(offers[0].role, "eng");
  EXPECT_EQ(offers[0].resources->unallocated(), *Resources::parse("cpus:2;mem:256", "eng"));

  Allocator b;
  mesos::Resource rev;
  rev.set_name("cpus");
  rev.set_type(mesos::Value::SCALAR);
  rev.mutable_scalar()->set_value(2);
  rev.mutable_revocable();
  b.addAgent("a1", R("cpus:1;mem:128") + Resources(rev));
  b.addFramework("plain", FrameworkEntry{});
  offers = b.allocate(at(0));
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_TRUE(offers[0].resources->revocable().empty());
  FrameworkEntry capable;
  capable.capabilities.insert(mesos::FrameworkInfo::Capability::REVOCABLE_RESOURCES);
  b.addFramework("capable", capable);
  offers = b.allocate(at(1));
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework_id, "capable");
  EXPECT_EQ(offers[0].resources->revocable().cpus(), 2.0);
}

// Ensures GPU agents go only to GPU_RESOURCES frameworks by default.
TEST_F(AllocatorTest, GpuFiltering) {
  Allocator a;
  a.addAgent("gpu", R("cpus:4;mem:4096;gpus:1"));
  a.addFramework("plain", FrameworkEntry{});
  EXPECT_TRUE(a.allocate(at(0)).empty());
  FrameworkEntry gpu;
  gpu.capabilities.insert(mesos::FrameworkInfo::Capability::GPU_RESOURCES);
  a.addFramework("gpu_fw", gpu);
  auto offers = a.allocate(at(1));
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].framework_id, "gpu_fw");
}

// Ensures the same seed and calls give the same agent order, and different seeds can differ.
TEST_F(AllocatorTest, SeededShuffleIsDeterministic) {
  auto run = [&](uint64_t seed) {
    Options o;
    o.seed = seed;
    Allocator a(o);
    for (int i = 0; i < 20; ++i) {
      a.addAgent("a" + std::to_string(i), kAgent);
    }
    a.addFramework("f1", FrameworkEntry{});
    a.addFramework("f2", FrameworkEntry{});
    std::vector<std::string> order;
    for (const auto& o2 : a.allocate(at(0))) {
      order.push_back(o2.framework_id + "@" + o2.agent_id);
    }
    return order;
  };
  EXPECT_EQ(run(7), run(7));
  bool any_diff = false;
  for (uint64_t s = 8; s < 12 && !any_diff; ++s) {
    any_diff = run(s) != run(7);
  }
  EXPECT_TRUE(any_diff);
}

// Ensures a role's weight divides its share: the heavier role gets more agents.
TEST_F(AllocatorTest, RoleWeights) {
  Allocator a;
  for (int i = 0; i < 8; ++i) {
    a.addAgent("a" + std::to_string(i), kAgent);
  }
  a.setWeight("heavy", 3.0);
  FrameworkEntry heavy;
  heavy.roles = {"heavy"};
  FrameworkEntry light;
  light.roles = {"light"};
  a.addFramework("h", heavy);
  a.addFramework("l", light);
  auto counts = countByFramework(a.allocate(at(0)));
  EXPECT_EQ(counts["h"], 6);
  EXPECT_EQ(counts["l"], 2);
}

}  // namespace
}  // namespace keel::allocator
