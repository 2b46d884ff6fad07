// People in the care model: the person record, the side records few people carry at once, and
// the store that holds them (private to models/). Memory per person is a product figure
// (docs/performance.md): every byte of Person is accounted for there.
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>

#include "care/events.hpp"
#include "careflow/engine/distribution.hpp"

namespace careflow::models::care {

// Away: the record of a person who moved to another site (kept while its old timers are pending).
enum class State : std::uint8_t { Handoff, Waiting, InService, DischargeCheck, Gone, Away };

struct Person {
  std::uint64_t id = 0;           // (cohort << 40) | n-th arrival: keys the random streams
  double birth = 0;               // day of birth (negative: before the run)
  double referred = 0;            // arrival day at the current service
  // One of the two, by state: `started` in service or in a discharge check, `escalate_at` while
  // waiting (read only by escalation timers of the current version, which a start makes stale).
  union {
    double started = 0;           // service start day
    double escalate_at;           // when need rises if still waiting (the escalation timer's target)
  };
  double episode_cost = 0;        // £ so far in this episode
  double specialist_since = 0;
  double last_referral = -1e300;  // last arrival at the referrals indicator service
  double contacted = 0;           // first contact of the current episode (a new arrival or a return)
  float coproduction = 0;
  std::int16_t cohort = 0;
  std::int8_t need = 0;
  std::int8_t need_at_start = 0;
  State state = State::Gone;
  bool in_specialist : 1 = false;
  bool self_funder : 1 = false;
  bool tracked : 1 = false;
  bool follow_up_pending : 1 = false;
  bool return_pending : 1 = false;
  bool from_hospital : 1 = false;  // came straight from a hospital bed
  bool died : 1 = false;
  bool transitioned : 1 = false;   // moved to adult services already
  bool via_referral : 1 = false;   // referred to the children's referral point (before any redirection)
  bool served : 1 = false;         // has started a first service (beyond the mainstream tier, not an assessment) this episode
  std::uint8_t team : 6 = 0;       // the unit of the current service (waiting or in service; ServiceSpec::units)
  std::uint8_t delay_reason = 0;   // the open delay's reason (DelayReasons; kept in what was padding)
  std::int16_t specialist_service = -1;  // the specialist service entered at the last step up
  std::int16_t service = -1;
  std::int16_t previous = -1;     // last service left
  std::int16_t held_service = -1;  // service whose place is still held (a medically fit patient's bed; holds_place)
  std::int32_t held_unit = -1;     // the held place: its unit << 24 | the place (held_place_code)
  std::int32_t delay_record = -1;  // open delay: the recorder's handle (Recorder::kNoDelay: none)
  std::uint32_t version = 0;       // bumped at every move: stale events are ignored
  std::uint32_t visits = 0;
  std::uint16_t check = 0;         // next discharge check to consider
  std::uint16_t reviews = 0;       // reviews in the current episode
  // One of the two, by state: `unit` (the place held) in service or in a discharge check, the
  // queue `ticket` while waiting (read only after checking that the person is still waiting).
  union {
    std::int32_t unit = -1;
    std::uint64_t ticket;  // QueueTicket::pack()
  };
};
// Timestamps that few people carry at once are kept outside the record (see SiteLp::pathway_
// and SiteLp::discharged_); a transfer's attachment carries them after the record (Travel).
static_assert(sizeof(Person) <= 112, "person record: memory per person (docs/performance.md)");
// Records travel between sites as bytes (a transfer's attachment).
static_assert(std::is_trivially_copyable_v<Person>);

/// Person ids: the cohort in the top 24 bits, the cohort's n-th arrival in the low 40.
inline constexpr unsigned kArrivalBits = 40;

// The current assessment pathway of a person, while there is one (about one person in ten).
struct Pathway {
  double start = kNaN;            // arrival at the first assessment of the current pathway
  double assessment_done = kNaN;  // last completed assessment, for NI 133
  bool integrated = false;        // has had an integrated assessment (ServiceSpec::covered_by_integrated)
};
// What travels after the person record in a transfer's attachment.
struct Travel {
  Pathway pathway;
  double discharged = kNaN;
  double strategy = kNaN;  // start of the strategy discussion, while on the urgent CP pathway
};

// Person records in fixed blocks: indices stay valid, growth never copies the records (no
// transient doubling of the largest structure of a big run), and the slack is under one block.
class PersonStore {
 public:
  static constexpr std::size_t kBlock = 4096;
  Person& operator[](std::size_t i) noexcept { return blocks_[i / kBlock][i % kBlock]; }
  const Person& operator[](std::size_t i) const noexcept { return blocks_[i / kBlock][i % kBlock]; }
  std::size_t size() const noexcept { return size_; }
  void emplace_back() {
    if (size_ == blocks_.size() * kBlock) blocks_.push_back(std::make_unique<Person[]>(kBlock));
    ++size_;
  }
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i < size_; ++i) f((*this)[i]);
  }

 private:
  std::vector<std::unique_ptr<Person[]>> blocks_;
  std::size_t size_ = 0;
};

// Service numbers in person records are 16-bit (validate_scenario refuses more than kMaxServices).
static_assert(kMaxServices <= 32767 && kMaxCohorts <= 32767, "service and cohort numbers are 16-bit in person records");
inline std::int16_t svc(int service) { return static_cast<std::int16_t>(service); }

// An event's payload about a person: the record's index and the version it was scheduled for.
inline std::uint64_t pack(std::uint32_t index, std::uint32_t version) {
  return (static_cast<std::uint64_t>(version) << 32) | index;
}
// A held place as one number: the unit of the service (team) and the place within it
// (places are at most 10,000,000 < 2^24, units at most 64).
inline std::int32_t held_place_code(unsigned team, std::int32_t place) { return static_cast<std::int32_t>((team << 24) | static_cast<std::uint32_t>(place)); }
inline unsigned held_team(std::int32_t code) { return static_cast<std::uint32_t>(code) >> 24; }
inline std::uint32_t held_place(std::int32_t code) { return static_cast<std::uint32_t>(code) & 0xFFFFFFu; }

inline std::uint32_t index_of(std::uint64_t payload) { return static_cast<std::uint32_t>(payload & 0xFFFFFFFFu); }
inline std::uint32_t version_of(std::uint64_t payload) { return static_cast<std::uint32_t>(payload >> 32); }

inline double exp_draw(RandomStream& rng, double rate) { return standard_exponential(rng) / rate; }

}  // namespace careflow::models::care
