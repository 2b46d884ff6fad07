#include "care/site_lp.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>

#include "careflow/models/care_model.hpp"

namespace careflow::models::care {

SiteLp::SiteLp(const Scenario& s, Recorder& recorder, int site)
    : s_(s), recorder_(recorder), keep_(recorder.keeps()), site_(site), figs_(s), reasons_(s), ledger_(s, figs_, site) {
  if (s.services.size() > kMaxServices)
    throw std::invalid_argument("care model: " + std::to_string(s.services.size()) + " services, at most " +
                                std::to_string(kMaxServices) + " are supported");
  horizon_ = s.horizon_years * kDaysPerYear;
  warmup_ = s.warmup_years * kDaysPerYear;
  const auto ns = s.services.size();
  res_.reserve(ns);
  unit_weight_.resize(ns);
  for (std::size_t k = 0; k < ns; ++k) {
    const ServiceSpec& sv = s.services[k];
    first_unit_.push_back(static_cast<std::uint32_t>(res_.size()));
    if (sv.units.empty()) {
      res_.emplace_back(sv.capacity, sv.discipline, sv.max_queue);
    } else {
      for (const UnitSpec& u : sv.units) unit_weight_[k].push_back(u.capacity);
      for (std::uint32_t c : split_places(sv.capacity, unit_weight_[k])) res_.emplace_back(c, sv.discipline, sv.max_queue);
    }
    base_capacity_.push_back(sv.capacity);
  }
  first_unit_.push_back(static_cast<std::uint32_t>(res_.size()));
  week_.resize(ns);
  thirds_.resize(ns);
  week_rows_.resize(ns);
  held_away_.assign(ns, 0);
  integration_target_.assign(ns, false);
  for (const ServiceSpec& sv : s.services)
    if (sv.integrated_into != kExit) integration_target_[static_cast<std::size_t>(sv.integrated_into)] = true;
  // Tracked persons: every k-th arrival by id, so the same people are tracked in every scenario.
  double expected = 0;
  for (const CohortSpec& c : s.cohorts) expected += c.population * c.episodes_per_1000_per_year / 1000 * s.horizon_years;
  track_every_ = s.tracked_people > 0 ? std::max<std::uint64_t>(1, static_cast<std::uint64_t>(expected / s.tracked_people)) : 0;
}

void SiteLp::on_start(Context& ctx) {
  arrival_rng_.clear();
  arrival_base_.clear();
  arrival_peak_.clear();
  for (std::size_t c = 0; c < s_.cohorts.size(); ++c) {
    const CohortSpec& k = s_.cohorts[c];
    arrival_base_.push_back(k.population * k.episodes_per_1000_per_year / 1000.0 / kDaysPerYear);
    arrival_peak_.push_back(cohort_rate_max(c));
    arrival_rng_.push_back(ctx.stream(c, StreamKey::of(Purpose::CohortArrivals, -1, 0)));
    arrivals_made_.push_back(0);
    if (hosted(s_.cohorts[c].entry)) next_arrival(ctx, c);
  }
  // First of everything at that instant, so nothing at the boundary is counted on the wrong side.
  if (warmup_ > 0) ctx.schedule(warmup_, kWarmupEnd, 0, std::numeric_limits<std::int16_t>::min());
  ctx.schedule(kWeek, kWeekly, 0, 10);  // after same-time moves, so the week's end is complete
  for (std::size_t sv = 0; sv < s_.services.size(); ++sv)
    for (std::size_t k = 0; hosted(static_cast<int>(sv)) && k < s_.services[sv].capacity_schedule.size(); ++k)
      ctx.schedule(s_.services[sv].capacity_schedule[k].at, kCapacityChange, (static_cast<std::uint64_t>(sv) << 32) | k, -1);
  if (s_.budget_mode != BudgetMode::Aligned)
    for (std::size_t p = 0; p < s_.pools.size(); ++p)
      if (hosted(s_.pools[p].services.front())) ctx.schedule(s_.pools[p].review_days, kPoolReview, p, 5);
  for (std::size_t k = 0; k < s_.one_off_costs.size() && site_ == 0; ++k)  // agencies' costs, booked by the first site
    if (s_.one_off_costs[k].at <= horizon_) ctx.schedule(s_.one_off_costs[k].at, kOneOffCost, k);
}

void SiteLp::on_event(Context& ctx, const Event& e) {
  ++figs_.events;
  switch (e.kind) {
    case kCohortArrival: return cohort_arrival(ctx, static_cast<std::size_t>(e.payload));
    case kWeekly: return weekly(ctx);
    case kWarmupEnd: return end_warmup(ctx);
    case kCapacityChange: return capacity_change(ctx, e.payload);
    case kPoolReview: return pool_review(ctx, static_cast<std::size_t>(e.payload));
    case kOneOffCost: return ledger_.one_off(ctx.now(), s_.one_off_costs[e.payload]);
    case kTransfer: return transfer_in(ctx);
    case kHeldPlaceFree: return remote_place_freed(ctx, e.payload);
    default: break;
  }
  const std::uint32_t i = index_of(e.payload);
  if (i >= people_.size()) return;
  Person& p = people_[i];
  if (e.kind == kFollowUp) return follow_up(p, i);
  if (e.kind == kReturn) return returned(ctx, i);
  if (p.version != version_of(e.payload)) return;  // the person has moved on since
  switch (e.kind) {
    case kReferralArrive: return arrive(ctx, i);
    case kServiceEnd: return service_end(ctx, i);
    case kRenege: return rearm(ctx, e, renege_at(ctx, p)) ? void() : renege(ctx, i);
    case kEscalate: return rearm(ctx, e, p.escalate_at) ? void() : escalate(ctx, i);
    case kReview: return review(ctx, i);
    case kTransition: return rearm(ctx, e, birthday(p)) ? void() : transition(ctx, i);
    case kDischargeCheckDone: return discharge_checks(ctx, i);
    case kAllocated: return join(ctx, i);
    default: throw ContractViolation("care model: unknown event kind " + std::to_string(e.kind));
  }
}

void SiteLp::on_finish(Context& ctx) {
  const double end = figs_.end = ctx.now();
  for (std::size_t sv = 0; sv < s_.services.size(); ++sv)
    if (hosted(static_cast<int>(sv))) ledger_.charge_occupancy(sv, end);
  for (std::uint32_t i = 0; i < people_.size(); ++i) {
    Person& p = people_[i];
    if (p.state == State::Gone) continue;
    if (p.state == State::Waiting || p.state == State::InService || p.state == State::DischargeCheck)
      log_episode(p, kOutcomeOngoing, end);
  }
  people_.for_each([&](const Person& p) {
    if (p.delay_record != -1 && p.state != State::Away) {
      figs_.services[static_cast<std::size_t>(p.held_service)].delayed_beds.add(end, -1);
      if (p.held_service == s_.indicators.hospital) figs_.delayed_by_reason[p.delay_reason].add(end, -1);
    }
  });
  finish_series(end);
  for (std::size_t sv = 0; sv < s_.services.size(); ++sv) {
    const Thirds& t = thirds_[sv];
    const double growth = t.first_weeks > 0 && t.last_weeks > 0 ? t.last / t.last_weeks - t.first / t.first_weeks : kNaN;
    if (units_of(sv) == 1) {
      const Resource& r = res_[first_unit_[sv]];
      figs_.services[sv].queue = {r.utilisation(end), r.queue_level().mean(end), r.busy_level().mean(end), growth};
    } else {
      double busy_area = 0, places_area = 0, queue = 0, busy = 0;
      auto& units = figs_.services[sv].units;  // waits were added as people started
      for (std::size_t u = first_unit_[sv]; u < first_unit_[sv + 1]; ++u) {
        const Resource& r = res_[u];
        busy_area += r.busy_level().area(end);
        places_area += r.capacity_level().area(end);
        queue += r.queue_level().mean(end);
        busy += r.busy_level().mean(end);
        auto& fig = units[u - first_unit_[sv]];
        fig.utilisation = r.utilisation(end);
        fig.mean_queue = r.queue_level().mean(end);
      }
      figs_.services[sv].queue = {places_area > 0 ? busy_area / places_area : 0.0, queue, busy, growth};
    }
  }
  figs_.person_records = people_.size();
}

// ---- sites ---------------------------------------------------------------------------------

// The person goes to a service another site runs: their record travels with the message and
// arrives after the transfer time plus the hand-off delay (at least the lookahead). The
// record left here is kept, Away, only while timers scheduled for it are pending.
void SiteLp::transfer_out(Context& ctx, std::uint32_t i, double delay) {
  Person& p = people_[i];
  close_delay(p, ctx.now());  // a delayed transfer of care is recorded at each site while there
  if (p.held_service >= 0 && hosted(p.held_service)) ++held_away_[static_cast<std::size_t>(p.held_service)];
  Travel travel;
  if (const auto w = pathway_.find(i); w != pathway_.end()) travel.pathway = w->second, pathway_.erase(w);
  if (const auto d = discharged_.find(i); d != discharged_.end()) travel.discharged = d->second, discharged_.erase(d);
  if (const auto d = strategy_.find(i); d != strategy_.end()) travel.strategy = d->second, strategy_.erase(d);
  std::byte bytes[sizeof(Person) + sizeof(Travel)];
  std::memcpy(bytes, static_cast<const void*>(&p), sizeof(Person));
  std::memcpy(bytes + sizeof(Person), static_cast<const void*>(&travel), sizeof(Travel));
  ctx.send_with(static_cast<LpId>(s_.services[static_cast<std::size_t>(p.service)].site), s_.transfer_days + delay,
                kTransfer, p.id, std::span<const std::byte>(bytes, sizeof bytes));
  ++figs_.totals.transfers_out;
  ++p.version;
  p.state = State::Away;
  p.held_service = -1;
  release_person(i);
}

void SiteLp::transfer_in(Context& ctx) {
  const Attachment bytes = ctx.take_attachment();
  if (bytes.size() != sizeof(Person) + sizeof(Travel)) throw ContractViolation("care model: a transfer without a person record");
  const std::uint32_t i = new_person();
  Person& p = people_[i];
  const std::uint32_t version = p.version;
  std::memcpy(static_cast<void*>(&p), bytes.data(), sizeof(Person));
  Travel travel;
  std::memcpy(static_cast<void*>(&travel), bytes.data() + sizeof(Person), sizeof(Travel));
  if (!std::isnan(travel.pathway.start) || !std::isnan(travel.pathway.assessment_done)) pathway_[i] = travel.pathway;
  if (p.follow_up_pending) discharged_[i] = travel.discharged;
  if (!std::isnan(travel.strategy)) strategy_[i] = travel.strategy;
  p.version = version;  // versions guard this site's events for this record
  p.delay_record = -1;
  ++figs_.totals.transfers_in;
  if (p.held_service >= 0 && hosted(p.held_service)) --held_away_[static_cast<std::size_t>(p.held_service)];
  // The 91-day follow-up travels with the person (the one left at the old site is ignored).
  if (p.follow_up_pending) ctx.schedule_at(std::max(ctx.now(), travel.discharged + kFollowUpDays), kFollowUp, pack(i, 0));
  arrive(ctx, i);
}

// A place of a service run here (a hospital bed), held by someone at another site, is free.
void SiteLp::remote_place_freed(Context& ctx, std::uint64_t payload) {
  const auto h = static_cast<int>((payload >> 32) & 0x7FFFFFFFu);
  const auto code = static_cast<std::int32_t>(payload & 0xFFFFFFFFu);
  --held_away_[static_cast<std::size_t>(h)];
  ledger_.occupy(h, (payload >> 63) != 0, ctx.now(), -1);
  if (auto next = unit(h, held_team(code)).release(ctx.now(), held_place(code)))
    start(ctx, static_cast<std::uint32_t>(next->customer), static_cast<std::int32_t>(next->unit));
}

// ---- bookkeeping events ----------------------------------------------------------------------

void SiteLp::weekly(Context& ctx) {
  // The run's point of cancellation: a week is the model's natural step, and a relaxed load once
  // a week costs nothing next to the week's events.
  if (stop_ != nullptr && stop_->load(std::memory_order_relaxed)) throw Cancelled();
  const double now = ctx.now();
  record_week(now);
  // People and money are conserved throughout, not only at the end: a leak that cancels out
  // by the horizon, or an overflow in a 50-year run, is caught in the week it happens.
  check_invariants();
  if (now + kWeek <= horizon_ + 1e-9) ctx.schedule(kWeek, kWeekly, 0, 10);
}

void SiteLp::record_week(double now) {
  ledger_.charge_recurring(now);
  // Which third of the appraisal period this week's end lies in (0 or 2 count for the check).
  const double period = horizon_ - warmup_;
  const double at = period > 0 ? (now - warmup_) / period : -1;
  const int third = at > 0 && at <= 1.0 / 3 ? 0 : at > 2.0 / 3 ? 2 : 1;
  for (std::size_t sv = 0; sv < s_.services.size(); ++sv) {
    if (hosted(static_cast<int>(sv))) ledger_.charge_occupancy(sv, now);
    const auto queue = static_cast<double>(queue_length(sv));
    week_rows_[sv] = {queue, static_cast<double>(busy(sv)), ledger_.take_week_spend(sv), week_[sv].ups, week_[sv].downs};
    week_[sv] = {};
    if (third == 0) thirds_[sv].first += queue, ++thirds_[sv].first_weeks;
    if (third == 2) thirds_[sv].last += queue, ++thirds_[sv].last_weeks;
  }
  if (keep_.series) recorder_.week(now, week_rows_);
  last_week_ = now;
}

void SiteLp::finish_series(double now) {
  if (last_week_ < now - 1e-9) record_week(now);
}

void SiteLp::end_warmup(Context& ctx) {
  const double now = ctx.now();
  for (std::size_t sv = 0; sv < s_.services.size(); ++sv) {
    if (hosted(static_cast<int>(sv))) ledger_.charge_occupancy(sv, now);
    figs_.services[sv].delayed_beds.reset(now);
  }
  for (Resource& r : res_) r.reset_statistics(now);
  for (TimeWeighted& d : figs_.delayed_by_reason) d.reset(now);
}

void SiteLp::capacity_change(Context& ctx, std::uint64_t payload) {
  const auto sv = static_cast<std::size_t>(payload >> 32);
  const auto k = static_cast<std::size_t>(payload & 0xFFFFFFFFu);
  base_capacity_[sv] = s_.services[sv].capacity_schedule[k].capacity;
  set_capacity(ctx, sv, base_capacity_[sv]);
}

// A service's places change (a capacity step, a pool's re-allocation): a service made of units
// shares the new total among them in proportion to their places as loaded.
void SiteLp::set_capacity(Context& ctx, std::size_t sv, std::uint32_t c) {
  std::vector<ServiceStart> started;
  if (units_of(sv) == 1) {
    res_[first_unit_[sv]].set_capacity(ctx.now(), c, started);
  } else {
    const std::vector<std::uint32_t> split = split_places(c, unit_weight_[sv]);
    for (std::size_t u = 0; u < split.size(); ++u) res_[first_unit_[sv] + u].set_capacity(ctx.now(), split[u], started);
  }
  for (const ServiceStart& st : started) start(ctx, static_cast<std::uint32_t>(st.customer), static_cast<std::int32_t>(st.unit));
}

std::size_t SiteLp::queue_length(std::size_t sv) const {
  std::size_t n = 0;
  for (std::size_t u = first_unit_[sv]; u < first_unit_[sv + 1]; ++u) n += res_[u].queue_length();
  return n;
}

std::uint32_t SiteLp::busy(std::size_t sv) const {
  std::uint32_t n = 0;
  for (std::size_t u = first_unit_[sv]; u < first_unit_[sv + 1]; ++u) n += res_[u].busy();
  return n;
}

// Pooled budgets let capacity follow the queue: the flexible share of the pool's places is
// re-allocated, money for money, in proportion to each service's demand (people waiting or served).
void SiteLp::pool_review(Context& ctx, std::size_t pi) {
  const PoolSpec& pool = s_.pools[pi];
  double money = 0, weight = 0;
  std::vector<double> demand(pool.services.size());
  std::vector<std::uint32_t> fixed(pool.services.size());
  for (std::size_t j = 0; j < pool.services.size(); ++j) {
    const auto sv = static_cast<std::size_t>(pool.services[j]);
    const double rate = std::max(1.0, s_.services[sv].cost.daily_rate());
    const auto flex = static_cast<std::uint32_t>(std::floor(pool.flexible_share * base_capacity_[sv]));
    fixed[j] = base_capacity_[sv] - flex;
    money += flex * rate;
    demand[j] = static_cast<double>(queue_length(sv) + busy(sv)) * rate;
    weight += demand[j];
  }
  for (std::size_t j = 0; j < pool.services.size(); ++j) {
    const auto sv = static_cast<std::size_t>(pool.services[j]);
    const double rate = std::max(1.0, s_.services[sv].cost.daily_rate());
    const double share = weight > 0 ? demand[j] / weight : 1.0 / static_cast<double>(pool.services.size());
    const auto flex = static_cast<std::uint32_t>(std::floor(money * share / rate));
    set_capacity(ctx, sv, std::max<std::uint32_t>(1, fixed[j] + flex));
  }
  ctx.schedule(pool.review_days, kPoolReview, pi, 5);
}

// ---- invariants --------------------------------------------------------------------------------

void SiteLp::check_invariants() {
  ++figs_.invariant_checks;
  std::uint64_t present = 0;
  std::vector<std::uint64_t> waiting(s_.services.size(), 0), serving(s_.services.size(), 0);
  people_.for_each([&](const Person& p) {
    if (p.state == State::Gone || p.state == State::Away) return;
    ++present;
    if (p.state == State::Waiting) ++waiting[static_cast<std::size_t>(p.service)];
    if (p.state == State::InService) ++serving[static_cast<std::size_t>(p.service)];
    if (p.state == State::DischargeCheck) ++serving[static_cast<std::size_t>(p.service)];
    if (p.held_service >= 0 && p.state != State::DischargeCheck) ++serving[static_cast<std::size_t>(p.held_service)];
  });
  const Totals& t = figs_.totals;
  if (t.entered + t.transfers_in != t.exited + t.transfers_out + present)
    throw std::runtime_error("invariant broken: people arrived " + std::to_string(t.entered) + " + transferred in " +
                             std::to_string(t.transfers_in) + " != left " + std::to_string(t.exited) +
                             " + transferred out " + std::to_string(t.transfers_out) + " + in the system " +
                             std::to_string(present) + (s_.sites.empty() ? "" : " (site '" + s_.sites[static_cast<std::size_t>(site_)] + "')"));
  for (std::size_t sv = 0; sv < s_.services.size(); ++sv) {
    if (!hosted(static_cast<int>(sv))) continue;
    serving[sv] += held_away_[sv];
    if (queue_length(sv) != waiting[sv])
      throw std::runtime_error("invariant broken: service '" + s_.services[sv].name + "' queue holds " +
                               std::to_string(queue_length(sv)) + " but " + std::to_string(waiting[sv]) + " people wait there");
    if (busy(sv) != serving[sv])
      throw std::runtime_error("invariant broken: service '" + s_.services[sv].name + "' has " +
                               std::to_string(busy(sv)) + " busy places but serves " + std::to_string(serving[sv]));
  }
  ledger_.check();
}

}  // namespace careflow::models::care
