#!/usr/bin/env bash
# ThreadSanitizer check of the parallel executor: builds the [parallel] tests with
# -fsanitize=thread and a std::thread WorkerTeam (tests/tsan/worker_team_threads.cpp; Debian's
# libtbb is not instrumented) and fails on any report.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-build/tsan-parallel}"
mkdir -p "$out"
engine_sources=$(ls engine/src/*.cpp | grep -v -e worker_team.cpp -e mpi_executor.cpp)
g++ -std=c++20 -O1 -g -fsanitize=thread -Iengine/include -Ibench -Itests \
  tests/main.cpp tests/engine/test_parallel_executor.cpp tests/tsan/worker_team_threads.cpp $engine_sources \
  -o "$out/parallel_tests"
TSAN_OPTIONS="halt_on_error=1 exitcode=66" "$out/parallel_tests" "[parallel]"
