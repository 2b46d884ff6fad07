// The future-event set: the interface every event-queue implementation meets.
#pragma once

#include <concepts>
#include <cstddef>

#include "careflow/engine/event.hpp"

namespace careflow {

/// A priority queue of events in the engine's total order (see `before`).
/// Executors are templates over this concept, so implementations can be swapped and
/// benchmarked without a virtual call per event and without touching models.
template <class Q>
concept FutureEventSet = requires(Q q, const Q cq, Event e) {
  { q.push(e) };
  { cq.top() } -> std::convertible_to<const Event&>;
  { q.pop() };
  { cq.empty() } -> std::convertible_to<bool>;
  { cq.size() } -> std::convertible_to<std::size_t>;
  { q.clear() };
};

}  // namespace careflow
