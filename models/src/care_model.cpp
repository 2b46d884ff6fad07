#include "careflow/models/care_model.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>
#include <numbers>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "careflow/engine/parallel_executor.hpp"
#include "careflow/engine/sequential_executor.hpp"
#include "careflow/models/scale.hpp"

namespace careflow::models {
namespace {

constexpr double kWeek = 7.0;
constexpr double kFollowUpDays = 91.0;  // NI 125 / ASCOF 2B
constexpr double kRereferralWindow = 365.0;
// Timers far ahead (an 18th birthday, an escalation years away, a long patience) are kept as a
// chain of wake-ups at most this many days apart: a timer made stale by the person moving on is
// dropped within this time instead of sitting in the event set for years (memory per person).
// Each link re-arms at the same absolute target, so the timer fires at exactly the same time.
constexpr double kTimerLink = 28.0;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

enum Kind : std::uint32_t {
  kCohortArrival = 1,
  kReferralArrive,
  kServiceEnd,
  kRenege,
  kEscalate,
  kReview,
  kTransition,
  kReturn,        // re-referral after leaving
  kFollowUp,      // 91 days after discharge into re-ablement
  kDischargeCheckDone,
  kWeekly,
  kWarmupEnd,
  kCapacityChange,
  kPoolReview,
  kOneOffCost,
  kTransfer,  // a person (record attached) arrives from another site
  kFreeBed,   // a hospital bed held by a person now at another site is free
};

// Purposes of a person's random streams. With the person's id, the service and the visit
// number they make the key, so a person meets the same luck in every scenario.
enum Purpose : std::uint64_t {
  kPCohortArrivals = 1,
  kPAttributes,
  kPDuration,
  kPRoute,
  kPHandoff,
  kPEscalation,
  kPDeEscalation,
  kPReview,
  kPReturn,
  kPDischargeCheck,
  kPPrevention,
};

std::uint64_t purpose(Purpose p, std::int64_t service, std::uint64_t visit) {
  return (visit << 24) | (static_cast<std::uint64_t>(service + 1) << 8) | p;
}

// Away: the record of a person who moved to another site (kept while its old timers are pending).
enum class State : std::uint8_t { Handoff, Waiting, InService, DischargeCheck, Gone, Away };

struct Person {
  std::uint64_t id = 0;           // (cohort << 40) | n-th arrival: keys the random streams
  double birth = 0;               // day of birth (negative: before the run)
  double referred = 0;            // arrival day at the current service
  // One of the two, by state: `started` in service or in a discharge check, `escalate_at` while
  // waiting (read only by escalation timers of the current version, which a start makes stale).
  union {
    double started = 0;           // service start day
    double escalate_at;           // when need rises if still waiting (the escalation timer's target)
  };
  double episode_cost = 0;        // £ so far in this episode
  double specialist_since = 0;
  double last_referral = -1e300;  // last arrival at the referrals indicator service
  float coproduction = 0;
  std::int16_t cohort = 0;
  std::int8_t need = 0;
  std::int8_t need_at_start = 0;
  State state = State::Gone;
  bool in_specialist : 1 = false;
  bool self_funder : 1 = false;
  bool tracked : 1 = false;
  bool follow_up_pending : 1 = false;
  bool return_pending : 1 = false;
  bool from_hospital : 1 = false;  // came straight from a hospital bed
  bool died : 1 = false;
  bool transitioned : 1 = false;   // moved to adult services already
  bool via_referral : 1 = false;   // referred to the children's referral point (before any redirection)
  std::int16_t specialist_service = -1;  // the specialist service entered at the last step up
  std::int16_t service = -1;
  std::int16_t previous = -1;     // last service left
  std::int16_t bed_hospital = -1;  // hospital whose bed is held while delayed
  std::int32_t bed_unit = -1;
  std::int32_t delay_record = -1;  // open DelayRecord index
  std::uint32_t version = 0;       // bumped at every move: stale events are ignored
  std::uint32_t visits = 0;
  std::uint16_t check = 0;         // next discharge check to consider
  std::uint16_t reviews = 0;       // reviews in the current episode
  // One of the two, by state: `unit` (the place held) in service or in a discharge check, the
  // queue `ticket` while waiting (read only after checking that the person is still waiting).
  union {
    std::int32_t unit = -1;
    std::uint64_t ticket;  // QueueTicket::pack()
  };
};
// Timestamps that few people carry at once are kept outside the record (see CareLp::pathway_
// and CareLp::discharged_); a transfer's attachment carries them after the record (Travel).
static_assert(sizeof(Person) <= 104, "person record: memory per person (docs/performance.md)");

// The current assessment pathway of a person, while there is one (about one person in ten).
struct Pathway {
  double start = kNaN;            // arrival at the first assessment of the current pathway
  double assessment_done = kNaN;  // last completed assessment, for NI 133
};
// What travels after the person record in a transfer's attachment.
struct Travel {
  Pathway pathway;
  double discharged = kNaN;
};

// Records travel between sites as bytes (a transfer's attachment).
static_assert(std::is_trivially_copyable_v<Person>);

// Person records in fixed blocks: indices stay valid, growth never copies the records (no
// transient doubling of the largest structure of a big run), and the slack is under one block.
class PersonStore {
 public:
  static constexpr std::size_t kBlock = 4096;
  Person& operator[](std::size_t i) noexcept { return blocks_[i / kBlock][i % kBlock]; }
  const Person& operator[](std::size_t i) const noexcept { return blocks_[i / kBlock][i % kBlock]; }
  std::size_t size() const noexcept { return size_; }
  void emplace_back() {
    if (size_ == blocks_.size() * kBlock) blocks_.push_back(std::make_unique<Person[]>(kBlock));
    ++size_;
  }
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i < size_; ++i) f((*this)[i]);
  }

 private:
  std::vector<std::unique_ptr<Person[]>> blocks_;
  std::size_t size_ = 0;
};

// Service numbers in person records are 16-bit (the model refuses more services than fit).
constexpr std::size_t kMaxServices = 32000;
std::int16_t svc(int service) { return static_cast<std::int16_t>(service); }

std::uint64_t pack(std::uint32_t index, std::uint32_t version) {
  return (static_cast<std::uint64_t>(version) << 32) | index;
}
std::uint32_t index_of(std::uint64_t payload) { return static_cast<std::uint32_t>(payload & 0xFFFFFFFFu); }
std::uint32_t version_of(std::uint64_t payload) { return static_cast<std::uint32_t>(payload >> 32); }

double exp_draw(RandomStream& rng, double rate) { return -std::log(rng.uniform01()) / rate; }

// Per-service accumulators since the end of the warm-up.
struct ServiceStats {
  QuantileSketch waits;  // fixed memory: quantiles within 0.5%, mean exact
  std::uint64_t arrivals = 0, starts = 0, completions = 0, balked = 0, reneged = 0;
  std::uint64_t starts_65plus = 0;
  double spend = 0;
  double funded_area_mark = 0, self_area_mark = 0;  // occupancy integrals at the last charge
  double week_spend = 0;
  double week_ups = 0, week_downs = 0;
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
  double self_funded = 0;
  double discounted = 0;
  double one_off = 0;  // one-off costs (e.g. restructuring), booked to agencies, not to services
  std::vector<double> spend_by_year;
  std::uint64_t transfers_out = 0, transfers_in = 0;  // people moved to / from other sites

  // Calls f on every field, of one Totals or side by side of several (merging sites, bytes).
  template <class F, class... T>
  static void each(F&& f, T&... t) {
    f(t.entered...), f(t.exited...), f(t.entered_after_warmup...), f(t.step_ups...), f(t.step_downs...);
    f(t.specialist_days...), f(t.referrals...), f(t.rereferrals...), f(t.assessments_done...);
    f(t.assessments_on_time...), f(t.assessment_days...), f(t.packages...), f(t.packages_on_time...);
    f(t.package_days...), f(t.follow_ups...), f(t.at_home...), f(t.assessments_started...), f(t.pathway_days...);
    f(t.self_funded...), f(t.discounted...), f(t.one_off...), f(t.spend_by_year...), f(t.transfers_out...);
    f(t.transfers_in...);
  }
};

// Adds one site's total into another's.
void add_into(std::uint64_t& a, std::uint64_t b) { a += b; }
void add_into(double& a, double b) { a += b; }
void add_into(Tally& a, const Tally& b) { a.merge(b); }
void add_into(std::vector<double>& a, const std::vector<double>& b) {
  for (std::size_t k = 0; k < a.size() && k < b.size(); ++k) a[k] += b[k];
}
template <class T>
void write_field(ByteWriter& w, const T& x) { w.pod(x); }
void write_field(ByteWriter& w, const std::vector<double>& x) { w.pods(x); }
template <class T>
void read_field(ByteReader& r, T& x) { x = r.pod<T>(); }
void read_field(ByteReader& r, std::vector<double>& x) { x = r.pods<double>(); }

// Whole or part years after the warm-up; the last one may be short.
std::size_t appraisal_years(const Scenario& s) {
  return std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(s.horizon_years - s.warmup_years - 1e-9)));
}

