#include "careflow/models/queue_network.hpp"

#include <cmath>
#include <stdexcept>

#include "careflow/engine/simulation.hpp"

namespace careflow::models {
namespace {

enum EventKind : std::uint32_t { kExternalArrival = 1, kReferral = 2, kServiceEnd = 3, kWarmupEnd = 4 };

// Purposes of random streams; a person's draws are keyed by (person, station, hop, purpose)
// so the same person meets the same luck whatever happens to anyone else.
enum Purpose : std::uint64_t { kInterArrival = 1, kServiceTime = 2, kRouting = 3 };

// Payload of a referral: person id in the low 48 bits, number of stations visited above.
constexpr std::uint64_t kPersonBits = 48;
constexpr std::uint64_t person_of(std::uint64_t payload) { return payload & ((1ull << kPersonBits) - 1); }
constexpr std::uint64_t hops_of(std::uint64_t payload) { return payload >> kPersonBits; }

std::uint64_t purpose_key(std::size_t station, std::uint64_t hops, Purpose p) {
  return (hops << 40) | (static_cast<std::uint64_t>(station) << 8) | p;
}

class StationLp final : public LogicalProcess {
 public:
  StationLp(const NetworkSpec& spec, std::size_t index)
      : spec_(spec),
        index_(index),
        station_(spec.stations[index]),
        resource_(station_.capacity, QueueDiscipline::Fifo, station_.max_queue),
        holder_(station_.capacity) {}

  void on_start(Context& ctx) override {
    arrivals_ = ctx.stream(index_, kInterArrival);
    if (station_.external_arrivals_per_day > 0) next_arrival(ctx);
    if (spec_.warmup_days > 0) ctx.schedule(spec_.warmup_days, kWarmupEnd);
  }

  void on_event(Context& ctx, const Event& e) override {
    switch (e.kind) {
      case kExternalArrival: {
        // Person ids are unique across stations: station index in the top bits.
        const std::uint64_t person = (static_cast<std::uint64_t>(index_) << 36) | next_person_++;
        ++entered_;
        arrive(ctx, person);
        next_arrival(ctx);
        break;
      }
      case kReferral:
        ++received_;
        arrive(ctx, e.payload);
        break;
      case kServiceEnd:
        finish(ctx, static_cast<std::uint32_t>(e.payload));
        break;
      case kWarmupEnd:
        resource_.reset_statistics(ctx.now());
        waits_.reset();
        break;
      default:
        throw ContractViolation("station: unknown event kind");
    }
  }

  void on_finish(Context& ctx) override { end_ = ctx.now(); }

  StationResult result() const {
    StationResult r;
    r.name = station_.name;
    r.arrivals = resource_.arrivals();
    r.served = resource_.started();
    r.balked = resource_.balked();
    r.mean_wait = resource_.waits().mean();
    r.p90_wait = waits_.quantile(0.9);
    r.mean_queue = resource_.queue_level().mean(end_);
    r.utilisation = resource_.utilisation(end_);
    return r;
  }

  std::uint64_t entered_ = 0, exited_ = 0, sent_ = 0, received_ = 0;
  std::uint64_t present() const { return resource_.queue_length() + resource_.busy(); }

 private:
  void next_arrival(Context& ctx) {
    const double gap = -std::log(arrivals_.uniform01()) / station_.external_arrivals_per_day;
    ctx.schedule(gap, kExternalArrival);
  }

  void arrive(Context& ctx, std::uint64_t payload) {
    const Admission a = resource_.arrive(ctx.now(), payload);
    if (a.outcome == Admission::Outcome::Started) {
      begin(ctx, ServiceStart{payload, a.unit, 0.0});
    } else if (a.outcome == Admission::Outcome::Balked) {
      ++exited_;  // turned away: leaves the system
    }
  }

  void begin(Context& ctx, const ServiceStart& s) {
    holder_[s.unit] = s.customer;
    waits_.add(s.waited);
    RandomStream rng = ctx.stream(person_of(s.customer), purpose_key(index_, hops_of(s.customer), kServiceTime));
    ctx.schedule(station_.service.sample(rng), kServiceEnd, s.unit);
  }

  void finish(Context& ctx, std::uint32_t unit) {
    const std::uint64_t payload = holder_[unit];
    if (auto next = resource_.release(ctx.now(), unit)) begin(ctx, *next);
    route(ctx, payload);
  }

  void route(Context& ctx, std::uint64_t payload) {
    const std::uint64_t person = person_of(payload);
    const std::uint64_t hops = hops_of(payload);
    RandomStream rng = ctx.stream(person, purpose_key(index_, hops, kRouting));
    double u = rng.uniform01();
    for (const Route& r : station_.routes) {
      if (u < r.probability) {
        ++sent_;
        const std::uint64_t onward = ((hops + 1) << kPersonBits) | person;
        ctx.send(static_cast<LpId>(r.to), station_.handoff_delay, kReferral, onward);
        return;
      }
      u -= r.probability;
    }
    ++exited_;
  }

