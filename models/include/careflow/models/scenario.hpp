// The care-flow scenario: a local care system described as data. Loaded from YAML by
// scenario_loader.hpp, checked by validate_scenario(), run by care_model.hpp.
//
// Units: time in days unless a field name says otherwise (…_years, …_per_year);
// money in pounds (£); rates per year.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <stdexcept>
#include <optional>
#include <string>
#include <vector>

#include "careflow/engine/distribution.hpp"
#include "careflow/engine/resource.hpp"
#include "careflow/models/vocabulary.hpp"

namespace careflow::models {

inline constexpr double kInfinity = std::numeric_limits<double>::infinity();

/// Where a value came from, for error messages ("default.yaml:42: services[3].capacity: …").
struct SourceRef {
  std::string file;
  int line = 0;  // 1-based; 0 when built in code
  std::string field;
};

/// Unit costs of a service. The daily rate applies to each occupied place (day of stay,
/// caseload day): per_day + per_week / 7 + per_hour * hours_per_week / 7.
struct CostSpec {
  double per_contact = 0;  // £ each time a person starts the service (also each review)
  double per_episode = 0;  // £ per episode (charged at the start)
  double per_day = 0;      // £ per occupied day
  double per_week = 0;     // £ per occupied week
  double per_hour = 0;     // £ per hour of care
  double hours_per_week = 0;
  double daily_rate() const noexcept { return per_day + per_week / 7.0 + per_hour * hours_per_week / 7.0; }
};

/// Condition on a route rule; every non-empty part must hold.
struct Condition {
  std::vector<int> need_levels;   // indices into Scenario::need_levels; empty = any
  double min_age = 0;             // years, inclusive
  double max_age = kInfinity;     // years, exclusive
  std::vector<int> cohorts;       // indices; empty = any
  bool always() const noexcept { return need_levels.empty() && cohorts.empty() && min_age <= 0 && max_age == kInfinity; }
};

struct RouteTarget {
  int service = kExit;  // index, kExit or kDied
  double probability = 0;
};

/// After service: the first rule whose condition holds chooses the next service by
/// probability. The probabilities of a rule sum to 1 (kExit is an explicit target).
/// If no rule holds, the person leaves.
struct RouteRule {
  Condition when;
  std::vector<RouteTarget> to;
  SourceRef source;
};

struct ReviewSpec {
  double every_days = 0;  // 0: no reviews
  double cost = 0;        // £ per review, charged to the service
  double step_down_probability = 0;  // at a review, the person leaves the service early…
  int step_down_to = kExit;          // …for this service (or leaves the system)
};

/// A unit of a service: a locality, team, provider panel or bed type with its own places and
/// queue. A service without units is one unit of its capacity.
struct UnitSpec {
  std::string name;
  std::uint32_t capacity = 1;
  double share = 0;  // of the service's people (UnitChoice::Area); places' share unless given
};

/// `total` places shared among units in proportion to `weights` (largest remainder, ties to the
/// first): the weights themselves when they add up to `total`.
std::vector<std::uint32_t> split_places(std::uint32_t total, const std::vector<double>& weights);

struct ServiceSpec {
  std::string name;
  Tier tier = Tier::Mainstream;
  ServiceKind kind = ServiceKind::Service;
  int agency = 0;  // owning agency (provider)
  std::uint32_t capacity = 1;  // places: workers' caseload slots, beds, teams (with units: their sum)
  std::vector<UnitSpec> units;  // empty: one unit of `capacity`
  UnitChoice unit_choice = UnitChoice::Area;
  // Allocation or brokerage: days from arriving at the service to joining a unit's queue (finding
  // a provider, allocating a worker); part of the wait. None: at once.
  std::optional<Distribution> allocation;
  CapacitySchedule capacity_schedule;  // later changes (times in days from the start)
  Distribution duration = Distribution::exponential(1.0);  // days of service (length of stay)
  QueueDiscipline discipline = QueueDiscipline::Fifo;  // Priority: higher need first
  std::uint32_t max_queue = Resource::kUnlimited;  // arrivals beyond it are turned away
  // Each person waiting longer than their own draw of this (days) leaves the queue; a number is
  // everyone's patience. None: people wait as long as it takes.
  std::optional<Distribution> patience;
  int overflow_to = kExit;  // where people turned away or reneging go
  CostSpec cost;
  double escalation_per_year = 0;     // hazard of need rising one level while waiting here
  double de_escalation_per_year = 0;  // hazard of need falling one level while served here
  int escalate_to = kExit;  // a person whose need reaches the top level while waiting is re-referred here (kExit: stays)
  int integrated_into = kExit;  // with integrated assessment on, referrals here go to this service instead
  // Another agency's assessment that the integrated assessment covers: with integrated
  // assessment on, a person whose pathway has had an integrated assessment skips it (no wait,
  // duration, cost or hand-off) and goes straight on by its routes.
  bool covered_by_integrated = false;
  std::string dtoc_reason;      // why hospital patients wait for this service (e.g. "re-ablement")
  // Blocking after service: a person who has finished keeps the place (occupied, costed) until
  // the next service starts, as a hospital keeps a medically fit patient's bed. Hospitals always do.
  bool holds_place = false;
  ReviewSpec review;
  std::vector<RouteRule> routes;
  int site = 0;  // the site (council, hospital trust, regional provider) that runs it: one logical process each
  SourceRef source;
};

/// Hospital discharge: before a medically fit patient can move on, a share waits for an
/// assessment or a funding decision (a delayed transfer of care with that reason).
struct DischargeCheckSpec {
  std::string reason;  // "assessment", "funding decision"
  double probability = 0;
  Distribution duration = Distribution::deterministic(0.0);
};

struct AgencySpec {
  std::string name;
  double annual_budget = 0;  // £ per year
  SourceRef source;
};

/// A pooled budget over chosen services (Health Act flexibilities).
struct PoolSpec {
  std::string name;
  std::vector<int> services;
  double annual_budget = 0;  // £ per year; under Aligned the money stays with the agencies
  double review_days = 28;   // how often capacity is re-allocated to follow the queue
  double flexible_share = 0.25;  // share of each pooled service's places that can move
  SourceRef source;
};

struct CohortSpec {
  std::string name;
  double population = 0;  // residents
  double min_age = 0, max_age = 18;  // years; arrivals' ages are uniform in [min, max)
  double episodes_per_1000_per_year = 0;  // new episodes of need
  double trend_per_year = 0;             // population growth, e.g. 0.01 = +1% a year
  double seasonal_amplitude = 0;         // 0.1: +10% at the peak, -10% half a year later
  double seasonal_peak_day = 15;         // day of the year of the peak
  int entry = 0;                         // service where episodes start
  std::vector<double> need_weights;      // initial need level of new episodes (sums to 1)
  double coproduction_min = 0, coproduction_max = 1;  // per-person capacity, uniform
  double coproduction_effect = 0.5;  // escalation hazard is multiplied by (1 - effect * capacity)
  double rereferral_probability = 0;  // after leaving with need above the lowest level, the chance of coming back
  int return_to = kExit;              // where they come back (kExit: the entry)
  // A case closed after a referral (its episode reached indicators.referrals): the chance of
  // being referred again, whatever the need on leaving (<0: as rereferral_probability), and where
  // to (kExit: the referral service itself).
  double referred_return_probability = -1;
  int referred_return_to = kExit;
  // When they come back, in days after leaving; uniform over a year unless the scenario says.
  // Only returns within 12 months of the last referral count as re-referrals.
  Distribution time_to_return = Distribution::uniform(0.0, 365.0);
  double self_funder_share = 0;       // pay for their own care: spend outside council budgets
  int transition_to = kExit;          // at 18, a young person with ongoing needs moves here
  double transition_age = 18;
  SourceRef source;
};

/// Which services the planners' indicators are read from (names resolved to indices; kExit = not reported).
struct IndicatorMap {
  int referrals = kExit;         // children's social care referrals (arrivals at this service)
  int child_protection = kExit;  // child protection plans (starts and stock)
  int looked_after = kExit;      // looked-after children (stock)
  int reablement = kExit;        // NI 125 / ASCOF 2B: at home 91 days after discharge into re-ablement
  int residential = kExit;       // ASCOF 2A: permanent admissions of people 65+
  int hospital = kExit;          // NI 131: delayed transfers of care
  // The urgent child-protection pathway: strategy discussion -> section 47 enquiry -> initial
  // child protection conference, due within icpc_target_days of the strategy discussion.
  int strategy_discussion = kExit;
  int s47 = kExit;
  int icpc = kExit;
  double icpc_target_days = 21;  // 15 working days (Working Together)
  std::vector<int> assessments;  // NI 132: referral to completed assessment
  double assessment_target_days = 28;  // NI 132 timeliness target
  double package_target_days = 28;     // NI 133: assessment completed to service start
  int older_cohort = kExit;            // cohort whose population is the 65+ denominator
  int children_cohort = kExit;         // cohort whose population is the children denominator
};

/// A named transform (governance option, budget shift, demand change) as written in a
/// scenario's `transforms:` list or on the command line; applied by apply_transforms().
/// Parameters are typed by the transform's schema (transforms.hpp).
struct TransformSpec {
  std::string name;
  std::map<std::string, double> numbers;             // numbers, probabilities, booleans (0/1), need levels (index)
  std::map<std::string, std::vector<int>> lists;     // lists of services or cohorts (indices)
  SourceRef source;
};

/// Money spent once (e.g. the cost of restructuring), booked to an agency on a day.
struct OneOffCost {
  double at = 0;  // day
  double amount = 0;
  int agency = 0;
  std::string label;
};

/// Money spent every year from a day on (e.g. staff for places bought by a budget shift, paid
/// whether or not the places are used), booked to a service.
struct RecurringCost {
  int service = 0;
  double from = 0;  // day
  double per_year = 0;
  std::string label;
};

/// Prevention working on demand: from `start` (day), ramping up linearly over `ramp` days to its
/// full effect, a share of new episodes arrive one need level lower and escalation hazards fall.
struct PreventionEffect {
  double start = 0, ramp = 0;
  double need_reduction = 0;        // share of new episodes (above the lowest level) arriving one level lower
  double escalation_reduction = 0;  // relative fall of every escalation hazard
};

struct Scenario {
  int version = 1;
  std::string name;
  std::string description;
  std::string source_text;  // the YAML as read (after `extend` merging), stored with results
  std::string source_file;
  std::vector<std::string> base_files;  // the files `extend` read, nearest first (inputs, as outputs must not be)

