// The default care scenario on one thread with each future-event set, interleaved in one run:
// events/s, person-episodes/s, and the check that both give the same fingerprint.
//
//   bench_care_queue [YEARS=15] [REPEATS=3]
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "careflow/models/care_model.hpp"
#include "careflow/models/default_scenario.hpp"
#include "careflow/models/scenario_loader.hpp"

using namespace careflow::models;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  Scenario s = parse_scenario(default_scenario_yaml(), kDefaultScenarioName, "scenarios");
  s.horizon_years = argc > 1 ? std::atof(argv[1]) : 15;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 3;
  validate_scenario(s);
  std::printf("default scenario, one replication of %.0f years on one thread, best of %d\n", s.horizon_years, repeats);
  const char* names[2] = {"careflow_care_LadderQueue", "careflow_care_DaryHeap4"};
  double best[2] = {1e300, 1e300};
  ReplicationResult r[2];
  for (int i = 0; i < repeats; ++i) {
    for (int k = 0; k < 2; ++k) {
      const auto t0 = Clock::now();
      ReplicationOptions ro;
      ro.queue = k == 0 ? EventQueue::Ladder : EventQueue::Heap;
      r[k] = run_replication(s, 0, ro);
      const double sec = std::chrono::duration<double>(Clock::now() - t0).count();
      if (sec < best[k]) best[k] = sec;
    }
  }
  for (int k = 0; k < 2; ++k) {
    const double ev = static_cast<double>(r[k].events);
    std::printf("%-28s %10.0f events %7.3f s %6.2f M events/s %10.0f person-episodes/s  peak pending %llu\n", names[k],
                ev, best[k], ev / best[k] / 1e6, static_cast<double>(r[k].episodes.size()) / best[k],
                static_cast<unsigned long long>(r[k].peak_pending_events));
    std::printf("RESULT %s %llu %.6f 0 0 0\n", names[k], static_cast<unsigned long long>(r[k].events), best[k]);
  }
  std::printf("same fingerprint: %s; ladder / heap speed: %.2f\n",
              r[0].fingerprint == r[1].fingerprint ? "yes" : "NO", best[1] / best[0]);
  return r[0].fingerprint == r[1].fingerprint ? 0 : 1;
}
