// The figures a care-model run reports, declared once: each metric's family, name, unit, the
// kinds of subject it is reported for (the whole system, a service, a tier, an agency, a budget
// pot or pool, a year) and which direction is better where one is (for scorecards and colours:
// a lower wait is better, a higher NI 132 is better, a referral count is neither). The values
// are computed from a site's figures in models/src/care/metrics.cpp, which can only emit a
// metric of this table; tests/models/test_vocabulary.cpp checks that every row is reported.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "careflow/models/results.hpp"
#include "careflow/models/vocabulary.hpp"

namespace careflow::models {

/// What a figure is about. A MetricId's subject is "" for the system, a service's name, or the
/// kind's prefix and a name ("tier:specialist", "agency:nhs", "pot:…", "pool:…", "year:01",
/// "reason:home care", "unit:home_care/north").
enum class SubjectKind : std::uint8_t { System, Service, Tier, Agency, Pot, Pool, Year, Reason, Unit };
inline constexpr std::array<Term<SubjectKind>, 9> kSubjectKinds{{
    {SubjectKind::System, "system", "the whole care system"},
    {SubjectKind::Service, "service", "one service"},
    {SubjectKind::Tier, "tier", "all services of a tier"},
    {SubjectKind::Agency, "agency", "an agency's spending"},
    {SubjectKind::Pot, "pot", "an agency's budget pot"},
    {SubjectKind::Pool, "pool", "a pooled budget"},
    {SubjectKind::Year, "year", "a year of the appraisal period"},
    {SubjectKind::Reason, "reason", "a reason medically fit patients wait in a hospital bed"},
    {SubjectKind::Unit, "unit", "a unit of a service (a locality, team, panel): service/unit"},
}};
template <>
constexpr const auto& terms<SubjectKind>() { return kSubjectKinds; }

/// The subject of a figure about `name` ("" for the system): "tier:specialist", "early_help", …
std::string subject_label(SubjectKind kind, std::string_view name);
/// The kind of a subject as written in results (the inverse of subject_label).
SubjectKind subject_kind(std::string_view subject);

/// Which way a figure should move for the care system to be better off.
enum class Better : std::int8_t { Lower = -1, Neither = 0, Higher = 1 };

struct MetricDef {
  std::string_view family;  // waits, activity, step_changes, costs, indicators, invariants
  std::string_view name;
  std::string_view unit;
  std::uint16_t subjects;  // a bit per SubjectKind it is reported for
  Better better;
  std::string_view meaning;

