// Hospital discharge: a medically fit patient keeps the bed through the discharge checks and
// while waiting for the next service; each such wait is a delayed transfer of care. Any service
// with holds_place keeps its place the same way (blocking after service). Older people
// discharged into re-ablement are followed up 91 days later (NI 125 / ASCOF 2B).
#include <algorithm>

#include "care/site_lp.hpp"

namespace careflow::models::care {

// A share of medically fit patients wait for an assessment or a funding decision first.
void SiteLp::discharge_checks(Context& ctx, std::uint32_t i) {
  Person& p = people_[i];
  const double now = ctx.now();
  close_delay(p, now);
  while (p.check < s_.discharge_checks.size()) {
    const DischargeCheckSpec& c = s_.discharge_checks[p.check];
    // The check's number takes the service's place in the key (checks are numbered like services).
    RandomStream rng = stream(ctx, p, Purpose::DischargeCheck, p.check, p.visits);
    ++p.check;
    if (rng.uniform01() < c.probability) {
      const double d = std::max(0.0, c.duration.sample(rng));
      open_delay(p, -1, c.reason, reasons_.of_check[p.check - 1], now);
      ++p.version;
      ctx.schedule(d, kDischargeCheckDone, pack(i, p.version));
      return;
    }
  }
  const int sv = p.service;
  const int next = choose_route(ctx, p, sv);
  // The episode ends when the patient is ready to leave; any wait for the next service
  // is a delayed transfer of care, recorded (and costed to the hospital) separately.
  charge_person_days(sv, p, now);
  log_episode(p, next, now);
  p.previous = svc(sv);
  if (next < 0) {
    release_held(ctx, p);
    return refer(ctx, i, next, sv);
  }
  p.from_hospital = true;
  refer(ctx, i, next, sv);  // no hand-off delay: discharge is planned on the ward
}

void SiteLp::release_held(Context& ctx, Person& p) {
  if (p.held_service < 0) return;
  const double now = ctx.now();
  close_delay(p, now);
  const int h = p.held_service;
  const std::int32_t code = p.held_unit;
  const bool self = ledger_.self_pays(h, p.self_funder);
  p.held_service = -1;
  p.held_unit = -1;
  p.from_hospital = false;
  if (!hosted(h)) {  // the service's site learns of it after the transfer time
    ctx.send(static_cast<LpId>(s_.services[static_cast<std::size_t>(h)].site), s_.transfer_days, kHeldPlaceFree,
             (static_cast<std::uint64_t>(self) << 63) | (static_cast<std::uint64_t>(h) << 32) | static_cast<std::uint32_t>(code));
    return;
  }
  // Occupancy and the place's costs (a hospital's bed-days) run until the place is free.
  ledger_.occupy(h, self, now, -1);
  if (auto next = unit(h, held_team(code)).release(now, held_place(code)))
    start(ctx, static_cast<std::uint32_t>(next->customer), static_cast<std::int32_t>(next->unit));
}

// p.delay_record: -1 no open delay; Recorder::kNoDelay an open delay the recorder does not keep.
void SiteLp::open_delay(Person& p, int waiting_for, const std::string& reason, std::uint8_t reason_number, double now) {
  close_delay(p, now);
  p.delay_record = keep_.delays ? recorder_.delay_began({p.id, p.held_service, waiting_for, reason, now, kNaN}) : Recorder::kNoDelay;
  p.delay_reason = reason_number;
  figs_.services[static_cast<std::size_t>(p.held_service)].delayed_beds.add(now, 1);
  if (p.held_service == s_.indicators.hospital) figs_.delayed_by_reason[reason_number].add(now, 1);
}

void SiteLp::close_delay(Person& p, double now) {
  if (p.delay_record == -1) return;
  if (p.delay_record != Recorder::kNoDelay) recorder_.delay_ended(p.delay_record, now);
  figs_.services[static_cast<std::size_t>(p.held_service)].delayed_beds.add(now, -1);  // the bed is held until the delay closes
  if (p.held_service == s_.indicators.hospital) figs_.delayed_by_reason[p.delay_reason].add(now, -1);
  p.delay_record = -1;
}

void SiteLp::follow_up(Person& p, std::uint32_t i) {
  p.follow_up_pending = false;
  const auto d = discharged_.find(i);
  const double discharged = d != discharged_.end() ? d->second : kNaN;
  if (d != discharged_.end()) discharged_.erase(d);
  if (p.state == State::Away) return release_person(i);  // followed up where the person went
  if (after_warmup(discharged)) {
    ++figs_.totals.follow_ups;
    // At home: not in hospital and not in residential care.
    auto hospital = [&](int sv) { return sv >= 0 && s_.services[static_cast<std::size_t>(sv)].kind == ServiceKind::Hospital; };
    const bool in_hospital = p.state != State::Gone && (hospital(p.held_service) || hospital(p.service));
    const bool in_care_home = p.state != State::Gone && p.service == s_.indicators.residential;
    if (!in_hospital && !in_care_home && !p.died) ++figs_.totals.at_home;
  }
  release_person(i);
}

}  // namespace careflow::models::care
