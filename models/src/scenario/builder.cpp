// The merged scenario tree → Scenario: every field read, typed and checked as soon as it is met,
// with errors naming file, line and field. Which keys a map may hold comes from the field table
// (careflow/models/scenario_fields.hpp); what each value means is the code below.
#include "scenario/builder.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>
#include <utility>

#include "careflow/models/scenario_fields.hpp"
#include "careflow/models/scenario_loader.hpp"
#include "careflow/models/transforms.hpp"
#include "scenario/distribution_reader.hpp"

namespace careflow::models {
namespace {

using namespace located;

constexpr double kMaxPopulation = 1e8;  // per cohort: more than England
constexpr double kMaxAge = 130;
constexpr double kProbabilityTolerance = 1e-6;
constexpr std::uint32_t kMaxPlaces = 10'000'000;

/// A map holding the fields the table (scenario_fields.hpp) gives at `pattern`.
Fields fields_of(const Node& n, std::string path, std::string_view pattern, const std::string& what = "a map of fields") {
  return Fields(n, std::move(path), scenario_field_keys(pattern), what);
}

class Builder {
 public:
  Scenario build(const Node& root) {
    check_misplaced(root);
    const Fields top = fields_of(root, "", "");
    s_.version = kScenarioFormatVersion;  // checked file by file before merging
    s_.name = name_text(top.need("name"), "name");
    if (const Node* d = top.get("description")) s_.description = text(*d, "description");
    if (const Node* r = top.get("run")) read_run(*r);
    if (const Node* n = top.get("need_levels")) read_need_levels(*n);
    for (std::size_t i = 0; i < s_.need_levels.size(); ++i) needs_[s_.need_levels[i]] = static_cast<int>(i);

    // Names first: services, cohorts and agencies refer to each other in any order.
    agency_items_ = named_items(top, "agencies", "agency", agencies_);
    service_items_ = named_items(top, "services", "service", services_);
    cohort_items_ = named_items(top, "cohorts", "cohort", cohorts_);
    for (const auto& [name, item] : service_items_)
      if (name == "exit" || name == "died")
        fail(*item->get("name"), "services[" + name + "].name",
             "'" + name + "' is reserved (exit: leaving the care system; died: a death); rename the service");

    for (std::size_t i = 0; i < agency_items_.size(); ++i) read_agency(i);
    if (const Node* g = top.get("governance")) read_governance(*g);
    if (const Node* h = top.get("handoffs")) read_handoffs(*h);
    if (const Node* e = top.get("economics")) {
      const Fields f = fields_of(*e, "economics", "economics");
      if (const Node* r = f.get("discount_rate"))
        s_.discount_rate = in_range(*r, f.field("discount_rate"), 0, 0.999999, "a yearly rate from 0 to below 1 (0.035 = 3.5%)");
    }
    if (const Node* r = top.get("region")) read_region(*r);
    s_.services.resize(service_items_.size());
    for (std::size_t i = 0; i < service_items_.size(); ++i) read_service(i);
    s_.cohorts.resize(cohort_items_.size());
    for (std::size_t i = 0; i < cohort_items_.size(); ++i) read_cohort(i);
    if (const Node* p = top.get("pools")) read_pools(*p);
    if (const Node* d = top.get("discharge_checks")) read_discharge_checks(*d);
    if (const Node* ind = top.get("indicators")) read_indicators(*ind);
    if (const Node* t = top.get("transforms")) {
      sequence(*t, "transforms", "named transforms");
      for (std::size_t i = 0; i < t->items.size(); ++i)
        s_.transforms.push_back(read_transform(t->items[i], at_index("transforms", i), s_));
    }
    apply_transforms(s_);
    return std::move(s_);
  }

 private:
  using Items = std::vector<std::pair<std::string, const Node*>>;

  Scenario s_;
  std::map<std::string, int> agencies_, services_, cohorts_, needs_, sites_;
  Items agency_items_, service_items_, cohort_items_;

  /// A field of a section written at the top level ("horizon_years:" instead of under "run:").
  static void check_misplaced(const Node& root) {
    for (const Entry& e : root.entries) {
      const std::string_view section = misplaced_section(e.key);
      if (section.empty()) continue;
      const FieldType type = find_scenario_field(section)->type;
      fail(e.value.file, e.key_line, e.key,
           "unknown top-level field '" + e.key + "'; it belongs under '" + std::string(section) + ":'" +
               (type == FieldType::Section ? "" : " (in one of its items)") + ", indented below it",
           ScenarioProblem::UnknownField);
    }
  }

