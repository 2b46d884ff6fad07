#include "writing.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "careflow/support/atomic_file.hpp"
#include "seal.hpp"
#include "tables.hpp"

namespace careflow::io {
namespace {

std::runtime_error file_error(const std::string& path, const std::string& why) {
  return std::runtime_error("cannot write results file '" + path + "': " + why);
}

// Builds the whole HDF5 file in memory (HDF5's core driver, no backing store) and returns its
// bytes. Why not let HDF5 write the file: in HDF5 1.10 a failed H5Fclose (disk full, quota, I/O
// error while flushing) leaves the library in a state where the next close, or the library's
// own clean-up at exit, crashes. In memory no HDF5 call can meet an I/O error; the disk is
// written by the atomic writer, where errors are ours to handle. The image holds the
// compressed data, so it is smaller than the result it is made from. No object times (see
// untimed), so the image depends only on what `contents` writes. The image starts with a
// 512-byte user block holding the seal: the file's length and SHA-256, checked by the reader
// before HDF5 opens the file (seal.hpp).
std::vector<char> build_image(const std::function<void(hid_t)>& contents) {
  h5::Silencer silence;
  h5::Properties fcpl(H5Pcreate(H5P_FILE_CREATE), "H5Pcreate");
  untimed(fcpl);  // the root group
  // Room for careflow's integrity seal (seal.hpp) before HDF5's own bytes.
  h5::check(H5Pset_userblock(fcpl, kUserBlockBytes), "H5Pset_userblock");
  h5::Properties fapl(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate");
  h5::check(H5Pset_fapl_core(fapl, std::size_t{4} << 20, false), "H5Pset_fapl_core");
  // SEMI: closing the file fails if a handle was left open, instead of silently deferring it.
  h5::check(H5Pset_fclose_degree(fapl, H5F_CLOSE_SEMI), "H5Pset_fclose_degree");
  h5::File file(H5Fcreate("careflow-results.h5", H5F_ACC_TRUNC, fcpl, fapl), "H5Fcreate");
  contents(file);
  h5::check(H5Fflush(file, H5F_SCOPE_LOCAL), "H5Fflush");
  const ssize_t size = H5Fget_file_image(file, nullptr, 0);
  if (size <= 0) h5::fail("H5Fget_file_image");
  std::vector<char> image(static_cast<std::size_t>(size));
  if (H5Fget_file_image(file, image.data(), image.size()) != size) h5::fail("H5Fget_file_image");
  file.close("H5Fclose");
  seal_image(image);
  return image;
}

}  // namespace

h5::Group create_group(hid_t loc, const char* name) {
  h5::Properties gcpl(H5Pcreate(H5P_GROUP_CREATE), "H5Pcreate");
  untimed(gcpl);
  return {H5Gcreate2(loc, name, H5P_DEFAULT, gcpl, H5P_DEFAULT), std::string("H5Gcreate2 of ") + name};
}

void write_text(hid_t loc, const char* name, const std::string& text) {
  h5::Type type = h5::vlen_string();
  h5::Space space = h5::scalar_space();
  h5::Properties dcpl = dataset_properties({}, 0, false);
  h5::Dataset ds(H5Dcreate2(loc, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), std::string("H5Dcreate2 of ") + name);
  const char* p = text.c_str();
  h5::check(H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, &p), std::string("H5Dwrite of ") + name);
}

void write_strings(hid_t loc, const char* name, const std::vector<std::string>& values) {
  std::size_t width = 1;
  for (const auto& v : values) width = std::max(width, v.size());
  std::vector<char> buffer(values.size() * width, '\0');
  for (std::size_t i = 0; i < values.size(); ++i) std::memcpy(buffer.data() + i * width, values[i].data(), values[i].size());
  h5::Type type = h5::fixed_string(width);
  const hsize_t dims[] = {values.size()};
  h5::Space space = h5::simple_space(dims);
  h5::Properties dcpl = dataset_properties(dims, width, false);
  h5::Dataset ds(H5Dcreate2(loc, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), std::string("H5Dcreate2 of ") + name);
  if (!values.empty())
    h5::check(H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()), std::string("H5Dwrite of ") + name);
}

namespace {

template <class T>
h5::Dataset write_array(hid_t loc, const char* name, std::span<const hsize_t> dims, const std::vector<T>& data, bool compress) {
  h5::Space space = h5::simple_space(dims);
  std::size_t row_bytes = sizeof(T);
  for (std::size_t d = 1; d < dims.size(); ++d) row_bytes *= dims[d];
  h5::Properties dcpl = dataset_properties(dims, row_bytes, compress);
  h5::Dataset ds(H5Dcreate2(loc, name, h5::stored_type<T>(), space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                 std::string("H5Dcreate2 of ") + name);
  if (!data.empty())
    h5::check(H5Dwrite(ds, h5::native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()), std::string("H5Dwrite of ") + name);
  return ds;
}

}  // namespace

h5::Dataset write_doubles(hid_t loc, const char* name, std::span<const hsize_t> dims, const std::vector<double>& data,
                          bool compress) {
  return write_array(loc, name, dims, data, compress);
}

h5::Dataset write_u64s(hid_t loc, const char* name, std::span<const hsize_t> dims, const std::vector<std::uint64_t>& data) {
  // Uncompressed: the row size does not matter (dataset_properties only uses it for chunks).
  return write_array(loc, name, dims, data, false);
}

std::vector<SummaryRow> summary_rows(const models::RunResult& r) {
  std::vector<SummaryRow> rows;
  if (!r.summary.empty()) {
    for (const auto& m : r.summary) rows.push_back({&m.id, m.ci, m.values});
    return rows;
  }
  for (std::size_t i = 0; i < r.metric_ids.size(); ++i) {
    std::vector<double> values;
    for (const auto& rep : r.replications) values.push_back(rep.metric_values[i]);
    const ConfidenceInterval ci = confidence_interval(values);
    rows.push_back({&r.metric_ids[i], ci, std::move(values)});
  }
  return rows;
}

void write_hdf5_file(const std::string& path, const std::function<void()>& check,
                     const std::function<void(hid_t file)>& contents) {
  try {
    support::check_output_path(path);  // a bad path fails before the file is built
    check();
    const std::vector<char> image = build_image(contents);
    support::write_file_atomically(path, std::string_view(image.data(), image.size()));
  } catch (const support::OutputError& e) {
    throw file_error(path, e.reason());
  } catch (const std::runtime_error& e) {
    throw file_error(path, e.what());
  }
}

}  // namespace careflow::io
