#pragma once

namespace keel {

// Tunes glibc's allocator for a long-lived daemon holding a large model (a master with
// hundreds of thousands of tasks): heaps grow, and shrink back, in steps of 64 MiB rather
// than a page at a time. With the defaults, a master thread re-registering 40,000 agents
// spent about a fifth of its time in mprotect() growing and trimming its heap
// (docs/benchmarks.md, reregister). Does nothing when the operator tunes malloc through
// GLIBC_TUNABLES themselves. In daemons linked with tcmalloc (KEEL_TCMALLOC, the default)
// glibc's allocator is not used and this changes nothing; it matters for -DKEEL_TCMALLOC=OFF.
void tuneMallocForDaemon();

}  // namespace keel
