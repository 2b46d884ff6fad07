// How long and how many: a warm-up estimate (MSER-5) and the number of replications needed
// for a chosen precision on a chosen output.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "careflow/models/results.hpp"
#include "careflow/models/scenario.hpp"

namespace careflow::models {

/// MSER-5 (White 1997; Franklin & White 2008): batch the series in means of 5 and return the
/// number of leading observations (a multiple of 5) to delete so that the standard error of
/// the remaining mean, sum((x - mean)^2) / (n - d)^2, is smallest. Only the first half of
/// the series is considered, as the method recommends.
std::size_t mser5(const std::vector<double>& series);

struct Advice {
  double warmup_years = 0;           // MSER-5 on the mean weekly occupancy across services and replications
  std::size_t warmup_weeks = 0;
  bool warmup_at_limit = false;      // the truncation fell at the edge of the search: run longer
  MetricId metric;                   // the output the replications are sized for
  double mean = 0, half_width = 0;   // from the pilot run
  double target_half_width = 0;      // relative_precision * |mean|
  std::size_t replications = 0;      // needed for the target (>= 2)
};

/// Advice from a pilot run. `metric` is "family/name" or "family/name/subject"
/// (default: costs/spend_per_year); `relative_precision` is the wanted 95% half-width as a
/// share of the mean (0.01 = ±1%). Throws std::invalid_argument for an unknown metric.
Advice advise(const RunResult& pilot, const std::string& metric = "costs/spend_per_year",
              double relative_precision = 0.01);

}  // namespace careflow::models
