// The parallel executor must reproduce the sequential executor exactly: events, end time,
// fingerprint and every LP's hash, for any partitioning and thread count.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "careflow/engine/parallel_executor.hpp"
#include "careflow/engine/sequential_executor.hpp"
#include "carrier_model.hpp"
#include "mmc_model.hpp"
#include "phold.hpp"

using namespace careflow;

namespace {

// Many ties across LPs and partitions: messages at exactly the lookahead, whole-day times,
// priorities, zero-delay events for oneself and events at absolute times. Each LP folds every
// event into its state and sends that state on, so any change of order changes the hashes.
class TieLp final : public LogicalProcess {
 public:
  explicit TieLp(std::uint32_t lps) : lps_(lps) {}

  void on_start(Context& ctx) override {
    rng_ = ctx.stream(ctx.self(), 7);
    for (int i = 0; i < 3; ++i) ctx.schedule(static_cast<double>(i), 0, ctx.self(), static_cast<std::int16_t>(i - 1));
  }

  void on_event(Context& ctx, const Event& e) override {
    state_ = (state_ ^ e.payload ^ e.stamp) * 0x100000001B3ull + e.kind;
    ++seen_;
    const std::uint64_t r = rng_.next_u64();
    const auto prio = static_cast<std::int16_t>(static_cast<int>(r % 3) - 1);
    switch (r % 5) {
      case 0:  // a message exactly one lookahead ahead, to a neighbour
        ctx.send(static_cast<LpId>((ctx.self() + 1 + (r >> 8) % 3) % lps_), ctx.lookahead(), 1, state_, prio);
        break;
      case 1:  // a message to any LP, at a whole-day time
        ctx.send(static_cast<LpId>((r >> 16) % lps_), ctx.lookahead() + std::floor(static_cast<double>((r >> 32) % 3)),
                 2, state_, prio);
        break;
      case 2:  // now, for oneself (a zero-delay event), or a message two lookaheads ahead
        if (e.kind != 3) ctx.schedule(0.0, 3, state_, prio);
        else ctx.send(static_cast<LpId>((r >> 20) % lps_), 2.0 * ctx.lookahead(), 1, state_);
        break;
      case 3:  // an absolute time, for oneself (every other time: the population stays bounded)
        if (seen_ % 2 == 0) ctx.schedule_at(std::floor(ctx.now()) + 1.0, 4, state_, prio);
        break;
      default:  // two messages at once: one to oneself through send, one elsewhere
        ctx.send(ctx.self(), 0.5 * ctx.lookahead(), 5, state_, prio);
        ctx.send(static_cast<LpId>((r >> 24) % lps_), 3.0 * ctx.lookahead(), 5, state_, prio);
        break;
    }
  }

  void on_finish(Context& ctx) override { finished_at_ = ctx.now(); }

  std::uint64_t state_ = 0, seen_ = 0;
  double finished_at_ = -1;

 private:
  std::uint32_t lps_;
  RandomStream rng_;
};

// Each LP passes a token on until its count runs out: the queue runs dry before `until`.
class CountdownLp final : public LogicalProcess {
 public:
  explicit CountdownLp(std::uint32_t lps) : lps_(lps) {}
  void on_start(Context& ctx) override { ctx.schedule(0.25 * ctx.self(), 0, 20 + ctx.self() % 7); }
  void on_event(Context& ctx, const Event& e) override {
    if (e.payload > 0) ctx.send(static_cast<LpId>((ctx.self() * 7 + 3) % lps_), 1.0 + 0.5 * static_cast<double>(e.payload % 3), 0,
                                e.payload - 1);
  }
  void on_finish(Context& ctx) override { finished_at_ = ctx.now(); }
  double finished_at_ = -1;

