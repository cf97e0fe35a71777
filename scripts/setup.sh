#!/usr/bin/env bash
# Quick start, step 1: install what is missing, build, and run the demo
# (an example TCP server whose isolated request parser is attacked while
# other clients keep being served).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
scripts/demo.sh
