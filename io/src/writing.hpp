// What writing a run file (run_file.cpp) and a sweep file (sweep_file.cpp) share: groups and
// datasets as the layout wants them (no time stamps, the chunking rule), the summary rows, and
// building the file in memory then handing its bytes to the one atomic writer.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "careflow/engine/statistics.hpp"
#include "careflow/models/results.hpp"
#include "h5.hpp"

namespace careflow::io {

h5::Group create_group(hid_t loc, const char* name);

/// A scalar variable-length string dataset (the scenario's YAML).
void write_text(hid_t loc, const char* name, const std::string& text);

/// A 1-D dataset of fixed-length strings, as wide as the longest.
void write_strings(hid_t loc, const char* name, const std::vector<std::string>& values);

/// A float64 array of the given shape (row-major data); returns the dataset for attributes.
h5::Dataset write_doubles(hid_t loc, const char* name, std::span<const hsize_t> dims, const std::vector<double>& data,
                          bool compress);

/// A uint64 array of the given shape (row-major data), uncompressed; returns the dataset.
h5::Dataset write_u64s(hid_t loc, const char* name, std::span<const hsize_t> dims, const std::vector<std::uint64_t>& data);

/// One summary row: the summary filled by models::summarise, or computed here if it was not.
struct SummaryRow {
  const models::MetricId* id;
  ConfidenceInterval ci;
  std::vector<double> values;  // one per replication
};
std::vector<SummaryRow> summary_rows(const models::RunResult& r);

/// Builds an HDF5 file with `contents` and writes it atomically to `path`. `check` runs first
/// (the result's consistency), so that a bad result never creates a file. Throws
/// std::runtime_error "cannot write results file 'PATH': ..." on any failure.
void write_hdf5_file(const std::string& path, const std::function<void()>& check,
                     const std::function<void(hid_t file)>& contents);

}  // namespace careflow::io
