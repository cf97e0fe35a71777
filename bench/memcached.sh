#!/usr/bin/env bash
# bench/memcached.sh - memcached 1.6.18 plain vs isolated under a 90/10
# get/set load, side by side (examples/memcached/README.md).  Builds both
# binaries if needed (downloads Debian's memcached source), then runs
# alternating rounds and prints the ratio table that docs/performance.md
# shows.
#   bench/memcached.sh [--build-dir DIR]      (default: build)
#   ROUNDS=7 SECONDS_PER_ROUND=5 MC_CONNS=4 MC_THREADS=4 bench/memcached.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$here/../build
[ "${1:-}" = --build-dir ] && build=$2
work=$build/bench-memcached
steps=(bench)
[ -x "$work/isolated/memcached" ] && [ -x "$work/plain/memcached" ] && [ -x "$work/mcload" ] || steps=(build bench)
exec "$here/../examples/memcached/run.sh" --sdrad-build "$build" --work "$work" "${steps[@]}"
