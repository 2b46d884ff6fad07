// The workbook's columns from the scenario field table; see workbook_columns.hpp.
#include "workbook_columns.hpp"

#include "careflow/models/scenario_fields.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <system_error>

namespace careflow::sheets::workbook {

using models::FieldType;
using models::ScenarioField;

static std::vector<Segment> dotted(const std::string& p) {
  std::vector<Segment> out;
  std::size_t start = 0;
  while (true) {
    const auto dot = p.find('.', start);
    out.emplace_back(p.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return out;
}

Column col(const std::string& path, Kind kind, const std::string& unit, const std::string& note, const std::string& list) {
  return Column{path, dotted(path), kind, unit, note, list};
}


/// How a cell holds a field's value.
static Kind kind_of(FieldType type) {
  switch (type) {
    case FieldType::Text:
    case FieldType::Tier:
    case FieldType::ServiceKind:
    case FieldType::BudgetMode:
    case FieldType::Discipline:
    case FieldType::UnitChoice:
    case FieldType::AgencyName:
    case FieldType::ServiceName:
    case FieldType::CohortName:
    case FieldType::SiteName:
    case FieldType::ServiceOrExit: return Kind::Text;
    case FieldType::Version:
    case FieldType::Number:
    case FieldType::WholeNumber: return Kind::Number;
    case FieldType::Boolean: return Kind::Bool;
    default: return Kind::Yaml;
  }
}

/// The drop-down list of the 'lists' sheet a field's column takes, or "".
static std::string list_of(FieldType type) {
  switch (type) {
    case FieldType::Tier: return "tier";
    case FieldType::ServiceKind: return "kind";
    case FieldType::Discipline: return "discipline";
    case FieldType::UnitChoice: return "unit_choice";
    case FieldType::BudgetMode: return "budget_mode";
    case FieldType::AgencyName: return "agencies";
    case FieldType::ServiceName: return "services";
    case FieldType::ServiceOrExit: return "targets";
    case FieldType::CohortName: return "cohorts";
    default: return "";
  }
}

/// A header's note: the field's meaning and default, without the docs' Markdown.
static std::string note_of(const ScenarioField& f) {
  std::string note;
  for (char c : f.meaning)
    if (c != '`') note += c;
  if (f.default_value == models::kRequired) note += " (required)";
  else if (!f.default_value.empty()) note.append(" (default ").append(f.default_value).append(")");
  return note;
}

/// The columns of the field table's rows on `sheet`; headers are the path below `below`
/// ("services[]." on an item sheet, "" on 'options') unless the row names its own.
static std::vector<Column> table_columns(std::string_view sheet, std::string_view below) {
  std::vector<Column> out;
  for (const ScenarioField& f : models::kScenarioFields) {
    if (f.sheet != sheet || !f.path.starts_with(below)) continue;  // (a list's own row names its sheet)
    const std::string relative(f.path.substr(below.size()));
    const std::string note = note_of(f);
    const auto comma = f.column.find(',');
    if (comma == std::string_view::npos) {
      Column c = col(relative, kind_of(f.type), std::string(f.unit), note, list_of(f.type));
      if (!f.column.empty()) c.header = f.column;
      out.push_back(std::move(c));
    } else if (f.type == FieldType::AgeRange) {  // one column per end of [min, max]
      out.push_back(Column{std::string(f.column.substr(0, comma)), {relative, 0}, Kind::Number, std::string(f.unit), note, ""});
      out.push_back(Column{std::string(f.column.substr(comma + 1)), {relative, 1}, Kind::Number, std::string(f.unit), note, ""});
    } else {  // a map of names to numbers (route destinations): a row per entry, name and number
      out.push_back(col(std::string(f.column.substr(0, comma)), Kind::Text, "", note, "targets"));
      out.push_back(col(std::string(f.column.substr(comma + 1)), Kind::Number, std::string(f.unit), note));
    }
  }
  return out;
}

const std::vector<Column>& option_fields() {
  static const std::vector<Column> fields = table_columns("options", "");
  return fields;
}

const std::vector<SheetSpec>& item_sheets() {
  static const std::vector<SheetSpec> sheets = [] {
    std::vector<SheetSpec> out;
    for (const char* section : {"agencies", "pools", "cohorts", "services"}) {
      std::string below = section;
      below += "[].";
      out.push_back({section, section, table_columns(section, below)});
    }
    // pathways: a row per destination of a rule; the rule's condition on its first row.
    std::vector<Column> pathways = {col("service", Kind::Text, "", "the service people leave", "services"),
                                    col("rule", Kind::Number, "", "rule number within the service: the first rule whose condition holds is used")};
    for (Column& c : table_columns("pathways", "services[].routes[].")) {
      if (c.header != "to" && c.header != "probability") c.note = "condition: " + c.note + "; on the rule's first row";
      pathways.push_back(std::move(c));
    }
    out.push_back({"pathways", "", std::move(pathways)});
    out.push_back({"discharge_checks", "discharge_checks", table_columns("discharge_checks", "discharge_checks[].")});
    // transforms: a row per parameter; a blank 'transform' cell continues the transform above.
    std::vector<Column> transforms = table_columns("transforms", "transforms[].");
    transforms.push_back(col("parameter", Kind::Text, "", "a parameter of the transform (careflow transforms)"));
    transforms.push_back(col("value", Kind::Yaml, "", "its value: a number, TRUE/FALSE, a name or [a, b]"));
    out.push_back({"transforms", "", std::move(transforms)});
    return out;
  }();
  return sheets;
}

const SheetSpec& sheet_spec(const std::string& name) {
  for (const SheetSpec& s : item_sheets())
    if (s.name == name) return s;
  throw std::logic_error("no sheet " + name);
}

const std::vector<std::string> kSheetOrder = {"about", "options", "agencies", "pools", "cohorts", "services",
                                              "pathways", "discharge_checks", "transforms", "lists"};

std::string seg_text(const std::vector<Segment>& path) {
  std::string out;
  for (const Segment& s : path) {
    if (const auto* k = std::get_if<std::string>(&s)) {
      if (!out.empty()) out += '.';
      out += *k;
    }
    else
      out.append("[").append(std::to_string(std::get<int>(s))).append("]");
  }
  return out;
}

std::optional<double> parse_number(const std::string& text) {
  std::string t = text;
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  std::size_t b = 0;
  while (b < t.size() && std::isspace(static_cast<unsigned char>(t[b]))) ++b;
  t = t.substr(b);
  if (!t.empty() && t[0] == '+') t = t.substr(1);
  if (t.empty()) return std::nullopt;
  double d = 0;
  const auto r = std::from_chars(t.data(), t.data() + t.size(), d);
  if (r.ec != std::errc() || r.ptr != t.data() + t.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

const Node* at_path(const Node& item, const std::vector<Segment>& path) {
  const Node* n = &item;
  for (const Segment& s : path) {
    if (const auto* k = std::get_if<std::string>(&s)) {
      if (n->type != Node::Type::Map) return nullptr;
      n = n->get(*k);
    } else {
      const auto i = static_cast<std::size_t>(std::get<int>(s));
      if (n->type != Node::Type::Sequence || i >= n->items.size()) return nullptr;
      n = &n->items[i];
    }
    if (!n) return nullptr;
  }
  return n;
}

}  // namespace careflow::sheets::workbook
