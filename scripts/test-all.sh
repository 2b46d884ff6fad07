#!/usr/bin/env bash
# Set up, build and run every test (C++ unit, statistical and CLI tests under ctest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh release
ctest --preset release -j "$(nproc)"
