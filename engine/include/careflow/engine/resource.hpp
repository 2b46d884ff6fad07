// Capacity-limited servers with queues.
#pragma once

#include <bit>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <vector>

#include "careflow/engine/event.hpp"
#include "careflow/engine/statistics.hpp"

namespace careflow {

enum class QueueDiscipline {
  Fifo,      // first come, first served
  Priority,  // lower priority number first, FIFO within a priority
};

/// A place in a resource's queue, small enough to travel in an event payload
/// (so a reneging deadline event can name the waiting customer).
struct QueueTicket {
  std::uint32_t slot = 0;
  std::uint32_t generation = 0;
  std::uint64_t pack() const noexcept { return (static_cast<std::uint64_t>(generation) << 32) | slot; }
  static QueueTicket unpack(std::uint64_t x) noexcept {
    return {static_cast<std::uint32_t>(x & 0xFFFFFFFFu), static_cast<std::uint32_t>(x >> 32)};
  }
};

/// A customer who has just been given a unit.
struct ServiceStart {
  std::uint64_t customer = 0;
  std::uint32_t unit = 0;
  SimTime waited = 0;
};

/// What happened to an arriving customer.
struct Admission {
  enum class Outcome { Started, Queued, Balked } outcome = Outcome::Balked;
  std::uint32_t unit = 0;  // when Started
  QueueTicket ticket{};    // when Queued
};

/// A set of unit numbers that hands out its lowest member in O(1): one bit per unit, and one
/// summary bit per word of units that says whether that word has any member. Taking the lowest
/// is two count-trailing-zeros after skipping empty summary words (one summary word covers
/// 4,096 units, so a national-size home care service of 35,600 hours scans at most nine).
/// The same order as a min-heap of unit numbers, at a few instructions instead of a sift.
class UnitSet {
 public:
  bool empty() const noexcept { return count_ == 0; }
  std::size_t size() const noexcept { return count_; }
  void insert(std::uint32_t u) {
    const std::size_t w = u / 64;
    if (w >= words_.size()) {
      words_.resize(w + 1, 0);
      summary_.resize(w / 64 + 1, 0);
    }
    const std::uint64_t bit = std::uint64_t{1} << (u % 64);
    count_ += (words_[w] & bit) == 0;
    words_[w] |= bit;
    summary_[w / 64] |= std::uint64_t{1} << (w % 64);
  }
  /// Removes and returns the lowest member; the set must not be empty.
  std::uint32_t take_lowest() noexcept {
    std::size_t s = 0;
    while (summary_[s] == 0) ++s;
    const std::size_t w = s * 64 + static_cast<std::size_t>(std::countr_zero(summary_[s]));
    const unsigned b = static_cast<unsigned>(std::countr_zero(words_[w]));
    words_[w] &= words_[w] - 1;
    if (words_[w] == 0) summary_[s] &= summary_[s] - 1;
    --count_;
    return static_cast<std::uint32_t>(w * 64 + b);
  }
  /// Removes every member >= limit.
  void erase_from(std::uint32_t limit) noexcept {
    for (std::size_t w = limit / 64; w < words_.size(); ++w) {
      const unsigned from = w == limit / 64 ? limit % 64 : 0;
      const std::uint64_t drop = words_[w] & (~std::uint64_t{0} << from);
      count_ -= static_cast<std::size_t>(std::popcount(drop));
      words_[w] &= ~drop;
      if (words_[w] == 0) summary_[w / 64] &= ~(std::uint64_t{1} << (w % 64));
    }
  }

 private:
  std::vector<std::uint64_t> words_, summary_;
  std::size_t count_ = 0;
};

/// A server with `capacity` identical units (workers, beds, teams) and a queue.
///
/// Passive: it never schedules events. The owning LP calls arrive / release / renege /
/// set_capacity at the current time and schedules service ends, reneging deadlines and
/// capacity changes itself. Units are numbered; the lowest-numbered free unit is given
/// out, so "which unit served whom" is deterministic and per-unit utilisation is known.
class Resource {
 public:
  static constexpr std::uint32_t kUnlimited = std::numeric_limits<std::uint32_t>::max();

  explicit Resource(std::uint32_t capacity, QueueDiscipline discipline = QueueDiscipline::Fifo,
                    std::uint32_t max_queue = kUnlimited, SimTime start = 0.0);

  /// A customer arrives: served at once if a unit is free, else queued, or balks when
  /// the queue already holds max_queue customers.
  Admission arrive(SimTime now, std::uint64_t customer, std::int32_t priority = 0);

  /// The customer on `unit` is done. If someone waits, the unit goes to the next in line.
  std::optional<ServiceStart> release(SimTime now, std::uint32_t unit);

