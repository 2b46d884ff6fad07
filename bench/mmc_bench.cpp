// M/M/c (c = 10, rho = 0.9): careflow's engine against the smallest bare priority-queue loop,
// timed in the same run, each checked against Erlang C.
//
// Every implementation runs R independent replications of (warm-up + horizon) time units; the
// mean wait in queue of each replication (customers arriving after the warm-up) gives a
// Student-t 95% interval across replications, which must contain the Erlang-C value.
// Events are counted as the model's logical events: one arrival and one departure per customer.
//
//   bench_mmc [REPLICATIONS=10] [HORIZON=11111] [REPEATS=3]
// Output: one "RESULT name events seconds mean_wait half_width erlang_c" line per implementation.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <queue>
#include <vector>

#include "careflow/engine/ladder_queue.hpp"
#include "careflow/engine/statistics.hpp"
#include "mmc_model.hpp"

using namespace careflow;
using Clock = std::chrono::steady_clock;

namespace {

struct Measured {
  std::uint64_t events = 0;
  double seconds = 0;
  std::vector<double> waits;  // mean wait per replication
  double rate() const { return static_cast<double>(events) / seconds; }
};

testing::MmcParams params(double horizon) {
  testing::MmcParams p;
  p.lambda = 9.0;
  p.mu = 1.0;
  p.c = 10;
  p.warmup = 1000.0;
  p.horizon = p.warmup + horizon;
  return p;
}

template <class Fes>
Measured run_engine(std::uint64_t reps, double horizon) {
  const auto p = params(horizon);
  Measured m;
  const auto t0 = Clock::now();
  for (std::uint64_t r = 0; r < reps; ++r) {
    const testing::MmcResult res = testing::run_mmc<Fes>(p, 1, r);
    m.events += res.events - 1;  // less the warm-up marker
    m.waits.push_back(res.mean_wait);
  }
  m.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return m;
}

// The reference: arrivals and departures in a std::priority_queue, a FIFO of arrival times.
Measured run_bare(std::uint64_t reps, double horizon) {
  const auto p = params(horizon);
  struct Ev {
    double t;
    int kind;  // 0 arrival, 1 departure
  };
  struct Later {
    bool operator()(const Ev& a, const Ev& b) const { return a.t > b.t; }
  };
  Measured m;
  const auto t0 = Clock::now();
  for (std::uint64_t r = 0; r < reps; ++r) {
    RandomStream arrivals(StreamKey{1, r, 0, 1}), service(StreamKey{1, r, 0, 2});
    std::priority_queue<Ev, std::vector<Ev>, Later> q;
    std::deque<double> waiting;
    std::uint32_t busy = 0;
    double wait_sum = 0;
    std::uint64_t served = 0;
    auto begin = [&](double now, double arrived) {
      if (arrived >= p.warmup) {
        wait_sum += now - arrived;
        ++served;
      }
      q.push({now - std::log(service.uniform01()) / p.mu, 1});
    };
    q.push({-std::log(arrivals.uniform01()) / p.lambda, 0});
    while (!q.empty() && q.top().t <= p.horizon) {
      const Ev e = q.top();
      q.pop();
      ++m.events;
      if (e.kind == 0) {
        if (busy < p.c) {
          ++busy;
          begin(e.t, e.t);
        } else {
          waiting.push_back(e.t);
        }
        q.push({e.t - std::log(arrivals.uniform01()) / p.lambda, 0});
      } else if (!waiting.empty()) {
        const double a = waiting.front();
        waiting.pop_front();
        begin(e.t, a);
      } else {
        --busy;
      }
    }
    m.waits.push_back(wait_sum / static_cast<double>(served));
  }
  m.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return m;
}

void report(const char* name, const Measured& m, double theory) {
  const ConfidenceInterval ci = confidence_interval(m.waits, 0.95);
  std::printf("%-34s %10llu events %7.3f s %7.2f M events/s  wait %.4f +- %.4f (Erlang C %.4f) %s\n", name,
              static_cast<unsigned long long>(m.events), m.seconds, m.rate() / 1e6, ci.mean, ci.half_width, theory,
              ci.contains(theory) ? "agrees" : "DISAGREES");
  std::printf("RESULT %s %llu %.6f %.6f %.6f %.6f\n", name, static_cast<unsigned long long>(m.events), m.seconds,
              ci.mean, ci.half_width, theory);
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t reps = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10;
  const double horizon = argc > 2 ? std::atof(argv[2]) : 11111.0;
  const int repeats = argc > 3 ? std::atoi(argv[3]) : 3;
  const double theory = testing::erlang_c_wait(9.0, 1.0, 10);
  std::printf("M/M/c: c = 10, lambda = 9, mu = 1 (rho = 0.9); %llu replications x (1000 warm-up + %.0f); best of %d\n",
              static_cast<unsigned long long>(reps), horizon, repeats);
  Measured best[3];
  for (int i = 0; i < repeats; ++i) {
    const Measured m[3] = {run_engine<DaryHeap<4>>(reps, horizon), run_engine<LadderQueue>(reps, horizon),
                           run_bare(reps, horizon)};
    for (int k = 0; k < 3; ++k)
      if (i == 0 || m[k].rate() > best[k].rate()) best[k] = m[k];
  }
  report("careflow_DaryHeap4", best[0], theory);
  report("careflow_LadderQueue", best[1], theory);
  report("bare_priority_queue", best[2], theory);
  std::printf("ratio careflow / bare loop: %.2f (DaryHeap<4>), %.2f (LadderQueue)\n", best[0].rate() / best[2].rate(),
              best[1].rate() / best[2].rate());
  return 0;
}
