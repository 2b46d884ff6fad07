// The flow of people through a site's services: arrivals, referrals and hand-offs, queues and
// service, step changes, leaving and re-referral, episode records.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "care/site_lp.hpp"

namespace careflow::models::care {

// ---- arrivals ----------------------------------------------------------------------------------

double SiteLp::cohort_rate(std::size_t c, double t) const {
  const CohortSpec& k = s_.cohorts[c];
  // A factor that is exactly 1 is not computed: without a trend pow(1, x) is exactly 1, without
  // seasonality 1 + 0 * cos(...) is exactly 1, so the rate has the same bits either way.
  const double growth = k.trend_per_year == 0 ? 1.0 : std::pow(1.0 + k.trend_per_year, t / kDaysPerYear);
  const double season = k.seasonal_amplitude == 0
                            ? 1.0
                            : 1.0 + k.seasonal_amplitude *
                                        std::cos(2 * std::numbers::pi * (std::fmod(t, kDaysPerYear) - k.seasonal_peak_day) / kDaysPerYear);
  return arrival_base_[c] * growth * season;
}

double SiteLp::cohort_rate_max(std::size_t c) const {
  const CohortSpec& k = s_.cohorts[c];
  return arrival_base_[c] * std::max(1.0, std::pow(1.0 + k.trend_per_year, s_.horizon_years)) * (1.0 + std::abs(k.seasonal_amplitude));
}

// Time-varying Poisson arrivals by thinning (Lewis & Shedler): candidates at the peak rate,
// each kept with probability rate(t) / peak.
void SiteLp::next_arrival(Context& ctx, std::size_t c) {
  const double peak = arrival_peak_[c];
  if (!(peak > 0)) return;
  RandomStream& rng = arrival_rng_[c];
  double t = ctx.now();
  for (;;) {
    t += exp_draw(rng, peak);
    if (t > horizon_) return;
    if (rng.uniform01() * peak <= cohort_rate(c, t)) break;
  }
  ctx.schedule(t - ctx.now(), kCohortArrival, c);
}

void SiteLp::cohort_arrival(Context& ctx, std::size_t c) {
  const CohortSpec& k = s_.cohorts[c];
  const std::uint32_t i = new_person();
  Person& p = people_[i];
  if (arrivals_made_[c] >> kArrivalBits) throw ContractViolation("care model: more arrivals in a cohort than person ids hold");
  p.id = (static_cast<std::uint64_t>(c) << kArrivalBits) | arrivals_made_[c]++;
  p.cohort = static_cast<std::int16_t>(c);
  p.contacted = ctx.now();
  RandomStream rng = stream(ctx, p, Purpose::Attributes, -1, 0);
  const double age = k.min_age + (k.max_age - k.min_age) * rng.uniform01();
  p.birth = ctx.now() - age * kDaysPerYear;
  double u = rng.uniform01();
  p.need = static_cast<std::int8_t>(k.need_weights.size() - 1);
  for (std::size_t n = 0; n < k.need_weights.size(); ++n) {
    if (u < k.need_weights[n]) {
      p.need = static_cast<std::int8_t>(n);
      break;
    }
    u -= k.need_weights[n];
  }
  if (p.need > 0 && prevention(ctx.now(), &PreventionEffect::need_reduction) > 0) {
    // Prevention: some episodes arrive one level lower (own stream: other draws stay the same).
    RandomStream prng = stream(ctx, p, Purpose::Prevention, -1, 0);
    if (prng.uniform01() < prevention(ctx.now(), &PreventionEffect::need_reduction)) --p.need;
  }
  p.coproduction = static_cast<float>(k.coproduction_min + (k.coproduction_max - k.coproduction_min) * rng.uniform01());
  p.self_funder = rng.uniform01() < k.self_funder_share;
  p.tracked = track_every_ > 0 && (p.id & ((std::uint64_t{1} << kArrivalBits) - 1)) % track_every_ == 0;
  ++figs_.totals.entered;
  if (after_warmup(ctx.now())) ++figs_.totals.entered_after_warmup;
  refer(ctx, i, k.entry, -1);
  next_arrival(ctx, c);
}

std::uint32_t SiteLp::new_person() {
  std::uint32_t i;
  if (!free_.empty()) {
    i = free_.back();
    free_.pop_back();
    const std::uint32_t v = people_[i].version + 1;  // keep versions rising across reuse
    people_[i] = Person{};
    people_[i].version = v;
  } else {
    i = static_cast<std::uint32_t>(people_.size());
    people_.emplace_back();
  }
  return i;
}

void SiteLp::release_person(std::uint32_t i) {
  Person& p = people_[i];
  if ((p.state == State::Gone || p.state == State::Away) && !p.follow_up_pending && !p.return_pending) free_.push_back(i);
}

// ---- moves -------------------------------------------------------------------------------------

void SiteLp::track(const Person& p, double now, int service, TrackState state) {
  if (p.tracked && keep_.tracks) recorder_.track({p.id, now, service, static_cast<std::int32_t>(state)});
}

// Send person i to `target` (kExit: leave). `from` is the service left (-1: a new episode).
void SiteLp::refer(Context& ctx, std::uint32_t i, int target, int from) {
  Person& p = people_[i];
  p.via_referral = target >= 0 && target == s_.indicators.referrals;
  // With integrated assessment, follow the chain of redirections (bounded, as validation does),
  // and skip the assessments an integrated assessment on this pathway has covered.
  for (std::size_t step = 0; step < 2 * s_.services.size() && target >= 0 && s_.integrated_assessment; ++step) {
    const ServiceSpec& t = s_.services[static_cast<std::size_t>(target)];
    if (t.integrated_into != kExit) {
      target = t.integrated_into;
    } else if (t.covered_by_integrated && covered(i)) {
      target = choose_route(ctx, p, target);  // as if assessed again: its routes, nothing else
    } else {
      break;
    }
  }
  if (target < 0) return leave(ctx, i, target == kDied);
  ++p.version;
  p.state = State::Handoff;
  p.service = svc(target);
  double delay = 0;
  if (from >= 0 && !p.from_hospital) {
    const bool across = s_.services[static_cast<std::size_t>(from)].agency != s_.services[static_cast<std::size_t>(target)].agency;
    RandomStream rng = stream(ctx, p, Purpose::Handoff, target, p.visits);
    delay = std::max(0.0, (across ? s_.handoff_across : s_.handoff_within).sample(rng));
  }
  track(p, ctx.now(), target, TrackState::Handoff);
  if (!hosted(target)) return transfer_out(ctx, i, delay);
  // A new episode (an arrival or a re-referral) has no hand-off: it arrives now, without an
  // event of its own (one event fewer per episode; nothing else can happen to the person first).
  if (from < 0) return arrive(ctx, i);
  ctx.schedule(delay, kReferralArrive, pack(i, p.version));
}

// A step up is counted at the specialist service entered, a step down at the one left.
void SiteLp::step_change(Person& p, double now, int from, int to, int direction) {
  const int counted = direction > 0 ? to : p.specialist_service;
  if (direction > 0) {
    p.in_specialist = true;
    p.specialist_since = now;
    p.specialist_service = svc(to);
  } else {
    p.in_specialist = false;
  }
  if (!after_warmup(now)) return;
  Totals& t = figs_.totals;
  if (direction > 0) {
    ++t.step_ups;
    week_[static_cast<std::size_t>(counted)].ups += 1;
  } else {
    ++t.step_downs;
    t.specialist_days.add(now - p.specialist_since);
    if (counted >= 0) week_[static_cast<std::size_t>(counted)].downs += 1;
  }
  if (keep_.step_changes) recorder_.step_change({p.id, now, from, to, direction});
}

void SiteLp::arrive(Context& ctx, std::uint32_t i) {
  Person& p = people_[i];
  const double now = ctx.now();
  const int sv = p.service;
  const ServiceSpec& spec = s_.services[static_cast<std::size_t>(sv)];
  ServiceFigures& fig = figs_.services[static_cast<std::size_t>(sv)];
  ++p.version;
  ++p.visits;
  p.referred = now;
  p.episode_cost = 0;
  p.need_at_start = p.need;
  if (spec.tier == Tier::Specialist && !p.in_specialist) step_change(p, now, p.previous, sv, +1);
  if (spec.tier != Tier::Specialist && spec.tier != Tier::Acute && p.in_specialist) step_change(p, now, p.previous, sv, -1);
  const bool referral_point = p.via_referral;
  if (after_warmup(now)) {
    ++fig.arrivals;
    if (referral_point) {
      ++figs_.totals.referrals;
      if (now - p.last_referral <= kRereferralWindow) ++figs_.totals.rereferrals;
    }
  }
  if (referral_point) p.last_referral = now;
  if (spec.kind == ServiceKind::Assessment) {
    Pathway& w = pathway_[i];
    if (std::isnan(w.start)) w.start = now;
  }
  // Allocation or brokerage: days before the person joins a unit's queue (part of the wait; a
  // held bed's delay runs through it, with the service's reason).
  if (spec.allocation) {
    RandomStream rng = stream(ctx, p, Purpose::Allocation, sv, p.visits);
    const double d = std::max(0.0, spec.allocation->sample(rng));
    if (d > 0) {
      p.state = State::Handoff;  // neither in a queue nor served: on the way to a unit
      if (p.held_service >= 0) open_delay(p, sv, delay_label(spec), reasons_.of_service[static_cast<std::size_t>(sv)], now);
      ctx.schedule(d, kAllocated, pack(i, p.version));
      return;
    }
  }
  admit(ctx, i, p, spec, fig, now);
}

// After allocation: the person joins a unit's queue now.
void SiteLp::join(Context& ctx, std::uint32_t i) {
  Person& p = people_[i];
  const auto sv = static_cast<std::size_t>(p.service);
  admit(ctx, i, p, s_.services[sv], figs_.services[sv], ctx.now());
}

// The person joins a unit of the current service: started at once, queued, or turned away.
[[gnu::always_inline]] inline void SiteLp::admit(Context& ctx, std::uint32_t i, Person& p, const ServiceSpec& spec,
                                                 ServiceFigures& fig, double now) {
  const int sv = p.service;
  p.team = choose_unit(ctx, p, sv) & 63u;
  const std::int32_t priority = -p.need;  // priority discipline: higher need first
  const Admission a = unit(sv, p.team).arrive(now, i, priority);
  switch (a.outcome) {
    case Admission::Outcome::Started:
      start(ctx, i, static_cast<std::int32_t>(a.unit));
      break;
    case Admission::Outcome::Queued:
      p.state = State::Waiting;
      p.ticket = a.ticket.pack();
      track(p, now, sv, TrackState::Waiting);
      if (p.held_service >= 0 && p.delay_record == -1)  // (one already open since allocation began)
        open_delay(p, sv, delay_label(spec), reasons_.of_service[static_cast<std::size_t>(sv)], now);
      if (spec.patience) arm(ctx, renege_at(ctx, p), kRenege, pack(i, p.version));
      schedule_escalation(ctx, i);
      schedule_transition(ctx, i);
      break;
    case Admission::Outcome::Balked:
      if (after_warmup(now)) ++fig.balked;
      log_episode(p, kOutcomeBalked, now);
      release_held(ctx, p);
      p.previous = svc(sv);
      refer(ctx, i, spec.overflow_to, sv);
      break;
  }
}

// Which unit of service sv (made of units) the person joins.
unsigned SiteLp::choose_among_units(Context& ctx, const Person& p, int sv) {
  const std::size_t n = units_of(static_cast<std::size_t>(sv));
  const ServiceSpec& spec = s_.services[static_cast<std::size_t>(sv)];
  if (spec.unit_choice == UnitChoice::MostFree) {
    // The most free places; when every unit is full, the shortest queue; ties to the first.
    unsigned best = 0;
    std::uint32_t most_free = 0;
    std::size_t shortest = static_cast<std::size_t>(-1);
    for (unsigned k = 0; k < n; ++k) {
      const Resource& r = unit(sv, k);
      const std::uint32_t free = r.capacity() > r.busy() ? r.capacity() - r.busy() : 0;
      if (free > most_free) best = k, most_free = free;
      if (most_free == 0 && r.queue_length() < shortest) best = k, shortest = r.queue_length();
    }
    return best;
  }
  // By area: one draw per person, not per service or visit, so the same person lives in the
  // same area at every service whose units have the same shares.
  RandomStream rng = stream(ctx, p, Purpose::Area, -1, 0);
  double u = rng.uniform01();
  for (unsigned k = 0; k + 1 < n; ++k) {
    if (u < spec.units[k].share) return k;
    u -= spec.units[k].share;
  }
  return static_cast<unsigned>(n - 1);
}

void SiteLp::start(Context& ctx, std::uint32_t i, std::int32_t unit) {
  Person& p = people_[i];
  const double now = ctx.now();
  const int sv = p.service;
  const ServiceSpec& spec = s_.services[static_cast<std::size_t>(sv)];
  ++p.version;
  p.state = State::InService;
  p.unit = unit;
  p.started = now;
  p.reviews = 0;
  // NI 125 / ASCOF 2B: older people discharged from hospital into re-ablement, followed up 91 days on.
  if (sv == s_.indicators.reablement && p.from_hospital && age_years(p, now) >= 65 && !p.follow_up_pending) {
    p.follow_up_pending = true;
    discharged_[i] = now;
    ctx.schedule(kFollowUpDays, kFollowUp, pack(i, 0));
  }
  release_held(ctx, p);  // a delayed hospital patient leaves the bed as the next service starts
  occupy(sv, p, now, +1);
  // The urgent child-protection pathway: the ICPC is due within its target of the strategy discussion.
  if (sv == s_.indicators.strategy_discussion) strategy_[i] = now;
  if (sv == s_.indicators.icpc) {
    if (const auto d = strategy_.find(i); d != strategy_.end()) {
      if (after_warmup(now)) {
        ++figs_.totals.icpcs;
        if (now - d->second <= s_.indicators.icpc_target_days) ++figs_.totals.icpcs_on_time;
      }
      strategy_.erase(d);
    }
  }
  const auto path = pathway_.find(i);
  const Pathway pw = path != pathway_.end() ? path->second : Pathway{};
  Totals& t = figs_.totals;
  if (after_warmup(now)) {
    ServiceFigures& fig = figs_.services[static_cast<std::size_t>(sv)];
    ++fig.starts;
    fig.waits.add(now - p.referred);
    if (!fig.units.empty()) fig.units[p.team].waits.add(now - p.referred);
    if (age_years(p, now) >= 65) ++fig.starts_65plus;
    if (spec.kind != ServiceKind::Assessment && !std::isnan(pw.assessment_done)) {
      const double d = now - pw.assessment_done;
      ++t.packages;
      t.package_days.add(d);
      if (d <= s_.indicators.package_target_days) ++t.packages_on_time;
    }
  }
  // End to end: the episode's first contact to its first service beyond the mainstream tier
  // that is not an assessment (the hops, queues and assessments before it all count).
  if (!p.served && spec.kind != ServiceKind::Assessment && spec.tier != Tier::Mainstream) {
    p.served = true;
    if (after_warmup(now)) t.contact_days.add(now - p.contacted);
  }
  if (spec.kind == ServiceKind::Assessment) {
    if (after_warmup(now)) ++t.assessments_started;
  } else {
    if (!std::isnan(pw.start) && after_warmup(now)) t.pathway_days.add(now - pw.start);
    if (path != pathway_.end()) pathway_.erase(path);
  }
  charge(sv, p, spec.cost.per_contact + spec.cost.per_episode, now);
  track(p, now, sv, TrackState::InService);
  RandomStream rng = stream(ctx, p, Purpose::Duration, sv, p.visits);
  const double d = std::max(0.0, spec.duration.sample(rng));
  ctx.schedule(d, kServiceEnd, pack(i, p.version));
  if (spec.review.every_days > 0) ctx.schedule(spec.review.every_days, kReview, pack(i, p.version));
  schedule_transition(ctx, i);
}

// The person leaves their place at the current service (service over, stepped down at a
// review, or moved at 18); the place goes to the next in line.
void SiteLp::vacate(Context& ctx, std::uint32_t i) {
  Person& p = people_[i];
  const double now = ctx.now();
  const int sv = p.service;
  occupy(sv, p, now, -1);
  charge_person_days(sv, p, now);
  if (auto next = unit(sv, p.team).release(now, static_cast<std::uint32_t>(p.unit)))
    start(ctx, static_cast<std::uint32_t>(next->customer), static_cast<std::int32_t>(next->unit));
}

void SiteLp::service_end(Context& ctx, std::uint32_t i) {
  Person& p = people_[i];
  const double now = ctx.now();
  const int sv = p.service;
  const ServiceSpec& spec = s_.services[static_cast<std::size_t>(sv)];
  // Need falls while appropriate support is received; co-production helps.
  if (spec.de_escalation_per_year > 0 && p.need > 0) {
    const CohortSpec& k = s_.cohorts[static_cast<std::size_t>(p.cohort)];
    const double rate = spec.de_escalation_per_year * (1.0 + k.coproduction_effect * p.coproduction) / kDaysPerYear;
    RandomStream rng = stream(ctx, p, Purpose::DeEscalation, sv, p.visits);
    if (rng.uniform01() < 1.0 - std::exp(-rate * (now - p.started))) --p.need;
  }
  if (spec.kind == ServiceKind::Assessment) {
    Pathway& w = pathway_[i];
    w.assessment_done = now;
    if (s_.integrated_assessment && integration_target_[static_cast<std::size_t>(sv)]) w.integrated = true;
    if (after_warmup(p.referred)) {
      Totals& t = figs_.totals;
      for (int a : s_.indicators.assessments)
        if (a == sv) {
          const double d = now - p.referred;
          ++t.assessments_done;
          t.assessment_days.add(d);
          if (d <= s_.indicators.assessment_target_days) ++t.assessments_on_time;
        }
    }
  }
  if (spec.kind == ServiceKind::Hospital) {
    // Medically fit: the bed is kept until the patient can move on.
    p.state = State::DischargeCheck;
    p.check = 0;
    p.held_service = svc(sv);
    p.held_unit = held_place_code(p.team, p.unit);
    return discharge_checks(ctx, i);
  }
  const int next = choose_route(ctx, p, sv);
  if (spec.holds_place && next >= 0) {
    // Blocking after service: the place stays held, occupied and costed to the service, through
    // the hand-off and any wait for the next service, and is given up as that one starts. Only
    // the wait in the next service's queue is a delay; the episode's own cost ends here.
    charge_person_days(sv, p, now);
    p.held_service = svc(sv);
    p.held_unit = held_place_code(p.team, p.unit);
  } else {
    vacate(ctx, i);
  }
  log_episode(p, next, now);
  p.previous = svc(sv);
  p.from_hospital = false;
  refer(ctx, i, next, sv);
}

int SiteLp::choose_route(Context& ctx, const Person& p, int sv) {
  const ServiceSpec& spec = s_.services[static_cast<std::size_t>(sv)];
  const double age = age_years(p, ctx.now());
  for (const RouteRule& r : spec.routes) {
    const Condition& c = r.when;
    if (!c.need_levels.empty() && std::find(c.need_levels.begin(), c.need_levels.end(), p.need) == c.need_levels.end()) continue;
    if (age < c.min_age || age >= c.max_age) continue;
    if (!c.cohorts.empty() && std::find(c.cohorts.begin(), c.cohorts.end(), p.cohort) == c.cohorts.end()) continue;
    if (r.to.size() == 1) return r.to.front().service;  // one target: nothing to draw (keyed streams: no other draw moves)
    RandomStream rng = stream(ctx, p, Purpose::Route, sv, p.visits);
    double u = rng.uniform01();
    for (const RouteTarget& t : r.to) {
      if (u < t.probability) return t.service;
      u -= t.probability;
    }
    return r.to.empty() ? kExit : r.to.back().service;  // rounding: the last target
  }
  return kExit;
}

void SiteLp::leave(Context& ctx, std::uint32_t i, bool died) {
  Person& p = people_[i];
  const double now = ctx.now();
  if (p.in_specialist) step_change(p, now, p.previous, -1, -1);
  ++p.version;
  p.state = State::Gone;
  p.service = -1;
  pathway_.erase(i);
  if (!strategy_.empty()) strategy_.erase(i);
  ++figs_.totals.exited;
  p.died = died;
  track(p, now, -1, TrackState::Left);
  // Some leave with needs still there and come back (a return within 12 months of the last
  // referral is a re-referral); a case closed after a referral comes back at its own rate.
  const CohortSpec& k = s_.cohorts[static_cast<std::size_t>(p.cohort)];
  const bool closed_case = k.referred_return_probability >= 0 && p.last_referral >= p.contacted;
  const double chance = closed_case ? k.referred_return_probability : p.need > 0 ? k.rereferral_probability : 0.0;
  if (!died && chance > 0 && !p.return_pending) {
    RandomStream rng = stream(ctx, p, Purpose::Return, -1, p.visits);
    if (rng.uniform01() < chance) {
      const double after = std::max(0.0, k.time_to_return.sample(rng));
      // A child who would come back an adult comes back, if at all, as a new adult episode.
      if (k.transition_to == kExit || now + after < birthday(p)) {
        p.return_pending = true;
        ctx.schedule(after, kReturn, pack(i, 0));
      }
    }
  }
  release_person(i);
}

void SiteLp::returned(Context& ctx, std::uint32_t i) {
  Person& p = people_[i];
  p.return_pending = false;
  if (p.state != State::Gone) return release_person(i);
  ++figs_.totals.entered;
  if (after_warmup(ctx.now())) ++figs_.totals.entered_after_warmup;
  p.previous = -1;
  p.served = false;  // a new episode, from now (contacted)
  const CohortSpec& k = s_.cohorts[static_cast<std::size_t>(p.cohort)];
  if (k.referred_return_probability >= 0 && p.last_referral >= p.contacted) {  // a closed case, re-referred
    p.contacted = ctx.now();
    return refer(ctx, i, k.referred_return_to >= 0 ? k.referred_return_to : s_.indicators.referrals, -1);
  }
  p.contacted = ctx.now();
  refer(ctx, i, k.return_to >= 0 ? k.return_to : k.entry, -1);
}

// ---- money of a person ------------------------------------------------------------------------

void SiteLp::charge(int sv, Person& p, double amount, double now) {
  if (!(amount > 0)) return;
  p.episode_cost += amount;
  ledger_.book(static_cast<std::size_t>(sv), amount, now);
}

// A person's own episode cost (for the episode record and cost per person).
void SiteLp::charge_person_days(int sv, Person& p, double now) {
  if (!ledger_.self_pays(sv, p.self_funder))
    p.episode_cost += s_.services[static_cast<std::size_t>(sv)].cost.daily_rate() * (now - p.started);
}

// ---- records -----------------------------------------------------------------------------------

void SiteLp::log_episode(Person& p, int outcome, double now) {
  if (!keep_.episodes || !after_warmup(p.referred)) return;
  EpisodeRecord r;
  r.person = p.id;
  r.cohort = p.cohort;
  r.service = p.service;
  r.referred = p.referred;
  const bool began = p.state == State::InService || p.state == State::DischargeCheck;
  r.started = began ? p.started : kNaN;
  r.ended = outcome == kOutcomeOngoing ? kNaN : now;
  double cost = p.episode_cost;
  if (outcome == kOutcomeOngoing && began && !ledger_.self_pays(p.service, p.self_funder))
    cost += s_.services[static_cast<std::size_t>(p.service)].cost.daily_rate() * (now - p.started);
  r.cost = cost;
  r.outcome = outcome;  // a route target (>= 0, kExit, kDied) or one of the other outcomes
  r.unit = began ? p.unit : -1;
  r.need_at_start = p.need_at_start;
  r.need_at_end = p.need;
  recorder_.episode(r);
}

}  // namespace careflow::models::care
