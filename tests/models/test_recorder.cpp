// The seams of the care model: the Recorder between the model and its outputs, the metric table
// every figure goes through, and the random-stream key's checked field widths.
#include <catch2/catch.hpp>

#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "care/events.hpp"
#include "careflow/models/care_model.hpp"
#include "careflow/models/default_scenario.hpp"
#include "careflow/models/metrics.hpp"
#include "careflow/models/recorder.hpp"
#include "careflow/models/scenario_loader.hpp"

using namespace careflow;
using namespace careflow::models;

namespace {

Scenario short_default(double years = 6) {
  CareRunOptions o;
  o.horizon_years = years;
  return apply_options(parse_scenario(default_scenario_yaml(), kDefaultScenarioName, "scenarios"), o);
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

// Counts what it is given; keeps nothing.
class CountingRecorder final : public Recorder {
 public:
  Keep keeps() const noexcept override { return {}; }
  void episode(const EpisodeRecord&) override { ++episodes; }
  void step_change(const StepChangeRecord&) override { ++step_changes; }
  std::int32_t delay_began(const DelayRecord& r) override {
    if (!std::isnan(r.end)) ++malformed;
    return static_cast<std::int32_t>(delays++);
  }
  void delay_ended(std::int32_t handle, double) override {
    if (handle < 0 || static_cast<std::size_t>(handle) >= delays) ++malformed;
    ++ended;
  }
  void track(const TrackPoint&) override { ++tracks; }
  void week(double time, std::span<const WeekRow> services) override {
    if (!(time > last_week) || services.empty()) ++malformed;
    last_week = time;
    ++weeks;
  }
  std::size_t episodes = 0, step_changes = 0, delays = 0, ended = 0, tracks = 0, weeks = 0, malformed = 0;
  double last_week = -1;
};

}  // namespace

TEST_CASE("a recorder sees every record as it happens, and what is recorded never changes a figure", "[care][recorder]") {
  const Scenario s = short_default();
  const ReplicationResult memory = run_replication(s, 0);  // MemoryRecorder, keeping everything

  auto counted = std::make_unique<CountingRecorder>();
  ReplicationOptions own;
  own.recorders = {counted.get()};
  const ReplicationResult through = run_replication(s, 0, own);
  CHECK(counted->malformed == 0);
  CHECK(counted->episodes == memory.episodes.size());
  CHECK(counted->step_changes == memory.step_changes.size());
  CHECK(counted->delays == memory.delays.size());
  CHECK(counted->tracks == memory.tracks.size());
  CHECK(counted->weeks == memory.series.time_days.size());
  CHECK(counted->episodes > 1000);
  CHECK(counted->delays > 100);
  // Delays still open at the end keep a NaN end; every other one was ended exactly once.
  std::size_t open = 0;
  for (const DelayRecord& d : memory.delays) open += std::isnan(d.end);
  CHECK(counted->ended == memory.delays.size() - open);
  CHECK(through.episodes.empty());  // the records went to the recorder, not to the result

  ReplicationOptions none;
  none.keep = Recorder::kNothing;
  const ReplicationResult bare = run_replication(s, 0, none);
  CHECK(bare.series.time_days.empty());
  CHECK(bare.episodes.empty());

  ReplicationOptions series;
  series.keep = Recorder::kSeriesOnly;
  const ReplicationResult weekly = run_replication(s, 0, series);
  CHECK(weekly.series.time_days == memory.series.time_days);
  CHECK(same_bits(weekly.series.queue, memory.series.queue));
  CHECK(weekly.step_changes.empty());

  for (const ReplicationResult* r : {&through, &bare, &weekly}) {
    CHECK(r->fingerprint == memory.fingerprint);
    CHECK(same_bits(r->metric_values, memory.metric_values));
  }
}

TEST_CASE("every figure goes through a row of the metric table, and every row is reported", "[care][metrics]") {
  const Scenario s = short_default();
  const std::vector<MetricId> ids = metric_ids(s);
  std::set<const MetricDef*> reported;
  std::set<std::pair<std::string_view, std::string_view>> names;
  for (const MetricDef* m : kMetrics) CHECK(names.insert({m->family, m->name}).second);  // one row per figure
  for (const MetricId& id : ids) {
    INFO(id.family << "/" << id.name << "/" << id.subject);
    const MetricDef* def = find_metric(id);
    REQUIRE(def);
    CHECK(def->unit == id.unit);
    CHECK(def->about(subject_kind(id.subject)));
    reported.insert(def);
  }
  // The default reports every indicator, so every row of the table appears.
  CHECK(reported.size() == kMetrics.size());
  CHECK(subject_label(SubjectKind::Tier, "acute") == "tier:acute");
  CHECK(subject_kind("tier:acute") == SubjectKind::Tier);
  CHECK(subject_kind("pool:intermediate_care_pool") == SubjectKind::Pool);
  CHECK(subject_kind("early_help") == SubjectKind::Service);
  CHECK(subject_kind("") == SubjectKind::System);
  CHECK(find_metric("waits", "mean_wait_days")->better == Better::Lower);
  CHECK(find_metric("indicators", "NI132_assessments_on_time")->better == Better::Higher);
  CHECK(find_metric("waits", "no_such_figure") == nullptr);
}

TEST_CASE("random-stream keys keep every field inside its width", "[care][random]") {
  using care::Purpose;
  using care::StreamKey;
  // The layout the pinned fingerprints were made with: visit << 24 | (service + 1) << 8 | purpose.
  CHECK(StreamKey::of(Purpose::Duration, 5, 7) == ((7ull << 24) | (6ull << 8) | 3ull));
  CHECK(StreamKey::of(Purpose::Attributes, -1, 0) == 2ull);
  CHECK(StreamKey::of(Purpose::Escalation, 2, 9, 3, StreamKey::kNeedBits) == (((9ull << 4 | 3ull) << 24) | (3ull << 8) | 6ull));
  CHECK_THROWS_AS(StreamKey::of(Purpose::Duration, 65535, 1), ContractViolation);  // service + 1 needs 17 bits
  CHECK_THROWS_AS(StreamKey::of(Purpose::Duration, 1, 1ull << 40), ContractViolation);
  CHECK_THROWS_AS(StreamKey::of(Purpose::Escalation, 1, 1, 16, StreamKey::kNeedBits), ContractViolation);  // a 17th need level
  CHECK_THROWS_AS(StreamKey::of(Purpose::Review, 1, 1ull << 24, 0, StreamKey::kReviewBits), ContractViolation);
  CHECK_NOTHROW(StreamKey::of(Purpose::Review, 1, (1ull << 24) - 1, 65535, StreamKey::kReviewBits));
  CHECK(kMaxNeedLevels == 16);
}
