#include "common/intervals.hpp"

#include <algorithm>

namespace keel {

void coalesceIntervals(std::vector<Interval>* v) {
  if (v->size() < 2) {
    return;
  }
  std::sort(v->begin(), v->end());
  size_t out = 0;
  for (size_t i = 1; i < v->size(); ++i) {
    Interval& cur = (*v)[out];
    const Interval& next = (*v)[i];
    if (cur.second == UINT64_MAX || next.first <= cur.second + 1) {
      cur.second = std::max(cur.second, next.second);
    } else {
      (*v)[++out] = next;
    }
  }
  v->resize(out + 1);
}

std::vector<Interval> subtractIntervals(const std::vector<Interval>& a,
                                        const std::vector<Interval>& b) {
  std::vector<Interval> out;
  size_t j = 0;
  for (Interval cur : a) {
    bool alive = true;
    while (j < b.size() && b[j].second < cur.first) {
      ++j;
    }
    for (size_t k = j; k < b.size() && b[k].first <= cur.second; ++k) {
      if (b[k].first > cur.first) {
        out.emplace_back(cur.first, b[k].first - 1);
      }
      if (b[k].second >= cur.second) {
        alive = false;
        break;
      }
      cur.first = b[k].second + 1;
    }
    if (alive) {
      out.push_back(cur);
    }
  }
  return out;
}

bool coversIntervals(const std::vector<Interval>& big, const std::vector<Interval>& small) {
  size_t j = 0;
  for (const auto& s : small) {
    while (j < big.size() && big[j].second < s.first) {
      ++j;
    }
    if (j == big.size() || big[j].first > s.first || big[j].second < s.second) {
      return false;
    }
  }
  return true;
}

}  // namespace keel