  const NetworkSpec& spec_;
  std::size_t index_;
  const StationSpec& station_;
  Resource resource_;
  std::vector<std::uint64_t> holder_;  // payload of the person on each unit
  RandomStream arrivals_;
  Sample waits_;
  std::uint64_t next_person_ = 0;
  SimTime end_ = 0;
};

}  // namespace

void validate(const NetworkSpec& spec) {
  if (spec.stations.empty()) throw std::invalid_argument("network: no stations");
  if (!(spec.horizon_days > 0)) throw std::invalid_argument("network: horizon must be > 0 days");
  if (!(spec.warmup_days >= 0 && spec.warmup_days < spec.horizon_days))
    throw std::invalid_argument("network: warm-up must be >= 0 and shorter than the horizon");
  for (const StationSpec& s : spec.stations) {
    const std::string where = "station '" + s.name + "': ";
    if (s.capacity == 0) throw std::invalid_argument(where + "capacity must be >= 1");
    if (!(s.external_arrivals_per_day >= 0)) throw std::invalid_argument(where + "arrival rate must be >= 0");
    double total = 0;
    for (const Route& r : s.routes) {
      if (r.to >= spec.stations.size()) throw std::invalid_argument(where + "route to an unknown station");
      if (!(r.probability >= 0 && r.probability <= 1)) throw std::invalid_argument(where + "route probability outside [0, 1]");
      total += r.probability;
    }
    if (total > 1 + 1e-9) throw std::invalid_argument(where + "route probabilities sum to more than 1");
    if (!s.routes.empty() && !(s.handoff_delay > 0)) throw std::invalid_argument(where + "hand-off delay must be > 0");
  }
}

SimTime lookahead_of(const NetworkSpec& spec) {
  SimTime l = kForever;
  for (const StationSpec& s : spec.stations)
    if (!s.routes.empty() && s.handoff_delay < l) l = s.handoff_delay;
  return l < kForever ? l : 1.0;
}

NetworkResult run_network(const NetworkSpec& spec, std::uint64_t seed, std::uint64_t replication) {
  validate(spec);
  Simulation sim(seed, replication, lookahead_of(spec));
  std::vector<StationLp*> stations;
  for (std::size_t i = 0; i < spec.stations.size(); ++i) stations.push_back(&sim.emplace<StationLp>(spec, i));
  SequentialExecutor<> exec(sim);
  const RunStats stats = exec.run(spec.horizon_days);

  NetworkResult out;
  out.events = stats.events;
  out.fingerprint = stats.fingerprint;
  std::uint64_t sent = 0, received = 0;
  for (const StationLp* s : stations) {
    out.stations.push_back(s->result());
    out.entered += s->entered_;
    out.exited += s->exited_;
    out.in_system += s->present();
    sent += s->sent_;
    received += s->received_;
  }
  out.in_system += sent - received;  // in hand-off between stations
  if (out.entered != out.exited + out.in_system)
    throw std::runtime_error("invariant broken: people entered " + std::to_string(out.entered) + " != exited " +
                             std::to_string(out.exited) + " + in system " + std::to_string(out.in_system));
  return out;
}

NetworkSpec demo_network() {
  // A small, deliberately simple stand-in until the care model lands: contacts reach a
  // front door; about a fifth become referrals for assessment (calibration C1-C2); assessed
  // families go to early help or to social care, or leave. Capacities are caseload places:
  // a service time is the elapsed length of an assessment or episode, not staff hours.
  NetworkSpec n;
  n.name = "demo: front door, assessment, early help, social care";
  n.horizon_days = 4 * 365;
  n.warmup_days = 2 * 365;
  StationSpec front{"front door", 4, Distribution::lognormal(0.05, 0.04), 16000.0 / 365.0, Resource::kUnlimited,
                    {{1, 0.21}}, 1.0};
  StationSpec assess{"assessment", 440, Distribution::lognormal(33.0 * 7 / 5, 20.0), 0.0, Resource::kUnlimited,
                     {{2, 0.35}, {3, 0.45}}, 2.0};
  StationSpec early{"early help", 1150, Distribution::lognormal(135.0, 60.0), 1650.0 / 365.0, Resource::kUnlimited, {}, 1.0};
  StationSpec social{"social care", 1160, Distribution::lognormal(270.0, 300.0), 0.0, Resource::kUnlimited, {}, 1.0};
  n.stations = {front, assess, early, social};
  return n;
}

}  // namespace careflow::models
