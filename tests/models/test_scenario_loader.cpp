#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "careflow/models/scenario.hpp"
#include "careflow/models/scenario_loader.hpp"

using namespace careflow;
using namespace careflow::models;
namespace fs = std::filesystem;

namespace {

// Located from this source file, so the tests run from any working directory.
const fs::path kData = fs::path(__FILE__).parent_path() / ".." / "data" / "scenarios";
const fs::path kExamples = fs::path(__FILE__).parent_path() / ".." / ".." / "scenarios" / "examples";

std::string data(const std::string& name) { return (kData / name).lexically_normal().string(); }
std::string example(const std::string& name) { return (kExamples / name).lexically_normal().string(); }

// A valid scenario; the bad-input tests change one line and expect the error on that line.
// Arrivals 65000 x 20 / 1000 / 365.25 = 3.56/day: front door 3.56 x 3 / 20 = 0.53,
// assessment 3.56 x (0.4 + 0.6 x 0.3) x 10 / 30 = 0.69.
const std::vector<std::string> kValid = {
    /*  1 */ "careflow: 1",
    /*  2 */ "name: test",
    /*  3 */ "run: {horizon_years: 5, warmup_years: 1, replications: 2, seed: 7}",
    /*  4 */ "agencies:",
    /*  5 */ "  - {name: council, budget_per_year: 1.0e6}",
    /*  6 */ "cohorts:",
    /*  7 */ "  - name: children",
    /*  8 */ "    population: 65000",
    /*  9 */ "    age: [0, 18]",
    /* 10 */ "    episodes_per_1000_per_year: 20",
    /* 11 */ "    entry: front_door",
    /* 12 */ "    need_mix: {additional: 0.6, complex: 0.4}",
    /* 13 */ "services:",
    /* 14 */ "  - name: front_door",
    /* 15 */ "    tier: mainstream",
    /* 16 */ "    agency: council",
    /* 17 */ "    capacity: 20",
    /* 18 */ "    duration: {exponential: {mean: 3}}",
    /* 19 */ "    routes:",
    /* 20 */ "      - when: {need: [complex]}",
    /* 21 */ "        to: {assessment: 1}",
    /* 22 */ "      - to: {assessment: 0.3, exit: 0.7}",
    /* 23 */ "  - name: assessment",
    /* 24 */ "    tier: specialist",
    /* 25 */ "    kind: assessment",
    /* 26 */ "    agency: council",
    /* 27 */ "    capacity: 30",
    /* 28 */ "    duration: 10",
    /* 29 */ "    routes:",
    /* 30 */ "      - to: {exit: 1}",
};

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

/// kValid with line `line` (1-based) replaced.
std::string with_line(int line, const std::string& text) {
  auto lines = kValid;
  lines.at(static_cast<std::size_t>(line - 1)) = text;
  return join_lines(lines);
}

/// kValid with extra lines appended.
std::string with_extra(const std::vector<std::string>& extra) {
  auto lines = kValid;
  lines.insert(lines.end(), extra.begin(), extra.end());
  return join_lines(lines);
}

/// Parses `text` as bad.yaml and requires a ScenarioError at that line and field whose
/// message contains `message`.
void expect_error(const std::string& text, int line, const std::string& field, const std::string& message) {
  INFO(text);
  try {
    parse_scenario(text, "bad.yaml");
    FAIL("no error thrown");
  } catch (const ScenarioError& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK(e.where().file == "bad.yaml");
    CHECK(e.where().line == line);
    CHECK(e.where().field == field);
    CHECK(what.find("bad.yaml:" + std::to_string(line) + ": " + (field.empty() ? "" : field + ": ")) == 0);
    CHECK(what.find(message) != std::string::npos);
  }
}

/// load_scenario(path) must throw; returns the error for further checks.
ScenarioError load_error(const std::string& path) {
  try {
    load_scenario(path);
  } catch (const ScenarioError& e) {
    return e;
  }
  FAIL("no error loading " << path);
  return ScenarioError({}, "");
}

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("ScenarioError reads FILE:LINE: FIELD: MESSAGE", "[models][scenario]") {
  CHECK(std::string(ScenarioError({"a.yaml", 12, "services[x].capacity"}, "expected 1").what()) ==
        "a.yaml:12: services[x].capacity: expected 1");
  CHECK(std::string(ScenarioError({"a.yaml", 0, "name"}, "missing").what()) == "a.yaml: name: missing");
  CHECK(std::string(ScenarioError({"", 0, "services[x]"}, "bad").what()) == "services[x]: bad");
  CHECK(std::string(ScenarioError({"a.yaml", 3, ""}, "syntax").what()) == "a.yaml:3: syntax");
  CHECK(std::string(ScenarioError({}, "plain").what()) == "plain");
}

TEST_CASE("the template scenario is valid", "[models][scenario]") {
  const Scenario s = parse_scenario(join_lines(kValid), "ok.yaml");
  CHECK(s.name == "test");
  CHECK(s.source_file == "ok.yaml");
  REQUIRE(s.services.size() == 2);
  CHECK(s.services[0].routes.size() == 2);
  CHECK(s.services[0].routes[0].when.need_levels == std::vector<int>{2});
  CHECK(s.services[0].routes[1].to[0].service == 1);
  CHECK(s.services[0].routes[1].to[1].service == kExit);
  CHECK(s.services[0].source.line == 14);
  CHECK(s.cohorts[0].need_weights == std::vector<double>{0, 0.6, 0.4, 0});
  CHECK(s.services[1].kind == ServiceKind::Assessment);
  CHECK(s.services[1].duration.mean() == 10.0);
  CHECK(s.agencies[0].annual_budget == 1.0e6);
  CHECK(s.seed == 7);
  CHECK(validate_scenario(s).empty());
  // The re-emitted text reads back to the same scenario.
  const Scenario again = parse_scenario(s.source_text, "again.yaml");
  CHECK(again.services[0].routes[1].to[0].probability == Approx(0.3));
  CHECK(again.cohorts[0].need_weights == s.cohorts[0].need_weights);
}

TEST_CASE("the examples load and validate", "[models][scenario]") {
  for (const char* name : {"mm1.yaml", "mmc.yaml", "jackson.yaml", "erlang_a.yaml"}) {
    INFO(name);
    const Scenario s = load_scenario(example(name));
    CHECK(validate_scenario(s).empty());
    CHECK(s.source_file == example(name));
    CHECK_FALSE(s.source_text.empty());
  }
  const auto mm1 = traffic_equations(load_scenario(example("mm1.yaml")));
  CHECK(mm1[0].arrivals_per_day == Approx(0.8));
  CHECK(mm1[0].utilisation == Approx(0.8));
  const auto mmc = traffic_equations(load_scenario(example("mmc.yaml")));
  CHECK(mmc[0].arrivals_per_day == Approx(4.0));
  CHECK(mmc[0].utilisation == Approx(0.8));
}

TEST_CASE("traffic equations on the Jackson example equal the analytic solution", "[models][scenario]") {
  const Scenario s = load_scenario(example("jackson.yaml"));
  const auto loads = traffic_equations(s);
  REQUIRE(loads.size() == 3);
  // lambda_intake = 0.9 + 0.2 lambda_review, lambda_review = 0.5 lambda_intake, specialist = 0.3 lambda_review.
  CHECK(loads[0].arrivals_per_day == Approx(1.0).epsilon(1e-9));
  CHECK(loads[1].arrivals_per_day == Approx(0.5).epsilon(1e-9));
  CHECK(loads[2].arrivals_per_day == Approx(0.15).epsilon(1e-9));
  CHECK(loads[0].offered_load == Approx(1.5));
  CHECK(loads[0].utilisation == Approx(0.75));
  CHECK(loads[1].utilisation == Approx(0.5));
  CHECK(loads[2].utilisation == Approx(0.3));

  SECTION("integrated assessment redirects referrals") {
    Scenario t = s;
    t.integrated_assessment = true;
    t.services[1].integrated_into = 2;  // review's referrals go to specialist
    const auto l = traffic_equations(t);
    CHECK(l[1].arrivals_per_day == 0.0);
    CHECK(l[0].arrivals_per_day == Approx(0.9));
    CHECK(l[2].arrivals_per_day == Approx(0.45));
  }
  SECTION("conditions are matched by need level") {
    const Scenario t = parse_scenario(join_lines(kValid), "ok.yaml");
    const auto l = traffic_equations(t);
    const double a = 65000 * 20 / 1000.0 / 365.25;
    CHECK(l[0].arrivals_per_day == Approx(a));
    CHECK(l[1].arrivals_per_day == Approx(a * (0.4 + 0.6 * 0.3)));
  }
}

TEST_CASE("an overloaded service gives a warning", "[models][scenario]") {
  Scenario s = load_scenario(example("jackson.yaml"));
  s.services[0].capacity = 1;  // intake: 1/day x 1.5 days on one place
  const auto warnings = validate_scenario(s);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].where.field == "services[intake]");
  CHECK(warnings[0].where.line > 0);
  CHECK(contains(warnings[0].message, "service 'intake' is expected to be overloaded: utilisation 1.5"));
  CHECK(contains(warnings[0].message, "arrivals 1/day"));
  CHECK(contains(warnings[0].message, "mean 1.5 days / 1 places"));
}