  /// The customer holding `ticket` gives up waiting. False if they have already started.
  bool renege(SimTime now, QueueTicket ticket);

  /// The waiting customer holding `ticket` now has `priority` (e.g. their need rose while
  /// waiting): under the Priority discipline they take their place among the others by the new
  /// priority, keeping their arrival order among equals; under FIFO nothing changes. False if
  /// they are no longer waiting. The ticket stays valid.
  bool reprioritise(QueueTicket ticket, std::int32_t priority);

  /// Change the number of units. New units start serving the queue at once (appended to
  /// `started`); when capacity falls, busy units beyond it finish their customer first.
  void set_capacity(SimTime now, std::uint32_t capacity, std::vector<ServiceStart>& started);

  /// Start the statistics afresh (end of warm-up); the state is kept.
  void reset_statistics(SimTime now);

  std::uint32_t capacity() const noexcept { return capacity_; }
  std::uint32_t busy() const noexcept { return busy_count_; }
  std::size_t queue_length() const noexcept { return waiting_; }
  std::uint32_t max_queue() const noexcept { return max_queue_; }
  QueueDiscipline discipline() const noexcept { return discipline_; }

  // Statistics since the start or the last reset.
  const Tally& waits() const noexcept { return waits_; }  // of customers who started
  const TimeWeighted& queue_level() const noexcept { return queue_level_; }
  const TimeWeighted& busy_level() const noexcept { return busy_level_; }
  const TimeWeighted& capacity_level() const noexcept { return capacity_level_; }
  /// Busy unit-time / available unit-time.
  double utilisation(SimTime now) const noexcept;
  /// Share of [reset, now] that `unit` was busy.
  double unit_utilisation(std::uint32_t unit, SimTime now) const;
  std::uint64_t arrivals() const noexcept { return arrivals_; }
  std::uint64_t balked() const noexcept { return balked_; }
  std::uint64_t reneged() const noexcept { return reneged_; }
  std::uint64_t started() const noexcept { return started_; }

 private:
  struct Waiting {
    std::uint64_t customer = 0;
    SimTime arrived = 0;
    std::int32_t priority = 0;
    std::uint32_t generation = 0;
    std::uint64_t order = 0;  // arrival sequence, FIFO tie-break
    std::uint32_t epoch = 0;  // bumped at each re-prioritisation: older heap entries are stale
    bool active = false;
  };
  // An entry of the priority heap: the slot with the priority and epoch it was pushed with. A
  // re-prioritised customer gets a new entry; the old one is dropped when it reaches the top.
  struct HeapEntry {
    std::uint32_t slot = 0, generation = 0, epoch = 0;
    std::int32_t priority = 0;
    std::uint64_t order = 0;
  };
  struct Unit {  // 16 bytes: places grow with the population
    static constexpr SimTime kIdle = -std::numeric_limits<SimTime>::infinity();
    SimTime busy_since = kIdle;  // kIdle while the unit is free
    double busy_time = 0;        // since the last statistics reset
    bool busy() const noexcept { return busy_since != kIdle; }
  };

  std::uint32_t take_free_unit() noexcept { return free_units_.take_lowest(); }
  void occupy(SimTime now, std::uint32_t unit);
  std::optional<std::uint32_t> pop_next();  // next active waiting slot, per discipline
  void free_slot(std::uint32_t slot);
  static bool served_after(const HeapEntry& a, const HeapEntry& b) noexcept;  // heap order
  ServiceStart start_waiting(SimTime now, std::uint32_t slot, std::uint32_t unit);

  std::uint32_t capacity_;
  QueueDiscipline discipline_;
  std::uint32_t max_queue_;
  SimTime stats_start_;

  std::vector<Unit> units_;
  UnitSet free_units_;  // free unit numbers below capacity (the lowest is given out)
  std::uint32_t busy_count_ = 0;

  std::vector<Waiting> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::deque<std::uint32_t> fifo_;
  std::vector<HeapEntry> heap_;  // Priority discipline
  std::size_t waiting_ = 0;
  std::uint64_t next_order_ = 0;

  Tally waits_;
  TimeWeighted queue_level_, busy_level_, capacity_level_;
  std::uint64_t arrivals_ = 0, balked_ = 0, reneged_ = 0, started_ = 0;
};

/// Capacity that changes over time: (from time, capacity) steps in increasing time order.
struct CapacityStep {
  SimTime at = 0;
  std::uint32_t capacity = 0;
};
using CapacitySchedule = std::vector<CapacityStep>;

/// Throws std::invalid_argument unless times are finite, >= 0 and strictly increasing.
void validate_schedule(const CapacitySchedule& schedule);

}  // namespace careflow
