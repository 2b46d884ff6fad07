#!/usr/bin/env bash
# Set up, build, and run careflow on the embedded default scenario; the results file goes to
# results/default.h5. Extra arguments go to `careflow run` (e.g. --replications 20 --json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh release >&2
mkdir -p results
exec build/release/app/careflow run --out results/default.h5 "$@"
