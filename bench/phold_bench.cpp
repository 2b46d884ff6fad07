// PHOLD: careflow's sequential executor against a plain std::priority_queue loop doing the
// same work (same LPs, same random draws), timed in the same run.
//
//   bench_phold [LPS=1000] [END_TIME=2000] [REPEATS=3]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <queue>
#include <vector>

#include "careflow/engine/ladder_queue.hpp"
#include "careflow/engine/sequential_executor.hpp"
#include "phold.hpp"

using namespace careflow;
using Clock = std::chrono::steady_clock;

namespace {

struct Measured {
  std::uint64_t events = 0;
  double seconds = 0;
  double rate() const { return static_cast<double>(events) / seconds; }
};

template <class Fes>
Measured run_engine(const bench::PholdParams& p, double end) {
  Simulation sim(1, 0, p.lookahead);
  bench::build_phold(sim, p);
  SequentialExecutor<Fes> exec(sim);
  const auto t0 = Clock::now();
  const RunStats s = exec.run(end);
  return {s.events, std::chrono::duration<double>(Clock::now() - t0).count()};
}

// The reference: the smallest loop that does the same work.
Measured run_bare(const bench::PholdParams& p, double end) {
  struct Ev {
    double t;
    std::uint32_t lp;
  };
  struct Later {
    bool operator()(const Ev& a, const Ev& b) const { return a.t > b.t; }
  };
  const auto t0 = Clock::now();
  std::vector<RandomStream> rng(p.lps);
  std::priority_queue<Ev, std::vector<Ev>, Later> q;
  for (std::uint32_t i = 0; i < p.lps; ++i) {
    rng[i] = RandomStream(StreamKey{1, 0, i, 0});
    q.push({p.lookahead - p.mean_delay * std::log(rng[i].uniform01()), i});
  }
  std::uint64_t n = 0;
  while (!q.empty() && q.top().t <= end) {
    const Ev e = q.top();
    q.pop();
    ++n;
    RandomStream& r = rng[e.lp];
    const auto target = static_cast<std::uint32_t>(r.next_u64() % p.lps);
    q.push({e.t + p.lookahead - p.mean_delay * std::log(r.uniform01()), target});
  }
  return {n, std::chrono::duration<double>(Clock::now() - t0).count()};
}

void report(const char* name, const Measured& m) {
  std::printf("%-34s %12llu events %8.3f s %8.2f M events/s\n", name, static_cast<unsigned long long>(m.events),
              m.seconds, m.rate() / 1e6);
  std::printf("RESULT %s %llu %.6f 0 0 0\n", name, static_cast<unsigned long long>(m.events), m.seconds);
}

}  // namespace

int main(int argc, char** argv) {
  bench::PholdParams p;
  p.lps = argc > 1 ? static_cast<std::uint32_t>(std::atoi(argv[1])) : 1000;
  const double end = argc > 2 ? std::atof(argv[2]) : 2000.0;
  const int repeats = argc > 3 ? std::atoi(argv[3]) : 3;

  std::printf("PHOLD: %u LPs, 1 event per LP, delay = %.1f + Exp(%.1f), end time %.0f, best of %d\n", p.lps,
              p.lookahead, p.mean_delay, end, repeats);
  Measured best[3];
  for (int i = 0; i < repeats; ++i) {
    // Interleaved, so that all see the same machine conditions.
    const Measured m[3] = {run_engine<DaryHeap<4>>(p, end), run_engine<LadderQueue>(p, end), run_bare(p, end)};
    for (int k = 0; k < 3; ++k)
      if (i == 0 || m[k].rate() > best[k].rate()) best[k] = m[k];
  }
  report("careflow_DaryHeap4", best[0]);
  report("careflow_LadderQueue", best[1]);
  report("bare_priority_queue", best[2]);
  std::printf("ratio careflow / bare loop: %.2f (DaryHeap<4>), %.2f (LadderQueue)\n", best[0].rate() / best[2].rate(),
              best[1].rate() / best[2].rate());
  return 0;
}
