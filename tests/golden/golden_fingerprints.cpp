// Prints the pinned event-stream fingerprints (tests/golden/fingerprints.txt): PHOLD, M/M/c, the
// default care scenario at a short horizon, and the region sequentially and on 2 threads.
// tests/golden/golden.py compares this output with the pinned file (and adds the region run over
// 2 MPI ranks through the CLI); `golden.py --repin` rewrites the file when a change is meant to
// alter events (docs/testing.md: a re-pin is a commit of its own that says why).
#include <cstdint>
#include <cstdio>
#include <string>

#include "careflow/engine/sequential_executor.hpp"
#include "careflow/models/care_model.hpp"
#include "careflow/models/default_scenario.hpp"
#include "careflow/models/scenario_loader.hpp"
#include "mmc_model.hpp"
#include "phold.hpp"

using namespace careflow;
using namespace careflow::models;

namespace {

void line(const std::string& name, std::uint64_t events, std::uint64_t fingerprint) {
  std::printf("%s events=%llu fingerprint=0x%016llx\n", name.c_str(), static_cast<unsigned long long>(events),
              static_cast<unsigned long long>(fingerprint));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: golden_fingerprints SOURCE_DIR\n");
    return 2;
  }
  const std::string root = argv[1];

  {  // PHOLD, 1,000 LPs, one token each, lookahead 0.1 + Exp(1), to t = 50.
    Simulation sim(1, 0, 0.1);
    bench::PholdParams p;
    bench::build_phold(sim, p);
    const RunStats st = SequentialExecutor<>(sim).run(50.0);
    line("phold_1000_lps_t50", st.events, st.fingerprint);
  }
  {  // M/M/10 at rho = 0.9 (lambda 9, mu 1), warm-up 100, to t = 1,000.
    testing::MmcParams p;
    p.lambda = 9;
    p.mu = 1;
    p.c = 10;
    p.warmup = 100;
    p.horizon = 1000;
    const testing::MmcResult r = testing::run_mmc(p, 1, 0);
    line("mmc_c10_rho0.9_t1000", r.events, r.fingerprint);
  }
  {  // The default council over 6 years (5 of them warm-up), replications 0 and 1.
    CareRunOptions o;
    o.horizon_years = 6;
    const Scenario s = apply_options(parse_scenario(default_scenario_yaml(), kDefaultScenarioName), o);
    for (std::uint64_t r = 0; r < 2; ++r) {
      const ReplicationResult rep = run_replication(s, r);
      line("default_6y_r" + std::to_string(r), rep.events, rep.fingerprint);
    }
  }
  {  // The region at 3% of its size over 6 years: sequentially and on the parallel executor.
    CareRunOptions o;
    o.horizon_years = 6;
    o.scale = 0.03;
    o.replications = 1;
    const Scenario s = apply_options(load_scenario(root + "/scenarios/region.yaml"), o);
    ReplicationOptions seq;
    seq.keep = Recorder::kSeriesOnly;
    const ReplicationResult a = run_replication(s, 0, seq);
    line("region_3pct_6y_sequential", a.events, a.fingerprint);
    ReplicationOptions par = seq;
    par.threads = 2;
    const ReplicationResult b = run_replication(s, 0, par);
    line("region_3pct_6y_2_threads", b.events, b.fingerprint);
  }
  return 0;
}