  double horizon_years = 10;
  double warmup_years = 2;
  std::uint64_t replications = 10;
  std::uint64_t seed = 1;

  std::vector<std::string> need_levels = {"universal", "additional", "complex", "acute"};
  BudgetMode budget_mode = BudgetMode::Aligned;
  int lead_agency = kExit;
  bool integrated_assessment = false;
  Distribution handoff_within = Distribution::deterministic(1.0);  // days, same agency
  Distribution handoff_across = Distribution::deterministic(5.0);  // days, another agency
  double discount_rate = 0.035;

  std::vector<AgencySpec> agencies;
  std::vector<PoolSpec> pools;
  std::vector<ServiceSpec> services;
  std::vector<CohortSpec> cohorts;
  std::vector<DischargeCheckSpec> discharge_checks;  // apply to every Hospital service
  IndicatorMap indicators;
  std::uint32_t tracked_people = 200;  // trajectories recorded for the animation
  std::vector<TransformSpec> transforms;      // as written; already applied when loaded
  std::vector<OneOffCost> one_off_costs;      // set by transforms
  std::vector<RecurringCost> recurring_costs;  // set by transforms
  std::vector<PreventionEffect> prevention;   // set by transforms

  // A region: services run by several sites (councils, hospital trusts, regional providers),
  // each simulated as its own logical process; people move between sites by message, taking
  // at least `transfer_days` (the lookahead that lets sites run in parallel). Empty: one site.
  std::vector<std::string> sites;
  double transfer_days = 1.0;
  SourceRef region_source;
  double scale_applied = 1;  // the size factor already applied by apply_options (--scale)
  std::size_t site_count() const noexcept { return sites.empty() ? 1 : sites.size(); }

