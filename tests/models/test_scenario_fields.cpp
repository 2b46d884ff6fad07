// The scenario field table (careflow/models/scenario_fields.hpp) and what is derived from it: the
// field tables of docs/scenario-format.md and the fuzz dictionary are checked equal to what the
// table gives (CAREFLOW_WRITE_FIELD_FILES=1 rewrites both from it instead), and every field of the
// table is read by the loader: a wrong value there is refused, naming that field.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "careflow/models/default_scenario.hpp"
#include "careflow/models/scenario_fields.hpp"
#include "careflow/models/scenario_loader.hpp"
#include "careflow/models/transforms.hpp"
#include "scenario/distribution_reader.hpp"

using namespace careflow;
using namespace careflow::models;

namespace {

std::filesystem::path source(const std::string& relative) {
  return std::filesystem::path(__FILE__).parent_path() / "../.." / relative;
}

std::string read_source(const std::string& relative) {
  std::ifstream in(source(relative), std::ios::binary);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// CAREFLOW_WRITE_FIELD_FILES=1: write what the table gives instead of comparing with it.
bool writing() {
  const char* w = std::getenv("CAREFLOW_WRITE_FIELD_FILES");
  return w && std::string(w) == "1";
}

void write_source(const std::string& relative, const std::string& text) {
  std::ofstream out(source(relative), std::ios::binary | std::ios::trunc);
  out << text;
  REQUIRE(out.good());
}

// ---- the docs' field tables -------------------------------------------------------------

/// The sections of docs/scenario-format.md that each hold a field table, marked in the docs by
/// `<!-- fields: PATTERN -->` on the line before the table (`<!-- fields: -->` for the top level).
const std::vector<std::string> kDocTables = {"",         "run",     "governance", "handoffs", "economics",
                                             "region",   "agencies[]", "pools[]",  "cohorts[]", "services[]",
                                             "discharge_checks[]", "indicators", "transforms[]"};

/// The docs table a row is listed in: the longest marked pattern it is below.
std::string doc_table_of(std::string_view path) {
  std::string best;
  for (const std::string& p : kDocTables)
    if (!p.empty() && path.starts_with(p + ".") && p.size() > best.size()) best = p;
  return best;
}

std::string code(std::string_view s) {
  std::string out = "`";
  out.append(s).append("`");
  return out;
}

/// The Markdown table the docs must hold for `pattern`.
std::string doc_table(const std::string& pattern) {
  std::string out = "| field | type | unit | default | meaning |\n|---|---|---|---|---|\n";
  for (const ScenarioField& f : kScenarioFields) {
    if (doc_table_of(f.path) != pattern) continue;
    const std::string_view relative = pattern.empty() ? f.path : f.path.substr(pattern.size() + 1);
    std::string row = "| ";
    row.append(code(relative)).append(" | ").append(field_type_words(f.type)).append(" | ");
    row.append(f.unit.empty() ? "—" : f.unit).append(" | ");
    row.append(f.default_value == kRequired ? "**required**" : f.default_value.empty() ? "—" : f.default_value);
    row.append(" | ").append(f.meaning).append(" |\n");
    out += row;
  }
  return out;
}

/// Replaces (or, comparing, checks) the table after each marker of `doc`.
std::string with_doc_tables(const std::string& doc) {
  std::string out;
  std::size_t pos = 0;
  std::set<std::string> seen;
  while (true) {
    const std::string marker = "<!-- fields:";
    const std::size_t at = doc.find(marker, pos);
    if (at == std::string::npos) break;
    const std::size_t end = doc.find("-->\n", at);
    REQUIRE(end != std::string::npos);
    std::string pattern = doc.substr(at + marker.size(), end - at - marker.size());
    while (!pattern.empty() && pattern.front() == ' ') pattern.erase(0, 1);
    while (!pattern.empty() && pattern.back() == ' ') pattern.pop_back();
    INFO("docs table for '" << pattern << "'");
    CHECK(std::find(kDocTables.begin(), kDocTables.end(), pattern) != kDocTables.end());
    CHECK(seen.insert(pattern).second);
    const std::size_t table = end + 4;
    std::size_t table_end = table;
    while (table_end < doc.size() && doc[table_end] == '|') table_end = doc.find('\n', table_end) + 1;
    out += doc.substr(pos, table - pos);
    out += doc_table(pattern);
    pos = table_end;
  }
  out += doc.substr(pos);
  CHECK(seen.size() == kDocTables.size());
  return out;
}

// ---- the fuzz dictionary ----------------------------------------------------------------

std::string fuzz_dictionary() {
  std::set<std::string> words;
  for (const ScenarioField& f : kScenarioFields) {
    std::string_view p = f.path;
    while (!p.empty()) {
      const auto cut = p.find('.');
      std::string key(p.substr(0, cut));
      if (key.ends_with("[]")) key.resize(key.size() - 2);
      words.insert(key);
      p = cut == std::string_view::npos ? std::string_view{} : p.substr(cut + 1);
    }
  }
  for (const DistributionForm& d : distribution_forms()) {
    words.emplace(d.kind);
    for (const DistributionParam& q : d.params)
      if (!q.name.empty()) words.emplace(q.name);
  }
  for (const auto& t : kTiers) words.emplace(t.name);
  for (const auto& t : kServiceKinds) words.emplace(t.name);
  for (const auto& t : kBudgetModes) words.emplace(t.name);
  for (const auto& t : kDisciplines) words.emplace(t.name);
  for (const TransformSchema& t : transform_schemas()) {
    words.insert(t.name);
    for (const ParamSchema& p : t.params) words.insert(p.key);
  }
  // Route targets that are not services, the other words values take, and files the fuzz
  // target's scenarios/ folder holds for `extend:`.
  for (const char* w : {"unit", "exit", "died", "true", "false", "unlimited", "default.yaml", "status_quo.yaml"})
    words.insert(w);
  std::string out =
      "# libFuzzer dictionary: the scenario format's words, generated from the field table\n"
      "# (models/include/careflow/models/scenario_fields.hpp), the distributions, vocabularies and transforms\n"
      "# by tests/models/test_scenario_fields.cpp (CAREFLOW_WRITE_FIELD_FILES=1 rewrites it)\n";
  for (const std::string& w : words) out += "\"" + w + "\"\n\"" + w + ": \"\n";
  for (const char* syntax : {"\": \"", "\"\\x0a  - \"", "\"{\"", "\"}\"", "\"[\"", "\"]\"", "\", \"", "\"- name: \"",
                             "\"1e308\"", "\"-1\"", "\"0.5\"", "\"&a \"", "\"*a\"", "\"!!str \"", "\"<<: \"", "\"\\x22\""})
    out += std::string(syntax) + "\n";
  return out;
}

// ---- a scenario that gives every field --------------------------------------------------

/// A scenario giving every field of the format once.
std::string every_field() { return read_source("tests/data/scenarios/every_field.yaml"); }

/// A row's pattern as a path into every_field.yaml: the items of each list named or numbered.
std::string concrete(std::string_view pattern) {
  std::string out(pattern);
  const bool in_years = pattern.find("capacity_schedule[].at_years") != std::string_view::npos;
  const std::pair<const char*, const char*> items[] = {
      {"agencies[]", "agencies[a]"},       {"pools[]", "pools[p]"},   {"cohorts[]", "cohorts[c]"},
      {"services[]", in_years ? "services[t]" : "services[s]"}, {"routes[]", "routes[0]"},
      {"capacity_schedule[]", "capacity_schedule[0]"}, {"discharge_checks[]", "discharge_checks[0]"},
      {"transforms[]", "transforms[winter_surge]"}};
  for (const auto& [from, to] : items)
    if (const auto at = out.find(from); at != std::string::npos) out.replace(at, std::string_view(from).size(), to);
  return out;
}

/// The field an error names when an item's own name is wrong: the item by its position.
std::string by_position(std::string path) {
  for (const char* name : {"[a]", "[p]", "[c]", "[s]", "[t]", "[winter_surge]"})
    if (const auto at = path.find(name); at != std::string::npos) path.replace(at, std::string_view(name).size(), "[0]");
  return path;
}

}  // namespace

TEST_CASE("the field table is well formed", "[fields]") {
  std::set<std::string_view> paths;
  for (const ScenarioField& f : kScenarioFields) {
    INFO(f.path);
    CHECK(paths.insert(f.path).second);
    CHECK(!f.meaning.empty());
    for (std::string_view cell : {f.unit, f.default_value, f.meaning, f.column})
      CHECK(cell.find('|') == std::string_view::npos);  // a Markdown cell
    // Every row is held by a section or a list that the table has too.
    const std::string_view parent = parent_pattern(f.path);
    if (parent.ends_with("[]")) {
      const ScenarioField* list = find_scenario_field(parent.substr(0, parent.size() - 2));
      REQUIRE(list);
      CHECK((list->type == FieldType::NamedItems || list->type == FieldType::Items));
    } else if (!parent.empty()) {
      const ScenarioField* section = find_scenario_field(parent);
      REQUIRE(section);
      CHECK(section->type == FieldType::Section);
    }
    // Sections and lists of items hold fields; named items have a name.
    if (f.type == FieldType::Section) CHECK(!scenario_field_keys(f.path).empty());
    if (f.type == FieldType::NamedItems || f.type == FieldType::Items) {
      std::string items(f.path);
      items += "[]";
      CHECK(!scenario_field_keys(items).empty());
      if (f.type == FieldType::NamedItems) {
        const auto keys = scenario_field_keys(items);
        CHECK(std::find(keys.begin(), keys.end(), "name") != keys.end());
      }
    }
  }
  for (const auto& t : kFieldTypes) CHECK(parse_term<FieldType>(t.name) == t.value);
  CHECK(field_type_words(FieldType::Discipline) == "`fifo` \\| `priority`");
  CHECK(misplaced_section("horizon_years") == "run");
  CHECK(misplaced_section("capacity") == "services");
  CHECK(misplaced_section("name").empty());
  CHECK(misplaced_section("capcity").empty());
}

TEST_CASE("docs/scenario-format.md lists every field of the field table", "[fields][docs]") {
  const std::string doc = read_source("docs/scenario-format.md");
  const std::string expected = with_doc_tables(doc);
  if (writing()) write_source("docs/scenario-format.md", expected);
  else CHECK(doc == expected);  // on a difference: CAREFLOW_WRITE_FIELD_FILES=1, then read the diff
  // Every row is in one of the docs' tables.
  for (const ScenarioField& f : kScenarioFields)
    CHECK(std::find(kDocTables.begin(), kDocTables.end(), doc_table_of(f.path)) != kDocTables.end());
  // The distributions the docs list are the table's, in its order.
  std::size_t at = doc.find("## Distributions");
  REQUIRE(at != std::string::npos);
  for (const DistributionForm& d : distribution_forms()) {
    INFO(d.kind);
    std::string written = "`{";
    written.append(d.kind).append(":");
    const std::size_t next = doc.find(written, at);
    CHECK(next != std::string::npos);
    at = next == std::string::npos ? at : next;
  }
}

TEST_CASE("the fuzz dictionary holds the words the tables give", "[fields][fuzz]") {
  const std::string expected = fuzz_dictionary();
  if (writing()) write_source("tests/fuzz/scenario.dict", expected);
  else CHECK(read_source("tests/fuzz/scenario.dict") == expected);
}

TEST_CASE("the loader reads every field of the table: a wrong value there is refused, naming it", "[fields][loader]") {
  ScenarioSource source{every_field(), "every_field.yaml", ".", {}, false};
  REQUIRE_NOTHROW(parse_scenario(source));
  std::size_t checked = 0;
  for (const ScenarioField& f : kScenarioFields) {
    // Sections and lists of named items are not values; the format version and `extend` are
    // the file's, not the scenario's (the path language refuses them, tested elsewhere).
    if (f.type == FieldType::Section || f.type == FieldType::NamedItems || f.type == FieldType::Version ||
        f.type == FieldType::File)
      continue;
    const std::string path = concrete(f.path);
    INFO(f.path << " as " << path);
    source.changes = {FieldChange{path, "{not: [a, value]}", SourceRef{"<test>", 0, path}}};
    try {
      parse_scenario(source);
      FAIL("a wrong value at " << path << " was accepted: the loader does not read this field of the table");
    } catch (const ScenarioError& e) {
      INFO(e.what());
      const std::string& field = e.where().field;
      CHECK((field.rfind(path, 0) == 0 || field.rfind(by_position(path), 0) == 0));
      CHECK(e.where().file == "<test>");
      CHECK(e.problem() != ScenarioProblem::Text);
    }
    ++checked;
  }
  CHECK(checked > 0);
}
