// One site of the care model as a logical process (private to models/): the services it runs,
// the cohorts whose entry it runs and the people currently there. The flow of people is split by
// seam over four files: site_lp.cpp (events, sites and transfers, weekly bookkeeping, capacity,
// pools, invariants), flow.cpp (arrivals, referrals, queues, service, leaving, re-referral),
// discharge.cpp (hospital beds, discharge checks, delayed transfers, the 91-day follow-up) and
// timers.cpp (patience, escalation, reviews, the move at 18, prevention). Money goes through the
// Ledger, figures into SiteFigures, records to the Recorder; no state is public.
#pragma once

#include <atomic>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "careflow/engine/resource.hpp"
#include "careflow/engine/simulation.hpp"
#include "careflow/models/recorder.hpp"
#include "careflow/models/scenario.hpp"
#include "care/delays.hpp"
#include "care/events.hpp"
#include "care/ledger.hpp"
#include "care/person.hpp"
#include "care/site_figures.hpp"

namespace careflow::models::care {

class SiteLp final : public LogicalProcess {
 public:
  // One site of the scenario (the whole of it when it has one site).
  SiteLp(const Scenario& s, Recorder& recorder, int site = 0);

  void on_start(Context& ctx) override;
  void on_event(Context& ctx, const Event& e) override;
  void on_finish(Context& ctx) override;

  const SiteFigures& figures() const noexcept { return figs_; }
  /// A site run by another process: its figures as they arrived (SiteRunner).
  void load_figures(ByteReader& r) { figs_.load(r); }
  bool hosted(int sv) const { return s_.services[static_cast<std::size_t>(sv)].site == site_; }
  /// Throws std::runtime_error naming what is not conserved (people, queues, places, money).
  void check_invariants();
  /// Not null: the weekly event throws Cancelled once `flag` is set (ReplicationOptions::stop).
  void stop_when(const std::atomic<bool>* flag) noexcept { stop_ = flag; }

 private:
  // ---- site_lp.cpp: sites, bookkeeping events
  void transfer_out(Context& ctx, std::uint32_t i, double delay);
  void transfer_in(Context& ctx);
  void remote_place_freed(Context& ctx, std::uint64_t payload);
  void weekly(Context& ctx);
  void record_week(double now);
  void finish_series(double now);
  void end_warmup(Context& ctx);
  void capacity_change(Context& ctx, std::uint64_t payload);
  void set_capacity(Context& ctx, std::size_t sv, std::uint32_t c);
  Resource& unit(int sv, unsigned team) { return res_[first_unit_[static_cast<std::size_t>(sv)] + team]; }
  std::size_t units_of(std::size_t sv) const { return first_unit_[sv + 1] - first_unit_[sv]; }
  std::size_t queue_length(std::size_t sv) const;
  std::uint32_t busy(std::size_t sv) const;
  void pool_review(Context& ctx, std::size_t pool);

  // ---- flow.cpp: arrivals, moves, service, leaving
  double cohort_rate(std::size_t c, double t) const;
  double cohort_rate_max(std::size_t c) const;
  void next_arrival(Context& ctx, std::size_t c);
  void cohort_arrival(Context& ctx, std::size_t c);
  std::uint32_t new_person();
  void release_person(std::uint32_t i);
  void refer(Context& ctx, std::uint32_t i, int target, int from);
  void step_change(Person& p, double now, int from, int to, int direction);
  void arrive(Context& ctx, std::uint32_t i);
  void join(Context& ctx, std::uint32_t i);
  bool covered(std::uint32_t i) const {
    const auto w = pathway_.find(i);
    return w != pathway_.end() && w->second.integrated;
  }
  void admit(Context& ctx, std::uint32_t i, Person& p, const ServiceSpec& spec, ServiceFigures& fig, double now);
  unsigned choose_unit(Context& ctx, const Person& p, int sv) {
    return units_of(static_cast<std::size_t>(sv)) == 1 ? 0 : choose_among_units(ctx, p, sv);
  }
  unsigned choose_among_units(Context& ctx, const Person& p, int sv);
  void start(Context& ctx, std::uint32_t i, std::int32_t unit);
  void vacate(Context& ctx, std::uint32_t i);
  void service_end(Context& ctx, std::uint32_t i);
  int choose_route(Context& ctx, const Person& p, int sv);
  void leave(Context& ctx, std::uint32_t i, bool died);
  void returned(Context& ctx, std::uint32_t i);
  void log_episode(Person& p, int outcome, double now);
  void track(const Person& p, double now, int service, TrackState state);
  void occupy(int sv, const Person& p, double now, int delta) { ledger_.occupy(sv, ledger_.self_pays(sv, p.self_funder), now, delta); }
  void charge(int sv, Person& p, double amount, double now);
  void charge_person_days(int sv, Person& p, double now);