  static std::vector<std::string> keys(const std::map<std::string, int>& table) {
    std::vector<std::string> out;
    for (const auto& [name, index] : table) out.push_back(name);
    return out;
  }

  Items named_items(const Fields& top, std::string_view key, const std::string& kind, std::map<std::string, int>& table) {
    const std::string path(key);
    const Node& list = sequence(top.need(key), path, std::string(key));
    if (list.items.empty()) fail(list, path, "expected at least one " + kind + ", found an empty list");
    Items out;
    std::map<std::string, const Node*> seen;
    for (std::size_t i = 0; i < list.items.size(); ++i) {
      const Node& item = list.items[i];
      if (item.type != Node::Type::Map) fail(item, at_index(path, i), "expected the fields of a " + kind + ", found " + found(item));
      const Node* name_node = item.get("name");
      if (!name_node) fail(item, at_index(path, i) + ".name", "missing required field 'name'", ScenarioProblem::MissingField);
      const std::string name = name_text(*name_node, at_index(path, i) + ".name");
      if (auto [it, fresh] = seen.emplace(name, name_node); !fresh)
        fail(*name_node, at_name(path, name) + ".name",
             "duplicate " + kind + " name '" + name + "' (first defined at " + it->second->file + ":" +
                 std::to_string(it->second->line) + ")");
      table[name] = static_cast<int>(i);
      out.emplace_back(name, &item);
    }
    return out;
  }

  int resolve(const Node& n, const std::string& field, const std::string& kind, const std::map<std::string, int>& table,
              bool allow_exit = false) {
    const std::string name = name_text(n, field);
    if (allow_exit && name == "exit") return kExit;
    if (allow_exit && name == "died") return kDied;
    if (auto it = table.find(name); it != table.end()) return it->second;
    auto candidates = keys(table);
    if (allow_exit) {
      candidates.push_back("exit");
      candidates.push_back("died");
    }
    fail(n, field, "unknown " + kind + " '" + name + "'" + suggestion(name, candidates), ScenarioProblem::UnknownName);
  }
  int service_ref(const Node& n, const std::string& field, bool allow_exit = false) {
    return resolve(n, field, "service", services_, allow_exit);
  }

  /// A name or a list of names.
  std::vector<int> refs(const Node& n, const std::string& field, const std::string& kind,
                        const std::map<std::string, int>& table) {
    std::vector<int> out;
    if (n.type == Node::Type::Sequence) {
      for (std::size_t i = 0; i < n.items.size(); ++i) out.push_back(resolve(n.items[i], at_index(field, i), kind, table));
    } else {
      out.push_back(resolve(n, field, kind, table));
    }
    return out;
  }

  /// [min, max] in years; `max` may be left out (no upper limit) when open_ended.
  std::pair<double, double> age_range(const Node& n, const std::string& field, bool open_ended) {
    const std::string expected = open_ended ? "[min, max] or [min] in years" : "[min, max] in years";
    if (n.type != Node::Type::Sequence || n.items.empty() || n.items.size() > 2 || (!open_ended && n.items.size() != 2))
      fail(n, field, "expected an age range " + expected + ", found " + found(n));
    const double lo = in_range(n.items[0], at_index(field, 0), 0, kMaxAge, "an age from 0 to 130 years");
    const double hi = n.items.size() == 2 ? in_range(n.items[1], at_index(field, 1), 0, kMaxAge, "an age from 0 to 130 years")
                                          : kInfinity;
    if (!(lo < hi)) fail(n, field, "expected an age range with min < max, found " + found(n));
    return {lo, hi};
  }

  void read_region(const Node& n) {
    const Fields f = fields_of(n, "region", "region", "the fields of a region");
    const Node& list = sequence(f.need("sites"), f.field("sites"), "site names");
    s_.region_source = SourceRef{list.file, list.line, "region.sites"};
    if (list.items.empty()) fail(list, f.field("sites"), "expected at least one site, found an empty list");
    for (std::size_t i = 0; i < list.items.size(); ++i) {
      const std::string at = at_index(f.field("sites"), i);
      const std::string name = name_text(list.items[i], at);
      if (!sites_.emplace(name, static_cast<int>(i)).second) fail(list.items[i], at, "duplicate site name '" + name + "'");
      s_.sites.push_back(name);
    }
    if (const Node* t = f.get("transfer_days")) s_.transfer_days = positive(*t, f.field("transfer_days"));
  }