TEST_CASE("pathway checks: unreachable services and loops without exit", "[models][scenario]") {
  SECTION("a service no one can reach, from a file") {
    expect_error(with_extra({"  - name: orphan", "    tier: specialist", "    agency: council", "    capacity: 1",
                             "    duration: 5"}),
                 31, "services[orphan]", "service 'orphan' cannot be reached from any cohort's entry");
  }
  SECTION("a loop with no exit, from a file") {
    auto lines = kValid;
    lines[29] = "      - to: {front_door: 1}";  // assessment back to the front door...
    lines[21] = "      - to: {assessment: 1}";  // ...and the front door only to assessment
    try {
      parse_scenario(join_lines(lines), "loop.yaml");
      FAIL("no error");
    } catch (const ScenarioError& e) {
      INFO(e.what());
      CHECK(contains(e.what(), "is in a loop with no exit"));
      CHECK(contains(e.what(), "'front_door' -> 'assessment' -> 'front_door'"));
      CHECK(e.where().line == 14);
      CHECK(e.where().field == "services[front_door].routes");
    }
  }
  SECTION("a scenario built in code") {
    Scenario s = load_scenario(example("jackson.yaml"));
    Scenario loop = s;  // intake -> review -> intake | specialist -> review: no way out
    loop.services[0].routes = {RouteRule{{}, {RouteTarget{1, 1.0}}, {}}};
    loop.services[1].routes = {RouteRule{{}, {RouteTarget{0, 0.5}, RouteTarget{2, 0.5}}, {}}};
    loop.services[2].routes = {RouteRule{{}, {RouteTarget{1, 1.0}}, {}}};
    CHECK_THROWS_WITH(validate_scenario(loop), Catch::Contains("service 'intake' is in a loop with no exit"));
    // Leaving by impatience is a way out: the loop is then legal, but flagged as overloaded.
    loop.services[0].patience = Distribution::deterministic(30);
    const auto warnings = validate_scenario(loop);
    CHECK_FALSE(warnings.empty());
    Scenario orphan = s;
    orphan.services[1].routes = {RouteRule{{}, {RouteTarget{kExit, 1.0}}, {}}};
    orphan.services[0].routes = {RouteRule{{}, {RouteTarget{kExit, 1.0}}, {}}};
    CHECK_THROWS_WITH(validate_scenario(orphan), Catch::Contains("service 'review' cannot be reached"));
    Scenario bad = s;
    bad.services[2].capacity = 0;
    CHECK_THROWS_WITH(validate_scenario(bad), Catch::Contains("services[specialist].capacity"));
    bad = s;
    bad.cohorts[0].need_weights = {0.5, 0.2, 0, 0};
    CHECK_THROWS_WITH(validate_scenario(bad), Catch::Contains("sum to 1"));
    bad = s;
    bad.warmup_years = bad.horizon_years;
    CHECK_THROWS_WITH(validate_scenario(bad), Catch::Contains("run.warmup_years"));
    bad = s;
    bad.services[0].routes[0].to[0].service = 7;
    CHECK_THROWS_AS(validate_scenario(bad), ScenarioError);
  }
}

