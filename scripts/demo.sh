#!/usr/bin/env bash
# README command (a): installs every dependency, builds Keel, starts a local cluster (one
# master, two agents) and runs the example framework to completion with live progress,
# then shuts the cluster down cleanly.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${KEEL_BUILD_DIR:-$root/build}"
tasks="${KEEL_DEMO_TASKS:-120}"

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"

work="$(mktemp -d /tmp/keel-demo.XXXXXX)"
cleanup() {
  if [ -n "${local_pid:-}" ] && kill -0 "$local_pid" 2>/dev/null; then
    kill -TERM "$local_pid" 2>/dev/null || true
    wait "$local_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# keel-local writes the master's address to --address_file once every agent registered.
"$build/bin/keel-local" --num_slaves=2 --work_dir="$work" --ip=127.0.0.1 --port=0 \
  --resources="cpus:4;mem:4096;disk:4096;ports:[31000-32000]" \
  --address_file="$work/master" >"$work/keel-local.log" 2>&1 &
local_pid=$!

for _ in $(seq 1 300); do
  [ -s "$work/master" ] && break
  kill -0 "$local_pid" 2>/dev/null || { cat "$work/keel-local.log"; exit 1; }
  sleep 0.1
done
[ -s "$work/master" ] || { echo "keel-local did not come up"; cat "$work/keel-local.log"; exit 1; }
master="$(cat "$work/master")"
echo "Local cluster up: master at $master with 2 agents (log: $work/keel-local.log)"

start=$(date +%s.%N)
"$build/bin/keel-example-framework" --master="$master" --tasks="$tasks"
end=$(date +%s.%N)
python3 -c "import sys; print('Demo finished %s tasks in %.2f s' % (sys.argv[1], float(sys.argv[3]) - float(sys.argv[2])))" "$tasks" "$start" "$end"

kill -TERM "$local_pid"
wait "$local_pid"
local_pid=""
echo "Local cluster shut down cleanly"
