// Comparing scenarios: transforms do what they say, results do not depend on the thread count,
// common random numbers narrow the intervals, and the economics are computed as documented.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <filesystem>
#include <string>
#include <vector>

#include "careflow/models/advice.hpp"
#include "careflow/models/compare.hpp"
#include "careflow/models/default_scenario.hpp"
#include "careflow/models/scenario_loader.hpp"
#include "careflow/models/transforms.hpp"

using namespace careflow;
using namespace careflow::models;

namespace {

Scenario base_scenario() { return parse_scenario(default_scenario_yaml(), kDefaultScenarioName, "scenarios"); }

std::string scenario_file(const std::string& name) {
  return (std::filesystem::path(__FILE__).parent_path() / "../../scenarios" / name).string();
}

const ServiceSpec& service(const Scenario& s, const std::string& name) { return s.services.at(static_cast<std::size_t>(s.service_index(name))); }

std::uint32_t capacity_at(const ServiceSpec& v, double day) {
  std::uint32_t c = v.capacity;
  for (const CapacityStep& st : v.capacity_schedule)
    if (st.at <= day) c = st.capacity;
  return c;
}

}  // namespace

TEST_CASE("results do not depend on the number of threads", "[compare][determinism]") {
  Scenario s = base_scenario();
  s.horizon_years = 6;
  s.replications = 4;
  CareRunOptions one, two;
  one.threads = 1;
  two.threads = 2;
  const RunResult a = run_scenario(s, one);
  const RunResult b = run_scenario(s, two);
  REQUIRE(a.replications.size() == b.replications.size());
  for (std::size_t r = 0; r < a.replications.size(); ++r) {
    CHECK(a.replications[r].fingerprint == b.replications[r].fingerprint);
    const auto& x = a.replications[r].metric_values;
    const auto& y = b.replications[r].metric_values;
    REQUIRE(x.size() == y.size());
    for (std::size_t m = 0; m < x.size(); ++m) CHECK(((std::isnan(x[m]) && std::isnan(y[m])) || x[m] == y[m]));
  }
}

TEST_CASE("joint commissioning pools budgets, integrates assessment and shortens hand-offs", "[compare][transform]") {
  const Scenario before = base_scenario();
  const Scenario s = load_scenario(scenario_file("joint_commissioning.yaml"));
  CHECK(s.budget_mode == BudgetMode::Pooled);
  CHECK(s.integrated_assessment);
  CHECK(s.handoff_across.mean() == Approx(0.6 * before.handoff_across.mean()));
  const PoolSpec& pool = s.pools.back();
  CHECK(pool.name == "joint_commissioning");
  CHECK(pool.services.size() == 5);
  CHECK(pool.annual_budget > 0);
  // The pool's money came out of the agencies' budgets: the total is unchanged.
  double total_before = 0, total_after = pool.annual_budget;
  for (const auto& a : before.agencies) total_before += a.annual_budget;
  for (const auto& a : s.agencies) total_after += a.annual_budget;
  CHECK(total_after == Approx(total_before));
  // A service is in one pool only: the base's pools lose the services the joint pool takes, and a
  // pool left with none is dropped (the default's intermediate-care pool goes that way).
  std::map<int, int> pools_of;
  for (const PoolSpec& p : s.pools)
    for (int v : p.services) ++pools_of[v];
  for (const auto& [v, n] : pools_of) CHECK(n == 1);
  REQUIRE_FALSE(before.pools.empty());
  std::size_t kept = 0;
  for (const PoolSpec& old : before.pools) {
    std::vector<int> left;
    for (int v : old.services)
      if (std::find(pool.services.begin(), pool.services.end(), v) == pool.services.end()) left.push_back(v);
    if (left.empty()) continue;
    ++kept;
    const auto it = std::find_if(s.pools.begin(), s.pools.end(), [&](const PoolSpec& p) { return p.name == old.name; });
    REQUIRE(it != s.pools.end());
    CHECK(it->services == left);
  }
  CHECK(s.pools.size() == kept + 1);
}

TEST_CASE("a children's trust merges services, budgets and assessment, at a transition cost", "[compare][transform]") {
  const Scenario before = base_scenario();
  const Scenario s = load_scenario(scenario_file("childrens_trust.yaml"));
  REQUIRE(s.agencies.back().name == "childrens_trust");
  const int trust = static_cast<int>(s.agencies.size() - 1);
  CHECK(service(s, "child_protection").agency == trust);
  CHECK(service(s, "camhs_treatment").agency == trust);
  CHECK(service(s, "home_care").agency != trust);
  CHECK(s.integrated_assessment);
  REQUIRE(s.one_off_costs.size() == 1);
  CHECK(s.one_off_costs[0].amount == 3.0e6);
  CHECK(s.one_off_costs[0].at == Approx(s.warmup_years * kDaysPerYear));
  // Productivity dip: 10% fewer places for a year, then back.
  const double start = s.warmup_years * kDaysPerYear;
  const auto& cin_before = service(before, "child_in_need");
  const auto& cin = service(s, "child_in_need");
  CHECK(capacity_at(cin, start + 10) == static_cast<std::uint32_t>(std::round(0.9 * capacity_at(cin_before, start + 10))));
  CHECK(capacity_at(cin, start + 400) == capacity_at(cin_before, start + 400));
  double total_before = 0, total_after = 0;
  for (const auto& a : before.agencies) total_before += a.annual_budget;
  for (const auto& a : s.agencies) total_after += a.annual_budget;
  CHECK(total_after == Approx(total_before));
}

