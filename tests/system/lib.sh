# Helpers for the system tests: start a local cluster from the build tree and stop it.
# Usage: source lib.sh; start_cluster BIN_DIR NUM_AGENTS; ...; (stopped on exit)
set -euo pipefail

start_cluster() {
  local bin="$1" agents="$2"
  KEEL_WORK="$(mktemp -d /tmp/keel-system.XXXXXX)"
  "$bin/keel-local" --num_slaves="$agents" --work_dir="$KEEL_WORK" --ip=127.0.0.1 --port=0 \
    --resources="cpus:4;mem:4096;disk:4096;ports:[31000-32000]" \
    --address_file="$KEEL_WORK/master" >"$KEEL_WORK/keel-local.log" 2>&1 &
  KEEL_LOCAL_PID=$!
  trap stop_cluster EXIT
  for _ in $(seq 1 200); do
    [ -s "$KEEL_WORK/master" ] && break
    kill -0 "$KEEL_LOCAL_PID" 2>/dev/null || { cat "$KEEL_WORK/keel-local.log"; return 1; }
    sleep 0.05
  done
  [ -s "$KEEL_WORK/master" ] || { echo "cluster did not come up"; cat "$KEEL_WORK/keel-local.log"; return 1; }
  MASTER="$(cat "$KEEL_WORK/master")"
}

stop_cluster() {
  if [ -n "${KEEL_LOCAL_PID:-}" ] && kill -0 "$KEEL_LOCAL_PID" 2>/dev/null; then
    kill -TERM "$KEEL_LOCAL_PID"
    wait "$KEEL_LOCAL_PID" || true
  fi
  [ -n "${KEEL_WORK:-}" ] && rm -rf "$KEEL_WORK"
}
