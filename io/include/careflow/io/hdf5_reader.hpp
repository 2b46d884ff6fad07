// Reading a run's HDF5 results file back (the layout of docs/results-format.md), for what
// presents a run after it was made: `careflow animate`, `careflow report` and Python's
// `careflow.open_results`.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "careflow/models/results.hpp"

namespace careflow::io {

/// A results file that is missing, not HDF5, a sweep file, or lacks what the layout promises.
/// The message is "PATH: what is wrong"; path() is the file's path as given.
class ResultsFileError : public std::runtime_error {
 public:
  ResultsFileError(std::string path, const std::string& problem)
      : std::runtime_error(path + ": " + problem), path_(std::move(path)) {}
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

/// One row of `/scenario/services`.
struct StoredService {
  std::string name;
  std::string tier;  // mainstream, intermediate, specialist, acute
  std::string kind;  // service, assessment, hospital
  std::int32_t agency = 0;
  std::uint32_t capacity = 0;
};

/// A run file read back. `result` holds the summary (with each metric's value per replication),
/// each replication's number, event count and fingerprint, the run's `seconds`, and per
/// replication what ReadOptions asked for.
struct StoredRun {
  std::string path;
  std::string scenario_name;
  std::string source_file;
  std::string scenario_text;  // the YAML as run
  std::uint64_t seed = 0;
  double horizon_days = 0;
  double warmup_days = 0;
  std::vector<StoredService> services;
  std::vector<std::string> agencies;
  std::vector<std::string> cohorts;
  models::RunResult result;
};

struct ReadOptions {
  bool series = true;   // weekly series of every replication
  bool records = true;  // tracks, step changes, delays and episodes (those the file has) of replication 0
  bool records_of_every_replication = false;  // with `records`: of every replication, not only 0 (as a run holds them)
};

/// Reads the results file at `path`. Throws ResultsFileError naming the path on any problem.
/// Not thread-safe (HDF5 is not).
StoredRun read_results_hdf5(const std::string& path, const ReadOptions& opt = {});

}  // namespace careflow::io
