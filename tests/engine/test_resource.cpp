#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <set>
#include <vector>

#include "careflow/engine/resource.hpp"

using namespace careflow;
using Outcome = Admission::Outcome;

TEST_CASE("units are given out lowest first and queue FIFO", "[engine][resource]") {
  Resource r(2);
  CHECK(r.arrive(0.0, 100).unit == 0);
  CHECK(r.arrive(1.0, 101).unit == 1);
  CHECK(r.arrive(2.0, 102).outcome == Outcome::Queued);
  CHECK(r.arrive(3.0, 103).outcome == Outcome::Queued);
  CHECK(r.queue_length() == 2);
  auto next = r.release(5.0, 1);
  REQUIRE(next);
  CHECK(next->customer == 102);
  CHECK(next->unit == 1);
  CHECK(next->waited == Approx(3.0));
  next = r.release(6.0, 0);
  REQUIRE(next);
  CHECK(next->customer == 103);
  CHECK(!r.release(7.0, 0));
  CHECK(r.busy() == 1);
  CHECK_THROWS(r.release(7.0, 0));  // not busy any more
}

TEST_CASE("priority discipline serves lower numbers first, FIFO within", "[engine][resource]") {
  Resource r(1, QueueDiscipline::Priority);
  r.arrive(0, 1);
  r.arrive(1, 2, 5);
  r.arrive(2, 3, 1);
  r.arrive(3, 4, 5);
  r.arrive(4, 5, 1);
  std::vector<std::uint64_t> order;
  for (int i = 0; i < 4; ++i) order.push_back(r.release(10.0 + i, 0)->customer);
  CHECK(order == std::vector<std::uint64_t>{3, 5, 2, 4});
}

TEST_CASE("a full queue turns arrivals away (balking)", "[engine][resource]") {
  Resource r(1, QueueDiscipline::Fifo, 2);
  r.arrive(0, 1);
  CHECK(r.arrive(0, 2).outcome == Outcome::Queued);
  CHECK(r.arrive(0, 3).outcome == Outcome::Queued);
  CHECK(r.arrive(0, 4).outcome == Outcome::Balked);
  CHECK(r.balked() == 1);
  CHECK(r.arrivals() == 4);
}

TEST_CASE("reneging removes a waiting customer once", "[engine][resource]") {
  Resource r(1);
  r.arrive(0, 1);
  const QueueTicket t2 = r.arrive(1, 2).ticket;
  const QueueTicket t3 = r.arrive(2, 3).ticket;
  CHECK(QueueTicket::unpack(t3.pack()).slot == t3.slot);
  CHECK(r.renege(4, t2));
  CHECK_FALSE(r.renege(4, t2));
  CHECK(r.queue_length() == 1);
  CHECK(r.reneged() == 1);
  auto next = r.release(5, 0);
  REQUIRE(next);
  CHECK(next->customer == 3);
  CHECK_FALSE(r.renege(6, t3));  // already in service
  // The slot of customer 2 is reused; its old ticket must not remove the new occupant.
  r.arrive(7, 4);
  CHECK_FALSE(r.renege(8, t2));
  CHECK(r.queue_length() == 1);
}

TEST_CASE("capacity follows a schedule", "[engine][resource]") {
  Resource r(1);
  r.arrive(0, 1);
  r.arrive(0, 2);
  r.arrive(0, 3);
  std::vector<ServiceStart> started;
  r.set_capacity(1.0, 3, started);  // two new units take the two waiting
  REQUIRE(started.size() == 2);
  CHECK(started[0].customer == 2);
  CHECK(started[0].unit == 1);
  CHECK(started[1].unit == 2);
  started.clear();
  r.set_capacity(2.0, 1, started);  // units 1 and 2 retire after their customers
  r.arrive(2.0, 4);
  CHECK(r.queue_length() == 1);
  CHECK(!r.release(3.0, 2));  // retired: not handed to customer 4
  auto next = r.release(4.0, 0);
  REQUIRE(next);
  CHECK(next->customer == 4);
  CHECK(next->unit == 0);
  r.set_capacity(5.0, 2, started);  // unit 1 still busy: it rejoins when released
  CHECK(started.empty());
  r.arrive(5.0, 5);
  CHECK(r.queue_length() == 1);
  next = r.release(6.0, 1);
  REQUIRE(next);
  CHECK(next->customer == 5);
  CHECK(next->unit == 1);
  CHECK_THROWS(validate_schedule({{1.0, 2}, {1.0, 3}}));
  CHECK_NOTHROW(validate_schedule({{0.0, 2}, {1.0, 3}}));
}

