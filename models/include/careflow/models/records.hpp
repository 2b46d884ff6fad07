// What a care-model run records besides its figures: one record type per kind of event that
// planners and researchers read back (episodes, step changes, delayed transfers, tracked
// persons' moves) and the weekly series. Each record type has ONE column table {name, unit, type,
// meaning, field}: the HDF5 writer and reader, the Python bindings and docs/results-format.md
// iterate it, so adding a column is a member and a row here (docs/extending.md);
// tests/models/test_vocabulary.cpp fails when the docs and a table disagree.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "careflow/models/vocabulary.hpp"

namespace careflow::models {

/// One person's stay at one service.
struct EpisodeRecord {
  std::uint64_t person = 0;
  std::int32_t cohort = 0;
  std::int32_t service = 0;
  double referred = 0;  // day the referral arrived at the service
  double started = 0;   // day service started (NaN if never)
  double ended = 0;     // day the person left the service (NaN if ongoing)
  double cost = 0;      // £ spent on this episode
  std::int32_t outcome = kOutcomeOngoing;
  std::int32_t unit = -1;        // which place (worker, bed, team) served the person
  std::int32_t need_at_start = 0;
  std::int32_t need_at_end = 0;
  /// Days from referral to start (NaN if never started).
  double wait() const noexcept { return started - referred; }
};

/// A move up into specialist provision (+1) or back down from it (-1).
struct StepChangeRecord {
  std::uint64_t person = 0;
  double time = 0;
  std::int32_t from_service = -1;  // -1: from outside the care system / to outside it
  std::int32_t to_service = -1;
  std::int32_t direction = 0;
};

/// A delayed transfer of care: a medically fit patient kept in a hospital bed.
struct DelayRecord {
  std::uint64_t person = 0;
  std::int32_t hospital = 0;
  std::int32_t waiting_for = -1;  // service awaited, -1 for a discharge check
  std::string reason;             // "re-ablement", "home care", "care home", "assessment", "funding decision"
  double start = 0;
  double end = 0;  // NaN if still delayed at the end
};

/// A tracked person's move, for the animation: from `time` on they are at `service` in `state`.
struct TrackPoint {
  std::uint64_t person = 0;
  double time = 0;
  std::int32_t service = -1;  // -1: outside the care system
  std::int32_t state = 0;     // a TrackState
};

/// One service's figures for one week (a row of the weekly series).
struct WeekRow {
  double queue = 0;       // people waiting at the week's end
  double occupancy = 0;   // places in use at the week's end
  double spend = 0;       // £ spent during the week
  double step_ups = 0;    // step changes up during the week (by destination service)
  double step_downs = 0;  // step downs during the week (by the specialist service left)
};

/// Weekly series by service, row-major [week][service].
struct Series {
  std::vector<double> time_days;  // end of each week
  std::size_t services = 0;
  std::vector<double> queue;       // people waiting at the week's end
  std::vector<double> occupancy;   // places in use at the week's end
  std::vector<double> spend;       // £ spent during the week
  std::vector<double> step_ups;    // step changes up during the week (by destination service)
  std::vector<double> step_downs;  // step downs during the week (by the specialist service left)
};

// ---- column tables ------------------------------------------------------------------------

/// Types of a record column as stored (HDF5 little-endian, numpy, the docs' type column).
enum class ColumnType : std::uint8_t { U64, I32, F64, Text };
inline constexpr std::array<Term<ColumnType>, 4> kColumnTypes{{
    {ColumnType::U64, "uint64", "unsigned 64-bit integer"},
    {ColumnType::I32, "int32", "signed 32-bit integer"},
    {ColumnType::F64, "float64", "IEEE double"},
    {ColumnType::Text, "string", "UTF-8 text, fixed width in the file"},
}};
template <>
constexpr const auto& terms<ColumnType>() { return kColumnTypes; }

/// One column of a record type: a stored member, or a value derived from the record (written,
/// never read back into the record).
template <class R>
struct Column {
  std::string_view name;
  std::string_view unit;  // "" for codes and indices
  std::string_view meaning;
  std::variant<std::uint64_t R::*, std::int32_t R::*, double R::*, std::string R::*, double (*)(const R&)> field;

