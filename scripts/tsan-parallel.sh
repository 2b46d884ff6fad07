#!/usr/bin/env bash
# ThreadSanitizer check of the parallel executor: builds the [parallel] tests with
# -fsanitize=thread and a std::thread WorkerTeam (preset tsan: tests/tsan; Debian's libtbb is not
# instrumented) in build/tsan and fails on any report.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset tsan > /dev/null
cmake --build --preset tsan -j "$(nproc)"
ctest --preset tsan
