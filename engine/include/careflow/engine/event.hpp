// The event record and the deterministic total order of events.
#pragma once

#include <cstdint>
#include <limits>

namespace careflow {

/// Simulated time, in days.
using SimTime = double;

/// Index of a logical process within one simulation.
using LpId = std::uint32_t;

/// One scheduled event. Compact (32 bytes, two to a cache line) because the future-event set
/// moves these around and holds one or more per simulated person.
///
/// Events are totally ordered by (time, priority, originating LP, per-origin sequence).
/// The order never depends on container order, pointer values or thread interleaving:
/// two runs of the same scenario and seed process every LP's events in the same order.
struct Event {
  /// Bits of the per-origin sequence in `stamp`; the originating LP has the bits above.
  static constexpr unsigned kSequenceBits = 40;
  /// Limits that keep (origin, sequence) in one word: 16.7 million LPs, 1.1e12 events per LP.
  static constexpr std::uint64_t kMaxLps = std::uint64_t{1} << (64 - kSequenceBits);
  static constexpr std::uint64_t kMaxSequence = std::uint64_t{1} << kSequenceBits;

  SimTime time = 0.0;
  /// Originating LP (high 24 bits) and its sequence number for this event (low 40 bits).
  std::uint64_t stamp = 0;
  /// Model-defined data, e.g. a person index.
  std::uint64_t payload = 0;
  LpId target = 0;
  /// Model-defined event type.
  std::uint16_t kind = 0;
  /// Lower first among events at the same time.
  std::int16_t priority = 0;

  static constexpr std::uint64_t make_stamp(LpId origin, std::uint64_t sequence) noexcept {
    return (static_cast<std::uint64_t>(origin) << kSequenceBits) | sequence;
  }
  LpId origin() const noexcept { return static_cast<LpId>(stamp >> kSequenceBits); }
  std::uint64_t sequence() const noexcept { return stamp & (kMaxSequence - 1); }
};

static_assert(sizeof(Event) == 32);

/// Strict "happens before" in the engine's total order.
inline bool before(const Event& a, const Event& b) noexcept {
  if (a.time != b.time) return a.time < b.time;
  if (a.priority != b.priority) return a.priority < b.priority;
  return a.stamp < b.stamp;
}

inline constexpr SimTime kForever = std::numeric_limits<SimTime>::infinity();

}  // namespace careflow
