// Saving a care-model run to HDF5, so that results can be read with h5py, pandas or xarray
// without careflow. The layout is described in docs/results-format.md.
#pragma once

#include <string>

#include "careflow/models/results.hpp"
#include "careflow/models/scenario.hpp"
#include "careflow/models/sweep.hpp"

namespace careflow::io {

/// Version of the file layout, stored as the root attribute `format_version`. Version 2: the
/// file starts with careflow's integrity seal in a 512-byte HDF5 user block (its length and
/// SHA-256); the datasets are as in version 1, which is still read.
inline constexpr int kResultsFormatVersion = 2;

/// Version of the sweep file layout (root attribute `format_version` of a file whose `kind`
/// attribute is "sweep"). Version 2: sealed as a run file is (version 1 had no seal).
inline constexpr int kSweepFormatVersion = 2;

struct WriteOptions {
  /// Episode tables are by far the largest part of a file, so by default only replication 0
  /// keeps its episodes; the other replication groups have no `episodes` dataset.
  bool episodes_all_replications = false;
};

/// Writes the scenario and the run's results to `path` (HDF5), replacing any file there.
/// Atomic, through careflow::support::AtomicFile: the target is never left half-written, and
/// the path rules are support::check_output_path's (call that before a long simulation, so that
/// a typo fails at once; a symbolic link is followed: the file it points to is replaced).
/// `result.summary` is used when filled (see models::summarise); otherwise the summary is
/// computed here. Throws std::runtime_error "cannot write results file 'PATH': ..." naming the
/// failing HDF5 call, what is inconsistent in the result (e.g. series of the wrong size) or why
/// the file could not be written. Not thread-safe (HDF5 is not).
void write_results_hdf5(const std::string& path, const careflow::models::Scenario& scenario,
                        const careflow::models::RunResult& result, const WriteOptions& opt = {});

/// Writes a sweep (every point's parameter values, metric values per replication, means and
/// confidence half-widths, fingerprints and event counts) to `path` (HDF5), replacing any file
/// there; layout in docs/results-format.md, "Sweep files". Atomic and link-following like
/// write_results_hdf5. Deterministic: the same SweepResult always gives a byte-identical file
/// (no times or run-time figures are stored), so a resumed sweep's file equals an uninterrupted
/// one's. Metrics are aligned to `sweep.metric_ids` by (family, name, subject); a metric a
/// point lacks is NaN. Throws std::runtime_error naming the path if the sweep is inconsistent
/// (a point without exactly `sweep.replications` replications, or with the wrong number of
/// parameter values or metric values) or on any failure, before anything is written. Not
/// thread-safe (HDF5 is not).
void write_sweep_hdf5(const std::string& path, const careflow::models::SweepResult& sweep);

}  // namespace careflow::io
