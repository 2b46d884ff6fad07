// A single-station M/M/c model written directly on the engine (one LP, one Resource),
// used to check the kernel against queueing theory and by the M/M/c benchmark.
#pragma once

#include <cmath>
#include <limits>

#include "careflow/engine/resource.hpp"
#include "careflow/engine/sequential_executor.hpp"

namespace careflow::testing {

struct MmcParams {
  double lambda = 0.8;  // arrivals per unit time
  double mu = 1.0;      // services per unit time per server
  std::uint32_t c = 1;
  std::uint32_t max_queue = Resource::kUnlimited;
  double patience = std::numeric_limits<double>::infinity();  // reneging after this wait
  double warmup = 1000;
  double horizon = 20000;
};

struct MmcResult {
  double mean_wait = 0;    // in queue, of those served
  double max_wait = 0;
  double mean_queue = 0;   // time-average number waiting
  double utilisation = 0;
  double arrival_rate = 0;  // observed after warm-up
  double balk_fraction = 0;
  double renege_fraction = 0;
  std::uint64_t events = 0;
  std::uint64_t fingerprint = 0;
};

class MmcLp final : public LogicalProcess {
 public:
  enum Kind : std::uint32_t { kArrival, kDeparture, kRenege, kWarmup };

  explicit MmcLp(const MmcParams& p) : p_(p), res_(p.c, QueueDiscipline::Fifo, p.max_queue) {}

  void on_start(Context& ctx) override {
    arrivals_ = ctx.stream(0, 1);
    ctx.schedule(gap(), kArrival);
    ctx.schedule(p_.warmup, kWarmup);
  }

  void on_event(Context& ctx, const Event& e) override {
    switch (e.kind) {
      case kArrival: {
        const std::uint64_t id = next_id_++;
        const Admission a = res_.arrive(ctx.now(), id);
        if (a.outcome == Admission::Outcome::Started) start(ctx, ServiceStart{id, a.unit, 0});
        if (a.outcome == Admission::Outcome::Queued && std::isfinite(p_.patience))
          ctx.schedule(p_.patience, kRenege, a.ticket.pack());
        ctx.schedule(gap(), kArrival);
        break;
      }
      case kDeparture:
        if (auto next = res_.release(ctx.now(), static_cast<std::uint32_t>(e.payload))) start(ctx, *next);
        break;
      case kRenege:
        res_.renege(ctx.now(), QueueTicket::unpack(e.payload));
        break;
      case kWarmup:
        res_.reset_statistics(ctx.now());
        break;
    }
  }

  MmcResult result(double end) const {
    MmcResult r;
    r.mean_wait = res_.waits().mean();
    r.max_wait = res_.waits().max();
    r.mean_queue = res_.queue_level().mean(end);
    r.utilisation = res_.utilisation(end);
    const double n = static_cast<double>(res_.arrivals());
    r.arrival_rate = n / (end - p_.warmup);
    r.balk_fraction = static_cast<double>(res_.balked()) / n;
    r.renege_fraction = static_cast<double>(res_.reneged()) / n;
    return r;
  }

 private:
  void start(Context& ctx, const ServiceStart& s) {
    // The service time belongs to the customer: keyed by their id, not by arrival order.
    RandomStream rng = ctx.stream(s.customer + 1, 2);
    ctx.schedule(-std::log(rng.uniform01()) / p_.mu, kDeparture, s.unit);
  }
  double gap() { return -std::log(arrivals_.uniform01()) / p_.lambda; }

  MmcParams p_;
  Resource res_;
  RandomStream arrivals_;
  std::uint64_t next_id_ = 0;
};

template <FutureEventSet Fes = DefaultFes>
MmcResult run_mmc(const MmcParams& p, std::uint64_t seed, std::uint64_t replication) {
  Simulation sim(seed, replication, 1.0);
  auto& lp = sim.emplace<MmcLp>(p);
  SequentialExecutor<Fes> exec(sim);
  const RunStats stats = exec.run(p.horizon);
  MmcResult r = lp.result(p.horizon);
  r.events = stats.events;
  r.fingerprint = stats.fingerprint;
  return r;
}

/// Erlang C: mean wait in queue of M/M/c.
inline double erlang_c_wait(double lambda, double mu, unsigned c) {
  const double a = lambda / mu, rho = a / c;
  double term = 1, sum = 0;  // a^k / k!
  for (unsigned k = 0; k < c; ++k) {
    sum += term;
    term *= a / (k + 1);
  }
  const double tail = term / (1 - rho);
  const double p_wait = tail / (sum + tail);
  return p_wait / (c * mu - lambda);
}

}  // namespace careflow::testing
