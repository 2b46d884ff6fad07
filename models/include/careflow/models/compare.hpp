// Comparing scenarios: every summary figure as a difference against the first scenario, with a
// paired confidence interval (replication r of every scenario uses the same random streams, so
// the same person meets the same luck: common random numbers), plus the economics planners ask
// for (payback year, cost per step change avoided, who pays and who saves).
#pragma once

#include <string>
#include <vector>

#include "careflow/engine/statistics.hpp"
#include "careflow/models/care_model.hpp"

namespace careflow::models {

struct CompareOptions {
  CareRunOptions run;        // replications, seed, horizon, threads (the same for every scenario)
  bool independent = false;  // give each scenario its own seed (to show what common random numbers buy)
  double level = 0.95;
};

struct MetricDifference {
  MetricId id;
  ConfidenceInterval base;   // the first scenario
  ConfidenceInterval other;  // this scenario
  ConfidenceInterval diff;   // this - first, paired by replication (unpaired if independent)
};

struct Economics {
  std::vector<double> cumulative_difference;  // £, mean over replications, at the end of appraisal years 1..N
  double payback_year = 0;   // first year the cumulative difference is <= 0 after having been > 0;
                             // 0 if it never was > 0 (saves from the start); NaN if never paid back
  double cost_per_step_up_avoided = 0;  // £ a year more per step change up a year fewer (NaN if none avoided)
};

struct ScenarioComparison {
  std::string name;
  std::vector<MetricDifference> rows;  // the base's metrics in order, then any only the scenario has
                                       // (a side missing a figure has an empty interval, n = 0)
  Economics economics;
};

struct Comparison {
  std::vector<std::string> names;      // every scenario, the base first
  std::vector<RunResult> runs;         // one per scenario
  std::vector<ScenarioComparison> against_base;  // one per scenario after the first
};

/// Whether a difference's interval excludes zero, and which way (a rise or fall, not noise).
enum class Change { Rose, Fell, NoClearChange };
Change change_of(const ConfidenceInterval& diff);
/// "▲" for a rise, "▼" for a fall, "" when the interval holds zero.
const char* arrow(Change c);

/// The figures a comparison leads with: indicators, step changes, waits of the system and of
/// each tier, spending of the system, each agency, pool and tier, and assessments a year.
bool headline(const MetricId& id);

/// Runs every scenario and compares each with the first.
Comparison compare(const std::vector<Scenario>& scenarios, const CompareOptions& opt);

/// The differences and economics of two runs already made (same number of replications).
ScenarioComparison compare_runs(const std::string& name, const RunResult& base, const RunResult& other, bool paired,
                                double level = 0.95);

}  // namespace careflow::models
