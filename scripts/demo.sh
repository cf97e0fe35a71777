#!/usr/bin/env bash
# The demo: builds examples/server with the SDRaD toolchain file (from the
# build tree that scripts/build.sh made) and runs it: load clients keep
# getting correct answers while an attacker sends requests that make the
# isolated parser fault; the server answers the attacker with an error and
# stays up.  Then the same server built without isolation dies on the same
# request.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=$(realpath "${BUILD_DIR:-build}")
demo_build="$BUILD_DIR/demo-server"
cmake -S examples/server -B "$demo_build" -G Ninja \
  -DCMAKE_TOOLCHAIN_FILE="$BUILD_DIR/cmake/SDRaDToolchain.cmake" >/dev/null
ninja -C "$demo_build" >/dev/null
echo "== SDRaD-C++ demo: examples/server (parser isolated with [[sdrad::isolate]]) =="
examples/server/run-demo.sh "$demo_build"
