// The care model's event kinds, timer constants and random-stream keys (private to models/).
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "careflow/engine/simulation.hpp"
#include "careflow/models/vocabulary.hpp"

namespace careflow::models::care {

inline constexpr double kWeek = 7.0;
inline constexpr double kFollowUpDays = 91.0;  // NI 125 / ASCOF 2B
inline constexpr double kRereferralWindow = 365.0;
// Timers far ahead (an 18th birthday, an escalation years away, a long patience) are kept as a
// chain of wake-ups at most this many days apart: a timer made stale by the person moving on is
// dropped within this time instead of sitting in the event set for years (memory per person).
// Each link re-arms at the same absolute target, so the timer fires at exactly the same time.
inline constexpr double kTimerLink = 28.0;
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

enum Kind : std::uint32_t {
  kCohortArrival = 1,
  kReferralArrive,
  kServiceEnd,
  kRenege,
  kEscalate,
  kReview,
  kTransition,
  kReturn,        // re-referral after leaving
  kFollowUp,      // 91 days after discharge into re-ablement
  kDischargeCheckDone,
  kWeekly,
  kWarmupEnd,
  kCapacityChange,
  kPoolReview,
  kOneOffCost,
  kTransfer,  // a person (record attached) arrives from another site
  kHeldPlaceFree,  // a place held by a person now at another site is free (a hospital bed, holds_place)
  kAllocated,      // allocation or brokerage done: the person joins a unit's queue
};

// Purposes of a person's random streams. With the person's id, the service and the visit
// number they make the key, so a person meets the same luck in every scenario.
enum class Purpose : std::uint8_t {
  CohortArrivals = 1,
  Attributes,
  Duration,
  Route,
  Handoff,
  Escalation,
  DeEscalation,
  Review,
  Return,
  DischargeCheck,
  Prevention,
  Patience,  // appended: the other purposes keep their keys
  Area,        // where a person lives: which unit of a service by area (one draw per person)
  Allocation,  // allocation or brokerage days at a service
};

/// The purpose part of a person's stream key, with checked field widths:
///   bits 0-7 purpose, 8-23 service + 1 (0: none), 24-63 the visit field,
/// where the visit field may itself hold (visit, detail) with `detail_bits` low bits for a
/// detail (the need level of an escalation, the review number). A value that does not fit its
/// field would alias another stream: it is refused (ContractViolation), never wrapped. The
/// loader keeps scenarios inside these widths (at most kMaxNeedLevels need levels, reviews and
/// services bounded), so a refusal means a person did something no scenario can ask for.
class StreamKey {
 public:
  static constexpr unsigned kServiceBits = 16, kVisitBits = 40;
  static constexpr unsigned kNeedBits = 4;     // escalation: the need level
  static constexpr unsigned kReviewBits = 16;  // reviews: the review number within the visit

  static std::uint64_t of(Purpose p, std::int64_t service, std::uint64_t visit) {
    const auto sv = static_cast<std::uint64_t>(service + 1);
    check(sv, kServiceBits, "service");
    check(visit, kVisitBits, "visit");
    return (visit << 24) | (sv << 8) | static_cast<std::uint64_t>(p);
  }
  static std::uint64_t of(Purpose p, std::int64_t service, std::uint64_t visit, std::uint64_t detail, unsigned detail_bits) {
    check(detail, detail_bits, "detail");
    check(visit, kVisitBits - detail_bits, "visit");
    return of(p, service, (visit << detail_bits) | detail);
  }

 private:
  // On the hot path (every draw): one shift and a branch; the message is built out of line.
  static void check(std::uint64_t value, unsigned bits, const char* field) {
    if (value >> bits) [[unlikely]]
      overflow(value, bits, field);
  }
  [[noreturn]] [[gnu::cold]] [[gnu::noinline]] static void overflow(std::uint64_t value, unsigned bits, const char* field) {
    throw ContractViolation(std::string("care model: a random-stream key's ") + field + " (" + std::to_string(value) +
                            ") does not fit its " + std::to_string(bits) + " bits");
  }
};

static_assert(kMaxNeedLevels <= std::size_t{1} << StreamKey::kNeedBits, "need levels must fit the escalation key");

}  // namespace careflow::models::care
