#include "allocator/drf_sorter.hpp"

#include <gtest/gtest.h>

namespace keel::allocator {
namespace {

Resources R(const std::string& text) { return *Resources::parse(text); }

std::vector<uint32_t> order(DrfSorter& s) {
  std::vector<uint32_t> out;
  for (const auto& e : s.order()) {
    out.push_back(e.client);
  }
  return out;
}

// Ensures the client with the smaller dominant share comes first and shares follow totals.
TEST(DrfSorterTest, OrdersByDominantShare) {
  ShareContext context;
  context.addTotal(R("cpus:10;mem:100"));
  DrfSorter sorter(&context);
  sorter.add(0, "a");
  sorter.add(1, "b");
  sorter.activate(0);
  sorter.activate(1);
  sorter.allocated(0, R("cpus:5"));  // share 0.5
  sorter.allocated(1, R("mem:20"));  // share 0.2
  EXPECT_EQ(order(sorter), (std::vector<uint32_t>{1, 0}));
  EXPECT_DOUBLE_EQ(sorter.share(0), 0.5);
  context.addTotal(R("cpus:10"));  // a's share drops to 0.25, still above b's 0.2
  EXPECT_EQ(order(sorter), (std::vector<uint32_t>{1, 0}));
  sorter.allocated(1, R("mem:10"));  // b: 0.3
  EXPECT_EQ(order(sorter), (std::vector<uint32_t>{0, 1}));
  sorter.unallocated(1, R("mem:30"));
  EXPECT_DOUBLE_EQ(sorter.share(1), 0.0);
}

// Ensures ties go to fewer allocations, then name; inactive clients are not ordered.
TEST(DrfSorterTest, TieBreaksAndInactive) {
  ShareContext context;
  context.addTotal(R("cpus:10"));
  DrfSorter sorter(&context);
  sorter.add(0, "b");
  sorter.add(1, "a");
  sorter.add(2, "c");
  sorter.activate(0);
  sorter.activate(1);
  EXPECT_EQ(order(sorter), (std::vector<uint32_t>{1, 0}));
  sorter.allocated(1, R("mem:1"));  // not in the total: share stays 0, count 1
  EXPECT_EQ(order(sorter), (std::vector<uint32_t>{0, 1}));
  sorter.deactivate(0);
  EXPECT_EQ(order(sorter), (std::vector<uint32_t>{1}));
}

// Ensures excluded resource names do not count toward shares.
TEST(DrfSorterTest, ExcludedNames) {
  ShareContext context({"gpus"});
  context.addTotal(R("cpus:10;gpus:1"));
  DrfSorter sorter(&context);
  sorter.add(0, "a");
  sorter.allocated(0, R("cpus:1;gpus:1"));
  EXPECT_DOUBLE_EQ(sorter.share(0), 0.1);
}

}  // namespace
}  // namespace keel::allocator