class CareLp final : public LogicalProcess {
 public:
  // One site of the scenario (the whole of it when it has one site): the services it runs, the
  // cohorts whose entry service it runs, and the people currently there.
  CareLp(const Scenario& s, ReplicationResult& out, bool keep_episodes, bool keep_records, int site = 0)
      : s_(s), out_(out), keep_episodes_(keep_episodes), keep_records_(keep_records), site_(site) {
    if (s.services.size() > kMaxServices)
      throw std::invalid_argument("care model: " + std::to_string(s.services.size()) + " services, at most " +
                                  std::to_string(kMaxServices) + " are supported");
    horizon_ = s.horizon_years * kDaysPerYear;
    warmup_ = s.warmup_years * kDaysPerYear;
    const auto ns = s.services.size();
    res_.reserve(ns);
    for (const ServiceSpec& sv : s.services) {
      const auto disc = sv.discipline;
      res_.emplace_back(sv.capacity, disc, sv.max_queue);
      base_capacity_.push_back(sv.capacity);
    }
    stats_.resize(ns);
    funded_occ_.assign(ns, TimeWeighted(0.0));
    self_occ_.assign(ns, TimeWeighted(0.0));
    delayed_.assign(ns, TimeWeighted(0.0));
    // Budget pots: one per agency, then one per pool (pools only count when budgets are pooled).
    pot_of_.resize(ns);
    for (std::size_t i = 0; i < ns; ++i) pot_of_[i] = s.services[i].agency;
    if (s.budget_mode != BudgetMode::Aligned)
      for (std::size_t p = 0; p < s.pools.size(); ++p)
        for (int sv : s.pools[p].services) pot_of_[sv] = static_cast<int>(s.agencies.size() + p);
    agency_spend_.assign(s.agencies.size(), 0.0);
    pot_spend_.assign(s.agencies.size() + s.pools.size(), 0.0);
    tier_spend_.assign(4, 0.0);
    beds_away_.assign(ns, 0);
    totals_.spend_by_year.assign(appraisal_years(s), 0.0);
    // Tracked persons: every k-th arrival by id, so the same people are tracked in every scenario.
    double expected = 0;
    for (const CohortSpec& c : s.cohorts) expected += c.population * c.episodes_per_1000_per_year / 1000 * s.horizon_years;
    track_every_ = s.tracked_people > 0 ? std::max<std::uint64_t>(1, static_cast<std::uint64_t>(expected / s.tracked_people)) : 0;
  }

