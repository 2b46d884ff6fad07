// What a site of the care model reports (private to models/): per-service figures, the money
// ledger's books and the totals, since the end of the warm-up. Figures are merged across sites
// (absorb), travel between processes as bytes (save/load: one serialiser, driven by the field
// lists below) and are all the metric table reads (care/metrics.cpp): nothing reads the LP.
#pragma once

#include <cstdint>
#include <vector>

#include "careflow/engine/bytes.hpp"
#include "careflow/engine/statistics.hpp"
#include "careflow/models/results.hpp"
#include "careflow/models/scenario.hpp"

namespace careflow::models::care {

struct ServiceFigures {
  QuantileSketch waits;  // fixed memory: quantiles within 0.5%, mean exact
  std::uint64_t arrivals = 0, starts = 0, balked = 0, reneged = 0, starts_65plus = 0;
  std::uint64_t escalated_out = 0;  // left the queue for escalate_to when their need reached the top
  double spend = 0;
  // Figures of the service's queue over the appraisal period, taken when the run ends by the
  // site that runs the service (the other sites' copies stay zero).
  struct Queue {
    double utilisation = 0, mean_queue = 0, mean_busy = 0;
    // The mean of the weekly queue (people waiting at each week's end) over the last third of
    // the appraisal period minus that over its first third: the stationarity check (results.hpp
    // unstable_queues). NaN when a third holds no week's end.
    double growth = 0;
  } queue;
  TimeWeighted delayed_beds;  // a hospital's beds held by medically fit patients (delayed transfers)
  // A service made of units (ServiceSpec::units): each unit's figures over the appraisal period,
  // from the site that runs the service (empty for a service of one unit).
  struct Unit {
    Tally waits;  // referral to start, as `waits`, of the people the unit served
    double utilisation = 0, mean_queue = 0;
  };
  std::vector<Unit> units;

  // Calls f on every figure that adds up across sites, of one or side by side of several.
  template <class F, class... T>
  static void additive(F&& f, T&... t) {
    f(t.waits...), f(t.arrivals...), f(t.starts...), f(t.balked...), f(t.reneged...), f(t.starts_65plus...);
    f(t.escalated_out...);
    f(t.spend...);
  }
};

/// The ledger's books (care/ledger.hpp), from the end of the warm-up.
struct Money {
  std::vector<double> by_agency, by_pot, by_tier;  // pots: one per agency, then one per pool
  std::vector<double> by_year;  // whole or part years of the appraisal period
  double discounted = 0;        // discounted to the end of the warm-up
  double self_funded = 0;       // paid by self-funders: outside every budget
  double one_off = 0;           // one-off costs (e.g. restructuring), booked to agencies, not to services

  template <class F, class... T>
  static void each(F&& f, T&... t) {
    f(t.by_agency...), f(t.by_pot...), f(t.by_tier...), f(t.by_year...), f(t.discounted...), f(t.self_funded...);
    f(t.one_off...);
  }
};

struct Totals {
  std::uint64_t entered = 0, exited = 0;
  std::uint64_t entered_after_warmup = 0;  // new episodes and re-referrals in the appraisal period
  std::uint64_t step_ups = 0, step_downs = 0;
  Tally specialist_days;
  std::uint64_t referrals = 0, rereferrals = 0;
  std::uint64_t assessments_done = 0, assessments_on_time = 0;
  Tally assessment_days;
  std::uint64_t packages = 0, packages_on_time = 0;
  Tally package_days;
  std::uint64_t follow_ups = 0, at_home = 0;
  std::uint64_t assessments_started = 0;
  Tally pathway_days;  // first assessment's referral to the start of the service it led to
  Tally contact_days;  // an episode's first contact to the start of its first service
  std::uint64_t transfers_out = 0, transfers_in = 0;  // people moved to / from other sites
  std::uint64_t icpcs = 0, icpcs_on_time = 0;  // ICPCs of the urgent pathway, and those within the target

  template <class F, class... T>
  static void each(F&& f, T&... t) {
    f(t.entered...), f(t.exited...), f(t.entered_after_warmup...), f(t.step_ups...), f(t.step_downs...);
    f(t.specialist_days...), f(t.referrals...), f(t.rereferrals...), f(t.assessments_done...);
    f(t.assessments_on_time...), f(t.assessment_days...), f(t.packages...), f(t.packages_on_time...);
    f(t.package_days...), f(t.follow_ups...), f(t.at_home...), f(t.assessments_started...), f(t.pathway_days...);
    f(t.contact_days...);
    f(t.transfers_out...), f(t.transfers_in...);
    f(t.icpcs...), f(t.icpcs_on_time...);
  }
};

/// Whole or part years after the warm-up; the last one may be short.
std::size_t appraisal_years(const Scenario& s);

struct SiteFigures {
  explicit SiteFigures(const Scenario& s);

  std::vector<ServiceFigures> services;
  Money money;
  Totals totals;
  // Beds of the indicators' hospital held by medically fit patients, by reason (DelayReasons).
  std::vector<TimeWeighted> delayed_by_reason;
  double end = 0;                     // when the run ended
  std::uint64_t events = 0;           // handled by the site
  std::uint64_t person_records = 0;   // the most person records the site held at once
  std::uint64_t invariant_checks = 0; // times people and money were found conserved

  /// Adds another site's figures into these (after a run, in site order): counts and money add
  /// up, sketches and tallies merge, delayed beds add up to `end`, and each service's queue
  /// figures come from the site that runs it (`runs(sv)` is true for the other site's services).
  template <class Runs>
  void absorb(const SiteFigures& o, Runs&& runs) {
    for (std::size_t sv = 0; sv < services.size(); ++sv) {
      ServiceFigures::additive([](auto& a, const auto& b) { add_into(a, b); }, services[sv], o.services[sv]);
      if (runs(sv)) services[sv].queue = o.services[sv].queue, services[sv].units = o.services[sv].units;
      services[sv].delayed_beds.merge(o.services[sv].delayed_beds, end);
    }
    for (std::size_t r = 0; r < delayed_by_reason.size(); ++r) delayed_by_reason[r].merge(o.delayed_by_reason[r], end);
    Money::each([](auto& a, const auto& b) { add_into(a, b); }, money, o.money);
    Totals::each([](auto& a, const auto& b) { add_into(a, b); }, totals, o.totals);
    invariant_checks += o.invariant_checks;
  }

  void save(ByteWriter& w) const;
  void load(ByteReader& r);

  static void add_into(std::uint64_t& a, std::uint64_t b) { a += b; }
  static void add_into(double& a, double b) { a += b; }
  static void add_into(Tally& a, const Tally& b) { a.merge(b); }
  static void add_into(QuantileSketch& a, const QuantileSketch& b) { a.merge(b); }
  static void add_into(std::vector<double>& a, const std::vector<double>& b) {
    for (std::size_t k = 0; k < a.size() && k < b.size(); ++k) a[k] += b[k];
  }
};

/// A replication's records and series as bytes and back (a site run by another process), one
/// record type after another; record types with text go column by column (records.hpp).
void save_records(ByteWriter& w, const ReplicationResult& r);
void load_records(ByteReader& r, ReplicationResult& out);

}  // namespace careflow::models::care
