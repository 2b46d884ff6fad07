#!/usr/bin/env bash
# Set up, build, and run careflow on the embedded default scenario; the results file goes to
# results/default.h5, the animation of the flows (open in a browser, works offline) to
# results/default-flows.html and the report with charts to results/default-report.html.
# Extra arguments go to `careflow run` (e.g. --replications 20 --json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh release >&2
mkdir -p results
track=(--track 10000)  # more tracked people than the scenario's default, so the animation is lively
for arg in "$@"; do
  if [[ "$arg" == --track || "$arg" == --track=* ]]; then track=(); fi
done
build/release/app/careflow run --out results/default.h5 "${track[@]}" "$@"
build/release/app/careflow animate results/default.h5 --out results/default-flows.html >&2
build/release/app/careflow report results/default.h5 --out results/default-report.html >&2
