#include "parallel.hpp"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

namespace careflow::models {

unsigned available_threads() { return static_cast<unsigned>(tbb::this_task_arena::max_concurrency()); }

void for_each_task(unsigned threads, std::size_t count, const std::function<void(std::size_t)>& task) {
  tbb::task_arena arena(static_cast<int>(threads > 0 ? threads : available_threads()));
  arena.execute([&] { tbb::parallel_for(std::size_t{0}, count, [&](std::size_t i) { task(i); }); });
}

}  // namespace careflow::models
