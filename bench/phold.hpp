// PHOLD (Fujimoto 1990): the standard synthetic benchmark of parallel DES engines.
// Each event at an LP schedules one new event at a uniformly chosen LP after
// lookahead + Exp(mean). Shared by the benchmark and the tests.
#pragma once

#include <cmath>
#include <cstdint>

#include "careflow/engine/simulation.hpp"

namespace careflow::bench {

struct PholdParams {
  std::uint32_t lps = 1000;
  std::uint32_t events_per_lp = 1;  // initial population
  double lookahead = 0.1;
  double mean_delay = 1.0;  // of the exponential part
};

class PholdLp final : public LogicalProcess {
 public:
  explicit PholdLp(const PholdParams& p) : p_(p) {}

  void on_start(Context& ctx) override {
    rng_ = ctx.stream(ctx.self(), 0);
    for (std::uint32_t i = 0; i < p_.events_per_lp; ++i) ctx.schedule(delay(), 0);
  }

  void on_event(Context& ctx, const Event&) override {
    const auto target = static_cast<LpId>(rng_.next_u64() % p_.lps);
    ctx.send(target, delay(), 0);
  }

 private:
  double delay() { return p_.lookahead - p_.mean_delay * std::log(rng_.uniform01()); }

  PholdParams p_;
  RandomStream rng_;
};

inline void build_phold(Simulation& sim, const PholdParams& p) {
  for (std::uint32_t i = 0; i < p.lps; ++i) sim.emplace<PholdLp>(p);
}

}  // namespace careflow::bench
