// Scenario checks made before a run: values in range and names resolved (for scenarios built in
// code too: Python, sweeps), the pathway graph (Boost.Graph) and the size of one replication.
#include "careflow/models/scenario.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/reverse_graph.hpp>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <set>
#include <sstream>
#include <string_view>
#include <utility>

#include "scenario/routing.hpp"

namespace careflow::models {
namespace {

std::string fmt(double v, int precision = 3) {
  std::ostringstream o;
  o << std::setprecision(precision) << v;
  return o.str();
}

constexpr double kProbabilityTolerance = 1e-6;

bool valid_target(int i, std::size_t n) { return i == kExit || i == kDied || valid_index(i, n); }
// A service or "none": fields where a death makes no sense (indicators, redirections, transitions).
bool valid_service_or_none(int i, std::size_t n) { return i == kExit || valid_index(i, n); }
bool is_probability(double p) { return p >= 0 && p <= 1; }  // false for NaN

/// Throws with the item's file and line and a field path below it.
[[noreturn]] void fail(const SourceRef& item, const std::string& field, const std::string& message) {
  throw ScenarioError(SourceRef{item.file, item.line, field}, message);
}

std::string item_path(const char* list, const std::string& name, std::size_t i) {
  return std::string(list) + "[" + (name.empty() ? std::to_string(i) : name) + "]";
}

/// The run, the region, need levels, economics, governance and hand-offs.
void check_run_and_sections(const Scenario& s) {
  const SourceRef top{s.source_file, 0, ""};
  const std::size_t ns = s.services.size(), na = s.agencies.size(), nc = s.cohorts.size(), nl = s.need_levels.size();
  if (s.version != 1) fail(top, "careflow", "unsupported format version " + std::to_string(s.version) + "; expected 1");
  if (const std::string why = horizon_problem(s.horizon_years); !why.empty()) fail(top, "run.horizon_years", why);
  if (!(s.warmup_years >= 0 && s.warmup_years < s.horizon_years))
    fail(top, "run.warmup_years",
         "expected a warm-up of at least 0 and shorter than the horizon (" + fmt(s.horizon_years, 10) + " years), found " +
             fmt(s.warmup_years, 10));
  if (s.replications < 1) fail(top, "run.replications", "expected at least 1 replication, found 0");
  if (!s.sites.empty()) {
    const SourceRef& r = s.region_source;
    if (s.sites.size() > 4096) fail(r, "region.sites", "at most 4,096 sites, found " + std::to_string(s.sites.size()));
    if (!(s.transfer_days > 0 && std::isfinite(s.transfer_days)))
      fail(r, "region.transfer_days", "expected a positive number of days, found " + fmt(s.transfer_days, 10));
    std::vector<int> used(s.sites.size(), 0);
    for (const ServiceSpec& v : s.services)
      if (v.site >= 0 && static_cast<std::size_t>(v.site) < s.sites.size()) ++used[static_cast<std::size_t>(v.site)];
    for (std::size_t k = 0; k < s.sites.size(); ++k)
      if (used[k] == 0) fail(r, "region.sites", "site '" + s.sites[k] + "' runs no service; give it one or remove it");
  }
  for (std::size_t i = 0; i < s.services.size(); ++i)
    if (s.services[i].site < 0 || static_cast<std::size_t>(s.services[i].site) >= s.site_count())
      fail(s.services[i].source, item_path("services", s.services[i].name, i) + ".site", "site index out of range");
  if (nl < 2) fail(top, "need_levels", "expected at least 2 need levels, found " + std::to_string(nl));
  if (nl > kMaxNeedLevels)
    fail(top, "need_levels", "at most " + std::to_string(kMaxNeedLevels) + " need levels, found " + std::to_string(nl));
  if (ns > kMaxServices) fail(top, "services", "at most " + std::to_string(kMaxServices) + " services, found " + std::to_string(ns));
  if (nc > kMaxCohorts) fail(top, "cohorts", "at most " + std::to_string(kMaxCohorts) + " cohorts, found " + std::to_string(nc));
  for (std::size_t i = 0; i < nl; ++i) {
    if (s.need_levels[i].empty()) fail(top, "need_levels[" + std::to_string(i) + "]", "a need level needs a name");
    for (std::size_t j = 0; j < i; ++j)
      if (s.need_levels[i] == s.need_levels[j])
        fail(top, "need_levels[" + std::to_string(i) + "]", "need level '" + s.need_levels[i] + "' is listed twice");
  }
  if (!(s.discount_rate >= 0 && s.discount_rate < 1))
    fail(top, "economics.discount_rate", "expected a yearly rate from 0 to below 1, found " + fmt(s.discount_rate, 10));
  if (na == 0) fail(top, "agencies", "expected at least one agency, found none");
  if (ns == 0) fail(top, "services", "expected at least one service, found none");
  if (nc == 0) fail(top, "cohorts", "expected at least one cohort, found none");
  if (s.budget_mode == BudgetMode::Lead && !valid_index(s.lead_agency, na))
    fail(top, "governance.lead_agency", "budget_mode 'lead' needs a lead agency");
  if (!valid_target(s.lead_agency, na)) fail(top, "governance.lead_agency", "agency index out of range");
  for (const auto& [d, field] : {std::pair{&s.handoff_within, "handoffs.within_agency"},
                                 std::pair{&s.handoff_across, "handoffs.across_agency"}})
    if (!(d->mean() >= 0)) fail(top, field, "a hand-off delay cannot be negative, found " + d->describe());
}

/// The agencies: names and budgets.
void check_agencies(const Scenario& s) {
  const std::size_t na = s.agencies.size();
  for (std::size_t i = 0; i < na; ++i) {
    const AgencySpec& a = s.agencies[i];
    const std::string p = item_path("agencies", a.name, i);
    if (a.name.empty()) fail(a.source, p + ".name", "an agency needs a name");
    if (!(a.annual_budget >= 0)) fail(a.source, p + ".budget_per_year", "a budget cannot be negative, found " + fmt(a.annual_budget, 10));
  }
}

/// Each service: its values, targets and route rules.
void check_services(const Scenario& s) {
  const std::size_t ns = s.services.size(), na = s.agencies.size(), nc = s.cohorts.size(), nl = s.need_levels.size();
  std::set<std::string_view> names;  // so far: a scenario may have 32,000 services
  for (std::size_t i = 0; i < ns; ++i) {
    const ServiceSpec& v = s.services[i];
    const std::string p = item_path("services", v.name, i);
    const SourceRef& at = v.source;
    if (v.name.empty()) fail(at, p + ".name", "a service needs a name");
    if (v.name == "exit") fail(at, p + ".name", "'exit' is reserved for leaving the care system");
    if (!names.insert(v.name).second) fail(at, p + ".name", "duplicate service name '" + v.name + "'");
    if (!valid_index(v.agency, na)) fail(at, p + ".agency", "agency index " + std::to_string(v.agency) + " is out of range");
    if (v.capacity < 1) fail(at, p + ".capacity", "expected at least 1 place, found 0");
    try {
      validate_schedule(v.capacity_schedule);
    } catch (const std::invalid_argument& e) {
      fail(at, p + ".capacity_schedule", e.what());
    }
    if (!(v.duration.mean() > 0)) fail(at, p + ".duration", "expected a duration with a mean above 0 days, found " + v.duration.describe());
    if (v.patience && !(v.patience->mean() > 0))
      fail(at, p + ".patience_days", "expected a patience with a mean above 0 days, found " + v.patience->describe());
    if (!valid_target(v.overflow_to, ns)) fail(at, p + ".overflow_to", "service index out of range");
    if (!valid_target(v.escalate_to, ns)) fail(at, p + ".escalate_to", "service index out of range");
    if (!valid_service_or_none(v.integrated_into, ns)) fail(at, p + ".integrated_into", "service index out of range");
    if (v.integrated_into == static_cast<int>(i)) fail(at, p + ".integrated_into", "a service cannot be integrated into itself");
    const CostSpec& c = v.cost;
    for (const auto& [value, key] : {std::pair{c.per_contact, "per_contact"}, std::pair{c.per_episode, "per_episode"},
                                     std::pair{c.per_day, "per_day"}, std::pair{c.per_week, "per_week"},
                                     std::pair{c.per_hour, "per_hour"}, std::pair{c.hours_per_week, "hours_per_week"}})
      if (!(value >= 0)) fail(at, p + ".cost." + key, "a cost cannot be negative, found " + fmt(value, 10));
    if (!(v.escalation_per_year >= 0)) fail(at, p + ".escalation_per_year", "a hazard cannot be negative");
    if (!(v.de_escalation_per_year >= 0)) fail(at, p + ".de_escalation_per_year", "a hazard cannot be negative");
    if (!(v.review.every_days >= 0)) fail(at, p + ".review.every_days", "expected 0 (no reviews) or more days");
    if (v.review.every_days > 0 && s.horizon_years * kDaysPerYear / v.review.every_days > kMaxReviewsPerEpisode)
      fail(at, p + ".review.every_days",
           "reviews every " + fmt(v.review.every_days, 10) + " days over " + fmt(s.horizon_years, 10) +
               " years could review one episode more than 65,535 times; review less often or shorten the horizon");
    if (!(v.review.cost >= 0)) fail(at, p + ".review.cost", "a cost cannot be negative");
    if (!is_probability(v.review.step_down_probability))
      fail(at, p + ".review.step_down_probability", "expected a probability between 0 and 1, found " + fmt(v.review.step_down_probability, 10));
    if (!valid_target(v.review.step_down_to, ns)) fail(at, p + ".review.step_down_to", "service index out of range");
    for (std::size_t r = 0; r < v.routes.size(); ++r) {
      const RouteRule& rule = v.routes[r];
      const std::string rp = p + ".routes[" + std::to_string(r) + "]";
      const SourceRef& rat = rule.source.line > 0 ? rule.source : at;
      for (int l : rule.when.need_levels)
        if (!valid_index(l, nl)) fail(rat, rp + ".when.need", "need level index " + std::to_string(l) + " is out of range");
      for (int c2 : rule.when.cohorts)
        if (!valid_index(c2, nc)) fail(rat, rp + ".when.cohort", "cohort index " + std::to_string(c2) + " is out of range");
      if (!(rule.when.min_age < rule.when.max_age)) fail(rat, rp + ".when.age", "expected min < max");
      if (rule.to.empty()) fail(rat, rp + ".to", "a route rule needs at least one target");
      double total = 0;
      for (const RouteTarget& t : rule.to) {
        if (!valid_target(t.service, ns)) fail(rat, rp + ".to", "service index " + std::to_string(t.service) + " is out of range");
        if (!is_probability(t.probability)) fail(rat, rp + ".to", "expected probabilities between 0 and 1, found " + fmt(t.probability, 10));
        total += t.probability;
      }
      if (std::abs(total - 1) > kProbabilityTolerance)
        fail(rat, rp + ".to", "the probabilities of a route rule must sum to 1, found a sum of " + fmt(total, 10));
    }
  }
}

/// The pools: their services (each in one pool, one site) and values.
void check_pools(const Scenario& s) {
  const std::size_t ns = s.services.size();
  std::set<int> pooled;
  for (std::size_t i = 0; i < s.pools.size(); ++i) {
    const PoolSpec& pool = s.pools[i];
    const std::string p = item_path("pools", pool.name, i);
    if (pool.services.empty()) fail(pool.source, p + ".services", "a pool needs at least one service");
    for (int v : pool.services) {
      if (!valid_index(v, ns)) fail(pool.source, p + ".services", "service index out of range");
      if (!pooled.insert(v).second)
        fail(pool.source, p + ".services",
             "service '" + s.services[static_cast<std::size_t>(v)].name + "' is in more than one pool");
    }
    for (int v : pool.services)
      if (s.services[static_cast<std::size_t>(v)].site != s.services[static_cast<std::size_t>(pool.services.front())].site)
        fail(pool.source, p + ".services",
             "a pool's services must be run by one site: '" + s.services[static_cast<std::size_t>(pool.services.front())].name +
                 "' and '" + s.services[static_cast<std::size_t>(v)].name + "' are run by different sites");
    if (!(pool.annual_budget >= 0)) fail(pool.source, p + ".budget_per_year", "a budget cannot be negative");
    if (!(pool.review_days > 0)) fail(pool.source, p + ".review_days", "expected more than 0 days");
    if (!is_probability(pool.flexible_share)) fail(pool.source, p + ".flexible_share", "expected a share between 0 and 1");
  }
}

/// Each cohort: population, ages, need mix and shares.
void check_cohorts(const Scenario& s) {
  const std::size_t ns = s.services.size(), nc = s.cohorts.size(), nl = s.need_levels.size();
  for (std::size_t i = 0; i < nc; ++i) {
    const CohortSpec& c = s.cohorts[i];
    const std::string p = item_path("cohorts", c.name, i);
    const SourceRef& at = c.source;
    if (c.name.empty()) fail(at, p + ".name", "a cohort needs a name");
    if (!(c.population >= 0 && c.population <= 1e8))
      fail(at, p + ".population", "expected a population from 0 to 1e8, found " + fmt(c.population, 10));
    if (!(c.min_age >= 0 && c.min_age < c.max_age && std::isfinite(c.max_age)))
      fail(at, p + ".age", "expected 0 <= min < max, found [" + fmt(c.min_age, 10) + ", " + fmt(c.max_age, 10) + "]");
    if (!(c.episodes_per_1000_per_year >= 0)) fail(at, p + ".episodes_per_1000_per_year", "a rate cannot be negative");
    if (!(c.trend_per_year > -1)) fail(at, p + ".trend_per_year", "expected a growth rate above -1");
    if (!(c.seasonal_amplitude >= 0 && c.seasonal_amplitude <= 1)) fail(at, p + ".seasonality.amplitude", "expected 0 to 1");
    if (!valid_index(c.entry, ns)) fail(at, p + ".entry", "expected a service, found index " + std::to_string(c.entry));
    if (c.need_weights.size() != nl)
      fail(at, p + ".need_mix",
           "expected one weight per need level (" + std::to_string(nl) + "), found " + std::to_string(c.need_weights.size()));
    double total = 0;
    for (double w : c.need_weights) {
      if (!is_probability(w)) fail(at, p + ".need_mix", "expected shares between 0 and 1, found " + fmt(w, 10));
      total += w;
    }
    if (std::abs(total - 1) > kProbabilityTolerance)
      fail(at, p + ".need_mix", "the shares of the need mix must sum to 1, found a sum of " + fmt(total, 10));
    if (!(is_probability(c.coproduction_min) && is_probability(c.coproduction_max) && c.coproduction_min <= c.coproduction_max))
      fail(at, p + ".coproduction", "expected 0 <= min <= max <= 1");
    if (!is_probability(c.coproduction_effect)) fail(at, p + ".coproduction.effect", "expected 0 to 1");
    if (!is_probability(c.rereferral_probability)) fail(at, p + ".rereferral_probability", "expected a probability between 0 and 1");
    if (!valid_service_or_none(c.return_to, ns)) fail(at, p + ".return_to", "service index out of range");
    if (c.referred_return_probability >= 0 || c.referred_return_to >= 0) {
      if (c.referred_return_probability > 1) fail(at, p + ".referred_return_probability", "expected a probability between 0 and 1");
      if (!valid_service_or_none(c.referred_return_to, ns)) fail(at, p + ".referred_return_to", "service index out of range");
      if (s.indicators.referrals < 0)
        fail(at, p + (c.referred_return_probability >= 0 ? ".referred_return_probability" : ".referred_return_to"),
             "a return after a referral needs indicators.referrals (the service where referrals are counted)");
    }
    if (!is_probability(c.self_funder_share)) fail(at, p + ".self_funder_share", "expected a share between 0 and 1");
    if (!valid_service_or_none(c.transition_to, ns)) fail(at, p + ".transition.to", "service index out of range");
  }
}

/// Discharge checks, and the services and cohorts indicators are read from.
void check_discharge_and_indicators(const Scenario& s) {
  const SourceRef top{s.source_file, 0, ""};
  const std::size_t ns = s.services.size(), nc = s.cohorts.size();
  if (s.discharge_checks.size() > kMaxDischargeChecks)
    fail(top, "discharge_checks", "at most " + std::to_string(kMaxDischargeChecks) + " discharge checks, found " +
                                      std::to_string(s.discharge_checks.size()));
  for (std::size_t i = 0; i < s.discharge_checks.size(); ++i) {
    const DischargeCheckSpec& d = s.discharge_checks[i];
    const std::string p = "discharge_checks[" + std::to_string(i) + "]";
    if (!is_probability(d.probability)) fail(top, p + ".probability", "expected a probability between 0 and 1");
    if (!(d.duration.mean() >= 0)) fail(top, p + ".duration", "a duration cannot be negative");
  }

  const IndicatorMap& m = s.indicators;
  for (const auto& [v, key] : {std::pair{m.referrals, "referrals"}, std::pair{m.child_protection, "child_protection"},
                               std::pair{m.looked_after, "looked_after"}, std::pair{m.reablement, "reablement"},
                               std::pair{m.residential, "residential"}, std::pair{m.hospital, "hospital"}})
    if (!valid_service_or_none(v, ns)) fail(top, std::string("indicators.") + key, "service index out of range");
  for (int v : m.assessments)
    if (!valid_index(v, ns)) fail(top, "indicators.assessments", "service index out of range");
  if (!valid_target(m.older_cohort, nc)) fail(top, "indicators.older_people_cohort", "cohort index out of range");
  if (!valid_target(m.children_cohort, nc)) fail(top, "indicators.children_cohort", "cohort index out of range");
}

/// Values in range and indices valid, section by section in file order; throws at the first problem.
void check_values(const Scenario& s) {
  check_run_and_sections(s);
  check_agencies(s);
  check_services(s);
  check_pools(s);
  check_cohorts(s);
  check_discharge_and_indicators(s);
}

/// The pathway graph: a vertex per service, one for "exit" and one for "the community"
/// (where cohorts' episodes start). An edge is any way a person can move on.
using PathwayGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS>;

void check_pathways(const Scenario& s) {
  const std::size_t n = s.services.size();
  const std::size_t exit_v = n, community = n + 1;
  PathwayGraph g(n + 2);
  for (std::size_t i = 0; i < n; ++i) {
    const ServiceSpec& v = s.services[i];
    auto to = [&](int target) { boost::add_edge(i, target < 0 ? exit_v : static_cast<std::size_t>(target), g); };
    for (const RouteRule& rule : v.routes)
      for (const RouteTarget& t : rule.to) to(t.service);
    // A person whom no rule surely matches leaves after service.
    bool falls_through = false;
    for (std::size_t c = 0; c < s.cohorts.size() && !falls_through; ++c)
      for (std::size_t l = 0; l < s.need_levels.size() && !falls_through; ++l)
        falls_through = std::none_of(v.routes.begin(), v.routes.end(), [&](const RouteRule& r) {
          return surely_matches(r.when, static_cast<int>(c), s.cohorts[c], static_cast<int>(l));
        });
    if (falls_through) to(kExit);
    if (v.overflow_to != kExit) to(v.overflow_to);
    else if (v.max_queue != Resource::kUnlimited || v.patience.has_value()) to(kExit);
    if (v.escalate_to != kExit) to(v.escalate_to);
    if (v.integrated_into != kExit) to(v.integrated_into);
    if (v.review.step_down_to != kExit) to(v.review.step_down_to);
    else if (v.review.every_days > 0 && v.review.step_down_probability > 0) to(kExit);
  }
  for (const CohortSpec& c : s.cohorts) {
    boost::add_edge(community, static_cast<std::size_t>(c.entry), g);
    if (c.return_to >= 0) boost::add_edge(community, static_cast<std::size_t>(c.return_to), g);
    if (c.referred_return_to >= 0) boost::add_edge(community, static_cast<std::size_t>(c.referred_return_to), g);
    if (c.transition_to >= 0) boost::add_edge(community, static_cast<std::size_t>(c.transition_to), g);
  }

  std::vector<boost::default_color_type> from_entry(boost::num_vertices(g), boost::white_color);
  boost::breadth_first_search(g, community,
                              boost::color_map(boost::make_iterator_property_map(from_entry.begin(), boost::get(boost::vertex_index, g))));
  for (std::size_t i = 0; i < n; ++i) {
    if (from_entry[i] != boost::white_color) continue;
    const ServiceSpec& v = s.services[i];
    fail(v.source, item_path("services", v.name, i),
         "service '" + v.name +
             "' cannot be reached from any cohort's entry: no entry, route, overflow, escalation, step-down or "
             "transition leads to it");
  }

  const auto reversed = boost::make_reverse_graph(g);
  std::vector<boost::default_color_type> to_exit(boost::num_vertices(g), boost::white_color);
  boost::breadth_first_search(reversed, exit_v,
                              boost::color_map(boost::make_iterator_property_map(to_exit.begin(), boost::get(boost::vertex_index, reversed))));
  for (std::size_t i = 0; i < n; ++i) {
    if (to_exit[i] != boost::white_color) continue;
    // Everything reachable from here is also stuck, and every stuck service has a stuck
    // successor (one without any would leave), so walking forward must close a loop.
    std::vector<std::size_t> walk{i};
    std::vector<int> position(n, -1);
    position[i] = 0;
    for (;;) {
      std::size_t next = n;
      for (auto [e, end] = boost::out_edges(walk.back(), g); e != end; ++e) {
        const std::size_t t = boost::target(*e, g);
        if (t < n) {
          next = t;
          break;
        }
      }
      if (next == n || position[next] >= 0) {
        const std::size_t first = next == n ? walk.back() : static_cast<std::size_t>(position[next]);
        std::string loop;
        for (std::size_t k = first; k < walk.size(); ++k) loop += "'" + s.services[walk[k]].name + "' -> ";
        loop += "'" + s.services[next == n ? walk.back() : next].name + "'";
        const ServiceSpec& v = s.services[walk[first]];
        fail(v.source, item_path("services", v.name, walk[first]) + ".routes",
             "service '" + v.name + "' is in a loop with no exit: people who reach it can never leave the care system (" +
                 loop + "); route some of them to 'exit'");
      }
      position[next] = static_cast<int>(walk.size());
      walk.push_back(next);
    }
  }
}

std::string bytes_text(double b) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (b >= 1024 && u < 5) b /= 1024, ++u;
  return fmt(b, 3) + " " + units[u];
}

/// Refuses a scenario whose replication could not fit in any planner's machine.
void check_size(const Scenario& s) {
  const RunEstimate e = estimate_run(s);
  // Episode records are optional (--no-records): a run is refused only if it cannot fit without them.
  const double bytes = e.working_bytes;
  if (!(bytes > kMaxReplicationBytes)) return;
  // Blame the cohort that brings the most episodes: its population or rate is the likely slip.
  std::size_t worst = 0;
  double most = -1;
  for (std::size_t i = 0; i < s.cohorts.size(); ++i) {
    const double n = s.cohorts[i].population * s.cohorts[i].episodes_per_1000_per_year;
    if (n > most) most = n, worst = i;
  }
  const CohortSpec& c = s.cohorts[worst];
  fail(c.source, item_path("cohorts", c.name, worst) + ".population",
       "this scenario is too big to run: about " + fmt(e.service_visits, 3) + " service visits in one replication (" +
           fmt(e.episodes, 3) + " episodes over " + fmt(s.horizon_years, 4) + " years; the largest cohort has " +
           fmt(c.population, 3) + " people with " + fmt(c.episodes_per_1000_per_year, 3) +
           " episodes per 1000 a year; about " + fmt(e.people, 3) + " people in the system at once), needing about " +
           bytes_text(bytes) + " of memory for one replication even without its records; careflow refuses more than " + bytes_text(kMaxReplicationBytes) +
           ". Check population (people, not thousands), episodes_per_1000_per_year and run.horizon_years");
}

}  // namespace

