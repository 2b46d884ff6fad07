// A WorkerTeam made of plain std::threads, for the ThreadSanitizer check only
// (scripts/tsan-parallel.sh): Debian's libtbb is not instrumented, so TSan cannot see the
// synchronisation inside oneTBB's parallel_for and reports its barrier as races. Threads
// joined at the end of each for_each are a barrier TSan understands, which lets it check the
// parallel executor's own code: partitions may share nothing but what the barrier orders.
#include <exception>
#include <thread>
#include <vector>

#include "careflow/engine/worker_team.hpp"

namespace careflow {

struct WorkerTeam::Arena {};

WorkerTeam::WorkerTeam(unsigned threads) : threads_(threads) {}
WorkerTeam::~WorkerTeam() = default;

void WorkerTeam::for_each_raw(std::size_t n, void (*call)(void*, std::size_t), void* fn) {
  const unsigned stride = threads_;
  std::vector<std::exception_ptr> errors(stride);
  auto share = [&](unsigned t) {
    try {
      for (std::size_t i = t; i < n; i += stride) call(fn, i);
    } catch (...) {
      errors[t] = std::current_exception();
    }
  };
  std::vector<std::thread> workers;
  for (unsigned t = 1; t < stride; ++t) workers.emplace_back(share, t);
  share(0);
  for (std::thread& w : workers) w.join();
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace careflow
