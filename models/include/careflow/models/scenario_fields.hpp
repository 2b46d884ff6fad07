// Every field of the scenario format (docs/scenario-format.md), declared once: its path, type,
// unit, default, meaning in planners' words and its place in the scenario workbook. The loader's
// lists of allowed keys and misplaced-key hints, the path language of `--set` / sweeps /
// `with_changes`, the workbook's columns, the fuzz dictionary and the field tables of the docs
// are all derived from this table; tests/models/test_scenario_fields.cpp fails when the table
// and one of them disagree.
//
// Adding a field is one row here plus the code that reads and uses its value
// (models/src/scenario/builder.cpp and the model): docs/extending.md, "Adding a scenario field".
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "careflow/models/vocabulary.hpp"

namespace careflow::models {

/// What a field holds.
enum class FieldType : std::uint8_t {
  Section,               // a map of the fields below it
  NamedItems,            // a list of items, each with a unique `name` (merged by name under `extend`)
  Items,                 // a list of items without names
  Version,               // the format version
  File,                  // a file path
  Text,
  Number,
  WholeNumber,
  WholeOrUnlimited,
  Boolean,
  Tier,                  // one word of a vocabulary (vocabulary.hpp) ...
  ServiceKind,
  BudgetMode,
  Discipline,
  UnitChoice,
  AgencyName,            // ... or a name defined elsewhere in the scenario
  ServiceName,
  CohortName,
  SiteName,
  ServiceOrExit,         // a service, `exit` or `died`
  ServiceNames,          // a list of service names
  ServiceOrList,         // a service name or a list of them
  NeedLevelOrList,
  CohortOrList,
  Names,                 // a list of names
  NeedShares,            // a map need level → share
  ServiceProbabilities,  // a map service → probability
  AgeRange,              // [min, max]
  AgeCondition,          // [min, max] or [min]
  Distribution,          // a number of days or {kind: {parameters}} (docs: "Distributions")
};
inline constexpr std::array<Term<FieldType>, 30> kFieldTypes{{
    {FieldType::Section, "section", "map"},
    {FieldType::NamedItems, "named_items", "list of named items"},
    {FieldType::Items, "items", "list"},
    {FieldType::Version, "version", "whole number"},
    {FieldType::File, "file", "file path"},
    {FieldType::Text, "text", "text"},
    {FieldType::Number, "number", "number"},
    {FieldType::WholeNumber, "whole_number", "whole number"},
    {FieldType::WholeOrUnlimited, "whole_or_unlimited", "whole number or `unlimited`"},
    {FieldType::Boolean, "boolean", "`true` or `false`"},
    {FieldType::Tier, "tier", "a tier"},
    {FieldType::ServiceKind, "service_kind", "a kind of service"},
    {FieldType::BudgetMode, "budget_mode", "a budget mode"},
    {FieldType::Discipline, "discipline", "a queue discipline"},
    {FieldType::UnitChoice, "unit_choice", "a way of choosing a unit"},
    {FieldType::AgencyName, "agency", "agency name"},
    {FieldType::ServiceName, "service", "service name"},
    {FieldType::CohortName, "cohort", "cohort name"},
    {FieldType::SiteName, "site", "site name"},
    {FieldType::ServiceOrExit, "target", "service name, `exit` or `died`"},
    {FieldType::ServiceNames, "services", "list of service names"},
    {FieldType::ServiceOrList, "service_or_list", "service name or list of them"},
    {FieldType::NeedLevelOrList, "need_levels", "need level or list of them"},
    {FieldType::CohortOrList, "cohorts", "cohort name or list of them"},
    {FieldType::Names, "names", "list of names"},
    {FieldType::NeedShares, "need_shares", "map need level → share"},
    {FieldType::ServiceProbabilities, "service_probabilities", "map service name → probability"},
    {FieldType::AgeRange, "age_range", "`[min, max]`"},
    {FieldType::AgeCondition, "age_condition", "`[min, max]` or `[min]`"},
    {FieldType::Distribution, "distribution", "distribution"},
}};
template <>
constexpr const auto& terms<FieldType>() { return kFieldTypes; }

/// The default of a field that must be given.
inline constexpr std::string_view kRequired = "required";

/// One field of the scenario format.
struct ScenarioField {
  std::string_view path;           // "services[].capacity": keys joined by '.', "[]" for the items of a list
  FieldType type;
  std::string_view unit;           // "days", "£ / year" (the workbook's units row); "" for none
  std::string_view default_value;  // as a planner would write it; kRequired; "" for none
  std::string_view meaning;        // what it is and its range, in planners' words
  std::string_view sheet;          // the scenario workbook's sheet with its column(s); "" for none
  std::string_view column;         // the column's header when not the path below the item ("" for that);
                                   // two, comma-separated, for a pair (age_min,age_max) or a map (to,probability)
};

// clang-format off
inline constexpr auto kScenarioFields = std::to_array<ScenarioField>({
    // ---- the top level
    {"careflow", FieldType::Version, "", kRequired, "the format version, in every file; must be 1", "options", ""},
    {"name", FieldType::Text, "", kRequired, "the scenario's name, shown in results (after merging)", "options", ""},
    {"description", FieldType::Text, "", "empty", "free text", "options", ""},
    {"extend", FieldType::File, "", "", "a base scenario this file changes; relative to this file (see Extending a base scenario)", "", ""},
    {"run", FieldType::Section, "", "", "how the run is set up", "", ""},
    {"need_levels", FieldType::Names, "", "[universal, additional, complex, acute]", "levels of need, lowest first; at least 2, unique", "options", ""},
    {"governance", FieldType::Section, "", "", "budgets and assessment", "", ""},
    {"handoffs", FieldType::Section, "", "", "delays between leaving one service and arriving at the next", "", ""},
    {"economics", FieldType::Section, "", "", "discounting", "", ""},
    {"region", FieldType::Section, "", "one site", "the sites of a region", "", ""},
    {"agencies", FieldType::NamedItems, "", kRequired, "the agencies that own and fund services; at least 1", "agencies", ""},
    {"pools", FieldType::NamedItems, "", "none", "pooled budgets", "pools", ""},
    {"cohorts", FieldType::NamedItems, "", kRequired, "groups of residents in whom episodes of need arise; at least 1", "cohorts", ""},
    {"services", FieldType::NamedItems, "", kRequired, "services: a queue, places, a length of service and routes; at least 1", "services", ""},
    {"discharge_checks", FieldType::Items, "", "none", "checks a medically fit hospital patient may wait for before moving on", "discharge_checks", ""},
    {"indicators", FieldType::Section, "", "all unset", "where the planners' indicators are read", "", ""},
    {"transforms", FieldType::NamedItems, "", "none", "named transforms applied to the scenario as it is loaded (docs/transforms.md)", "transforms", ""},

    // ---- run
    {"run.horizon_years", FieldType::Number, "years", "10", "simulated horizon, warm-up included; above 0 and at most 200", "options", ""},
    {"run.warmup_years", FieldType::Number, "years", "2", "excluded from statistics; at least 0 and shorter than horizon_years", "options", ""},
    {"run.replications", FieldType::WholeNumber, "", "10", "independent replications, 1 … 1,000,000", "options", ""},
    {"run.seed", FieldType::WholeNumber, "", "1", "base random seed, 0 … 2⁶⁴−1; replication r uses streams keyed by (seed, r, …)", "options", ""},
    {"run.tracked_people", FieldType::WholeNumber, "people", "200", "people whose trajectories are kept for the animation, 0 … 10,000,000 (docs/animation.md); careflow run --track N overrides it; recording them does not change the results", "options", ""},

    // ---- governance
    {"governance.budget_mode", FieldType::BudgetMode, "", "aligned", "aligned: each agency's budget funds its own services; pooled: pool budgets fund their services and capacity follows the queue within a pool; lead: as pooled, the lead agency holds the pool's money", "options", ""},
    {"governance.lead_agency", FieldType::AgencyName, "", "none", "the agency holding the pooled money; required when budget_mode is lead", "options", ""},
    {"governance.integrated_assessment", FieldType::Boolean, "", "false", "when true, referrals to a service with integrated_into go to that service instead", "options", ""},

    // ---- handoffs
    {"handoffs.within_agency", FieldType::Distribution, "days", "1", "delay between two services of one agency; values at least 0", "options", ""},
    {"handoffs.across_agency", FieldType::Distribution, "days", "5", "delay between services of different agencies; values at least 0", "options", ""},

    // ---- economics
    {"economics.discount_rate", FieldType::Number, "per year", "0.035", "discount rate for net present values, from 0 to below 1 (HM Treasury Green Book: 3.5%)", "options", ""},

    // ---- region
    {"region.sites", FieldType::Names, "", kRequired, "the sites (councils, NHS trusts, regional providers) that run the services; unique; each must run at least one service", "options", ""},
    {"region.transfer_days", FieldType::Number, "days", "1", "the least time a move between sites takes (added to the hand-off delay), above 0; the parallel run's lookahead", "options", ""},

    // ---- agencies
    {"agencies[].name", FieldType::Text, "", kRequired, "the agency's name, unique", "agencies", ""},
    {"agencies[].budget_per_year", FieldType::Number, "£ / year", "0", "the agency's yearly budget, at least 0", "agencies", ""},

    // ---- pools
    {"pools[].name", FieldType::Text, "", kRequired, "the pooled budget's name, unique", "pools", ""},
    {"pools[].services", FieldType::ServiceNames, "", kRequired, "the services in the pool, at least 1; a service can be in one pool only", "pools", ""},
    {"pools[].budget_per_year", FieldType::Number, "£ / year", "0", "the pool's yearly budget, at least 0", "pools", ""},
    {"pools[].review_days", FieldType::Number, "days", "28", "how often capacity is re-allocated to follow the queue, above 0", "pools", ""},
    {"pools[].flexible_share", FieldType::Number, "share", "0.25", "share of each pooled service's places that can move, 0 … 1", "pools", ""},

    // ---- cohorts
    {"cohorts[].name", FieldType::Text, "", kRequired, "the cohort's name, unique", "cohorts", ""},
    {"cohorts[].population", FieldType::Number, "people", kRequired, "residents, 0 … 1e8", "cohorts", ""},
    {"cohorts[].age", FieldType::AgeRange, "years", kRequired, "ages of the residents, 0 ≤ min < max ≤ 130; arrivals' ages are uniform in [min, max)", "cohorts", "age_min,age_max"},
    {"cohorts[].episodes_per_1000_per_year", FieldType::Number, "per 1000 / year", kRequired, "new episodes of need per 1000 residents a year, at least 0", "cohorts", ""},
    {"cohorts[].trend_per_year", FieldType::Number, "fraction / year", "0", "population growth, −0.5 … 1 (0.01 = +1% a year)", "cohorts", ""},
    {"cohorts[].seasonality", FieldType::Section, "", "none", "a yearly cycle in new episodes", "", ""},
    {"cohorts[].seasonality.amplitude", FieldType::Number, "share", "0", "0 … 1: 0.1 = +10% at the peak, −10% half a year later", "cohorts", ""},
    {"cohorts[].seasonality.peak_day", FieldType::Number, "day of year", "15", "day of the year of the peak, 0 … 366", "cohorts", ""},
    {"cohorts[].entry", FieldType::ServiceName, "", kRequired, "the service where episodes start", "cohorts", ""},
    {"cohorts[].need_mix", FieldType::NeedShares, "shares", "all at the lowest level", "initial need of new episodes: shares 0 … 1 summing to 1 (±1e-6), e.g. {additional: 0.6, complex: 0.4}; levels not named get 0", "cohorts", ""},
    {"cohorts[].coproduction", FieldType::Section, "", "", "what people can do for themselves; each person's capacity is uniform in [min, max]", "", ""},
    {"cohorts[].coproduction.min", FieldType::Number, "0 ... 1", "0", "lowest per-person capacity, 0 … 1", "cohorts", ""},
    {"cohorts[].coproduction.max", FieldType::Number, "0 ... 1", "1", "highest per-person capacity, min … 1", "cohorts", ""},
    {"cohorts[].coproduction.effect", FieldType::Number, "0 ... 1", "0.5", "escalation hazard × (1 − effect × capacity), 0 … 1", "cohorts", ""},
    {"cohorts[].rereferral_probability", FieldType::Number, "probability", "0", "after leaving with need above the lowest level, the chance of coming back (when: time_to_return), 0 … 1", "cohorts", ""},
    {"cohorts[].return_to", FieldType::ServiceName, "", "the entry", "the service people who come back return to (a front door or an assessment)", "cohorts", ""},
    {"cohorts[].referred_return_probability", FieldType::Number, "probability", "as rereferral_probability", "after an episode that reached the referral service (indicators.referrals), a case closed: the chance of being referred again (when: time_to_return; where: referred_return_to), whatever the need on leaving, 0 … 1", "cohorts", ""},
    {"cohorts[].referred_return_to", FieldType::ServiceName, "", "the referral service", "where a case closed after a referral comes back to (a re-referral)", "cohorts", ""},
    {"cohorts[].time_to_return", FieldType::Distribution, "days", "uniform 0 … 365", "days from leaving to coming back; values at least 0 (returns within 12 months of the last referral are re-referrals)", "cohorts", ""},
    {"cohorts[].self_funder_share", FieldType::Number, "share", "0", "share who pay for their own care, 0 … 1", "cohorts", ""},
    {"cohorts[].transition", FieldType::Section, "", "none", "young people with ongoing needs move to adult services at an age", "", ""},
    {"cohorts[].transition.to", FieldType::ServiceName, "", kRequired, "the service a young person with ongoing needs moves to", "cohorts", ""},
    {"cohorts[].transition.age", FieldType::Number, "years", "18", "the age of that move, above the cohort's minimum age", "cohorts", ""},

    // ---- services
    {"services[].name", FieldType::Text, "", kRequired, "the service's name, unique; not exit or died", "services", ""},
    {"services[].tier", FieldType::Tier, "", kRequired, "the level of provision", "services", ""},
    {"services[].kind", FieldType::ServiceKind, "", "service", "assessment: counted as an assessment (NI 132); hospital: discharge waits in the bed (delayed transfer of care)", "services", ""},
    {"services[].agency", FieldType::AgencyName, "", kRequired, "the owning agency", "services", ""},
    {"services[].capacity", FieldType::WholeNumber, "places", "required without units; with units their sum", "workers' caseload slots, beds, teams: 1 … 10,000,000; given with units, the total, split over the units in proportion to their places", "services", ""},
    {"services[].units", FieldType::Items, "", "one unit of capacity", "localities, teams, provider panels or bed types, each with its own places and queue (at most 64)", "services", ""},
    {"services[].units[].name", FieldType::Text, "", kRequired, "the unit's name, unique within the service", "", ""},
    {"services[].units[].capacity", FieldType::WholeNumber, "places", kRequired, "the unit's places, 0 … 10,000,000; the units' places add up to at least 1", "", ""},
    {"services[].units[].share", FieldType::Number, "share", "its share of the places", "0 … 1: the share of the service's people who live in its area (unit_choice area); give every unit one or none, adding up to 1", "", ""},
    {"services[].unit_choice", FieldType::UnitChoice, "", "area", "how a person gets a unit: area (where they live: the same draw at every service) or most_free (the unit with the most free places, else the shortest queue)", "services", ""},
    {"services[].allocation_days", FieldType::Distribution, "days", "none", "allocation or brokerage: days from arriving to joining a unit's queue (finding a provider, allocating a worker), values at least 0; part of the wait, and of a held bed's delay", "services", ""},
    {"services[].capacity_schedule", FieldType::Items, "days / places", "none", "later changes of capacity, e.g. [{at_years: 2, capacity: 40}]", "services", ""},
    {"services[].capacity_schedule[].at_days", FieldType::Number, "days", "", "when the change happens, in days from the start, at least 0; steps strictly increasing (give at_days or at_years)", "", ""},
    {"services[].capacity_schedule[].at_years", FieldType::Number, "years", "", "when the change happens, in years from the start", "", ""},
    {"services[].capacity_schedule[].capacity", FieldType::WholeNumber, "places", kRequired, "places from then on, 0 … 10,000,000 (0 closes the service)", "", ""},
    {"services[].duration", FieldType::Distribution, "days", kRequired, "length of service (of stay, of support); values at least 0, mean above 0", "services", ""},
    {"services[].discipline", FieldType::Discipline, "", "fifo", "priority: higher need served first", "services", ""},
    {"services[].max_queue", FieldType::WholeOrUnlimited, "people", "unlimited", "at least 0; arrivals beyond it are turned away (to overflow_to)", "services", ""},
    {"services[].patience_days", FieldType::Distribution, "days", "unlimited", "a number of days or a distribution with a mean above 0; each person waiting longer than their own draw leaves the queue (to overflow_to)", "services", ""},
    {"services[].overflow_to", FieldType::ServiceOrExit, "", "exit", "where people turned away or giving up go", "services", ""},
    {"services[].cost", FieldType::Section, "", "all 0", "unit costs, each at least 0; an occupied place costs per_day + per_week / 7 + per_hour × hours_per_week / 7 a day", "", ""},
    {"services[].cost.per_contact", FieldType::Number, "£", "0", "each time a person starts the service, and each review", "services", ""},
    {"services[].cost.per_episode", FieldType::Number, "£", "0", "per episode, at the start", "services", ""},
    {"services[].cost.per_day", FieldType::Number, "£ / day", "0", "per occupied place", "services", ""},
    {"services[].cost.per_week", FieldType::Number, "£ / week", "0", "per occupied place", "services", ""},
    {"services[].cost.per_hour", FieldType::Number, "£ / hour", "0", "per hour of care", "services", ""},
    {"services[].cost.hours_per_week", FieldType::Number, "hours / week", "0", "hours of care a week per place, at most 168", "services", ""},
    {"services[].escalation_per_year", FieldType::Number, "per year", "0", "hazard of need rising one level while waiting here, at least 0", "services", ""},
    {"services[].de_escalation_per_year", FieldType::Number, "per year", "0", "hazard of need falling one level while served here, at least 0", "services", ""},
    {"services[].escalate_to", FieldType::ServiceName, "", "none (stays)", "a person whose need reaches the top level while waiting is re-referred here", "services", ""},
    {"services[].integrated_into", FieldType::ServiceName, "", "none", "with integrated_assessment true, referrals here go there instead; not itself", "services", ""},
    {"services[].covered_by_integrated", FieldType::Boolean, "", "false", "another agency's assessment that the integrated assessment covers: with integrated_assessment true, a person whose pathway has had an integrated assessment skips it and goes straight on by its routes", "services", ""},
    {"services[].dtoc_reason", FieldType::Text, "", "the service's name", "why a person holding a place (a medically fit hospital patient) waits for this service: the delay's reason, best in the words of the NHS discharge sitrep (awaiting care package in own home)", "services", ""},
    {"services[].holds_place", FieldType::Boolean, "", "true for a hospital, else false", "blocking after service: a person who has finished keeps the place, occupied and costed, until the next service starts (a hospital: always)", "services", ""},
    {"services[].site", FieldType::SiteName, "", "the first site", "in a region: the site that runs this service", "services", ""},
    {"services[].review", FieldType::Section, "", "no reviews", "reviews of the people being served", "", ""},
    {"services[].review.every_days", FieldType::Number, "days", "0", "review interval, at least 0 (0: no reviews)", "services", ""},
    {"services[].review.cost", FieldType::Number, "£", "0", "per review, at least 0", "services", ""},
    {"services[].review.step_down_probability", FieldType::Number, "probability", "0", "0 … 1: at a review the person leaves early…", "services", ""},
    {"services[].review.step_down_to", FieldType::ServiceOrExit, "", "exit", "…for this service", "services", ""},
    {"services[].routes", FieldType::Items, "", "none (everyone leaves)", "after service, the first rule whose when holds chooses the next service at random with the rule's probabilities; if no rule holds the person leaves", "", ""},
    {"services[].routes[].when", FieldType::Section, "", "always", "the rule's condition: every part given must hold", "", ""},
    {"services[].routes[].when.need", FieldType::NeedLevelOrList, "", "any", "the person's need level", "pathways", "need"},
    {"services[].routes[].when.age", FieldType::AgeCondition, "years", "any", "the person's age, min inclusive, max exclusive", "pathways", "age"},
    {"services[].routes[].when.cohort", FieldType::CohortOrList, "", "any", "the person's cohort", "pathways", "cohort"},
    {"services[].routes[].to", FieldType::ServiceProbabilities, "probability", kRequired, "where people go: probabilities 0 … 1 summing to 1 (±1e-6), in YAML order; exit means leaving the care system, died a death (never re-referred, not at home for NI 125)", "pathways", "to,probability"},

    // ---- discharge checks
    {"discharge_checks[].reason", FieldType::Text, "", kRequired, "what a medically fit patient waits for (assessment, funding decision)", "discharge_checks", ""},
    {"discharge_checks[].probability", FieldType::Number, "probability", kRequired, "share of medically fit patients of every hospital service who wait, 0 … 1", "discharge_checks", ""},
    {"discharge_checks[].duration", FieldType::Distribution, "days", kRequired, "how long they wait; values at least 0", "discharge_checks", ""},

    // ---- indicators
    {"indicators.referrals", FieldType::ServiceName, "", "none", "children's social care referrals: arrivals at this service", "options", ""},
    {"indicators.child_protection", FieldType::ServiceName, "", "none", "child protection plans (starts and stock)", "options", ""},
    {"indicators.looked_after", FieldType::ServiceName, "", "none", "looked-after children (stock)", "options", ""},
    {"indicators.strategy_discussion", FieldType::ServiceName, "", "none", "the urgent child-protection pathway's strategy discussion: the ICPC timescale runs from its start", "options", ""},
    {"indicators.s47", FieldType::ServiceName, "", "none", "section 47 enquiries (starts a year per 10,000 children)", "options", ""},
    {"indicators.icpc", FieldType::ServiceName, "", "none", "initial child protection conferences: the share starting within icpc_target_days of the strategy discussion", "options", ""},
    {"indicators.icpc_target_days", FieldType::Number, "days", "21", "the ICPC timescale, above 0 (15 working days of the strategy discussion)", "options", ""},
    {"indicators.reablement", FieldType::ServiceName, "", "none", "NI 125 / ASCOF 2B: at home 91 days after discharge into re-ablement", "options", ""},
    {"indicators.residential", FieldType::ServiceName, "", "none", "ASCOF 2A: permanent admissions of people 65+", "options", ""},
    {"indicators.hospital", FieldType::ServiceName, "", "none", "NI 131: delayed transfers of care", "options", ""},
    {"indicators.assessments", FieldType::ServiceOrList, "", "none", "NI 132: referral to completed assessment", "options", ""},
    {"indicators.assessment_target_days", FieldType::Number, "days", "28", "NI 132 timeliness target, above 0", "options", ""},
    {"indicators.package_target_days", FieldType::Number, "days", "28", "NI 133 target (assessment completed to service start), above 0", "options", ""},
    {"indicators.older_people_cohort", FieldType::CohortName, "", "none", "the cohort whose population is the 65+ denominator", "options", ""},
    {"indicators.children_cohort", FieldType::CohortName, "", "none", "the cohort whose population is the children denominator", "options", ""},

    // ---- transforms (their parameters: transforms.hpp, docs/transforms.md)
    {"transforms[].name", FieldType::Text, "", kRequired, "a named transform; its other fields are its parameters", "transforms", "transform"},
});
// clang-format on

/// The row of a path pattern ("services[].capacity"), or nullptr.
const ScenarioField* find_scenario_field(std::string_view pattern);

/// The keys a map at `pattern` may hold, in table order: "" for the top level,
/// "services[]" for a service, "services[].cost" for its costs.
std::vector<std::string> scenario_field_keys(std::string_view pattern);

/// The pattern that holds `pattern` ("services[].cost" for "services[].cost.per_day",
/// "services" for "services[]"; "" at the top level).
std::string_view parent_pattern(std::string_view pattern);

/// The last key of a pattern ("per_day" of "services[].cost.per_day").
std::string_view field_key(std::string_view pattern);

/// A field written at the top level that belongs under a section or in a list's items
/// ("horizon_years" → "run"), if the table has it there; "" otherwise.
std::string_view misplaced_section(std::string_view key);

/// The docs' words for a field's type ("whole number", "`fifo` \| `priority`").
std::string field_type_words(FieldType type);

}  // namespace careflow::models
