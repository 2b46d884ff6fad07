// Stopping a run from another thread (RunControl, what Ctrl-C in Python sets): a replication
// stops at its next weekly event, on the sequential and the parallel executor; a run stops
// before replications not yet begun and throws Cancelled; a control never set changes nothing.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "careflow/models/care_model.hpp"
#include "careflow/models/compare.hpp"
#include "careflow/models/default_scenario.hpp"
#include "careflow/models/scenario_loader.hpp"

using namespace careflow;
using namespace careflow::models;

namespace {

// A short, scaled-down run (warm-up one year) that still has well over 100 weeks.
Scenario small(Scenario s, double years, double scale) {
  s.warmup_years = 1;
  CareRunOptions o;
  o.horizon_years = years;
  o.scale = scale;
  return apply_options(s, o);
}

Scenario small_council(double years = 3) {
  return small(parse_scenario(default_scenario_yaml(), kDefaultScenarioName), years, 0.05);
}

Scenario small_region() {
  const auto path = std::filesystem::path(__FILE__).parent_path() / "../../scenarios/region.yaml";
  return small(load_scenario(path.string()), 3, 0.03);
}

// Keeps nothing but counts its site's weeks; at week `stop_after` it sets `flag`.
class StoppingRecorder final : public Recorder {
 public:
  StoppingRecorder(std::atomic<bool>& flag, int stop_after) : flag_(flag), stop_after_(stop_after) {}
  Keep keeps() const noexcept override { return kSeriesOnly; }
  void episode(const EpisodeRecord&) override {}
  void step_change(const StepChangeRecord&) override {}
  std::int32_t delay_began(const DelayRecord&) override { return kNoDelay; }
  void delay_ended(std::int32_t, double) override {}
  void track(const TrackPoint&) override {}
  void week(double, std::span<const WeekRow>) override {
    if (++weeks == stop_after_) flag_.store(true);
  }
  int weeks = 0;

 private:
  std::atomic<bool>& flag_;
  int stop_after_;
};

// Replication 0 of `s` with one StoppingRecorder per site (site 0's sets the flag at week 10):
// it must throw Cancelled, every site having recorded a few weeks, not the horizon's.
void check_stops_within_weeks(const Scenario& s, unsigned threads) {
  std::atomic<bool> stop{false};
  std::vector<StoppingRecorder> recorders;
  recorders.reserve(s.site_count());
  for (std::size_t k = 0; k < s.site_count(); ++k) recorders.emplace_back(stop, k == 0 ? 10 : -1);
  ReplicationOptions o;
  o.threads = threads;
  o.stop = &stop;
  for (auto& r : recorders) o.recorders.push_back(&r);
  REQUIRE_THROWS_AS(run_replication(s, 0, o), Cancelled);
  CHECK(recorders[0].weeks == 10);  // the week after the flag was set throws before it is recorded
  for (const auto& r : recorders) CHECK(r.weeks <= 12);  // windows are a day (the lookahead): no site runs ahead
  CHECK(s.horizon_years * 52 > 150);
}

}  // namespace

TEST_CASE("a replication stops at the weekly event after its flag is set", "[care][cancel]") {
  SECTION("one site, sequential executor") { check_stops_within_weeks(small_council(), 1); }
  SECTION("eight sites, parallel executor on 2 threads") { check_stops_within_weeks(small_region(), 2); }
  SECTION("eight sites, sequential executor") { check_stops_within_weeks(small_region(), 1); }
}

TEST_CASE("a run whose control is stopped throws Cancelled and runs no further replications", "[care][cancel]") {
  const Scenario s = small_council();
  for (unsigned threads : {1u, 2u}) {
    INFO(threads << " threads");
    RunControl control;
    control.stop = true;
    CareRunOptions o;
    o.replications = 8;
    o.threads = threads;
    o.control = &control;
    REQUIRE_THROWS_AS(run_scenario(s, o), Cancelled);
    CHECK(control.replications_done == 0);
  }
  RunControl control;
  control.stop = true;
  CompareOptions c;
  c.run.replications = 2;
  c.run.control = &control;
  REQUIRE_THROWS_AS(compare({s, s}, c), Cancelled);
}

TEST_CASE("a run stopped from another thread mid-run stops early", "[care][cancel]") {
  const Scenario s = small_council(2);
  RunControl control;
  CareRunOptions o;
  o.replications = 2000;  // far more than run before the watcher reacts (a few)
  o.threads = 2;
  o.control = &control;
  std::thread watcher([&] {  // what the Python module's waiting thread does on Ctrl-C
    while (control.replications_done.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    control.stop = true;
  });
  CHECK_THROWS_AS(run_scenario(s, o), Cancelled);
  watcher.join();
  CHECK(control.replications_done > 0);
  CHECK(control.replications_done < o.replications);
}

TEST_CASE("a control never set changes nothing and counts every replication", "[care][cancel]") {
  const Scenario s = small_council();
  CareRunOptions o;
  o.replications = 3;
  o.threads = 2;
  const RunResult plain = run_scenario(s, o);
  RunControl control;
  o.control = &control;
  const RunResult followed = run_scenario(s, o);
  CHECK(control.replications_done == 3);
  REQUIRE(followed.replications.size() == 3);
  for (std::size_t r = 0; r < 3; ++r) {
    CHECK(followed.replications[r].fingerprint == plain.replications[r].fingerprint);
    const auto &a = followed.replications[r].metric_values, &b = plain.replications[r].metric_values;
    REQUIRE(a.size() == b.size());
    CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);  // to the bit (NaNs included)
  }
}
