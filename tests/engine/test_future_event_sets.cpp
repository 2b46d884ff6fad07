// Every future-event set pops in exactly the engine's total order, whatever the pattern of
// pushes and pops, so swapping one for another never changes a result.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "careflow/engine/dary_heap.hpp"
#include "careflow/engine/ladder_queue.hpp"
#include "careflow/engine/random.hpp"
#include "careflow/engine/sequential_executor.hpp"
#include "phold.hpp"

using namespace careflow;

namespace {

// The reference: sorted by `before` with a plain binary heap from the standard library.
struct Reference {
  std::vector<Event> v;
  void push(const Event& e) {
    v.push_back(e);
    std::push_heap(v.begin(), v.end(), [](const Event& a, const Event& b) { return before(b, a); });
  }
  Event pop() {
    std::pop_heap(v.begin(), v.end(), [](const Event& a, const Event& b) { return before(b, a); });
    Event e = v.back();
    v.pop_back();
    return e;
  }
};

bool same(const Event& a, const Event& b) {
  return a.time == b.time && a.priority == b.priority && a.stamp == b.stamp && a.target == b.target && a.payload == b.payload;
}

// A hold-like workload: after each pop, push 0..2 events at now + delay. Delays mix
// exponential, zero, discrete (many ties) and far-future draws; priorities and origins vary.
template <class Q>
void check_against_reference(std::uint64_t seed, std::size_t initial, std::size_t steps) {
  RandomStream rng(StreamKey{seed, 0, 0, 0});
  Q q;
  Reference ref;
  std::uint64_t seq = 0;
  auto make = [&](SimTime now) {
    Event e;
    const double u = rng.uniform01();
    double delay;
    if (u < 0.5) delay = -std::log(rng.uniform01());
    else if (u < 0.6) delay = 0.0;
    else if (u < 0.85) delay = static_cast<double>(rng.next_u64() % 4);
    else if (u < 0.95) delay = 1e-9 * static_cast<double>(rng.next_u64() % 3);
    else delay = 1000.0 * rng.uniform01();
    e.time = now + delay;
    e.priority = static_cast<std::int16_t>(static_cast<int>(rng.next_u64() % 5) - 2);
    e.stamp = Event::make_stamp(static_cast<LpId>(rng.next_u64() % 7), seq++);
    e.payload = seq;
    return e;
  };
  for (std::size_t i = 0; i < initial; ++i) {
    const Event e = make(0.0);
    q.push(e);
    ref.push(e);
  }
  for (std::size_t s = 0; s < steps && !ref.v.empty(); ++s) {
    REQUIRE(q.size() == ref.v.size());
    const Event want = ref.pop();
    const Event got = q.top();
    REQUIRE(same(got, want));
    q.pop();
    const auto n = static_cast<int>(rng.next_u64() % 3);  // 0, 1 or 2 new events: size drifts
    for (int k = 0; k < n; ++k) {
      const Event e = make(want.time);
      q.push(e);
      ref.push(e);
    }
  }
  while (!ref.v.empty()) {
    REQUIRE(same(q.top(), ref.pop()));
    q.pop();
  }
  REQUIRE(q.empty());
}

}  // namespace

TEMPLATE_TEST_CASE("future-event sets pop in the engine's total order", "[engine][fes]", DaryHeap<2>, DaryHeap<4>,
                   DaryHeap<8>, LadderQueue) {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    check_against_reference<TestType>(seed, 10, 20'000);
    check_against_reference<TestType>(seed + 100, 5'000, 60'000);
  }
}

TEST_CASE("the ladder queue reused after clear behaves as new", "[engine][fes]") {
  LadderQueue q;
  for (int round = 0; round < 3; ++round) {
    q.clear();
    for (int i = 0; i < 1000; ++i) {
      Event e;
      e.time = static_cast<double>((i * 7919) % 1000);
      e.stamp = static_cast<std::uint64_t>(i);
      q.push(e);
    }
    double last = -1;
    std::size_t n = 0;
    while (!q.empty()) {
      REQUIRE(q.top().time >= last);
      last = q.top().time;
      q.pop();
      ++n;
    }
    REQUIRE(n == 1000);
  }
}

TEST_CASE("PHOLD gives the same fingerprint on every future-event set", "[engine][fes]") {
  auto run = [](auto tag) {
    using Q = decltype(tag);
    bench::PholdParams p;
    p.lps = 500;
    p.events_per_lp = 2;
    Simulation sim(9, 0, p.lookahead);
    bench::build_phold(sim, p);
    SequentialExecutor<Q> exec(sim);
    return exec.run(200.0);
  };
  const RunStats heap = run(DaryHeap<4>{});
  const RunStats ladder = run(LadderQueue{});
  const RunStats binary = run(DaryHeap<2>{});
  REQUIRE(heap.events > 100'000);
  CHECK(ladder.events == heap.events);
  CHECK(ladder.fingerprint == heap.fingerprint);
  CHECK(binary.fingerprint == heap.fingerprint);
}

TEST_CASE("the ladder queue keeps the order through every path: small, spilled, laddered", "[engine][fes]") {
  // One far event first sets a far top start; then thousands of nearer events arrive with no
  // rung yet (the bottom spills to the top), and pops interleave with pushes at now + small.
  LadderQueue q;
  Reference ref;
  std::uint64_t seq = 0;
  auto add = [&](double t) {
    Event e;
    e.time = t;
    e.stamp = seq++;
    q.push(e);
    ref.push(e);
  };
  add(1e6);
  RandomStream rng(StreamKey{11, 0, 0, 0});
  for (int i = 0; i < 5000; ++i) add(1000.0 * rng.uniform01());
  double now = 0;
  while (!ref.v.empty()) {
    const Event want = ref.pop();
    REQUIRE(same(q.top(), want));
    q.pop();
    now = want.time;
    if (seq < 20'000 && rng.uniform01() < 0.7) add(now + 5.0 * rng.uniform01());
  }
  CHECK(q.empty());
}