TEST_CASE("bad input names the file, line and field", "[models][scenario][errors]") {
  SECTION("YAML syntax error") {
    // The field comes from the indentation of the raw text: there is no tree yet.
    expect_error(with_line(16, "    agency: council: x"), 16, "services[front_door].agency", "YAML syntax error");
  }
  SECTION("duplicate key") { expect_error(with_line(10, "    population: 5"), 10, "cohorts[0].population", "appears twice"); }
  SECTION("missing format version") { expect_error(with_line(1, "description: x"), 1, "careflow", "missing required field 'careflow'"); }
  SECTION("unsupported format version") {
    expect_error(with_line(1, "careflow: 2"), 1, "careflow", "unsupported format version 2; this careflow reads version 1");
  }
  SECTION("misspelt key with a suggestion") {
    expect_error(with_line(17, "    capcity: 20"), 17, "services[front_door].capcity",
                 "unknown field 'capcity'; did you mean 'capacity'?");
  }
  SECTION("misspelt top-level key") {
    expect_error(with_line(3, "rnu: {horizon_years: 5}"), 3, "rnu", "did you mean 'run'?");
  }
  SECTION("wrong type: text for a number") {
    expect_error(with_line(8, "    population: ten"), 8, "cohorts[children].population", "expected a number, found 'ten'");
  }
  SECTION("wrong type: a list for a number") {
    expect_error(with_line(10, "    episodes_per_1000_per_year: [1, 2]"), 10, "cohorts[children].episodes_per_1000_per_year",
                 "expected a number, found the list [1, 2]");
  }
  SECTION("a unit written into a value") {
    expect_error(with_line(28, "    duration: 10 days"), 28, "services[assessment].duration", "the unit is given by the field name");
  }
  SECTION("missing required field") {
    expect_error(with_line(15, "    kind: service"), 14, "services[front_door].tier", "missing required field 'tier'");
  }
  SECTION("missing name") { expect_error(with_line(23, "  - nme: assessment"), 23, "services[1].name", "missing required field 'name'"); }
  SECTION("negative capacity") {
    expect_error(with_line(17, "    capacity: -2"), 17, "services[front_door].capacity",
                 "expected a whole number from 1 to 10000000, found '-2'");
  }
  SECTION("zero capacity") {
    expect_error(with_line(27, "    capacity: 0"), 27, "services[assessment].capacity", "found '0'");
  }
  SECTION("fractional capacity") {
    expect_error(with_line(27, "    capacity: 2.5"), 27, "services[assessment].capacity", "whole number");
  }
  SECTION("negative duration") {
    expect_error(with_line(18, "    duration: {exponential: {mean: -3}}"), 18, "services[front_door].duration",
                 "invalid distribution: exponential: mean must be > 0");
  }
  SECTION("zero duration") {
    expect_error(with_line(28, "    duration: 0"), 28, "services[assessment].duration", "mean above 0 days");
  }
  SECTION("a normal duration that is often negative") {
    expect_error(with_line(28, "    duration: {normal: {mean: 5, sd: 2}}"), 28, "services[assessment].duration",
                 "a duration cannot be negative");
  }
  SECTION("unknown distribution") {
    expect_error(with_line(18, "    duration: {exponental: {mean: 3}}"), 18, "services[front_door].duration.exponental",
                 "did you mean 'exponential'?");
  }
  SECTION("misspelt unit") {
    expect_error(with_line(18, "    duration: {exponential: {mean: 3, unit: wekes}}"), 18,
                 "services[front_door].duration.exponential.unit", "did you mean 'weeks'?");
  }
  SECTION("unknown service name") {
    expect_error(with_line(11, "    entry: frnt_door"), 11, "cohorts[children].entry",
                 "unknown service 'frnt_door'; did you mean 'front_door'?");
  }
  SECTION("unknown route target") {
    expect_error(with_line(22, "      - to: {asessment: 0.3, exit: 0.7}"), 22, "services[front_door].routes[1].to.asessment",
                 "unknown service 'asessment'; did you mean 'assessment'?");
  }
  SECTION("unknown agency") {
    expect_error(with_line(16, "    agency: counsil"), 16, "services[front_door].agency", "unknown agency 'counsil'");
  }
  SECTION("unknown need level") {
    expect_error(with_line(12, "    need_mix: {additonal: 0.6, complex: 0.4}"), 12, "cohorts[children].need_mix.additonal",
                 "unknown need level 'additonal'; did you mean 'additional'?");
  }
  SECTION("unknown cohort in a condition") {
    expect_error(with_line(20, "      - when: {need: [complex], cohort: [adults]}"), 20,
                 "services[front_door].routes[0].when.cohort[0]", "unknown cohort 'adults'");
  }
  SECTION("probability above 1") {
    expect_error(with_line(21, "        to: {assessment: 1.5}"), 21, "services[front_door].routes[0].to.assessment",
                 "expected a probability between 0 and 1, found '1.5'");
  }
  SECTION("route probabilities that do not sum to 1") {
    expect_error(with_line(22, "      - to: {assessment: 0.3, exit: 0.6}"), 22, "services[front_door].routes[1].to",
                 "must sum to 1, found a sum of 0.9");
  }
  SECTION("need mix that does not sum to 1") {
    expect_error(with_line(12, "    need_mix: {additional: 0.6, complex: 0.3}"), 12, "cohorts[children].need_mix",
                 "must sum to 1, found a sum of 0.9");
  }
  SECTION("negative budget") {
    expect_error(with_line(5, "  - {name: council, budget_per_year: -5}"), 5, "agencies[council].budget_per_year",
                 "a budget cannot be negative");
  }
  SECTION("absurd population") {
    expect_error(with_line(8, "    population: 2e9"), 8, "cohorts[children].population", "implausible");
  }
  SECTION("absurd horizon") {
    expect_error(with_line(3, "run: {horizon_years: 500}"), 3, "run.horizon_years", "at most 200 years");
  }
  SECTION("warm-up as long as the horizon") {
    expect_error(with_line(3, "run: {horizon_years: 5, warmup_years: 5}"), 3, "run.warmup_years", "must be shorter than the horizon");
  }
  SECTION("duplicate service name") {
    expect_error(with_line(23, "  - name: front_door"), 23, "services[front_door].name", "duplicate service name 'front_door'");
  }
  SECTION("'exit' as a service name") {
    auto lines = kValid;
    lines[22] = "  - name: exit";
    lines[20] = "        to: {front_door: 0, exit: 1}";
    lines[21] = "      - to: {exit: 1}";
    expect_error(join_lines(lines), 23, "services[exit].name", "reserved");
  }
  SECTION("bad enum value") {
    expect_error(with_line(15, "    tier: specalist"), 15, "services[front_door].tier", "did you mean 'specialist'?");
  }
  SECTION("bad boolean") {
    expect_error(with_extra({"governance: {integrated_assessment: maybe}"}), 31, "governance.integrated_assessment",
                 "expected true or false, found 'maybe'");
  }
  SECTION("lead commissioning without a lead agency") {
    expect_error(with_extra({"governance: {budget_mode: lead}"}), 31, "governance.lead_agency", "missing required field 'lead_agency'");
  }
  SECTION("age range upside down") {
    expect_error(with_line(9, "    age: [18, 0]"), 9, "cohorts[children].age", "min < max");
  }
  SECTION("a text for a map") {
    expect_error(with_line(3, "run: soon"), 3, "run", "expected a map of fields, found 'soon'");
  }
  SECTION("the top level is a list") { expect_error("- careflow: 1\n", 1, "", "expected a scenario"); }
  SECTION("capacity schedule out of order") {
    expect_error(with_extra({"    capacity_schedule: [{at_days: 100, capacity: 3}, {at_years: 0.1, capacity: 4}]"}), 31,
                 "services[assessment].capacity_schedule[1]", "increasing time order");
  }
}

