// Where the care model uses threads (private to models/): replications of a run and the tasks of
// a sweep run as independent tasks on a pool of worker threads. Results never depend on the
// number of threads (each task is keyed by its own number), only the wall time does.
#pragma once

#include <cstddef>
#include <functional>

namespace careflow::models {

/// Calls task(0), …, task(count - 1), on `threads` threads (0: every core); returns when all are
/// done; the first exception a task throws is rethrown here.
void for_each_task(unsigned threads, std::size_t count, const std::function<void(std::size_t)>& task);

/// Threads a machine offers (what `threads = 0` means).
unsigned available_threads();

}  // namespace careflow::models
