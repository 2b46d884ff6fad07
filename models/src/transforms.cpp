#include "careflow/models/transforms.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace careflow::models {
namespace {

constexpr double kDaysPerMonth = kDaysPerYear / 12.0;
constexpr double kUnset = std::numeric_limits<double>::quiet_NaN();

const std::vector<TransformSchema> kSchemas = {
    {"status_quo",
     "Separate agencies, aligned budgets, separate assessments: the scenario as written. Explicit, so a "
     "comparison can name its baseline.",
     {}},
    {"joint_commissioning",
     "Agencies stay separate; a joint commissioning board pools the budgets of chosen services (capacity "
     "follows the queue within the pool), integrated assessment for complex needs, and a shared information "
     "system that shortens hand-offs across agencies.",
     {{"pooled_services", ParamType::Services, true, 0, "services whose budgets are pooled"},
      {"pool_budget_per_year", ParamType::NonNegative, false, kUnset,
       "£ a year in the pool (default: the pooled services' running cost at their places, taken from their agencies' budgets)"},
      {"flexible_share", ParamType::Probability, false, 0.25, "share of each pooled service's places that can move"},
      {"review_days", ParamType::NonNegative, false, 28, "how often pooled capacity is re-allocated"},
      {"integrated_assessment", ParamType::Boolean, false, 1, "referrals go to the integrated assessments"},
      {"handoff_factor", ParamType::NonNegative, false, 0.6, "cross-agency hand-off times are multiplied by this"}}},
    {"childrens_trust",
     "Chosen services merge into one organisation with one budget (hand-offs between them become internal), "
     "a single assessment, and a transition cost: one-off money plus a productivity dip while restructuring.",
     {{"services", ParamType::Services, true, 0, "services merged into the trust"},
      {"integrated_assessment", ParamType::Boolean, false, 1, "referrals go to the integrated assessments"},
      {"transition_cost", ParamType::NonNegative, false, 2.0e6, "£ one-off cost of restructuring, booked at the start"},
      {"productivity_dip", ParamType::Probability, false, 0.1, "share of the merged services' places lost while restructuring"},
      {"dip_years", ParamType::NonNegative, false, 1.0, "how long the dip lasts"},
      {"start_years", ParamType::NonNegative, false, kUnset, "when the trust starts (default: the end of the warm-up)"}}},
    {"prevention_shift",
     "Moves a share of the specialist budget into prevention, intermediate and re-ablement services on a ramp, "
     "with a recruitment lag before the new places open and a period of double running before specialist "
     "places close; prevention lowers the need of new episodes and the escalation of those waiting.",
     {{"share", ParamType::Probability, true, 0, "share of the running cost of the `from` services moved"},
      {"to", ParamType::Services, true, 0, "services that receive the money (split by their running cost)"},
      {"from", ParamType::Services, false, 0, "services that give it (default: every specialist service)"},
      {"start_years", ParamType::NonNegative, false, kUnset, "when the shift starts (default: the end of the warm-up)"},
      {"ramp_years", ParamType::NonNegative, false, 3, "years over which the shift is phased in, in yearly steps"},
      {"recruitment_lag_months", ParamType::NonNegative, false, 6, "months before new places open"},
      {"double_running_months", ParamType::NonNegative, false, 6, "months both old and new places run (and cost)"},
      {"need_reduction_per_10pct", ParamType::Probability, false, 0.05,
       "per 10% shifted: share of new episodes arriving one need level lower (E4, E6)"},
      {"escalation_reduction_per_10pct", ParamType::Probability, false, 0.10,
       "per 10% shifted: relative fall of escalation hazards while waiting"}}},
    {"eligibility",
     "Changes an eligibility threshold: at the chosen services people below the minimum need level are "
     "turned to `instead` (or leave) rather than routed onward.",
     {{"services", ParamType::Services, true, 0, "services applying the threshold (usually assessments)"},
      {"min_need", ParamType::NeedLevel, true, 0, "lowest need level still eligible"},
      {"instead", ParamType::Services, false, 0, "where people below the threshold go (default: they leave)"}}},
    {"personal_budgets",
     "Personal budgets and direct payments taken up by a share of users of chosen services: their unit costs "
     "change and their outcomes improve (applied to the service average).",
     {{"take_up", ParamType::Probability, true, 0, "share of users with a personal budget (milestone A22: 30%)"},
      {"services", ParamType::Services, true, 0, "services where budgets are offered"},
      {"cost_change", ParamType::Number, false, -0.1, "relative change in unit cost for those who take it up"},
      {"outcome_gain", ParamType::NonNegative, false, 0.1, "relative rise in de-escalation for those who take it up"}}},
    {"demographic_growth",
     "Population change: a new yearly trend and/or a one-off change in resident population.",
     {{"cohorts", ParamType::Cohorts, false, 0, "cohorts affected (default: all)"},
      {"trend_per_year", ParamType::Number, false, kUnset, "new yearly growth (0.01 = +1% a year)"},
      {"population_factor", ParamType::NonNegative, false, 1, "population multiplied by this"}}},
    {"winter_surge",
     "Seasonal pressure: new episodes peak in winter.",
     {{"cohorts", ParamType::Cohorts, false, 0, "cohorts affected (default: all)"},
      {"amplitude", ParamType::Probability, true, 0, "0.2: +20% at the peak, -20% half a year later"},
      {"peak_day", ParamType::NonNegative, false, 15, "day of the year of the peak"}}},
};

[[noreturn]] void refuse(const TransformSpec& t, const std::string& message) {
  SourceRef where = t.source;
  if (where.field.empty()) where.field = "transforms[" + t.name + "]";
  throw ScenarioError(where, message);
}

double param(const TransformSpec& t, const std::string& key) {
  if (auto it = t.numbers.find(key); it != t.numbers.end()) return it->second;
  const TransformSchema* schema = find_transform(t.name);
  for (const ParamSchema& p : schema->params)
    if (p.key == key) return p.fallback;
  return kUnset;
}

std::vector<int> list(const TransformSpec& t, const std::string& key) {
  if (auto it = t.lists.find(key); it != t.lists.end()) return it->second;
  return {};
}

double start_day(const Scenario& s, const TransformSpec& t) {
  const double y = param(t, "start_years");
  return (std::isnan(y) ? s.warmup_years : y) * kDaysPerYear;
}

/// Running cost of one place for a day: day rates plus per-episode and per-contact costs spread
/// over the mean length of service.
double place_cost_per_day(const ServiceSpec& v) {
  const double mean = v.duration.mean();
  return v.cost.daily_rate() + (mean > 0 ? (v.cost.per_episode + v.cost.per_contact) / mean : 0.0);
}

double running_cost_per_year(const ServiceSpec& v) { return v.capacity * place_cost_per_day(v) * kDaysPerYear; }

/// Capacity as a step function of time: (from day, places), first at day 0.
std::vector<CapacityStep> steps_of(const ServiceSpec& v) {
  std::vector<CapacityStep> out{{0.0, v.capacity}};
  for (const CapacityStep& c : v.capacity_schedule) {
    if (c.at <= 0) out.front().capacity = c.capacity;
    else out.push_back(c);
  }
  return out;
}

void set_steps(ServiceSpec& v, std::vector<CapacityStep> steps) {
  std::sort(steps.begin(), steps.end(), [](const CapacityStep& a, const CapacityStep& b) { return a.at < b.at; });
  v.capacity = std::max<std::uint32_t>(1, steps.front().capacity);
  v.capacity_schedule.clear();
  std::uint32_t last = v.capacity;
  for (std::size_t i = 1; i < steps.size(); ++i) {
    if (steps[i].capacity == last) continue;
    if (!v.capacity_schedule.empty() && v.capacity_schedule.back().at == steps[i].at) v.capacity_schedule.pop_back();
    v.capacity_schedule.push_back(steps[i]);
    last = steps[i].capacity;
  }
}

/// Changes the places from day `from` on (until `to`) by `f(places)`.
template <class F>
void reshape(ServiceSpec& v, double from, double to, F f) {
  std::vector<CapacityStep> steps = steps_of(v);
  auto at = [&](double t) {
    std::uint32_t c = steps.front().capacity;
    for (const CapacityStep& s : steps)
      if (s.at <= t) c = s.capacity;
    return c;
  };
  std::vector<double> times{0.0, from};
  if (std::isfinite(to)) times.push_back(to);
  for (const CapacityStep& s : steps) times.push_back(s.at);
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  std::vector<CapacityStep> out;
  for (double t : times) {
    const std::uint32_t c = at(t);
    out.push_back({t, (t >= from && t < to) ? f(c) : c});
  }
  set_steps(v, std::move(out));
}

std::uint32_t round_places(double x) { return static_cast<std::uint32_t>(std::max(0.0, std::round(x))); }

void require_services(const TransformSpec& t, const std::vector<int>& services, const std::string& key) {
  if (services.empty()) refuse(t, "'" + key + "' names no service");
}

// ---- the transforms ---------------------------------------------------------------------

void joint_commissioning(Scenario& s, const TransformSpec& t) {
  const std::vector<int> pooled = list(t, "pooled_services");
  require_services(t, pooled, "pooled_services");
  for (PoolSpec& p : s.pools)  // a service is in one pool only
    std::erase_if(p.services, [&](int v) { return std::find(pooled.begin(), pooled.end(), v) != pooled.end(); });
  std::erase_if(s.pools, [](const PoolSpec& p) { return p.services.empty(); });
  PoolSpec pool;
  pool.name = "joint_commissioning";
  pool.services = pooled;
  pool.flexible_share = param(t, "flexible_share");
  pool.review_days = std::max(1.0, param(t, "review_days"));
  pool.source = t.source;
  double budget = param(t, "pool_budget_per_year");
  if (std::isnan(budget)) {
    // The pool is funded by the agencies whose services it takes over.
    budget = 0;
    for (int v : pooled) {
      const ServiceSpec& sv = s.services[static_cast<std::size_t>(v)];
      AgencySpec& a = s.agencies[static_cast<std::size_t>(sv.agency)];
      const double moved = std::min(a.annual_budget, running_cost_per_year(sv));
      a.annual_budget -= moved;
      budget += moved;
    }
  }
  pool.annual_budget = budget;
  s.pools.push_back(std::move(pool));
  if (s.budget_mode == BudgetMode::Aligned) s.budget_mode = BudgetMode::Pooled;
  if (param(t, "integrated_assessment") != 0) s.integrated_assessment = true;
  const double f = param(t, "handoff_factor");
  if (f > 0) s.handoff_across = s.handoff_across.scaled(f);
  else if (s.handoff_across.mean() > 0) refuse(t, "handoff_factor must be > 0");
}

void childrens_trust(Scenario& s, const TransformSpec& t) {
  const std::vector<int> merged = list(t, "services");
  require_services(t, merged, "services");
  for (const AgencySpec& a : s.agencies)
    if (a.name == "childrens_trust") refuse(t, "the scenario already has an agency called 'childrens_trust'");
  auto in_trust = [&](int v) { return std::find(merged.begin(), merged.end(), v) != merged.end(); };
  // Each agency hands over the share of its budget that runs the merged services.
  AgencySpec trust;
  trust.name = "childrens_trust";
  trust.source = t.source;
  for (std::size_t a = 0; a < s.agencies.size(); ++a) {
    double all = 0, moving = 0, n_all = 0, n_moving = 0;
    for (std::size_t v = 0; v < s.services.size(); ++v) {
      if (s.services[v].agency != static_cast<int>(a)) continue;
      const double c = running_cost_per_year(s.services[v]);
      all += c;
      n_all += 1;
      if (in_trust(static_cast<int>(v))) {
        moving += c;
        n_moving += 1;
      }
    }
    const double share = all > 0 ? moving / all : (n_all > 0 ? n_moving / n_all : 0.0);
    const double moved = s.agencies[a].annual_budget * share;
    s.agencies[a].annual_budget -= moved;
    trust.annual_budget += moved;
  }
  const int trust_index = static_cast<int>(s.agencies.size());
  s.agencies.push_back(trust);
  // The pools index agencies by budget pot only, so nothing else refers to agency numbers.
  const double start = start_day(s, t);
  const double dip = param(t, "productivity_dip");
  const double dip_days = param(t, "dip_years") * kDaysPerYear;
  for (int v : merged) {
    ServiceSpec& sv = s.services[static_cast<std::size_t>(v)];
    sv.agency = trust_index;
    if (dip > 0 && dip_days > 0)
      reshape(sv, start, start + dip_days, [&](std::uint32_t c) { return std::max<std::uint32_t>(1, round_places(c * (1 - dip))); });
  }
  if (param(t, "integrated_assessment") != 0) s.integrated_assessment = true;
  const double cost = param(t, "transition_cost");
  if (cost > 0) s.one_off_costs.push_back({start, cost, trust_index, "childrens_trust transition"});
}

void prevention_shift(Scenario& s, const TransformSpec& t) {
  const double share = param(t, "share");
  const std::vector<int> to = list(t, "to");
  std::vector<int> from = list(t, "from");
  require_services(t, to, "to");
  if (from.empty())
    for (std::size_t v = 0; v < s.services.size(); ++v)
      if (s.services[v].tier == Tier::Specialist) from.push_back(static_cast<int>(v));
  for (int v : to)
    if (std::find(from.begin(), from.end(), v) != from.end())
      refuse(t, "service '" + s.services[static_cast<std::size_t>(v)].name + "' cannot both give and receive money");
  double from_cost = 0, to_cost = 0;
  for (int v : from) from_cost += running_cost_per_year(s.services[static_cast<std::size_t>(v)]);
  for (int v : to) to_cost += running_cost_per_year(s.services[static_cast<std::size_t>(v)]);
  if (!(from_cost > 0)) refuse(t, "the services to take money from cost nothing to run, so there is nothing to shift");
  const double money = share * from_cost;  // £ a year at the end of the ramp
  const double start = start_day(s, t);
  const double ramp = param(t, "ramp_years") * kDaysPerYear;
  const double lag = param(t, "recruitment_lag_months") * kDaysPerMonth;
  const double overlap = param(t, "double_running_months") * kDaysPerMonth;
  const int steps = std::max(1, static_cast<int>(std::ceil(param(t, "ramp_years"))));
  for (int k = 0; k < steps; ++k) {
    const double when = start + ramp * k / steps;
    const double tranche = money / steps;  // £ a year moved at this step
    for (int v : to) {
      ServiceSpec& sv = s.services[static_cast<std::size_t>(v)];
      const double weight = to_cost > 0 ? running_cost_per_year(sv) / to_cost : 1.0 / static_cast<double>(to.size());
      const double per_place = place_cost_per_day(sv) * kDaysPerYear;
      if (!(per_place > 0)) refuse(t, "service '" + sv.name + "' has no cost per place, so money cannot buy places there");
      const double places = tranche * weight / per_place;
      reshape(sv, when + lag, kInfinity, [&](std::uint32_t c) { return round_places(c + places); });
      // The new places are staffed from the day they open, used or not.
      s.recurring_costs.push_back({v, when + lag, tranche * weight, "prevention_shift investment"});
    }
    for (int v : from) {
      ServiceSpec& sv = s.services[static_cast<std::size_t>(v)];
      const double per_place = place_cost_per_day(sv) * kDaysPerYear;
      if (!(per_place > 0)) continue;
      const double places = tranche * running_cost_per_year(sv) / from_cost / per_place;
      reshape(sv, when + lag + overlap, kInfinity, [&](std::uint32_t c) { return std::max<std::uint32_t>(1, round_places(c - places)); });
    }
  }
  // Budgets follow the money at the end of the ramp.
  for (int v : to) {
    const ServiceSpec& sv = s.services[static_cast<std::size_t>(v)];
    const double weight = to_cost > 0 ? running_cost_per_year(sv) / to_cost : 1.0 / static_cast<double>(to.size());
    s.agencies[static_cast<std::size_t>(sv.agency)].annual_budget += money * weight;
  }
  for (int v : from) {
    const ServiceSpec& sv = s.services[static_cast<std::size_t>(v)];
    AgencySpec& a = s.agencies[static_cast<std::size_t>(sv.agency)];
    a.annual_budget = std::max(0.0, a.annual_budget - money * running_cost_per_year(sv) / from_cost);
  }
  PreventionEffect e;
  e.start = start + lag;
  e.ramp = ramp;
  e.need_reduction = std::min(1.0, param(t, "need_reduction_per_10pct") * share / 0.1);
  e.escalation_reduction = std::min(1.0, param(t, "escalation_reduction_per_10pct") * share / 0.1);
  s.prevention.push_back(e);
}

void eligibility(Scenario& s, const TransformSpec& t) {
  const auto min_need = static_cast<int>(param(t, "min_need"));
  const std::vector<int> instead = list(t, "instead");
  if (instead.size() > 1) refuse(t, "'instead' names one service");
  RouteRule rule;
  for (int l = 0; l < min_need; ++l) rule.when.need_levels.push_back(l);
  rule.to = {{instead.empty() ? kExit : instead.front(), 1.0}};
  rule.source = t.source;
  if (rule.when.need_levels.empty()) return;  // everyone is eligible
  for (int v : list(t, "services")) {
    ServiceSpec& sv = s.services[static_cast<std::size_t>(v)];
    sv.routes.insert(sv.routes.begin(), rule);
  }
}

void personal_budgets(Scenario& s, const TransformSpec& t) {
  const double take_up = param(t, "take_up");
  const double cost = 1 + take_up * param(t, "cost_change");
  if (!(cost >= 0)) refuse(t, "cost_change would make unit costs negative");
  const double gain = 1 + take_up * param(t, "outcome_gain");
  for (int v : list(t, "services")) {
    ServiceSpec& sv = s.services[static_cast<std::size_t>(v)];
    CostSpec& c = sv.cost;
    c.per_contact *= cost;
    c.per_episode *= cost;
    c.per_day *= cost;
    c.per_week *= cost;
    c.per_hour *= cost;
    sv.de_escalation_per_year *= gain;
  }
}

std::vector<int> cohorts_or_all(const Scenario& s, const TransformSpec& t) {
  std::vector<int> c = list(t, "cohorts");
  if (c.empty())
    for (std::size_t i = 0; i < s.cohorts.size(); ++i) c.push_back(static_cast<int>(i));
  return c;
}

void demographic_growth(Scenario& s, const TransformSpec& t) {
  const double trend = param(t, "trend_per_year");
  const double factor = param(t, "population_factor");
  for (int c : cohorts_or_all(s, t)) {
    CohortSpec& k = s.cohorts[static_cast<std::size_t>(c)];
    if (!std::isnan(trend)) {
      if (trend <= -1) refuse(t, "trend_per_year must be above -1");
      k.trend_per_year = trend;
    }
    k.population *= factor;
  }
}

void winter_surge(Scenario& s, const TransformSpec& t) {
  for (int c : cohorts_or_all(s, t)) {
    CohortSpec& k = s.cohorts[static_cast<std::size_t>(c)];
    k.seasonal_amplitude = param(t, "amplitude");
    k.seasonal_peak_day = param(t, "peak_day");
  }
}

}  // namespace

const std::vector<TransformSchema>& transform_schemas() { return kSchemas; }

const TransformSchema* find_transform(const std::string& name) {
  for (const TransformSchema& t : kSchemas)
    if (t.name == name) return &t;
  return nullptr;
}

void apply_transform(Scenario& s, const TransformSpec& t) {
  if (!find_transform(t.name)) refuse(t, "unknown transform '" + t.name + "'");
  if (t.name == "status_quo") return;
  if (t.name == "joint_commissioning") return joint_commissioning(s, t);
  if (t.name == "childrens_trust") return childrens_trust(s, t);
  if (t.name == "prevention_shift") return prevention_shift(s, t);
  if (t.name == "eligibility") return eligibility(s, t);
  if (t.name == "personal_budgets") return personal_budgets(s, t);
  if (t.name == "demographic_growth") return demographic_growth(s, t);
  if (t.name == "winter_surge") return winter_surge(s, t);
  refuse(t, "transform '" + t.name + "' has no implementation");
}

void apply_transforms(Scenario& s) {
  for (const TransformSpec& t : s.transforms) apply_transform(s, t);
}

}  // namespace careflow::models
