// A ladder queue (Tang, Goh and Thng, ACM TOMACS 15(3), 2005): a future-event set whose cost
// per event does not grow with the number of pending events.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "careflow/engine/event.hpp"
#include "careflow/engine/future_event_set.hpp"

namespace careflow {

/// The ladder's bottom: a short vector kept sorted latest-first, so that the earliest event is
/// at the back (top and pop are O(1), with no sift). Events arrive in two ways: a whole bucket at
/// a refill (appended unsorted, then sorted once: O(n log n) for n events, about 35 in the care
/// model) and, between refills, single events that fall before the next bucket (a binary search
/// and a short move). The ladder keeps it short (kMaxBottom), which is what makes both cheap.
class SortedBottom {
 public:
  void push(const Event& e) {
    // The first element after which e belongs: every element from there on is earlier than e.
    const auto at = std::upper_bound(v_.begin(), v_.end(), e, [](const Event& a, const Event& b) { return before(b, a); });
    v_.insert(at, e);
  }
  /// Appends without keeping the order; sort() must follow before top or pop.
  void append(const Event& e) { v_.push_back(e); }
  void sort() {
    std::sort(v_.begin(), v_.end(), [](const Event& a, const Event& b) { return before(b, a); });
  }
  const Event& top() const { return v_.back(); }
  void pop() { v_.pop_back(); }
  void replace_top(const Event& e) {
    v_.pop_back();
    push(e);
  }
  void drain_into(std::vector<Event>& out) {
    out.insert(out.end(), v_.begin(), v_.end());
    v_.clear();
  }
  bool empty() const noexcept { return v_.empty(); }
  std::size_t size() const noexcept { return v_.size(); }
  void clear() noexcept { v_.clear(); }

 private:
  std::vector<Event> v_;
};

/// Events live in three tiers, ordered by time:
///
///  * **top** — an unsorted vector of the far future (times above `top_start_`);
///  * **rungs** — up to `kMaxRungs` arrays of buckets, each rung a finer division of one
///    bucket of the rung above; a bucket is an unsorted vector;
///  * **bottom** — a short sorted vector holding the earliest events, in the engine's total order.
///
/// `pop` takes from the bottom; when the bottom is empty the next non-empty bucket of the finest
/// rung is moved into it, or split into a new, finer rung when it holds more than
/// `kSplitThreshold` events; when every rung is spent the top is spread over a new first rung.
/// Each event is therefore moved a bounded number of times, mostly by sequential appends, and
/// the bottom stays short: the cost per event does not grow with the pending count as a heap's
/// does (see bench/hold_bench.cpp).
///
/// Exactness: an event's tier and bucket are monotone functions of its time alone, so every
/// event of a tier precedes every event of a later tier, and events with equal times always
/// share a bucket; the bottom orders them by the full key (`before`). The queue pops in
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
  static constexpr std::size_t kMaxBuckets = 4096;
  /// Most events the bottom holds while there are no rungs before it is spilled to the top
  /// (each insertion moves up to this many events).
  static constexpr std::size_t kMaxBottom = 128;

