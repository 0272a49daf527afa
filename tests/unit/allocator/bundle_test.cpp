#include "allocator/bundle.hpp"

#include <gtest/gtest.h>

#include "allocator/drf_sorter.hpp"

namespace keel::allocator {
namespace {

Resources R(const std::string& text) {
  auto r = Resources::parse(text);
  EXPECT_TRUE(r.isOk()) << text << ": " << r.message();
  return r.isOk() ? *r : Resources();
}

mesos::Resource volume(const std::string& id, double mb) {
  mesos::Resource r = *Resources::parse("disk", std::to_string(mb), "ml");
  r.mutable_disk()->mutable_persistence()->set_id(id);
  r.mutable_disk()->mutable_volume()->set_container_path("data");
  r.mutable_disk()->mutable_volume()->set_mode(mesos::Volume::RW);
  return r;
}

class BundleTest : public ::testing::Test {
 protected:
  Bundle B(const Resources& r) { return Bundle::from(r, table_); }
  Resources back(const Bundle& b) { return b.toResources(table_); }

  ShareContext context_;
  ShapeTable table_{&context_};
};

// Ensures add, subtract and contains agree with keel::Resources on scalars, ranges and roles.
TEST_F(BundleTest, ArithmeticMatchesResources) {
  const std::vector<std::string> texts = {
      "cpus:4;mem:1024;ports:[31000-31010,31020-31030]",
      "cpus:1.5;ports:[31005-31022]",
      "cpus(ml):2;mem(ml):10;disk:5",
      "mem:2048;ports:[1-5]",
      "",
  };
  for (const auto& a : texts) {
    for (const auto& b : texts) {
      Resources ra = R(a);
      Resources rb = R(b);
      Bundle sum = B(ra);
      sum.add(B(rb));
      EXPECT_EQ(back(sum), ra + rb) << a << " + " << b;
      Bundle diff = B(ra);
      diff.subtract(B(rb));
      EXPECT_EQ(back(diff), ra - rb) << a << " - " << b;
      EXPECT_EQ(B(ra).contains(B(rb)), ra.contains(rb)) << a << " contains " << b;
      EXPECT_EQ(B(ra) == B(rb), ra == rb) << a << " == " << b;
    }
  }
}

// Ensures entries with special arithmetic (sets, persistent volumes) behave as in Resources.
TEST_F(BundleTest, SetsAndVolumesKeepResourcesSemantics) {
  Resources ra = R("cpus:1;foo:{a,b}") + Resources(volume("v1", 10));
  Resources rb = R("foo:{b}") + Resources(volume("v2", 10));
  Bundle sum = B(ra);
  sum.add(B(rb));
  EXPECT_EQ(back(sum), ra + rb);
  Bundle diff = B(ra + rb);
  diff.subtract(B(rb));
  EXPECT_EQ(back(diff), ra + rb - rb);
  EXPECT_TRUE(B(ra + rb).contains(B(rb)));
  EXPECT_FALSE(B(ra).contains(B(rb)));
  EXPECT_EQ(B(ra).quantity(table_, context_.nameIndex("foo"), "foo"), 2.0);
  EXPECT_EQ(B(ra).quantity(table_, context_.nameIndex("disk"), "disk"), 10.0);
}

// Ensures re-roling and un-roling match Resources::allocate() / unallocated().
TEST_F(BundleTest, RolesRoundTrip) {
  Resources r = R("cpus:2;mem:64;ports:[10-20];disk(ml):3") + Resources(volume("v", 1));
  Bundle allocated = B(r).withRole(table_, 0, "ml");
  EXPECT_EQ(back(allocated), r.allocate("ml"));
  EXPECT_EQ(back(allocated.unallocated(table_)), r);
  EXPECT_FALSE(allocated == B(r));
  EXPECT_EQ(B(r.allocate("ml")), allocated);
}

// Ensures subtracting more than is held leaves nothing, and scalars are 3-decimal exact.
TEST_F(BundleTest, SubtractionFloorsAtNothing) {
  Bundle b = B(R("cpus:0.3;mem:10"));
  b.subtract(B(R("cpus:0.1")));
  b.subtract(B(R("cpus:0.2")));
  EXPECT_EQ(back(b), R("mem:10"));
  b.subtract(B(R("mem:11")));
  EXPECT_TRUE(b.empty());
}

}  // namespace
}  // namespace keel::allocator
