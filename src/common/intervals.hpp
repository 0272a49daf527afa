#pragma once

// Arithmetic on lists of closed integer intervals, the form of RANGES resources (ports).
// Shared by keel::Resources and the allocator's compact resource form.

#include <cstdint>
#include <utility>
#include <vector>

namespace keel {

using Interval = std::pair<uint64_t, uint64_t>;  // closed [first, second]

// Sorts and merges overlapping or adjacent intervals in place.
void coalesceIntervals(std::vector<Interval>* v);

// a − b, for coalesced lists; the result is coalesced.
std::vector<Interval> subtractIntervals(const std::vector<Interval>& a,
                                        const std::vector<Interval>& b);

// Whether coalesced `big` covers every interval of coalesced `small`.
bool coversIntervals(const std::vector<Interval>& big, const std::vector<Interval>& small);

}  // namespace keel
