// The care-flow model: people from cohorts move through services (queues, capacity,
// routing on need, age and cohort), their need escalates while they wait and falls while
// they are served; step changes into and out of specialist provision, assessments,
// hand-offs within and across agencies, hospital discharge with delayed transfers of care,
// re-ablement follow-up, reviews, budgets and pools. Everything is read from a Scenario.
#pragma once

#include <cstdint>

#include "careflow/models/results.hpp"
#include "careflow/models/scenario.hpp"

namespace careflow::models {

struct CareRunOptions {
  std::uint64_t replications = 0;  // 0: the scenario's
  std::uint64_t seed = 0;          // 0: the scenario's
  double horizon_years = 0;        // 0: the scenario's
  bool episodes_all_replications = false;  // otherwise per-episode records of replication 0 only
  unsigned threads = 0;  // replications run in parallel on this many threads (0: all cores); results do not depend on it
};

/// The scenario with the options applied (replications, seed, horizon).
Scenario apply_options(Scenario s, const CareRunOptions& opt);

/// The metric ids a run of `s` reports, in order (the same for every replication).
std::vector<MetricId> metric_ids(const Scenario& s);

/// One replication, sequentially. Throws std::runtime_error if an invariant (people or
/// money conserved, queues consistent) is broken.
ReplicationResult run_replication(const Scenario& s, std::uint64_t replication, bool keep_episodes = true);

/// Every replication of the scenario (in parallel, each one sequential), then the summary.
/// Replication r depends only on (scenario, seed, r): the result is the same for any thread count.
RunResult run_scenario(const Scenario& s, const CareRunOptions& opt = {});

}  // namespace careflow::models
