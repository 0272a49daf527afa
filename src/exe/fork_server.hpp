#pragma once

// keel-executor's fork server: `keel-executor --fork_server`, started by the agent's posix
// launcher with a SOCK_SEQPACKET socket as descriptor 3. It waits, already loaded and
// initialised, and forks a child per launch request that sets up its session, files,
// working directory, signals and environment as posix_spawn would and then runs the
// executor's main() — no exec, no dynamic loading, no static initialisation: starting a
// command executor this way costs a fork instead of about 1.5 ms of CPU. The children's
// exit statuses go back to the agent on the same socket. When the agent goes away the
// server exits and its children live on (as executors outlive the agent). Protocol:
// agent/fork_server_protocol.hpp.

namespace keel::exe {

// Serves requests on `fd` until the agent closes it; `executor_main` runs in each child.
int runForkServer(int fd, int (*executor_main)(int argc, char** argv));

}  // namespace keel::exe
