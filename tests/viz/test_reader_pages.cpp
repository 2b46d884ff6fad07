// The results reader (a run written with the HDF5 writer reads back equal) and the pages made
// from it (self-contained, data escaped, written atomically). The pages in a real browser are
// checked by tests/browser.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "careflow/io/hdf5_reader.hpp"
#include "careflow/io/hdf5_results.hpp"
#include "careflow/models/care_model.hpp"
#include "careflow/models/default_scenario.hpp"
#include "careflow/models/scenario_loader.hpp"
#include "careflow/support/atomic_file.hpp"
#include "careflow/viz/pages.hpp"
#include "temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using careflow::testing::TempDir;
namespace models = careflow::models;
namespace io = careflow::io;
namespace viz = careflow::viz;
namespace support = careflow::support;

models::Scenario small_default(const std::string& name) {
  models::Scenario s = models::parse_scenario(models::default_scenario_yaml(), models::kDefaultScenarioName, "scenarios");
  models::CareRunOptions o;
  o.replications = 2;
  o.horizon_years = 2.5;
  s.warmup_years = 1;
  s = models::apply_options(s, o);
  s.tracked_people = 400;
  s.name = name;
  return s;
}

bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

std::string read_text(const fs::path& p) {
  std::ifstream f(p);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("a run file reads back as written", "[viz][io]") {
  TempDir dir("careflow-viz");
  const models::Scenario s = small_default("reader check");
  models::CareRunOptions opt;
  opt.threads = 1;
  const models::RunResult r = models::run_scenario(s, opt);
  const std::string path = (dir.path / "run.h5").string();
  io::write_results_hdf5(path, s, r);

  const io::StoredRun back = io::read_results_hdf5(path);
  CHECK(back.scenario_name == "reader check");
  CHECK(back.seed == s.seed);
  CHECK(back.horizon_days == s.horizon_years * 365.25);
  CHECK(back.warmup_days == s.warmup_years * 365.25);
  REQUIRE(back.services.size() == s.services.size());
  for (std::size_t i = 0; i < s.services.size(); ++i) {
    CHECK(back.services[i].name == s.services[i].name);
    CHECK(back.services[i].capacity == s.services[i].capacity);
  }
  REQUIRE(back.agencies.size() == s.agencies.size());
  CHECK(back.agencies[0] == s.agencies[0].name);
  REQUIRE(back.result.summary.size() == r.summary.size());
  for (std::size_t m = 0; m < r.summary.size(); ++m) {
    CHECK(back.result.summary[m].id.name == r.summary[m].id.name);
    CHECK(back.result.summary[m].id.subject == r.summary[m].id.subject);
    CHECK(same(back.result.summary[m].ci.mean, r.summary[m].ci.mean));
    for (std::size_t k = 0; k < r.replications.size(); ++k) CHECK(same(back.result.summary[m].values[k], r.summary[m].values[k]));
  }
  REQUIRE(back.result.replications.size() == 2);
  for (std::size_t k = 0; k < 2; ++k) {
    const auto& a = r.replications[k].series;
    const auto& b = back.result.replications[k].series;
    CHECK(b.time_days == a.time_days);
    CHECK(b.queue == a.queue);
    CHECK(b.spend == a.spend);
    CHECK(b.step_ups == a.step_ups);
    CHECK(back.result.replications[k].fingerprint == r.replications[k].fingerprint);
  }
  const auto& tracks = back.result.replications[0].tracks;
  REQUIRE(tracks.size() == r.replications[0].tracks.size());
  REQUIRE(!tracks.empty());
  for (std::size_t i = 0; i < tracks.size(); ++i) {
    CHECK(tracks[i].person == r.replications[0].tracks[i].person);
    CHECK(tracks[i].time == r.replications[0].tracks[i].time);
    CHECK(tracks[i].service == r.replications[0].tracks[i].service);
    CHECK(tracks[i].state == r.replications[0].tracks[i].state);
  }
  CHECK(back.result.replications[0].step_changes.size() == r.replications[0].step_changes.size());
  CHECK(back.result.replications[0].episodes.size() == r.replications[0].episodes.size());
  CHECK(back.result.replications[1].tracks.empty());  // records of replication 0 only
}

TEST_CASE("a file that is not a run file is refused, naming it", "[viz][io]") {
  TempDir dir("careflow-viz");
  const std::string missing = (dir.path / "missing.h5").string();
  CHECK_THROWS_WITH(io::read_results_hdf5(missing), Catch::Contains("missing.h5") && Catch::Contains("no such results file"));
  const fs::path text = dir.path / "text.h5";
  std::ofstream(text) << "not HDF5\n";
  CHECK_THROWS_AS(io::read_results_hdf5(text.string()), io::ResultsFileError);
  CHECK_THROWS_WITH(io::read_results_hdf5(dir.path.string()), Catch::Contains("directory"));
}

TEST_CASE("pages are self-contained, escape the data and are written atomically", "[viz]") {
  TempDir dir("careflow-viz");
  models::Scenario s = small_default("A </script><b>\"quoted\"");
  models::CareRunOptions opt;
  opt.threads = 1;
  io::write_results_hdf5((dir.path / "a.h5").string(), s, models::run_scenario(s, opt));
  const models::Scenario other = small_default("B");
  io::write_results_hdf5((dir.path / "b.h5").string(), other, models::run_scenario(other, opt));
  const io::StoredRun a = io::read_results_hdf5((dir.path / "a.h5").string());
  const io::StoredRun b = io::read_results_hdf5((dir.path / "b.h5").string());

  const std::string page = viz::animation_html({a, b});
  CHECK(page.find("</script><b>") == std::string::npos);  // the name cannot close the data's <script>
  CHECK(page.find("\\u003c/script\\u003e\\u003cb\\u003e") != std::string::npos);
  CHECK(page.find("/*CAREFLOW_") == std::string::npos);    // every placeholder filled
  CHECK(page.find("http://") == std::string::npos);
  CHECK(page.find("https://") == std::string::npos);
  CHECK(page.find(" src=") == std::string::npos);

  const std::string report = viz::report_html(a, &b, viz::default_targets());
  CHECK(report.find("\"paired\":true") != std::string::npos);  // same seed and replications: common random numbers
  CHECK(report.find("/*CAREFLOW_") == std::string::npos);
  CHECK(report.find("https://") == std::string::npos);

  const fs::path out = dir.path / "flows.html";
  std::ofstream(out) << "old";
  support::write_file_atomically(out.string(), page);
  CHECK(read_text(out) == page);
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir.path)) files += e.path().filename().string().find(".tmp-") != std::string::npos;
  CHECK(files == 0);  // no temporary file left behind
  CHECK_THROWS_WITH(support::write_file_atomically((dir.path / "no-dir" / "x.html").string(), page), Catch::Contains("does not exist"));
}