  void read_run(const Node& n) {
    const Fields f = fields_of(n, "run", "run");
    if (const Node* h = f.get("horizon_years")) {
      s_.horizon_years = positive(*h, f.field("horizon_years"));
      if (const std::string why = horizon_problem(s_.horizon_years); !why.empty()) fail(*h, f.field("horizon_years"), why);
    }
    if (const Node* w = f.get("warmup_years")) {
      s_.warmup_years = non_negative(*w, f.field("warmup_years"));
      if (s_.warmup_years >= s_.horizon_years)
        fail(*w, f.field("warmup_years"),
             "warmup_years (" + format_number(s_.warmup_years) + ") must be shorter than the horizon, horizon_years (" +
                 format_number(s_.horizon_years) + ")");
    } else if (s_.warmup_years >= s_.horizon_years) {
      fail(f.need("horizon_years"), f.field("horizon_years"),
           "horizon_years (" + format_number(s_.horizon_years) + ") must be longer than the default warmup_years (" +
               format_number(s_.warmup_years) + "); set run.warmup_years");
    }
    if (const Node* r = f.get("replications")) s_.replications = whole(*r, f.field("replications"), 1, 1'000'000);
    if (const Node* sd = f.get("seed")) s_.seed = whole(*sd, f.field("seed"), 0, std::numeric_limits<std::uint64_t>::max());
    if (const Node* t = f.get("tracked_people"))
      s_.tracked_people = static_cast<std::uint32_t>(whole(*t, f.field("tracked_people"), 0, 10'000'000));
  }

  void read_need_levels(const Node& n) {
    sequence(n, "need_levels", "need-level names");
    if (n.items.size() < 2) fail(n, "need_levels", "expected at least 2 need levels, found " + std::to_string(n.items.size()));
    if (n.items.size() > kMaxNeedLevels)
      fail(n, "need_levels", "at most " + std::to_string(kMaxNeedLevels) + " need levels, found " + std::to_string(n.items.size()));
    s_.need_levels.clear();
    for (std::size_t i = 0; i < n.items.size(); ++i) {
      const std::string name = name_text(n.items[i], at_index("need_levels", i));
      if (std::find(s_.need_levels.begin(), s_.need_levels.end(), name) != s_.need_levels.end())
        fail(n.items[i], at_index("need_levels", i), "need level '" + name + "' is listed twice");
      s_.need_levels.push_back(name);
    }
  }

  void read_agency(std::size_t i) {
    const auto& [name, node] = agency_items_[i];
    const Fields f = fields_of(*node, at_name("agencies", name), "agencies[]");
    AgencySpec a;
    a.name = name;
    a.source = SourceRef{node->file, node->line, f.path()};
    if (const Node* b = f.get("budget_per_year")) a.annual_budget = budget(*b, f.field("budget_per_year"));
    s_.agencies.push_back(std::move(a));
  }

  static double budget(const Node& n, const std::string& field) {
    const double v = number(n, field);
    if (v < 0) fail(n, field, "a budget cannot be negative; expected £ per year >= 0, found " + found(n));
    return v;
  }

  void read_governance(const Node& n) {
    const Fields f = fields_of(n, "governance", "governance");
    if (const Node* m = f.get("budget_mode"))
      s_.budget_mode = choice<BudgetMode>(*m, f.field("budget_mode"));
    if (const Node* l = f.get("lead_agency")) s_.lead_agency = resolve(*l, f.field("lead_agency"), "agency", agencies_);
    if (s_.budget_mode == BudgetMode::Lead && s_.lead_agency == kExit)
      f.need("lead_agency", " (budget_mode 'lead' needs the agency that holds the pooled money)");
    if (const Node* ia = f.get("integrated_assessment"))
      s_.integrated_assessment = boolean(*ia, f.field("integrated_assessment"));
  }

