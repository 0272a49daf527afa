#!/usr/bin/env bash
# Regenerates docs/flags.md from the binaries' own --help, so the page says exactly what
# the binaries accept. Usage: scripts/gen-flags-doc.sh [build dir]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$(cd "${1:-$root/build}/bin" && pwd)"
out="$root/docs/flags.md"
{
  cat <<'HEAD'
# Flags of each binary

Generated from each binary's `--help` by `scripts/gen-flags-doc.sh`; do not edit by hand.

Syntax, as Mesos: `--name=value`; `--name` alone sets a boolean true and `--no-name` false;
a value `file:///path` is read from that file. Every flag can also come from the
environment as `MESOS_<NAME>` or `KEEL_<NAME>` (upper case; the command line wins over the
environment, `KEEL_` over `MESOS_`). An unknown flag is an error that prints the usage.

`keel-master` and `keel-agent` accept **every flag name that Mesos 1.12's master and agent
accept**, so scripts written for Mesos start Keel unchanged. A flag Keel does not implement
yet is marked "(accepted for compatibility with Mesos; not implemented yet)": setting it
logs a warning that says so and has no effect. Old `slave` spellings (e.g.
`--slave_ping_timeout`) work with a deprecation warning.

Exceptions that refuse to start rather than be ignored: `keel-master` with any
`--authenticate_http_*` flag (HTTP authentication is not implemented yet; an open master
would be worse than none). Framework and agent authentication (`--authenticate_frameworks`,
`--authenticate_agents`, `--credentials`, `--authenticators=crammd5`,
`--authentication_v0_timeout`; the agent's `--credential`, `--authentication_*`) are
implemented; see docs/framework-api.md.

HEAD
  for b in keel-master keel-agent keel-local keel-execute; do
    echo "## \`$b\`"
    echo
    echo '```'
    (cd "$bin" && PATH="$bin:$PATH" "$b" --help 2>&1 | sed "s|^Usage: .*$b|Usage: $b|")
    echo '```'
    echo
  done
  cat <<'TAIL'
## `keel-executor`

The built-in command executor takes no flags: the agent starts it with Mesos's executor
environment (`MESOS_SLAVE_PID`, `MESOS_FRAMEWORK_ID`, `MESOS_EXECUTOR_ID`,
`MESOS_DIRECTORY`, …; see `docs/architecture.md`).
TAIL
} > "$out"
echo "wrote $out"
