// Sweeps: points built from field paths, results independent of threads, resume from a journal.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "careflow/models/sweep.hpp"

using namespace careflow::models;
namespace fs = std::filesystem;

namespace {

std::string example(const std::string& name) {
  return (fs::path(__FILE__).parent_path() / "../../scenarios" / name).string();
}

SweepSpec jackson_sweep() {
  SweepSpec s;
  s.base_file = example("examples/jackson.yaml");
  s.parameters = {{"services[intake].capacity", {"2", "3"}}, {"run.seed", {"1", "7"}}};
  return s;
}

CareRunOptions small(unsigned threads) {
  CareRunOptions o;
  o.replications = 3;
  o.horizon_years = 3;
  o.threads = threads;
  return o;
}

void same(const SweepResult& a, const SweepResult& b) {
  REQUIRE(a.points.size() == b.points.size());
  for (std::size_t p = 0; p < a.points.size(); ++p)
    for (std::size_t r = 0; r < a.points[p].run.replications.size(); ++r) {
      const auto& x = a.points[p].run.replications[r];
      const auto& y = b.points[p].run.replications[r];
      CHECK(x.fingerprint == y.fingerprint);
      REQUIRE(x.metric_values.size() == y.metric_values.size());
      for (std::size_t m = 0; m < x.metric_values.size(); ++m)
        CHECK(((std::isnan(x.metric_values[m]) && std::isnan(y.metric_values[m])) || x.metric_values[m] == y.metric_values[m]));
    }
}

}  // namespace

TEST_CASE("a grid sweep builds every combination from field paths", "[sweep]") {
  const auto scenarios = sweep_scenarios(jackson_sweep(), small(1));
  REQUIRE(scenarios.size() == 4);
  CHECK(scenarios[0].services[0].capacity == 2);
  CHECK(scenarios[2].services[0].capacity == 3);
  CHECK(scenarios[1].seed == 7);
  CHECK(scenarios[3].name.find("services[intake].capacity=3") != std::string::npos);
  SweepSpec list = jackson_sweep();
  list.grid = false;
  CHECK(sweep_scenarios(list, small(1)).size() == 2);
  list.parameters[1].values.push_back("9");
  CHECK_THROWS_WITH(sweep_scenarios(list, small(1)), Catch::Contains("same number of values"));
  SweepSpec bad = jackson_sweep();
  bad.parameters[0].path = "services[intake].capcity";
  CHECK_THROWS_WITH(sweep_scenarios(bad, small(1)), Catch::Contains("sweep point 0") && Catch::Contains("did you mean 'capacity'"));
}

TEST_CASE("sweep results do not depend on threads, and points share random numbers", "[sweep][determinism]") {
  const SweepResult one = run_sweep(jackson_sweep(), small(1));
  const SweepResult two = run_sweep(jackson_sweep(), small(2));
  same(one, two);
  // Points 0 and 2 differ only in capacity and share the seed: the first arrivals are the same people,
  // so the fingerprints differ but not every figure; points 0 and 1 differ only in the seed.
  CHECK(one.points[0].run.replications[0].fingerprint != one.points[1].run.replications[0].fingerprint);
  CHECK(one.points[0].run.replications[0].fingerprint != one.points[2].run.replications[0].fingerprint);
}

TEST_CASE("an interrupted sweep resumes from its journal without recomputing", "[sweep][resume]") {
  const fs::path journal = fs::temp_directory_path() / "careflow_test_journal";
  fs::remove_all(journal);
  const SweepResult full = run_sweep(jackson_sweep(), small(2), journal.string());
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(journal)) files += e.path().extension() == ".bin";
  CHECK(files == 12);
  // Lose half the journal, as a kill would; the rest must be loaded, not recomputed.
  std::size_t removed = 0;
  for (const auto& e : fs::directory_iterator(journal))
    if (e.path().filename().string().find("_r1") != std::string::npos || e.path().filename().string().rfind("p3", 0) == 0) {
      fs::remove(e.path());
      ++removed;
    }
  std::size_t first_done = 99;
  const SweepResult resumed = run_sweep(jackson_sweep(), small(2), journal.string(), [&](std::size_t done, std::size_t) {
    if (first_done == 99) first_done = done;
  });
  CHECK(first_done == 12 - removed);
  same(full, resumed);
  // A journal of another sweep is refused.
  SweepSpec other = jackson_sweep();
  other.parameters[0].values = {"4", "5"};
  CHECK_THROWS_WITH(run_sweep(other, small(2), journal.string()), Catch::Contains("different sweep"));
  fs::remove_all(journal);
}