  void read_handoffs(const Node& n) {
    const Fields f = fields_of(n, "handoffs", "handoffs");
    if (const Node* w = f.get("within_agency"))
      s_.handoff_within = read_distribution(*w, f.field("within_agency"), DurationRule::NonNegative);
    if (const Node* a = f.get("across_agency"))
      s_.handoff_across = read_distribution(*a, f.field("across_agency"), DurationRule::NonNegative);
  }

  void read_pools(const Node& n) {
    sequence(n, "pools", "pooled budgets");
    std::map<int, std::string> pooled;  // service → pool, to refuse a service in two pools
    std::map<std::string, int> names;
    for (std::size_t i = 0; i < n.items.size(); ++i) {
      const Node& item = n.items[i];
      std::string path = at_index("pools", i);
      if (item.type == Node::Type::Map)
        if (const Node* nm = item.get("name"); nm && nm->type == Node::Type::Scalar) path = at_name("pools", nm->scalar);
      const Fields f = fields_of(item, path, "pools[]", "the fields of a pool");
      PoolSpec p;
      p.name = name_text(f.need("name"), f.field("name"));
      if (!names.emplace(p.name, static_cast<int>(i)).second)
        fail(f.need("name"), f.field("name"), "duplicate pool name '" + p.name + "'");
      p.source = SourceRef{item.file, item.line, path};
      const Node& list = sequence(f.need("services"), f.field("services"), "service names");
      if (list.items.empty()) fail(list, f.field("services"), "expected at least one service in the pool, found an empty list");
      p.services = refs(list, f.field("services"), "service", services_);
      for (std::size_t k = 0; k < p.services.size(); ++k) {
        const int svc = p.services[k];
        if (auto [it, fresh] = pooled.emplace(svc, p.name); !fresh)
          fail(list.items[k], at_index(f.field("services"), k),
               "service '" + s_.services[static_cast<std::size_t>(svc)].name + "' is already in pool '" + it->second +
                   "'; a service can be in one pool only");
      }
      if (const Node* b = f.get("budget_per_year")) p.annual_budget = budget(*b, f.field("budget_per_year"));
      if (const Node* r = f.get("review_days")) p.review_days = positive(*r, f.field("review_days"));
      if (const Node* s = f.get("flexible_share")) p.flexible_share = probability(*s, f.field("flexible_share"));
      s_.pools.push_back(std::move(p));
    }
  }

  void read_cohort(std::size_t i) {
    const auto& [name, node] = cohort_items_[i];
    const Fields f = fields_of(*node, at_name("cohorts", name), "cohorts[]", "the fields of a cohort");
    CohortSpec& c = s_.cohorts[i];
    c.name = name;
    c.source = SourceRef{node->file, node->line, f.path()};
    const Node& pop = f.need("population");
    c.population = non_negative(pop, f.field("population"));
    if (c.population > kMaxPopulation)
      fail(pop, f.field("population"),
           "a population of " + format_number(c.population) + " is implausible; expected at most 1e8 per cohort");
    std::tie(c.min_age, c.max_age) = age_range(f.need("age"), f.field("age"), false);
    const Node& rate = f.need("episodes_per_1000_per_year");
    c.episodes_per_1000_per_year = non_negative(rate, f.field("episodes_per_1000_per_year"));
    if (c.episodes_per_1000_per_year > 1e6)
      fail(rate, f.field("episodes_per_1000_per_year"),
           "expected at most 1e6 episodes per 1000 people per year, found " + found(rate));
    if (const Node* t = f.get("trend_per_year"))
      c.trend_per_year = in_range(*t, f.field("trend_per_year"), -0.5, 1.0, "a yearly growth rate from -0.5 to 1 (0.01 = +1% a year)");
    if (const Node* sn = f.get("seasonality")) read_seasonality(*sn, f.field("seasonality"), c);
    c.entry = service_ref(f.need("entry"), f.field("entry"));
    read_need_mix(f.get("need_mix"), f.field("need_mix"), c);
    if (const Node* cp = f.get("coproduction")) read_coproduction(*cp, f.field("coproduction"), c);
    if (const Node* r = f.get("rereferral_probability"))
      c.rereferral_probability = probability(*r, f.field("rereferral_probability"));
    if (const Node* r = f.get("return_to")) c.return_to = service_ref(*r, f.field("return_to"));
    if (const Node* r = f.get("referred_return_probability"))
      c.referred_return_probability = probability(*r, f.field("referred_return_probability"));
    if (const Node* r = f.get("referred_return_to")) c.referred_return_to = service_ref(*r, f.field("referred_return_to"));
    if (const Node* t = f.get("time_to_return"))
      c.time_to_return = read_distribution(*t, f.field("time_to_return"), DurationRule::NonNegative);
    if (const Node* sf = f.get("self_funder_share")) c.self_funder_share = probability(*sf, f.field("self_funder_share"));
    if (const Node* tr = f.get("transition")) read_transition(*tr, f.field("transition"), c);
  }

