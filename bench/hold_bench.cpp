// The classic hold model (Jones 1986) for future-event sets: with N events pending, repeat
// "remove the earliest, insert one at its time + Exp(1)"; report nanoseconds per hold.
// The increments are drawn beforehand, so the figure is the queue's alone.
//
//   bench_hold [MAX_PENDING=10000000] [HOLDS=4000000]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <queue>
#include <string>
#include <vector>

#include "careflow/engine/dary_heap.hpp"
#include "careflow/engine/ladder_queue.hpp"
#include "careflow/engine/random.hpp"

using namespace careflow;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<double> increments() {
  std::vector<double> v(1u << 20);
  RandomStream rng(StreamKey{42, 0, 0, 0});
  for (double& x : v) x = -std::log(rng.uniform01());
  return v;
}

// ns per hold at `pending` events; the queue is filled, then run for `pending` holds to
// reach the steady state before timing max(holds, 2 x pending) more (at least two full turns
// of the queue, so that a structure that rebuilds once per turn is charged for it fairly).
template <class Q>
double hold(std::size_t pending, std::size_t holds, const std::vector<double>& inc) {
  Q q;
  const std::size_t mask = inc.size() - 1;
  std::size_t k = 0;
  std::uint64_t seq = 0;
  for (std::size_t i = 0; i < pending; ++i) {
    Event e;
    e.time = inc[k++ & mask];
    e.stamp = seq++;
    q.push(e);
  }
  auto step = [&] {
    Event e = q.top();
    q.pop();
    e.time += inc[k++ & mask];
    e.stamp = seq++;
    q.push(e);
  };
  for (std::size_t i = 0; i < pending; ++i) step();
  const std::size_t timed = std::max(holds, 2 * pending);
  const auto t0 = Clock::now();
  for (std::size_t i = 0; i < timed; ++i) step();
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  return s * 1e9 / static_cast<double>(timed);
}

// std::priority_queue of Events, as a bare loop would use.
struct StdHeap {
  struct Later {
    bool operator()(const Event& a, const Event& b) const { return before(b, a); }
  };
  std::priority_queue<Event, std::vector<Event>, Later> q;
  void push(const Event& e) { q.push(e); }
  const Event& top() const { return q.top(); }
  void pop() { q.pop(); }
};

}  // namespace

int main(int argc, char** argv) {
  const std::size_t max_pending = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10'000'000;
  const std::size_t holds = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 4'000'000;
  const auto inc = increments();
  std::printf("hold model, increments Exp(1); after a warm-up of one hold per pending event, max(%zu, 2 x pending) timed holds\n", holds);
  std::printf("%12s %14s %14s %14s %14s   (ns per hold)\n", "pending", "std::pq", "DaryHeap<2>", "DaryHeap<4>",
              "LadderQueue");
  double first_ladder = 0, first_heap = 0, last_ladder = 0, last_heap = 0;
  for (std::size_t n = 1000; n <= max_pending; n *= 10) {
    const double a = hold<StdHeap>(n, holds, inc);
    const double b = hold<DaryHeap<2>>(n, holds, inc);
    const double c = hold<DaryHeap<4>>(n, holds, inc);
    const double d = hold<LadderQueue>(n, holds, inc);
    std::printf("%12zu %14.1f %14.1f %14.1f %14.1f\n", n, a, b, c, d);
    std::fflush(stdout);
    if (n == 1000) first_ladder = d, first_heap = c;
    last_ladder = d, last_heap = c;
  }
  std::printf("growth from 10^3 to the largest: DaryHeap<4> %.2fx, LadderQueue %.2fx\n", last_heap / first_heap,
              last_ladder / first_ladder);
  return 0;
}
