// Scenario ↔ workbook. The writer walks the scenario's merged YAML tree (source_text) and puts
// each field in a cell; the reader turns the cells back into YAML text, one cell per line, and
// hands it to the ordinary loader, so every check of a scenario file applies to a workbook. A
// loader error names a line of that text; the line tells which sheet, row and column it came from.
#include "careflow/sheets/scenario_workbook.hpp"

#include "careflow/models/scenario_loader.hpp"
#include "careflow/sheets/xlsx.hpp"
#include "careflow/support/atomic_file.hpp"

#include <xlsxwriter.h>
#include <yaml-cpp/yaml.h>

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
using models::ScenarioError;
using models::SourceRef;

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
Column indexed(const std::string& header, const std::string& key, int index, Kind kind, const std::string& unit,
               const std::string& note) {
  return Column{header, {key, index}, kind, unit, note, ""};
}

struct SheetSpec {
  std::string name;
  std::string section;  // the scenario's list this sheet holds ("" for options / pathways)
  std::vector<Column> columns;
};

const std::vector<Column>& option_fields() {
  static const std::vector<Column> fields = {
      col("careflow", Kind::Number, "", "format version; must be 1"),
      col("name", Kind::Text, "", "the scenario's name, shown in results (required)"),
      col("description", Kind::Text, "", "free text"),
      col("run.horizon_years", Kind::Number, "years", "simulated horizon, warm-up included; > 0 and <= 200 (default 10)"),
      col("run.warmup_years", Kind::Number, "years", "excluded from statistics; < horizon (default 2)"),
      col("run.replications", Kind::Number, "", "independent replications, 1 ... 1,000,000 (default 10)"),
      col("run.seed", Kind::Number, "", "base random seed (default 1)"),
      col("run.tracked_people", Kind::Number, "people", "trajectories kept for the animation (default 200)"),
      col("need_levels", Kind::Yaml, "", "levels of need, lowest first, e.g. [universal, additional, complex, acute]"),
      col("governance.budget_mode", Kind::Text, "", "aligned | pooled | lead (default aligned)", "budget_mode"),
      col("governance.lead_agency", Kind::Text, "", "agency holding the pooled money when budget_mode is lead", "agencies"),
      col("governance.integrated_assessment", Kind::Bool, "", "TRUE: referrals to a service with integrated_into go there"),
      col("handoffs.within_agency", Kind::Yaml, "days", "delay between services of one agency: a number of days or a distribution, e.g. {exponential: {mean: 2}}"),
      col("handoffs.across_agency", Kind::Yaml, "days", "delay between services of different agencies (distribution)"),
      col("economics.discount_rate", Kind::Number, "per year", "discount rate for net present values (0.035 = 3.5%)"),
      col("region.sites", Kind::Yaml, "", "a region: the sites (councils, trusts, providers) that run services, e.g. [north, south, trust]"),
      col("region.transfer_days", Kind::Number, "days", "least time a move between sites takes (default 1)"),
      col("indicators.referrals", Kind::Text, "", "service whose arrivals are children's social care referrals", "services"),
      col("indicators.child_protection", Kind::Text, "", "service holding child protection plans", "services"),
      col("indicators.looked_after", Kind::Text, "", "service holding looked-after children", "services"),
      col("indicators.reablement", Kind::Text, "", "re-ablement service (NI 125 / ASCOF 2B)", "services"),
      col("indicators.residential", Kind::Text, "", "residential care service (ASCOF 2A)", "services"),
      col("indicators.hospital", Kind::Text, "", "hospital service (NI 131 delayed transfers)", "services"),
      col("indicators.assessments", Kind::Yaml, "", "assessment services for NI 132: a name or [a, b]"),
      col("indicators.assessment_target_days", Kind::Number, "days", "NI 132 timeliness target (default 28)"),
      col("indicators.package_target_days", Kind::Number, "days", "NI 133 target (default 28)"),
      col("indicators.older_people_cohort", Kind::Text, "", "cohort whose population is the 65+ denominator", "cohorts"),
      col("indicators.children_cohort", Kind::Text, "", "cohort whose population is the children denominator", "cohorts"),
  };
  return fields;
}

