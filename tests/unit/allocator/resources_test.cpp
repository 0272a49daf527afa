#include "common/resources.hpp"

#include <gtest/gtest.h>

namespace keel {
namespace {

Resources R(const std::string& text) {
  auto r = Resources::parse(text);
  EXPECT_TRUE(r.isOk()) << text << ": " << r.message();
  return r.isOk() ? *r : Resources();
}

mesos::Resource scalar(const std::string& name, double v) {
  mesos::Resource r;
  r.set_name(name);
  r.set_type(mesos::Value::SCALAR);
  r.mutable_scalar()->set_value(v);
  return r;
}

// Ensures the text format parses scalars, ranges, sets and roles into the refinement format.
TEST(ResourcesTest, ParseText) {
  Resources r = R("cpus:4;mem:8192;ports:[31000-32000];disk(ml):1000;foo:{a,b}");
  EXPECT_EQ(r.cpus(), 4.0);
  EXPECT_EQ(r.mem(), 8192.0);
  EXPECT_EQ(r.disk(), 1000.0);
  ASSERT_TRUE(r.ports().has_value());
  ASSERT_EQ(r.ports()->range_size(), 1);
  EXPECT_EQ(r.ports()->range(0).begin(), 31000u);
  EXPECT_EQ(r.ports()->range(0).end(), 32000u);
  EXPECT_EQ(r.size(), 5u);
  Resources disk = r.named("disk");
  ASSERT_EQ(disk.size(), 1u);
  ASSERT_EQ(disk.proto(0).reservations_size(), 1);
  EXPECT_EQ(disk.proto(0).reservations(0).role(), "ml");
  EXPECT_EQ(disk.proto(0).reservations(0).type(), mesos::Resource::ReservationInfo::STATIC);
  EXPECT_FALSE(disk.proto(0).has_role());
  EXPECT_EQ(r.reserved("ml").disk(), 1000.0);
  EXPECT_FALSE(r.unreserved().disk().has_value());
  EXPECT_EQ(r.str(),
            "cpus:4; mem:8192; ports:[31000-32000]; "
            "disk(reservations: [(STATIC,ml)]):1000; foo:{a, b}");
}

// Ensures the default role applies, spaces are ignored and same-identity entries merge.
TEST(ResourcesTest, ParseDefaultRoleAndMerge) {
  Resources r = *Resources::parse(" cpus : 1 ; cpus:2;cpus(*):0.5", "eng");
  EXPECT_EQ(r.cpus(), 3.5);
  EXPECT_EQ(r.reserved("eng").cpus(), 3.0);
  EXPECT_EQ(r.unreserved().cpus(), 0.5);
}

// Ensures malformed text and invalid resources are rejected with an error.
TEST(ResourcesTest, ParseErrors) {
  EXPECT_FALSE(Resources::parse("cpus").isOk());
  EXPECT_FALSE(Resources::parse("cpus:1:2").isOk());
  EXPECT_FALSE(Resources::parse("cpus:abc").isOk());
  EXPECT_FALSE(Resources::parse("cpus:-1").isOk());
  EXPECT_FALSE(Resources::parse("ports:[5-1]").isOk());
  EXPECT_FALSE(Resources::parse("ports:[1-5,3-7]").isOk());
  EXPECT_FALSE(Resources::parse("ports:[1-x]").isOk());
  EXPECT_FALSE(Resources::parse("ports:[1-2").isOk());
  EXPECT_FALSE(Resources::parse("foo:{a,a}").isOk());
  EXPECT_FALSE(Resources::parse("cpus:1;cpus:[1-2]").isOk());
  EXPECT_FALSE(Resources::parse("cpus(:1").isOk());
  EXPECT_FALSE(Resources::parse("cpus(a b):1").isOk());
  EXPECT_FALSE(Resources::parse("cpus:0.0001").isOk());
  EXPECT_TRUE(Resources::parse("").isOk());
}

// Ensures a JSON array of Resource objects is accepted.
TEST(ResourcesTest, ParseJson) {
  auto r = Resources::parse(
      R"([{"name":"cpus","type":"SCALAR","scalar":{"value":2}},
          {"name":"ports","type":"RANGES","ranges":{"range":[{"begin":1,"end":10}]}},
          {"name":"mem","type":"SCALAR","scalar":{"value":64},"role":"web"}])");
  ASSERT_TRUE(r.isOk()) << r.message();
  EXPECT_EQ(r->cpus(), 2.0);
  EXPECT_EQ(r->reserved("web").mem(), 64.0);
  EXPECT_EQ(r->ports()->range(0).end(), 10u);
  EXPECT_FALSE(Resources::parse(R"([{"name":"cpus","type":"BOGUS"}])").isOk());
}

// Ensures +, -, contains and == follow Mesos semantics, including dropping empty results.
TEST(ResourcesTest, Arithmetic) {
  Resources a = R("cpus:4;mem:1024");
  Resources b = R("cpus:1;mem:24");
  Resources sum = a + b;
  EXPECT_EQ(sum, R("cpus:5;mem:1048"));
  EXPECT_TRUE(sum.contains(a));
  EXPECT_FALSE(a.contains(sum));
  Resources diff = sum - a;
  EXPECT_EQ(diff, b);
  diff -= R("cpus:1");
  EXPECT_EQ(diff.size(), 1u);
  EXPECT_FALSE(diff.cpus().has_value());
  diff -= R("mem:100");  // more than there is: nothing left, never negative
  EXPECT_TRUE(diff.empty());
  EXPECT_EQ(diff.str(), "{}");
  EXPECT_TRUE(a.contains(Resources()));
  EXPECT_NE(a, b);
}

// Ensures resources with different identities stay apart in arithmetic and containment.
TEST(ResourcesTest, Identity) {
  Resources unreserved = R("cpus:2");
  Resources reserved = *Resources::parse("cpus:2", "eng");
  Resources both = unreserved + reserved;
  EXPECT_EQ(both.size(), 2u);
  EXPECT_FALSE(unreserved.contains(reserved));
  EXPECT_EQ(both - reserved, unreserved);

  Resources allocated = unreserved.allocate("web");
  EXPECT_FALSE(unreserved.contains(allocated));
  EXPECT_EQ(allocated.unallocated(), unreserved);
  EXPECT_EQ(allocated.str(), "cpus(allocated: web):2");
  EXPECT_EQ(reserved.toUnreserved(), unreserved);

  mesos::Resource rev = scalar("cpus", 1);
  rev.mutable_revocable();
  Resources with_rev = unreserved + Resources(rev);
  EXPECT_EQ(with_rev.size(), 2u);
  EXPECT_EQ(with_rev.revocable().cpus(), 1.0);
  EXPECT_EQ(with_rev.nonRevocable().cpus(), 2.0);
  EXPECT_EQ(with_rev.revocable().str(), "cpus{REV}:1");
}

// Ensures ranges behave as interval sets: merge on add, split on subtract, subset contains.
TEST(ResourcesTest, Ranges) {
  Resources r = R("ports:[1-10]") + R("ports:[11-20,30-40]");
  EXPECT_EQ(r.str(), "ports:[1-20, 30-40]");
  r -= R("ports:[5-6,35-40]");
  EXPECT_EQ(r.str(), "ports:[1-4, 7-20, 30-34]");
  EXPECT_TRUE(r.contains(R("ports:[8-9,31-32]")));
  EXPECT_FALSE(r.contains(R("ports:[4-7]")));
  r -= R("ports:[0-100]");
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(R("ports:[3-4,1-2]"), R("ports:[1-4]"));
}

// Ensures sets add as unions and subtract item-wise.
TEST(ResourcesTest, Sets) {
  Resources s = R("foo:{a,b}") + R("foo:{b,c}");
  EXPECT_EQ(s.proto(0).set().item_size(), 3);
  EXPECT_TRUE(s.contains(R("foo:{c,a}")));
  s -= R("foo:{a,b,c}");
  EXPECT_TRUE(s.empty());
}

// Ensures scalars keep 3 decimals: input rounded, sums exact, exact zeros dropped.
TEST(ResourcesTest, Precision) {
  Resources r;
  for (int i = 0; i < 10; ++i) {
    r += scalar("cpus", 0.1);
  }
  EXPECT_EQ(r.cpus(), 1.0);
  for (int i = 0; i < 10; ++i) {
    r -= scalar("cpus", 0.1);
  }
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(Resources(scalar("cpus", 1.23456)).cpus(), 1.235);
  EXPECT_TRUE(Resources(scalar("cpus", 0)).empty());
  EXPECT_TRUE(Resources(scalar("cpus", 0.0001)).empty());  // invalid: rounds to 0
  EXPECT_EQ(R("mem:1000000").str(), "mem:1000000");
  EXPECT_EQ(R("cpus:0.5").str(), "cpus:0.5");
}

// Ensures validate() reports each of Mesos's per-resource rules.
TEST(ResourcesTest, Validate) {
  google::protobuf::RepeatedPtrField<mesos::Resource> list;
  *list.Add() = scalar("cpus", 1);
  EXPECT_TRUE(Resources::validate(list).isOk());

  auto bad = [](mesos::Resource r) { return !Resources::validate(r).isOk(); };
  EXPECT_TRUE(bad(scalar("", 1)));
  EXPECT_TRUE(bad(scalar("cpus", -1)));
  EXPECT_TRUE(bad(scalar("cpus", 0.0004)));
  EXPECT_FALSE(bad(scalar("cpus", 0)));
  mesos::Resource no_value;
  no_value.set_name("cpus");
  no_value.set_type(mesos::Value::SCALAR);
  EXPECT_TRUE(bad(no_value));
  mesos::Resource overlap;
  overlap.set_name("ports");
  overlap.set_type(mesos::Value::RANGES);
  auto* x = overlap.mutable_ranges()->add_range();
  x->set_begin(1);
  x->set_end(5);
  x = overlap.mutable_ranges()->add_range();
  x->set_begin(5);
  x->set_end(9);
  EXPECT_TRUE(bad(overlap));
  mesos::Resource dup;
  dup.set_name("foo");
  dup.set_type(mesos::Value::SET);
  dup.mutable_set()->add_item("a");
  dup.mutable_set()->add_item("a");
  EXPECT_TRUE(bad(dup));
  mesos::Resource disk_on_cpus = scalar("cpus", 1);
  disk_on_cpus.mutable_disk();
  EXPECT_TRUE(bad(disk_on_cpus));
  *list.Add() = disk_on_cpus;
  EXPECT_FALSE(Resources::validate(list).isOk());
}

// Ensures the deprecated `role` field is converted to a reservation on input.
TEST(ResourcesTest, LegacyRoleUpgraded) {
  mesos::Resource r = scalar("cpus", 1);
  r.set_role("eng");
  Resources res(r);
  ASSERT_EQ(res.size(), 1u);
  EXPECT_EQ(res.proto(0).reservations(0).role(), "eng");
  EXPECT_FALSE(res.proto(0).has_role());
  EXPECT_EQ(res, *Resources::parse("cpus(eng):1"));
  mesos::Resource star = scalar("cpus", 1);
  star.set_role("*");
  EXPECT_EQ(Resources(star), R("cpus:1"));
}

// Ensures adding many agents' worth of resources stays merged (no growth per add).
TEST(ResourcesTest, ManyAddsStayMerged) {
  Resources total;
  Resources agent = R("cpus:4;mem:8192;disk:1000;ports:[31000-32000]");
  for (int i = 0; i < 10000; ++i) {
    total += agent;
  }
  EXPECT_EQ(total.size(), 4u);
  EXPECT_EQ(total.cpus(), 40000.0);
}

// Adding one resource at a time gives what adding them as a whole does, for the shapes a
// scalar can merge without a normalised copy (plain, allocated to a role, reserved, with
// more than three decimals) and those that cannot (legacy role, empty, invalid, new names).
TEST(ResourcesTest, AddingOneAtATimeLikeAsAWhole) {
  std::vector<mesos::Resource> list;
  list.push_back(scalar("cpus", 1.5));
  list.push_back(scalar("cpus", 0.1234));
  list.push_back(scalar("mem", 32));
  mesos::Resource allocated = scalar("cpus", 0.25);
  allocated.mutable_allocation_info()->set_role("web");
  list.push_back(allocated);
  list.push_back(allocated);
  mesos::Resource reserved = scalar("mem", 64);
  auto* reservation = reserved.add_reservations();
  reservation->set_type(mesos::Resource::ReservationInfo::STATIC);
  reservation->set_role("web");
  list.push_back(reserved);
  list.push_back(reserved);
  mesos::Resource legacy = scalar("cpus", 2);
  legacy.set_role("web");
  list.push_back(legacy);
  list.push_back(legacy);
  list.push_back(scalar("cpus", 0.0001));  // rounds to nothing
  list.push_back(scalar("cpus", -1));      // invalid
  list.push_back(scalar("gpus", 1));
  list.push_back(scalar("cpus", 1e-3));

  Resources one_by_one;
  for (const auto& r : list) one_by_one += r;
  Resources whole;
  for (const auto& r : list) whole += Resources(r);
  EXPECT_EQ(one_by_one, whole);
  EXPECT_EQ(one_by_one.proto().size(), 6);  // cpus, mem, cpus(web alloc), mem(web), cpus(web), gpus
  EXPECT_EQ(one_by_one.scalar("gpus"), 1.0);
}

}  // namespace
}  // namespace keel
