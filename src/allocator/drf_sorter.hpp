#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "allocator/bundle.hpp"
#include "common/resources.hpp"

namespace keel::allocator {

// The cluster-wide denominators of DRF shares: scalar totals by resource name, shared by
// every sorter of one allocator. Quantities are 3-decimal fixed point (value × 1000).
class ShareContext {
 public:
  explicit ShareContext(std::set<std::string> excluded_names = {});

  // The dense index of a resource name, assigned on first sight.
  uint32_t nameIndex(const std::string& name);
  size_t nameCount() const { return names_.size(); }
  const std::string& name(uint32_t index) const { return names_[index]; }

  // Adds (sign = +1) or removes (sign = -1) `r`'s scalars to/from the cluster total.
  void addTotal(const Resources& r, int sign = 1);
  // Bumped on every total change; sorters recompute shares when it moves.
  uint64_t generation() const { return generation_; }

  // Scalars of `r` added into `q` (sign = ±1), resizing `q` as needed.
  void accumulate(const Resources& r, int sign, std::vector<int64_t>* q);
  // max over non-excluded names of q[i] / total[i], or 0.
  double share(const std::vector<int64_t>& q) const;

 private:
  std::unordered_map<std::string, uint32_t> index_;
  std::vector<std::string> names_;
  std::vector<bool> excluded_;
  std::set<std::string> excluded_names_;
  std::vector<int64_t> total_;
  uint64_t generation_ = 0;
};

// A dominant-resource-fairness sorter over clients identified by dense integer slots
// (spec §4.3). Order: share / weight ascending, then fewer allocations, then name.
// Shares are maintained incrementally: an allocation change repositions one client in
// O(log n); a cluster-total change marks all shares stale until the next refresh().
// Inactive clients keep their allocation but are not in order().
class DrfSorter {
 public:
  struct Entry {
    double share;
    uint64_t allocations;
    uint64_t rank;  // the name's place in name order (equal names, equal ranks)
    const std::string* name;
    uint32_t client;
  };
  struct Less {
    bool operator()(const Entry& a, const Entry& b) const;
  };
  using Order = std::set<Entry, Less>;

  explicit DrfSorter(ShareContext* context) : context_(context) {}
  DrfSorter(const DrfSorter&) = delete;
  DrfSorter& operator=(const DrfSorter&) = delete;

  // Adds an inactive client; no-op if present.
  void add(uint32_t client, const std::string& name, double weight = 1.0);
  void remove(uint32_t client);
  bool contains(uint32_t client) const;
  void activate(uint32_t client);
  void deactivate(uint32_t client);
  bool active(uint32_t client) const;
  void setWeight(uint32_t client, double weight);

  // Records resources allocated to / recovered from a client (scalars only count).
  void allocated(uint32_t client, const Resources& r);
  void unallocated(uint32_t client, const Resources& r);
  // The same for the allocator's compact form.
  void allocated(uint32_t client, const Bundle& r, const ShapeTable& table);
  void unallocated(uint32_t client, const Bundle& r, const ShapeTable& table);

  // Current share / weight of a client (0 if unknown).
  double share(uint32_t client);

  // Recomputes every share if the cluster total changed since the last call.
  void refresh();
  // Active clients in DRF order. Iterators stay valid across allocated()/unallocated()
  // of other clients; a client being repositioned invalidates only its own iterator.
  const Order& order() {
    refresh();
    return order_;
  }
  size_t size() const { return count_; }

 private:
  struct Client {
    bool present = false;
    bool active = false;
    std::string name;
    double weight = 1.0;
    uint64_t allocations = 0;
    uint64_t rank = 0;
    double share = 0;
    std::vector<int64_t> quantities;
  };
  Client* find(uint32_t client);
  const Client* find(uint32_t client) const;
  void reposition(uint32_t client, Client& c, bool count_allocation);
  Entry entryOf(uint32_t client, const Client& c) const {
    return Entry{c.share, c.allocations, c.rank, &c.name, client};
  }
  // Gives `name` a rank between its neighbours' (renumbering all when there is no room).
  uint64_t rankName(const std::string& name);
  void unrankName(const std::string& name);
  // Replaces a client's entry in order_ reusing its node (no allocation).
  void replaceEntry(const Entry& before, const Entry& after);

  struct Rank {
    uint64_t rank;
    size_t users;
  };
  std::map<std::string, Rank> ranks_;

  ShareContext* context_;
  std::deque<Client> clients_;  // deque: Entry::name points into it
  Order order_;
  size_t count_ = 0;
  uint64_t generation_ = 0;
};

}  // namespace keel::allocator