TEST_CASE("bad files are refused with their name", "[models][scenario][errors]") {
  SECTION("missing file") {
    const auto e = load_error(data("no_such_file.yaml"));
    CHECK(contains(e.what(), "no_such_file.yaml"));
    CHECK(contains(e.what(), "no such file"));
  }
  SECTION("a directory") {
    const auto e = load_error(kData.lexically_normal().string());
    CHECK(contains(e.what(), "is a directory"));
  }
  SECTION("an empty file") {
    const auto e = load_error(data("empty.yaml"));
    CHECK(e.where().file == data("empty.yaml"));
    CHECK(e.where().line == 1);
    CHECK(contains(e.what(), "expected a scenario starting with 'careflow: 1'"));
  }
  SECTION("empty text") { CHECK_THROWS_WITH(parse_scenario("", "blank.yaml"), Catch::StartsWith("blank.yaml:1: careflow: the file is empty")); }
  SECTION("non-UTF-8 bytes") {
    const auto e = load_error(data("binary.yaml"));
    CHECK(e.where().line == 3);
    CHECK(contains(e.what(), "binary.yaml:3: description: not valid UTF-8: byte 0xE9 at column 18"));
  }
  SECTION("binary junk") {
    CHECK_THROWS_WITH(parse_scenario(std::string("careflow: 1\n\x01\x02\x00junk", 17), "junk.yaml"),
                      Catch::StartsWith("junk.yaml:2: unexpected control character 0x01 at column 1"));
  }
}

