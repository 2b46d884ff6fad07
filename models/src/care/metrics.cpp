// Every figure of a run, computed from the merged figures of its sites (care/site_figures.hpp)
// and emitted through a row of the metric table (careflow/models/metrics.hpp), in report order.
#include "care/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "care/delays.hpp"
#include "care/events.hpp"

namespace careflow::models {

std::string subject_label(SubjectKind kind, std::string_view name) {
  std::string out;
  if (kind != SubjectKind::System && kind != SubjectKind::Service) out.append(name_of(kind)).append(":");
  out.append(name);
  return out;
}

SubjectKind subject_kind(std::string_view subject) {
  if (subject.empty()) return SubjectKind::System;
  const auto colon = subject.find(':');
  if (colon != std::string_view::npos)
    if (const auto k = parse_term<SubjectKind>(subject.substr(0, colon))) return *k;
  return SubjectKind::Service;
}

const MetricDef* find_metric(std::string_view family, std::string_view name) {
  for (const MetricDef* m : kMetrics)
    if (m->family == family && m->name == name) return m;
  return nullptr;
}

namespace care {
namespace {

using namespace metric;

// "01", "02", …, "10": two digits at least, so that years sort.
std::string year_name(std::size_t y) {
  std::string out = y < 10 ? "0" : "";
  return out.append(std::to_string(y));
}

template <class Emit>
void figures(const Scenario& s, const SiteFigures& f, Emit&& emit) {
  const double years = (s.horizon_years - s.warmup_years);
  const double end = s.horizon_years * kDaysPerYear;
  auto pct = [](std::uint64_t a, std::uint64_t b) { return b ? 100.0 * static_cast<double>(a) / static_cast<double>(b) : kNaN; };
  auto per_year = [&](std::uint64_t n) { return static_cast<double>(n) / years; };
  double population = 0, children = 0, older = 0, adults = 0;
  for (const CohortSpec& c : s.cohorts) {
    population += c.population;
    if (c.min_age >= 18) adults += c.population;
  }
  if (s.indicators.children_cohort != kExit) children = s.cohorts[static_cast<std::size_t>(s.indicators.children_cohort)].population;
  if (s.indicators.older_cohort != kExit) older = s.cohorts[static_cast<std::size_t>(s.indicators.older_cohort)].population;
  const Totals& T = f.totals;
  const Money& money = f.money;

  // Waiting times by service and by tier.
  std::vector<QuantileSketch> tier_waits(kCount<Tier>);
  for (std::size_t sv = 0; sv < s.services.size(); ++sv) {
    const std::string& n = s.services[sv].name;
    const QuantileSketch& w = f.services[sv].waits;
    tier_waits[static_cast<std::size_t>(s.services[sv].tier)].merge(w);
    emit(kMeanWait, n, w.mean());
    emit(kMedianWait, n, w.quantile(0.5));
    emit(kP90Wait, n, w.quantile(0.9));
    emit(kP95Wait, n, w.quantile(0.95));
    for (std::size_t u = 0; u < s.services[sv].units.size(); ++u) {
      const Tally& t = f.services[sv].units[u].waits;
      emit(kMeanWait, subject_label(SubjectKind::Unit, n + "/" + s.services[sv].units[u].name), t.count() ? t.mean() : kNaN);
    }
  }
  for (const auto& tier : kTiers) {
    const QuantileSketch& v = tier_waits[static_cast<std::size_t>(tier.value)];
    const std::string tn = subject_label(SubjectKind::Tier, tier.name);
    emit(kMeanWait, tn, v.mean());
    emit(kP90Wait, tn, v.quantile(0.9));
  }
  emit(kReferralToAssessment, "", T.assessment_days.mean());
  emit(kAssessmentToService, "", T.package_days.mean());
  emit(kFirstAssessmentToService, "", T.pathway_days.mean());
  emit(kContactToService, "", T.contact_days.mean());
  emit(kAssessmentsPerYear, "", per_year(T.assessments_started));
  emit(kAssessmentsPerEpisode, "", T.entered_after_warmup ? static_cast<double>(T.assessments_started) / static_cast<double>(T.entered_after_warmup) : kNaN);

  // Step changes.
  emit(kStepUpsPer10000, "", static_cast<double>(T.step_ups) / population * 1e4 / years);
  emit(kStepDownsPer10000, "", static_cast<double>(T.step_downs) / population * 1e4 / years);
  emit(kStepUps, "", per_year(T.step_ups));
  emit(kStepDowns, "", per_year(T.step_downs));
  emit(kDaysInSpecialist, "", T.specialist_days.mean());

  // Costs.
  double total = 0;
  for (double x : money.by_agency) total += x;
  emit(kSpendPerYear, "", total / years);
  emit(kDiscountedSpend, "", money.discounted);
  emit(kSelfFunded, "", money.self_funded / years);
  emit(kOneOffCosts, "", money.one_off);
  for (std::size_t y = 0; y < appraisal_years(s); ++y) emit(kSpendInYear, subject_label(SubjectKind::Year, year_name(y + 1)), money.by_year[y]);
  emit(kSpendPerPerson, "", T.entered_after_warmup ? total / static_cast<double>(T.entered_after_warmup) : kNaN);
  for (std::size_t a = 0; a < s.agencies.size(); ++a)
    emit(kSpendPerYear, subject_label(SubjectKind::Agency, s.agencies[a].name), money.by_agency[a] / years);
  const std::size_t pots = s.agencies.size() + s.pools.size();
  for (std::size_t k = 0; k < pots; ++k) {
    const bool is_pool = k >= s.agencies.size();
    const std::string name = is_pool ? subject_label(SubjectKind::Pool, s.pools[k - s.agencies.size()].name)
                                     : subject_label(SubjectKind::Pot, s.agencies[k].name);
    const double budget = is_pool ? s.pools[k - s.agencies.size()].annual_budget : s.agencies[k].annual_budget;
    const double spend = money.by_pot[k] / years;
    emit(kSpendPerYear, name, spend);
    emit(kOverBudget, name, std::max(0.0, spend - budget));
  }
  for (const auto& tier : kTiers)
    emit(kSpendPerYear, subject_label(SubjectKind::Tier, tier.name), money.by_tier[static_cast<std::size_t>(tier.value)] / years);
  for (std::size_t sv = 0; sv < s.services.size(); ++sv) emit(kSpendPerYear, s.services[sv].name, f.services[sv].spend / years);

  // Indicators planners report.
  const IndicatorMap& im = s.indicators;
  emit(kNI132, "", pct(T.assessments_on_time, T.assessments_done));
  emit(kNI133, "", pct(T.packages_on_time, T.packages));
  if (im.hospital != kExit) {
    const auto h = static_cast<std::size_t>(im.hospital);
    const TimeWeighted& delayed = f.services[h].delayed_beds;
    emit(kNI131, "", adults > 0 ? delayed.mean(end) / adults * 1e5 : kNaN);
    emit(kDelayedBedDays, "", delayed.area(end) / years);
    const DelayReasons reasons(s);
    for (std::size_t r = 0; r < reasons.labels.size(); ++r)
      emit(kDelayedBedDays, subject_label(SubjectKind::Reason, reasons.labels[r]), f.delayed_by_reason[r].area(end) / years);
    emit(kDelayedBedCost, "", delayed.area(end) * s.services[h].cost.daily_rate() / years);
  }
  if (im.reablement != kExit) emit(kNI125, "", pct(T.at_home, T.follow_ups));
  if (im.residential != kExit && older > 0)
    emit(kASCOF2A, "", static_cast<double>(f.services[static_cast<std::size_t>(im.residential)].starts_65plus) / older * 1e5 / years);
  if (im.referrals != kExit && children > 0) {
    emit(kReferrals, "", static_cast<double>(T.referrals) / children * 1e4 / years);
    emit(kRereferrals, "", pct(T.rereferrals, T.referrals));
  }
  if (im.child_protection != kExit && children > 0) {
    const ServiceFigures& cp = f.services[static_cast<std::size_t>(im.child_protection)];
    emit(kCPStarts, "", static_cast<double>(cp.starts) / children * 1e4 / years);
    emit(kCPPlans, "", cp.queue.mean_busy / children * 1e4);
  }
  if (im.s47 != kExit && children > 0)
    emit(kS47, "", static_cast<double>(f.services[static_cast<std::size_t>(im.s47)].starts) / children * 1e4 / years);
  if (im.icpc != kExit && im.strategy_discussion != kExit) emit(kICPCOnTime, "", pct(T.icpcs_on_time, T.icpcs));
  if (im.looked_after != kExit && children > 0)
    emit(kLookedAfter, "", f.services[static_cast<std::size_t>(im.looked_after)].queue.mean_busy / children * 1e4);

  // Activity by service.
  for (std::size_t sv = 0; sv < s.services.size(); ++sv) {
    const std::string& n = s.services[sv].name;
    const ServiceFigures& fig = f.services[sv];
    emit(kArrivals, n, per_year(fig.arrivals));
    emit(kStarts, n, per_year(fig.starts));
    emit(kUtilisation, n, fig.queue.utilisation);
    emit(kMeanQueue, n, fig.queue.mean_queue);
    for (std::size_t u = 0; u < fig.units.size(); ++u) {
      const std::string un = subject_label(SubjectKind::Unit, n + "/" + s.services[sv].units[u].name);
      emit(kUtilisation, un, fig.units[u].utilisation);
      emit(kMeanQueue, un, fig.units[u].mean_queue);
    }
    emit(kQueueGrowth, n, fig.queue.growth);
    emit(kTurnedAway, n, per_year(fig.balked + fig.reneged));
    emit(kBalked, n, per_year(fig.balked));
    emit(kReneged, n, per_year(fig.reneged));
    emit(kEscalatedOut, n, per_year(fig.escalated_out));
    if (s.services[sv].holds_place) emit(kPlacesHeld, n, fig.delayed_beds.mean(end));
  }
  emit(kPeopleEntered, "", static_cast<double>(T.entered));
  emit(kPeopleExited, "", static_cast<double>(T.exited));
}

}  // namespace

void collect(const Scenario& s, const SiteFigures& f, std::vector<MetricId>* ids, std::vector<double>* values) {
  figures(s, f, [&](const MetricDef& def, const std::string& subject, double value) {
    if (ids) ids->push_back(MetricId{std::string(def.family), std::string(def.name), subject, std::string(def.unit)});
    if (values) values->push_back(value);
  });
}

}  // namespace care
}  // namespace careflow::models
