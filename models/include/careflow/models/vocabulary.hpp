// The care model's vocabularies, each declared once: tiers, service kinds, budget modes, episode
// outcomes and track states, with the one name table that the loader, workbooks, results writer
// and reader, reports, animation data and bindings use (docs/extending.md). Adding a tier is one
// row here plus the code that gives it a meaning; tests/models/test_vocabulary.cpp fails when a
// table and a consumer disagree.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "careflow/engine/resource.hpp"

namespace careflow::models {

/// Days in a simulated year (…_years fields, rates per year).
inline constexpr double kDaysPerYear = 365.25;

/// Limits of the model, checked by validate_scenario so that no field of a person's record or
/// random-stream key can overflow (models/src/care/person.hpp, events.hpp): need levels (the
/// escalation key holds the level in 4 bits), services (16-bit service numbers), cohorts (16-bit
/// cohort numbers), hospital discharge checks (a check's number takes a service's place in its
/// key) and reviews of one episode (16 bits of the review key).
inline constexpr std::size_t kMaxNeedLevels = 16;
inline constexpr std::size_t kMaxServices = 32000;
inline constexpr std::size_t kMaxCohorts = 32000;
inline constexpr std::size_t kMaxDischargeChecks = 32000;
inline constexpr std::size_t kMaxUnits = 64;  // units of one service (six bits of the person record)
inline constexpr double kMaxReviewsPerEpisode = 65535;

/// One row of a vocabulary: a value, the name written in scenario files, results and pages, and
/// what it means in planners' words (docs, workbook notes, tooltips).
template <class E>
struct Term {
  E value;
  std::string_view name;
  std::string_view meaning;
};

/// Levels of provision, from universal to acute (DOMAIN.md); step changes are moves into and out
/// of Specialist.
enum class Tier : std::uint8_t { Mainstream, Intermediate, Specialist, Acute };
inline constexpr std::array<Term<Tier>, 4> kTiers{{
    {Tier::Mainstream, "mainstream", "universal, open to all"},
    {Tier::Intermediate, "intermediate", "early help, re-ablement"},
    {Tier::Specialist, "specialist", "complex needs, protection, long-term care"},
    {Tier::Acute, "acute", "hospital"},
}};

enum class ServiceKind : std::uint8_t {
  Service,     // an ordinary service: queue, capacity, duration, routing
  Assessment,  // counted as an assessment (NI 132; "number of assessments")
  Hospital,    // acute stays; discharge waits for the next service while keeping the bed (DToC)
};
inline constexpr std::array<Term<ServiceKind>, 3> kServiceKinds{{
    {ServiceKind::Service, "service", "an ordinary service: queue, places, length of service, routes"},
    {ServiceKind::Assessment, "assessment", "an assessment (counted for NI 132 and assessments a year)"},
    {ServiceKind::Hospital, "hospital", "hospital beds: a medically fit patient keeps the bed until the next service can start"},
}};

enum class BudgetMode : std::uint8_t {
  Aligned,  // each agency's budget funds its own services; planned together, kept separate
  Pooled,   // pool budgets fund their services; capacity follows the queue within a pool
  Lead,     // as Pooled, but the lead agency holds the pool's money
};
inline constexpr std::array<Term<BudgetMode>, 3> kBudgetModes{{
    {BudgetMode::Aligned, "aligned", "each agency's budget funds its own services"},
    {BudgetMode::Pooled, "pooled", "pool budgets fund their services; places follow the queue within a pool"},
    {BudgetMode::Lead, "lead", "as pooled, with the lead agency holding the pool's money"},
}};

/// How a service made of units (localities, teams, provider panels) gives a person a unit.
enum class UnitChoice : std::uint8_t {
  Area,      // the person's area: the same draw at every service, by the units' shares
  MostFree,  // the unit with the most free places; when all are full, the shortest queue
};
inline constexpr std::array<Term<UnitChoice>, 2> kUnitChoices{{
    {UnitChoice::Area, "area", "by where the person lives: the units' shares of the people, the same area at every service"},
    {UnitChoice::MostFree, "most_free", "the unit with the most free places, else the shortest queue (a panel brokered as one)"},
}};

/// Queue disciplines of a service (the engine's Resource implements them).
inline constexpr std::array<Term<QueueDiscipline>, 2> kDisciplines{{
    {QueueDiscipline::Fifo, "fifo", "first come, first served"},
    {QueueDiscipline::Priority, "priority", "higher need first, then first come"},
}};

/// Outcome codes of an episode (>= 0: index of the next service).
enum EpisodeOutcome : std::int32_t {
  kOutcomeExit = -1,        // left the care system after service
  kOutcomeReneged = -2,     // gave up waiting
  kOutcomeBalked = -3,      // turned away by a full queue
  kOutcomeOngoing = -4,     // still waiting or in service at the end of the run
  kOutcomeTransition = -5,  // moved to adult services at 18
  kOutcomeEscalated = -6,   // need escalated while waiting: re-referred elsewhere
  kOutcomeDied = -8,        // died after service (route target `died`)
};
inline constexpr std::array<Term<EpisodeOutcome>, 7> kEpisodeOutcomes{{
    {kOutcomeExit, "exit", "left the care system after service"},
    {kOutcomeReneged, "reneged", "gave up waiting"},
    {kOutcomeBalked, "balked", "turned away by a full queue"},
    {kOutcomeOngoing, "ongoing", "still waiting or in service at the end of the run"},
    {kOutcomeTransition, "transition", "moved to adult services at 18"},
    {kOutcomeEscalated, "escalated", "need escalated while waiting: referred to a more intensive service"},
    {kOutcomeDied, "died", "died after service"},
}};

/// Route targets that are not services: "leaves the care system" and "dies" (never re-referred,
/// not "at home"). They are the episode outcomes of the same names, so that an episode's outcome
/// is its route target.
inline constexpr int kExit = kOutcomeExit;
inline constexpr int kDied = kOutcomeDied;

/// Where a tracked person is, for the animation (TrackPoint::state).
enum class TrackState : std::int32_t { Waiting = 0, InService = 1, Handoff = 2, Left = 3 };
inline constexpr std::array<Term<TrackState>, 4> kTrackStates{{
    {TrackState::Waiting, "waiting", "in a service's queue"},
    {TrackState::InService, "in_service", "holding a place at a service"},
    {TrackState::Handoff, "handoff", "on the way to the next service (hand-off delay)"},
    {TrackState::Left, "left", "outside the care system"},
}};

/// The table of a vocabulary, by its value type.
template <class E>
constexpr const auto& terms();
template <>
constexpr const auto& terms<Tier>() { return kTiers; }
template <>
constexpr const auto& terms<ServiceKind>() { return kServiceKinds; }
template <>
constexpr const auto& terms<BudgetMode>() { return kBudgetModes; }
template <>
constexpr const auto& terms<UnitChoice>() { return kUnitChoices; }
template <>
constexpr const auto& terms<QueueDiscipline>() { return kDisciplines; }
template <>
constexpr const auto& terms<EpisodeOutcome>() { return kEpisodeOutcomes; }
template <>
constexpr const auto& terms<TrackState>() { return kTrackStates; }

/// The name of a value ("specialist"); "?" for a value outside the table.
template <class E>
constexpr std::string_view name_of(E value) {
  for (const auto& t : terms<E>())
    if (t.value == value) return t.name;
  return "?";
}

/// The value with this name, if there is one.
template <class E>
constexpr std::optional<E> parse_term(std::string_view name) {
  for (const auto& t : terms<E>())
    if (t.name == name) return t.value;
  return std::nullopt;
}

/// "mainstream, intermediate, specialist or acute": the names for an error message.
template <class E>
std::string term_list() {
  std::string out;
  const auto& all = terms<E>();
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (i) out += i + 1 == all.size() ? " or " : ", ";
    out += all[i].name;
  }
  return out;
}

/// Every name of a vocabulary, in table order (drop-down lists, bindings).
template <class E>
std::vector<std::string> term_names() {
  std::vector<std::string> out;
  for (const auto& t : terms<E>()) out.emplace_back(t.name);
  return out;
}

/// Rows of a table indexed by a vocabulary (e.g. spending by tier).
template <class E>
inline constexpr std::size_t kCount = std::tuple_size_v<std::remove_cvref_t<decltype(terms<E>())>>;

}  // namespace careflow::models