TEST_CASE("extend merges a base by name", "[models][scenario][extend]") {
  const Scenario s = load_scenario(data("derived.yaml"));
  CHECK(s.name == "derived");
  CHECK(s.source_file == data("derived.yaml"));
  REQUIRE(s.services.size() == 3);
  const Scenario base = load_scenario(data("base.yaml"));

  // A field of a service overridden by name; its other fields kept from the base.
  const ServiceSpec& assessment = s.services[1];
  CHECK(assessment.name == "assessment");
  CHECK(assessment.capacity == 45);
  CHECK(assessment.kind == ServiceKind::Assessment);
  CHECK(assessment.duration.mean() == Approx(10));
  CHECK(assessment.cost.per_day == 55);       // nested map merged field by field...
  CHECK(assessment.cost.per_episode == 250);  // ...keeping what the base set
  CHECK(assessment.source.file == data("base.yaml"));

  // Routes are a list without names: replaced whole.
  const ServiceSpec& front = s.services[0];
  REQUIRE(front.routes.size() == 1);
  REQUIRE(front.routes[0].to.size() == 3);
  CHECK(front.routes[0].to[1].service == 2);
  CHECK(front.routes[0].source.file == data("derived.yaml"));
  CHECK(front.capacity == base.services[0].capacity);

  // A new service appended, with its own units.
  CHECK(s.services[2].name == "early_help");
  CHECK(s.services[2].agency == 1);
  CHECK(s.services[2].duration.mean() == Approx(14));
  CHECK(s.services[2].source.file == data("derived.yaml"));

  // A distribution is replaced, not merged key by key; the other hand-off kept.
  CHECK(s.handoff_across.kind() == Distribution::Kind::Deterministic);
  CHECK(s.handoff_across.mean() == 2);
  CHECK(s.handoff_within.mean() == 1);
  CHECK(s.horizon_years == 5);

  // The merged text is stored, without `extend`, and reads back to the same scenario.
  CHECK_FALSE(contains(s.source_text, "extend"));
  CHECK(contains(s.source_text, "early_help"));
  const Scenario again = parse_scenario(s.source_text, "merged.yaml");
  CHECK(again.services.size() == 3);
  CHECK(again.services[1].capacity == 45);
  CHECK(again.services[1].cost.per_episode == 250);
}

