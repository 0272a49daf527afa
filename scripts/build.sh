#!/usr/bin/env bash
# Configures and builds Keel into ./build (or $KEEL_BUILD_DIR). Dependencies must be
# installed first (scripts/install-deps.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${KEEL_BUILD_DIR:-$root/build}"
type="${KEEL_BUILD_TYPE:-RelWithDebInfo}"
shared="${KEEL_SHARED_DIR:-$root/../shared}"

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="$type" -DKEEL_SHARED_DIR="$shared" >/dev/null
ninja -C "$build" "$@"
