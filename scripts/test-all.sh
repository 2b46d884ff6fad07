#!/usr/bin/env bash
# Set up, build and run every test:
#   1. release build: C++ unit, statistical, CLI, MPI sweep, bad-input catalogue, signal, soak, Python and
#      notebook tests under ctest;
#   2. ASan + UBSan build (without MPI: cli_sweep_mpi is skipped): the C++ suite, the CLI tests and the bad-input catalogue again
#      (not the tests that time real signals or measure memory, which the sanitizers distort,
#      nor the Python module, which is not built there);
#   3. libFuzzer: the scenario loader, the workbook reader and the results reader, each fuzzed
#      from its committed seed corpus for CAREFLOW_FUZZ_SECONDS (default 60).
# CAREFLOW_QUICK=1 runs step 1 only (for a quick local check; CI runs everything).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
bash scripts/build.sh release
ctest --preset release -j "$(nproc)"
echo "test-all: release build and tests done in $((SECONDS - start)) s"
if [ "${CAREFLOW_QUICK:-0}" = 1 ]; then
  echo "test-all: CAREFLOW_QUICK=1: sanitizer and fuzzing steps skipped"
  exit 0
fi

bash scripts/build.sh asan
ctest --preset asan -j "$(nproc)" -E "python|sweep_kill|run_kill|soak"
echo "test-all: ASan + UBSan build and tests done at $((SECONDS - start)) s"

cmake --preset fuzz -DCAREFLOW_FUZZ_SECONDS="${CAREFLOW_FUZZ_SECONDS:-60}" > /dev/null
cmake --build --preset fuzz -j "$(nproc)"
ctest --preset fuzz
echo "test-all: fuzzing done; everything passed in $((SECONDS - start)) s"
