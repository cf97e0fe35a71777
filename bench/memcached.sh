#!/usr/bin/env bash
# bench/memcached.sh - memcached 1.6.18 plain vs isolated under a 90/10
# get/set load, side by side (examples/memcached/README.md).  Builds both
# binaries if needed (downloads Debian's memcached source; the retrofit
# patch only, none of the bug patches: MC_BUGS=0), then runs alternating
# rounds and prints the table that docs/performance.md shows, then the
# isolated call timed inside a request-like loop (run.sh path); then, when
# valgrind is installed, the counted cost (run.sh cost: instructions and
# isolated calls per request, system calls per request) and the L1 misses
# per get (run.sh cache: cachegrind).
#   bench/memcached.sh [--build-dir DIR]      (default: build)
#   ROUNDS=10 SECONDS_PER_ROUND=5 MC_CONNS=4 MC_THREADS=4 MC_BENCH_NC=1 bench/memcached.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$here/../build
[ "${1:-}" = --build-dir ] && build=$2
work=$build/bench-memcached
steps=(bench path)
command -v valgrind >/dev/null && steps+=(cost cache) || echo "bench/memcached.sh: no valgrind: the cost and cache steps are left out" >&2
[ -x "$work/isolated/memcached" ] && [ -x "$work/plain/memcached" ] && [ -x "$work/runtime/memcached" ] &&
  [ -x "$work/mcload" ] && [ -x "$work/pathbench" ] &&
  [ ! -f "$work/bugs.applied" ] || steps=(build "${steps[@]}")
MC_BUGS=0 exec "$here/../examples/memcached/run.sh" --sdrad-build "$build" --work "$work" "${steps[@]}"
