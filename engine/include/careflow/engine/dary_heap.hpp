// An implicit d-ary min-heap of events.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "careflow/engine/event.hpp"
#include "careflow/engine/future_event_set.hpp"

namespace careflow {

/// d-ary heap over a flat vector: shallower than a binary heap (fewer cache misses per
/// pop) and no allocation per event once the vector has grown to the working size.
template <std::size_t D = 4>
class DaryHeap {
  static_assert(D >= 2);

 public:
  void reserve(std::size_t n) { heap_.reserve(n); }

  void push(const Event& e) {
    heap_.push_back(e);
    sift_up(heap_.size() - 1);
  }

  const Event& top() const { return heap_.front(); }

  void pop() {
    Event last = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_down(std::move(last));
  }

  /// Replace the top event by `e` (one sift instead of a pop and a push).
  void replace_top(const Event& e) { sift_down(e); }

  /// Moves every event, in no particular order, to the end of `out`; the heap is then empty.
  void drain_into(std::vector<Event>& out) {
    out.insert(out.end(), heap_.begin(), heap_.end());
    heap_.clear();
  }

  bool empty() const noexcept { return heap_.empty(); }
  std::size_t size() const noexcept { return heap_.size(); }
  void clear() noexcept { heap_.clear(); }

 private:
  void sift_up(std::size_t i) {
    Event e = heap_[i];
    while (i > 0) {
      const std::size_t parent = (i - 1) / D;
      if (!before(e, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = e;
  }

  // Places `e` at the root and moves it down to its place.
  void sift_down(Event e) {
    const std::size_t n = heap_.size();
    std::size_t i = 0;
    for (;;) {
      const std::size_t first = i * D + 1;
      if (first >= n) break;
      const std::size_t last = first + D < n ? first + D : n;
      std::size_t best = first;
      for (std::size_t c = first + 1; c < last; ++c)
        if (before(heap_[c], heap_[best])) best = c;
      if (!before(heap_[best], e)) break;
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = e;
  }

  std::vector<Event> heap_;
};

static_assert(FutureEventSet<DaryHeap<4>>);

}  // namespace careflow
