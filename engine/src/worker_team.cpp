#include "careflow/engine/worker_team.hpp"

#include <algorithm>
#include <stdexcept>

#include <tbb/blocked_range.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>

namespace careflow {

struct WorkerTeam::Arena {
  // No more threads than the machine runs at once: oneTBB would refuse the extra workers
  // anyway (with a warning), and results do not depend on the number of threads.
  explicit Arena(unsigned threads)
      : arena(std::min(static_cast<int>(threads), std::max(1, tbb::info::default_concurrency()))) {}
  tbb::task_arena arena;
};

WorkerTeam::WorkerTeam(unsigned threads) : threads_(threads) {
  if (threads == 0) throw std::invalid_argument("WorkerTeam: at least one thread");
  if (threads > 1) arena_ = std::make_unique<Arena>(threads);
}

WorkerTeam::~WorkerTeam() = default;

void WorkerTeam::for_each_raw(std::size_t n, void (*call)(void*, std::size_t), void* fn) {
  if (!arena_ || n <= 1) {
    for (std::size_t i = 0; i < n; ++i) call(fn, i);
    return;
  }
  arena_->arena.execute([&] {
    // The static partitioner gives each thread the same contiguous share of indices on every
    // call: a partition's queue and LPs stay warm in one core's cache from window to window.
    tbb::parallel_for(
        tbb::blocked_range<std::size_t>(0, n, 1),
        [&](const tbb::blocked_range<std::size_t>& r) {
          for (std::size_t i = r.begin(); i != r.end(); ++i) call(fn, i);
        },
        tbb::static_partitioner());
  });
}

}  // namespace careflow