const std::vector<SheetSpec>& item_sheets() {
  static const std::vector<SheetSpec> sheets = {
      {"agencies", "agencies",
       {col("name", Kind::Text, "", "agency name (unique)"),
        col("budget_per_year", Kind::Number, "£ / year", "the agency's yearly budget")}},
      {"pools", "pools",
       {col("name", Kind::Text, "", "pooled budget name (unique)"),
        col("services", Kind::Yaml, "", "services in the pool: [a, b, c]"),
        col("budget_per_year", Kind::Number, "£ / year", "the pool's yearly budget"),
        col("review_days", Kind::Number, "days", "how often capacity is re-allocated to follow the queue (default 28)"),
        col("flexible_share", Kind::Number, "share", "share of each pooled service's places that can move, 0 ... 1 (default 0.25)")}},
      {"cohorts", "cohorts",
       {col("name", Kind::Text, "", "cohort name (unique)"),
        col("population", Kind::Number, "people", "residents"),
        indexed("age_min", "age", 0, Kind::Number, "years", "youngest age (inclusive)"),
        indexed("age_max", "age", 1, Kind::Number, "years", "oldest age (exclusive)"),
        col("episodes_per_1000_per_year", Kind::Number, "per 1000 / year", "new episodes of need per 1000 residents a year"),
        col("trend_per_year", Kind::Number, "fraction / year", "population growth (0.01 = +1% a year)"),
        col("seasonality.amplitude", Kind::Number, "share", "0.1 = +10% at the peak"),
        col("seasonality.peak_day", Kind::Number, "day of year", "day of the peak (default 15)"),
        col("entry", Kind::Text, "", "service where episodes start", "services"),
        col("need_mix", Kind::Yaml, "shares", "initial need of new episodes: {additional: 0.6, complex: 0.4}"),
        col("coproduction.min", Kind::Number, "0 ... 1", "lowest per-person capacity (default 0)"),
        col("coproduction.max", Kind::Number, "0 ... 1", "highest per-person capacity (default 1)"),
        col("coproduction.effect", Kind::Number, "0 ... 1", "escalation hazard x (1 - effect x capacity) (default 0.5)"),
        col("rereferral_probability", Kind::Number, "probability", "returns within 12 months after leaving with need"),
        col("self_funder_share", Kind::Number, "share", "pay for their own care"),
        col("transition.to", Kind::Text, "", "service a young person with ongoing needs moves to", "services"),
        col("transition.age", Kind::Number, "years", "age of that move (default 18)")}},
      {"services", "services",
       {col("name", Kind::Text, "", "service name (unique; not exit or died)"),
        col("tier", Kind::Text, "", "mainstream | intermediate | specialist | acute", "tier"),
        col("kind", Kind::Text, "", "service | assessment | hospital (default service)", "kind"),
        col("agency", Kind::Text, "", "owning agency", "agencies"),
        col("capacity", Kind::Number, "places", "workers' caseload slots, beds, teams; a whole number >= 1"),
        col("capacity_schedule", Kind::Yaml, "days / places", "later changes: [{at_years: 2, capacity: 40}]"),
        col("duration", Kind::Yaml, "days", "length of service: a number of days or a distribution, e.g. {lognormal: {mean: 180, sd: 120}}"),
        col("discipline", Kind::Text, "", "fifo | priority (higher need first)", "discipline"),
        col("max_queue", Kind::Yaml, "people", "a whole number or unlimited; arrivals beyond it go to overflow_to"),
        col("patience_days", Kind::Yaml, "days", "people waiting longer leave the queue (blank: unlimited)"),
        col("overflow_to", Kind::Text, "", "where people turned away or giving up go (default exit)", "targets"),
        col("cost.per_contact", Kind::Number, "£", "each time a person starts the service, and each review"),
        col("cost.per_episode", Kind::Number, "£", "per episode, at the start"),
        col("cost.per_day", Kind::Number, "£ / day", "per occupied place"),
        col("cost.per_week", Kind::Number, "£ / week", "per occupied place"),
        col("cost.per_hour", Kind::Number, "£ / hour", "per hour of care"),
        col("cost.hours_per_week", Kind::Number, "hours / week", "hours of care a week per place (<= 168)"),
        col("escalation_per_year", Kind::Number, "per year", "hazard of need rising one level while waiting here"),
        col("de_escalation_per_year", Kind::Number, "per year", "hazard of need falling one level while served here"),
        col("escalate_to", Kind::Text, "", "a person reaching the top need level while waiting is re-referred here", "services"),
        col("integrated_into", Kind::Text, "", "with integrated assessment on, referrals here go there instead", "services"),
        col("dtoc_reason", Kind::Text, "", "why hospital patients wait for this service"),
        col("site", Kind::Text, "", "in a region: the site that runs this service (one of region.sites)"),
        col("review.every_days", Kind::Number, "days", "review interval (0: no reviews)"),
        col("review.cost", Kind::Number, "£", "per review"),
        col("review.step_down_probability", Kind::Number, "probability", "at a review the person leaves early..."),
        col("review.step_down_to", Kind::Text, "", "...for this service (default exit)", "targets")}},
      {"pathways", "",
       {col("service", Kind::Text, "", "the service people leave", "services"),
        col("rule", Kind::Number, "", "rule number within the service: the first rule whose condition holds is used"),
        col("need", Kind::Yaml, "", "condition: a need level or [a, b] (on the rule's first row)"),
        col("age", Kind::Yaml, "years", "condition: [min, max] or [min] (on the rule's first row)"),
        col("cohort", Kind::Yaml, "", "condition: a cohort or [a, b] (on the rule's first row)"),
        col("to", Kind::Text, "", "next service, exit or died", "targets"),
        col("probability", Kind::Number, "probability", "share of the rule's people going there; a rule's shares sum to 1")}},
      {"discharge_checks", "discharge_checks",
       {col("reason", Kind::Text, "", "what discharged patients wait for (assessment, funding decision)"),
        col("probability", Kind::Number, "probability", "share of medically fit patients who wait"),
        col("duration", Kind::Yaml, "days", "how long (a number of days or a distribution)")}},
      {"transforms", "",
       {col("transform", Kind::Text, "", "a named transform (careflow transforms); blank: more parameters of the one above"),
        col("parameter", Kind::Text, "", "a parameter of the transform"),
        col("value", Kind::Yaml, "", "its value: a number, TRUE/FALSE, a name or [a, b]")}},
  };
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
  void value(lxw_worksheet* ws, int row, int column, const YAML::Node& n, Kind kind, const std::string& where) {
    const auto r = static_cast<lxw_row_t>(row - 1);
    const auto c = static_cast<lxw_col_t>(column - 1);
    if (!n || n.IsNull()) return;
    if (!n.IsScalar()) {
      if (kind != Kind::Yaml) throw std::runtime_error(where + ": expected a single value for the workbook");
      YAML::Emitter e;
      e.SetSeqFormat(YAML::Flow);
      e.SetMapFormat(YAML::Flow);
      e << n;
      check(worksheet_write_string(ws, r, c, e.c_str(), nullptr), where);
      return;
    }
    const std::string text = n.Scalar();
    if (kind != Kind::Text && n.Tag() != "!") {
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

YAML::Node at_path(const YAML::Node& item, const std::vector<Segment>& path) {
  YAML::Node n = YAML::Clone(item);
  for (const Segment& s : path) {
    if (const auto* k = std::get_if<std::string>(&s)) {
      if (!n.IsMap()) return YAML::Node();
      n = n[*k];
    } else {
      const int i = std::get<int>(s);
      if (!n.IsSequence() || static_cast<std::size_t>(i) >= n.size()) return YAML::Node();
      n = n[static_cast<std::size_t>(i)];
    }
    if (!n) return YAML::Node();
  }
  return n;
}

/// Every field of `n` (under `prefix`) must be some column's, or the workbook would lose it.
void check_covered(const YAML::Node& n, std::vector<Segment> prefix, const std::vector<Column>& columns, const std::string& where) {
  bool below = false;
  for (const Column& c : columns) {
    if (c.path == prefix) return;
    if (c.path.size() > prefix.size() && std::equal(prefix.begin(), prefix.end(), c.path.begin())) below = true;
  }
  if (below && n.IsMap()) {
    for (const auto& kv : n) {
      auto p = prefix;
      p.emplace_back(kv.first.Scalar());
      check_covered(kv.second, p, columns, where);
    }
    return;
  }
  if (below && n.IsSequence()) {
    for (std::size_t i = 0; i < n.size(); ++i) {
      auto p = prefix;
      p.emplace_back(static_cast<int>(i));
      check_covered(n[i], p, columns, where);
    }
    return;
  }
  if (prefix.empty()) return;
  throw std::runtime_error(where + "." + seg_text(prefix) + ": this field has no column in the workbook");
}

std::string item_label(const YAML::Node& item, const std::string& section, std::size_t i) {
  if (item.IsMap() && item["name"] && item["name"].IsScalar()) return section + "[" + item["name"].Scalar() + "]";
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
  YAML::Node root;
  try {
    root = YAML::Load(s.source_text);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error("cannot read the scenario's YAML: " + e.msg);
  }
  if (!root.IsMap()) throw std::runtime_error("the scenario's YAML is not a map");
  const std::set<std::string> top_sections = {"agencies", "pools", "cohorts", "services", "discharge_checks", "transforms"};
  // Every top-level field must land somewhere.
  YAML::Node options_part;
  for (const auto& kv : root) {
    const std::string key = kv.first.Scalar();
    if (top_sections.count(key)) continue;
    options_part[key] = kv.second;
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
    const YAML::Node items = root[spec.section];
    if (!items || items.IsNull()) return;
    if (!items.IsSequence()) throw std::runtime_error(spec.section + ": expected a list");
    int row = 3;
    for (std::size_t i = 0; i < items.size(); ++i, ++row) {
      const YAML::Node item = items[i];
      const std::string where = item_label(item, spec.section, i);
      if (!item.IsMap()) throw std::runtime_error(where + ": expected a map");
      YAML::Node rest = YAML::Clone(item);
      if (sheet_name == "services") rest.remove("routes");
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
    const YAML::Node services = root["services"];
    for (std::size_t i = 0; services && services.IsSequence() && i < services.size(); ++i) {
      const YAML::Node sv = services[i];
      const YAML::Node routes = sv["routes"];
      if (!routes || routes.IsNull()) continue;
      const std::string where = item_label(sv, "services", i) + ".routes";
      if (!routes.IsSequence()) throw std::runtime_error(where + ": expected a list of rules");
      for (std::size_t k = 0; k < routes.size(); ++k) {
        const YAML::Node rule = routes[k];
        const std::string rw = where + "[" + std::to_string(k) + "]";
        if (!rule.IsMap()) throw std::runtime_error(rw + ": expected a map");
        for (const auto& kv : rule)
          if (kv.first.Scalar() != "when" && kv.first.Scalar() != "to")
            throw std::runtime_error(rw + "." + kv.first.Scalar() + ": this field has no column in the workbook");
        const YAML::Node when = rule["when"];
        if (when && when.IsMap())
          for (const auto& kv : when)
            if (kv.first.Scalar() != "need" && kv.first.Scalar() != "age" && kv.first.Scalar() != "cohort")
              throw std::runtime_error(rw + ".when." + kv.first.Scalar() + ": this field has no column in the workbook");
        const YAML::Node to = rule["to"];
        if (!to || !to.IsMap() || to.size() == 0) throw std::runtime_error(rw + ".to: expected a map of destinations");
        bool first = true;
        for (const auto& kv : to) {
          const auto r = static_cast<lxw_row_t>(row - 1);
          w.value(ws, row, 1, sv["name"], Kind::Text, rw);
          w.check(worksheet_write_number(ws, r, 1, static_cast<double>(k + 1), nullptr), rw);
          if (first && when && when.IsMap()) {
            w.value(ws, row, 3, when["need"], Kind::Yaml, rw);
            w.value(ws, row, 4, when["age"], Kind::Yaml, rw);
            w.value(ws, row, 5, when["cohort"], Kind::Yaml, rw);
          }
          w.value(ws, row, 6, kv.first, Kind::Text, rw);
          w.value(ws, row, 7, kv.second, Kind::Number, rw);
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
    const YAML::Node ts = root["transforms"];
    int row = 3;
    for (std::size_t i = 0; ts && ts.IsSequence() && i < ts.size(); ++i) {
      const YAML::Node t = ts[i];
      const std::string where = item_label(t, "transforms", i);
      if (!t.IsMap() || !t["name"]) throw std::runtime_error(where + ": expected a map with a name");
      w.value(ws, row, 1, t["name"], Kind::Text, where);
      bool any = false;
      for (const auto& kv : t) {
        if (kv.first.Scalar() == "name") continue;
        w.value(ws, row, 2, kv.first, Kind::Text, where);
        w.value(ws, row, 3, kv.second, Kind::Yaml, where + "." + kv.first.Scalar());
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
// Reading: cells → YAML text, one cell per line, remembering where each line came from.

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

struct Y {
  enum class Type { Map, Seq, Leaf } type = Type::Map;
  std::string text;  // Leaf: YAML already rendered on one line
  std::vector<std::pair<std::string, Y>> map;
  std::vector<Y> seq;
  Origin origin;

  Y& entry(const std::string& key, const Origin& o) {
    for (auto& [k, v] : map)
      if (k == key) return v;
    map.emplace_back(key, Y{});
    map.back().second.origin = o;
    return map.back().second;
  }
};

Y leaf(const std::string& text, const Origin& o) {
  Y y;
  y.type = Y::Type::Leaf;
  y.text = text;
  y.origin = o;
  return y;
}

[[noreturn]] void fail(const std::string& file, const Origin& o, const std::string& message) {
  throw ScenarioError(SourceRef{file, 0, where_text(o)}, message);
}

/// Text as a YAML scalar that reads back as the same text: plain where that is safe, quoted
/// where a plain word would read as something else (a number, true, null, [a, b]).
std::string quoted(const std::string& s) {
  YAML::Emitter e;
  bool plain = !s.empty() && !parse_number(s);
  if (plain) {
    try {
      const YAML::Node n = YAML::Load(s);
      plain = n.IsScalar() && n.Scalar() == s && n.Tag() == "?";
    } catch (const YAML::Exception&) {
      plain = false;
    }
    static const std::set<std::string> words = {"true", "false", "yes", "no", "on", "off", "null", "~", "True", "False", "Null", "NULL", "TRUE", "FALSE", "Yes", "No", "YES", "NO", "On", "Off", "ON", "OFF"};
    if (words.count(s)) plain = false;
  }
  if (plain) e << s;
  else e << YAML::DoubleQuoted << s;
  return e.c_str();
}

std::string shown(const Cell& c) {
  switch (c.type) {
    case Cell::Type::Number: return exact_number(c.number);
    case Cell::Type::Bool: return c.boolean ? "TRUE" : "FALSE";
    default: return c.text;
  }
}

/// A cell as one line of YAML, checked against the column's kind.
std::string render(const Cell& c, Kind kind, const std::string& file, const Origin& o) {
  if (c.type == Cell::Type::Error) fail(file, o, "the cell holds a spreadsheet error (" + c.text + "); expected a value");
  switch (kind) {
    case Kind::Text:
      if (c.type == Cell::Type::Bool) fail(file, o, "expected a name or text, found " + shown(c));
      return quoted(c.type == Cell::Type::Number ? exact_number(c.number) : c.text);
    case Kind::Number:
      if (c.type == Cell::Type::Number) return exact_number(c.number);
      if (c.type == Cell::Type::Text && parse_number(c.text)) {
        std::string t = c.text;
        t.erase(0, t.find_first_not_of(" \t"));
        t.erase(t.find_last_not_of(" \t") + 1);
        return t;
      }
      fail(file, o, "expected a number, found '" + shown(c) + "'");
    case Kind::Bool:
      if (c.type == Cell::Type::Bool) return c.boolean ? "true" : "false";
      if (c.type == Cell::Type::Text) {
        std::string t;
        for (char ch : c.text) t += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (t == "true" || t == "yes") return "true";
        if (t == "false" || t == "no") return "false";
      }
      fail(file, o, "expected TRUE or FALSE, found '" + shown(c) + "'");
    case Kind::Yaml: {
      if (c.type == Cell::Type::Number) return exact_number(c.number);
      if (c.type == Cell::Type::Bool) return c.boolean ? "true" : "false";
      YAML::Node n;
      try {
        n = YAML::Load(c.text);
      } catch (const YAML::Exception& e) {
        fail(file, o, "cannot read '" + c.text + "' as a value (" + e.msg + "); write a number, a name, [a, b] or {key: value}");
      }
      YAML::Emitter e;
      e.SetSeqFormat(YAML::Flow);
      e.SetMapFormat(YAML::Flow);
      e << n;
      return e.c_str();
    }
  }
  return "";
}

void set_path(Y& item, const std::vector<Segment>& path, Y value) {
  Y* at = &item;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const bool last = i + 1 == path.size();
    if (const auto* k = std::get_if<std::string>(&path[i])) {
      at->type = Y::Type::Map;
      Y& next = at->entry(*k, value.origin);
      if (last) next = std::move(value);
      at = &next;
    } else {
      const auto idx = static_cast<std::size_t>(std::get<int>(path[i]));
      at->type = Y::Type::Seq;
      while (at->seq.size() <= idx) at->seq.push_back(leaf("null", value.origin));
      if (last) at->seq[idx] = std::move(value);
      at = &at->seq[idx];
    }
  }
}

struct Text {
  std::string yaml;
  std::vector<Origin> lines;  // lines[i]: where line i + 1 came from
  void line(const std::string& s, const Origin& o) {
    yaml += s + "\n";
    lines.push_back(o);
  }
};

void emit(Text& out, const Y& map, int indent) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  for (const auto& [key, v] : map.map) {
    switch (v.type) {
      case Y::Type::Leaf: out.line(pad + key + ": " + v.text, v.origin); break;
      case Y::Type::Map:
        if (v.map.empty()) out.line(pad + key + ": {}", v.origin);
        else {
          out.line(pad + key + ":", v.origin);
          emit(out, v, indent + 2);
        }
        break;
      case Y::Type::Seq: {
        const bool scalars = std::all_of(v.seq.begin(), v.seq.end(), [](const Y& i) { return i.type == Y::Type::Leaf; });
        if (scalars) {
          std::string s;
          for (const Y& i : v.seq) s += (s.empty() ? "" : ", ") + i.text;
          out.line(pad + key + ": [" + s + "]", v.seq.empty() ? v.origin : v.seq.front().origin);
        } else {
          out.line(pad + key + ":", v.origin);
          for (const Y& i : v.seq) {
            out.line(pad + "  -", i.origin);
            emit(out, i, indent + 4);
          }
        }
        break;
      }
    }
  }
}

struct Built {
  Text text;
};

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

Text build_yaml(const Workbook& wb, const std::string& file) {
  for (const Sheet& s : wb.sheets)
    if (std::find(kSheetOrder.begin(), kSheetOrder.end(), s.name) == kSheetOrder.end()) {
      std::string known;
      for (const auto& k : kSheetOrder) known += (known.empty() ? "" : ", ") + k;
      fail(file, Origin{s.name, 0, ""}, "unknown sheet '" + s.name + "'; a scenario workbook has the sheets " + known);
    }
  const Sheet* options = wb.find("options");
  if (!options) fail(file, Origin{"options", 0, ""}, "the workbook has no 'options' sheet (it holds careflow, name and run)");

  Y root;
  root.origin = Origin{"options", 0, ""};
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
      const Origin o{"options", r, "value"};
      set_path(root, it->path, leaf(render(v, it->kind, file, o), o));
    }
  }

  auto read_items = [&](const std::string& sheet_name) -> std::vector<Y> {
    std::vector<Y> items;
    const Sheet* sheet = wb.find(sheet_name);
    if (!sheet) return items;
    const SheetSpec& spec = sheet_spec(sheet_name);
    const auto at = read_headers(*sheet, spec.columns, file);
    check_units_row(*sheet, spec.columns, at, file);
    for (int r = 3; r <= sheet->rows; ++r) {
      if (row_blank(*sheet, r)) continue;
      Y item;
      item.origin = Origin{sheet_name, r, ""};
      for (std::size_t c = 0; c < spec.columns.size(); ++c) {
        if (at[c] == 0) continue;
        const Cell& cell = sheet->at(r, at[c]);
        if (cell.empty()) continue;
        const Origin o{sheet_name, r, spec.columns[c].header};
        set_path(item, spec.columns[c].path, leaf(render(cell, spec.columns[c].kind, file, o), o));
      }
      items.push_back(std::move(item));
    }
    return items;
  };
  auto section = [&](const std::string& key, std::vector<Y> items, const Origin& o) {
    if (items.empty()) return;
    Y list;
    list.type = Y::Type::Seq;
    list.origin = o;
    list.seq = std::move(items);
    root.map.emplace_back(key, std::move(list));
  };
  section("agencies", read_items("agencies"), Origin{"agencies", 0, ""});
  section("pools", read_items("pools"), Origin{"pools", 0, ""});
  section("cohorts", read_items("cohorts"), Origin{"cohorts", 0, ""});
  std::vector<Y> services = read_items("services");

  if (const Sheet* sheet = wb.find("pathways")) {
    const SheetSpec& spec = sheet_spec("pathways");
    const auto at = read_headers(*sheet, spec.columns, file);
    check_units_row(*sheet, spec.columns, at, file);
    for (std::size_t c : {0u, 1u, 5u, 6u})
      if (at[c] == 0) fail(file, Origin{"pathways", 1, ""}, "expected a column '" + spec.columns[c].header + "' in row 1");
    // service → rule label → rule, in order of first appearance.
    std::map<std::string, std::vector<std::pair<std::string, Y>>> rules;
    std::map<std::string, std::vector<std::string>> when_text;  // per rule label: need, age, cohort as first given
    for (int r = 3; r <= sheet->rows; ++r) {
      if (row_blank(*sheet, r)) continue;
      auto cell = [&](std::size_t c) -> const Cell& { return sheet->at(r, at[c]); };
      auto origin = [&](std::size_t c) { return Origin{"pathways", r, spec.columns[c].header}; };
      for (std::size_t c : {0u, 1u, 5u, 6u})
        if (cell(c).empty()) fail(file, origin(c), "missing required cell '" + spec.columns[c].header + "'");
      const std::string service = shown(cell(0));
      const auto sv = std::find_if(services.begin(), services.end(), [&](const Y& y) {
        for (const auto& [k, v] : y.map)
          if (k == "name") return v.text == quoted(service);
        return false;
      });
      if (sv == services.end()) fail(file, origin(0), "no service '" + service + "' on the sheet 'services'");
      if (cell(1).type != Cell::Type::Number) fail(file, origin(1), "expected a rule number, found '" + shown(cell(1)) + "'");
      const std::string label = exact_number(cell(1).number);
      auto& list = rules[service];
      auto rule = std::find_if(list.begin(), list.end(), [&](const auto& p) { return p.first == label; });
      const std::string key = service + "\x1f" + label;
      std::vector<std::string> when(3);
      for (std::size_t c = 2; c <= 4; ++c)
        if (at[c] != 0 && !cell(c).empty()) when[c - 2] = render(cell(c), Kind::Yaml, file, origin(c));
      if (rule == list.end()) {
        Y y;
        y.origin = Origin{"pathways", r, ""};
        const char* names[] = {"need", "age", "cohort"};
        for (std::size_t k = 0; k < 3; ++k)
          if (!when[k].empty()) y.entry("when", y.origin).entry(names[k], origin(k + 2)) = leaf(when[k], origin(k + 2));
        for (auto& [k, v] : y.map)
          if (k == "when") v.type = Y::Type::Map;
        y.entry("to", y.origin).type = Y::Type::Map;
        list.emplace_back(label, std::move(y));
        rule = list.end() - 1;
        when_text[key] = when;
      } else {
        for (std::size_t k = 0; k < 3; ++k)
          if (!when[k].empty() && when[k] != when_text[key][k])
            fail(file, origin(k + 2),
                 "rule " + label + " of '" + service + "' has a different condition on an earlier row; give the condition once, on the rule's first row");
      }
      const std::string to = shown(cell(5));
      Y& dest = rule->second.entry("to", rule->second.origin);
      for (const auto& [k, v] : dest.map)
        if (k == quoted(to)) fail(file, origin(5), "'" + to + "' appears twice in rule " + label + " of '" + service + "'");
      dest.map.emplace_back(quoted(to), leaf(render(cell(6), Kind::Number, file, origin(6)), origin(6)));
    }
    for (Y& sv : services) {
      std::string name;
      for (const auto& [k, v] : sv.map)
        if (k == "name") name = v.text;
      for (auto& [service, list] : rules) {
        if (quoted(service) != name) continue;
        Y routes;
        routes.type = Y::Type::Seq;
        routes.origin = list.front().second.origin;
        for (auto& [label, y] : list) routes.seq.push_back(std::move(y));
        sv.map.emplace_back("routes", std::move(routes));
      }
    }
  }
  section("services", std::move(services), Origin{"services", 0, ""});
  section("discharge_checks", read_items("discharge_checks"), Origin{"discharge_checks", 0, ""});

  if (const Sheet* sheet = wb.find("transforms")) {
    const SheetSpec& spec = sheet_spec("transforms");
    const auto at = read_headers(*sheet, spec.columns, file);
    check_units_row(*sheet, spec.columns, at, file);
    std::vector<Y> ts;
    for (int r = 3; r <= sheet->rows; ++r) {
      if (row_blank(*sheet, r)) continue;
      auto cell = [&](std::size_t c) -> const Cell& {
        static const Cell none;
        return at[c] ? sheet->at(r, at[c]) : none;
      };
      auto origin = [&](std::size_t c) { return Origin{"transforms", r, spec.columns[c].header}; };
      if (!cell(0).empty()) {
        Y t;
        t.origin = Origin{"transforms", r, ""};
        t.entry("name", origin(0)) = leaf(render(cell(0), Kind::Text, file, origin(0)), origin(0));
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
      for (const auto& [k, v] : ts.back().map)
        if (k == param) fail(file, origin(1), "parameter '" + param + "' appears twice");
      ts.back().entry(param, origin(1)) = leaf(render(cell(2), Kind::Yaml, file, origin(2)), origin(2));
    }
    section("transforms", std::move(ts), Origin{"transforms", 0, ""});
  }

  Text out;
  emit(out, root, 0);
  return out;
}

/// Makes a SourceRef into a cell reference when it names a line of the workbook's YAML.
SourceRef remap(const SourceRef& ref, const std::string& message, const Text& text, const std::string& file) {
  if (ref.file != file || ref.line <= 0 || static_cast<std::size_t>(ref.line) > text.lines.size())
    return SourceRef{file, 0, ref.field.empty() ? "" : ref.field};
  Origin o = text.lines[static_cast<std::size_t>(ref.line) - 1];
  // A missing field is reported on its item's first line: name the field's column instead.
  const std::string missing = "missing required field '";
  if (const auto p = message.find(missing); p != std::string::npos) {
    const auto start = p + missing.size();
    const auto end = message.find('\'', start);
    o.column = message.substr(start, end - start);
    if (o.sheet == "options") o.column = "value";
  }
  // A problem with a whole item (services[x], routes[0]) is on its first line, the 'name'
  // cell's: name the row, not that column.
  const bool whole_item = !ref.field.empty() && ref.field.back() == ']' && message.find(missing) == std::string::npos;
  if (whole_item && o.column == "name") o.column.clear();
  // A destination and its probability share a line (`to: {x: 0.5}`): an unknown name is the 'to' cell's.
  if (o.sheet == "pathways" && o.column == "probability" && message.rfind("unknown", 0) == 0) o.column = "to";
  std::string field = where_text(o);
  if (!ref.field.empty()) field += " (" + ref.field + ")";
  return SourceRef{file, 0, field};
}

}  // namespace

std::string workbook_yaml(const std::string& path) {
  Workbook wb;
  try {
    wb = read_xlsx(path);
  } catch (const XlsxError& e) {
    throw ScenarioError(SourceRef{path, 0, ""}, e.what());
  }
  return build_yaml(wb, path).yaml;
}

models::Scenario load_scenario_workbook(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw ScenarioError(SourceRef{path, 0, ""}, "cannot read '" + path + "': no such file");
  Workbook wb;
  try {
    wb = read_xlsx(path);
  } catch (const XlsxError& e) {
    throw ScenarioError(SourceRef{path, 0, ""}, e.what());
  }
  const Text text = build_yaml(wb, path);
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  models::Scenario s;
  try {
    s = models::parse_scenario(text.yaml, path, dir.string());
  } catch (const ScenarioError& e) {
    std::string message = e.what();
    // The message without the "FILE:LINE: FIELD: " prefix the loader put in front of it.
    std::string prefix = e.where().file;
    if (e.where().line > 0) prefix += ":" + std::to_string(e.where().line);
    prefix += ": ";
    if (!e.where().field.empty()) prefix += e.where().field + ": ";
    if (message.rfind(prefix, 0) == 0) message = message.substr(prefix.size());
    throw ScenarioError(remap(e.where(), message, text, path), message);
  }
  // Later warnings (validate_scenario) name cells, not lines of the generated YAML.
  auto fix = [&](SourceRef& r) { r = remap(r, "", text, path); };
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

models::Scenario load_any_scenario(const std::string& path) {
  const std::string ext = fs::path(path).extension().string();
  if (ext == ".xlsx" || ext == ".XLSX" || looks_like_xlsx(path)) return load_scenario_workbook(path);
  return models::load_scenario(path);
}

}  // namespace careflow::sheets
