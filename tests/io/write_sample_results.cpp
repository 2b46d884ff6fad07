// Test helper for the HDF5 results writer (no Catch2: the file itself is checked from Python
// with h5py and pandas, see tests/python/test_results_h5.py).
//
//   write_sample_results PATH [--all-episodes] [--no-summary]
//       writes a synthetic scenario + run with known values (mirrored in the Python test);
//       --no-summary leaves RunResult::summary empty so the writer computes it.
//   write_sample_results --check-failures
//       checks that bad paths and failed writes throw, name the path and leave no file.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "careflow/io/hdf5_results.hpp"
#include "checks.hpp"
#include "careflow/support/atomic_file.hpp"

namespace {

namespace fs = std::filesystem;
namespace cm = careflow::models;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

cm::Scenario sample_scenario() {
  cm::Scenario s;
  s.name = "sample scenario";
  s.source_file = "sample.yaml";
  s.source_text = "name: sample scenario\nseed: 42\n# costs in \xc2\xa3\n";
  s.seed = 42;
  s.replications = 2;
  s.horizon_years = 2;
  s.warmup_years = 0.5;
  s.agencies.resize(2);
  s.agencies[0].name = "council";
  s.agencies[1].name = "NHS trust";
  s.cohorts.resize(2);
  s.cohorts[0].name = "children";
  s.cohorts[1].name = "older people";
  s.services.resize(2);
  s.services[0].name = "early help";
  s.services[0].tier = cm::Tier::Mainstream;
  s.services[0].kind = cm::ServiceKind::Service;
  s.services[0].agency = 0;
  s.services[0].capacity = 12;
  s.services[1].name = "hospital ward";
  s.services[1].tier = cm::Tier::Acute;
  s.services[1].kind = cm::ServiceKind::Hospital;
  s.services[1].agency = 1;
  s.services[1].capacity = 30;
  return s;
}

cm::Series sample_series(double offset) {
  cm::Series s;
  s.time_days = {7, 14, 21};
  s.services = 2;
  for (int w = 0; w < 3; ++w) {
    for (int k = 0; k < 2; ++k) {
      const double v = offset + 10 * w + k;  // queue[w][k] = offset + 10w + k
      s.queue.push_back(v);
      s.occupancy.push_back(v + 100);
      s.spend.push_back(v * 1000 + 0.5);
      s.step_ups.push_back(w);
      s.step_downs.push_back(k);
    }
  }
  return s;
}

cm::RunResult sample_result(bool with_summary) {
  cm::RunResult r;
  r.metric_ids = {{"waits", "mean_wait_days", "early help", "days"},
                  {"costs", "spend_per_year", "", "\xc2\xa3"},
                  {"indicators", "delayed_transfers", "hospital ward", "per 10,000"}};
  r.seconds = 1.25;
  r.replications.resize(2);

  auto& a = r.replications[0];
  a.replication = 0;
  a.events = 12345;
  a.fingerprint = 0xFEDCBA9876543210ULL;  // above 2^63: must survive as uint64
  a.metric_values = {10, 1000, 3};
  a.episodes = {
      {1, 0, 0, 10.5, 12.0, 40.0, 250.0, cm::kOutcomeExit, 3, 1, 0},
      {2, 1, 1, 20.0, 20.0, 25.0, 1800.0, 0, 7, 3, 2},
      {3, 0, 0, 30.0, kNaN, kNaN, 0.0, cm::kOutcomeOngoing, -1, 2, 2},
  };
  a.step_changes = {{2, 20.0, -1, 1, 1}, {2, 25.0, 1, 0, -1}};
  a.delays = {{2, 1, 0, "re-ablement", 24.0, 25.0}};
  a.tracks = {{1, 10.5, 0, 0}, {1, 12.0, 0, 1}, {1, 40.0, -1, 3}};
  a.series = sample_series(0);

  auto& b = r.replications[1];
  b.replication = 1;
  b.events = 23456;
  b.fingerprint = 42;
  b.metric_values = {14, 1200, 5};
  b.episodes = {{4, 1, 1, 5.0, 6.0, 9.0, 900.0, cm::kOutcomeTransition, 2, 0, 0},
                {5, 1, 1, 7.0, 7.0, kNaN, 300.0, cm::kOutcomeOngoing, 1, 3, 3}};
  b.delays = {{5, 1, -1, "funding decision", 3.0, kNaN}};
  b.series = sample_series(1000);  // step_changes and tracks stay empty: zero-row tables

  if (with_summary) {
    // Known figures rather than summarise(), so the test checks that they are copied as-is.
    const double hw[] = {25.41, 1270.6, 12.71};
    for (std::size_t m = 0; m < r.metric_ids.size(); ++m) {
      cm::Metric metric;
      metric.id = r.metric_ids[m];
      metric.values = {a.metric_values[m], b.metric_values[m]};
      metric.ci.mean = (metric.values[0] + metric.values[1]) / 2;
      metric.ci.half_width = hw[m];
      metric.ci.n = 2;
      r.summary.push_back(metric);
    }
  }
  return r;
}

// ---------------------------------------------------------------- failure checks

using careflow::io_checks::expect;
using careflow::io_checks::expect_throw;
using careflow::io_checks::read_all;

// Names in `dir` other than `keep` (temporary files must not survive a failed write).
std::vector<std::string> stray_files(const fs::path& dir, const std::vector<std::string>& keep) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    bool kept = false;
    for (const auto& k : keep) kept = kept || name == k;
    if (!kept) out.push_back(name);
  }
  return out;
}

