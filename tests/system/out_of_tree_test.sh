#!/usr/bin/env bash
# Ensures the installed library is usable out of tree: `cmake --install` into a temporary
# prefix, then a framework that includes only Mesos's public headers is built against it
# twice (CMake package, pkg-config) and run against a real keel-local cluster.
set -euo pipefail
build="$1"
src="$(cd "$(dirname "$0")" && pwd)/out_of_tree"
source "$(dirname "$0")/lib.sh"

prefix="$(mktemp -d /tmp/keel-prefix.XXXXXX)"
obj="$(mktemp -d /tmp/keel-oot.XXXXXX)"
trap 'stop_cluster; rm -rf "$prefix" "$obj"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null

cmake -S "$src" -B "$obj/cmake" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
ninja -C "$obj/cmake" >/dev/null
PKG_CONFIG_PATH="$prefix/lib/pkgconfig" \
  g++ -o "$obj/hello-pkgconfig" "$src/hello_framework.cpp" \
  $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs mesos) \
  -Wl,-rpath,"$prefix/lib"

start_cluster "$build/bin" 1
LD_LIBRARY_PATH="$prefix/lib" "$obj/cmake/hello-framework" "$MASTER" 2>/dev/null | grep -q TASK_FINISHED
"$obj/hello-pkgconfig" "$MASTER" 2>/dev/null | grep -q TASK_FINISHED
echo "2 passed, 0 failed"
