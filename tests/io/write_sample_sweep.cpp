// Test helper for the HDF5 sweep writer (no Catch2: the file itself is checked from Python
// with h5py and pandas, see tests/python/test_sweep_h5.py).
//
//   write_sample_sweep PATH [--value-changed]
//       writes a synthetic sweep with known values (mirrored in the Python test): 2 parameters,
//       3 points, 2 replications, 3 metrics; point 1 lacks the metric costs/spend_per_year and
//       point 2 reports its metrics in another order, with one extra. --value-changed alters one
//       metric value (for checks that different contents give different bytes).
//   write_sample_sweep --check
//       checks that writing the same sweep twice gives identical bytes, that no object carries a
//       time stamp, that an inconsistent sweep throws naming the path and writes nothing, and
//       that an empty sweep can be written.
#include <hdf5.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "careflow/io/hdf5_results.hpp"
#include "checks.hpp"

namespace {

namespace fs = std::filesystem;
namespace cm = careflow::models;

const std::vector<cm::MetricId> kMetrics = {{"waits", "mean_wait_days", "early help", "days"},
                                            {"costs", "spend_per_year", "", "\xc2\xa3"},
                                            {"indicators", "delayed_transfers", "hospital ward", "per 10,000"}};

// Known figures for point i, sweep metric m, replication r (see test_sweep_h5.py).
double value(std::size_t i, std::size_t m, std::size_t r) { return double(100 * i + 10 * m + r); }
double half_width(std::size_t i, std::size_t m) { return double(i) + double(m) / 10 + 0.01; }

cm::SweepResult sample_sweep(bool value_changed = false) {
  cm::SweepResult s;
  s.spec.base_file = "scenarios/base.yaml";
  s.spec.parameters = {{"services[early help].capacity", {"10", "20", "30"}}, {"run.warmup_years", {"0.5", "1", "1.5"}}};
  s.spec.grid = false;
  s.base_text = "name: base\nseed: 7\n# costs in \xc2\xa3\n";
  s.seed = 7;
  s.replications = 2;
  s.metric_ids = kMetrics;

  for (std::size_t i = 0; i < 3; ++i) {
    cm::SweepPoint p;
    p.values = {s.spec.parameters[0].values[i], s.spec.parameters[1].values[i]};
    p.scenario_name = "base [" + std::to_string(i) + "]";
    // Which sweep metrics the point reports, in its own order.
    std::vector<std::size_t> order = {0, 1, 2};
    if (i == 1) order = {0, 2};  // lacks costs/spend_per_year
    if (i == 2) order = {2, 0, 1};
    for (const std::size_t m : order) p.run.metric_ids.push_back(kMetrics[m]);
    if (i == 2) p.run.metric_ids.push_back({"activity", "referrals", "", "people"});  // not in the sweep: ignored

    for (std::size_t r = 0; r < 2; ++r) {
      cm::ReplicationResult rep;
      rep.replication = r;
      rep.events = 1000 * i + r;
      rep.fingerprint = 0xFEDCBA9876543210ULL + 2 * i + r;  // above 2^63: must survive as uint64
      for (const std::size_t m : order) rep.metric_values.push_back(value(i, m, r));
      if (i == 2) rep.metric_values.push_back(-1);
      p.run.replications.push_back(rep);
    }
    for (std::size_t k = 0; k < order.size(); ++k) {
      const std::size_t m = order[k];
      cm::Metric metric;
      metric.id = kMetrics[m];
      metric.values = {value(i, m, 0), value(i, m, 1)};
      metric.ci.mean = value(i, m, 0) + 0.5;
      metric.ci.half_width = half_width(i, m);
      metric.ci.n = 2;
      p.run.summary.push_back(metric);
    }
    s.points.push_back(p);
  }
  if (value_changed) s.points[2].run.replications[1].metric_values[0] += 1;
  return s;
}

// ---------------------------------------------------------------- checks

using careflow::io_checks::expect;
using careflow::io_checks::expect_throw;
using careflow::io_checks::read_all;

void write(const fs::path& p, const cm::SweepResult& s) {
  try {
    careflow::io::write_sweep_hdf5(p.string(), s);
  } catch (const std::exception& e) {
    expect(false, "writing " + p.string() + " threw: " + e.what());
  }
}

// Objects in the file carrying a time stamp (HDF5 reports 0 for untracked times).
herr_t count_timed(hid_t, const char* name, const H5O_info_t* info, void* data) {
  if (info->atime != 0 || info->mtime != 0 || info->ctime != 0 || info->btime != 0) {
    std::cerr << "object '" << name << "' has a time stamp\n";
    ++*static_cast<int*>(data);
  }
  return 0;
}

// Number of objects visited with a time stamp, or -1 if the file could not be read.
int timed_objects(const fs::path& p) {
  const hid_t file = H5Fopen(p.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) return -1;
  int timed = 0;
  const herr_t status = H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_INC, count_timed, &timed, H5O_INFO_TIME);
  H5Fclose(file);
  return status < 0 ? -1 : timed;
}

