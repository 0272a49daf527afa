#!/usr/bin/env bash
# Ensures keel-execute exits with its command's status (0 for `true`, 3 for `exit 3`)
# against a real keel-local cluster, and that bad usage is refused with exit 2.
set -euo pipefail
bin="$1"
source "$(dirname "$0")/lib.sh"
start_cluster "$bin" 1

"$bin/keel-execute" --master="$MASTER" --name=ok --command=true 2>/dev/null
set +e
"$bin/keel-execute" --master="$MASTER" --name=three --command='exit 3' 2>/dev/null
status=$?
"$bin/keel-execute" --command=true 2>/dev/null
usage=$?
"$bin/keel-execute" --master="$MASTER" --command=true --no_such_flag=1 2>/dev/null
unknown=$?
set -e
[ "$status" -eq 3 ] || { echo "expected exit 3, got $status"; exit 1; }
[ "$usage" -eq 2 ] || { echo "expected exit 2 without --master, got $usage"; exit 1; }
[ "$unknown" -eq 2 ] || { echo "expected exit 2 for an unknown flag, got $unknown"; exit 1; }
echo "3 passed, 0 failed"
