// A fixed team of worker threads that runs one step of work per partition and waits for all
// of them: the barrier of the parallel executor. The threads are oneTBB's, but this header does
// not include TBB (public engine headers include no third-party runtime).
#pragma once

#include <cstddef>
#include <memory>

namespace careflow {

class WorkerTeam {
 public:
  /// A team of `threads` >= 1 threads (the calling thread is one of them), at most as many as
  /// the machine runs at once.
  explicit WorkerTeam(unsigned threads);
  ~WorkerTeam();
  WorkerTeam(const WorkerTeam&) = delete;
  WorkerTeam& operator=(const WorkerTeam&) = delete;

  unsigned threads() const noexcept { return threads_; }

  /// Calls fn(i) for every i in [0, n), concurrently on the team's threads, and returns when
  /// all calls have returned (an exception from any call is rethrown here). Index i goes to the
  /// same thread on every call with the same n, which keeps a partition's data in one cache.
  template <class F>
  void for_each(std::size_t n, F& fn) {
    for_each_raw(n, [](void* f, std::size_t i) { (*static_cast<F*>(f))(i); }, &fn);
  }

 private:
  void for_each_raw(std::size_t n, void (*call)(void*, std::size_t), void* fn);

  struct Arena;
  unsigned threads_;
  std::unique_ptr<Arena> arena_;
};

}  // namespace careflow
