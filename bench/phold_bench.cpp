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

#include "phold.hpp"

using namespace careflow;
using Clock = std::chrono::steady_clock;

namespace {

struct Measured {
  std::uint64_t events = 0;
  double seconds = 0;
  double rate() const { return static_cast<double>(events) / seconds; }
};

Measured run_engine(const bench::PholdParams& p, double end) {
  Simulation sim(1, 0, p.lookahead);
  bench::build_phold(sim, p);
  SequentialExecutor<> exec(sim);
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

}  // namespace

int main(int argc, char** argv) {
  bench::PholdParams p;
  p.lps = argc > 1 ? static_cast<std::uint32_t>(std::atoi(argv[1])) : 1000;
  const double end = argc > 2 ? std::atof(argv[2]) : 2000.0;
  const int repeats = argc > 3 ? std::atoi(argv[3]) : 3;

  std::printf("PHOLD: %u LPs, 1 event per LP, delay = %.1f + Exp(%.1f), end time %.0f, best of %d\n", p.lps,
              p.lookahead, p.mean_delay, end, repeats);
  Measured best_engine, best_bare;
  for (int i = 0; i < repeats; ++i) {
    // Interleaved, so that both see the same machine conditions.
    const Measured e = run_engine(p, end);
    const Measured b = run_bare(p, end);
    if (i == 0 || e.rate() > best_engine.rate()) best_engine = e;
    if (i == 0 || b.rate() > best_bare.rate()) best_bare = b;
  }
  std::printf("%-28s %12llu events %8.3f s %8.2f M events/s\n", "careflow sequential executor",
              static_cast<unsigned long long>(best_engine.events), best_engine.seconds, best_engine.rate() / 1e6);
  std::printf("%-28s %12llu events %8.3f s %8.2f M events/s\n", "bare std::priority_queue",
              static_cast<unsigned long long>(best_bare.events), best_bare.seconds, best_bare.rate() / 1e6);
  std::printf("ratio careflow / bare loop: %.2f\n", best_engine.rate() / best_bare.rate());
  return 0;
}