TEST_CASE("utilisation counts busy unit-time over available unit-time", "[engine][resource]") {
  Resource r(2);
  r.arrive(0, 1);        // unit 0 busy [0, 4)
  r.arrive(2, 2);        // unit 1 busy [2, 10]
  r.release(4, 0);
  // busy area = 4 + 8 = 12 over 2 * 10 = 20
  CHECK(r.utilisation(10) == Approx(0.6));
  CHECK(r.unit_utilisation(0, 10) == Approx(0.4));
  CHECK(r.unit_utilisation(1, 10) == Approx(0.8));
  r.reset_statistics(10);
  CHECK(r.unit_utilisation(1, 20) == Approx(1.0));
  CHECK(r.utilisation(20) == Approx(0.5));
}

TEST_CASE("the free-unit set hands out its lowest member as a min-heap would", "[engine][resource]") {
  // Random inserts and takes over 10,000 units (three summary words) against std::set.
  UnitSet s;
  std::set<std::uint32_t> ref;
  std::mt19937_64 g(7);
  for (int step = 0; step < 200000; ++step) {
    const bool take = !ref.empty() && (g() % 3 == 0);
    if (take) {
      REQUIRE(s.take_lowest() == *ref.begin());
      ref.erase(ref.begin());
    } else {
      const auto u = static_cast<std::uint32_t>(g() % 10000);
      s.insert(u);
      ref.insert(u);
    }
    REQUIRE(s.size() == ref.size());
    REQUIRE(s.empty() == ref.empty());
    if (step % 50000 == 49999) {  // capacity cut: members at or above the limit go
      const auto limit = static_cast<std::uint32_t>(g() % 10000);
      s.erase_from(limit);
      ref.erase(ref.lower_bound(limit), ref.end());
      REQUIRE(s.size() == ref.size());
    }
  }
  while (!ref.empty()) {
    REQUIRE(s.take_lowest() == *ref.begin());
    ref.erase(ref.begin());
  }
  CHECK(s.empty());
}

TEST_CASE("a re-prioritised customer moves up the queue and keeps arrival order among equals", "[engine][resource]") {
  Resource r(1, QueueDiscipline::Priority);
  r.arrive(0.0, 1);                       // served
  const auto a = r.arrive(1.0, 10, 0).ticket;
  const auto b = r.arrive(2.0, 11, 0).ticket;
  const auto c = r.arrive(3.0, 12, 0).ticket;
  r.arrive(4.0, 13, -1);                  // arrives more urgent
  CHECK(r.reprioritise(c, -1));           // 12 becomes as urgent as 13 and arrived before it
  CHECK(r.reprioritise(b, -2));           // 11 becomes the most urgent
  CHECK(r.reprioritise(b, -2));           // no change: still valid
  CHECK(r.renege(5.0, a));                // 10 leaves; its entry is dropped once
  std::vector<std::uint64_t> served;
  for (double t = 10; auto next = r.release(t, 0); t += 1) served.push_back(next->customer);
  CHECK(served == std::vector<std::uint64_t>{11, 12, 13});
  CHECK(r.queue_length() == 0);
  CHECK(!r.reprioritise(b, -3));          // served: no longer waiting
  // FIFO ignores priorities, before and after.
  Resource f(1);
  f.arrive(0.0, 1);
  f.arrive(1.0, 20);
  const auto y = f.arrive(2.0, 21).ticket;
  CHECK(f.reprioritise(y, -5));
  CHECK(f.release(3.0, 0)->customer == 20);
}

TEST_CASE("re-prioritising against a reference queue: every order the same", "[engine][resource]") {
  // Random arrivals, reneging, re-prioritisation and service against a plain sorted list.
  Resource r(1, QueueDiscipline::Priority);
  r.arrive(0.0, 0);
  struct W { std::uint64_t id; std::int32_t pri; std::uint64_t order; QueueTicket t; };
  std::vector<W> ref;
  std::mt19937_64 g(11);
  std::uint64_t next_id = 1;
  double t = 1;
  for (int step = 0; step < 20000; ++step, t += 0.01) {
    const auto op = g() % 4;
    if (op == 0 || ref.empty()) {
      const auto pri = static_cast<std::int32_t>(g() % 5) - 4;
      ref.push_back({next_id, pri, next_id, r.arrive(t, next_id, pri).ticket});
      ++next_id;
    } else if (op == 1) {
      auto& w = ref[g() % ref.size()];
      w.pri = std::max(-4, w.pri - 1);
      REQUIRE(r.reprioritise(w.t, w.pri));
    } else if (op == 2) {
      const auto k = g() % ref.size();
      REQUIRE(r.renege(t, ref[k].t));
      ref.erase(ref.begin() + static_cast<std::ptrdiff_t>(k));
    } else {
      auto best = std::min_element(ref.begin(), ref.end(), [](const W& a, const W& b) {
        return a.pri != b.pri ? a.pri < b.pri : a.order < b.order;
      });
      auto next = r.release(t, 0);
      REQUIRE(next);
      REQUIRE(next->customer == best->id);
      ref.erase(best);
    }
    REQUIRE(r.queue_length() == ref.size());
  }
}