TEST_CASE("extend errors name the file and line", "[models][scenario][extend][errors]") {
  SECTION("an override with a bad value names the extending file") {
    const auto e = load_error(data("derived_bad.yaml"));
    CHECK(e.where().file == data("derived_bad.yaml"));
    CHECK(e.where().line == 6);
    CHECK(e.where().field == "services[assessment].capacity");
  }
  SECTION("a bad value from the base names the base file") {
    const auto e = load_error(data("extends_bad_base.yaml"));
    CHECK(e.where().file == data("bad_base.yaml"));
    CHECK(e.where().line == 12);
    CHECK(e.where().field == "services[advice].capacity");
    CHECK(contains(e.what(), "found 'ten'"));
  }
  SECTION("a cycle of two files") {
    const auto e = load_error(data("cycle_a.yaml"));
    CHECK(contains(e.what(), "'extend' makes a cycle"));
    CHECK(contains(e.what(), "cycle_a.yaml -> "));
    CHECK(e.where().line == 2);
    CHECK(e.where().field == "extend");
  }
  SECTION("a file extending itself") {
    const auto e = load_error(data("self_extend.yaml"));
    CHECK(e.where().file == data("self_extend.yaml"));
    CHECK(e.where().line == 2);
    CHECK(contains(e.what(), "cycle"));
  }
  SECTION("a missing base") {
    const auto e = load_error(data("extend_missing.yaml"));
    CHECK(e.where().file == data("extend_missing.yaml"));
    CHECK(e.where().line == 3);
    CHECK(e.where().field == "extend");
    CHECK(contains(e.what(), "no_such_base.yaml': no such file"));
  }
}