  static void read_seasonality(const Node& n, const std::string& field, CohortSpec& c) {
    const Fields sf = fields_of(n, field, "cohorts[].seasonality");
    if (const Node* a = sf.get("amplitude"))
      c.seasonal_amplitude = in_range(*a, sf.field("amplitude"), 0, 1, "an amplitude from 0 to 1 (0.1 = ±10%)");
    if (const Node* p = sf.get("peak_day"))
      c.seasonal_peak_day = in_range(*p, sf.field("peak_day"), 0, 366, "a day of the year from 0 to 366");
  }

  /// Shares of the need levels; without a mix everyone starts at the lowest level.
  void read_need_mix(const Node* mix, const std::string& mf, CohortSpec& c) {
    c.need_weights.assign(s_.need_levels.size(), 0.0);
    if (!mix) {
      c.need_weights[0] = 1.0;
      return;
    }
    if (mix->type != Node::Type::Map || mix->entries.empty())
      fail(*mix, mf, "expected a map of need level to share, e.g. {additional: 0.6, complex: 0.4}; found " + found(*mix));
    double total = 0;
    for (const Entry& e : mix->entries) {
      const auto it = needs_.find(e.key);
      if (it == needs_.end())
        fail(e.value.file, e.key_line, join(mf, e.key),
             "unknown need level '" + e.key + "'" + suggestion(e.key, s_.need_levels), ScenarioProblem::UnknownName);
      const double w = probability(e.value, join(mf, e.key));
      c.need_weights[static_cast<std::size_t>(it->second)] = w;
      total += w;
    }
    if (std::abs(total - 1) > kProbabilityTolerance)
      fail(*mix, mf, "the shares of the need mix must sum to 1, found a sum of " + format_number(total));
  }

  static void read_coproduction(const Node& n, const std::string& field, CohortSpec& c) {
    const Fields cf = fields_of(n, field, "cohorts[].coproduction");
    if (const Node* lo = cf.get("min")) c.coproduction_min = probability(*lo, cf.field("min"));
    if (const Node* hi = cf.get("max")) c.coproduction_max = probability(*hi, cf.field("max"));
    if (c.coproduction_min > c.coproduction_max)
      fail(n, cf.path(),
           "expected min <= max, found min " + format_number(c.coproduction_min) + " and max " +
               format_number(c.coproduction_max));
    if (const Node* ef = cf.get("effect")) c.coproduction_effect = probability(*ef, cf.field("effect"));
  }

  void read_transition(const Node& n, const std::string& field, CohortSpec& c) {
    const Fields tf = fields_of(n, field, "cohorts[].transition");
    c.transition_to = service_ref(tf.need("to"), tf.field("to"));
    if (const Node* a = tf.get("age")) c.transition_age = in_range(*a, tf.field("age"), 0, kMaxAge, "an age from 0 to 130 years");
    if (!(c.transition_age > c.min_age))
      fail(tf.get("age") ? *tf.get("age") : n, tf.field("age"),
           "the transition age (" + format_number(c.transition_age) + ") must be above the cohort's minimum age (" +
               format_number(c.min_age) + ")");
  }

