#!/usr/bin/env bash
# Configures and builds everything (runtime, plugin, tests, examples'
# prerequisites, benchmarks) into build/ with the clang of one LLVM.
#   LLVM_VERSION=22   the LLVM the plugin is built against (16-22; default 19),
#                     and its clang-NN as compiler
#   SDRAD_CC/SDRAD_CXX other compilers (e.g. gcc/g++: runtime and unit tests
#                     only, the plugin is skipped)
#   BUILD_DIR, BUILD_TYPE (default RelWithDebInfo), CMAKE_ARGS (extra)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
LLVM_VERSION=${LLVM_VERSION:-19}
# shellcheck disable=SC2086
cmake -S . -B "$BUILD_DIR" -G Ninja \
  -DCMAKE_C_COMPILER="${SDRAD_CC:-clang-$LLVM_VERSION}" \
  -DCMAKE_CXX_COMPILER="${SDRAD_CXX:-clang++-$LLVM_VERSION}" \
  -DSDRAD_LLVM_VERSION="$LLVM_VERSION" \
  -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" ${CMAKE_ARGS:-} >/dev/null
nice ninja -C "$BUILD_DIR"
