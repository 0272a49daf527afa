#pragma once

// posix_spawn attributes shared by the agent's launches (executors and the executor fork
// server).

#include <signal.h>
#include <spawn.h>

namespace keel::agent {

// Every signal at its default disposition and an empty signal mask in the child, whatever
// the agent's threads have set, plus `flags` (e.g. POSIX_SPAWN_SETSID).
inline void defaultSignalsOnSpawn(posix_spawnattr_t* attr, short flags = 0) {
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t defaults;
  sigfillset(&defaults);
  sigdelset(&defaults, SIGKILL);
  sigdelset(&defaults, SIGSTOP);
  posix_spawnattr_setsigmask(attr, &empty);
  posix_spawnattr_setsigdefault(attr, &defaults);
  posix_spawnattr_setflags(attr, flags | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
}

}  // namespace keel::agent
