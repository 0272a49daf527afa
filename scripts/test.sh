#!/usr/bin/env bash
# README command (b): installs every dependency, builds Keel and runs all its tests.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${KEEL_BUILD_DIR:-$root/build}"

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
cd "$build"
# Tests are hermetic (port 0, temp dirs), so they may run two at a time on two cores.
ctest --output-on-failure --timeout 600 -j2
