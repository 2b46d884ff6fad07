// The zip/XML plumbing of .xlsx workbooks, kept apart from what the sheets mean
// (scenario_workbook.hpp, results_tables.hpp). Reading uses libzip + pugixml; writing is done
// with libxlsxwriter by the callers (it has formats, notes and validation lists).
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace careflow::sheets {

/// A workbook that cannot be read (not a zip, missing parts, broken XML).
class XlsxError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Cell {
  enum class Type { Empty, Number, Text, Bool, Error };
  Type type = Type::Empty;
  double number = 0;
  std::string text;  // Text, Error; for Number the text written in the file
  bool boolean = false;
  bool empty() const noexcept { return type == Type::Empty || (type == Type::Text && text.empty()); }
};

struct Sheet {
  std::string name;
  std::map<std::pair<int, int>, Cell> cells;  // (row, column), both 1-based as shown by Excel
  int rows = 0;     // the last row with a cell
  int columns = 0;  // the last column with a cell
  const Cell& at(int row, int column) const;
};

struct Workbook {
  std::vector<Sheet> sheets;  // in workbook order
  const Sheet* find(const std::string& name) const;
};

/// Reads every sheet's cells: shared strings, inline strings, numbers, booleans, errors
/// (formulas give their cached value). Throws XlsxError naming the file.
Workbook read_xlsx(const std::string& path);

/// True when the file starts like a zip (an .xlsx) rather than text.
bool looks_like_xlsx(const std::string& path);

/// "A", "B", …, "AA" for a 1-based column.
std::string column_letters(int column);

/// A double as the shortest text that reads back to the same bits ("0.1", "1e+300"); whole
/// numbers below 2^53 without exponent or point ("10000000").
std::string exact_number(double v);

}  // namespace careflow::sheets