  void read_service(std::size_t i) {
    const auto& [name, node] = service_items_[i];
    const Fields f = fields_of(*node, at_name("services", name), "services[]", "the fields of a service");
    ServiceSpec& v = s_.services[i];
    v.name = name;
    v.source = SourceRef{node->file, node->line, f.path()};
    v.tier = choice<Tier>(f.need("tier"), f.field("tier"));
    if (const Node* k = f.get("kind"))
      v.kind = choice<ServiceKind>(*k, f.field("kind"));
    v.agency = resolve(f.need("agency"), f.field("agency"), "agency", agencies_);
    if (const Node* u = f.get("units")) read_units(*u, f.field("units"), v);
    if (const Node* c = v.units.empty() ? &f.need("capacity") : f.get("capacity"))
      v.capacity = static_cast<std::uint32_t>(whole(*c, f.field("capacity"), 1, kMaxPlaces));
    if (const Node* c = f.get("unit_choice")) {
      if (v.units.empty()) fail(*c, f.field("unit_choice"), "unit_choice needs units: the service is one unit");
      v.unit_choice = choice<UnitChoice>(*c, f.field("unit_choice"));
    }
    if (const Node* a = f.get("allocation_days"))
      v.allocation = read_distribution(*a, f.field("allocation_days"), DurationRule::NonNegative);
    if (const Node* cs = f.get("capacity_schedule")) read_schedule(*cs, f.field("capacity_schedule"), v);
    v.duration = read_distribution(f.need("duration"), f.field("duration"), DurationRule::PositiveMean);
    if (const Node* d = f.get("discipline"))
      v.discipline = choice<QueueDiscipline>(*d, f.field("discipline"));
    if (const Node* q = f.get("max_queue")) {
      if (q->type == Node::Type::Scalar && q->scalar == "unlimited") v.max_queue = Resource::kUnlimited;
      else v.max_queue = static_cast<std::uint32_t>(whole(*q, f.field("max_queue"), 0, kMaxPlaces));
    }
    if (const Node* p = f.get("patience_days"); p && !(p->type == Node::Type::Scalar && p->scalar == "unlimited"))
      v.patience = read_distribution(*p, f.field("patience_days"), DurationRule::PositiveMean);
    if (const Node* o = f.get("overflow_to")) v.overflow_to = service_ref(*o, f.field("overflow_to"), true);
    if (const Node* c = f.get("cost")) read_cost(*c, f.field("cost"), v.cost);
    if (const Node* e = f.get("escalation_per_year")) v.escalation_per_year = non_negative(*e, f.field("escalation_per_year"));
    if (const Node* e = f.get("de_escalation_per_year"))
      v.de_escalation_per_year = non_negative(*e, f.field("de_escalation_per_year"));
    if (const Node* e = f.get("escalate_to")) v.escalate_to = service_ref(*e, f.field("escalate_to"));
    if (const Node* ii = f.get("integrated_into")) {
      v.integrated_into = service_ref(*ii, f.field("integrated_into"));
      if (v.integrated_into == static_cast<int>(i))
        fail(*ii, f.field("integrated_into"), "a service cannot be integrated into itself");
    }
    if (const Node* d = f.get("dtoc_reason")) v.dtoc_reason = text(*d, f.field("dtoc_reason"));
    if (const Node* c = f.get("covered_by_integrated")) v.covered_by_integrated = boolean(*c, f.field("covered_by_integrated"));
    v.holds_place = v.kind == ServiceKind::Hospital;
    if (const Node* h = f.get("holds_place")) {
      v.holds_place = boolean(*h, f.field("holds_place"));
      if (!v.holds_place && v.kind == ServiceKind::Hospital)
        fail(*h, f.field("holds_place"),
             "a hospital always keeps a medically fit patient's bed until the next service starts (a delayed transfer of care); "
             "leave holds_place out, or send patients on without waiting with max_queue: 0 on the service they go to");
    }
    if (const Node* st = f.get("site")) {
      if (sites_.empty())
        fail(*st, f.field("site"), "a service names a site, but the scenario declares none: list the sites under 'region: sites:'");
      v.site = resolve(*st, f.field("site"), "site", sites_);
    }
    if (const Node* r = f.get("review")) {
      const Fields rf = fields_of(*r, f.field("review"), "services[].review");
      if (const Node* e = rf.get("every_days")) v.review.every_days = non_negative(*e, rf.field("every_days"));
      if (const Node* c = rf.get("cost")) v.review.cost = non_negative(*c, rf.field("cost"));
      if (const Node* p = rf.get("step_down_probability"))
        v.review.step_down_probability = probability(*p, rf.field("step_down_probability"));
      if (const Node* t = rf.get("step_down_to")) v.review.step_down_to = service_ref(*t, rf.field("step_down_to"), true);
    }
    if (const Node* r = f.get("routes")) read_routes(*r, f.field("routes"), v);
  }

