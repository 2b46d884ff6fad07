// The event record and the deterministic total order of events.
#pragma once

#include <cstdint>
#include <limits>

namespace careflow {

/// Simulated time, in days.
using SimTime = double;

/// Index of a logical process within one simulation.
using LpId = std::uint32_t;

/// One scheduled event. Compact (40 bytes) because the future-event set moves these around.
///
/// Events are totally ordered by (time, priority, originating LP, per-origin sequence).
/// The order never depends on container order, pointer values or thread interleaving:
/// two runs of the same scenario and seed process every LP's events in the same order.
struct Event {
  SimTime time = 0.0;
  /// Priority (lower first, biased to unsigned) in the top 16 bits, originating LP below.
  std::uint64_t order = 0;
  /// Sequence number of this event among those scheduled by its originating LP.
  std::uint64_t seq = 0;
  LpId target = 0;
  /// Model-defined event type.
  std::uint32_t kind = 0;
  /// Model-defined data, e.g. a person index.
  std::uint64_t payload = 0;

  static constexpr std::uint64_t pack_order(std::int16_t priority, LpId origin) noexcept {
    const auto biased = static_cast<std::uint64_t>(static_cast<std::uint16_t>(priority) ^ 0x8000u);
    return (biased << 48) | static_cast<std::uint64_t>(origin);
  }
  std::int16_t priority() const noexcept {
    return static_cast<std::int16_t>(static_cast<std::uint16_t>((order >> 48) ^ 0x8000u));
  }
  LpId origin() const noexcept { return static_cast<LpId>(order & 0xFFFF'FFFF'FFFFull); }
};

/// Strict "happens before" in the engine's total order.
inline bool before(const Event& a, const Event& b) noexcept {
  if (a.time != b.time) return a.time < b.time;
  if (a.order != b.order) return a.order < b.order;
  return a.seq < b.seq;
}

inline constexpr SimTime kForever = std::numeric_limits<SimTime>::infinity();

}  // namespace careflow