TEST_CASE("distributions convert their units to days", "[models][scenario][distribution]") {
  auto mean_of = [](const std::string& duration) {
    const Scenario s = parse_scenario(with_line(28, "    duration: " + duration), "units.yaml");
    return s.services[1].duration.mean();
  };
  CHECK(mean_of("7") == 7);
  CHECK(mean_of("{deterministic: 3}") == 3);
  CHECK(mean_of("{deterministic: {value: 2, unit: weeks}}") == Approx(14));
  CHECK(mean_of("{exponential: {mean: 2, unit: weeks}}") == Approx(14));
  CHECK(mean_of("{exponential: {mean: 2, unit: days}}") == Approx(2));
  CHECK(mean_of("{uniform: {min: 1, max: 3, unit: months}}") == Approx(2 * 30.4375));
  CHECK(mean_of("{gamma: {shape: 2, scale: 0.5, unit: years}}") == Approx(365.25));
  CHECK(mean_of("{lognormal: {mean: 3, sd: 1, unit: weeks}}") == Approx(21));
  CHECK(mean_of("{normal: {mean: 10, sd: 2}}") == Approx(10));
  CHECK(mean_of("{weibull: {shape: 1, scale: 4}}") == Approx(4));
  CHECK(mean_of("{triangular: {min: 1, mode: 2, max: 6}}") == Approx(3));
  CHECK(mean_of("{discrete: {values: [1, 3], weights: [1, 1], unit: weeks}}") == Approx(14));
  CHECK(mean_of("{empirical: [1, 2, 3]}") == Approx(2));
  CHECK(mean_of("{empirical: {values: [1, 2, 3], unit: months}}") == Approx(2 * 30.4375));

  const Scenario s = parse_scenario(with_line(28, "    duration: {lognormal: {mean: 3, sd: 1, unit: weeks}}"), "u.yaml");
  CHECK(std::sqrt(s.services[1].duration.variance()) == Approx(7));

  expect_error(with_line(28, "    duration: {discrete: {values: [1, 3], weights: [1]}}"), 28,
               "services[assessment].duration.discrete.weights", "expected one weight per value");
  expect_error(with_line(28, "    duration: {exponential: {mean: 3}, uniform: {min: 1, max: 2}}"), 28,
               "services[assessment].duration", "one key naming its kind");
  expect_error(with_line(28, "    duration: {gamma: {shape: 2}}"), 28, "services[assessment].duration.gamma.scale",
               "missing required field 'scale'");
  expect_error(with_line(28, "    duration: {uniform: {min: 4, max: 1}}"), 28, "services[assessment].duration",
               "invalid distribution: uniform: need min <= max");
}

namespace {

/// kValid with `changes` applied by path, as `careflow run --set` does.
Scenario changed(const std::vector<std::pair<std::string, std::string>>& changes, bool name_after = false) {
  ScenarioSource source{join_lines(kValid), "base.yaml", ".", {}, name_after};
  for (const auto& [path, value] : changes) source.changes.push_back({path, value, SourceRef{"--set", 0, path}});
  return parse_scenario(source);
}

std::string change_error(const std::string& path, const std::string& value = "1") {
  try {
    changed({{path, value}});
  } catch (const ScenarioError& e) {
    return e.what();
  }
  FAIL("no error for " << path);
  return "";
}

}  // namespace

TEST_CASE("changes by path set fields of the merged tree", "[models][scenario][paths]") {
  const Scenario s = changed({{"services[front_door].capacity", "25"},
                              {"run.seed", "9"},
                              {"economics.discount_rate", "0.05"},  // a section the file does not give
                              {"services[front_door].duration.exponential.mean", "4"},  // inside a distribution
                              {"services[front_door].routes[1].to", "{assessment: 0.5, exit: 0.5}"},
                              {"cohorts[children].age[1]", "17"},
                              {"cohorts[children].need_mix.complex", "0.4"}},
                             true);
  CHECK(s.services[0].capacity == 25);
  CHECK(s.seed == 9);
  CHECK(s.discount_rate == 0.05);
  CHECK(s.services[0].duration.mean() == 4);
  CHECK(s.services[0].routes[1].to[0].probability == 0.5);
  CHECK(s.cohorts[0].max_age == 17);
  CHECK(s.name.find("test [services[front_door].capacity=25, run.seed=9") == 0);
  // A changed value's errors name the change; the others keep the file and line they were written on.
  try {
    changed({{"services[front_door].capacity", "25"}, {"cohorts[children].entry", "nowhere"}});
    FAIL("an unknown entry was accepted");
  } catch (const ScenarioError& e) {
    CHECK(std::string(e.what()) == "--set: cohorts[children].entry: unknown service 'nowhere'; expected one of: assessment, front_door");
  }
  ScenarioSource bad{with_line(27, "    capacity: 0"), "base.yaml", ".", {{"run.seed", "3", SourceRef{"--set", 0, "run.seed"}}}, false};
  CHECK_THROWS_WITH(parse_scenario(bad), Catch::StartsWith("base.yaml:27: services[assessment].capacity: expected a whole number"));
  try {
    changed({{"services[front_door].routes[0].to", "{assessment: 0.5}"}});
    FAIL("probabilities summing to 0.5 were accepted");
  } catch (const ScenarioError& e) {
    CHECK(e.where().file == "--set");
    CHECK(contains(e.what(), "must sum to 1"));
  }
}

