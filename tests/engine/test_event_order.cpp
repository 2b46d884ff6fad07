#include <catch2/catch.hpp>

#include <algorithm>
#include <queue>
#include <vector>

#include "careflow/engine/dary_heap.hpp"
#include "careflow/engine/sequential_executor.hpp"
#include "phold.hpp"

using namespace careflow;

namespace {

Event make(double t, std::int16_t prio, LpId origin, std::uint64_t seq) {
  Event e;
  e.time = t;
  e.priority = prio;
  e.stamp = Event::make_stamp(origin, seq);
  return e;
}

// A std::priority_queue behind the FutureEventSet interface: a second, independent
// implementation to check the executor against.
class StdHeap {
 public:
  void push(const Event& e) { q_.push(e); }
  const Event& top() const { return q_.top(); }
  void pop() { q_.pop(); }
  bool empty() const { return q_.empty(); }
  std::size_t size() const { return q_.size(); }
  void clear() { q_ = {}; }

 private:
  struct Later {
    bool operator()(const Event& a, const Event& b) const { return before(b, a); }
  };
  std::priority_queue<Event, std::vector<Event>, Later> q_;
};
static_assert(FutureEventSet<StdHeap>);

}  // namespace

TEST_CASE("events are ordered by time, then priority, then origin, then sequence", "[engine][order]") {
  CHECK(before(make(1.0, 5, 9, 9), make(2.0, -5, 0, 0)));
  CHECK(before(make(1.0, -1, 9, 9), make(1.0, 0, 0, 0)));
  CHECK(before(make(1.0, 0, 1, 9), make(1.0, 0, 2, 0)));
  CHECK(before(make(1.0, 0, 1, 3), make(1.0, 0, 1, 4)));
  CHECK_FALSE(before(make(1.0, 0, 1, 4), make(1.0, 0, 1, 4)));
  CHECK(before(make(1.0, 0, 1, Event::kMaxSequence - 1), make(1.0, 0, 2, 0)));
  CHECK(make(0, -32768, 0, 0).priority == -32768);
  CHECK(make(0, 7, 12345678, 99).origin() == 12345678u);
  CHECK(make(0, 7, 12345678, 99).sequence() == 99u);
  CHECK(make(0, 7, static_cast<LpId>(Event::kMaxLps - 1), Event::kMaxSequence - 1).origin() == Event::kMaxLps - 1);
}

TEST_CASE("d-ary heap pops in the total order", "[engine][fes]") {
  RandomStream rng(StreamKey{42, 0, 0, 0});
  std::vector<Event> events;
  for (std::uint64_t i = 0; i < 20000; ++i) {
    // Few distinct times and priorities so that ties are frequent.
    events.push_back(make(static_cast<double>(rng.next_u64() % 50), static_cast<std::int16_t>(rng.next_u64() % 3) - 1,
                          static_cast<LpId>(rng.next_u64() % 7), i));
  }
  DaryHeap<4> h4;
  DaryHeap<2> h2;
  DaryHeap<8> h8;
  for (const Event& e : events) {
    h4.push(e);
    h2.push(e);
    h8.push(e);
  }
  std::sort(events.begin(), events.end(), before);
  for (const Event& e : events) {
    REQUIRE(h4.top().stamp == e.stamp);
    REQUIRE(h2.top().stamp == e.stamp);
    REQUIRE(h8.top().stamp == e.stamp);
    h4.pop();
    h2.pop();
    h8.pop();
  }
  CHECK(h4.empty());
}

TEST_CASE("replace_top equals pop then push", "[engine][fes]") {
  DaryHeap<4> a, b;
  RandomStream rng(StreamKey{7, 0, 0, 0});
  for (std::uint64_t i = 0; i < 1000; ++i) {
    const Event e = make(rng.uniform01() * 10, 0, 0, i);
    a.push(e);
    b.push(e);
  }
  for (std::uint64_t i = 0; i < 5000; ++i) {
    const Event e = make(a.top().time + rng.uniform01(), 0, 0, 1000 + i);
    a.replace_top(e);
    b.pop();
    b.push(e);
    REQUIRE(a.top().stamp == b.top().stamp);
  }
}

namespace {

// Records the order in which one LP sees its events.
class Recorder final : public LogicalProcess {
 public:
  std::vector<std::uint64_t> seen;
  void on_start(Context& ctx) override {
    // All at the same time: priority, then origin, then sequence decide.
    ctx.schedule(1.0, 0, 30, 0);
    ctx.schedule(1.0, 0, 10, -1);
    ctx.schedule(1.0, 0, 20, 0);
  }
  void on_event(Context&, const Event& e) override { seen.push_back(e.payload); }
};

class Sender final : public LogicalProcess {
 public:
  void on_start(Context& ctx) override { ctx.send(0, 1.0, 0, 25, 0); }
  void on_event(Context&, const Event&) override {}
};

class TooFast final : public LogicalProcess {
 public:
  void on_start(Context& ctx) override { ctx.schedule(0.0, 0); }
  void on_event(Context& ctx, const Event&) override { ctx.send(1, 0.05, 0); }
};

}  // namespace

TEST_CASE("simultaneous events follow the documented tie-break", "[engine][order]") {
  Simulation sim(1, 0, 0.5);
  auto& rec = sim.emplace<Recorder>();
  sim.emplace<Sender>();
  SequentialExecutor<> exec(sim);
  exec.run(10.0);
  // priority -1 first; then priority 0 from LP 0 in sequence order (30, 20); then LP 1's 25.
  CHECK(rec.seen == std::vector<std::uint64_t>{10, 30, 20, 25});
}

TEST_CASE("a message faster than the lookahead is refused", "[engine][lookahead]") {
  Simulation sim(1, 0, 0.1);
  sim.emplace<TooFast>();
  sim.emplace<Sender>();
  SequentialExecutor<> exec(sim);
  CHECK_THROWS_AS(exec.run(1.0), ContractViolation);
}

TEST_CASE("event-trace fingerprint: same seed same hash, other seed other hash", "[engine][determinism]") {
  auto fingerprint = [](std::uint64_t seed, auto fes_tag) {
    using Fes = decltype(fes_tag);
    Simulation sim(seed, 0, 0.1);
    bench::build_phold(sim, bench::PholdParams{200, 2, 0.1, 1.0});
    SequentialExecutor<Fes> exec(sim);
    return exec.run(50.0);
  };
  const RunStats a = fingerprint(11, DaryHeap<4>{});
  const RunStats b = fingerprint(11, DaryHeap<4>{});
  const RunStats c = fingerprint(12, DaryHeap<4>{});
  const RunStats d = fingerprint(11, StdHeap{});  // another future-event set, same order
  CHECK(a.events > 10000);
  CHECK(a.fingerprint == b.fingerprint);
  CHECK(a.events == b.events);
  CHECK(a.fingerprint != c.fingerprint);
  CHECK(a.fingerprint == d.fingerprint);
  CHECK(a.events == d.events);
}
