// Workbook → scenario. The reader builds, from the cells, the located tree a scenario file
// would give, each value marked with the cell it came from, and hands it to the ordinary
// loader, so every check of a scenario file applies to a workbook; a loader error names the
// field and the value's mark, which tells the sheet, row and column.
#include "careflow/sheets/scenario_workbook.hpp"

#include "careflow/models/scenario_fields.hpp"
#include "careflow/models/scenario_loader.hpp"
#include "careflow/sheets/xlsx.hpp"
#include "scenario/located_yaml.hpp"
#include "scenario/scenario_tree.hpp"
#include "workbook_columns.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>
#include <system_error>

namespace careflow::sheets {
namespace {

namespace fs = std::filesystem;
using models::ScenarioError;
using models::SourceRef;
using namespace workbook;

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
