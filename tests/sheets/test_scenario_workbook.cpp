// Scenario workbooks: YAML → xlsx → scenario equals YAML → scenario for every scenario file
// (the merged YAML tree compared value by value, and a short run compared figure by figure,
// bit for bit); bad workbooks are refused naming the sheet, row and column.
#include <catch2/catch.hpp>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <unistd.h>

#include "careflow/models/care_model.hpp"
#include "careflow/models/scenario_fields.hpp"
#include "careflow/models/scenario_loader.hpp"
#include "careflow/sheets/results_tables.hpp"
#include "careflow/sheets/scenario_workbook.hpp"
#include "careflow/sheets/xlsx.hpp"

namespace fs = std::filesystem;
using namespace careflow;

namespace {

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("careflow_sheets_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir / name;
}

bool is_empty(const YAML::Node& n) { return !n || n.IsNull() || ((n.IsSequence() || n.IsMap()) && n.size() == 0); }

/// Equal as scenario values: numbers by value (1.0e7 == 10000000), maps by key whatever the
/// order, a missing field equal to an empty one.
bool same(const YAML::Node& a, const YAML::Node& b, const std::string& path, std::string& why) {
  if (is_empty(a) && is_empty(b)) return true;
  if (is_empty(a) != is_empty(b) || a.Type() != b.Type()) {
    why = path + ": one side is missing or of another type";
    return false;
  }
  if (a.IsScalar()) {
    if (a.Scalar() == b.Scalar()) return true;
    try {
      if (a.as<double>() == b.as<double>()) return true;
    } catch (const YAML::Exception&) {
    }
    why = path + ": '" + a.Scalar() + "' != '" + b.Scalar() + "'";
    return false;
  }
  if (a.IsSequence()) {
    if (a.size() != b.size()) {
      why = path + ": lists of different lengths";
      return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!same(a[i], b[i], path + "[" + std::to_string(i) + "]", why)) return false;
    return true;
  }
  for (const auto& kv : a)
    if (!same(kv.second, b[kv.first.Scalar()], path + "." + kv.first.Scalar(), why)) return false;
  for (const auto& kv : b)
    if (!a[kv.first.Scalar()] && !is_empty(kv.second)) {
      why = path + "." + kv.first.Scalar() + ": only in the workbook";
      return false;
    }
  return true;
}

std::vector<fs::path> scenario_files() {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(fs::path(CAREFLOW_SOURCE_DIR) / "scenarios"))
    if (e.path().extension() == ".yaml" && e.path().parent_path().filename() != "sweeps") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string error_of(const fs::path& workbook) {
  try {
    sheets::load_scenario_workbook(workbook.string());
  } catch (const models::ScenarioError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("every scenario file survives YAML → workbook → scenario exactly", "[sheets]") {
  const auto files = scenario_files();
  REQUIRE(files.size() >= 8);
  for (const fs::path& f : files) {
    INFO(f.filename().string());
    const models::Scenario a = models::load_scenario(f.string());
    const fs::path x = scratch(f.stem().string() + ".xlsx");
    sheets::write_scenario_workbook(a, x.string());
    REQUIRE(sheets::looks_like_xlsx(x.string()));
    const models::Scenario b = sheets::load_any_scenario(x.string());
    std::string why;
    const bool equal = same(YAML::Load(a.source_text), YAML::Load(b.source_text), "", why);
    INFO(why);
    CHECK(equal);
    // The structures the model runs on, field by field where it matters most.
    CHECK(b.name == a.name);
    CHECK(b.seed == a.seed);
    CHECK(b.replications == a.replications);
    CHECK(b.horizon_years == a.horizon_years);
    CHECK(b.warmup_years == a.warmup_years);
    REQUIRE(b.services.size() == a.services.size());
    for (std::size_t i = 0; i < a.services.size(); ++i) {
      const auto& p = a.services[i];
      const auto& q = b.services[i];
      CHECK(q.name == p.name);
      CHECK(q.capacity == p.capacity);
      CHECK(q.duration.mean() == p.duration.mean());
      CHECK(q.cost.daily_rate() == p.cost.daily_rate());
      REQUIRE(q.routes.size() == p.routes.size());
      for (std::size_t k = 0; k < p.routes.size(); ++k) {
        REQUIRE(q.routes[k].to.size() == p.routes[k].to.size());
        for (std::size_t t = 0; t < p.routes[k].to.size(); ++t) {
          CHECK(q.routes[k].to[t].service == p.routes[k].to[t].service);
          CHECK(q.routes[k].to[t].probability == p.routes[k].to[t].probability);
        }
        CHECK(q.routes[k].when.need_levels == p.routes[k].when.need_levels);
        CHECK(q.routes[k].when.cohorts == p.routes[k].when.cohorts);
      }
    }
    REQUIRE(b.agencies.size() == a.agencies.size());
    for (std::size_t i = 0; i < a.agencies.size(); ++i) CHECK(b.agencies[i].annual_budget == a.agencies[i].annual_budget);
    REQUIRE(b.cohorts.size() == a.cohorts.size());
    for (std::size_t i = 0; i < a.cohorts.size(); ++i) {
      CHECK(b.cohorts[i].population == a.cohorts[i].population);
      CHECK(b.cohorts[i].need_weights == a.cohorts[i].need_weights);
    }
    CHECK(b.transforms.size() == a.transforms.size());
    CHECK(b.one_off_costs.size() == a.one_off_costs.size());
    CHECK(b.recurring_costs.size() == a.recurring_costs.size());

    // Same scenario, same figures: a short run of each (a quarter-year warm-up, the same for
    // both, so that the region and the default stay quick under the sanitizers), bit for bit.
    models::CareRunOptions opt;
    opt.replications = 1;
    opt.keep = models::Recorder::kSeriesOnly;
    models::Scenario short_a = a, short_b = b;
    short_a.warmup_years = short_b.warmup_years = std::min(a.warmup_years, 0.25);
    opt.horizon_years = short_a.warmup_years + 0.5;
    const auto ra = models::run_scenario(models::apply_options(short_a, opt), opt);
    const auto rb = models::run_scenario(models::apply_options(short_b, opt), opt);
    REQUIRE(ra.summary.size() == rb.summary.size());
    REQUIRE(ra.replications.front().fingerprint == rb.replications.front().fingerprint);
    for (std::size_t i = 0; i < ra.summary.size(); ++i) {
      const double u = ra.summary[i].ci.mean, v = rb.summary[i].ci.mean;
      CHECK((u == v || (std::isnan(u) && std::isnan(v))));
    }
  }
}

TEST_CASE("numbers that need 17 digits round-trip bit for bit", "[sheets]") {
  const std::string yaml = R"(careflow: 1
name: precise
run: {horizon_years: 1, warmup_years: 0.1, replications: 2, seed: 18446744073709551615}
agencies: [{name: council, budget_per_year: 0.30000000000000004}]
cohorts:
  - {name: people, population: 1000.0000000000001, age: [0, 18], episodes_per_1000_per_year: 10, entry: desk}
services:
  - name: desk
    tier: mainstream
    agency: council
    capacity: 3
    duration: {exponential: {mean: 0.1234567890123456789}}
    routes: [{to: {exit: 1}}]
)";
  const models::Scenario a = models::parse_scenario(yaml, "precise.yaml");
  const fs::path x = scratch("precise.xlsx");
  sheets::write_scenario_workbook(a, x.string());
  const models::Scenario b = sheets::load_scenario_workbook(x.string());
  CHECK(b.seed == a.seed);
  CHECK(b.agencies[0].annual_budget == a.agencies[0].annual_budget);
  CHECK(b.cohorts[0].population == a.cohorts[0].population);
  CHECK(b.services[0].duration.mean() == a.services[0].duration.mean());
}

TEST_CASE("bad workbooks name the sheet, row and column", "[sheets]") {
  const models::Scenario a = models::load_scenario((fs::path(CAREFLOW_SOURCE_DIR) / "scenarios/examples/jackson.yaml").string());
  const fs::path good = scratch("good.xlsx");
  sheets::write_scenario_workbook(a, good.string());
  CHECK(error_of(good).empty());

  SECTION("not a workbook") {
    const fs::path bad = scratch("text.xlsx");
    std::ofstream(bad) << "careflow: 1\n";
    CHECK_THAT(error_of(bad), Catch::Contains("text.xlsx") && Catch::Contains("cannot read the workbook"));
  }
  SECTION("a missing file") {
    CHECK_THAT(error_of(scratch("none.xlsx")), Catch::Contains("no such file"));
  }
}

TEST_CASE("results tables: one per figure family, CSV at full precision", "[sheets]") {
  const models::Scenario s = models::load_scenario((fs::path(CAREFLOW_SOURCE_DIR) / "scenarios/examples/mm1.yaml").string());
  models::CareRunOptions opt;
  opt.replications = 2;
  opt.horizon_years = s.warmup_years + 1;
  const auto r = models::run_scenario(models::apply_options(s, opt), opt);
  const auto tables = sheets::run_tables(s, r);
  REQUIRE(tables.front().name == "run");
  bool waits = false;
  for (const auto& t : tables) waits = waits || t.name == "waits";
  CHECK(waits);
  const fs::path dir = scratch("csv");
  sheets::write_tables_csv(tables, dir.string());
  for (const auto& t : tables) CHECK(fs::exists(dir / (t.name + ".csv")));
  const fs::path x = scratch("results.xlsx");
  sheets::write_tables_xlsx(tables, x.string());
  const auto wb = sheets::read_xlsx(x.string());
  REQUIRE(wb.sheets.size() == tables.size());
  CHECK(wb.sheets[1].at(1, 1).text == "figure");
}

TEST_CASE("the workbook's columns are the field table's, and every field survives it", "[sheets][fields]") {
  const fs::path every = fs::path(CAREFLOW_SOURCE_DIR) / "tests/data/scenarios/every_field.yaml";
  const models::Scenario a = models::load_scenario(every.string());
  const fs::path x = scratch("every_field.xlsx");
  sheets::write_scenario_workbook(a, x.string());
  const models::Scenario b = sheets::load_scenario_workbook(x.string());
  std::string why;
  const bool equal = same(YAML::Load(a.source_text), YAML::Load(b.source_text), "", why);
  INFO(why);
  CHECK(equal);

  // Each sheet's headers (the options sheet's field names) are what the table places there.
  const auto wb = sheets::read_xlsx(x.string());
  std::map<std::string, std::vector<std::string>> expected;
  for (const models::ScenarioField& f : models::kScenarioFields) {
    if (f.sheet.empty()) continue;
    const std::string sheet(f.sheet);
    std::string below = sheet == "options" ? "" : sheet == "pathways" ? "services[].routes[]." : sheet + "[].";
    if (!f.path.starts_with(below)) continue;  // a list's own row, naming the sheet of its items
    std::string header = f.column.empty() ? std::string(f.path.substr(below.size())) : std::string(f.column);
    std::size_t start = 0;
    while (true) {
      const auto comma = header.find(',', start);
      expected[sheet].push_back(header.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  expected["pathways"].insert(expected["pathways"].begin(), {"service", "rule"});  // the layout's own columns
  expected["transforms"].insert(expected["transforms"].end(), {"parameter", "value"});
  for (const auto& [name, headers] : expected) {
    INFO("sheet " << name);
    const sheets::Sheet* sheet = wb.find(name);
    REQUIRE(sheet);
    std::vector<std::string> found;
    if (name == "options")
      for (int r = 2; r <= sheet->rows; ++r) found.push_back(sheet->at(r, 1).text);
    else
      for (int c = 1; c <= sheet->columns; ++c) found.push_back(sheet->at(1, c).text);
    CHECK(found == headers);
  }
}

TEST_CASE("a workbook takes changes by path, and errors in them name the change", "[sheets][paths]") {
  const models::Scenario a = models::load_scenario((fs::path(CAREFLOW_SOURCE_DIR) / "scenarios/examples/jackson.yaml").string());
  const fs::path x = scratch("changes.xlsx");
  sheets::write_scenario_workbook(a, x.string());
  const models::Scenario b =
      sheets::load_any_scenario(x.string(), {{"services[intake].capacity", "3", models::SourceRef{"--set", 0, "services[intake].capacity"}}});
  CHECK(b.services[0].capacity == 3);
  CHECK(b.name == a.name + " [services[intake].capacity=3]");
  try {
    sheets::load_any_scenario(x.string(), {{"services[intake].capacity", "many", models::SourceRef{"--set", 0, "services[intake].capacity"}}});
    FAIL("a wrong value was accepted");
  } catch (const models::ScenarioError& e) {
    CHECK(std::string(e.what()) == "--set: services[intake].capacity: expected a whole number from 1 to 10000000, found 'many'");
  }
}
