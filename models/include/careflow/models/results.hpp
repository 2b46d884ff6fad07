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

/// The stationarity check of every service's queue (docs/model.md, "Unstable queues"): a queue
/// is unstable when its growth (activity/queue_growth: the mean weekly queue of the appraisal
/// period's last third minus its first third) is above zero by a one-sided Student-t test at 1%
/// across the replications AND material: at least one person and at least a quarter of the
/// service's mean queue. A wait read from such a queue depends on the horizon and the seed.
struct UnstableQueue {
  std::string service;
  double growth = 0;      // mean over the replications (people)
  double lower = 0;       // its one-sided 99% lower bound
  double mean_queue = 0;  // activity/mean_queue, mean over the replications
};
struct QueueStability {
  static constexpr double kLevel = 0.99;        // one-sided: alarms at 1% on a stable queue
  static constexpr double kMaterialShare = 0.25;  // of the mean queue
  static constexpr double kMaterialPeople = 1.0;
  static constexpr std::size_t kMinReplications = 3;
  bool tested = false;  // false: fewer than kMinReplications replications, nothing was judged
  std::size_t replications = 0;
  std::vector<UnstableQueue> unstable;
};
QueueStability check_queue_stability(const std::vector<Metric>& summary);

}  // namespace careflow::models
