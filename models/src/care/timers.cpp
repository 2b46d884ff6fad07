// Timers of people waiting or served: patience (reneging), escalation of need while waiting,
// reviews, the move to adult services at 18; and the effect of prevention on hazards.
#include <algorithm>

#include "care/site_lp.hpp"

namespace careflow::models::care {

// A timer for `target`, as the first link of a chain of wake-ups (see kTimerLink).
void SiteLp::arm(Context& ctx, double target, std::uint32_t kind, std::uint64_t payload) {
  ctx.schedule_at(std::min(target, ctx.now() + kTimerLink), kind, payload);
}

// A wake-up before its target: arm the next link and report that the timer has not fired.
bool SiteLp::rearm(Context& ctx, const Event& e, double target) {
  if (!(ctx.now() < target)) return false;
  arm(ctx, target, e.kind, e.payload);
  return true;
}

void SiteLp::renege(Context& ctx, std::uint32_t i) {
  Person& p = people_[i];
  const double now = ctx.now();
  const auto sv = static_cast<std::size_t>(p.service);
  if (p.state != State::Waiting || !unit(p.service, p.team).renege(now, QueueTicket::unpack(p.ticket))) return;
  if (after_warmup(now)) ++figs_.services[sv].reneged;
  log_episode(p, kOutcomeReneged, now);
  release_held(ctx, p);
  p.previous = svc(p.service);
  refer(ctx, i, s_.services[sv].overflow_to, p.service);
}

void SiteLp::schedule_escalation(Context& ctx, std::uint32_t i) {
  Person& p = people_[i];
  const ServiceSpec& spec = s_.services[static_cast<std::size_t>(p.service)];
  const int top = static_cast<int>(s_.need_levels.size()) - 1;
  if (!(spec.escalation_per_year > 0) || p.need >= top) return;
  const CohortSpec& k = s_.cohorts[static_cast<std::size_t>(p.cohort)];
  const double rate = spec.escalation_per_year * std::max(0.0, 1.0 - k.coproduction_effect * p.coproduction) *
                      (1.0 - prevention(ctx.now(), &PreventionEffect::escalation_reduction)) / kDaysPerYear;
  if (!(rate > 0)) return;
  RandomStream rng = ctx.stream(p.id, StreamKey::of(Purpose::Escalation, p.service, p.visits,
                                                    static_cast<std::uint64_t>(p.need), StreamKey::kNeedBits));
  p.escalate_at = ctx.now() + exp_draw(rng, rate);
  arm(ctx, p.escalate_at, kEscalate, pack(i, p.version));
}

// Need rises while waiting unserved; at the top level the person may be re-referred to a
// more intensive service (the route by which long waits turn into step changes).
void SiteLp::escalate(Context& ctx, std::uint32_t i) {
  Person& p = people_[i];
  if (p.state != State::Waiting) return;
  ++p.need;
  const int top = static_cast<int>(s_.need_levels.size()) - 1;
  const int sv = p.service;
  const ServiceSpec& spec = s_.services[static_cast<std::size_t>(sv)];
  if (p.need >= top && spec.escalate_to != kExit) {
    if (!unit(sv, p.team).renege(ctx.now(), QueueTicket::unpack(p.ticket))) return;
    if (after_warmup(ctx.now())) ++figs_.services[static_cast<std::size_t>(sv)].escalated_out;
    log_episode(p, kOutcomeEscalated, ctx.now());
    release_held(ctx, p);
    p.previous = svc(sv);
    return refer(ctx, i, spec.escalate_to, sv);
  }
  // Under the priority discipline the queue is ordered by need now, not need at referral.
  unit(sv, p.team).reprioritise(QueueTicket::unpack(p.ticket), -p.need);
  schedule_escalation(ctx, i);
}

void SiteLp::review(Context& ctx, std::uint32_t i) {
  Person& p = people_[i];
  const int sv = p.service;
  const ReviewSpec& r = s_.services[static_cast<std::size_t>(sv)].review;
  charge(sv, p, r.cost + s_.services[static_cast<std::size_t>(sv)].cost.per_contact, ctx.now());
  RandomStream rng = ctx.stream(p.id, StreamKey::of(Purpose::Review, sv, p.visits, p.reviews++, StreamKey::kReviewBits));
  if (rng.uniform01() < r.step_down_probability) {
    vacate(ctx, i);
    log_episode(p, r.step_down_to, ctx.now());
    p.previous = svc(sv);
    return refer(ctx, i, r.step_down_to, sv);
  }
  ctx.schedule(r.every_days, kReview, pack(i, p.version));
}

void SiteLp::schedule_transition(Context& ctx, std::uint32_t i) {
  const Person& p = people_[i];
  const CohortSpec& k = s_.cohorts[static_cast<std::size_t>(p.cohort)];
  if (k.transition_to == kExit || p.service == k.transition_to) return;
  if (p.transitioned) return;
  const double at = birthday(p);
  if (at > horizon_) return;
  // A birthday missed while in hand-off or a discharge check is caught up at once.
  arm(ctx, std::max(at, ctx.now()), kTransition, pack(i, p.version));
}

// At 18 a young person with ongoing needs moves from children's to adult services.
void SiteLp::transition(Context& ctx, std::uint32_t i) {
  Person& p = people_[i];
  if (p.need == 0 || p.transitioned) return;
  const int sv = p.service;
  if (p.state == State::Waiting) {
    if (!unit(sv, p.team).renege(ctx.now(), QueueTicket::unpack(p.ticket))) return;
    release_held(ctx, p);
  } else if (p.state == State::InService) {
    vacate(ctx, i);
  } else {
    return;
  }
  log_episode(p, kOutcomeTransition, ctx.now());
  p.transitioned = true;
  p.previous = svc(sv);
  refer(ctx, i, s_.cohorts[static_cast<std::size_t>(p.cohort)].transition_to, sv);
}

// Effect of prevention at time t: each effect ramps linearly from its start to full.
double SiteLp::prevention(double t, double PreventionEffect::*what) const {
  double total = 0;
  for (const PreventionEffect& e : s_.prevention) {
    if (t < e.start) continue;
    const double ramp = e.ramp > 0 ? std::min(1.0, (t - e.start) / e.ramp) : 1.0;
    total += ramp * (e.*what);
  }
  return std::min(1.0, total);
}

}  // namespace careflow::models::care