  // units: [{name, capacity, share}]: the service's places are their sum unless `capacity` is
  // given too, which is then the total, split over the units in proportion to their places (so
  // that --set, sweeps and transforms of capacity work on a service made of units).
  void read_units(const Node& n, const std::string& field, ServiceSpec& v) {
    sequence(n, field, "units {name, capacity, share}");
    if (n.items.size() > kMaxUnits)
      fail(n, field, "at most " + std::to_string(kMaxUnits) + " units, found " + std::to_string(n.items.size()));
    std::uint64_t places = 0;
    std::size_t with_share = 0;
    double shares = 0;
    for (std::size_t k = 0; k < n.items.size(); ++k) {
      const std::string path = at_index(field, k);
      const Fields f = fields_of(n.items[k], path, "services[].units[]", "{name: NAME, capacity: PLACES, share: SHARE}");
      UnitSpec u;
      u.name = name_text(f.need("name"), f.field("name"));
      for (const UnitSpec& o : v.units)
        if (o.name == u.name) fail(f.need("name"), f.field("name"), "unit '" + u.name + "' is named twice");
      u.capacity = static_cast<std::uint32_t>(whole(f.need("capacity"), f.field("capacity"), 0, kMaxPlaces));
      places += u.capacity;
      if (const Node* s = f.get("share")) {
        u.share = probability(*s, f.field("share"));
        shares += u.share;
        ++with_share;
      }
      v.units.push_back(u);
    }
    if (places == 0 || places > kMaxPlaces)
      fail(n, field, "the units' places add up to " + std::to_string(places) + "; they must be 1 … " + std::to_string(kMaxPlaces));
    if (with_share != 0 && with_share != v.units.size()) fail(n, field, "give every unit a share, or none (shares then follow places)");
    if (with_share != 0 && std::abs(shares - 1.0) > 1e-6)
      fail(n, field, "the units' shares add up to " + format_number(shares) + "; they must add up to 1");
    for (UnitSpec& u : v.units)
      if (with_share == 0) u.share = static_cast<double>(u.capacity) / static_cast<double>(places);
    v.capacity = static_cast<std::uint32_t>(places);
  }

  void read_schedule(const Node& n, const std::string& field, ServiceSpec& v) {
    sequence(n, field, "{at_days, capacity} steps");
    for (std::size_t k = 0; k < n.items.size(); ++k) {
      const std::string path = at_index(field, k);
      const Fields f = fields_of(n.items[k], path, "services[].capacity_schedule[]", "{at_days: DAY, capacity: PLACES}");
      CapacityStep step;
      const Node* d = f.get("at_days");
      const Node* y = f.get("at_years");
      if (d && y) fail(n.items[k], path, "give either at_days or at_years, not both");
      if (d) step.at = non_negative(*d, f.field("at_days"));
      else if (y) step.at = non_negative(*y, f.field("at_years")) * kDaysPerYear;
      else f.need("at_days", " (or at_years)");
      step.capacity = static_cast<std::uint32_t>(whole(f.need("capacity"), f.field("capacity"), 0, kMaxPlaces));
      if (!v.capacity_schedule.empty() && !(step.at > v.capacity_schedule.back().at))
        fail(n.items[k], path,
             "capacity steps must be in increasing time order; this one (day " + format_number(step.at) +
                 ") is not after the previous one (day " + format_number(v.capacity_schedule.back().at) + ")");
      v.capacity_schedule.push_back(step);
    }
    try {
      validate_schedule(v.capacity_schedule);
    } catch (const std::invalid_argument& ex) {
      fail(n, field, ex.what());
    }
  }

  static void read_cost(const Node& n, const std::string& field, CostSpec& c) {
    const Fields f = fields_of(n, field, "services[].cost");
    const std::pair<const char*, double*> parts[] = {{"per_contact", &c.per_contact}, {"per_episode", &c.per_episode},
                                                     {"per_day", &c.per_day},         {"per_week", &c.per_week},
                                                     {"per_hour", &c.per_hour},       {"hours_per_week", &c.hours_per_week}};
    for (const auto& [key, target] : parts)
      if (const Node* v = f.get(key)) *target = non_negative(*v, f.field(key));
    if (c.hours_per_week > 168)
      fail(*f.get("hours_per_week"), f.field("hours_per_week"),
           "a week has 168 hours; found " + format_number(c.hours_per_week));
  }