 private:
  std::uint32_t lps_;
};

// A model that breaks the contract: a message faster than the lookahead.
class TooFastLp final : public LogicalProcess {
 public:
  void on_start(Context& ctx) override { ctx.schedule(1.0, 0); }
  void on_event(Context& ctx, const Event&) override {
    if (ctx.now() > 5.0) ctx.send((ctx.self() + 1) % 4, 0.5 * ctx.lookahead(), 0);
    else ctx.send((ctx.self() + 1) % 4, ctx.lookahead(), 0);
  }
};

using Build = std::function<void(Simulation&)>;

struct Outcome {
  RunStats stats;
  std::vector<std::uint64_t> hashes;
};

Outcome run_sequential(const Build& build, double lookahead, double until) {
  Simulation sim(11, 2, lookahead);
  build(sim);
  SequentialExecutor<> exec(sim);
  Outcome o{exec.run(until), {}};
  o.hashes = exec.lp_hashes();
  return o;
}

// min_window 0: every window on the team's threads, however small (the test models' windows
// are small); the default runs small windows on the calling thread.
Outcome run_parallel(const Build& build, double lookahead, double until, unsigned threads,
                     const std::vector<std::uint32_t>& partition, std::uint64_t min_window = 0) {
  Simulation sim(11, 2, lookahead);
  build(sim);
  ParallelExecutor<> exec(sim, threads, partition);
  exec.set_min_window_for_threads(min_window);
  Outcome o{exec.run(until), {}};
  o.hashes = exec.lp_hashes();
  return o;
}

// The partitionings every model is run under, for `lps` LPs.
std::vector<std::pair<std::string, std::vector<std::uint32_t>>> partitionings(std::size_t lps) {
  std::vector<std::pair<std::string, std::vector<std::uint32_t>>> all;
  all.emplace_back("all in one", std::vector<std::uint32_t>(lps, 0));
  all.emplace_back("round robin 2", round_robin_partition(lps, 2));
  all.emplace_back("round robin 3", round_robin_partition(lps, 3));
  all.emplace_back("blocks 2", block_partition(lps, 2));
  all.emplace_back("blocks 4", block_partition(lps, 4));
  all.emplace_back("blocks 7", block_partition(lps, 7));
  std::vector<std::uint32_t> random(lps), single(lps);
  RandomStream rng(StreamKey{5, 0, lps, 0});
  for (std::size_t i = 0; i < lps; ++i) {
    random[i] = static_cast<std::uint32_t>(rng.next_u64() % 5);
    single[i] = static_cast<std::uint32_t>(i);
  }
  all.emplace_back("random 5", random);
  all.emplace_back("one LP per partition", single);
  return all;
}

void check_identical(const Build& build, std::size_t lps, double lookahead, double until) {
  const Outcome seq = run_sequential(build, lookahead, until);
  REQUIRE(seq.stats.events > 0);
  for (const auto& [name, partition] : partitionings(lps)) {
    for (unsigned threads : {1u, 2u, 3u, 4u}) {
      INFO(name << ", " << threads << " threads");
      const Outcome par = run_parallel(build, lookahead, until, threads, partition);
      CHECK(par.stats.events == seq.stats.events);
      CHECK(par.stats.end_time == seq.stats.end_time);
      CHECK(par.stats.fingerprint == seq.stats.fingerprint);
      CHECK(par.hashes == seq.hashes);
    }
    INFO(name << ", 2 threads, small windows on one thread");
    const Outcome mixed = run_parallel(build, lookahead, until, 2, partition, 40);
    CHECK(mixed.stats.events == seq.stats.events);
    CHECK(mixed.stats.fingerprint == seq.stats.fingerprint);
    CHECK(mixed.hashes == seq.hashes);
  }
}

}  // namespace

TEST_CASE("attachments travel with their messages under every executor", "[engine][parallel]") {
  const Build build = [](Simulation& sim) {
    for (int i = 0; i < 12; ++i) sim.emplace<test::CarrierLp>(12);
  };
  check_identical(build, 12, 0.5, 80.0);
  Simulation sim(11, 2, 0.5);
  build(sim);
  SequentialExecutor<> exec(sim);
  const RunStats st = exec.run(80.0);
  std::uint64_t received = 0;
  for (LpId i = 0; i < 12; ++i) received += dynamic_cast<test::CarrierLp&>(sim.lp(i)).received_;
  CHECK(received == st.events);
  CHECK(received > 1000);
}

TEST_CASE("parallel PHOLD equals sequential for every partitioning and thread count", "[engine][parallel]") {
  for (const bench::PholdParams p : {bench::PholdParams{64, 1, 0.1, 1.0}, bench::PholdParams{64, 8, 0.1, 1.0},
                                     bench::PholdParams{50, 3, 1.0, 0.5}, bench::PholdParams{9, 2, 0.25, 0.0}}) {
    INFO("PHOLD " << p.lps << " LPs, " << p.events_per_lp << " events each, lookahead " << p.lookahead << ", mean "
                  << p.mean_delay);
    check_identical([p](Simulation& sim) { bench::build_phold(sim, p); }, p.lps, p.lookahead, 60.0);
  }
}

