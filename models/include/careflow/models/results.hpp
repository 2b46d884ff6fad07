// What a care-model run produces: per-replication records and series, and a summary of
// metrics with confidence intervals across replications.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "careflow/engine/statistics.hpp"
#include "careflow/models/records.hpp"

namespace careflow::models {

/// Identity of one summary figure, e.g. {waits, mean_wait_days, "early help", days}.
struct MetricId {
  std::string family;   // "waits", "step_changes", "costs", "indicators", "activity", "invariants"
  std::string name;     // e.g. "mean_wait_days", "spend_per_year"
  std::string subject;  // a service, tier, agency, budget pot, cohort, or "" for the whole system
  std::string unit;     // "days", "£", "per 10,000", "%", "people"
};

struct ReplicationResult {
  std::uint64_t replication = 0;
  std::uint64_t events = 0;
  std::uint64_t fingerprint = 0;
  std::uint64_t peak_pending_events = 0;  // most events pending at once in the future-event set
  std::uint64_t peak_person_records = 0;  // most person records held at once
  std::uint64_t transfers = 0;  // people moved between sites (scenarios with a region); not saved
  std::vector<std::uint64_t> site_events;  // events handled by each site; not saved
  std::uint64_t invariant_checks = 0;  // times people and money were found conserved (weekly and at the end); not saved
  std::vector<double> metric_values;  // aligned with RunResult::metric_ids
  std::vector<EpisodeRecord> episodes;
  std::vector<StepChangeRecord> step_changes;
  std::vector<DelayRecord> delays;
  std::vector<TrackPoint> tracks;
  Series series;
};

struct Metric {
  MetricId id;
  std::vector<double> values;  // one per replication
  ConfidenceInterval ci;       // 95% across replications
};

struct RunResult {
  std::vector<MetricId> metric_ids;  // same order in every replication
  std::vector<ReplicationResult> replications;
  std::vector<Metric> summary;  // filled by summarise()
  double seconds = 0;
};

/// Fills result.summary from the replications' metric values (95% Student-t intervals).
void summarise(RunResult& result, double level = 0.95);

}  // namespace careflow::models
