// Sweeps: points built from field paths, results independent of threads, resume from a journal.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <map>
#include <random>
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
  // A record written now is format 2: "cfjourn2", key, point, replication, the counted
  // figures, events, fingerprint, and the FNV-1a checksum of everything before it.
  fs::remove_all(journal);
  run_sweep(plan, small(1), journal.string(), {});
  const fs::path second = journal / "p1_r2.bin";
  CHECK(fs::file_size(second) == 8 + 8 + 8 + 8 + 8 + 8 * plan.ids[1].size() + 8 + 8 + 8);
  std::ifstream in(second, std::ios::binary);
  const std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  CHECK(std::string(bytes.data(), 8) == "cfjourn2");
  std::uint64_t key = 0, point = 0, rep = 0, sum = 0;
  std::memcpy(&key, bytes.data() + 8, 8);
  std::memcpy(&point, bytes.data() + 16, 8);
  std::memcpy(&rep, bytes.data() + 24, 8);
  std::memcpy(&sum, bytes.data() + bytes.size() - 8, 8);
  CHECK(key == plan.key);
  CHECK(point == 1);
  CHECK(rep == 2);
  std::uint64_t h = 0xCBF29CE484222325ULL;
  for (std::size_t i = 0; i + 8 < bytes.size(); ++i) h = (h ^ static_cast<unsigned char>(bytes[i])) * 0x100000001B3ULL;
  CHECK(sum == h);
  fs::remove_all(journal);
}

namespace {

using Files = std::map<std::string, std::string>;

Files read_journal(const fs::path& dir) {
  Files files;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::ifstream in(e.path(), std::ios::binary);
    files[e.path().filename().string()] = std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return files;
}

void write_journal(const fs::path& dir, const Files& files) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const auto& [name, bytes] : files) std::ofstream(dir / name, std::ios::binary) << bytes;
}

// Every figure, event count and fingerprint equal, bit for bit (NaN included).
bool identical(const SweepResult& a, const SweepResult& b) {
  if (a.points.size() != b.points.size()) return false;
  for (std::size_t p = 0; p < a.points.size(); ++p) {
    const auto& x = a.points[p].run.replications;
    const auto& y = b.points[p].run.replications;
    if (x.size() != y.size()) return false;
    for (std::size_t r = 0; r < x.size(); ++r)
      if (x[r].fingerprint != y[r].fingerprint || x[r].events != y[r].events ||
          x[r].metric_values.size() != y[r].metric_values.size() ||
          std::memcmp(x[r].metric_values.data(), y[r].metric_values.data(), x[r].metric_values.size() * sizeof(double)) != 0)
        return false;
  }
  return true;
}

}  // namespace

TEST_CASE("a damaged journal is recomputed or refused, never trusted: 120 seeded damages", "[sweep][resume][faults]") {
  const fs::path journal = fs::temp_directory_path() / "careflow_test_journal_damage";
  fs::remove_all(journal);
  const SweepResult full = run_sweep(jackson_sweep(), small(2), journal.string());
  const Files pristine = read_journal(journal);
  REQUIRE(pristine.size() == 12);
  // The same tasks' records from another sweep (another capacity), to be mixed in.
  SweepSpec other_spec = jackson_sweep();
  other_spec.parameters[0].values = {"4", "5"};
  fs::remove_all(journal);
  run_sweep(other_spec, small(2), journal.string());
  const Files other = read_journal(journal);

  std::vector<std::string> names;
  for (const auto& [name, bytes] : pristine) names.push_back(name);
  std::mt19937_64 rng(20261202);
  const auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  std::size_t recomputed = 0, refused = 0, harmless = 0, wrong = 0;
  constexpr int kJournals = 120;
  for (int i = 0; i < kJournals; ++i) {
    Files files = pristine;
    const std::string& victim = names[pick(names.size())];
    std::string& bytes = files[victim];
    const int kind = i % 6;
    std::size_t expect_damaged = 1;
    switch (kind) {
      case 0:  // one bit flipped anywhere
        bytes[pick(bytes.size())] ^= static_cast<char>(1u << pick(8));
        break;
      case 1: {  // a run of bytes zeroed (a torn page); may hit bytes that are zero already
        const std::size_t at = pick(bytes.size()), n = 1 + pick(std::min<std::size_t>(64, bytes.size() - at));
        const std::string before = bytes.substr(at, n);
        std::fill_n(bytes.begin() + static_cast<std::ptrdiff_t>(at), n, '\0');
        if (bytes.substr(at, n) == before) expect_damaged = 0;
        break;
      }
      case 2:  // cut short, possibly to nothing
        bytes.resize(pick(bytes.size()));
        break;
      case 3: {  // two tasks' files swapped
        std::string& second = files[names[(std::find(names.begin(), names.end(), victim) - names.begin() + 1 + pick(11)) % 12]];
        std::swap(bytes, second);
        expect_damaged = 2;
        break;
      }
      case 4:  // bytes appended
        bytes += std::string(1 + pick(16), static_cast<char>(pick(256)));
        break;
      case 5:  // the same task's record from another sweep
        bytes = other.at(victim);
        expect_damaged = 0;
        break;
    }
    write_journal(journal, files);
    try {
      const SweepResult resumed = run_sweep(jackson_sweep(), small(2), journal.string());
      if (!identical(full, resumed)) ++wrong;
      CHECK(resumed.journal_damaged == expect_damaged);
      if (resumed.journal_damaged > 0) ++recomputed;
      else ++harmless;
    } catch (const std::runtime_error& e) {
      CHECK(kind == 5);
      CHECK_THAT(e.what(), Catch::Contains("different sweep"));
      ++refused;
    }
  }
  CHECK(wrong == 0);
  CHECK(refused == kJournals / 6);
  CHECK(recomputed + harmless + refused == kJournals);
  WARN("damaged journals: " << kJournals << "; recomputed " << recomputed << ", refused " << refused
                            << ", harmless (damage changed no byte) " << harmless << ", wrong results " << wrong);
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