TEST_CASE("a path that names nothing the scenario has is refused with the nearest name", "[models][scenario][paths][errors]") {
  CHECK(change_error("services[frontdoor].capacity") ==
        "--set: services[frontdoor].capacity: no item called 'frontdoor' in 'services'; did you mean 'front_door'?");
  CHECK(change_error("services[nowhere].capacity") ==
        "--set: services[nowhere].capacity: no item called 'nowhere' in 'services' (there are: front_door, assessment)");
  CHECK(change_error("services[front_door].capcity") ==
        "--set: services[front_door].capcity: no field 'capcity' in 'services[front_door]'; did you mean 'capacity'?");
  CHECK(change_error("services[front_door]") ==
        "--set: services[front_door]: the path names an item of 'services', not a value; name one of its fields, e.g. "
        "services[front_door].tier");
  CHECK(change_error("services") ==
        "--set: services: 'services' is a list of named items; name one and a field: services[NAME].FIELD");
  CHECK(change_error("run") ==
        "--set: run: 'run' is a section, not a value; name one of its fields: horizon_years, warmup_years, replications, seed, "
        "tracked_people");
  CHECK(change_error("horizon_years") == "--set: horizon_years: no top-level field 'horizon_years'; it belongs under 'run': run.horizon_years");
  CHECK(change_error("capacity") ==
        "--set: capacity: no top-level field 'capacity'; it belongs to the items of 'services': services[NAME].capacity");
  CHECK(change_error("pools[joint].budget_per_year") ==
        "--set: pools[joint].budget_per_year: no item called 'joint' in 'pools': the scenario has none");
  CHECK(change_error("services[front_door].routes[2].to") ==
        "--set: services[front_door].routes[2].to: no item [2] in 'services[front_door].routes'; it has 2 items, [0] to [1]");
  CHECK(contains(change_error("services[front_door].duration.lognormal.mean"),
                 "no field 'lognormal' in 'services[front_door].duration', which holds the map {exponential: {mean: 3}}"));
  CHECK(change_error("careflow", "2") ==
        "--set: careflow: 'careflow' is a field of the file, not of the scenario; it cannot be changed by a path");
  CHECK(change_error("services[front_door].capacity", "[1, 2") .find("--set: services[front_door].capacity: cannot read '[1, 2' as a value") == 0);
  CHECK(change_error("services..capacity") ==
        "--set: services..capacity: empty segment in the path (write e.g. services[early_help].capacity)");
  CHECK(change_error("services[].capacity") == "--set: services[].capacity: empty name in 'services[]'");
  // A transform's parameters come from its schema.
  ScenarioSource source{with_extra({"transforms:", "  - {name: winter_surge, amplitude: 0.1}"}), "t.yaml", ".", {}, false};
  source.changes = {{"transforms[winter_surge].amplitude", "0.3", SourceRef{"--set", 0, "transforms[winter_surge].amplitude"}}};
  CHECK(parse_scenario(source).transforms[0].numbers.at("amplitude") == 0.3);
  source.changes = {{"transforms[winter_surge].amplitud", "0.3", SourceRef{"--set", 0, "transforms[winter_surge].amplitud"}}};
  CHECK_THROWS_WITH(parse_scenario(source), Catch::Contains("no parameter 'amplitud' of winter_surge; did you mean 'amplitude'?"));
}