TEST_CASE("a prevention shift moves places after the lag and closes them after double running", "[compare][transform]") {
  const Scenario before = base_scenario();
  const Scenario s = load_scenario(scenario_file("prevention_shift.yaml"));
  const double start = s.warmup_years * kDaysPerYear, month = kDaysPerYear / 12;
  const auto& eh0 = service(before, "early_help");
  const auto& eh = service(s, "early_help");
  const auto& lac0 = service(before, "looked_after");
  const auto& lac = service(s, "looked_after");
  CHECK(capacity_at(eh, start + 5 * month) == capacity_at(eh0, start + 5 * month));  // still recruiting
  CHECK(capacity_at(eh, start + 7 * month) > capacity_at(eh0, start + 7 * month));   // first tranche open
  CHECK(capacity_at(lac, start + 11 * month) == capacity_at(lac0, start + 11 * month));  // double running
  CHECK(capacity_at(lac, start + 13 * month) < capacity_at(lac0, start + 13 * month));
  CHECK(capacity_at(eh, start + 4 * kDaysPerYear) > capacity_at(eh, start + 7 * month));  // ramped up further
  REQUIRE(s.prevention.size() == 1);
  CHECK(s.prevention[0].need_reduction == Approx(0.05));
  CHECK(s.prevention[0].escalation_reduction == Approx(0.10));
}

TEST_CASE("smaller transforms change what they name", "[compare][transform]") {
  Scenario s = base_scenario();
  const double pop = s.cohorts[2].population;
  apply_transform(s, parse_transform("demographic_growth cohorts=older_adults population_factor=1.1 trend_per_year=0.02", s, "test"));
  CHECK(s.cohorts[2].population == Approx(1.1 * pop));
  CHECK(s.cohorts[2].trend_per_year == Approx(0.02));
  apply_transform(s, parse_transform("winter_surge amplitude=0.3", s, "test"));
  CHECK(s.cohorts[0].seasonal_amplitude == Approx(0.3));
  const double hc = service(s, "home_care").cost.per_hour;
  apply_transform(s, parse_transform("personal_budgets take_up=0.3 services=home_care cost_change=-0.1", s, "test"));
  CHECK(service(s, "home_care").cost.per_hour == Approx(hc * 0.97));
  apply_transform(s, parse_transform("eligibility services=adult_assessment min_need=complex", s, "test"));
  const RouteRule& first = service(s, "adult_assessment").routes.front();
  CHECK(first.when.need_levels == std::vector<int>{0, 1});
  CHECK(first.to.front().service == kExit);
  CHECK_NOTHROW(validate_scenario(s));
}

TEST_CASE("transform errors name the transform, the parameter and the nearest valid name", "[compare][transform]") {
  const Scenario s = base_scenario();
  CHECK_THROWS_WITH(parse_transform("prevention_shiftt share=0.1", s, "--transform"), Catch::Contains("did you mean 'prevention_shift'"));
  CHECK_THROWS_WITH(parse_transform("prevention_shift shar=0.1 to=early_help", s, "--transform"),
                    Catch::Contains("unknown parameter 'shar'") && Catch::Contains("did you mean 'share'"));
  CHECK_THROWS_WITH(parse_transform("prevention_shift to=early_help", s, "--transform"), Catch::Contains("missing required parameter 'share'"));
  CHECK_THROWS_WITH(parse_transform("prevention_shift share=2 to=early_help", s, "--transform"), Catch::Contains("share"));
  CHECK_THROWS_WITH(parse_transform("winter_surge amplitude=0.2 cohorts=elderly", s, "--transform"), Catch::Contains("unknown cohort 'elderly'"));
}

