// Regions: a scenario whose services are run by several sites, one logical process each,
// with people moving between sites by message. The parallel executor must give exactly the
// sequential run (fingerprint, every figure, every record) for any partitioning and thread
// count; a site that shares nothing must behave exactly as the council run on its own.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "careflow/engine/parallel_executor.hpp"
#include "careflow/models/care_model.hpp"
#include "careflow/models/default_scenario.hpp"
#include "careflow/models/scenario_loader.hpp"

using namespace careflow;
using namespace careflow::models;

namespace {

std::string scenario_path(const char* name) {
  return (std::filesystem::path(__FILE__).parent_path() / "../../scenarios" / name).string();
}

// The region, small enough for a test: 3% of its population over 3 years.
Scenario small_region() {
  CareRunOptions o;
  o.scale = 0.03;
  o.horizon_years = 3;
  Scenario s = load_scenario(scenario_path("region.yaml"));
  s.warmup_years = 1;
  return apply_options(s, o);
}

CareRunOptions one_replication(double years, double scale) {
  CareRunOptions o;
  o.horizon_years = years;
  o.replications = 1;
  o.scale = scale;
  return o;
}

Scenario default_council(const CareRunOptions& o) {
  return apply_options(parse_scenario(default_scenario_yaml(), kDefaultScenarioName), o);
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void check_same(const ReplicationResult& a, const ReplicationResult& b) {
  CHECK(a.events == b.events);
  CHECK(a.fingerprint == b.fingerprint);
  CHECK(a.transfers == b.transfers);
  REQUIRE(a.metric_values.size() == b.metric_values.size());
  std::size_t differ = 0;
  for (std::size_t m = 0; m < a.metric_values.size(); ++m) differ += !same_bits(a.metric_values[m], b.metric_values[m]);
  CHECK(differ == 0);
  REQUIRE(a.episodes.size() == b.episodes.size());
  std::size_t ep = 0;
  for (std::size_t k = 0; k < a.episodes.size(); ++k) {
    const EpisodeRecord &x = a.episodes[k], &y = b.episodes[k];
    ep += x.person != y.person || x.service != y.service || !same_bits(x.referred, y.referred) ||
          !same_bits(x.started, y.started) || !same_bits(x.ended, y.ended) || !same_bits(x.cost, y.cost) ||
          x.outcome != y.outcome || x.unit != y.unit || x.need_at_end != y.need_at_end;
  }
  CHECK(ep == 0);
  REQUIRE(a.step_changes.size() == b.step_changes.size());
  for (std::size_t k = 0; k < a.step_changes.size(); ++k) {
    CHECK(a.step_changes[k].person == b.step_changes[k].person);
    CHECK(same_bits(a.step_changes[k].time, b.step_changes[k].time));
  }
  REQUIRE(a.delays.size() == b.delays.size());
  for (std::size_t k = 0; k < a.delays.size(); ++k) {
    CHECK(a.delays[k].person == b.delays[k].person);
    CHECK(same_bits(a.delays[k].end, b.delays[k].end));
  }
  REQUIRE(a.tracks.size() == b.tracks.size());
  for (std::size_t k = 0; k < a.tracks.size(); ++k) CHECK(same_bits(a.tracks[k].time, b.tracks[k].time));
  CHECK(a.series.queue == b.series.queue);
  CHECK(a.series.occupancy == b.series.occupancy);
  CHECK(a.series.spend == b.series.spend);
}

}  // namespace

TEST_CASE("a region runs identically on any partitioning and thread count", "[care][region][parallel]") {
  const Scenario s = small_region();
  REQUIRE(s.site_count() == 8);
  const ReplicationResult seq = run_replication(s, 0);
  REQUIRE(seq.transfers > 1000);  // people do cross between sites
  REQUIRE(seq.episodes.size() > 10000);
  std::vector<std::pair<std::string, std::vector<std::uint32_t>>> partitions = {
      {"balanced 2", site_partition(s, 2)},      {"balanced 3", site_partition(s, 3)},
      {"round robin 2", round_robin_partition(8, 2)}, {"blocks 4", block_partition(8, 4)},
      {"all in one", std::vector<std::uint32_t>(8, 0)}, {"one site each", {0, 1, 2, 3, 4, 5, 6, 7}},
      {"shared sites together", {1, 0, 1, 0, 1, 2, 2, 2}}};
  for (const auto& [name, partition] : partitions) {
    for (unsigned threads : {2u, 3u}) {
      INFO(name << ", " << threads << " threads");
      ReplicationOptions o;
      o.threads = threads;
      o.partition = partition;
      check_same(seq, run_replication(s, 0, o));
    }
  }
  INFO("the heap event queue on 2 threads");
  ReplicationOptions heap;
  heap.threads = 2;
  heap.queue = EventQueue::Heap;
  check_same(seq, run_replication(s, 0, heap));
}

TEST_CASE("balanced site partitions use every thread", "[care][region]") {
  const Scenario s = load_scenario(scenario_path("region.yaml"));
  for (unsigned t : {1u, 2u, 3u, 8u, 20u}) {
    const auto p = site_partition(s, t);
    REQUIRE(p.size() == 8);
    std::vector<int> used(std::min(t, 8u), 0);
    for (auto k : p) {
      REQUIRE(k < used.size());
      ++used[k];
    }
    for (int u : used) CHECK(u > 0);
  }
}

TEST_CASE("a council in a region that shares nothing is exactly the council on its own", "[care][region]") {
  // Site 0: the default council. Site 1: a copy of it (its own cohorts and services) that no one
  // from site 0 ever reaches. Site 0's people draw the same random numbers, in the same order,
  // as in the lone council's run, so every figure of its services is the same to the bit.
  const CareRunOptions o = one_replication(7, 0.2);
  const Scenario lone = default_council(o);
  Scenario two = lone;
  const int ns = static_cast<int>(lone.services.size()), nc = static_cast<int>(lone.cohorts.size());
  auto shift = [&](int sv) { return sv >= 0 ? sv + ns : sv; };
  for (int k = 0; k < ns; ++k) {
    ServiceSpec v = lone.services[static_cast<std::size_t>(k)];
    v.name = "copy_" + v.name;
    v.site = 1;
    v.overflow_to = shift(v.overflow_to);
    v.escalate_to = shift(v.escalate_to);
    v.integrated_into = shift(v.integrated_into);
    v.review.step_down_to = shift(v.review.step_down_to);
    for (RouteRule& r : v.routes) {
      for (RouteTarget& t : r.to) t.service = shift(t.service);
      for (int& c : r.when.cohorts) c += nc;
    }
    two.services.push_back(v);
  }
  for (int c = 0; c < nc; ++c) {
    CohortSpec k = lone.cohorts[static_cast<std::size_t>(c)];
    k.name = "copy_" + k.name;
    k.entry = shift(k.entry);
    k.transition_to = shift(k.transition_to);
    two.cohorts.push_back(k);
  }
  two.sites = {"council", "copy"};
  two.transfer_days = 1.0;
  validate_scenario(two);
  const RunResult a = run_scenario(lone, o), b = run_scenario(two, o);
  REQUIRE(b.replications[0].transfers == 0);
  std::size_t compared = 0, differ = 0;
  for (std::size_t m = 0; m < a.metric_ids.size(); ++m) {
    const MetricId& id = a.metric_ids[m];
    if (lone.service_index(id.subject) == kExit) continue;  // figures of one service (the copy's are others)
    for (std::size_t n = 0; n < b.metric_ids.size(); ++n) {
      const MetricId& jd = b.metric_ids[n];
      if (jd.family == id.family && jd.name == id.name && jd.subject == id.subject) {
        ++compared;
        if (!same_bits(a.replications[0].metric_values[m], b.replications[0].metric_values[n])) {
          ++differ;
          UNSCOPED_INFO(id.family << "/" << id.name << "/" << id.subject << ": " << a.replications[0].metric_values[m]
                                  << " vs " << b.replications[0].metric_values[n]);
        }
      }
    }
  }
  CHECK(compared > 100);
  CHECK(differ == 0);
  // The copy is statistically the same council: its spend is within 10% of the original's.
  auto spend = [&](const RunResult& r, const std::string& subject) {
    for (std::size_t m = 0; m < r.metric_ids.size(); ++m)
      if (r.metric_ids[m].family == "costs" && r.metric_ids[m].name == "spend_per_year" && r.metric_ids[m].subject == subject)
        return r.replications[0].metric_values[m];
    FAIL("no spend of " << subject);
    return 0.0;
  };
  CHECK(spend(b, "copy_home_care") == Approx(spend(b, "home_care")).epsilon(0.1));
}

TEST_CASE("a one-site region is the scenario without a region", "[care][region]") {
  const Scenario plain = default_council(one_replication(6, 0.1));
  Scenario one = plain;
  one.sites = {"everything"};
  const auto a = run_replication(plain, 0), b = run_replication(one, 0);
  CHECK(a.fingerprint == b.fingerprint);
  REQUIRE(a.metric_values.size() == b.metric_values.size());
  for (std::size_t m = 0; m < a.metric_values.size(); ++m) CHECK(same_bits(a.metric_values[m], b.metric_values[m]));
  CHECK(b.transfers == 0);
}
