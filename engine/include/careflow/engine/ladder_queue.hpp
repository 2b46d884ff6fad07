// A ladder queue (Tang, Goh and Thng, ACM TOMACS 15(3), 2005): a future-event set whose cost
// per event does not grow with the number of pending events.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "careflow/engine/dary_heap.hpp"
#include "careflow/engine/event.hpp"
#include "careflow/engine/future_event_set.hpp"

namespace careflow {

/// Events live in three tiers, ordered by time:
///
///  * **top** — an unsorted vector of the far future (times above `top_start_`);
///  * **rungs** — up to `kMaxRungs` arrays of buckets, each rung a finer division of one
///    bucket of the rung above; a bucket is an unsorted vector;
///  * **bottom** — a small d-ary heap holding the earliest events, in the engine's total order.
///
/// `pop` takes from the bottom; when the bottom is empty the next non-empty bucket of the finest
/// rung is moved into it, or split into a new, finer rung when it holds more than
/// `kSplitThreshold` events; when every rung is spent the top is spread over a new first rung.
/// Each event is therefore moved a bounded number of times, mostly by sequential appends, and
/// the heap stays small: the cost per event does not grow with the pending count as a heap's
/// does (see bench/hold_bench.cpp).
///
/// Exactness: an event's tier and bucket are monotone functions of its time alone, so every
/// event of a tier precedes every event of a later tier, and events with equal times always
/// share a bucket; the bottom heap orders them by the full key (`before`). The queue pops in
/// exactly the order of any other FutureEventSet — tested against DaryHeap on random streams.
/// Event times must not precede the last popped time (true of every discrete-event simulation).
class LadderQueue {
 public:
  static constexpr std::size_t kSplitThreshold = 48;
  static constexpr std::size_t kMaxRungs = 8;
  /// Average events per bucket of a new rung...
  static constexpr std::size_t kEventsPerBucket = 8;
  /// ...but no more buckets than this, so that the tails of all of a rung's buckets stay in
  /// cache while it is filled (the fan-out limit of a cache-friendly radix sort): with many
  /// pending events a rung's buckets are split again, which costs one more sequential move
  /// instead of a cache miss per event.
  static constexpr std::size_t kMaxBuckets = 2048;
  /// Most events the bottom heap holds while there are no rungs before it is spilled to the top.
  static constexpr std::size_t kMaxBottom = 1024;
  /// Storage a consumed bucket keeps for reuse (events).
  static constexpr std::size_t kKeptBucketCapacity = 16;

  void push(const Event& e) {
    ++size_;
    // Small queues live in the bottom heap alone (no rung, nothing in the top): the top then
    // starts after the latest of them, which keeps every bottom event before every top event.
    if (rungs_ == 0 && top_.empty() && bottom_.size() < kSplitThreshold) {
      bottom_.push(e);
      if (!(e.time < top_start_)) top_start_ = std::nextafter(e.time, std::numeric_limits<SimTime>::infinity());
      return;
    }
    if (e.time >= top_start_) {
      if (top_.empty()) {
        top_min_ = top_max_ = e.time;
      } else {
        top_min_ = std::min(top_min_, e.time);
        top_max_ = std::max(top_max_, e.time);
      }
      top_.push_back(e);
      return;
    }
    for (std::size_t r = 0; r < rungs_; ++r) {
      Rung& rung = rung_[r];
      const std::size_t b = rung.bucket_of(e.time);
      if (b >= rung.next) {
        rung.buckets[b].push_back(e);
        ++rung.count;
        return;
      }
    }
    bottom_.push(e);
    // With no rungs left, events before a far top start pile up in the bottom heap: hand them
    // all to the top (they precede every event there), to be spread over a new rung.
    if (rungs_ == 0 && bottom_.size() > kMaxBottom) spill();
  }

  const Event& top() const {
    if (bottom_.empty()) const_cast<LadderQueue*>(this)->refill();
    return bottom_.top();
  }

  void pop() {
    if (bottom_.empty()) refill();
    bottom_.pop();
    --size_;
  }

  /// Replace the earliest event by `e` (the executor's hold operation).
  void replace_top(const Event& e) {
    if (rungs_ == 0 && top_.empty()) {  // a small queue: one sift in the bottom heap
      bottom_.replace_top(e);
      if (!(e.time < top_start_)) top_start_ = std::nextafter(e.time, std::numeric_limits<SimTime>::infinity());
      return;
    }
    pop();
    push(e);
  }

  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }

  void clear() noexcept {
    top_.clear();
    for (std::size_t r = 0; r < rungs_; ++r) rung_[r].reset();
    rungs_ = 0;
    bottom_.clear();
    top_start_ = -std::numeric_limits<SimTime>::infinity();
    size_ = 0;
  }