  constexpr ColumnType type() const noexcept {
    switch (field.index()) {
      case 0: return ColumnType::U64;
      case 1: return ColumnType::I32;
      case 3: return ColumnType::Text;
      default: return ColumnType::F64;
    }
  }
  constexpr bool derived() const noexcept { return field.index() == 4; }
};

inline constexpr std::array<Column<EpisodeRecord>, 12> kEpisodeColumns{{
    {"person", "", "person id (unique within the replication)", &EpisodeRecord::person},
    {"cohort", "", "cohort index", &EpisodeRecord::cohort},
    {"service", "", "service index", &EpisodeRecord::service},
    {"referred", "days", "day the referral arrived at the service", &EpisodeRecord::referred},
    {"started", "days", "day service started (NaN if never)", &EpisodeRecord::started},
    {"ended", "days", "day the person left the service (NaN if ongoing)", &EpisodeRecord::ended},
    {"wait", "days", "days from referral to start (NaN if never started)",
     +[](const EpisodeRecord& e) { return e.wait(); }},
    {"cost", "£", "£ spent on this episode", &EpisodeRecord::cost},
    {"outcome", "", "where the person went next, see below", &EpisodeRecord::outcome},
    {"unit", "", "which place (worker, bed, team) served the person; -1 if none", &EpisodeRecord::unit},
    {"need_at_start", "", "need level index at referral", &EpisodeRecord::need_at_start},
    {"need_at_end", "", "need level index on leaving", &EpisodeRecord::need_at_end},
}};

inline constexpr std::array<Column<StepChangeRecord>, 5> kStepChangeColumns{{
    {"person", "", "person id", &StepChangeRecord::person},
    {"time", "days", "day of the move", &StepChangeRecord::time},
    {"from_service", "", "service left; -1 from outside the care system", &StepChangeRecord::from_service},
    {"to_service", "", "service entered; -1 out of the care system", &StepChangeRecord::to_service},
    {"direction", "", "+1 step up, -1 step down", &StepChangeRecord::direction},
}};

inline constexpr std::array<Column<DelayRecord>, 6> kDelayColumns{{
    {"person", "", "person id", &DelayRecord::person},
    {"hospital", "", "index of the service whose place is held (the hospital; or a service that `holds_place`)", &DelayRecord::hospital},
    {"waiting_for", "", "service awaited; -1 for a discharge check", &DelayRecord::waiting_for},
    {"reason", "", "the discharge check's `reason` or the awaited service's `dtoc_reason` (its name if none), e.g. `E care package in own home: home care`", &DelayRecord::reason},
    {"start", "days", "day the delay began", &DelayRecord::start},
    {"end", "days", "day it ended (NaN if still delayed at the end)", &DelayRecord::end},
}};

inline constexpr std::array<Column<TrackPoint>, 4> kTrackColumns{{
    {"person", "", "person id", &TrackPoint::person},
    {"time", "days", "day", &TrackPoint::time},
    {"service", "", "service index; -1 outside the care system", &TrackPoint::service},
    {"state", "", "0 waiting, 1 in service, 2 in hand-off, 3 left", &TrackPoint::state},
}};

/// A weekly series [week × service] of `Series`, filled from a member of each week's rows.
struct SeriesColumn {
  std::string_view name;
  std::string_view unit;
  std::string_view meaning;
  std::vector<double> Series::*values;
  double WeekRow::*row;
};
inline constexpr std::array<SeriesColumn, 5> kSeriesColumns{{
    {"queue", "people", "people waiting at the week's end", &Series::queue, &WeekRow::queue},
    {"occupancy", "places", "places in use at the week's end", &Series::occupancy, &WeekRow::occupancy},
    {"spend", "£", "spent during the week", &Series::spend, &WeekRow::spend},
    {"step_ups", "people", "step changes up during the week, by destination service", &Series::step_ups, &WeekRow::step_ups},
    {"step_downs", "people", "step downs during the week, by the specialist service left", &Series::step_downs,
     &WeekRow::step_downs},
}};

/// The column table of a record type, and the name of its dataset in a replication's group.
template <class R>
struct RecordTable;
template <>
struct RecordTable<EpisodeRecord> {
  static constexpr std::string_view name = "episodes";
  static constexpr const auto& columns = kEpisodeColumns;
};
template <>
struct RecordTable<StepChangeRecord> {
  static constexpr std::string_view name = "step_changes";
  static constexpr const auto& columns = kStepChangeColumns;
};
template <>
struct RecordTable<DelayRecord> {
  static constexpr std::string_view name = "delays";
  static constexpr const auto& columns = kDelayColumns;
};
template <>
struct RecordTable<TrackPoint> {
  static constexpr std::string_view name = "tracks";
  static constexpr const auto& columns = kTrackColumns;
};

/// Calls f(value) with column c's value of record r (std::uint64_t, std::int32_t, double or
/// const std::string&).
template <class R, class F>
decltype(auto) visit_column(const Column<R>& c, const R& r, F&& f) {
  return std::visit(
      [&](auto field) -> decltype(auto) {
        if constexpr (std::is_pointer_v<decltype(field)>)
          return f(field(r));
        else
          return f(r.*field);
      },
      c.field);
}

}  // namespace careflow::models
