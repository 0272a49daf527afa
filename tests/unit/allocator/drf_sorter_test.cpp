#include "allocator/drf_sorter.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

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

// Ensures name order holds for many clients added in sorted and reverse order (the sorter
// re-ranks names when it runs out of room between neighbours), and across removals.
TEST(DrfSorterTest, NameOrderWithManyClients) {
  ShareContext context;
  context.addTotal(R("cpus:10"));
  DrfSorter sorter(&context);
  std::vector<std::pair<std::string, uint32_t>> expected;
  for (uint32_t i = 0; i < 150; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "fw-%03u", i);
    sorter.add(i, name);
    sorter.activate(i);
    expected.emplace_back(name, i);
  }
  for (uint32_t i = 0; i < 150; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "aa-%03u", 149 - i);
    sorter.add(150 + i, name);
    sorter.activate(150 + i);
    expected.emplace_back(name, 150 + i);
  }
  sorter.remove(7);
  expected.erase(expected.begin() + 7);
  std::sort(expected.begin(), expected.end());
  std::vector<uint32_t> want;
  for (const auto& [name, client] : expected) {
    want.push_back(client);
  }
  EXPECT_EQ(order(sorter), want);
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
