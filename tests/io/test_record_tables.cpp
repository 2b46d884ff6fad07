// The record datasets are written and read by iterating the column tables of
// models/records.hpp: every stored column of every record type comes back as written.

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "careflow/io/hdf5_reader.hpp"
#include "careflow/io/hdf5_results.hpp"
#include "temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using careflow::testing::TempDir;
namespace cm = careflow::models;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The least a run file needs: a service and its agency.
cm::Scenario one_service() {
  cm::Scenario s;
  s.name = s.source_text = "records";
  s.agencies.emplace_back().name = "council";
  s.services.emplace_back().name = "early help";
  return s;
}

// Whether column c of a and b holds the same value (NaN equal to NaN).
template <class R>
bool same_column(const cm::Column<R>& c, const R& a, const R& b) {
  return cm::visit_column(c, a, [&](const auto& x) {
    return cm::visit_column(c, b, [&](const auto& y) {
      if constexpr (!std::is_same_v<decltype(x), decltype(y)>) {
        return false;
      } else if constexpr (std::is_floating_point_v<std::decay_t<decltype(x)>>) {
        return (std::isnan(x) && std::isnan(y)) || x == y;
      } else {
        return x == y;
      }
    });
  });
}

// Every column of the table, stored or derived, agrees row by row.
template <class R>
void check_same(const std::vector<R>& written, const std::vector<R>& read) {
  REQUIRE(read.size() == written.size());
  for (std::size_t i = 0; i < written.size(); ++i)
    for (const cm::Column<R>& c : cm::RecordTable<R>::columns) {
      INFO(cm::RecordTable<R>::name << " row " << i << " column " << c.name);
      CHECK(same_column(c, written[i], read[i]));
    }
}

}  // namespace

TEST_CASE("every stored column of every record table reads back as written", "[io][records]") {
  TempDir dir("careflow-records");
  cm::RunResult r;
  r.replications.resize(2);
  auto& rep = r.replications[0];
  // Values unlike the defaults in every member, so that a column left unread shows.
  rep.episodes = {{0xFEDCBA9876543210ULL, 2, 1, 10.5, 12.25, 40.0, 250.5, cm::kOutcomeExit, 3, 4, 1},
                  {7, 1, 0, 20.0, kNaN, kNaN, 0.0, cm::kOutcomeOngoing, -1, 2, 2}};
  rep.step_changes = {{9, 20.5, -1, 0, 1}, {9, 25.0, 0, -1, -1}};
  rep.delays = {{11, 0, -1, "funding decision", 3.0, kNaN}, {12, 0, 0, "re-ablement", 24.0, 25.5}};
  rep.tracks = {{13, 1.5, 0, 1}, {13, 4.0, -1, 3}};
  r.replications[1].replication = 1;
  const std::string path = (dir.path / "records.h5").string();
  careflow::io::write_results_hdf5(path, one_service(), r);

  const careflow::io::StoredRun back = careflow::io::read_results_hdf5(path);
  REQUIRE(back.result.replications.size() == 2);
  const auto& got = back.result.replications[0];
  check_same(rep.episodes, got.episodes);  // `wait` is derived: equal because referred and started are
  check_same(rep.step_changes, got.step_changes);
  check_same(rep.delays, got.delays);
  check_same(rep.tracks, got.tracks);

  careflow::io::ReadOptions no_records;
  no_records.records = false;
  const careflow::io::StoredRun bare = careflow::io::read_results_hdf5(path, no_records);
  CHECK(bare.result.replications[0].episodes.empty());
  CHECK(bare.result.replications[0].delays.empty());
}

TEST_CASE("records of every replication are read when asked, and a bad file names its path", "[io][records]") {
  TempDir dir("careflow-records");
  cm::RunResult r;
  r.replications.resize(2);
  r.replications[0].step_changes = {{9, 20.5, -1, 0, 1}};
  r.replications[1].replication = 1;
  r.replications[1].step_changes = {{10, 30.0, 0, -1, -1}, {11, 31.0, -1, 0, 1}};
  r.replications[1].delays = {{12, 0, -1, "assessment", 3.0, 4.0}};
  r.replications[1].episodes = {{12, 0, 0, 1.0, 2.0, 3.0, 10.0, cm::kOutcomeExit, 0, 1, 1}};
  r.seconds = 2.5;
  const std::string path = (dir.path / "every.h5").string();
  careflow::io::write_results_hdf5(path, one_service(), r);  // episodes of replication 0 only

  const careflow::io::StoredRun first = careflow::io::read_results_hdf5(path);
  CHECK(first.result.replications[1].step_changes.empty());  // by default, records of replication 0 only
  CHECK(first.result.seconds == 2.5);

  careflow::io::ReadOptions every;
  every.records_of_every_replication = true;
  const careflow::io::StoredRun all = careflow::io::read_results_hdf5(path, every);
  check_same(r.replications[0].step_changes, all.result.replications[0].step_changes);
  check_same(r.replications[1].step_changes, all.result.replications[1].step_changes);
  check_same(r.replications[1].delays, all.result.replications[1].delays);
  CHECK(all.result.replications[1].episodes.empty());  // not in the file: none, and no error

  const std::string missing = (dir.path / "missing.h5").string();
  try {
    careflow::io::read_results_hdf5(missing);
    FAIL("a missing file was read");
  } catch (const careflow::io::ResultsFileError& e) {
    CHECK(e.path() == missing);
    CHECK(std::string(e.what()) == missing + ": no such results file");
  }
}
