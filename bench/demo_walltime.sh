#!/usr/bin/env bash
# Wall time of the demo's framework run: the example framework's N tasks (half command
# tasks, half on its custom executor) over a local cluster of two agents, measured from
# starting the framework to its exit. Usage: bench/demo_walltime.sh build/bin [tasks] [runs]
set -euo pipefail
bin="$(cd "$1" && pwd)"
tasks="${2:-120}"
runs="${3:-5}"
work="$(mktemp -d /tmp/keel-bench-demo.XXXXXX)"
"$bin/keel-local" --num_slaves=2 --work_dir="$work" --ip=127.0.0.1 --port=0 \
  --resources="cpus:4;mem:4096;disk:4096;ports:[31000-32000]" --address_file="$work/master" \
  >"$work/log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 200); do [ -s "$work/master" ] && break; sleep 0.05; done
master="$(cat "$work/master")"
for i in $(seq 1 "$runs"); do
  start=$(date +%s%N)
  "$bin/keel-example-framework" --master="$master" --tasks="$tasks" --quiet >/dev/null 2>&1
  end=$(date +%s%N)
  echo "run $i: $tasks tasks in $(( (end - start) / 1000000 )) ms"
done
