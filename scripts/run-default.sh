#!/usr/bin/env bash
# Set up, build, and run careflow on the embedded default scenario. Extra arguments go to
# `careflow run` (e.g. --replications 20 --json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh release >&2
exec build/release/app/careflow run "$@"