  constexpr bool about(SubjectKind k) const noexcept { return subjects & (1u << static_cast<unsigned>(k)); }
};

namespace metric_subjects {
inline constexpr std::uint16_t bit(SubjectKind k) { return static_cast<std::uint16_t>(1u << static_cast<unsigned>(k)); }
inline constexpr std::uint16_t kSystem = bit(SubjectKind::System), kService = bit(SubjectKind::Service),
                              kTier = bit(SubjectKind::Tier), kAgency = bit(SubjectKind::Agency), kPot = bit(SubjectKind::Pot),
                              kPool = bit(SubjectKind::Pool), kYear = bit(SubjectKind::Year),
                              kReason = bit(SubjectKind::Reason), kUnit = bit(SubjectKind::Unit);
}  // namespace metric_subjects

namespace metric {
using namespace metric_subjects;
using enum Better;
inline constexpr MetricDef kMeanWait{"waits", "mean_wait_days", "days", kService | kTier | kUnit, Lower, "mean days from referral to the start of service"};
inline constexpr MetricDef kMedianWait{"waits", "median_wait_days", "days", kService, Lower, "median days from referral to the start of service"};
inline constexpr MetricDef kP90Wait{"waits", "p90_wait_days", "days", kService | kTier, Lower, "90th percentile of the wait"};
inline constexpr MetricDef kP95Wait{"waits", "p95_wait_days", "days", kService, Lower, "95th percentile of the wait"};
inline constexpr MetricDef kReferralToAssessment{"waits", "referral_to_assessment_days", "days", kSystem, Lower,
                                                 "mean days from referral to a completed assessment (the NI 132 assessments)"};
inline constexpr MetricDef kAssessmentToService{"waits", "assessment_to_service_days", "days", kSystem, Lower,
                                                "mean days from a completed assessment to the start of the service it led to (NI 133)"};
inline constexpr MetricDef kFirstAssessmentToService{"waits", "first_assessment_to_service_days", "days", kSystem, Lower,
                                                     "mean days from the first assessment's referral to the start of the service"};
inline constexpr MetricDef kContactToService{"waits", "contact_to_service_days", "days", kSystem, Lower,
                                             "mean days from an episode's first contact (a new arrival or a return) to the "
                                             "start of its first service beyond the mainstream tier that is not an assessment"};
inline constexpr MetricDef kAssessmentsPerYear{"activity", "assessments_per_year", "assessments", kSystem, Neither,
                                               "assessments started a year"};
inline constexpr MetricDef kAssessmentsPerEpisode{"activity", "assessments_per_episode", "assessments", kSystem, Lower,
                                                  "assessments started per episode of need begun in the appraisal period"};
inline constexpr MetricDef kStepUpsPer10000{"step_changes", "step_ups_per_10000_per_year", "per 10,000", kSystem, Lower,
                                            "moves up into specialist provision a year per 10,000 residents"};
inline constexpr MetricDef kStepDownsPer10000{"step_changes", "step_downs_per_10000_per_year", "per 10,000", kSystem, Neither,
                                              "moves down from specialist provision a year per 10,000 residents"};
inline constexpr MetricDef kStepUps{"step_changes", "step_ups_per_year", "people", kSystem, Lower,
                                    "moves up into specialist provision a year"};
inline constexpr MetricDef kStepDowns{"step_changes", "step_downs_per_year", "people", kSystem, Neither,
                                      "moves down from specialist provision a year"};
inline constexpr MetricDef kDaysInSpecialist{"step_changes", "mean_days_in_specialist", "days", kSystem, Neither,
                                             "mean days from a step up to the step down"};
inline constexpr MetricDef kSpendPerYear{"costs", "spend_per_year", "£", kSystem | kAgency | kPot | kPool | kTier | kService, Lower,
                                         "£ spent a year in the appraisal period"};
inline constexpr MetricDef kDiscountedSpend{"costs", "discounted_spend", "£", kSystem, Lower,
                                            "£ spent over the appraisal period, discounted to its start"};
inline constexpr MetricDef kSelfFunded{"costs", "self_funded_per_year", "£", kSystem, Neither,
                                       "£ a year paid by self-funders for their own care (outside every budget)"};
inline constexpr MetricDef kOneOffCosts{"costs", "one_off_costs", "£", kSystem, Lower, "one-off costs (e.g. restructuring)"};
inline constexpr MetricDef kSpendInYear{"costs", "spend_in_year", "£", kYear, Lower, "£ spent in a year of the appraisal period"};
inline constexpr MetricDef kSpendPerPerson{"costs", "spend_per_person", "£", kSystem, Lower,
                                           "£ spent per episode of need that began in the appraisal period"};
inline constexpr MetricDef kOverBudget{"costs", "over_budget_per_year", "£", kPot | kPool, Lower,
                                       "£ a year spent beyond a budget (reported, not enforced)"};
inline constexpr MetricDef kNI132{"indicators", "NI132_assessments_on_time", "%", kSystem, Higher,
                                  "assessments completed within the target days of referral"};
inline constexpr MetricDef kNI133{"indicators", "NI133_packages_on_time", "%", kSystem, Higher,
                                  "services started within the target days of a completed assessment"};
inline constexpr MetricDef kNI131{"indicators", "NI131_delayed_beds_per_100000_adults", "per 100,000", kSystem, Lower,
                                  "hospital beds held by medically fit patients, per 100,000 adults"};
inline constexpr MetricDef kDelayedBedDays{"indicators", "delayed_bed_days_per_year", "days", kSystem | kReason, Lower,
                                           "bed-days a year of delayed transfers of care, in all and by what the patients "
                                           "waited for (a discharge check's reason, or the awaited service's dtoc_reason)"};
inline constexpr MetricDef kDelayedBedCost{"indicators", "delayed_bed_cost_per_year", "£", kSystem, Lower,
                                           "cost a year of delayed bed-days at the hospital's bed-day rate"};
inline constexpr MetricDef kNI125{"indicators", "NI125_at_home_91_days", "%", kSystem, Higher,
                                  "older people at home 91 days after discharge into re-ablement (ASCOF 2B)"};
inline constexpr MetricDef kASCOF2A{"indicators", "ASCOF2A_admissions_65plus_per_100000", "per 100,000", kSystem, Lower,
                                    "permanent admissions of people 65+ to residential care a year, per 100,000 65+"};
inline constexpr MetricDef kReferrals{"indicators", "referrals_per_10000_children", "per 10,000", kSystem, Neither,
                                      "referrals to children's social care a year, per 10,000 children"};
inline constexpr MetricDef kRereferrals{"indicators", "rereferrals_within_12_months", "%", kSystem, Lower,
                                        "referrals within 12 months of a previous referral"};
inline constexpr MetricDef kCPStarts{"indicators", "child_protection_starts_per_10000", "per 10,000", kSystem, Neither,
                                     "child protection plans starting a year, per 10,000 children"};
inline constexpr MetricDef kCPPlans{"indicators", "child_protection_plans_per_10000", "per 10,000", kSystem, Neither,
                                    "children on a child protection plan, per 10,000 children (mean stock)"};
inline constexpr MetricDef kS47{"indicators", "section_47_enquiries_per_10000", "per 10,000", kSystem, Neither,
                                "section 47 enquiries starting a year, per 10,000 children"};
inline constexpr MetricDef kICPCOnTime{"indicators", "ICPC_within_15_working_days", "%", kSystem, Higher,
                                       "initial child protection conferences starting within icpc_target_days of the "
                                       "child's strategy discussion"};
inline constexpr MetricDef kLookedAfter{"indicators", "looked_after_per_10000", "per 10,000", kSystem, Neither,
                                        "looked-after children per 10,000 children (mean stock)"};
inline constexpr MetricDef kArrivals{"activity", "arrivals_per_year", "people", kService, Neither, "referrals arriving a year"};
inline constexpr MetricDef kStarts{"activity", "starts_per_year", "people", kService, Neither, "people starting the service a year"};
inline constexpr MetricDef kUtilisation{"activity", "utilisation", "share", kService | kUnit, Neither,
                                        "share of the places in use over the appraisal period"};
inline constexpr MetricDef kMeanQueue{"activity", "mean_queue", "people", kService | kUnit, Lower, "mean number of people waiting"};
inline constexpr MetricDef kQueueGrowth{"activity", "queue_growth", "people", kService, Lower,
                                        "mean queue over the last third of the appraisal period minus the first third "
                                        "(weekly counts): a rise the replications agree on means an unstable queue"};
inline constexpr MetricDef kTurnedAway{"activity", "turned_away_per_year", "people", kService, Lower,
                                       "people turned away by a full queue or giving up waiting, a year"};
inline constexpr MetricDef kBalked{"activity", "balked_per_year", "people", kService, Lower,
                                   "people turned away on arrival by a full queue (max_queue), a year"};
inline constexpr MetricDef kReneged{"activity", "reneged_per_year", "people", kService, Lower,
                                    "people who gave up waiting (patience_days), a year"};
inline constexpr MetricDef kEscalatedOut{"activity", "escalated_out_per_year", "people", kService, Lower,
                                         "people whose need reached the top level while waiting and who moved on to the "
                                         "service's escalate_to, a year"};
inline constexpr MetricDef kPlacesHeld{"activity", "places_held_waiting", "places", kService, Lower,
                                       "mean places held by people who have finished here and wait in the next service's "
                                       "queue (a service that holds_place; a hospital's delayed beds)"};
inline constexpr MetricDef kPeopleEntered{"invariants", "people_entered", "people", kSystem, Neither,
                                          "episodes of need begun (new and re-referred), warm-up included"};
inline constexpr MetricDef kPeopleExited{"invariants", "people_exited", "people", kSystem, Neither,
                                         "people who left the care system, warm-up included"};
}  // namespace metric

/// Every metric, in the order the figures are reported.
inline constexpr std::array<const MetricDef*, 48> kMetrics{{
    &metric::kMeanWait, &metric::kMedianWait, &metric::kP90Wait, &metric::kP95Wait, &metric::kReferralToAssessment,
    &metric::kAssessmentToService, &metric::kFirstAssessmentToService, &metric::kContactToService, &metric::kAssessmentsPerYear, &metric::kAssessmentsPerEpisode,
    &metric::kStepUpsPer10000, &metric::kStepDownsPer10000, &metric::kStepUps, &metric::kStepDowns,
    &metric::kDaysInSpecialist, &metric::kSpendPerYear, &metric::kDiscountedSpend, &metric::kSelfFunded,
    &metric::kOneOffCosts, &metric::kSpendInYear, &metric::kSpendPerPerson, &metric::kOverBudget, &metric::kNI132,
    &metric::kNI133, &metric::kNI131, &metric::kDelayedBedDays, &metric::kDelayedBedCost, &metric::kNI125,
    &metric::kASCOF2A, &metric::kReferrals, &metric::kRereferrals, &metric::kCPStarts, &metric::kCPPlans, &metric::kS47, &metric::kICPCOnTime,
    &metric::kLookedAfter, &metric::kArrivals, &metric::kStarts, &metric::kUtilisation, &metric::kMeanQueue,
    &metric::kQueueGrowth, &metric::kTurnedAway, &metric::kBalked, &metric::kReneged, &metric::kEscalatedOut,
    &metric::kPlacesHeld, &metric::kPeopleEntered, &metric::kPeopleExited,
}};

/// The definition of a reported figure, or nullptr for an id no run reports.
const MetricDef* find_metric(std::string_view family, std::string_view name);
inline const MetricDef* find_metric(const MetricId& id) { return find_metric(id.family, id.name); }

}  // namespace careflow::models