  int service_index(const std::string& name) const;  // kExit if unknown
};

/// What kind of problem a ScenarioError reports, so that a caller acts on it without reading its
/// words (the workbook names the cell of a missing field; Python exposes it as `kind`).
enum class ScenarioProblem : std::uint8_t {
  Value,         // a value of the wrong type, out of range, or at odds with another
  MissingField,  // a required field is not given; where.field names it
  UnknownField,  // a key the format does not have (or a path naming none); where.field ends with it
  UnknownName,   // a name the scenario does not define: a service, agency, cohort, item of a list
  Text,          // the file itself: missing or unreadable, not UTF-8, a YAML syntax error, too big
};
inline constexpr std::array<Term<ScenarioProblem>, 5> kScenarioProblems{{
    {ScenarioProblem::Value, "value", "a value of the wrong type, out of range, or at odds with another"},
    {ScenarioProblem::MissingField, "missing_field", "a required field is not given"},
    {ScenarioProblem::UnknownField, "unknown_field", "a field the scenario format does not have"},
    {ScenarioProblem::UnknownName, "unknown_name", "a name the scenario does not define"},
    {ScenarioProblem::Text, "text", "the file itself cannot be read as a scenario"},
}};
template <>
constexpr const auto& terms<ScenarioProblem>() { return kScenarioProblems; }

/// An error in a scenario: names the file, line and field, what was expected and what was found.
/// what() reads "FILE:LINE: FIELD: MESSAGE"; message() is MESSAGE alone.
class ScenarioError : public std::runtime_error {
 public:
  ScenarioError(SourceRef where, const std::string& message, ScenarioProblem problem = ScenarioProblem::Value);
  const SourceRef& where() const noexcept { return where_; }
  const std::string& message() const noexcept { return message_; }
  ScenarioProblem problem() const noexcept { return problem_; }