TEST_CASE("journal records keep their byte layout, so journals of earlier builds resume", "[sweep][resume]") {
  const fs::path journal = fs::temp_directory_path() / "careflow_test_journal_layout";
  fs::remove_all(journal);
  fs::create_directories(journal);
  const SweepPlan plan = plan_sweep(jackson_sweep(), small(1));
  // Each task's file as earlier builds wrote it: "cfjourn1", the sweep's key, the number of
  // figures, the figures, events, fingerprint (native byte order), written here by hand.
  for (std::size_t t = 0; t < plan.tasks(); ++t) {
    const std::size_t p = t / plan.replications;
    const std::uint64_t r = t % plan.replications;
    std::vector<double> values(plan.ids[p].size());
    for (std::size_t m = 0; m < values.size(); ++m) values[m] = static_cast<double>(1000 * t + m);
    const std::uint64_t n = values.size(), events = 10 + t, fingerprint = 0xABCDEF00ULL + t;
    std::string name = "p";  // appended piecewise: "p" + std::string(...) trips GCC 12's -Wrestrict
    name += std::to_string(p);
    name += "_r";
    name += std::to_string(r);
    name += ".bin";
    std::ofstream out(journal / name, std::ios::binary);
    out.write("cfjourn1", 8);
    out.write(reinterpret_cast<const char*>(&plan.key), sizeof plan.key);
    out.write(reinterpret_cast<const char*>(&n), sizeof n);
    out.write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(n * sizeof(double)));
    out.write(reinterpret_cast<const char*>(&events), sizeof events);
    out.write(reinterpret_cast<const char*>(&fingerprint), sizeof fingerprint);
  }
  std::size_t computed = 0;
  const SweepExecutor nothing_left = [&](const SweepPlan&, const std::vector<std::size_t>& todo, const SweepTaskDone&) {
    computed += todo.size();
  };
  const SweepResult resumed = run_sweep(plan, small(1), journal.string(), {}, nothing_left);
  CHECK(computed == 0);
  for (std::size_t t = 0; t < plan.tasks(); ++t) {
    const auto& rep = resumed.points[t / plan.replications].run.replications[t % plan.replications];
    CHECK(rep.events == 10 + t);
    CHECK(rep.fingerprint == 0xABCDEF00ULL + t);
    REQUIRE(!rep.metric_values.empty());
    CHECK(rep.metric_values.back() == static_cast<double>(1000 * t + rep.metric_values.size() - 1));
  }
  // And a record written now has the same layout.
  fs::remove_all(journal);
  run_sweep(plan, small(1), journal.string(), {});
  const fs::path first = journal / "p0_r0.bin";
  CHECK(fs::file_size(first) == 8 + 8 + 8 + 8 * plan.ids[0].size() + 8 + 8);
  std::ifstream in(first, std::ios::binary);
  char magic[8] = {};
  in.read(magic, 8);
  CHECK(std::string(magic, 8) == "cfjourn1");
  fs::remove_all(journal);
}

