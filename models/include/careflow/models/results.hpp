// What a care-model run produces: per-replication records and series, and a summary of
// metrics with confidence intervals across replications.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "careflow/engine/statistics.hpp"

namespace careflow::models {

/// Outcome codes of an episode (>= 0: index of the next service).
enum EpisodeOutcome : std::int32_t {
  kOutcomeExit = -1,        // left the care system after service
  kOutcomeReneged = -2,     // gave up waiting
  kOutcomeBalked = -3,      // turned away by a full queue
  kOutcomeOngoing = -4,     // still waiting or in service at the end of the run
  kOutcomeTransition = -5,  // moved to adult services at 18
  kOutcomeEscalated = -6,   // need escalated while waiting: re-referred elsewhere
  kOutcomeDied = -8,        // died after service (route target `died`; equals kDied)
};

/// One person's stay at one service.
struct EpisodeRecord {
  std::uint64_t person = 0;
  std::int32_t cohort = 0;
  std::int32_t service = 0;
  double referred = 0;  // day the referral arrived at the service
  double started = 0;   // day service started (NaN if never)
  double ended = 0;     // day the person left the service (NaN if ongoing)
  double wait = 0;      // days from referral to start (NaN if never started)
  double cost = 0;      // £ spent on this episode
  std::int32_t outcome = kOutcomeOngoing;
  std::int32_t unit = -1;        // which place (worker, bed, team) served the person
  std::int32_t need_at_start = 0;
  std::int32_t need_at_end = 0;
};

/// A move up into specialist provision (+1) or back down from it (-1).
struct StepChangeRecord {
  std::uint64_t person = 0;
  double time = 0;
  std::int32_t from_service = -1;  // -1: from outside the care system / to outside it
  std::int32_t to_service = -1;
  std::int32_t direction = 0;
};

/// A delayed transfer of care: a medically fit patient kept in a hospital bed.
struct DelayRecord {
  std::uint64_t person = 0;
  std::int32_t hospital = 0;
  std::int32_t waiting_for = -1;  // service awaited, -1 for a discharge check
  std::string reason;             // "re-ablement", "home care", "care home", "assessment", "funding decision"
  double start = 0;
  double end = 0;  // NaN if still delayed at the end
};

/// A tracked person's move, for the animation: from `time` on they are at `service` in `state`.
struct TrackPoint {
  std::uint64_t person = 0;
  double time = 0;
  std::int32_t service = -1;  // -1: outside the care system
  std::int32_t state = 0;     // 0 waiting, 1 in service, 2 in hand-off, 3 left
};

/// Weekly series by service, row-major [week][service].
struct Series {
  std::vector<double> time_days;  // end of each week
  std::size_t services = 0;
  std::vector<double> queue;       // people waiting at the week's end
  std::vector<double> occupancy;   // places in use at the week's end
  std::vector<double> spend;       // £ spent during the week
  std::vector<double> step_ups;    // step changes up during the week (by destination service)
  std::vector<double> step_downs;  // step downs during the week (by the specialist service left)
};

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
  std::uint64_t transfers = 0;
  std::vector<std::uint64_t> site_events;  // events handled by each site (this process's sites); not saved  // people moved between sites (scenarios with a region); not saved
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