  // ---- discharge.cpp: hospital beds, places held after service, delayed transfers of care
  void discharge_checks(Context& ctx, std::uint32_t i);
  void release_held(Context& ctx, Person& p);
  void open_delay(Person& p, int waiting_for, const std::string& reason, std::uint8_t reason_number, double now);
  void close_delay(Person& p, double now);
  void follow_up(Person& p, std::uint32_t i);

  // ---- timers.cpp: patience, escalation, reviews, transition, prevention
  void renege(Context& ctx, std::uint32_t i);
  void schedule_escalation(Context& ctx, std::uint32_t i);
  void escalate(Context& ctx, std::uint32_t i);
  void review(Context& ctx, std::uint32_t i);
  void schedule_transition(Context& ctx, std::uint32_t i);
  void transition(Context& ctx, std::uint32_t i);
  double prevention(double t, double PreventionEffect::*what) const;
  static void arm(Context& ctx, double target, std::uint32_t kind, std::uint64_t payload);
  static bool rearm(Context& ctx, const Event& e, double target);
  // When a waiting person gives up: their own draw of the service's patience (the same at every
  // link of the timer's chain: a keyed stream; a number draws nothing).
  double renege_at(Context& ctx, const Person& p) const {
    RandomStream rng = stream(ctx, p, Purpose::Patience, p.service, p.visits);
    return p.referred + std::max(0.0, s_.services[static_cast<std::size_t>(p.service)].patience->sample(rng));
  }
  double birthday(const Person& p) const { return p.birth + s_.cohorts[static_cast<std::size_t>(p.cohort)].transition_age * kDaysPerYear; }

  double age_years(const Person& p, double now) const { return (now - p.birth) / kDaysPerYear; }
  bool after_warmup(double t) const { return t >= warmup_; }
  RandomStream stream(Context& ctx, const Person& p, Purpose purpose, int service, std::uint64_t visit) const {
    return ctx.stream(p.id, StreamKey::of(purpose, service, visit));
  }

  const Scenario& s_;
  Recorder& recorder_;
  const Recorder::Keep keep_;
  const int site_;
  double horizon_ = 0, warmup_ = 0;
  SiteFigures figs_;
  const DelayReasons reasons_;
  Ledger ledger_;
  // The units of service sv are res_[first_unit_[sv]] … res_[first_unit_[sv + 1] - 1] (one for
  // a service without units), each with its own places and queue.
  std::vector<Resource> res_;
  std::vector<std::uint32_t> first_unit_;
  std::vector<std::vector<double>> unit_weight_;  // per service with units: each unit's places as loaded
  std::vector<std::uint32_t> base_capacity_;
  struct Week {
    double ups = 0, downs = 0;  // step changes this week (by the service counted)
  };
  std::vector<Week> week_;
  struct Thirds {  // weekly queue lengths in the first and last thirds of the appraisal period
    double first = 0, last = 0;
    std::uint32_t first_weeks = 0, last_weeks = 0;
  };
  std::vector<Thirds> thirds_;
  std::vector<WeekRow> week_rows_;  // reused each week
  double last_week_ = -kInfinity;   // end of the last week recorded
  const std::atomic<bool>* stop_ = nullptr;  // read (relaxed) once a week
  std::vector<bool> integration_target_;  // some service's integrated_into
  std::vector<std::uint32_t> held_away_;  // places of services run here held by people at other sites
  PersonStore people_;
  std::vector<std::uint32_t> free_;
  std::unordered_map<std::uint32_t, Pathway> pathway_;    // by person index, while on a pathway
  std::unordered_map<std::uint32_t, double> discharged_;  // hospital discharge day, while a follow-up is pending
  std::unordered_map<std::uint32_t, double> strategy_;    // strategy discussion day, until the ICPC (or leaving)
  std::vector<RandomStream> arrival_rng_;
  std::vector<double> arrival_base_;  // per cohort: episodes a day before trend and season
  std::vector<double> arrival_peak_;  // per cohort: the thinning's peak rate over the horizon
  std::vector<std::uint64_t> arrivals_made_;
  std::uint64_t track_every_ = 0;
};

}  // namespace careflow::models::care