TEST_CASE("a sweep executor may compute the tasks in any order, elsewhere, with the same result", "[sweep][executor]") {
  const SweepResult threads = run_sweep(jackson_sweep(), small(2));
  const SweepPlan plan = plan_sweep(jackson_sweep(), small(1));
  REQUIRE(plan.tasks() == 12);
  std::vector<std::size_t> seen;
  // As the MPI executor does: tasks computed out of order and handed back one at a time.
  const SweepExecutor backwards = [&](const SweepPlan& p, const std::vector<std::size_t>& todo, const SweepTaskDone& done) {
    for (auto it = todo.rbegin(); it != todo.rend(); ++it) {
      seen.push_back(*it);
      done(*it, run_sweep_task(p, *it));
    }
  };
  const SweepResult out = run_sweep(plan, small(1), "", {}, backwards);
  CHECK(seen.size() == 12);
  same(threads, out);
  // An executor that leaves a task undone is an error, not a file with a hole.
  const SweepExecutor lazy = [](const SweepPlan&, const std::vector<std::size_t>&, const SweepTaskDone&) {};
  CHECK_THROWS_WITH(run_sweep(plan, small(1), "", {}, lazy), Catch::Contains("never computed"));
}

TEST_CASE("a sweep refuses a path that names no field, a whole item or an item that does not exist", "[sweep][paths]") {
  // `cohorts[customers]=1,2` once ran the unchanged baseline at every point.
  SweepSpec whole = jackson_sweep();
  whole.parameters = {{"cohorts[customers]", {"1", "2"}, SourceRef{"--set", 0, "cohorts[customers]"}}};
  CHECK_THROWS_WITH(sweep_scenarios(whole, small(1)),
                    "--set: cohorts[customers]: the path names an item of 'cohorts', not a value; name one of its fields, "
                    "e.g. cohorts[customers].population");
  SweepSpec missing = jackson_sweep();
  missing.parameters = {{"services[intak].capacity", {"1", "2"}, SourceRef{"--set", 0, "services[intak].capacity"}}};
  CHECK_THROWS_WITH(sweep_scenarios(missing, small(1)),
                    "--set: services[intak].capacity: no item called 'intak' in 'services'; did you mean 'intake'?");
  SweepSpec section = jackson_sweep();
  section.parameters = {{"run", {"1"}, SourceRef{"--set", 0, "run"}}};
  CHECK_THROWS_WITH(sweep_scenarios(section, small(1)), Catch::Contains("'run' is a section, not a value"));
  // A wrong value names the point it belongs to.
  SweepSpec value = jackson_sweep();
  value.parameters[0].values = {"2", "many"};
  CHECK_THROWS_WITH(sweep_scenarios(value, small(1)),
                    Catch::StartsWith("sweep point 2 (services[intake].capacity=many, run.seed=1): services[intake].capacity: "
                                      "expected a whole number"));
}

TEST_CASE("points are every combination, or the i-th values together", "[sweep]") {
  SweepSpec s = jackson_sweep();
  CHECK(sweep_points(s) == std::vector<std::vector<std::size_t>>{{0, 0}, {0, 1}, {1, 0}, {1, 1}});
  s.grid = false;
  CHECK(sweep_points(s) == std::vector<std::vector<std::size_t>>{{0, 0}, {1, 1}});
  s.parameters.clear();
  CHECK_THROWS_AS(sweep_points(s), std::invalid_argument);
}

TEST_CASE("a sweep file's paths are checked where they are written", "[sweep][paths]") {
  const fs::path dir = fs::temp_directory_path() / "careflow_test_sweep_file";
  fs::create_directories(dir);
  const fs::path file = dir / "sweep.yaml";
  {
    std::ofstream out(file);
    out << "scenario: " << example("examples/jackson.yaml") << "\nmode: list\nparameters:\n"
        << "  services[intake].capacity: [2, 3]\n  services[review].capacty: [1, 2]\n";
  }
  const SweepSpec spec = load_sweep_file(file.string());
  REQUIRE(spec.parameters.size() == 2);
  CHECK_FALSE(spec.grid);
  CHECK(spec.parameters[1].origin.line == 5);
  CHECK_THROWS_WITH(sweep_scenarios(spec, small(1)),
                    file.string() + ":5: services[review].capacty: no field 'capacty' in 'services[review]'; did you mean 'capacity'?");
  {
    std::ofstream out(file);
    out << "scenario: x.yaml\nmode: grid\nparameter: {}\n";
  }
  CHECK_THROWS_WITH(load_sweep_file(file.string()), Catch::Contains("unknown field 'parameter'; did you mean 'parameters'?"));
  fs::remove_all(dir);
}