  void on_start(Context& ctx) override {
    arrival_rng_.clear();
    for (std::size_t c = 0; c < s_.cohorts.size(); ++c) {
      arrival_rng_.push_back(ctx.stream(c, kPCohortArrivals));
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

  void on_event(Context& ctx, const Event& e) override {
    ++events_;
    switch (e.kind) {
      case kCohortArrival: return cohort_arrival(ctx, static_cast<std::size_t>(e.payload));
      case kWeekly: return weekly(ctx);
      case kWarmupEnd: return end_warmup(ctx);
      case kCapacityChange: return capacity_change(ctx, e.payload);
      case kPoolReview: return pool_review(ctx, static_cast<std::size_t>(e.payload));
      case kOneOffCost: return one_off(ctx.now(), s_.one_off_costs[e.payload]);
      case kTransfer: return transfer_in(ctx);
      case kFreeBed: return remote_bed_freed(ctx, e.payload);
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
      case kRenege: return rearm(ctx, e, renege_at(p)) ? void() : renege(ctx, i);
      case kEscalate: return rearm(ctx, e, p.escalate_at) ? void() : escalate(ctx, i);
      case kReview: return review(ctx, i);
      case kTransition: return rearm(ctx, e, birthday(p)) ? void() : transition(ctx, i);
      case kDischargeCheckDone: return discharge_checks(ctx, i);
      default: throw ContractViolation("care model: unknown event kind " + std::to_string(e.kind));
    }
  }

  void on_finish(Context& ctx) override {
    end_ = ctx.now();
    for (std::size_t sv = 0; sv < s_.services.size(); ++sv)
      if (hosted(static_cast<int>(sv))) charge_occupancy(sv, end_);
    for (std::uint32_t i = 0; i < people_.size(); ++i) {
      Person& p = people_[i];
      if (p.state == State::Gone) continue;
      if (p.state == State::Waiting || p.state == State::InService || p.state == State::DischargeCheck)
        log_episode(p, kOutcomeOngoing, end_);
    }
    people_.for_each([&](const Person& p) {
      if (p.delay_record != -1 && p.state != State::Away) delayed_[p.bed_hospital].add(end_, -1);
    });
    finish_series(end_);
    res_figs_.assign(s_.services.size(), ResourceFigures{});
    for (std::size_t sv = 0; sv < s_.services.size(); ++sv)
      res_figs_[sv] = {res_[sv].utilisation(end_), res_[sv].queue_level().mean(end_), res_[sv].busy_level().mean(end_)};
  }

  // ---- results -------------------------------------------------------------------------
  void collect(std::vector<double>& v) const;
  void absorb(CareLp& site);  // add another site's figures and records to this one's (after a run)
  // What absorb() and the metrics read of a site, as bytes and back (sites run on other MPI ranks).
  void save_figures(std::vector<char>& out) const;
  void load_figures(const std::vector<char>& in);
  std::uint64_t transfers_out() const noexcept { return totals_.transfers_out; }
  std::uint64_t transfers_in() const noexcept { return totals_.transfers_in; }
  void check_invariants();  // throws std::runtime_error naming what is not conserved

 private:
  // ---- arrivals --------------------------------------------------------------------------
  double cohort_rate(std::size_t c, double t) const {
    const CohortSpec& k = s_.cohorts[c];
    const double base = k.population * k.episodes_per_1000_per_year / 1000.0 / kDaysPerYear;
    const double growth = std::pow(1.0 + k.trend_per_year, t / kDaysPerYear);
    const double season = 1.0 + k.seasonal_amplitude *
                                    std::cos(2 * std::numbers::pi * (std::fmod(t, kDaysPerYear) - k.seasonal_peak_day) / kDaysPerYear);
    return base * growth * season;
  }
  double cohort_rate_max(std::size_t c) const {
    const CohortSpec& k = s_.cohorts[c];
    const double base = k.population * k.episodes_per_1000_per_year / 1000.0 / kDaysPerYear;
    return base * std::max(1.0, std::pow(1.0 + k.trend_per_year, s_.horizon_years)) * (1.0 + std::abs(k.seasonal_amplitude));
  }

  // Time-varying Poisson arrivals by thinning (Lewis & Shedler): candidates at the peak rate,
  // each kept with probability rate(t) / peak.
  void next_arrival(Context& ctx, std::size_t c) {
    const double peak = cohort_rate_max(c);
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

  void cohort_arrival(Context& ctx, std::size_t c) {
    const CohortSpec& k = s_.cohorts[c];
    const std::uint32_t i = new_person();
    Person& p = people_[i];
    p.id = (static_cast<std::uint64_t>(c) << 40) | arrivals_made_[c]++;
    p.cohort = static_cast<std::int16_t>(c);
    RandomStream rng = ctx.stream(p.id, kPAttributes);
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
      RandomStream prng = ctx.stream(p.id, kPPrevention);
      if (prng.uniform01() < prevention(ctx.now(), &PreventionEffect::need_reduction)) --p.need;
    }
    p.coproduction = static_cast<float>(k.coproduction_min + (k.coproduction_max - k.coproduction_min) * rng.uniform01());
    p.self_funder = rng.uniform01() < k.self_funder_share;
    p.tracked = track_every_ > 0 && (p.id & 0xFFFFFFFFFFull) % track_every_ == 0;
    ++totals_.entered;
    if (after_warmup(ctx.now())) ++totals_.entered_after_warmup;
    refer(ctx, i, k.entry, -1);
    next_arrival(ctx, c);
  }

  std::uint32_t new_person() {
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

  void release_person(std::uint32_t i) {
    Person& p = people_[i];
    if ((p.state == State::Gone || p.state == State::Away) && !p.follow_up_pending && !p.return_pending) free_.push_back(i);
  }

  // ---- moves -----------------------------------------------------------------------------
  double age_years(const Person& p, double now) const { return (now - p.birth) / kDaysPerYear; }
  bool after_warmup(double t) const { return t >= warmup_; }

  void track(const Person& p, double now, int service, int state) {
    if (p.tracked && keep_records_) out_.tracks.push_back({p.id, now, service, state});
  }

  // Send person i to `target` (kExit: leave). `from` is the service left (-1: a new episode).
  void refer(Context& ctx, std::uint32_t i, int target, int from) {
    Person& p = people_[i];
    p.via_referral = target >= 0 && target == s_.indicators.referrals;
    // With integrated assessment, follow the chain of redirections (bounded, as validation does).
    for (std::size_t step = 0; step < s_.services.size() && target >= 0 && s_.integrated_assessment &&
                               s_.services[target].integrated_into != kExit;
         ++step)
      target = s_.services[target].integrated_into;
    if (target < 0) return leave(ctx, i, target == kDied);
    ++p.version;
    p.state = State::Handoff;
    p.service = svc(target);
    double delay = 0;
    if (from >= 0 && !p.from_hospital) {
      const bool across = s_.services[from].agency != s_.services[target].agency;
      RandomStream rng = ctx.stream(p.id, purpose(kPHandoff, target, p.visits));
      delay = std::max(0.0, (across ? s_.handoff_across : s_.handoff_within).sample(rng));
    }
    track(p, ctx.now(), target, 2);
    if (!hosted(target)) return transfer_out(ctx, i, delay);
    ctx.schedule(delay, kReferralArrive, pack(i, p.version));
  }

  // ---- sites -----------------------------------------------------------------------------
  bool hosted(int sv) const { return s_.services[static_cast<std::size_t>(sv)].site == site_; }

  // The person goes to a service another site runs: their record travels with the message and
  // arrives after the transfer time plus the hand-off delay (at least the lookahead). The
  // record left here is kept, Away, only while timers scheduled for it are pending.
  void transfer_out(Context& ctx, std::uint32_t i, double delay) {
    Person& p = people_[i];
    close_delay(p, ctx.now());  // a delayed transfer of care is recorded at each site while there
    if (p.bed_hospital >= 0 && hosted(p.bed_hospital)) ++beds_away_[static_cast<std::size_t>(p.bed_hospital)];
    Travel travel;
    if (const auto w = pathway_.find(i); w != pathway_.end()) travel.pathway = w->second, pathway_.erase(w);
    if (const auto d = discharged_.find(i); d != discharged_.end()) travel.discharged = d->second, discharged_.erase(d);
    std::byte bytes[sizeof(Person) + sizeof(Travel)];
    std::memcpy(bytes, static_cast<const void*>(&p), sizeof(Person));
    std::memcpy(bytes + sizeof(Person), static_cast<const void*>(&travel), sizeof(Travel));
    ctx.send_with(static_cast<LpId>(s_.services[static_cast<std::size_t>(p.service)].site), s_.transfer_days + delay,
                  kTransfer, p.id, std::span<const std::byte>(bytes, sizeof bytes));
    ++totals_.transfers_out;
    ++p.version;
    p.state = State::Away;
    p.bed_hospital = -1;
    release_person(i);
  }

  void transfer_in(Context& ctx) {
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
    p.version = version;  // versions guard this site's events for this record
    p.delay_record = -1;
    ++totals_.transfers_in;
    if (p.bed_hospital >= 0 && hosted(p.bed_hospital)) --beds_away_[static_cast<std::size_t>(p.bed_hospital)];
    // The 91-day follow-up travels with the person (the one left at the old site is ignored).
    if (p.follow_up_pending) ctx.schedule_at(std::max(ctx.now(), travel.discharged + kFollowUpDays), kFollowUp, pack(i, 0));
    arrive(ctx, i);
  }

  // A bed of a hospital run here, held by someone at another site, is free.
  void remote_bed_freed(Context& ctx, std::uint64_t payload) {
    const auto h = static_cast<int>(payload >> 32);
    const auto unit = static_cast<std::uint32_t>(payload & 0xFFFFFFFFu);
    --beds_away_[static_cast<std::size_t>(h)];
    occupy_raw(h, false, ctx.now(), -1);
    if (auto next = res_[static_cast<std::size_t>(h)].release(ctx.now(), unit))
      start(ctx, static_cast<std::uint32_t>(next->customer), static_cast<std::int32_t>(next->unit));
  }

  // A step up is counted at the specialist service entered, a step down at the one left.
  void step_change(Person& p, double now, int from, int to, int direction) {
    const int counted = direction > 0 ? to : p.specialist_service;
    if (direction > 0) {
      p.in_specialist = true;
      p.specialist_since = now;
      p.specialist_service = svc(to);
    } else {
      p.in_specialist = false;
    }
    if (!after_warmup(now)) return;
    if (direction > 0) {
      ++totals_.step_ups;
      stats_[static_cast<std::size_t>(counted)].week_ups += 1;
    } else {
      ++totals_.step_downs;
      totals_.specialist_days.add(now - p.specialist_since);
      if (counted >= 0) stats_[static_cast<std::size_t>(counted)].week_downs += 1;
    }
    if (keep_records_) out_.step_changes.push_back({p.id, now, from, to, direction});
  }

  void arrive(Context& ctx, std::uint32_t i) {
    Person& p = people_[i];
    const double now = ctx.now();
    const int sv = p.service;
    const ServiceSpec& spec = s_.services[sv];
    ++p.version;
    ++p.visits;
    p.referred = now;
    p.episode_cost = 0;
    p.need_at_start = p.need;
    if (spec.tier == Tier::Specialist && !p.in_specialist) step_change(p, now, p.previous, sv, +1);
    if (spec.tier != Tier::Specialist && spec.tier != Tier::Acute && p.in_specialist)
      step_change(p, now, p.previous, sv, -1);
    const bool referral_point = p.via_referral;
    if (after_warmup(now)) {
      ++stats_[sv].arrivals;
      if (referral_point) {
        ++totals_.referrals;
        if (now - p.last_referral <= kRereferralWindow) ++totals_.rereferrals;
      }
    }
    if (referral_point) p.last_referral = now;
    if (spec.kind == ServiceKind::Assessment) {
      Pathway& w = pathway_[i];
      if (std::isnan(w.start)) w.start = now;
    }
    const std::int32_t priority = -p.need;  // priority discipline: higher need first
    const Admission a = res_[sv].arrive(now, i, priority);
    switch (a.outcome) {
      case Admission::Outcome::Started:
        start(ctx, i, static_cast<std::int32_t>(a.unit));
        break;
      case Admission::Outcome::Queued:
        p.state = State::Waiting;
        p.ticket = a.ticket.pack();
        track(p, now, sv, 0);
        if (p.bed_hospital >= 0) open_delay(p, sv, spec.dtoc_reason.empty() ? spec.name : spec.dtoc_reason, now);
        if (std::isfinite(spec.patience_days)) arm(ctx, renege_at(p), kRenege, pack(i, p.version));
        schedule_escalation(ctx, i);
        schedule_transition(ctx, i);
        break;
      case Admission::Outcome::Balked:
        if (after_warmup(now)) ++stats_[sv].balked;
        log_episode(p, kOutcomeBalked, now);
        free_bed(ctx, p);
        p.previous = svc(sv);
        refer(ctx, i, spec.overflow_to, sv);
        break;
    }
  }

  void start(Context& ctx, std::uint32_t i, std::int32_t unit) {
    Person& p = people_[i];
    const double now = ctx.now();
    const int sv = p.service;
    const ServiceSpec& spec = s_.services[sv];
    ++p.version;
    p.state = State::InService;
    p.unit = unit;
    p.started = now;
    p.reviews = 0;
    // NI 125 / ASCOF 2B: older people discharged from hospital into re-ablement, followed up 91 days on.
    if (sv == s_.indicators.reablement && p.bed_hospital >= 0 && age_years(p, now) >= 65 && !p.follow_up_pending) {
      p.follow_up_pending = true;
      discharged_[i] = now;
      ctx.schedule(kFollowUpDays, kFollowUp, pack(i, 0));
    }
    free_bed(ctx, p);  // a delayed hospital patient leaves the bed as the next service starts
    occupy(sv, p, now, +1);
    const auto path = pathway_.find(i);
    const Pathway pw = path != pathway_.end() ? path->second : Pathway{};
    if (after_warmup(now)) {
      ++stats_[sv].starts;
      stats_[sv].waits.add(now - p.referred);
      if (age_years(p, now) >= 65) ++stats_[sv].starts_65plus;
      if (spec.kind != ServiceKind::Assessment && !std::isnan(pw.assessment_done)) {
        const double d = now - pw.assessment_done;
        ++totals_.packages;
        totals_.package_days.add(d);
        if (d <= s_.indicators.package_target_days) ++totals_.packages_on_time;
      }
    }
    if (spec.kind == ServiceKind::Assessment) {
      if (after_warmup(now)) ++totals_.assessments_started;
    } else {
      if (!std::isnan(pw.start) && after_warmup(now)) totals_.pathway_days.add(now - pw.start);
      if (path != pathway_.end()) pathway_.erase(path);
    }
    charge(sv, p, spec.cost.per_contact + spec.cost.per_episode, now);
    track(p, now, sv, 1);
    RandomStream rng = ctx.stream(p.id, purpose(kPDuration, sv, p.visits));
    const double d = std::max(0.0, spec.duration.sample(rng));
    ctx.schedule(d, kServiceEnd, pack(i, p.version));
    if (spec.review.every_days > 0) ctx.schedule(spec.review.every_days, kReview, pack(i, p.version));
    schedule_transition(ctx, i);
  }

  // The person leaves their place at the current service (service over, stepped down at a
  // review, or moved at 18); the place goes to the next in line.
  void vacate(Context& ctx, std::uint32_t i) {
    Person& p = people_[i];
    const double now = ctx.now();
    const int sv = p.service;
    occupy(sv, p, now, -1);
    charge_person_days(sv, p, now);
    if (auto next = res_[sv].release(now, static_cast<std::uint32_t>(p.unit))) start(ctx, static_cast<std::uint32_t>(next->customer), static_cast<std::int32_t>(next->unit));
  }

  void service_end(Context& ctx, std::uint32_t i) {
    Person& p = people_[i];
    const double now = ctx.now();
    const int sv = p.service;
    const ServiceSpec& spec = s_.services[sv];
    // Need falls while appropriate support is received; co-production helps.
    if (spec.de_escalation_per_year > 0 && p.need > 0) {
      const CohortSpec& k = s_.cohorts[p.cohort];
      const double rate = spec.de_escalation_per_year * (1.0 + k.coproduction_effect * p.coproduction) / kDaysPerYear;
      RandomStream rng = ctx.stream(p.id, purpose(kPDeEscalation, sv, p.visits));
      if (rng.uniform01() < 1.0 - std::exp(-rate * (now - p.started))) --p.need;
    }
    if (after_warmup(now)) ++stats_[sv].completions;
    if (spec.kind == ServiceKind::Assessment) {
      pathway_[i].assessment_done = now;
      if (after_warmup(p.referred)) {
        for (int a : s_.indicators.assessments)
          if (a == sv) {
            const double d = now - p.referred;
            ++totals_.assessments_done;
            totals_.assessment_days.add(d);
            if (d <= s_.indicators.assessment_target_days) ++totals_.assessments_on_time;
          }
      }
    }
    if (spec.kind == ServiceKind::Hospital) {
      // Medically fit: the bed is kept until the patient can move on.
      p.state = State::DischargeCheck;
      p.check = 0;
      p.bed_hospital = svc(sv);
      p.bed_unit = p.unit;
      return discharge_checks(ctx, i);
    }
    const int next = choose_route(ctx, p, sv);
    vacate(ctx, i);
    log_episode(p, next, now);
    p.previous = svc(sv);
    p.from_hospital = false;
    refer(ctx, i, next, sv);
  }

  // A share of medically fit patients wait for an assessment or a funding decision first.
  void discharge_checks(Context& ctx, std::uint32_t i) {
    Person& p = people_[i];
    const double now = ctx.now();
    close_delay(p, now);
    while (p.check < s_.discharge_checks.size()) {
      const DischargeCheckSpec& c = s_.discharge_checks[p.check];
      RandomStream rng = ctx.stream(p.id, purpose(kPDischargeCheck, p.check, p.visits));
      ++p.check;
      if (rng.uniform01() < c.probability) {
        const double d = std::max(0.0, c.duration.sample(rng));
        open_delay(p, -1, c.reason, now);
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
      free_bed(ctx, p);
      return refer(ctx, i, next, sv);
    }
    p.from_hospital = true;
    refer(ctx, i, next, sv);  // no hand-off delay: discharge is planned on the ward
  }

  void free_bed(Context& ctx, Person& p) {
    if (p.bed_hospital < 0) return;
    const double now = ctx.now();
    close_delay(p, now);
    const int h = p.bed_hospital;
    const auto unit = static_cast<std::uint32_t>(p.bed_unit);
    p.bed_hospital = -1;
    p.bed_unit = -1;
    p.from_hospital = false;
    if (!hosted(h)) {  // the hospital's site learns of it after the transfer time
      ctx.send(static_cast<LpId>(s_.services[static_cast<std::size_t>(h)].site), s_.transfer_days, kFreeBed,
               (static_cast<std::uint64_t>(h) << 32) | unit);
      return;
    }
    // Hospital occupancy and bed-day costs run until the bed is free.
    occupy_raw(h, false, now, -1);
    if (auto next = res_[h].release(now, unit)) start(ctx, static_cast<std::uint32_t>(next->customer), static_cast<std::int32_t>(next->unit));
  }

  // p.delay_record: -1 no open delay; kDelayUnrecorded an open delay without a record.
  static constexpr std::int32_t kDelayUnrecorded = -2;
  void open_delay(Person& p, int waiting_for, const std::string& reason, double now) {
    close_delay(p, now);
    if (keep_records_) {
      p.delay_record = static_cast<std::int32_t>(out_.delays.size());
      out_.delays.push_back({p.id, p.bed_hospital, waiting_for, reason, now, kNaN});
    } else {
      p.delay_record = kDelayUnrecorded;
    }
    delayed_[p.bed_hospital].add(now, 1);
  }
  void close_delay(Person& p, double now) {
    if (p.delay_record == -1) return;
    if (p.delay_record >= 0) out_.delays[static_cast<std::size_t>(p.delay_record)].end = now;
    delayed_[p.bed_hospital].add(now, -1);  // the bed is held until the delay closes
    p.delay_record = -1;
  }

  int choose_route(Context& ctx, const Person& p, int sv) {
    const ServiceSpec& spec = s_.services[sv];
    const double age = age_years(p, ctx.now());
    for (const RouteRule& r : spec.routes) {
      const Condition& c = r.when;
      if (!c.need_levels.empty() && std::find(c.need_levels.begin(), c.need_levels.end(), p.need) == c.need_levels.end()) continue;
      if (age < c.min_age || age >= c.max_age) continue;
      if (!c.cohorts.empty() && std::find(c.cohorts.begin(), c.cohorts.end(), p.cohort) == c.cohorts.end()) continue;
      RandomStream rng = ctx.stream(p.id, purpose(kPRoute, sv, p.visits));
      double u = rng.uniform01();
      for (const RouteTarget& t : r.to) {
        if (u < t.probability) return t.service;
        u -= t.probability;
      }
      return r.to.empty() ? kExit : r.to.back().service;  // rounding: the last target
    }
    return kExit;
  }

  void leave(Context& ctx, std::uint32_t i, bool died) {
    Person& p = people_[i];
    const double now = ctx.now();
    if (p.in_specialist) step_change(p, now, p.previous, -1, -1);
    ++p.version;
    p.state = State::Gone;
    p.service = -1;
    pathway_.erase(i);
    ++totals_.exited;
    p.died = died;
    track(p, now, -1, 3);
    // Some leave with needs still there and come back within 12 months (re-referral).
    const CohortSpec& k = s_.cohorts[p.cohort];
    if (!died && k.rereferral_probability > 0 && p.need > 0 && !p.return_pending) {
      RandomStream rng = ctx.stream(p.id, purpose(kPReturn, -1, p.visits));
      if (rng.uniform01() < k.rereferral_probability) {
        p.return_pending = true;
        ctx.schedule(rng.uniform01() * kRereferralWindow, kReturn, pack(i, 0));
      }
    }
    release_person(i);
  }

  void returned(Context& ctx, std::uint32_t i) {
    Person& p = people_[i];
    p.return_pending = false;
    if (p.state != State::Gone) return release_person(i);
    ++totals_.entered;
    if (after_warmup(ctx.now())) ++totals_.entered_after_warmup;
    p.previous = -1;
    refer(ctx, i, s_.cohorts[p.cohort].entry, -1);
  }

  void follow_up(Person& p, std::uint32_t i) {
    p.follow_up_pending = false;
    const auto d = discharged_.find(i);
    const double discharged = d != discharged_.end() ? d->second : kNaN;
    if (d != discharged_.end()) discharged_.erase(d);
    if (p.state == State::Away) return release_person(i);  // followed up where the person went
    if (after_warmup(discharged)) {
      ++totals_.follow_ups;
      // At home: not in hospital and not in residential care.
      const bool in_hospital = p.state != State::Gone && (p.bed_hospital >= 0 || (p.service >= 0 && s_.services[p.service].kind == ServiceKind::Hospital));
      const bool in_care_home = p.state != State::Gone && p.service == s_.indicators.residential;
      if (!in_hospital && !in_care_home && !p.died) ++totals_.at_home;
    }
    release_person(i);
  }

  void renege(Context& ctx, std::uint32_t i) {
    Person& p = people_[i];
    const double now = ctx.now();
    if (p.state != State::Waiting || !res_[p.service].renege(now, QueueTicket::unpack(p.ticket))) return;
    const int sv = p.service;
    if (after_warmup(now)) ++stats_[sv].reneged;
    log_episode(p, kOutcomeReneged, now);
    free_bed(ctx, p);
    p.previous = svc(sv);
    refer(ctx, i, s_.services[sv].overflow_to, sv);
  }

  void schedule_escalation(Context& ctx, std::uint32_t i) {
    Person& p = people_[i];
    const ServiceSpec& spec = s_.services[p.service];
    const int top = static_cast<int>(s_.need_levels.size()) - 1;
    if (!(spec.escalation_per_year > 0) || p.need >= top) return;
    const CohortSpec& k = s_.cohorts[p.cohort];
    const double rate = spec.escalation_per_year * std::max(0.0, 1.0 - k.coproduction_effect * p.coproduction) *
                        (1.0 - prevention(ctx.now(), &PreventionEffect::escalation_reduction)) / kDaysPerYear;
    if (!(rate > 0)) return;
    RandomStream rng = ctx.stream(p.id, purpose(kPEscalation, p.service, (static_cast<std::uint64_t>(p.visits) << 4) | static_cast<std::uint64_t>(p.need)));
    p.escalate_at = ctx.now() + exp_draw(rng, rate);
    arm(ctx, p.escalate_at, kEscalate, pack(i, p.version));
  }

  // A timer for `target`, as the first link of a chain of wake-ups (see kTimerLink).
  static void arm(Context& ctx, double target, std::uint32_t kind, std::uint64_t payload) {
    ctx.schedule_at(std::min(target, ctx.now() + kTimerLink), kind, payload);
  }
  // A wake-up before its target: arm the next link and report that the timer has not fired.
  static bool rearm(Context& ctx, const Event& e, double target) {
    if (!(ctx.now() < target)) return false;
    arm(ctx, target, e.kind, e.payload);
    return true;
  }
  double renege_at(const Person& p) const { return p.referred + s_.services[p.service].patience_days; }
  double birthday(const Person& p) const {
    return p.birth + s_.cohorts[p.cohort].transition_age * kDaysPerYear;
  }

  // Need rises while waiting unserved; at the top level the person may be re-referred to a
  // more intensive service (the route by which long waits turn into step changes).
  void escalate(Context& ctx, std::uint32_t i) {
    Person& p = people_[i];
    if (p.state != State::Waiting) return;
    ++p.need;
    const int top = static_cast<int>(s_.need_levels.size()) - 1;
    const int sv = p.service;
    const ServiceSpec& spec = s_.services[sv];
    if (p.need >= top && spec.escalate_to != kExit) {
      if (!res_[sv].renege(ctx.now(), QueueTicket::unpack(p.ticket))) return;
      log_episode(p, kOutcomeEscalated, ctx.now());
      free_bed(ctx, p);
      p.previous = svc(sv);
      return refer(ctx, i, spec.escalate_to, sv);
    }
    schedule_escalation(ctx, i);
  }

  void review(Context& ctx, std::uint32_t i) {
    Person& p = people_[i];
    const int sv = p.service;
    const ReviewSpec& r = s_.services[sv].review;
    charge(sv, p, r.cost + s_.services[sv].cost.per_contact, ctx.now());
    RandomStream rng = ctx.stream(p.id, purpose(kPReview, sv, (static_cast<std::uint64_t>(p.visits) << 16) | p.reviews++));
    if (rng.uniform01() < r.step_down_probability) {
      vacate(ctx, i);
      log_episode(p, r.step_down_to, ctx.now());
      p.previous = svc(sv);
      return refer(ctx, i, r.step_down_to, sv);
    }
    ctx.schedule(r.every_days, kReview, pack(i, p.version));
  }

  void schedule_transition(Context& ctx, std::uint32_t i) {
    const Person& p = people_[i];
    const CohortSpec& k = s_.cohorts[p.cohort];
    if (k.transition_to == kExit || p.service == k.transition_to) return;
    if (p.transitioned) return;
    const double at = birthday(p);
    if (at > horizon_) return;
    // A birthday missed while in hand-off or a discharge check is caught up at once.
    arm(ctx, std::max(at, ctx.now()), kTransition, pack(i, p.version));
  }

  // At 18 a young person with ongoing needs moves from children's to adult services.
  void transition(Context& ctx, std::uint32_t i) {
    Person& p = people_[i];
    if (p.need == 0 || p.transitioned) return;
    const int sv = p.service;
    if (p.state == State::Waiting) {
      if (!res_[sv].renege(ctx.now(), QueueTicket::unpack(p.ticket))) return;
      free_bed(ctx, p);
    } else if (p.state == State::InService) {
      vacate(ctx, i);
    } else {
      return;
    }
    log_episode(p, kOutcomeTransition, ctx.now());
    p.transitioned = true;
    p.previous = svc(sv);
    refer(ctx, i, s_.cohorts[p.cohort].transition_to, sv);
  }

  // Effect of prevention at time t: each effect ramps linearly from its start to full.
  double prevention(double t, double PreventionEffect::*what) const {
    double total = 0;
    for (const PreventionEffect& e : s_.prevention) {
      if (t < e.start) continue;
      const double ramp = e.ramp > 0 ? std::min(1.0, (t - e.start) / e.ramp) : 1.0;
      total += ramp * (e.*what);
    }
    return std::min(1.0, total);
  }

  // ---- money -----------------------------------------------------------------------------
  // Spending by year of the appraisal period (year 1 starts at the end of the warm-up).
  void add_to_year(double now, double amount) {
    auto& years = totals_.spend_by_year;
    const auto y = std::min(years.size() - 1, static_cast<std::size_t>(std::max(0.0, (now - warmup_) / kDaysPerYear)));
    years[y] += amount;
  }

  void one_off(double now, const OneOffCost& c) {
    if (!after_warmup(now)) return;  // before the appraisal period: not counted
    totals_.one_off += c.amount;
    agency_spend_[static_cast<std::size_t>(c.agency)] += c.amount;
    pot_spend_[static_cast<std::size_t>(c.agency)] += c.amount;
    totals_.discounted += c.amount / std::pow(1.0 + s_.discount_rate, (now - warmup_) / kDaysPerYear);
    add_to_year(now, c.amount);
  }

  // Self-funders pay for their own long-term care (specialist services such as home care
  // and care homes); assessments, re-ablement and the NHS stay free to them.
  bool self_pays(int sv, const Person& p) const {
    return p.self_funder && s_.services[sv].tier == Tier::Specialist && s_.services[sv].kind == ServiceKind::Service;
  }
  void occupy(int sv, const Person& p, double now, int delta) { occupy_raw(sv, self_pays(sv, p), now, delta); }
  void occupy_raw(int sv, bool self, double now, int delta) {
    charge_occupancy(static_cast<std::size_t>(sv), now);
    (self ? self_occ_ : funded_occ_)[static_cast<std::size_t>(sv)].add(now, delta);
  }

  // Day-rate costs of occupied places since the last charge, split funded / self-funded.
  void charge_occupancy(std::size_t sv, double now) {
    ServiceStats& st = stats_[sv];
    const double rate = s_.services[sv].cost.daily_rate();
    const double funded = funded_occ_[sv].area(now), self = self_occ_[sv].area(now);
    if (rate > 0) {
      const double amount = rate * (funded - st.funded_area_mark);
      book(sv, amount, now);
      if (after_warmup(now)) totals_.self_funded += rate * (self - st.self_area_mark);
    }
    st.funded_area_mark = funded;
    st.self_area_mark = self;
  }

  // A person's own episode cost (for the episode record and cost per person).
  void charge_person_days(int sv, Person& p, double now) {
    if (!self_pays(sv, p)) p.episode_cost += s_.services[sv].cost.daily_rate() * (now - p.started);
  }

  void charge(int sv, Person& p, double amount, double now) {
    if (!(amount > 0)) return;
    p.episode_cost += amount;
    book(static_cast<std::size_t>(sv), amount, now);
  }

  void book(std::size_t sv, double amount, double now) {
    if (amount == 0) return;
    stats_[sv].week_spend += amount;
    if (!after_warmup(now)) return;
    stats_[sv].spend += amount;
    agency_spend_[static_cast<std::size_t>(s_.services[sv].agency)] += amount;
    pot_spend_[static_cast<std::size_t>(pot_of_[sv])] += amount;
    tier_spend_[static_cast<std::size_t>(s_.services[sv].tier)] += amount;
    add_to_year(now, amount);
    // Discounted to the end of the warm-up (the start of the appraisal period).
    totals_.discounted += amount / std::pow(1.0 + s_.discount_rate, (now - warmup_) / kDaysPerYear);
  }

  // ---- bookkeeping events ----------------------------------------------------------------
  void weekly(Context& ctx) {
    const double now = ctx.now();
    record_week(now);
    // People and money are conserved throughout, not only at the end: a leak that cancels out
    // by the horizon, or an overflow in a 50-year run, is caught in the week it happens.
    check_invariants();
    if (now + kWeek <= horizon_ + 1e-9) ctx.schedule(kWeek, kWeekly, 0, 10);
  }

  // Recurring costs accrue day by day from their start; charged at each week's end.
  void charge_recurring(double now) {
    for (const RecurringCost& c : s_.recurring_costs) {
      const double from = std::max(c.from, last_recurring_), days = now - from;
      if (days > 0 && hosted(c.service)) book(static_cast<std::size_t>(c.service), c.per_year * days / kDaysPerYear, now);
    }
    last_recurring_ = now;
  }

  void record_week(double now) {
    charge_recurring(now);
    Series& se = out_.series;
    se.services = s_.services.size();
    se.time_days.push_back(now);
    for (std::size_t sv = 0; sv < s_.services.size(); ++sv) {
      if (hosted(static_cast<int>(sv))) charge_occupancy(sv, now);
      se.queue.push_back(static_cast<double>(res_[sv].queue_length()));
      se.occupancy.push_back(static_cast<double>(res_[sv].busy()));
      se.spend.push_back(stats_[sv].week_spend);
      se.step_ups.push_back(stats_[sv].week_ups);
      se.step_downs.push_back(stats_[sv].week_downs);
      stats_[sv].week_spend = stats_[sv].week_ups = stats_[sv].week_downs = 0;
    }
  }

  void finish_series(double now) {
    if (out_.series.time_days.empty() || out_.series.time_days.back() < now - 1e-9) record_week(now);
  }

  void end_warmup(Context& ctx) {
    const double now = ctx.now();
    for (std::size_t sv = 0; sv < s_.services.size(); ++sv) {
      if (hosted(static_cast<int>(sv))) charge_occupancy(sv, now);
      res_[sv].reset_statistics(now);
      delayed_[sv].reset(now);
    }
  }

  void capacity_change(Context& ctx, std::uint64_t payload) {
    const auto sv = static_cast<std::size_t>(payload >> 32);
    const auto k = static_cast<std::size_t>(payload & 0xFFFFFFFFu);
    base_capacity_[sv] = s_.services[sv].capacity_schedule[k].capacity;
    set_capacity(ctx, sv, base_capacity_[sv]);
  }

  void set_capacity(Context& ctx, std::size_t sv, std::uint32_t c) {
    std::vector<ServiceStart> started;
    res_[sv].set_capacity(ctx.now(), c, started);
    for (const ServiceStart& st : started) start(ctx, static_cast<std::uint32_t>(st.customer), static_cast<std::int32_t>(st.unit));
  }

  // Pooled budgets let capacity follow the queue: the flexible share of the pool's places is
  // re-allocated, money for money, in proportion to each service's demand (people waiting or served).
  void pool_review(Context& ctx, std::size_t pi) {
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
      demand[j] = static_cast<double>(res_[sv].queue_length() + res_[sv].busy()) * rate;
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

  // ---- records ---------------------------------------------------------------------------
  void log_episode(Person& p, int outcome, double now) {
    if (!keep_episodes_ || !after_warmup(p.referred)) return;
    EpisodeRecord r;
    r.person = p.id;
    r.cohort = p.cohort;
    r.service = p.service;
    r.referred = p.referred;
    const bool began = p.state == State::InService || p.state == State::DischargeCheck;
    r.started = began ? p.started : kNaN;
    r.ended = outcome == kOutcomeOngoing ? kNaN : now;
    double cost = p.episode_cost;
    if (outcome == kOutcomeOngoing && (p.state == State::InService || p.state == State::DischargeCheck) &&
        !self_pays(p.service, p))
      cost += s_.services[p.service].cost.daily_rate() * (now - p.started);
    r.cost = cost;
    r.outcome = outcome;  // kDied == kOutcomeDied
    r.unit = began ? p.unit : -1;
    r.need_at_start = p.need_at_start;
    r.need_at_end = p.need;
    out_.episodes.push_back(r);
  }

 public:
  const Scenario& s_;
  ReplicationResult& out_;
  bool keep_episodes_;
  bool keep_records_;  // step changes, delays, tracks
  double horizon_ = 0, warmup_ = 0, end_ = 0;
  std::vector<Resource> res_;
  std::vector<std::uint32_t> base_capacity_;
  std::vector<ServiceStats> stats_;
  std::vector<TimeWeighted> funded_occ_, self_occ_, delayed_;
  std::vector<int> pot_of_;
  std::vector<double> agency_spend_, pot_spend_, tier_spend_;
  int site_ = 0;
  struct ResourceFigures {
    double utilisation = 0, mean_queue = 0, mean_busy = 0;  // over the appraisal period, at the end
  };
  std::vector<ResourceFigures> res_figs_;  // set when the run finishes
  std::vector<std::uint32_t> beds_away_;  // beds of hospitals run here held by people at other sites
  PersonStore people_;
  std::vector<std::uint32_t> free_;
  std::unordered_map<std::uint32_t, Pathway> pathway_;  // by person index, while on a pathway
  std::unordered_map<std::uint32_t, double> discharged_;  // hospital discharge day, while a follow-up is pending

  /// Person records allocated (the high-water mark of people held at once; freed records are reused).
  std::size_t person_records() const noexcept { return people_.size() + loaded_records_; }
  std::size_t loaded_records_ = 0;
  std::uint64_t events_ = 0;  // handled by this site  // a site run by another process: its count, from its figures
  std::vector<RandomStream> arrival_rng_;
  std::vector<std::uint64_t> arrivals_made_;
  std::uint64_t track_every_ = 0;
  double last_recurring_ = 0;
  Totals totals_;
};

std::string fmt_year(std::size_t y) { return (y < 10 ? "year:0" : "year:") + std::to_string(y); }

// Metric ids and the values that go with them are produced by one function, so they cannot drift apart.
template <class Emit>
void metrics(const Scenario& s, const CareLp* lp, Emit&& emit) {
  const double years = (s.horizon_years - s.warmup_years);
  const double end = s.horizon_years * kDaysPerYear;
  auto val = [&](auto f) { return lp ? static_cast<double>(f()) : 0.0; };
  auto pct = [](std::uint64_t a, std::uint64_t b) { return b ? 100.0 * static_cast<double>(a) / static_cast<double>(b) : kNaN; };
  double population = 0, children = 0, older = 0, adults = 0;
  for (const CohortSpec& c : s.cohorts) {
    population += c.population;
    if (c.min_age >= 18) adults += c.population;
  }
  if (s.indicators.children_cohort != kExit) children = s.cohorts[s.indicators.children_cohort].population;
  if (s.indicators.older_cohort != kExit) older = s.cohorts[s.indicators.older_cohort].population;

  // Waiting times by service and by tier.
  std::vector<QuantileSketch> tier_waits(4);
  for (std::size_t sv = 0; sv < s.services.size(); ++sv) {
    const std::string& n = s.services[sv].name;
    const QuantileSketch* w = lp ? &lp->stats_[sv].waits : nullptr;
    if (w) tier_waits[static_cast<std::size_t>(s.services[sv].tier)].merge(*w);
    emit(MetricId{"waits", "mean_wait_days", n, "days"}, w ? w->mean() : 0.0);
    emit(MetricId{"waits", "median_wait_days", n, "days"}, w ? w->quantile(0.5) : 0.0);
    emit(MetricId{"waits", "p90_wait_days", n, "days"}, w ? w->quantile(0.9) : 0.0);
    emit(MetricId{"waits", "p95_wait_days", n, "days"}, w ? w->quantile(0.95) : 0.0);
  }
  for (int t = 0; t < 4; ++t) {
    const QuantileSketch& v = tier_waits[static_cast<std::size_t>(t)];
    const std::string tn = std::string("tier:") + std::string(name_of(static_cast<Tier>(t)));
    emit(MetricId{"waits", "mean_wait_days", tn, "days"}, v.mean());
    emit(MetricId{"waits", "p90_wait_days", tn, "days"}, v.quantile(0.9));
  }
  const Totals* T = lp ? &lp->totals_ : nullptr;
  emit(MetricId{"waits", "referral_to_assessment_days", "", "days"}, T ? T->assessment_days.mean() : 0.0);
  emit(MetricId{"waits", "assessment_to_service_days", "", "days"}, T ? T->package_days.mean() : 0.0);
  emit(MetricId{"waits", "first_assessment_to_service_days", "", "days"}, T ? T->pathway_days.mean() : 0.0);
  emit(MetricId{"activity", "assessments_per_year", "", "assessments"},
       val([&] { return static_cast<double>(T->assessments_started) / years; }));

  // Step changes.
  emit(MetricId{"step_changes", "step_ups_per_10000_per_year", "", "per 10,000"},
       val([&] { return static_cast<double>(T->step_ups) / population * 1e4 / years; }));
  emit(MetricId{"step_changes", "step_downs_per_10000_per_year", "", "per 10,000"},
       val([&] { return static_cast<double>(T->step_downs) / population * 1e4 / years; }));
  emit(MetricId{"step_changes", "step_ups_per_year", "", "people"}, val([&] { return static_cast<double>(T->step_ups) / years; }));
  emit(MetricId{"step_changes", "step_downs_per_year", "", "people"}, val([&] { return static_cast<double>(T->step_downs) / years; }));
  emit(MetricId{"step_changes", "mean_days_in_specialist", "", "days"}, T ? T->specialist_days.mean() : 0.0);

  // Costs.
  double total = 0;
  if (lp)
    for (double x : lp->agency_spend_) total += x;
  emit(MetricId{"costs", "spend_per_year", "", "£"}, total / years);
  emit(MetricId{"costs", "discounted_spend", "", "£"}, T ? T->discounted : 0.0);
  emit(MetricId{"costs", "self_funded_per_year", "", "£"}, T ? T->self_funded / years : 0.0);
  emit(MetricId{"costs", "one_off_costs", "", "£"}, T ? T->one_off : 0.0);
  for (std::size_t y = 0; y < appraisal_years(s); ++y)
    emit(MetricId{"costs", "spend_in_year", fmt_year(y + 1), "£"}, T ? T->spend_by_year[y] : 0.0);
  emit(MetricId{"costs", "spend_per_person", "", "£"}, val([&] { return T->entered_after_warmup ? total / static_cast<double>(T->entered_after_warmup) : kNaN; }));
  for (std::size_t a = 0; a < s.agencies.size(); ++a)
    emit(MetricId{"costs", "spend_per_year", "agency:" + s.agencies[a].name, "£"}, lp ? lp->agency_spend_[a] / years : 0.0);
  const std::size_t pots = s.agencies.size() + s.pools.size();
  for (std::size_t k = 0; k < pots; ++k) {
    const bool is_pool = k >= s.agencies.size();
    const std::string name = is_pool ? "pool:" + s.pools[k - s.agencies.size()].name : "pot:" + s.agencies[k].name;
    double budget = is_pool ? s.pools[k - s.agencies.size()].annual_budget : s.agencies[k].annual_budget;
    const double spend = lp ? lp->pot_spend_[k] / years : 0.0;
    emit(MetricId{"costs", "spend_per_year", name, "£"}, spend);
    emit(MetricId{"costs", "over_budget_per_year", name, "£"}, lp ? std::max(0.0, spend - budget) : 0.0);
  }
  for (int t = 0; t < 4; ++t)
    emit(MetricId{"costs", "spend_per_year", std::string("tier:") + std::string(name_of(static_cast<Tier>(t))), "£"},
         lp ? lp->tier_spend_[static_cast<std::size_t>(t)] / years : 0.0);
  for (std::size_t sv = 0; sv < s.services.size(); ++sv)
    emit(MetricId{"costs", "spend_per_year", s.services[sv].name, "£"}, lp ? lp->stats_[sv].spend / years : 0.0);

  // Indicators planners report.
  const IndicatorMap& im = s.indicators;
  emit(MetricId{"indicators", "NI132_assessments_on_time", "", "%"}, T ? pct(T->assessments_on_time, T->assessments_done) : 0.0);
  emit(MetricId{"indicators", "NI133_packages_on_time", "", "%"}, T ? pct(T->packages_on_time, T->packages) : 0.0);
  if (im.hospital != kExit) {
    const auto h = static_cast<std::size_t>(im.hospital);
    emit(MetricId{"indicators", "NI131_delayed_beds_per_100000_adults", "", "per 100,000"},
         val([&] { return adults > 0 ? lp->delayed_[h].mean(end) / adults * 1e5 : kNaN; }));
    emit(MetricId{"indicators", "delayed_bed_days_per_year", "", "days"}, val([&] { return lp->delayed_[h].area(end) / years; }));
    emit(MetricId{"indicators", "delayed_bed_cost_per_year", "", "£"},
         val([&] { return lp->delayed_[h].area(end) * s.services[h].cost.daily_rate() / years; }));
  }
  if (im.reablement != kExit)
    emit(MetricId{"indicators", "NI125_at_home_91_days", "", "%"}, T ? pct(T->at_home, T->follow_ups) : 0.0);
  if (im.residential != kExit && older > 0)
    emit(MetricId{"indicators", "ASCOF2A_admissions_65plus_per_100000", "", "per 100,000"},
         val([&] { return static_cast<double>(lp->stats_[static_cast<std::size_t>(im.residential)].starts_65plus) / older * 1e5 / years; }));
  if (im.referrals != kExit && children > 0) {
    emit(MetricId{"indicators", "referrals_per_10000_children", "", "per 10,000"},
         val([&] { return static_cast<double>(T->referrals) / children * 1e4 / years; }));
    emit(MetricId{"indicators", "rereferrals_within_12_months", "", "%"}, T ? pct(T->rereferrals, T->referrals) : 0.0);
  }
  if (im.child_protection != kExit && children > 0) {
    const auto cp = static_cast<std::size_t>(im.child_protection);
    emit(MetricId{"indicators", "child_protection_starts_per_10000", "", "per 10,000"},
         val([&] { return static_cast<double>(lp->stats_[cp].starts) / children * 1e4 / years; }));
    emit(MetricId{"indicators", "child_protection_plans_per_10000", "", "per 10,000"},
         val([&] { return lp->res_figs_[cp].mean_busy / children * 1e4; }));
  }
  if (im.looked_after != kExit && children > 0)
    emit(MetricId{"indicators", "looked_after_per_10000", "", "per 10,000"},
         val([&] { return lp->res_figs_[static_cast<std::size_t>(im.looked_after)].mean_busy / children * 1e4; }));

  // Activity by service.
  for (std::size_t sv = 0; sv < s.services.size(); ++sv) {
    const std::string& n = s.services[sv].name;
    emit(MetricId{"activity", "arrivals_per_year", n, "people"}, val([&] { return static_cast<double>(lp->stats_[sv].arrivals) / years; }));
    emit(MetricId{"activity", "starts_per_year", n, "people"}, val([&] { return static_cast<double>(lp->stats_[sv].starts) / years; }));
    emit(MetricId{"activity", "utilisation", n, "share"}, val([&] { return lp->res_figs_[sv].utilisation; }));
    emit(MetricId{"activity", "mean_queue", n, "people"}, val([&] { return lp->res_figs_[sv].mean_queue; }));
    emit(MetricId{"activity", "turned_away_per_year", n, "people"},
         val([&] { return static_cast<double>(lp->stats_[sv].balked + lp->stats_[sv].reneged) / years; }));
  }
  emit(MetricId{"invariants", "people_entered", "", "people"}, val([&] { return T->entered; }));
  emit(MetricId{"invariants", "people_exited", "", "people"}, val([&] { return T->exited; }));
}

void CareLp::check_invariants() {
  ++out_.invariant_checks;
  std::uint64_t present = 0;
  std::vector<std::uint64_t> waiting(s_.services.size(), 0), serving(s_.services.size(), 0);
  people_.for_each([&](const Person& p) {
    if (p.state == State::Gone || p.state == State::Away) return;
    ++present;
    if (p.state == State::Waiting) ++waiting[static_cast<std::size_t>(p.service)];
    if (p.state == State::InService) ++serving[static_cast<std::size_t>(p.service)];
    if (p.state == State::DischargeCheck) ++serving[static_cast<std::size_t>(p.service)];
    if (p.bed_hospital >= 0 && p.state != State::DischargeCheck) ++serving[static_cast<std::size_t>(p.bed_hospital)];
  });
  if (totals_.entered + totals_.transfers_in != totals_.exited + totals_.transfers_out + present)
    throw std::runtime_error("invariant broken: people arrived " + std::to_string(totals_.entered) + " + transferred in " +
                             std::to_string(totals_.transfers_in) + " != left " + std::to_string(totals_.exited) +
                             " + transferred out " + std::to_string(totals_.transfers_out) + " + in the system " +
                             std::to_string(present) + (s_.sites.empty() ? "" : " (site '" + s_.sites[static_cast<std::size_t>(site_)] + "')"));
  for (std::size_t sv = 0; sv < s_.services.size(); ++sv) {
    if (!hosted(static_cast<int>(sv))) continue;
    serving[sv] += beds_away_[sv];
    if (res_[sv].queue_length() != waiting[sv])
      throw std::runtime_error("invariant broken: service '" + s_.services[sv].name + "' queue holds " +
                               std::to_string(res_[sv].queue_length()) + " but " + std::to_string(waiting[sv]) + " people wait there");
    if (res_[sv].busy() != serving[sv])
      throw std::runtime_error("invariant broken: service '" + s_.services[sv].name + "' has " +
                               std::to_string(res_[sv].busy()) + " busy places but serves " + std::to_string(serving[sv]));
  }
  // Money: by agency, by pot, by tier and by service are four views of the same spending.
  double by_service = 0, by_agency = 0, by_pot = 0, by_tier = 0;
  for (const ServiceStats& st : stats_) by_service += st.spend;
  for (double x : agency_spend_) by_agency += x;
  for (double x : pot_spend_) by_pot += x;
  for (double x : tier_spend_) by_tier += x;
  const double tol = 1e-9 * std::max(1.0, by_service);
  by_service += totals_.one_off;  // one-off costs belong to agencies, not to a service or tier
  by_tier += totals_.one_off;
  if (std::abs(by_agency - by_service) > tol || std::abs(by_pot - by_service) > tol || std::abs(by_tier - by_service) > tol)
    throw std::runtime_error("invariant broken: spend by service " + std::to_string(by_service) + ", by agency " +
                             std::to_string(by_agency) + ", by budget pot " + std::to_string(by_pot) + ", by tier " +
                             std::to_string(by_tier));
}

// After a run with several sites, the first site's LP takes in the others' figures: counts and
// money add up, wait sketches and tallies merge, each service's queue statistics come from the
// site that runs it, weekly series add up (a site's series is zero for services it does not run)
// and records are joined. Everything happens in site order, so results do not depend on how
// sites were spread over threads.
void CareLp::absorb(CareLp& o) {
  for (std::size_t sv = 0; sv < s_.services.size(); ++sv) {
    ServiceStats& a = stats_[sv];
    const ServiceStats& b = o.stats_[sv];
    a.waits.merge(b.waits);
    a.arrivals += b.arrivals;
    a.starts += b.starts;
    a.completions += b.completions;
    a.balked += b.balked;
    a.reneged += b.reneged;
    a.starts_65plus += b.starts_65plus;
    a.spend += b.spend;
    if (o.hosted(static_cast<int>(sv))) res_figs_[sv] = o.res_figs_[sv];
    delayed_[sv].merge(o.delayed_[sv], end_);
  }
  auto add = [](auto& x, const auto& y) { add_into(x, y); };
  add(agency_spend_, o.agency_spend_);
  add(pot_spend_, o.pot_spend_);
  add(tier_spend_, o.tier_spend_);
  Totals::each(add, totals_, o.totals_);
  ReplicationResult& r = o.out_;
  out_.invariant_checks += r.invariant_checks;
  out_.episodes.insert(out_.episodes.end(), r.episodes.begin(), r.episodes.end());
  out_.step_changes.insert(out_.step_changes.end(), r.step_changes.begin(), r.step_changes.end());
  out_.delays.insert(out_.delays.end(), r.delays.begin(), r.delays.end());
  out_.tracks.insert(out_.tracks.end(), r.tracks.begin(), r.tracks.end());
  Series& se = out_.series;
  add(se.queue, r.series.queue);
  add(se.occupancy, r.series.occupancy);
  add(se.spend, r.series.spend);
  add(se.step_ups, r.series.step_ups);
  add(se.step_downs, r.series.step_downs);
}

void CareLp::save_figures(std::vector<char>& out) const {
  ByteWriter w(out);
  w.pod(end_);
  for (const ServiceStats& st : stats_) {
    st.waits.save(w);
    for (std::uint64_t x : {st.arrivals, st.starts, st.completions, st.balked, st.reneged, st.starts_65plus}) w.pod(x);
    w.pod(st.spend);
  }
  w.pods(res_figs_);
  w.pods(delayed_);
  w.pods(agency_spend_);
  w.pods(pot_spend_);
  w.pods(tier_spend_);
  Totals::each([&](const auto& x) { write_field(w, x); }, totals_);
  w.pod<std::uint64_t>(person_records());
  const ReplicationResult& r = out_;
  w.pod(r.invariant_checks);
  w.pods(r.episodes);
  w.pods(r.step_changes);
  w.pods(r.tracks);
  w.pod<std::uint64_t>(r.delays.size());
  for (const DelayRecord& d : r.delays) {
    w.pod(d.person);
    w.pod(d.hospital);
    w.pod(d.waiting_for);
    w.text(d.reason);
    w.pod(d.start);
    w.pod(d.end);
  }
  for (const std::vector<double>* v : {&r.series.time_days, &r.series.queue, &r.series.occupancy, &r.series.spend,
                                       &r.series.step_ups, &r.series.step_downs})
    w.pods(*v);
}

void CareLp::load_figures(const std::vector<char>& in) {
  ByteReader r(in);
  end_ = r.pod<double>();
  for (ServiceStats& st : stats_) {
    st.waits.load(r);
    for (std::uint64_t* x : {&st.arrivals, &st.starts, &st.completions, &st.balked, &st.reneged, &st.starts_65plus})
      *x = r.pod<std::uint64_t>();
    st.spend = r.pod<double>();
  }
  res_figs_ = r.pods<ResourceFigures>();
  delayed_ = r.pods<TimeWeighted>();
  agency_spend_ = r.pods<double>();
  pot_spend_ = r.pods<double>();
  tier_spend_ = r.pods<double>();
  Totals::each([&](auto& x) { read_field(r, x); }, totals_);
  loaded_records_ = r.pod<std::uint64_t>();
  ReplicationResult& o = out_;
  o.invariant_checks = r.pod<std::uint64_t>();
  o.episodes = r.pods<EpisodeRecord>();
  o.step_changes = r.pods<StepChangeRecord>();
  o.tracks = r.pods<TrackPoint>();
  o.delays.resize(r.pod<std::uint64_t>());
  for (DelayRecord& d : o.delays) {
    d.person = r.pod<std::uint64_t>();
    d.hospital = r.pod<std::int32_t>();
    d.waiting_for = r.pod<std::int32_t>();
    d.reason = r.text();
    d.start = r.pod<double>();
    d.end = r.pod<double>();
  }
  for (std::vector<double>* v : {&o.series.time_days, &o.series.queue, &o.series.occupancy, &o.series.spend,
                                 &o.series.step_ups, &o.series.step_downs})
    *v = r.pods<double>();
  o.series.services = s_.services.size();
  if (!r.done()) throw std::runtime_error("care model: a site's figures have trailing bytes");
}

void CareLp::collect(std::vector<double>& v) const {
  metrics(s_, this, [&](const MetricId&, double x) { v.push_back(x); });
}

}  // namespace

Scenario apply_options(Scenario s, const CareRunOptions& opt) {
  if (opt.scale != s.scale_applied) {  // options are applied more than once on the way to a run: scale once
    const double by = opt.scale / s.scale_applied;
    s = scaled(std::move(s), by);
    s.scale_applied = opt.scale;
  }
  if (opt.replications > 0) s.replications = opt.replications;
  if (opt.seed > 0) s.seed = opt.seed;
  if (opt.horizon_years > 0) {
    if (opt.horizon_years <= s.warmup_years)
      throw std::invalid_argument("--years " + std::to_string(opt.horizon_years) + " must be longer than the warm-up (" +
                                  std::to_string(s.warmup_years) + " years)");
    s.horizon_years = opt.horizon_years;
  }
  return s;
}

std::vector<MetricId> metric_ids(const Scenario& s) {
  std::vector<MetricId> ids;
  metrics(s, nullptr, [&](const MetricId& id, double) { ids.push_back(id); });
  return ids;
}

std::vector<std::uint32_t> site_partition(const Scenario& s, unsigned threads) {
  const std::size_t sites = s.site_count();
  const unsigned parts = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(sites)));
  // Expected work of a site: arrivals per day at the services it runs (traffic equations).
  std::vector<double> work(sites, 0.0);
  const auto loads = traffic_equations(s);
  for (std::size_t sv = 0; sv < s.services.size(); ++sv)
    if (std::isfinite(loads[sv].arrivals_per_day)) work[static_cast<std::size_t>(s.services[sv].site)] += loads[sv].arrivals_per_day;
  std::vector<std::size_t> order(sites);
  for (std::size_t k = 0; k < sites; ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return work[a] > work[b]; });
  std::vector<double> load(parts, 0.0);
  std::vector<std::uint32_t> partition(sites, 0);
  for (std::size_t k : order) {  // the busiest site first, each to the least loaded thread
    const auto p = static_cast<std::uint32_t>(std::min_element(load.begin(), load.end()) - load.begin());
    partition[k] = p;
    load[p] += work[k] + 1e-9;
  }
  return partition;
}

namespace {
template <class Fes>
RunStats execute(Simulation& sim, SimTime end, const Scenario& s, const ReplicationOptions& opt) {
  if (opt.threads <= 1 || sim.lp_count() <= 1) return SequentialExecutor<Fes>(sim).run(end);
  ParallelExecutor<Fes> exec(sim, opt.threads, opt.partition.empty() ? site_partition(s, opt.threads) : opt.partition);
  return exec.run(end);
}
}  // namespace

ReplicationResult run_replication(const Scenario& s, std::uint64_t replication, const ReplicationOptions& opt) {
  ReplicationResult out;
  out.replication = replication;
  const std::size_t sites = s.site_count();
  double lookahead = kInfinity;
  for (double x : {s.handoff_within.mean(), s.handoff_across.mean()})
    if (x > 0) lookahead = std::min(lookahead, x);
  // Sites exchange people only by transfers of at least transfer_days: the lookahead.
  if (sites > 1) lookahead = s.transfer_days;
  Simulation sim(s.seed, replication, std::isfinite(lookahead) ? lookahead : 1.0);
  std::vector<ReplicationResult> parts(sites - 1);
  std::vector<CareLp*> lps;
  for (std::size_t k = 0; k < sites; ++k)
    lps.push_back(&sim.emplace<CareLp>(s, k == 0 ? out : parts[k - 1], opt.episodes, opt.records, static_cast<int>(k)));
  const SimTime end = s.horizon_years * kDaysPerYear;
  const RunStats stats = opt.runner                      ? opt.runner->run(sim, end)
                         : opt.queue == EventQueue::Heap ? execute<DaryHeap<4>>(sim, end, s, opt)
                                                         : execute<LadderQueue>(sim, end, s, opt);
  out.events = stats.events;
  out.peak_pending_events = stats.peak_pending;
  out.fingerprint = stats.fingerprint;
  auto here = [&](std::size_t k) { return !opt.runner || opt.runner->runs_here(k); };
  for (std::size_t k = 0; k < sites; ++k)
    if (here(k)) lps[k]->check_invariants();  // each site: arrived + transferred in = left + transferred out + there
  if (opt.runner) {  // sites run by other processes: their figures, exactly as they left them
    std::vector<std::vector<char>> mine(sites);
    for (std::size_t k = 0; k < sites; ++k)
      if (here(k)) lps[k]->save_figures(mine[k]);
    const std::vector<std::vector<char>> all = opt.runner->gather(std::move(mine));
    if (all.empty()) return out;  // not the process that reports: events and fingerprint only
    if (all.size() != sites) throw std::runtime_error("care model: figures of " + std::to_string(all.size()) + " sites gathered, expected " + std::to_string(sites));
    for (std::size_t k = 0; k < sites; ++k)
      if (!here(k)) lps[k]->load_figures(all[k]);
  }
  std::uint64_t records = 0, sent = 0, received = 0;
  for (CareLp* lp : lps) {
    out.site_events.push_back(lp->events_);
    records += lp->person_records();
    sent += lp->transfers_out();
    received += lp->transfers_in();
  }
  if (received > sent)
    throw std::runtime_error("invariant broken: " + std::to_string(received) + " transfers received, " + std::to_string(sent) + " sent");
  out.peak_person_records = records;
  out.transfers = sent;
  for (std::size_t k = 1; k < sites; ++k) lps[0]->absorb(*lps[k]);
  if (sites > 1) {  // records of all sites in time order (ties: site order)
    std::stable_sort(out.episodes.begin(), out.episodes.end(), [](const EpisodeRecord& a, const EpisodeRecord& b) { return a.referred < b.referred; });
    std::stable_sort(out.step_changes.begin(), out.step_changes.end(), [](const StepChangeRecord& a, const StepChangeRecord& b) { return a.time < b.time; });
    std::stable_sort(out.delays.begin(), out.delays.end(), [](const DelayRecord& a, const DelayRecord& b) { return a.start < b.start; });
    std::stable_sort(out.tracks.begin(), out.tracks.end(), [](const TrackPoint& a, const TrackPoint& b) { return a.time < b.time; });
  }
  lps[0]->collect(out.metric_values);
  return out;
}

RunResult run_scenario(const Scenario& s, const CareRunOptions& opt) {
  const Scenario sc = apply_options(s, opt);
  validate_scenario(sc);
  RunResult result;
  result.metric_ids = metric_ids(sc);
  const auto t0 = std::chrono::steady_clock::now();
  result.replications.resize(sc.replications);
  int threads = opt.threads > 0 ? static_cast<int>(opt.threads) : tbb::this_task_arena::max_concurrency();
  // Each replication of a scenario with several sites may use site_threads threads of its own.
  if (opt.site_threads > 1 && sc.site_count() > 1) threads = std::max(1, threads / static_cast<int>(opt.site_threads));
  tbb::task_arena arena(threads);
  arena.execute([&] {
    tbb::parallel_for(std::uint64_t{0}, sc.replications, [&](std::uint64_t r) {
      ReplicationOptions ro;
      ro.records = opt.records;
      ro.threads = opt.site_threads;
      ro.episodes = opt.records && (r == 0 || opt.episodes_all_replications);
      result.replications[r] = run_replication(sc, r, ro);
    });
  });
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  summarise(result);
  return result;
}

}  // namespace careflow::models
