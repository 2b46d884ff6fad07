// Scenario → workbook. The writer walks the scenario's merged located YAML tree (source_text)
// and puts each field in the cell its column (workbook_columns.hpp) gives; a field with no
// column is refused rather than lost.
#include "careflow/sheets/scenario_workbook.hpp"

#include "careflow/models/scenario_fields.hpp"
#include "careflow/sheets/xlsx.hpp"
#include "careflow/support/atomic_file.hpp"
#include "workbook_columns.hpp"

#include <xlsxwriter.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

namespace careflow::sheets {
namespace {

using models::FieldType;
using models::ScenarioError;
using models::ScenarioField;
using namespace workbook;

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
      {"need_levels", {}},
      {"unit_choice", models::term_names<models::UnitChoice>()}};
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

}  // namespace careflow::sheets
