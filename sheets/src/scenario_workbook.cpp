// Scenario ↔ workbook. The columns are the field table's (careflow/models/scenario_fields.hpp).
// The writer walks the scenario's merged located YAML tree (source_text) and puts each field in a
// cell; the reader builds the same kind of tree from the cells, each value marked with the cell
// it came from, and hands it to the ordinary loader, so every check of a scenario file applies to
// a workbook. A loader error names the field and the value's mark, which tells the sheet, row and
// column.
#include "careflow/sheets/scenario_workbook.hpp"

#include "careflow/models/scenario_fields.hpp"
#include "careflow/models/scenario_loader.hpp"
#include "careflow/sheets/xlsx.hpp"
#include "careflow/support/atomic_file.hpp"
#include "scenario/located_yaml.hpp"
#include "scenario/scenario_tree.hpp"

#include <xlsxwriter.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>
#include <system_error>
#include <variant>
#include <optional>

namespace careflow::sheets {
namespace {

namespace fs = std::filesystem;
using models::FieldType;
using models::ScenarioError;
using models::ScenarioField;
using models::SourceRef;
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

std::vector<Segment> dotted(const std::string& p) {
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

Column col(const std::string& path, Kind kind, const std::string& unit, const std::string& note, const std::string& list = "") {
  return Column{path, dotted(path), kind, unit, note, list};
}

struct SheetSpec {
  std::string name;
  std::string section;  // the scenario's list this sheet holds ("" for options / pathways)
  std::vector<Column> columns;
};

/// How a cell holds a field's value.
Kind kind_of(FieldType type) {
  switch (type) {
    case FieldType::Text:
    case FieldType::Tier:
    case FieldType::ServiceKind:
    case FieldType::BudgetMode:
    case FieldType::Discipline:
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
std::string list_of(FieldType type) {
  switch (type) {
    case FieldType::Tier: return "tier";
    case FieldType::ServiceKind: return "kind";
    case FieldType::Discipline: return "discipline";
    case FieldType::BudgetMode: return "budget_mode";
    case FieldType::AgencyName: return "agencies";
    case FieldType::ServiceName: return "services";
    case FieldType::ServiceOrExit: return "targets";
    case FieldType::CohortName: return "cohorts";
    default: return "";
  }
}

/// A header's note: the field's meaning and default, without the docs' Markdown.
std::string note_of(const ScenarioField& f) {
  std::string note;
  for (char c : f.meaning)
    if (c != '`') note += c;
  if (f.default_value == models::kRequired) note += " (required)";
  else if (!f.default_value.empty()) note.append(" (default ").append(f.default_value).append(")");
  return note;
}

/// The columns of the field table's rows on `sheet`; headers are the path below `below`
/// ("services[]." on an item sheet, "" on 'options') unless the row names its own.
std::vector<Column> table_columns(std::string_view sheet, std::string_view below) {
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
    if (const auto* k = std::get_if<std::string>(&s)) out += (out.empty() ? "" : ".") + *k;
    else out += "[" + std::to_string(std::get<int>(s)) + "]";
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

// =========================================================================================
// Writing.

struct Writer {
  lxw_workbook* wb = nullptr;
  lxw_format* header = nullptr;
  lxw_format* unit = nullptr;
  lxw_format* wrap = nullptr;
  std::map<std::string, std::string> list_ranges;  // list name → "=lists!$A$2:$A$5"

  void check(lxw_error e, const std::string& what) {
    if (e != LXW_NO_ERROR) throw std::runtime_error("cannot write the workbook (" + what + "): " + lxw_strerror(e));
  }

  /// Writes one YAML value in a cell, as a number where it reads back bit for bit.
  void value(lxw_worksheet* ws, int row, int column, const Node* n, Kind kind, const std::string& where) {
    const auto r = static_cast<lxw_row_t>(row - 1);
    const auto c = static_cast<lxw_col_t>(column - 1);
    if (!n || n->type == Node::Type::Null) return;
    if (n->type != Node::Type::Scalar) {
      if (kind != Kind::Yaml) throw std::runtime_error(where + ": expected a single value for the workbook");
      check(worksheet_write_string(ws, r, c, located::flow_text(*n).c_str(), nullptr), where);
      return;
    }
    const std::string& text = n->scalar;
    if (kind != Kind::Text && !n->quoted) {
      if (const auto d = parse_number(text)) {
        char buf[40];
        lxw_sprintf_dbl(buf, *d);
        const bool exact = parse_number(buf) == *d && std::abs(*d) < 9007199254740992.0;
        if (exact) check(worksheet_write_number(ws, r, c, *d, nullptr), where);
        else check(worksheet_write_string(ws, r, c, text.c_str(), nullptr), where);  // read back as text, bit for bit
        return;
      }
      if (text == "true" || text == "false") {
        check(worksheet_write_boolean(ws, r, c, text == "true", nullptr), where);
        return;
      }
    }
    check(worksheet_write_string(ws, r, c, text.c_str(), nullptr), where);
  }

  void headers(lxw_worksheet* ws, const std::vector<Column>& columns, bool units_row) {
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const auto c = static_cast<lxw_col_t>(i);
      const Column& k = columns[i];
      check(worksheet_write_string(ws, 0, c, k.header.c_str(), header), "header");
      std::string note = k.note;
      if (!k.unit.empty()) note += " [" + k.unit + "]";
      lxw_comment_options opt{};
      opt.author = const_cast<char*>("careflow");
      opt.x_scale = 1.6;
      check(worksheet_write_comment_opt(ws, 0, c, note.c_str(), &opt), "note");
      if (units_row) check(worksheet_write_string(ws, 1, c, k.unit.empty() ? "—" : k.unit.c_str(), unit), "units");
      worksheet_set_column(ws, c, c, std::clamp(static_cast<double>(k.header.size()) + 4, 12.0, 30.0), nullptr);
      if (!k.list.empty()) validation(ws, units_row ? 2 : 1, static_cast<int>(i), k.list);
    }
    worksheet_freeze_panes(ws, units_row ? 2 : 1, 1);
  }

  void validation(lxw_worksheet* ws, int first_row0, int column0, const std::string& list) {
    const auto it = list_ranges.find(list);
    if (it == list_ranges.end()) return;
    lxw_data_validation dv{};
    dv.validate = LXW_VALIDATION_TYPE_LIST_FORMULA;
    dv.value_formula = const_cast<char*>(it->second.c_str());
    dv.error_type = LXW_VALIDATION_ERROR_TYPE_WARNING;  // a planner may add a name the list does not know yet
    dv.ignore_blank = LXW_VALIDATION_ON;
    check(worksheet_data_validation_range(ws, static_cast<lxw_row_t>(first_row0), static_cast<lxw_col_t>(column0), 1000,
                                          static_cast<lxw_col_t>(column0), &dv),
          "validation list");
  }
};

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

/// Every field of `n` (under `prefix`) must be some column's, or the workbook would lose it.
void check_covered(const Node& n, std::vector<Segment> prefix, const std::vector<Column>& columns, const std::string& where) {
  bool below = false;
  for (const Column& c : columns) {
    if (c.path == prefix) return;
    if (c.path.size() > prefix.size() && std::equal(prefix.begin(), prefix.end(), c.path.begin())) below = true;
  }
  if (below && n.type == Node::Type::Map) {
    for (const Entry& e : n.entries) {
      auto p = prefix;
      p.emplace_back(e.key);
      check_covered(e.value, p, columns, where);
    }
    return;
  }
  if (below && n.type == Node::Type::Sequence) {
    for (std::size_t i = 0; i < n.items.size(); ++i) {
      auto p = prefix;
      p.emplace_back(static_cast<int>(i));
      check_covered(n.items[i], p, columns, where);
    }
    return;
  }
  if (prefix.empty()) return;
  throw std::runtime_error(where + "." + seg_text(prefix) + ": this field has no column in the workbook");
}

/// The fields of `n` the field table does not have at `pattern` (a route rule's, its condition's).
void check_known(const Node& n, std::string_view pattern, const std::string& where) {
  if (n.type != Node::Type::Map) return;
  const std::vector<std::string> keys = models::scenario_field_keys(pattern);
  for (const Entry& e : n.entries)
    if (std::find(keys.begin(), keys.end(), e.key) == keys.end())
      throw std::runtime_error(where + "." + e.key + ": this field has no column in the workbook");
}

std::string item_label(const Node& item, const std::string& section, std::size_t i) {
  const Node* name = item.type == Node::Type::Map ? item.get("name") : nullptr;
  if (name && name->type == Node::Type::Scalar) return section + "[" + name->scalar + "]";
  return section + "[" + std::to_string(i) + "]";
}

void write_about(Writer& w, const models::Scenario& s) {
  lxw_worksheet* ws = workbook_add_worksheet(w.wb, "about");
  const std::vector<std::string> lines = {
      "careflow scenario workbook",
      "Scenario: " + s.name,
      "Edit the sheets and run the workbook as it is: careflow run THIS.xlsx (also validate and compare; careflow workbook THIS.xlsx --out THIS.yaml gives the scenario file).",
      "One sheet per part of the scenario, one row per item; row 1 names the field, row 2 its unit; hover a header for its note.",
      "A blank cell means the field's default. Numbers are in days, years, £ and shares as the units row says.",
      "Distributions and lists are written as in a scenario file: {exponential: {mean: 3}}, [a, b].",
      "pathways: one row per destination of a routing rule; a rule's condition (need, age, cohort) goes on its first row.",
      "transforms: a row per parameter; a blank 'transform' cell continues the transform above.",
      "Drop-down lists come from the 'lists' sheet; it is not read back. Layout: docs/spreadsheets.md.",
  };
  for (std::size_t i = 0; i < lines.size(); ++i)
    w.check(worksheet_write_string(ws, static_cast<lxw_row_t>(i), 0, lines[i].c_str(), i == 0 ? w.header : nullptr), "about");
  worksheet_set_column(ws, 0, 0, 120, nullptr);
}

}  // namespace

void write_scenario_workbook(const models::Scenario& s, const std::string& path) {
  Node root;
  try {
    root = located::parse(s.source_text, "scenario");
  } catch (const ScenarioError& e) {
    throw std::runtime_error(std::string("cannot read the scenario's YAML: ") + e.what());
  }
  if (root.type != Node::Type::Map) throw std::runtime_error("the scenario's YAML is not a map");
  // Every top-level field must land somewhere: the lists on their sheets, the rest on 'options'.
  Node options_part = located::empty_node(Node::Type::Map, root.file, root.line);
  for (const Entry& e : root.entries) {
    const ScenarioField* f = models::find_scenario_field(e.key);
    if (f && (f->type == FieldType::NamedItems || f->type == FieldType::Items)) continue;
    options_part.entries.push_back(e);
  }
  check_covered(options_part, {}, option_fields(), "scenario");

  support::AtomicFile out(path);  // libxlsxwriter writes the temporary; removed unless committed
  Writer w;
  lxw_workbook_options wopt{};
  wopt.tmpdir = nullptr;
  w.wb = workbook_new_opt(out.temporary_path().c_str(), &wopt);
  if (!w.wb) throw std::runtime_error("cannot create '" + path + "'");
  struct Guard {  // a workbook left open on an error is closed before its file is removed
    Writer& w;
    ~Guard() {
      if (w.wb) workbook_close(w.wb);
    }
  } guard{w};

  w.header = workbook_add_format(w.wb);
  format_set_bold(w.header);
  format_set_bg_color(w.header, 0xDDEBF7);
  w.unit = workbook_add_format(w.wb);
  format_set_italic(w.unit);
  format_set_font_color(w.unit, 0x666666);

  // Validation lists first (sheet order is fixed below; ranges only need the names).
  std::vector<std::pair<std::string, std::vector<std::string>>> lists = {
      {"tier", models::term_names<models::Tier>()},
      {"kind", models::term_names<models::ServiceKind>()},
      {"discipline", models::term_names<QueueDiscipline>()},
      {"budget_mode", models::term_names<models::BudgetMode>()},
      {"agencies", {}},
      {"services", {}},
      {"targets", {}},
      {"cohorts", {}},
      {"need_levels", {}}};
  for (const auto& a : s.agencies) lists[4].second.push_back(a.name);
  for (const auto& sv : s.services) lists[5].second.push_back(sv.name);
  lists[6].second = lists[5].second;
  lists[6].second.push_back("exit");
  lists[6].second.push_back("died");
  for (const auto& c : s.cohorts) lists[7].second.push_back(c.name);
  lists[8].second = s.need_levels;
  for (std::size_t i = 0; i < lists.size(); ++i) {
    const std::string letter = column_letters(static_cast<int>(i) + 1);
    const std::size_t n = std::max<std::size_t>(lists[i].second.size(), 1);
    w.list_ranges[lists[i].first] = "=lists!$" + letter + "$2:$" + letter + "$" + std::to_string(n + 1);
  }

  write_about(w, s);

  // options: a row per field.
  {
    lxw_worksheet* ws = workbook_add_worksheet(w.wb, "options");
    const std::vector<Column> heads = {col("field", Kind::Text, "", "the scenario field (do not rename)"),
                                       col("value", Kind::Yaml, "", "its value; blank: the default"),
                                       col("unit", Kind::Text, "", "unit of the value"),
                                       col("notes", Kind::Text, "", "what it means")};
    w.headers(ws, heads, false);
    worksheet_set_column(ws, 0, 0, 36, nullptr);
    worksheet_set_column(ws, 1, 1, 40, nullptr);
    worksheet_set_column(ws, 3, 3, 90, nullptr);
    int row = 2;
    for (const Column& f : option_fields()) {
      const auto r = static_cast<lxw_row_t>(row - 1);
      w.check(worksheet_write_string(ws, r, 0, f.header.c_str(), nullptr), "options");
      w.value(ws, row, 2, at_path(root, f.path), f.kind, f.header);
      if (!f.unit.empty()) w.check(worksheet_write_string(ws, r, 2, f.unit.c_str(), w.unit), "options");
      w.check(worksheet_write_string(ws, r, 3, f.note.c_str(), nullptr), "options");
      if (!f.list.empty()) {
        const auto it = w.list_ranges.find(f.list);
        lxw_data_validation dv{};
        dv.validate = LXW_VALIDATION_TYPE_LIST_FORMULA;
        dv.value_formula = const_cast<char*>(it->second.c_str());
        dv.error_type = LXW_VALIDATION_ERROR_TYPE_WARNING;
        dv.ignore_blank = LXW_VALIDATION_ON;
        w.check(worksheet_data_validation_cell(ws, r, 1, &dv), "validation");
      }
      ++row;
    }
  }

  auto write_items = [&](const std::string& sheet_name) {
    const SheetSpec& spec = sheet_spec(sheet_name);
    lxw_worksheet* ws = workbook_add_worksheet(w.wb, sheet_name.c_str());
    w.headers(ws, spec.columns, true);
    const Node* items = root.get(spec.section);
    if (!items || items->type == Node::Type::Null) return;
    if (items->type != Node::Type::Sequence) throw std::runtime_error(spec.section + ": expected a list");
    int row = 3;
    for (std::size_t i = 0; i < items->items.size(); ++i, ++row) {
      const Node& item = items->items[i];
      const std::string where = item_label(item, spec.section, i);
      if (item.type != Node::Type::Map) throw std::runtime_error(where + ": expected a map");
      Node rest = item;
      if (sheet_name == "services")  // routes are on the pathways sheet
        std::erase_if(rest.entries, [](const Entry& e) { return e.key == "routes"; });
      check_covered(rest, {}, spec.columns, where);
      for (std::size_t c = 0; c < spec.columns.size(); ++c)
        w.value(ws, row, static_cast<int>(c) + 1, at_path(item, spec.columns[c].path), spec.columns[c].kind,
                where + "." + spec.columns[c].header);
    }
  };
  write_items("agencies");
  write_items("pools");
  write_items("cohorts");
  write_items("services");

  // pathways: a row per (service, rule, destination).
  {
    const SheetSpec& spec = sheet_spec("pathways");
    lxw_worksheet* ws = workbook_add_worksheet(w.wb, "pathways");
    w.headers(ws, spec.columns, true);
    int row = 3;
    const Node* services = root.get("services");
    for (std::size_t i = 0; services && services->type == Node::Type::Sequence && i < services->items.size(); ++i) {
      const Node& sv = services->items[i];
      const Node* routes = sv.type == Node::Type::Map ? sv.get("routes") : nullptr;
      if (!routes || routes->type == Node::Type::Null) continue;
      const std::string where = item_label(sv, "services", i) + ".routes";
      if (routes->type != Node::Type::Sequence) throw std::runtime_error(where + ": expected a list of rules");
      for (std::size_t k = 0; k < routes->items.size(); ++k) {
        const Node& rule = routes->items[k];
        const std::string rw = where + "[" + std::to_string(k) + "]";
        if (rule.type != Node::Type::Map) throw std::runtime_error(rw + ": expected a map");
        check_known(rule, "services[].routes[]", rw);
        const Node* when = rule.get("when");
        if (when) check_known(*when, "services[].routes[].when", rw + ".when");
        const Node* to = rule.get("to");
        if (!to || to->type != Node::Type::Map || to->entries.empty())
          throw std::runtime_error(rw + ".to: expected a map of destinations");
        bool first = true;
        for (const Entry& e : to->entries) {
          const auto r = static_cast<lxw_row_t>(row - 1);
          w.value(ws, row, 1, sv.get("name"), Kind::Text, rw);
          w.check(worksheet_write_number(ws, r, 1, static_cast<double>(k + 1), nullptr), rw);
          if (first && when && when->type == Node::Type::Map)
            for (int c = 2; c <= 4; ++c)
              w.value(ws, row, c + 1, at_path(*when, {spec.columns[static_cast<std::size_t>(c)].header}), Kind::Yaml, rw);
          const Node key = located::scalar_node(e.key, "", 0);
          w.value(ws, row, 6, &key, Kind::Text, rw);
          w.value(ws, row, 7, &e.value, Kind::Number, rw);
          first = false;
          ++row;
        }
      }
    }
  }
  write_items("discharge_checks");

  // transforms: a row per parameter.
  {
    const SheetSpec& spec = sheet_spec("transforms");
    lxw_worksheet* ws = workbook_add_worksheet(w.wb, "transforms");
    w.headers(ws, spec.columns, true);
    const Node* ts = root.get("transforms");
    int row = 3;
    for (std::size_t i = 0; ts && ts->type == Node::Type::Sequence && i < ts->items.size(); ++i) {
      const Node& t = ts->items[i];
      const std::string where = item_label(t, "transforms", i);
      if (t.type != Node::Type::Map || !t.get("name")) throw std::runtime_error(where + ": expected a map with a name");
      w.value(ws, row, 1, t.get("name"), Kind::Text, where);
      bool any = false;
      for (const Entry& e : t.entries) {
        if (e.key == "name") continue;
        const Node key = located::scalar_node(e.key, "", 0);
        w.value(ws, row, 2, &key, Kind::Text, where);
        w.value(ws, row, 3, &e.value, Kind::Yaml, where + "." + e.key);
        ++row;
        any = true;
      }
      if (!any) ++row;
    }
  }

  {
    lxw_worksheet* ws = workbook_add_worksheet(w.wb, "lists");
    for (std::size_t i = 0; i < lists.size(); ++i) {
      const auto c = static_cast<lxw_col_t>(i);
      w.check(worksheet_write_string(ws, 0, c, lists[i].first.c_str(), w.header), "lists");
      for (std::size_t k = 0; k < lists[i].second.size(); ++k)
        w.check(worksheet_write_string(ws, static_cast<lxw_row_t>(k + 1), c, lists[i].second[k].c_str(), nullptr), "lists");
      worksheet_set_column(ws, c, c, 22, nullptr);
    }
  }

  const lxw_error e = workbook_close(w.wb);
  w.wb = nullptr;
  if (e != LXW_NO_ERROR) throw std::runtime_error("cannot write '" + path + "': " + lxw_strerror(e));
  out.commit();
}

namespace {

// =========================================================================================
// Reading: cells → a located tree, each value marked with the cell it came from.

struct Origin {
  std::string sheet;
  int row = 0;
  std::string column;  // header, or "" for the whole row
};

std::string where_text(const Origin& o) {
  std::string out = "sheet '" + o.sheet + "'";
  if (o.row > 0) out += ", row " + std::to_string(o.row);
  if (!o.column.empty()) out += ", column '" + o.column + "'";
  return out;
}

/// The cells a workbook's values come from: a value's line is its cell's index here + 1, so a
/// loader error (file:line) names the sheet, row and column.
class Marks {
 public:
  explicit Marks(std::string file) : file_(std::move(file)) {}
  int mark(const Origin& o) {
    origins_.push_back(o);
    return static_cast<int>(origins_.size());
  }
  const Origin* origin(int line) const {
    return line > 0 && static_cast<std::size_t>(line) <= origins_.size() ? &origins_[static_cast<std::size_t>(line) - 1] : nullptr;
  }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::vector<Origin> origins_;
};

[[noreturn]] void fail(const std::string& file, const Origin& o, const std::string& message) {
  throw ScenarioError(SourceRef{file, 0, where_text(o)}, message);
}

std::string shown(const Cell& c) {
  switch (c.type) {
    case Cell::Type::Number: return exact_number(c.number);
    case Cell::Type::Bool: return c.boolean ? "TRUE" : "FALSE";
    default: return c.text;
  }
}

/// A cell as a value, checked against the column's kind.
Node render(const Cell& c, Kind kind, Marks& marks, const Origin& o) {
  const std::string& file = marks.file();
  if (c.type == Cell::Type::Error) fail(file, o, "the cell holds a spreadsheet error (" + c.text + "); expected a value");
  const int line = marks.mark(o);
  switch (kind) {
    case Kind::Text:
      if (c.type == Cell::Type::Bool) fail(file, o, "expected a name or text, found " + shown(c));
      return located::text_node(c.type == Cell::Type::Number ? exact_number(c.number) : c.text, file, line);
    case Kind::Number:
      if (c.type == Cell::Type::Number) return located::scalar_node(exact_number(c.number), file, line);
      if (c.type == Cell::Type::Text && parse_number(c.text)) {
        std::string t = c.text;
        t.erase(0, t.find_first_not_of(" \t"));
        t.erase(t.find_last_not_of(" \t") + 1);
        return located::scalar_node(t, file, line);
      }
      fail(file, o, "expected a number, found '" + shown(c) + "'");
    case Kind::Bool:
      if (c.type == Cell::Type::Bool) return located::scalar_node(c.boolean ? "true" : "false", file, line);
      if (c.type == Cell::Type::Text) {
        std::string t;
        for (char ch : c.text) t += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (t == "true" || t == "yes") return located::scalar_node("true", file, line);
        if (t == "false" || t == "no") return located::scalar_node("false", file, line);
      }
      fail(file, o, "expected TRUE or FALSE, found '" + shown(c) + "'");
    case Kind::Yaml:
      if (c.type == Cell::Type::Number) return located::scalar_node(exact_number(c.number), file, line);
      if (c.type == Cell::Type::Bool) return located::scalar_node(c.boolean ? "true" : "false", file, line);
      try {
        return located::parse_value(c.text, file, line, "");
      } catch (const ScenarioError& e) {
        fail(file, o, e.message());
      }
  }
  return Node{};
}

/// Puts `value` at `path` below `item`, making the maps and lists on the way.
void set_path(Node& item, const std::vector<Segment>& path, Node value) {
  Node* at = &item;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const bool last = i + 1 == path.size();
    if (const auto* k = std::get_if<std::string>(&path[i])) {
      at->type = Node::Type::Map;
      Entry* next = at->find(*k);
      if (!next) {
        at->entries.push_back(Entry{*k, value.line, located::empty_node(Node::Type::Null, value.file, value.line)});
        next = &at->entries.back();
      }
      if (last) next->value = std::move(value);
      at = &next->value;
    } else {
      const auto idx = static_cast<std::size_t>(std::get<int>(path[i]));
      at->type = Node::Type::Sequence;
      while (at->items.size() <= idx) at->items.push_back(located::empty_node(Node::Type::Null, value.file, value.line));
      if (last) at->items[idx] = std::move(value);
      at = &at->items[idx];
    }
  }
}

/// A list of items as a top-level field.
void add_section(Node& root, const std::string& key, std::vector<Node> items, Marks& marks, const Origin& o) {
  if (items.empty()) return;
  Node list = located::empty_node(Node::Type::Sequence, marks.file(), marks.mark(o));
  list.items = std::move(items);
  const int line = list.line;
  root.entries.push_back(Entry{key, line, std::move(list)});
}

bool row_blank(const Sheet& s, int row) {
  for (int c = 1; c <= s.columns; ++c)
    if (!s.at(row, c).empty()) return false;
  return true;
}

/// Header row → column index (1-based) per spec column; unknown or repeated headers are errors.
std::vector<int> read_headers(const Sheet& sheet, const std::vector<Column>& spec, const std::string& file) {
  std::vector<int> where(spec.size(), 0);
  for (int c = 1; c <= sheet.columns; ++c) {
    const Cell& h = sheet.at(1, c);
    if (h.empty()) {
      for (int r = 2; r <= sheet.rows; ++r)
        if (!sheet.at(r, c).empty() && !(r == 2 && sheet.name != "options"))
          fail(file, Origin{sheet.name, r, column_letters(c)}, "a value in a column without a header in row 1");
      continue;
    }
    const std::string name = shown(h);
    const auto it = std::find_if(spec.begin(), spec.end(), [&](const Column& k) { return k.header == name; });
    if (it == spec.end()) {
      std::string known;
      for (const Column& k : spec) known += (known.empty() ? "" : ", ") + k.header;
      fail(file, Origin{sheet.name, 1, name}, "unknown column '" + name + "'; the columns of this sheet are: " + known);
    }
    const auto i = static_cast<std::size_t>(it - spec.begin());
    if (where[i] != 0) fail(file, Origin{sheet.name, 1, name}, "column '" + name + "' appears twice");
    where[i] = c;
  }
  return where;
}

/// Row 2 holds the units: a row of data there (the units row deleted, say) would be skipped
/// silently, so anything but a unit is refused.
void check_units_row(const Sheet& sheet, const std::vector<Column>& spec, const std::vector<int>& at, const std::string& file) {
  for (std::size_t c = 0; c < spec.size(); ++c) {
    if (at[c] == 0) continue;
    const Cell& cell = sheet.at(2, at[c]);
    if (cell.empty()) continue;
    const std::string text = shown(cell);
    if (text == spec[c].unit || text == "—" || text == "-") continue;
    fail(file, Origin{sheet.name, 2, spec[c].header},
         "expected the unit '" + (spec[c].unit.empty() ? std::string("—") : spec[c].unit) + "', found '" + text +
             "'; row 2 of an item sheet holds the units and items start in row 3");
  }
}

/// The pathways sheet: a row per destination of a rule, the rule's condition on its first row;
/// each service's rules become its `routes`, in the order of their numbers' first appearance.
void read_pathways(const Sheet& sheet, std::vector<Node>& services, Marks& marks) {
  const std::string& file = marks.file();
  const SheetSpec& spec = sheet_spec("pathways");
  const auto at = read_headers(sheet, spec.columns, file);
  check_units_row(sheet, spec.columns, at, file);
  for (std::size_t c : {0u, 1u, 5u, 6u})
    if (at[c] == 0) fail(file, Origin{"pathways", 1, ""}, "expected a column '" + spec.columns[c].header + "' in row 1");
  // service → rule label → rule, in order of first appearance.
  std::map<std::string, std::vector<std::pair<std::string, Node>>> rules;
  std::map<std::string, std::vector<std::string>> when_text;  // per rule: need, age, cohort as first given
  for (int r = 3; r <= sheet.rows; ++r) {
    if (row_blank(sheet, r)) continue;
    auto cell = [&](std::size_t c) -> const Cell& { return sheet.at(r, at[c]); };
    auto origin = [&](std::size_t c) { return Origin{"pathways", r, spec.columns[c].header}; };
    for (std::size_t c : {0u, 1u, 5u, 6u})
      if (cell(c).empty()) fail(file, origin(c), "missing required cell '" + spec.columns[c].header + "'");
    const std::string service = shown(cell(0));
    const bool known = std::any_of(services.begin(), services.end(), [&](const Node& y) {
      const Node* name = y.get("name");
      return name && name->scalar == service;
    });
    if (!known) fail(file, origin(0), "no service '" + service + "' on the sheet 'services'");
    if (cell(1).type != Cell::Type::Number) fail(file, origin(1), "expected a rule number, found '" + shown(cell(1)) + "'");
    const std::string label = exact_number(cell(1).number);
    auto& list = rules[service];
    auto rule = std::find_if(list.begin(), list.end(), [&](const auto& p) { return p.first == label; });
    const std::string key = service + "\x1f" + label;
    std::vector<Node> when(3);
    std::vector<std::string> texts(3);
    for (std::size_t c = 2; c <= 4; ++c)
      if (at[c] != 0 && !cell(c).empty()) {
        when[c - 2] = render(cell(c), Kind::Yaml, marks, origin(c));
        texts[c - 2] = located::flow_text(when[c - 2]);
      }
    if (rule == list.end()) {
      Node y = located::empty_node(Node::Type::Map, file, marks.mark(Origin{"pathways", r, ""}));
      Node condition = located::empty_node(Node::Type::Map, file, y.line);
      for (std::size_t k = 0; k < 3; ++k)
        if (!texts[k].empty()) {
          const int line = when[k].line;
          condition.entries.push_back(Entry{spec.columns[k + 2].header, line, std::move(when[k])});
        }
      if (!condition.entries.empty()) y.entries.push_back(Entry{"when", y.line, std::move(condition)});
      y.entries.push_back(Entry{"to", y.line, located::empty_node(Node::Type::Map, file, y.line)});
      list.emplace_back(label, std::move(y));
      rule = list.end() - 1;
      when_text[key] = texts;
    } else {
      for (std::size_t k = 0; k < 3; ++k)
        if (!texts[k].empty() && texts[k] != when_text[key][k])
          fail(file, origin(k + 2),
               "rule " + label + " of '" + service + "' has a different condition on an earlier row; give the condition once, on the rule's first row");
    }
    const std::string to = shown(cell(5));
    Node& dest = rule->second.find("to")->value;
    if (dest.find(to)) fail(file, origin(5), "'" + to + "' appears twice in rule " + label + " of '" + service + "'");
    // The destination's name is its own cell's, the probability the next: each error names its cell.
    const int to_line = marks.mark(origin(5));
    dest.entries.push_back(Entry{to, to_line, render(cell(6), Kind::Number, marks, origin(6))});
  }
  for (Node& sv : services) {
    const Node* name = sv.get("name");
    const auto it = name ? rules.find(name->scalar) : rules.end();
    if (it == rules.end()) continue;
    Node routes = located::empty_node(Node::Type::Sequence, file, it->second.front().second.line);
    for (auto& [label, y] : it->second) routes.items.push_back(std::move(y));
    const int line = routes.line;
    sv.entries.push_back(Entry{"routes", line, std::move(routes)});
  }
}

/// The transforms sheet: a row per parameter; a blank 'transform' cell continues the one above.
std::vector<Node> read_transforms(const Sheet& sheet, Marks& marks) {
  const std::string& file = marks.file();
  const SheetSpec& spec = sheet_spec("transforms");
  const auto at = read_headers(sheet, spec.columns, file);
  check_units_row(sheet, spec.columns, at, file);
  std::vector<Node> ts;
  for (int r = 3; r <= sheet.rows; ++r) {
    if (row_blank(sheet, r)) continue;
    auto cell = [&](std::size_t c) -> const Cell& {
      static const Cell none;
      return at[c] ? sheet.at(r, at[c]) : none;
    };
    auto origin = [&](std::size_t c) { return Origin{"transforms", r, spec.columns[c].header}; };
    if (!cell(0).empty()) {
      Node t = located::empty_node(Node::Type::Map, file, marks.mark(Origin{"transforms", r, ""}));
      Node name = render(cell(0), Kind::Text, marks, origin(0));
      const int line = name.line;
      t.entries.push_back(Entry{"name", line, std::move(name)});
      ts.push_back(std::move(t));
    } else if (ts.empty()) {
      fail(file, origin(0), "a parameter before any transform; name the transform in this row");
    }
    if (cell(1).empty()) {
      if (!cell(2).empty()) fail(file, origin(1), "a value without a parameter name");
      continue;
    }
    const std::string param = shown(cell(1));
    if (cell(2).empty()) fail(file, origin(2), "missing the value of '" + param + "'");
    if (ts.back().find(param)) fail(file, origin(1), "parameter '" + param + "' appears twice");
    const int param_line = marks.mark(origin(1));
    ts.back().entries.push_back(Entry{param, param_line, render(cell(2), Kind::Yaml, marks, origin(2))});
  }
  return ts;
}

/// The column of a missing field on an item sheet: its path below the item where that is a
/// header ("transition.to"), else its last key ("to" of a route rule).
std::string missing_column(const std::string& sheet, const std::string& field) {
  const auto item = field.find("].");
  const std::string below = item == std::string::npos ? field : field.substr(item + 2);
  for (const SheetSpec& s : item_sheets())
    if (s.name == sheet)
      for (const Column& c : s.columns)
        if (c.header == below) return below;
  const auto dot = field.rfind('.');
  return dot == std::string::npos ? field : field.substr(dot + 1);
}

Node build_tree(const Workbook& wb, Marks& marks) {
  const std::string& file = marks.file();
  for (const Sheet& s : wb.sheets)
    if (std::find(kSheetOrder.begin(), kSheetOrder.end(), s.name) == kSheetOrder.end()) {
      std::string known;
      for (const auto& k : kSheetOrder) known += (known.empty() ? "" : ", ") + k;
      fail(file, Origin{s.name, 0, ""}, "unknown sheet '" + s.name + "'; a scenario workbook has the sheets " + known);
    }
  const Sheet* options = wb.find("options");
  if (!options) fail(file, Origin{"options", 0, ""}, "the workbook has no 'options' sheet (it holds careflow, name and run)");

  Node root = located::empty_node(Node::Type::Map, file, marks.mark(Origin{"options", 0, ""}));
  {
    const std::vector<Column> heads = {col("field", Kind::Text, "", ""), col("value", Kind::Yaml, "", ""),
                                       col("unit", Kind::Text, "", ""), col("notes", Kind::Text, "", "")};
    const auto at = read_headers(*options, heads, file);
    if (at[0] == 0 || at[1] == 0) fail(file, Origin{"options", 1, ""}, "expected the columns 'field' and 'value' in row 1");
    std::set<std::string> seen;
    for (int r = 2; r <= options->rows; ++r) {
      const Cell& f = options->at(r, at[0]);
      const Cell& v = options->at(r, at[1]);
      if (f.empty()) {
        if (!v.empty()) fail(file, Origin{"options", r, "field"}, "a value without a field name");
        continue;
      }
      const std::string name = shown(f);
      const auto& fields = option_fields();
      const auto it = std::find_if(fields.begin(), fields.end(), [&](const Column& k) { return k.header == name; });
      if (it == fields.end()) fail(file, Origin{"options", r, "field"}, "unknown field '" + name + "' (see docs/scenario-format.md)");
      if (!seen.insert(name).second) fail(file, Origin{"options", r, "field"}, "field '" + name + "' appears twice");
      if (v.empty()) continue;
      set_path(root, it->path, render(v, it->kind, marks, Origin{"options", r, "value"}));
    }
  }

  auto read_items = [&](const std::string& sheet_name) -> std::vector<Node> {
    std::vector<Node> items;
    const Sheet* sheet = wb.find(sheet_name);
    if (!sheet) return items;
    const SheetSpec& spec = sheet_spec(sheet_name);
    const auto at = read_headers(*sheet, spec.columns, file);
    check_units_row(*sheet, spec.columns, at, file);
    for (int r = 3; r <= sheet->rows; ++r) {
      if (row_blank(*sheet, r)) continue;
      Node item = located::empty_node(Node::Type::Map, file, marks.mark(Origin{sheet_name, r, ""}));
      for (std::size_t c = 0; c < spec.columns.size(); ++c) {
        if (at[c] == 0) continue;
        const Cell& cell = sheet->at(r, at[c]);
        if (cell.empty()) continue;
        set_path(item, spec.columns[c].path, render(cell, spec.columns[c].kind, marks, Origin{sheet_name, r, spec.columns[c].header}));
      }
      items.push_back(std::move(item));
    }
    return items;
  };
  add_section(root, "agencies", read_items("agencies"), marks, Origin{"agencies", 0, ""});
  add_section(root, "pools", read_items("pools"), marks, Origin{"pools", 0, ""});
  add_section(root, "cohorts", read_items("cohorts"), marks, Origin{"cohorts", 0, ""});
  std::vector<Node> services = read_items("services");
  if (const Sheet* sheet = wb.find("pathways")) read_pathways(*sheet, services, marks);
  add_section(root, "services", std::move(services), marks, Origin{"services", 0, ""});
  add_section(root, "discharge_checks", read_items("discharge_checks"), marks, Origin{"discharge_checks", 0, ""});
  if (const Sheet* sheet = wb.find("transforms")) add_section(root, "transforms", read_transforms(*sheet, marks), marks, Origin{"transforms", 0, ""});
  return root;
}

/// Makes a loader's SourceRef into a cell reference when it names a value of the workbook.
SourceRef remap(const SourceRef& ref, models::ScenarioProblem problem, const Marks& marks) {
  const std::string& file = marks.file();
  const Origin* mark = ref.file == file ? marks.origin(ref.line) : nullptr;
  if (!mark) return SourceRef{file, 0, ref.field};
  Origin o = *mark;
  if (problem == models::ScenarioProblem::MissingField) {
    // Reported on its item's row (or the options' first): name the missing field's column.
    o.column = o.sheet == "options" ? "value" : missing_column(o.sheet, ref.field);
  } else if (!ref.field.empty() && ref.field.back() == ']' && o.column == "name") {
    o.column.clear();  // a problem with a whole item (services[x], routes[0]) is its row's, not its name's
  }
  std::string field = where_text(o);
  if (!ref.field.empty()) field += " (" + ref.field + ")";
  return SourceRef{file, 0, field};
}

/// Reads a workbook into the tree a scenario file would give, each value marked with its cell.
Node read_workbook_tree(const std::string& path, Marks& marks) {
  Workbook wb;
  try {
    wb = read_xlsx(path);
  } catch (const XlsxError& e) {
    throw ScenarioError(SourceRef{path, 0, ""}, e.what(), models::ScenarioProblem::Text);
  }
  return build_tree(wb, marks);
}

}  // namespace

std::string workbook_yaml(const std::string& path) {
  Marks marks(path);
  return located::emit_text(read_workbook_tree(path, marks));
}

models::Scenario load_scenario_workbook(const std::string& path, const std::vector<models::FieldChange>& changes) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    throw ScenarioError(SourceRef{path, 0, ""}, "cannot read '" + path + "': no such file", models::ScenarioProblem::Text);
  Marks marks(path);
  Node root = read_workbook_tree(path, marks);
  models::Scenario s;
  try {
    models::check_scenario_tree(root);
    s = models::scenario_from_tree(std::move(root), path, changes, !changes.empty());
  } catch (const ScenarioError& e) {
    if (e.where().file != path) throw;  // about a change (--set), not a cell
    throw ScenarioError(remap(e.where(), e.problem(), marks), e.message(), e.problem());
  }
  // Later warnings (validate_scenario) name cells, not the marks of the tree.
  auto fix = [&](SourceRef& r) { r = remap(r, models::ScenarioProblem::Value, marks); };
  for (auto& a : s.agencies) fix(a.source);
  for (auto& p : s.pools) fix(p.source);
  for (auto& c : s.cohorts) fix(c.source);
  for (auto& sv : s.services) {
    fix(sv.source);
    for (auto& rule : sv.routes) fix(rule.source);
  }
  for (auto& t : s.transforms) fix(t.source);
  return s;
}

models::Scenario load_any_scenario(const std::string& path, const std::vector<models::FieldChange>& changes) {
  const std::string ext = fs::path(path).extension().string();
  if (ext == ".xlsx" || ext == ".XLSX" || looks_like_xlsx(path)) return load_scenario_workbook(path, changes);
  models::ScenarioSource source = models::read_scenario_source(path);
  source.changes = changes;
  source.name_after_changes = !changes.empty();
  return models::parse_scenario(source);
}

}  // namespace careflow::sheets