  void push(const Event& e) {
    ++size_;
    // Small queues live in the bottom alone (no rung, nothing in the top): the top then
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
        append(rung.buckets[b], e);
        ++rung.count;
        return;
      }
    }
    bottom_.push(e);
    // With no rungs left, events before a far top start pile up in the bottom: hand them
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
    if (rungs_ == 0 && top_.empty()) {  // a small queue: one insertion in the bottom
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
    for (std::size_t r = 0; r < rungs_; ++r) {
      for (Bucket& b : rung_[r].buckets) b = Bucket{};
      drop_rung(rung_[r]);
    }
    free_chunks_.clear();
    chunks_ = 0;  // every chunk is free again (the blocks are kept)
    rungs_ = 0;
    bottom_.clear();
    top_start_ = -std::numeric_limits<SimTime>::infinity();
    size_ = 0;
  }

 private:
  static constexpr std::uint32_t kNone = 0xFFFF'FFFFu;
  /// Buckets are chains of fixed chunks from one pool with a free list: appending never copies,
  /// a consumed bucket's chunks go straight back to the pool, and the pool never shrinks, so
  /// there is no allocation in the steady state and memory is the high-water mark of events in
  /// rungs (plus one part-filled chunk per non-empty bucket).
  static constexpr std::uint32_t kChunkEvents = 15;  // 15 x 32 + 8 = 488 bytes
  struct Chunk {
    Event events[kChunkEvents];
    std::uint32_t next = kNone;
    std::uint32_t n = 0;
  };
  static constexpr std::size_t kChunksPerBlock = 1024;  // blocks never move: no copy on growth

  struct Bucket {
    std::uint32_t head = kNone, tail = kNone;
    std::uint32_t size = 0;
    SimTime lo = kForever, hi = -kForever;  // earliest and latest event time in the bucket
    bool empty() const noexcept { return size == 0; }
  };

  Chunk& chunk(std::uint32_t c) noexcept { return blocks_[c / kChunksPerBlock][c % kChunksPerBlock]; }

  std::uint32_t new_chunk() {
    std::uint32_t c;
    if (!free_chunks_.empty()) {
      c = free_chunks_.back();
      free_chunks_.pop_back();
    } else {
      if (chunks_ == blocks_.size() * kChunksPerBlock) blocks_.push_back(std::make_unique<Chunk[]>(kChunksPerBlock));
      c = static_cast<std::uint32_t>(chunks_++);
    }
    Chunk& k = chunk(c);
    k.next = kNone;
    k.n = 0;
    return c;
  }

  void append(Bucket& b, const Event& e) {
    if (b.tail == kNone || chunk(b.tail).n == kChunkEvents) {
      const std::uint32_t c = new_chunk();
      if (b.tail == kNone) {
        b.head = c;
      } else {
        chunk(b.tail).next = c;
      }
      b.tail = c;
    }
    Chunk& k = chunk(b.tail);
    k.events[k.n++] = e;
    ++b.size;
    b.lo = std::min(b.lo, e.time);
    b.hi = std::max(b.hi, e.time);
  }

  // Calls f on each event of the bucket, then returns its chunks to the pool and empties it.
  template <class F>
  void drain(Bucket& b, F&& f) {
    for (std::uint32_t c = b.head; c != kNone;) {
      Chunk& k = chunk(c);
      for (std::uint32_t i = 0; i < k.n; ++i) f(k.events[i]);
      const std::uint32_t next = k.next;
      free_chunks_.push_back(c);
      c = next;
    }
    b = Bucket{};
  }

  struct Rung {
    SimTime start = 0;
    SimTime inv_width = 0;  // buckets per day
    std::size_t n = 0;      // buckets in use
    std::size_t next = 0;   // first bucket not yet consumed
    std::size_t count = 0;  // events in unconsumed buckets
    std::vector<Bucket> buckets;

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
  };

  // Drops a spent rung (its buckets are empty).
  void drop_rung(Rung& rung) noexcept {
    rung.n = rung.next = rung.count = 0;
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
          for (const Event& e : top_) bottom_.append(e);
          bottom_.sort();
          top_.clear();
          return;
        }
        Rung& rung = rung_[0];
        rung.prepare(lo, hi, top_.size());
        for (const Event& e : top_) append(rung.buckets[rung.bucket_of(e.time)], e);
        rung.count = top_.size();
        top_.clear();
        rungs_ = 1;
      }
      Rung& rung = rung_[rungs_ - 1];
      if (rung.count == 0) {
        drop_rung(rung);
        --rungs_;
        continue;
      }
      while (rung.buckets[rung.next].empty()) ++rung.next;
      Bucket& bucket = rung.buckets[rung.next];
      ++rung.next;
      rung.count -= bucket.size;
      if (bucket.size > kSplitThreshold && rungs_ < kMaxRungs) {
        const SimTime lo = bucket.lo, hi = bucket.hi;
        if (hi > lo) {
          Rung& finer = rung_[rungs_];
          finer.prepare(lo, hi, bucket.size);
          finer.count = bucket.size;
          drain(bucket, [&](const Event& e) { append(finer.buckets[finer.bucket_of(e.time)], e); });
          ++rungs_;
          continue;
        }
      }
      drain(bucket, [&](const Event& e) { bottom_.append(e); });
      bottom_.sort();
      return;
    }
  }

  std::vector<Event> top_;
  SimTime top_start_ = -std::numeric_limits<SimTime>::infinity();
  SimTime top_min_ = 0, top_max_ = 0;
  Rung rung_[kMaxRungs];
  std::size_t rungs_ = 0;
  SortedBottom bottom_;
  std::size_t size_ = 0;
  std::vector<std::unique_ptr<Chunk[]>> blocks_;
  std::size_t chunks_ = 0;  // chunks ever made (in blocks_)
  std::vector<std::uint32_t> free_chunks_;
};

static_assert(FutureEventSet<LadderQueue>);

}  // namespace careflow
