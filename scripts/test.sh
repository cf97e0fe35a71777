#!/usr/bin/env bash
# Quick start, step 2: run every test - GoogleTest (unit), lit (plugin IR and
# diagnostics), end-to-end programs and examples, the PKU lane in a QEMU
# guest, and the benchmark smoke run.  Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j2 --timeout 900 "$@"