TEST_CASE("parallel executor keeps ties in the total order across partitions", "[engine][parallel]") {
  static constexpr std::uint32_t lps = 24;
  check_identical([](Simulation& sim) { for (std::uint32_t i = 0; i < lps; ++i) sim.emplace<TieLp>(lps); }, lps, 1.0,
                  40.0);
  // Models see the same events and finish at the same time.
  Simulation a(11, 2, 1.0), b(11, 2, 1.0);
  for (std::uint32_t i = 0; i < lps; ++i) {
    a.emplace<TieLp>(lps);
    b.emplace<TieLp>(lps);
  }
  SequentialExecutor<>(a).run(40.0);
  ParallelExecutor<>(b, 2, round_robin_partition(lps, 3)).run(40.0);
  for (LpId i = 0; i < lps; ++i) {
    const auto& x = static_cast<TieLp&>(a.lp(i));
    const auto& y = static_cast<TieLp&>(b.lp(i));
    CHECK(x.state_ == y.state_);
    CHECK(x.seen_ == y.seen_);
    CHECK(y.finished_at_ == 40.0);
  }
}

TEST_CASE("parallel executor runs a single-LP M/M/c model as the sequential one", "[engine][parallel]") {
  testing::MmcParams p;
  p.lambda = 2.4;
  p.c = 3;
  p.warmup = 10;
  p.horizon = 500;
  p.patience = 2.0;
  check_identical([p](Simulation& sim) { sim.emplace<testing::MmcLp>(p); }, 1, 1.0, p.horizon);
}

TEST_CASE("parallel executor: a queue that runs dry, with until finite and infinite", "[engine][parallel]") {
  static constexpr std::uint32_t lps = 15;
  const Build build = [](Simulation& sim) { for (std::uint32_t i = 0; i < lps; ++i) sim.emplace<CountdownLp>(lps); };
  check_identical(build, lps, 1.0, 1000.0);
  check_identical(build, lps, 1.0, kForever);
  check_identical(build, lps, 1.0, 12.5);  // stops with events pending
  const Outcome dry = run_parallel(build, 1.0, kForever, 2, round_robin_partition(lps, 2));
  CHECK(dry.stats.end_time > 20.0);
  CHECK(dry.stats.end_time < 1000.0);
  CHECK(run_parallel(build, 1.0, 1000.0, 2, {}).stats.end_time == 1000.0);
}

TEST_CASE("parallel executor: a message below the lookahead still throws", "[engine][parallel]") {
  for (unsigned threads : {1u, 2u}) {
    Simulation sim(1, 0, 1.0);
    for (int i = 0; i < 4; ++i) sim.emplace<TooFastLp>();
    ParallelExecutor<> exec(sim, threads, round_robin_partition(4, 2));
    CHECK_THROWS_AS(exec.run(100.0), ContractViolation);
  }
}

TEST_CASE("parallel executor rejects a partition of the wrong size or with too many parts", "[engine][parallel]") {
  Simulation sim(1, 0, 1.0);
  bench::build_phold(sim, bench::PholdParams{10, 1, 1.0, 1.0});
  ParallelExecutor<> exec(sim, 2, round_robin_partition(9, 2));
  CHECK_THROWS_AS(exec.run(10.0), ContractViolation);
  std::vector<std::uint32_t> sparse(10, 0);
  sparse[3] = ParallelExecutor<>::kMaxPartitions;  // partition numbers up to the limit, one too many
  CHECK_THROWS_AS(ParallelExecutor<>(sim, 2, sparse).run(10.0), ContractViolation);
  sparse[3] = ParallelExecutor<>::kMaxPartitions - 1;  // empty partitions are allowed
  CHECK(ParallelExecutor<>(sim, 2, sparse).run(10.0).fingerprint == SequentialExecutor<>(sim).run(10.0).fingerprint);
}

TEST_CASE("parallel executor can be run twice and with another event queue", "[engine][parallel]") {
  const bench::PholdParams p{40, 2, 0.5, 1.0};
  Simulation s1(3, 0, p.lookahead), s2(3, 0, p.lookahead);
  bench::build_phold(s1, p);
  bench::build_phold(s2, p);
  const RunStats seq = SequentialExecutor<DaryHeap<4>>(s1).run(50.0);
  ParallelExecutor<DaryHeap<4>> exec(s2, 2, round_robin_partition(p.lps, 4));
  CHECK(exec.run(50.0).fingerprint == seq.fingerprint);
  CHECK(exec.run(50.0).fingerprint == seq.fingerprint);  // on_start resets every PHOLD LP
}