// careflow's seal in the 512-byte user block, then HDF5's superblock.
bool is_hdf5(const fs::path& p) {
  const std::string b = read_all(p);
  return b.rfind("careflow results file\n", 0) == 0 && b.size() > 520 && b.compare(512, 8, "\x89HDF\r\n\x1a\n") == 0;
}

int check_failures() {
  char pattern[] = "/tmp/careflow-io-test-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) {
    std::cerr << "mkdtemp failed\n";
    return 1;
  }
  const fs::path dir = pattern;
  const cm::Scenario scenario = sample_scenario();
  const cm::RunResult result = sample_result(true);
  using careflow::support::check_output_path;
  using careflow::io::write_results_hdf5;

  // Paths that cannot be written: each fails before simulating and before creating anything.
  const std::string in_proc = "/proc/nonexistent/x.h5";
  expect_throw("check_output_path under /proc", [&] { check_output_path(in_proc); }, {in_proc, "does not exist"});
  expect_throw("write under /proc", [&] { write_results_hdf5(in_proc, scenario, result); }, {in_proc});
  expect(!fs::exists(in_proc), "no file under /proc");

  const std::string missing = (dir / "missing" / "x.h5").string();
  expect_throw("check_output_path, missing directory", [&] { check_output_path(missing); }, {missing, "does not exist"});
  expect_throw("write, missing directory", [&] { write_results_hdf5(missing, scenario, result); }, {missing});
  expect(!fs::exists(dir / "missing"), "missing directory not created");

  expect_throw("check_output_path, path is a directory", [&] { check_output_path(dir.string()); },
               {dir.string(), "is a directory"});
  expect_throw("write, path is a directory", [&] { write_results_hdf5(dir.string(), scenario, result); },
               {"is a directory"});
  expect_throw("check_output_path, empty path", [&] { check_output_path(""); }, {"empty"});

  if (::geteuid() != 0) {  // root may write anywhere, so this check means nothing as root
    const fs::path ro = dir / "read-only";
    fs::create_directory(ro);
    fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
    expect_throw("check_output_path, read-only directory", [&] { check_output_path((ro / "x.h5").string()); },
                 {"not writable"});
    fs::permissions(ro, fs::perms::owner_all);
    fs::remove(ro);
  }

  // A good write: the file appears, no temporary is left.
  const fs::path target = dir / "out.h5";
  try {
    check_output_path(target.string());
    write_results_hdf5(target.string(), scenario, result);
    write_results_hdf5(target.string(), scenario, result);  // replacing an existing file
  } catch (const std::exception& e) {
    expect(false, std::string("good write threw: ") + e.what());
  }
  expect(is_hdf5(target), "good write produced an HDF5 file");
  expect(stray_files(dir, {"out.h5"}).empty(), "no stray files after a good write");
  const std::string before = read_all(target);

  // An inconsistent result fails before anything is written; the old file survives.
  cm::RunResult bad = result;
  bad.replications[1].series.queue.pop_back();
  expect_throw("inconsistent series", [&] { write_results_hdf5(target.string(), scenario, bad); },
               {target.string(), "replication 1", "series.queue"});
  expect(read_all(target) == before, "target unchanged after a rejected result");
  expect(stray_files(dir, {"out.h5"}).empty(), "no stray files after a rejected result");

  // A failure in the middle of writing (file size limit: writes fail with EFBIG): the
  // temporary file is removed and the old file survives.
  {
    cm::RunResult big = result;
    for (std::uint64_t i = 0; i < 50000; ++i)
      big.replications[0].episodes.push_back(
          {i, 0, 0, double(i), double(i), double(i + 1), 1, cm::kOutcomeExit, 0, 0, 0});
    ::signal(SIGXFSZ, SIG_IGN);
    rlimit old{};
    ::getrlimit(RLIMIT_FSIZE, &old);
    rlimit limited = old;
    limited.rlim_cur = 16 * 1024;
    // Nothing may be printed while the limit holds (stdout may be a file), hence the rethrow.
    std::exception_ptr error;
    ::setrlimit(RLIMIT_FSIZE, &limited);
    try {
      write_results_hdf5(target.string(), scenario, big);
    } catch (...) {
      error = std::current_exception();
    }
    ::setrlimit(RLIMIT_FSIZE, &old);
    expect_throw("write past the file size limit",
                 [&] {
                   if (error) std::rethrow_exception(error);
                 },
                 {target.string(), "File too large"});
    expect(read_all(target) == before, "target unchanged after a failed write");
    expect(stray_files(dir, {"out.h5"}).empty(), "no temporary file after a failed write");
  }

  // Something that is not ours squatting on the temporary name: the write fails and leaves
  // it alone (the name is documented in docs/results-format.md).
  {
    const fs::path squat = dir / (".out.h5.tmp-" + std::to_string(::getpid()));
    fs::create_directory(squat);
    expect_throw("temporary name taken by a directory", [&] { write_results_hdf5(target.string(), scenario, result); },
                 {target.string(), "temporary", "Is a directory"});
    expect(fs::is_directory(squat), "squatting directory left alone");
    expect(read_all(target) == before, "target unchanged when the temporary name is taken");
    fs::remove(squat);
  }

  // A symbolic link is followed: the link stays, the file it points to is written.
  {
    const fs::path real = dir / "real.h5";
    const fs::path link = dir / "link.h5";
    fs::create_symlink(real.filename(), link);
    try {
      write_results_hdf5(link.string(), scenario, result);
    } catch (const std::exception& e) {
      expect(false, std::string("write through a link threw: ") + e.what());
    }
    expect(fs::is_symlink(link) && is_hdf5(real), "link followed");
    expect(stray_files(dir, {"out.h5", "real.h5", "link.h5"}).empty(), "no stray files after writing through a link");
  }

  std::error_code ec;
  fs::remove_all(dir, ec);
  return careflow::io_checks::report("all failure checks passed");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: write_sample_results PATH [--all-episodes] [--no-summary] | --check-failures\n";
    return 2;
  }
  const std::string first = argv[1];
  if (first == "--check-failures") return check_failures();

  careflow::io::WriteOptions opt;
  bool with_summary = true;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--all-episodes") {
      opt.episodes_all_replications = true;
    } else if (a == "--no-summary") {
      with_summary = false;
    } else {
      std::cerr << "unknown option " << a << '\n';
      return 2;
    }
  }
  try {
    careflow::io::write_results_hdf5(first, sample_scenario(), sample_result(with_summary), opt);
  } catch (const std::exception& e) {
    std::cerr << e.what() << '\n';
    return 1;
  }
  return 0;
}
