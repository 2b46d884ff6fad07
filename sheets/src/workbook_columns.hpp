// The workbook's columns: one per field of the scenario field table
// (careflow/models/scenario_fields.hpp), grouped by sheet, and the small helpers the writer
// (workbook_writer.cpp) and the reader (workbook_reader.cpp) share. Internal to sheets/.
#pragma once

#include "scenario/located_yaml.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace careflow::sheets::workbook {

using models::located::Entry;
using models::located::Node;
namespace located = models::located;

enum class Kind {
  Text,    // a text value (names, reasons)
  Number,  // a number; text that reads as a number is accepted
  Bool,    // true / false
  Yaml,    // a value written as in a scenario file: a number, a word, [a, b] or {key: value}
};

using Segment = std::variant<std::string, int>;  // a map key or a list position

struct Column {
  std::string header;
  std::vector<Segment> path;
  Kind kind;
  std::string unit;
  std::string note;
  std::string list;  // validation list on the 'lists' sheet, or ""
};

struct SheetSpec {
  std::string name;
  std::string section;  // the scenario's list this sheet holds ("" for options / pathways)
  std::vector<Column> columns;
};

/// A column whose header is its dotted path below the item ("transition.to").
Column col(const std::string& path, Kind kind, const std::string& unit, const std::string& note, const std::string& list = "");

/// The rows of the 'options' sheet: the field table's top-level fields.
const std::vector<Column>& option_fields();

/// The item sheets (agencies, pools, cohorts, services, pathways, discharge_checks, transforms).
const std::vector<SheetSpec>& item_sheets();
const SheetSpec& sheet_spec(const std::string& name);

/// Every sheet a scenario workbook has, in order.
extern const std::vector<std::string> kSheetOrder;

/// "transition.to", "age[1]": a path as text.
std::string seg_text(const std::vector<Segment>& path);

/// A number as a cell's text gives it (spaces and a leading '+' allowed), or nothing.
std::optional<double> parse_number(const std::string& text);

/// The value at `path` below `item`, or nullptr.
const Node* at_path(const Node& item, const std::vector<Segment>& path);

}  // namespace careflow::sheets::workbook