int check() {
  char pattern[] = "/tmp/careflow-sweep-test-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) {
    std::cerr << "mkdtemp failed\n";
    return 1;
  }
  const fs::path dir = pattern;
  const cm::SweepResult sweep = sample_sweep();

  // The same sweep twice, with other writes in between (other heap states) and a rebuilt copy:
  // byte for byte the same file. A changed value gives a different file.
  const fs::path a = dir / "a.h5";
  const fs::path b = dir / "b.h5";
  const fs::path changed = dir / "changed.h5";
  write(a, sweep);
  write(changed, sample_sweep(true));
  write(b, sample_sweep());
  const std::string first = read_all(a);
  expect(first.rfind("careflow results file\n", 0) == 0 && first.compare(512, 8, "\x89HDF\r\n\x1a\n") == 0,
         "a sealed HDF5 file was written (the seal, then the superblock at 512)");
  expect(first == read_all(b), "the same sweep written twice gives identical bytes");
  expect(first != read_all(changed), "a changed value gives different bytes");
  write(a, sweep);  // replacing the file
  expect(first == read_all(a), "rewriting gives identical bytes");
  expect(timed_objects(a) == 0, "no object has a time stamp");

  // Inconsistent sweeps fail before anything is written, naming the path and the point.
  const fs::path bad_path = dir / "bad.h5";
  cm::SweepResult bad = sweep;
  bad.points[1].run.replications.pop_back();
  expect_throw("a point with too few replications", [&] { careflow::io::write_sweep_hdf5(bad_path.string(), bad); },
               {bad_path.string(), "point 1", "1 replications, expected 2"});
  bad = sweep;
  bad.points[2].values.pop_back();
  expect_throw("a point with too few parameter values",
               [&] { careflow::io::write_sweep_hdf5(bad_path.string(), bad); },
               {bad_path.string(), "point 2", "1 values for 2 parameters"});
  bad = sweep;
  bad.points[0].run.replications[1].metric_values.pop_back();
  expect_throw("a replication with too few metric values",
               [&] { careflow::io::write_sweep_hdf5(bad_path.string(), bad); },
               {bad_path.string(), "point 0", "replication 1", "metric_values has 2 values for 3 metrics"});
  expect(!fs::exists(bad_path), "no file written for an inconsistent sweep");
  bad = sweep;
  bad.points[0].run.replications.pop_back();
  expect_throw("a rejected sweep leaves the old file alone",
               [&] { careflow::io::write_sweep_hdf5(a.string(), bad); }, {a.string(), "point 0"});
  expect(read_all(a) == first, "target unchanged after a rejected sweep");

  const std::string missing = (dir / "missing" / "x.h5").string();
  expect_throw("a missing directory", [&] { careflow::io::write_sweep_hdf5(missing, sweep); },
               {missing, "does not exist"});

  // An empty sweep (no parameters, points or metrics) is still a valid file.
  cm::SweepResult empty;
  empty.spec.base_file = "empty.yaml";
  write(dir / "empty.h5", empty);
  write(dir / "empty2.h5", empty);
  expect(read_all(dir / "empty.h5") == read_all(dir / "empty2.h5"), "empty sweep: identical bytes");

  std::error_code ec;
  fs::remove_all(dir, ec);
  return careflow::io_checks::report("all sweep checks passed");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: write_sample_sweep PATH [--value-changed] | --check\n";
    return 2;
  }
  const std::string first = argv[1];
  if (first == "--check") return check();
  bool value_changed = false;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--value-changed") {
      value_changed = true;
    } else {
      std::cerr << "unknown option " << a << '\n';
      return 2;
    }
  }
  try {
    careflow::io::write_sweep_hdf5(first, sample_sweep(value_changed));
  } catch (const std::exception& e) {
    std::cerr << e.what() << '\n';
    return 1;
  }
  return 0;
}
