#!/usr/bin/env bash
# Ensures the example framework runs its tasks to completion over two agents of a real
# keel-local cluster (the demo, in small), and that keel-local shuts down with exit 0.
set -euo pipefail
bin="$1"
source "$(dirname "$0")/lib.sh"
start_cluster "$bin" 2
"$bin/keel-example-framework" --master="$MASTER" --tasks=40 --quiet
curl -sf "http://$MASTER/state" | python3 -c '
import json, sys
state = json.load(sys.stdin)
assert len(state["slaves"]) == 2, state["slaves"]
done = [t for f in state["completed_frameworks"] for t in f["completed_tasks"]]
assert len(done) == 40, len(done)
assert {t["state"] for t in done} == {"TASK_FINISHED"}, {t["state"] for t in done}
assert len({t["slave_id"] for t in done}) == 2, "tasks did not use both agents"
'
kill -TERM "$KEEL_LOCAL_PID"
wait "$KEEL_LOCAL_PID"
KEEL_LOCAL_PID=""
echo "1 passed, 0 failed"