  void read_routes(const Node& n, const std::string& field, ServiceSpec& v) {
    sequence(n, field, "route rules ({when, to})");
    for (std::size_t k = 0; k < n.items.size(); ++k) {
      const std::string path = at_index(field, k);
      const Node& item = n.items[k];
      const Fields f = fields_of(item, path, "services[].routes[]", "a route rule {when: ..., to: {service: probability}}");
      RouteRule rule;
      rule.source = SourceRef{item.file, item.line, path};
      if (const Node* w = f.get("when")) {
        const Fields wf = fields_of(*w, f.field("when"), "services[].routes[].when");
        if (const Node* nd = wf.get("need")) rule.when.need_levels = refs(*nd, wf.field("need"), "need level", needs_);
        if (const Node* a = wf.get("age")) std::tie(rule.when.min_age, rule.when.max_age) = age_range(*a, wf.field("age"), true);
        if (const Node* c = wf.get("cohort")) rule.when.cohorts = refs(*c, wf.field("cohort"), "cohort", cohorts_);
      }
      const Node& to = f.need("to", " (where people go: {service: probability, exit: probability})");
      const std::string tf = f.field("to");
      if (to.type != Node::Type::Map || to.entries.empty())
        fail(to, tf, "expected a map of next service to probability, e.g. {assessment: 0.3, exit: 0.7}; found " + found(to));
      double total = 0;
      for (const Entry& e : to.entries) {
        RouteTarget t;
        Node key_node;
        key_node.type = Node::Type::Scalar;
        key_node.scalar = e.key;
        key_node.file = e.value.file;
        key_node.line = e.key_line;
        t.service = service_ref(key_node, join(tf, e.key), true);
        t.probability = probability(e.value, join(tf, e.key));
        total += t.probability;
        rule.to.push_back(t);
      }
      if (std::abs(total - 1) > kProbabilityTolerance)
        fail(to, tf,
             "the probabilities of a route rule must sum to 1, found a sum of " + format_number(total) +
                 (total < 1 ? " (send the rest to 'exit' explicitly)" : ""));
      v.routes.push_back(std::move(rule));
    }
  }

  void read_discharge_checks(const Node& n) {
    sequence(n, "discharge_checks", "{reason, probability, duration}");
    for (std::size_t k = 0; k < n.items.size(); ++k) {
      const std::string path = at_index("discharge_checks", k);
      const Fields f = fields_of(n.items[k], path, "discharge_checks[]", "{reason, probability, duration}");
      DischargeCheckSpec d;
      d.reason = name_text(f.need("reason"), f.field("reason"));
      d.probability = probability(f.need("probability"), f.field("probability"));
      d.duration = read_distribution(f.need("duration"), f.field("duration"), DurationRule::NonNegative);
      s_.discharge_checks.push_back(std::move(d));
    }
  }

  void read_indicators(const Node& n) {
    const Fields f = fields_of(n, "indicators", "indicators");
    IndicatorMap& m = s_.indicators;
    const std::pair<const char*, int*> services[] = {{"referrals", &m.referrals},   {"child_protection", &m.child_protection},
                                                     {"looked_after", &m.looked_after}, {"reablement", &m.reablement},
                                                     {"residential", &m.residential}, {"hospital", &m.hospital},
                                                     {"strategy_discussion", &m.strategy_discussion}, {"s47", &m.s47},
                                                     {"icpc", &m.icpc}};
    for (const auto& [key, target] : services)
      if (const Node* v = f.get(key)) *target = service_ref(*v, f.field(key));
    if (const Node* a = f.get("assessments")) m.assessments = refs(*a, f.field("assessments"), "service", services_);
    if (const Node* t = f.get("assessment_target_days")) m.assessment_target_days = positive(*t, f.field("assessment_target_days"));
    if (const Node* t = f.get("package_target_days")) m.package_target_days = positive(*t, f.field("package_target_days"));
    if (const Node* t = f.get("icpc_target_days")) m.icpc_target_days = positive(*t, f.field("icpc_target_days"));
    if (const Node* c = f.get("older_people_cohort")) m.older_cohort = resolve(*c, f.field("older_people_cohort"), "cohort", cohorts_);
    if (const Node* c = f.get("children_cohort")) m.children_cohort = resolve(*c, f.field("children_cohort"), "cohort", cohorts_);
  }
};

}  // namespace

Scenario build_scenario(const Node& root) { return Builder().build(root); }

}  // namespace careflow::models
