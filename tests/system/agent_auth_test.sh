#!/usr/bin/env bash
# Ensures agent authentication against a real keel-master run with --authenticate_agents:
# an agent with the right --credential registers and runs a task; one with a wrong secret
# exits with status 1 ("refused authentication"); one without a credential is not admitted.
set -euo pipefail
bin="$1"
work="$(mktemp -d /tmp/keel-agent-auth.XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

# Polls (bounded, 10 s) until the command succeeds.
eventually() {
  for _ in $(seq 1 200); do
    if "$@"; then return 0; fi
    sleep 0.05
  done
  return 1
}

printf '{"credentials":[{"principal":"agent","secret":"good"}]}' >"$work/credentials"
printf '{"principal":"agent","secret":"good"}' >"$work/good.cred"
printf 'agent bad' >"$work/bad.cred"
chmod 600 "$work"/credentials "$work"/good.cred "$work"/bad.cred
"$bin/keel-master" --ip=127.0.0.1 --port=0 --registry=in_memory --authenticate_agents \
  --credentials="$work/credentials" >"$work/master.log" 2>&1 &
pids+=($!)
master_started() { grep -q 'started at master@127.0.0.1:' "$work/master.log"; }
eventually master_started || { echo "keel-master did not start"; cat "$work/master.log"; exit 1; }
master="$(grep -o 'started at master@127.0.0.1:[0-9]*' "$work/master.log" | head -1 |
          sed 's/.*master@//')"

agent() {  # name, extra flags...
  local name="$1"
  shift
  exec "$bin/keel-agent" --master="$master" --ip=127.0.0.1 --port=0 --work_dir="$work/$name" \
    --registration_backoff_factor=10ms --authentication_backoff_factor=100ms \
    --resources="cpus:1;mem:512;disk:512" "$@" >"$work/$name.log" 2>&1
}

# No credential: the master drops its registrations.
agent anonymous &
pids+=($!)
refused() { grep -q "because it is not authenticated" "$work/master.log"; }
eventually refused || { echo "an agent without credential was not refused"; exit 1; }

# Wrong secret: the agent exits with status 1.
set +e
timeout 20 bash -c "$(declare -f agent); bin='$bin' master='$master' work='$work'; \
  agent wrong --credential='$work/bad.cred'"
wrong=$?
set -e
[ "$wrong" -eq 1 ] || { echo "expected exit 1 for a wrong secret, got $wrong"; cat "$work/wrong.log"; exit 1; }
grep -q "refused authentication" "$work/wrong.log" || { echo "no refusal logged"; exit 1; }

# Right credential: registers, and a task runs on it.
agent good --credential="$work/good.cred" &
pids+=($!)
timeout 60 "$bin/keel-execute" --master="$master" --name=on-good --command=true >"$work/execute.out" 2>&1 ||
  { echo "no task ran on the authenticated agent"; cat "$work/execute.out" "$work/good.log"; exit 1; }
grep -q "Successfully authenticated" "$work/good.log" || { echo "no authentication logged"; exit 1; }
echo "3 passed, 0 failed"