TEST_CASE("payback year and cost per step change avoided", "[compare][economics]") {
  auto run = [](std::vector<double> years, double step_ups) {
    RunResult r;
    for (std::size_t y = 0; y < years.size(); ++y)
      r.metric_ids.push_back({"costs", "spend_in_year", "year:0" + std::to_string(y + 1), "£"});
    r.metric_ids.push_back({"costs", "spend_per_year", "", "£"});
    r.metric_ids.push_back({"step_changes", "step_ups_per_year", "", "people"});
    double total = 0;
    for (double x : years) total += x;
    for (int rep = 0; rep < 3; ++rep) {
      ReplicationResult rr;
      rr.metric_values = years;
      rr.metric_values.push_back(total / static_cast<double>(years.size()));
      rr.metric_values.push_back(step_ups + rep);
      r.replications.push_back(rr);
    }
    summarise(r);
    return r;
  };
  const RunResult base = run({10, 10, 10, 10}, 100);
  const RunResult invest = run({12, 9, 8, 9}, 90);  // cumulative +2, +1, -1, -2
  const ScenarioComparison c = compare_runs("invest", base, invest, true);
  CHECK(c.economics.payback_year == 3);
  CHECK(c.economics.cumulative_difference == std::vector<double>{2, 1, -1, -2});
  CHECK(c.economics.cost_per_step_up_avoided == Approx(-0.5 / 10));
  const ScenarioComparison never = compare_runs("never", base, run({11, 11, 11, 11}, 100), true);
  CHECK(std::isnan(never.economics.payback_year));
  const ScenarioComparison saves = compare_runs("saves", base, run({9, 9, 9, 9}, 100), true);
  CHECK(saves.economics.payback_year == 0);
}

TEST_CASE("common random numbers narrow the interval on a difference", "[compare][crn][statistical][long]") {
  // Two close scenarios: the base, and 10% fewer early-help places and 10% more adult
  // assessment places. A lever must move the figures: early help alone (at utilisation 0.70)
  // changes nothing with 10% fewer places, and gives paired intervals of width zero.
  Scenario a = base_scenario();
  a.horizon_years = 8;
  a.replications = 8;
  Scenario b = a;
  ServiceSpec& eh = b.services.at(static_cast<std::size_t>(b.service_index("early_help")));
  eh.capacity = static_cast<std::uint32_t>(eh.capacity * 0.9);
  ServiceSpec& aa = b.services.at(static_cast<std::size_t>(b.service_index("adult_assessment")));
  aa.capacity = static_cast<std::uint32_t>(aa.capacity * 1.1);
  for (auto& step : aa.capacity_schedule) step.capacity = static_cast<std::uint32_t>(step.capacity * 1.1);
  CompareOptions paired, independent;
  independent.independent = true;
  const Comparison p = compare({a, b}, paired);
  const Comparison i = compare({a, b}, independent);
  auto width = [](const Comparison& c, const std::string& family, const std::string& name) {
    for (const auto& d : c.against_base[0].rows)
      if (d.id.family == family && d.id.name == name && d.id.subject.empty()) return d.diff.half_width;
    return std::nan("");
  };
  const double spend = width(i, "costs", "spend_per_year") / width(p, "costs", "spend_per_year");
  const double ups = width(i, "step_changes", "step_ups_per_year") / width(p, "step_changes", "step_ups_per_year");
  INFO("interval narrower with common random numbers: spend x" << spend << ", step-ups x" << ups);
  // Fixed seeds make this a golden value with a margin: measured x18.8 and x45 (docs/comparing.md);
  // the bound is what makes common random numbers worth having (five times narrower), not a fit.
  CHECK(spend > 5);
  CHECK(ups > 5);
  CHECK(std::isfinite(spend));  // the lever moved the figures: the paired intervals are not empty
  CHECK(std::isfinite(ups));
}

TEST_CASE("MSER-5 cuts a transient and keeps a stationary series", "[advice]") {
  RandomStream rng(StreamKey{9, 0, 0, 0});
  std::vector<double> transient, flat;
  for (int t = 0; t < 1000; ++t) {
    const double noise = rng.uniform01() - 0.5;
    transient.push_back(50.0 * std::exp(-t / 30.0) + noise);  // below the noise after ~120 steps
    flat.push_back(noise);
  }
  // The transient falls below the noise's standard deviation (0.29) after 30 ln(50 / 0.29) = 155
  // steps; MSER-5 should cut within a factor of about 2 of that (fixed seed: a golden value with a margin).
  const std::size_t cut = mser5(transient);
  INFO("truncation " << cut);
  CHECK(cut >= 60);
  CHECK(cut <= 250);
  CHECK(cut % 5 == 0);
  CHECK(mser5(flat) < 100);
  CHECK(mser5({1.0, 2.0}) == 0);
}

TEST_CASE("replication advice follows n = (t s / h)^2", "[advice]") {
  RunResult r;
  r.metric_ids.push_back({"costs", "spend_per_year", "", "£"});
  const double values[] = {98, 102, 101, 99, 100};  // mean 100, sd sqrt(2.5)
  for (double v : values) {
    ReplicationResult rr;
    rr.metric_values = {v};
    rr.series.services = 1;
    rr.series.time_days = {7};
    rr.series.occupancy = {1};
    r.replications.push_back(rr);
  }
  summarise(r);
  const Advice a = advise(r, "costs/spend_per_year", 0.005);  // +-0.5
  const double t4 = 2.776445;
  CHECK(a.replications == static_cast<std::size_t>(std::ceil(std::pow(t4 * std::sqrt(2.5) / 0.5, 2))));
  CHECK(a.target_half_width == Approx(0.5));
  CHECK_THROWS_AS(advise(r, "costs/nothing", 0.01), std::invalid_argument);
}
