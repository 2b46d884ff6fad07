#!/usr/bin/env bash
# Install dependencies (Debian packages), configure and build careflow (Release, or the
# preset given as $1: release | mpi | asan | tsan). Safe to re-run: each step is incremental.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
bash scripts/install-deps.sh
cmake --preset "$preset" > /dev/null
cmake --build --preset "$preset" -j "$(nproc)"
