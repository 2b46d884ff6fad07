// The zip/XML plumbing of .xlsx workbooks, kept apart from what the sheets mean
// (scenario_workbook.hpp, results_tables.hpp). Reading uses libzip + pugixml; writing is done
// with libxlsxwriter by the callers (it has formats, notes and validation lists).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace careflow::sheets {

/// A workbook that cannot be read (not a zip, missing parts, broken XML), or one past the
/// limits below.
class XlsxError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What read_xlsx reads at most. A zip of a few hundred kilobytes can inflate to gigabytes, and a
// single value typed at XFD1048576 makes a sheet span 17 billion cells: each limit is checked
// before the work it bounds (a part's size before it is inflated, and again while it is, so a
// header that understates it gains nothing). The largest workbook careflow writes (32,000
// services, the most a scenario may have) stays well inside them (docs/spreadsheets.md).
inline constexpr std::uint64_t kMaxXlsxPartBytes = 64u << 20;      // one part (a sheet's XML), inflated
inline constexpr std::uint64_t kMaxXlsxArchiveBytes = 256u << 20;  // every part of the archive together
inline constexpr std::size_t kMaxXlsxCells = 2'000'000;            // cells with a value, all sheets
inline constexpr std::size_t kMaxXlsxSharedStrings = 1'000'000;
inline constexpr std::uint64_t kMaxXlsxTextBytes = 64u << 20;      // text of all cells, a shared string once per use
inline constexpr std::uint64_t kMaxXlsxSheetRange = 1u << 22;      // rows x columns of a sheet's used range

struct Cell {
  // Error also stands for a value careflow must not guess: a formula whose result was never
  // saved, or a number shown as a date or time; `text` then says which, for the message.
  enum class Type { Empty, Number, Text, Bool, Error };
  Type type = Type::Empty;
  double number = 0;
  std::string text;  // Text, Error; for Number the text written in the file
  bool boolean = false;
  bool empty() const noexcept { return type == Type::Empty || (type == Type::Text && text.empty()); }
};

struct Sheet {
  std::string name;
  std::map<std::pair<int, int>, Cell> cells;  // (row, column), both 1-based as shown by Excel; only cells with a value
  int rows = 0;     // the last row with a value (the used range; not the sheet's <dimension>)
  int columns = 0;  // the last column with a value
  const Cell& at(int row, int column) const;
};

struct Workbook {
  std::vector<Sheet> sheets;  // in workbook order
  const Sheet* find(const std::string& name) const;
};

/// Reads every sheet's cells: shared strings, inline strings, numbers, booleans, errors
/// (formulas give their cached value; one without is an Error cell, as is a number formatted
/// as a date or time). Throws XlsxError naming the file (and the sheet and cell where there is
/// one) for a damaged workbook or one past the limits above.
Workbook read_xlsx(const std::string& path);

/// True when the file starts like a zip (an .xlsx) rather than text.
bool looks_like_xlsx(const std::string& path);

/// "A", "B", …, "AA" for a 1-based column.
std::string column_letters(int column);

/// A double as the shortest text that reads back to the same bits ("0.1", "1e+300"); whole
/// numbers below 2^53 without exponent or point ("10000000").
std::string exact_number(double v);

}  // namespace careflow::sheets