 private:
  SourceRef where_;
  std::string message_;
  ScenarioProblem problem_;
};

/// The longest horizon a scenario may have (run.horizon_years, --years): no planning question
/// needs more, and a horizon written in days is the likelier cause.
inline constexpr double kMaxHorizonYears = 200;
/// Why `years` cannot be a horizon ("" when it can).
std::string horizon_problem(double years);

/// A problem found before running that is not an error (e.g. a service expected to be overloaded).
struct Warning {
  SourceRef where;
  std::string message;
};

/// Expected load of each service from the traffic equations.
struct ServiceLoad {
  double arrivals_per_day = 0;
  double offered_load = 0;  // arrivals/day * mean duration (places needed)
  double utilisation = 0;   // offered_load / capacity
  // A service whose queue is bounded (max_queue, patience_days) cannot grow without end: the
  // people it cannot take are turned away or give up. From the birth-death chain of Erlang's
  // M/M/c/K+M queue (exact with Poisson arrivals and exponential service and patience; an
  // approximation otherwise): the share of arrivals lost and the utilisation that remains.
  bool bounded = false;
  double lost_share = 0;
  double carried_utilisation = 0;  // = utilisation when not bounded
  // A service of units by area: the figures above are of its busiest unit (this one, with its
  // share of the arrivals and its places); -1 for a service of one unit or brokered as one.
  int unit = -1;
  double unit_arrivals_per_day = 0;
  std::uint32_t unit_places = 0;
};

/// Structural checks (Boost.Graph): every service reachable from an entry, every service can
/// reach an exit, names known, probabilities sum to 1, values in range. Throws ScenarioError
/// on the first error; returns warnings (utilisation >= 1 from the traffic equations).
std::vector<Warning> validate_scenario(const Scenario& s);

/// Solves the traffic equations (arrival rates by service at the start of the horizon,
/// routing probabilities averaged over the initial need mix).
std::vector<ServiceLoad> traffic_equations(const Scenario& s);

/// Erlang's M/M/c/K+M queue: arrivals lambda a day, service rate mu a day per place, c places,
/// room for max_queue waiting (Resource::kUnlimited: none), patience rate theta a day (0: none).
struct BoundedQueue {
  double utilisation = 0;  // busy places / c
  double lost_share = 0;   // of arrivals: turned away by the room limit or giving up
};
BoundedQueue bounded_queue(double lambda, double mu, std::uint32_t c, std::uint32_t max_queue, double theta);

/// The size of one replication, from the traffic equations and the cohorts' growth trends:
/// checked before a run, so that an absurd scenario (10^8 people × 10^5 episodes per 1000 a
/// year × 200 years) is refused with an estimate rather than killed for lack of memory.
struct RunEstimate {
  double episodes = 0;        // new episodes from the cohorts over the horizon
  double service_visits = 0;  // referrals to services over the horizon (services with a finite load)
  double people = 0;          // people in the system at once (records held), at most, roughly
  double working_bytes = 0;   // memory a running replication needs without its records (people, events, series)
  double episode_bytes = 0;   // more when the replication keeps its per-episode records
};
RunEstimate estimate_run(const Scenario& s);

/// validate_scenario refuses a scenario whose one replication (even without its episode records)
/// would need more memory than this: no planning question needs it, and a typo (people
/// written in thousands, a horizon in days) is the likelier cause.
inline constexpr double kMaxReplicationBytes = 16.0 * (1u << 30);

/// "1.5 GiB": a memory size for messages.
std::string describe_bytes(double bytes);

}  // namespace careflow::models