 private:
  struct Rung {
    SimTime start = 0;
    SimTime inv_width = 0;  // buckets per day
    std::size_t n = 0;      // buckets in use
    std::size_t next = 0;   // first bucket not yet consumed
    std::size_t count = 0;  // events in unconsumed buckets
    std::vector<std::vector<Event>> buckets;  // kept across rebuilds: no allocation in steady state

    // Monotone in t (IEEE subtraction and multiplication by a positive constant are), clamped.
    std::size_t bucket_of(SimTime t) const noexcept {
      const double x = (t - start) * inv_width;
      if (!(x > 0.0)) return 0;
      if (x >= static_cast<double>(n - 1)) return n - 1;
      return static_cast<std::size_t>(x);
    }

    void prepare(SimTime lo, SimTime hi, std::size_t events) {
      n = std::clamp<std::size_t>(events / kEventsPerBucket, 2, kMaxBuckets);
      start = lo;
      inv_width = static_cast<double>(n) / (hi - lo);
      next = 0;
      count = 0;
      if (buckets.size() < n) buckets.resize(n);
    }

    void reset() noexcept {
      for (std::size_t b = next; b < n; ++b) release(buckets[b]);
      n = next = count = 0;
    }
  };

  // Empties a consumed bucket. A bucket keeps its storage for the next rung (no allocation in the
  // steady state) unless it grew large once: then the storage is freed, so that memory follows
  // the events pending now, not the largest bucket ever seen (the cost of the reallocation is
  // spread over the many events that made it large).
  static void release(std::vector<Event>& bucket) {
    if (bucket.capacity() > kKeptBucketCapacity) {
      std::vector<Event>().swap(bucket);
    } else {
      bucket.clear();
    }
  }

  void spill() {
    const std::size_t first = top_.size();
    bottom_.drain_into(top_);
    if (first == 0) top_min_ = top_max_ = top_.front().time;
    for (std::size_t i = first; i < top_.size(); ++i) {
      top_min_ = std::min(top_min_, top_[i].time);
      top_max_ = std::max(top_max_, top_[i].time);
    }
    top_start_ = -std::numeric_limits<SimTime>::infinity();
  }

  // Moves the next events into the (empty) bottom.
  void refill() {
    for (;;) {
      if (rungs_ == 0) {
        if (top_.empty()) return;  // nothing pending; caller's contract
        // A rung over the whole top; later pushes up to top_max_ land in it.
        const SimTime lo = top_min_, hi = top_max_;
        top_start_ = std::nextafter(hi, std::numeric_limits<SimTime>::infinity());
        if (top_.size() <= kSplitThreshold || !(hi > lo)) {
          for (const Event& e : top_) bottom_.push(e);
          top_.clear();
          return;
        }
        Rung& rung = rung_[0];
        rung.prepare(lo, hi, top_.size());
        for (const Event& e : top_) rung.buckets[rung.bucket_of(e.time)].push_back(e);
        rung.count = top_.size();
        // The events now live in the rung: free the top's storage rather than hold both.
        std::vector<Event>().swap(top_);
        rungs_ = 1;
      }
      Rung& rung = rung_[rungs_ - 1];
      if (rung.count == 0) {
        rung.reset();
        --rungs_;
        continue;
      }
      while (rung.buckets[rung.next].empty()) ++rung.next;
      std::vector<Event>& bucket = rung.buckets[rung.next];
      ++rung.next;
      rung.count -= bucket.size();
      if (bucket.size() > kSplitThreshold && rungs_ < kMaxRungs) {
        SimTime lo = bucket.front().time, hi = lo;
        for (const Event& e : bucket) {
          lo = std::min(lo, e.time);
          hi = std::max(hi, e.time);
        }
        if (hi > lo) {
          Rung& finer = rung_[rungs_];
          finer.prepare(lo, hi, bucket.size());
          for (const Event& e : bucket) finer.buckets[finer.bucket_of(e.time)].push_back(e);
          finer.count = bucket.size();
          release(bucket);
          ++rungs_;
          continue;
        }
      }
      for (const Event& e : bucket) bottom_.push(e);
      release(bucket);
      return;
    }
  }

  std::vector<Event> top_;
  SimTime top_start_ = -std::numeric_limits<SimTime>::infinity();
  SimTime top_min_ = 0, top_max_ = 0;
  Rung rung_[kMaxRungs];
  std::size_t rungs_ = 0;
  DaryHeap<4> bottom_;
  std::size_t size_ = 0;
};

static_assert(FutureEventSet<LadderQueue>);

}  // namespace careflow
