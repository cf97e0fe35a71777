#!/usr/bin/env bash
# Quick start, step 2: run every test - GoogleTest (unit), the headers and
# the SDRaD-compatible API with gcc and clang (api), lit (plugin IR and
# diagnostics), end-to-end programs and examples, the PKU lane in a QEMU
# guest, and the benchmark smoke run - with clang-19 (RelWithDebInfo).
# Then the reach lanes (what CI runs too), each in its own build dir:
#   gcc     the runtime built with GCC in Release: unit + api tests
#   llvm22  the plugin on LLVM 22, Release: lit + e2e + api tests
#   llvm16  the plugin on LLVM 16, Debug: lit + e2e + api tests
# SDRAD_LANES="gcc llvm22" picks lanes, SDRAD_LANES= runs none.  Arguments
# go to the first ctest run.  Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
scripts/install-deps.sh
scripts/build.sh

# A failing lane does not stop the others; what failed is printed again at
# the very end, where a truncated CI log still shows it.
FAILED=()
report() {
  [ ${#FAILED[@]} -gt 0 ] || return 0
  echo
  echo "==== failed ===="
  local d
  for d in "${FAILED[@]}"; do
    echo "-- $d:"
    sed 's/^/   /' "$d/Testing/Temporary/LastTestsFailed.log" 2>/dev/null || true
    # The lanes' own summaries (written only by a failing run, removed by
    # the next run), when a lane is among the failed tests.
    grep -q 'pku_lane' "$d/Testing/Temporary/LastTestsFailed.log" 2>/dev/null || continue
    for f in "$d"/test/pku/lane*/failures.txt; do
      [ -s "$f" ] && { echo "   $f:"; cat "$f"; }
    done
  done
  exit 1
}
ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 --timeout 900 "$@" || FAILED+=("$BUILD_DIR")

lane() { # name build-dir ctest-labels; the build's settings in the environment
  local name=$1 dir=$2 labels=$3
  echo "== lane $name: $dir, ctest -L '$labels' =="
  BUILD_DIR=$dir scripts/build.sh
  ctest --test-dir "$dir" --output-on-failure -j2 --timeout 900 -L "$labels" || FAILED+=("$dir")
}
for l in ${SDRAD_LANES-gcc llvm22 llvm16}; do
  case $l in
    gcc)
      SDRAD_CC=gcc SDRAD_CXX=g++ BUILD_TYPE=Release \
        CMAKE_ARGS="-DSDRAD_BUILD_BENCH=OFF -DSDRAD_TEST_SUITES=unit;api" \
        lane gcc "$BUILD_DIR-gcc" 'unit|api' ;;
    llvm22|llvm16)
      v=${l#llvm} type=Release
      [ "$v" = 16 ] && type=Debug
      LLVM_VERSION=$v BUILD_TYPE=$type \
        CMAKE_ARGS="-DSDRAD_BUILD_BENCH=OFF -DSDRAD_TEST_SUITES=api;lit;e2e" \
        lane "$l" "$BUILD_DIR-$l" 'lit|e2e|api' ;;
    *) echo "test.sh: unknown lane '$l' (gcc, llvm22, llvm16)" >&2; exit 2 ;;
  esac
done
report
