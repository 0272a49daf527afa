#!/usr/bin/env bash
# Ensures keel-execute authenticates with --principal/--secret against a real keel-master
# run with --authenticate_frameworks: the right secret runs the command (exit 0), a wrong
# secret is refused (exit 1, "Master refused authentication"), and no secret is refused too.
set -euo pipefail
bin="$1"
work="$(mktemp -d /tmp/keel-auth.XXXXXX)"
master_pid=""
agent_pid=""
cleanup() {
  for pid in $agent_pid $master_pid; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

printf '{"credentials":[{"principal":"ops","secret":"s3cret"}]}' >"$work/credentials"
"$bin/keel-master" --ip=127.0.0.1 --port=0 --registry=in_memory --authenticate_frameworks \
  --credentials="$work/credentials" >"$work/master.log" 2>&1 &
master_pid=$!
master=""
for _ in $(seq 1 200); do
  master="$(grep -o 'started at master@127.0.0.1:[0-9]*' "$work/master.log" | head -1 |
            sed 's/.*master@//')" || true
  [ -n "$master" ] && break
  sleep 0.05
done
[ -n "$master" ] || { echo "keel-master did not start"; cat "$work/master.log"; exit 1; }

"$bin/keel-agent" --master="$master" --ip=127.0.0.1 --port=0 --work_dir="$work/agent" \
  --registration_backoff_factor=10ms --resources="cpus:2;mem:1024;disk:1024" \
  >"$work/agent.log" 2>&1 &
agent_pid=$!

"$bin/keel-execute" --master="$master" --name=ok --command=true --principal=ops \
  --secret=s3cret >"$work/ok.out" 2>"$work/ok.err" || {
  echo "the right secret must run the command"; cat "$work/ok.out" "$work/ok.err"; exit 1; }

set +e
"$bin/keel-execute" --master="$master" --name=bad --command=true --principal=ops \
  --secret=wrong >"$work/bad.out" 2>"$work/bad.err"
wrong=$?
"$bin/keel-execute" --master="$master" --name=anon --command=true >"$work/anon.out" 2>&1
anonymous=$?
set -e
[ "$wrong" -eq 1 ] || { echo "expected exit 1 for a wrong secret, got $wrong"; exit 1; }
grep -q "Master refused authentication" "$work/bad.out" "$work/bad.err" ||
  { echo "no refusal message"; cat "$work/bad.out" "$work/bad.err"; exit 1; }
[ "$anonymous" -eq 1 ] || { echo "expected exit 1 without a secret, got $anonymous"; exit 1; }
echo "3 passed, 0 failed"
