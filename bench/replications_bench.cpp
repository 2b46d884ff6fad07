// Throughput of replications of the default care scenario on 1 thread and on all threads,
// interleaved in one run (the machine is shared: ratios are measured side by side), and the
// same as runs per minute: what calibration, which runs the model many times, waits for.
//
//   bench_replications [REPLICATIONS=8] [YEARS=15] [REPEATS=2] [WARMUP_YEARS=as the default, 5]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "careflow/models/care_model.hpp"
#include "careflow/models/default_scenario.hpp"
#include "careflow/models/scenario_loader.hpp"

using namespace careflow::models;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  Scenario s = parse_scenario(default_scenario_yaml(), kDefaultScenarioName, "scenarios");
  s.replications = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 8;
  s.horizon_years = argc > 2 ? std::atof(argv[2]) : 15;
  const int repeats = argc > 3 ? std::atoi(argv[3]) : 2;
  if (argc > 4) s.warmup_years = std::atof(argv[4]);
  const unsigned all = std::max(1u, std::thread::hardware_concurrency());
  std::printf("default scenario: %llu replications x %.0f years (%.0f of warm-up); best of %d\n",
              static_cast<unsigned long long>(s.replications), s.horizon_years, s.warmup_years, repeats);
  double best[2] = {1e300, 1e300};
  std::uint64_t events = 0, episodes = 0;
  for (int i = 0; i < repeats; ++i) {
    for (int k = 0; k < 2; ++k) {
      CareRunOptions o;
      o.threads = k == 0 ? 1 : all;
      const auto t0 = Clock::now();
      const RunResult r = run_scenario(s, o);
      const double sec = std::chrono::duration<double>(Clock::now() - t0).count();
      if (sec < best[k]) best[k] = sec;
      events = 0;
      for (const auto& rep : r.replications) events += rep.events;
      // Episodes are kept for replication 0 only; the others have as many, give or take noise.
      episodes = r.replications[0].episodes.size() * r.replications.size();
    }
  }
  std::printf("%-12s %10.2f s %10.2f M events/s %12.0f person-episodes/s\n", "1 thread", best[0], static_cast<double>(events) / best[0] / 1e6,
              static_cast<double>(episodes) / best[0]);
  std::printf("%u threads    %10.2f s %10.2f M events/s %12.0f person-episodes/s\n", all, best[1], static_cast<double>(events) / best[1] / 1e6,
              static_cast<double>(episodes) / best[1]);
  std::printf("speed-up %u threads / 1 thread: %.2f\n", all, best[0] / best[1]);
  // Runs (replications) per minute, for calibration's many short runs (bench/run_all.py).
  std::printf("RESULT runs_per_minute_1_thread %.2f\nRESULT runs_per_minute_%u_threads %.2f\n",
              static_cast<double>(s.replications) / best[0] * 60.0, all, static_cast<double>(s.replications) / best[1] * 60.0);
  return 0;
}