std::string describe_bytes(double bytes) { return bytes_text(bytes); }

std::vector<Warning> validate_scenario(const Scenario& s) {
  check_values(s);
  check_pathways(s);
  check_size(s);
  std::vector<Warning> warnings;
  const auto loads = traffic_equations(s);
  for (std::size_t i = 0; i < loads.size(); ++i) {
    const ServiceSpec& v = s.services[i];
    const ServiceLoad& l = loads[i];
    if (!(l.utilisation >= 1)) continue;
    SourceRef where{v.source.file, v.source.line, item_path("services", v.name, i)};
    // A service of units by area is judged by its busiest unit.
    const std::string who = l.unit < 0 ? v.name : v.name + "' unit '" + v.units[static_cast<std::size_t>(l.unit)].name;
    const std::uint32_t places = l.unit < 0 ? v.capacity : l.unit_places;
    const double arrivals = l.unit < 0 ? l.arrivals_per_day : l.unit_arrivals_per_day;
    const double offered = l.unit < 0 ? l.offered_load : arrivals * v.duration.mean();
    if (!std::isfinite(l.utilisation)) {
      warnings.push_back({where, "service '" + v.name +
                                     "' is expected to be overloaded: people routed to it circulate without a route to "
                                     "'exit' (they leave only by overflow, patience or review)"});
    } else if (l.bounded) {
      // Not an overload that grows: its queue is bounded, and the work it cannot take is lost.
      warnings.push_back({where, "service '" + who + "' is offered more work than its places: offered load " + fmt(offered) +
                                     " places against " + std::to_string(places) + "; its queue is bounded (" +
                                     (v.max_queue != Resource::kUnlimited ? "max_queue" : "") +
                                     (v.max_queue != Resource::kUnlimited && v.patience ? " and " : "") +
                                     (v.patience ? "patience_days" : "") + "), so about " + fmt(100 * l.lost_share) +
                                     "% of its arrivals will be turned away or give up, at a utilisation of about " +
                                     fmt(l.carried_utilisation) + " (Erlang's M/M/c/K+M queue)"});
    } else {
      warnings.push_back({where, "service '" + who + "' is expected to be overloaded: utilisation " + fmt(l.utilisation) +
                                     " (arrivals " + fmt(arrivals) + "/day \u00d7 mean " + fmt(v.duration.mean()) + " days / " +
                                     std::to_string(places) + " places)"});
    }
  }
  return warnings;
}

}  // namespace careflow::models
