// HDF5 writer for care-model results; the layout is documented in docs/results-format.md.
//
// Everything goes through the HDF5 C API: every call is checked and every handle is owned
// by Handle, so an exception at any point closes what is open. The file is built in memory
// and then written next to the target and renamed onto it (see build_image for why).
#include "careflow/io/hdf5_results.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "careflow/engine/statistics.hpp"

namespace careflow::io {
namespace {

namespace fs = std::filesystem;
using models::EpisodeRecord;
using models::RunResult;
using models::Scenario;
using models::SweepResult;

using models::kDaysPerYear;
constexpr unsigned kGzipLevel = 4;
// Chunks of about 1 MiB: large enough for good compression, small enough to read a slice.
constexpr std::size_t kChunkBytes = std::size_t{1} << 20;
// Rows converted and written per H5Dwrite, to bound the extra memory for big tables.
constexpr std::size_t kWriteBlockRows = 1 << 16;

// ---------------------------------------------------------------- errors

// The innermost message of HDF5's error stack (e.g. "unable to open file: ... errno = 2"),
// which says far more than the failing API call alone.
herr_t first_error(unsigned n, const H5E_error2_t* err, void* out) {
  if (n == 0 && err != nullptr && err->desc != nullptr) *static_cast<std::string*>(out) = err->desc;
  return 0;
}

[[noreturn]] void fail(const char* call) {
  std::string detail;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, first_error, &detail);
  H5Eclear2(H5E_DEFAULT);
  std::replace(detail.begin(), detail.end(), '\n', ' ');  // HDF5 breaks its messages over lines
  std::string message = std::string(call) + " failed";
  if (!detail.empty()) message += " (" + detail + ")";
  throw std::runtime_error(message);
}

hid_t check_id(hid_t id, const char* call) {
  if (id < 0) fail(call);
  return id;
}

void check(herr_t status, const char* call) {
  if (status < 0) fail(call);
}

// HDF5 prints its error stack to stderr by default; we report errors as exceptions instead,
// and put the previous handler back so that other users of the library are unaffected.
class ErrorSilencer {
 public:
  ErrorSilencer() {
    H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~ErrorSilencer() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }
  ErrorSilencer(const ErrorSilencer&) = delete;
  ErrorSilencer& operator=(const ErrorSilencer&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

// ---------------------------------------------------------------- handles

// Owns one HDF5 identifier and closes it with the matching H5?close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle(hid_t id, Closer closer, const char* call) : id_(check_id(id, call)), closer_(closer) {}
  ~Handle() {
    if (id_ >= 0) closer_(id_);  // errors while unwinding cannot be reported
  }
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, -1)), closer_(other.closer_) {}
  Handle& operator=(Handle&&) = delete;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  hid_t get() const noexcept { return id_; }
  operator hid_t() const noexcept { return id_; }  // NOLINT: lets handles go straight into H5 calls

  /// Closes now, reporting failure (a file still holding open objects fails to close).
  void close(const char* call) { check(closer_(std::exchange(id_, -1)), call); }

 private:
  hid_t id_;
  Closer closer_;
};

// HDF5 stamps every object header with the time it was written unless told not to; without
// the stamps the same contents always give the same bytes (which sweep files promise). Applied
// to every group, dataset and file (root group) creation property list.
void untimed(hid_t ocpl) { check(H5Pset_obj_track_times(ocpl, false), "H5Pset_obj_track_times"); }

Handle make_group(hid_t loc, const char* name) {
  Handle gcpl(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, "H5Pcreate");
  untimed(gcpl);
  return {H5Gcreate2(loc, name, H5P_DEFAULT, gcpl, H5P_DEFAULT), H5Gclose, "H5Gcreate2"};
}

Handle make_space(std::span<const hsize_t> dims) {
  return {H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose, "H5Screate_simple"};
}

Handle make_scalar_space() { return {H5Screate(H5S_SCALAR), H5Sclose, "H5Screate"}; }

// Fixed-length, zero-padded UTF-8 string: numpy reads it as a bytes field ("S<width>").
Handle fixed_string_type(std::size_t width) {
  Handle t(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy");
  check(H5Tset_size(t, std::max<std::size_t>(width, 1)), "H5Tset_size");
  check(H5Tset_strpad(t, H5T_STR_NULLPAD), "H5Tset_strpad");
  check(H5Tset_cset(t, H5T_CSET_UTF8), "H5Tset_cset");
  return t;
}

// Variable-length UTF-8 string: h5py reads attributes of this type as str.
Handle vlen_string_type() {
  Handle t(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy");
  check(H5Tset_size(t, H5T_VARIABLE), "H5Tset_size");
  check(H5Tset_cset(t, H5T_CSET_UTF8), "H5Tset_cset");
  return t;
}

// Dataset creation properties: chunked + shuffle + gzip when there is data and the filter is
// available (a zero-sized chunk is invalid, and empty tables need no compression). The chunk
// shape depends only on the dataset's shape, so equal contents give equal bytes. No times.
Handle make_dcpl(std::span<const hsize_t> dims, std::size_t row_bytes, bool compress) {
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "H5Pcreate");
  untimed(dcpl);
  const bool empty = std::any_of(dims.begin(), dims.end(), [](hsize_t d) { return d == 0; });
  if (!compress || empty || H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0) return dcpl;
  std::vector<hsize_t> chunk(dims.begin(), dims.end());
  const hsize_t rows = std::max<hsize_t>(1, kChunkBytes / std::max<std::size_t>(row_bytes, 1));
  chunk[0] = std::min(dims[0], rows);
  check(H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data()), "H5Pset_chunk");
  check(H5Pset_shuffle(dcpl), "H5Pset_shuffle");
  check(H5Pset_deflate(dcpl, kGzipLevel), "H5Pset_deflate");
  return dcpl;
}

// ---------------------------------------------------------------- attributes and datasets

template <class T>
void write_attr(hid_t obj, const char* name, hid_t file_type, hid_t mem_type, const T& value) {
  Handle space = make_scalar_space();
  Handle attr(H5Acreate2(obj, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, "H5Acreate2");
  check(H5Awrite(attr, mem_type, &value), "H5Awrite");
}

void attr_u64(hid_t obj, const char* name, std::uint64_t v) {
  write_attr(obj, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, v);
}
void attr_i32(hid_t obj, const char* name, std::int32_t v) {
  write_attr(obj, name, H5T_STD_I32LE, H5T_NATIVE_INT32, v);
}
void attr_f64(hid_t obj, const char* name, double v) { write_attr(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, v); }

void attr_str(hid_t obj, const char* name, const std::string& v) {
  Handle type = vlen_string_type();
  const char* p = v.c_str();
  write_attr(obj, name, type, type, p);
}

// A 1-D attribute of variable-length UTF-8 strings (h5py reads it as an array of str).
void attr_strs(hid_t obj, const char* name, const std::vector<std::string>& values) {
  Handle type = vlen_string_type();
  std::vector<const char*> pointers;
  for (const auto& v : values) pointers.push_back(v.c_str());
  const hsize_t dims[] = {values.size()};
  Handle space = make_space(dims);
  Handle attr(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, "H5Acreate2");
  if (!pointers.empty()) check(H5Awrite(attr, type, pointers.data()), "H5Awrite");
}

// A scalar variable-length string dataset (used for the scenario's YAML).
void write_text(hid_t loc, const char* name, const std::string& text) {
  Handle type = vlen_string_type();
  Handle space = make_scalar_space();
  Handle dcpl = make_dcpl({}, 0, false);
  Handle ds(H5Dcreate2(loc, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose, "H5Dcreate2");
  const char* p = text.c_str();
  check(H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, &p), "H5Dwrite");
}

// A 1-D dataset of fixed-length strings, as wide as the longest.
void write_strings(hid_t loc, const char* name, const std::vector<std::string>& values) {
  std::size_t width = 1;
  for (const auto& v : values) width = std::max(width, v.size());
  std::vector<char> buffer(values.size() * width, '\0');
  for (std::size_t i = 0; i < values.size(); ++i)
    std::memcpy(buffer.data() + i * width, values[i].data(), values[i].size());
  Handle type = fixed_string_type(width);
  const hsize_t dims[] = {values.size()};
  Handle space = make_space(dims);
  Handle dcpl = make_dcpl(dims, width, false);
  Handle ds(H5Dcreate2(loc, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose, "H5Dcreate2");
  if (!values.empty()) check(H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()), "H5Dwrite");
}

// A float64 array of the given shape (row-major data); returns the dataset for attributes.
Handle write_doubles(hid_t loc, const char* name, std::span<const hsize_t> dims, const std::vector<double>& data,
                     bool compress) {
  Handle space = make_space(dims);
  std::size_t row_bytes = sizeof(double);
  for (std::size_t d = 1; d < dims.size(); ++d) row_bytes *= dims[d];
  Handle dcpl = make_dcpl(dims, row_bytes, compress);
  Handle ds(H5Dcreate2(loc, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose, "H5Dcreate2");
  if (!data.empty()) check(H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()), "H5Dwrite");
  return ds;
}

// A uint64 array of the given shape (row-major data), uncompressed; returns the dataset.
Handle write_u64s(hid_t loc, const char* name, std::span<const hsize_t> dims, const std::vector<std::uint64_t>& data) {
  Handle space = make_space(dims);
  Handle dcpl = make_dcpl(dims, 0, false);
  Handle ds(H5Dcreate2(loc, name, H5T_STD_U64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose, "H5Dcreate2");
  if (!data.empty()) check(H5Dwrite(ds, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()), "H5Dwrite");
  return ds;
}

// ---------------------------------------------------------------- compound tables

// A table written as a 1-D dataset of a packed compound type, one field per column, named
// as the C++ members so that pandas.DataFrame(dataset[:]) has the same columns.
class Table {
 public:
  explicit Table(std::size_t rows) : rows_(rows) {}

  template <class Get>
  void u64(const char* name, Get get) {
    numeric<std::uint64_t>(name, H5T_NATIVE_UINT64, H5T_STD_U64LE, get);
  }
  template <class Get>
  void u32(const char* name, Get get) {
    numeric<std::uint32_t>(name, H5T_NATIVE_UINT32, H5T_STD_U32LE, get);
  }
  template <class Get>
  void i32(const char* name, Get get) {
    numeric<std::int32_t>(name, H5T_NATIVE_INT32, H5T_STD_I32LE, get);
  }
  template <class Get>
  void f64(const char* name, Get get) {
    numeric<double>(name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, get);
  }

  /// A fixed-length string column as wide as its longest value; get(i) returns a string.
  template <class Get>
  void str(const char* name, Get get) {
    std::size_t width = 1;
    for (std::size_t i = 0; i < rows_; ++i) width = std::max(width, std::string_view(get(i)).size());
    columns_.push_back({name, -1, -1, width,
                        [get, width](std::size_t first, std::size_t count, unsigned char* base, std::size_t stride) {
                          for (std::size_t k = 0; k < count; ++k) {
                            const std::string_view v(get(first + k));
                            std::memcpy(base + k * stride, v.data(), std::min(v.size(), width));
                          }
                        }});
  }

  /// Compression pays for the large per-replication tables, not for small descriptive ones.
  Handle write(hid_t loc, const char* name, bool compress = true) const {
    std::size_t row_bytes = 0;
    for (const auto& c : columns_) row_bytes += c.size;
    Handle mem_type(H5Tcreate(H5T_COMPOUND, row_bytes), H5Tclose, "H5Tcreate");
    Handle file_type(H5Tcreate(H5T_COMPOUND, row_bytes), H5Tclose, "H5Tcreate");
    std::vector<std::size_t> offsets;
    std::size_t offset = 0;
    for (const auto& c : columns_) {
      offsets.push_back(offset);
      if (c.mem_type < 0) {
        Handle s = fixed_string_type(c.size);
        check(H5Tinsert(mem_type, c.name.c_str(), offset, s), "H5Tinsert");
        check(H5Tinsert(file_type, c.name.c_str(), offset, s), "H5Tinsert");
      } else {
        check(H5Tinsert(mem_type, c.name.c_str(), offset, c.mem_type), "H5Tinsert");
        check(H5Tinsert(file_type, c.name.c_str(), offset, c.file_type), "H5Tinsert");
      }
      offset += c.size;
    }

    const hsize_t dims[] = {rows_};
    Handle space = make_space(dims);
    Handle dcpl = make_dcpl(dims, row_bytes, compress);
    Handle ds(H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose, "H5Dcreate2");

    std::vector<unsigned char> buffer;
    for (std::size_t first = 0; first < rows_; first += kWriteBlockRows) {
      const std::size_t count = std::min(kWriteBlockRows, rows_ - first);
      buffer.assign(count * row_bytes, 0);  // zero padding after short strings
      for (std::size_t c = 0; c < columns_.size(); ++c)
        columns_[c].fill(first, count, buffer.data() + offsets[c], row_bytes);
      const hsize_t start[] = {first};
      const hsize_t n[] = {count};
      check(H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, n, nullptr), "H5Sselect_hyperslab");
      Handle mem_space = make_space(n);
      check(H5Dwrite(ds, mem_type, mem_space, space, H5P_DEFAULT, buffer.data()), "H5Dwrite");
    }
    return ds;
  }

 private:
  using Fill = std::function<void(std::size_t first, std::size_t count, unsigned char* base, std::size_t stride)>;
  struct Column {
    std::string name;
    hid_t mem_type;    // -1 for a string column
    hid_t file_type;   // predefined HDF5 types: not owned
    std::size_t size;  // bytes in a record
    Fill fill;
  };

  template <class T, class Get>
  void numeric(const char* name, hid_t mem_type, hid_t file_type, Get get) {
    columns_.push_back({name, mem_type, file_type, sizeof(T),
                        [get](std::size_t first, std::size_t count, unsigned char* base, std::size_t stride) {
                          for (std::size_t k = 0; k < count; ++k) {
                            const T v = get(first + k);
                            std::memcpy(base + k * stride, &v, sizeof v);
                          }
                        }});
  }

  std::size_t rows_;
  std::vector<Column> columns_;
};

// ---------------------------------------------------------------- contents

// One summary row: the summary filled by models::summarise, or computed here if it was not.
struct SummaryRow {
  const models::MetricId* id;
  ConfidenceInterval ci;
  std::vector<double> values;  // one per replication
};

std::vector<SummaryRow> summary_rows(const RunResult& r) {
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

// Checks sizes before anything is written, so that a bad result never creates a file.
void validate(const RunResult& r) {
  const std::size_t reps = r.replications.size();
  for (const auto& m : r.summary) {
    if (m.values.size() != reps)
      throw std::runtime_error("summary metric '" + m.id.name + "' has " + std::to_string(m.values.size()) +
                               " values for " + std::to_string(reps) + " replications");
  }
  for (const auto& rep : r.replications) {
    const std::string where = "replication " + std::to_string(rep.replication) + ": ";
    if (r.summary.empty() && rep.metric_values.size() != r.metric_ids.size())
      throw std::runtime_error(where + "metric_values has " + std::to_string(rep.metric_values.size()) +
                               " values for " + std::to_string(r.metric_ids.size()) + " metrics");
    const auto& s = rep.series;
    const std::size_t expected = s.time_days.size() * s.services;
    const std::pair<const char*, const std::vector<double>*> fields[] = {{"queue", &s.queue},
                                                                         {"occupancy", &s.occupancy},
                                                                         {"spend", &s.spend},
                                                                         {"step_ups", &s.step_ups},
                                                                         {"step_downs", &s.step_downs}};
    for (const auto& [name, v] : fields) {
      if (v->size() != expected)
        throw std::runtime_error(where + "series." + name + " has " + std::to_string(v->size()) + " values, expected " +
                                 std::to_string(expected) + " (" + std::to_string(s.time_days.size()) + " weeks x " +
                                 std::to_string(s.services) + " services)");
    }
  }
}

void write_scenario(hid_t file, const Scenario& s) {
  Handle g = make_group(file, "scenario");
  write_text(g, "text", s.source_text);

  Table services(s.services.size());
  services.str("name", [&](std::size_t i) -> const std::string& { return s.services[i].name; });
  services.str("tier", [&](std::size_t i) { return models::name_of(s.services[i].tier); });
  services.str("kind", [&](std::size_t i) { return models::name_of(s.services[i].kind); });
  services.i32("agency", [&](std::size_t i) -> std::int32_t { return s.services[i].agency; });
  services.u32("capacity", [&](std::size_t i) -> std::uint32_t { return s.services[i].capacity; });
  services.write(g, "services", false);

  std::vector<std::string> names;
  for (const auto& a : s.agencies) names.push_back(a.name);
  write_strings(g, "agencies", names);
  names.clear();
  for (const auto& c : s.cohorts) names.push_back(c.name);
  write_strings(g, "cohorts", names);
  write_strings(g, "need_levels", s.need_levels);
}

void write_summary(hid_t file, const RunResult& r) {
  const std::vector<SummaryRow> rows = summary_rows(r);
  Table t(rows.size());
  t.str("family", [&](std::size_t i) -> const std::string& { return rows[i].id->family; });
  t.str("name", [&](std::size_t i) -> const std::string& { return rows[i].id->name; });
  t.str("subject", [&](std::size_t i) -> const std::string& { return rows[i].id->subject; });
  t.str("unit", [&](std::size_t i) -> const std::string& { return rows[i].id->unit; });
  t.f64("mean", [&](std::size_t i) { return rows[i].ci.mean; });
  t.f64("half_width", [&](std::size_t i) { return rows[i].ci.half_width; });
  t.f64("lower", [&](std::size_t i) { return rows[i].ci.lower(); });
  t.f64("upper", [&](std::size_t i) { return rows[i].ci.upper(); });
  t.u64("n", [&](std::size_t i) -> std::uint64_t { return rows[i].ci.n; });
  {
    Handle ds = t.write(file, "summary", false);
    attr_f64(ds, "level", rows.empty() ? 0.95 : rows.front().ci.level);
  }

  std::vector<double> values;
  for (const auto& row : rows) values.insert(values.end(), row.values.begin(), row.values.end());
  const hsize_t dims[] = {rows.size(), r.replications.size()};
  Handle ds = write_doubles(file, "summary_values", dims, values, false);
  attr_str(ds, "dims", "metric,replication");
}

void write_episodes(hid_t g, const std::vector<EpisodeRecord>& e) {
  Table t(e.size());
  t.u64("person", [&](std::size_t i) { return e[i].person; });
  t.i32("cohort", [&](std::size_t i) { return e[i].cohort; });
  t.i32("service", [&](std::size_t i) { return e[i].service; });
  t.f64("referred", [&](std::size_t i) { return e[i].referred; });
  t.f64("started", [&](std::size_t i) { return e[i].started; });
  t.f64("ended", [&](std::size_t i) { return e[i].ended; });
  t.f64("wait", [&](std::size_t i) { return e[i].wait(); });
  t.f64("cost", [&](std::size_t i) { return e[i].cost; });
  t.i32("outcome", [&](std::size_t i) { return e[i].outcome; });
  t.i32("unit", [&](std::size_t i) { return e[i].unit; });
  t.i32("need_at_start", [&](std::size_t i) { return e[i].need_at_start; });
  t.i32("need_at_end", [&](std::size_t i) { return e[i].need_at_end; });
  t.write(g, "episodes");
}

void write_series(hid_t parent, const models::Series& s) {
  Handle g = make_group(parent, "series");
  const hsize_t weeks[] = {s.time_days.size()};
  {
    Handle ds = write_doubles(g, "time_days", weeks, s.time_days, false);
    attr_str(ds, "units", "days");
  }
  const hsize_t dims[] = {s.time_days.size(), s.services};
  const std::pair<const char*, const std::vector<double>*> fields[] = {{"queue", &s.queue},
                                                                       {"occupancy", &s.occupancy},
                                                                       {"spend", &s.spend},
                                                                       {"step_ups", &s.step_ups},
                                                                       {"step_downs", &s.step_downs}};
  const char* units[] = {"people", "places", "£", "people", "people"};
  for (std::size_t f = 0; f < std::size(fields); ++f) {
    Handle ds = write_doubles(g, fields[f].first, dims, *fields[f].second, true);
    attr_str(ds, "dims", "week,service");
    attr_str(ds, "units", units[f]);
  }
}

void write_replication(hid_t parent, const char* name, const models::ReplicationResult& rep, bool with_episodes) {
  Handle g = make_group(parent, name);
  attr_u64(g, "replication", rep.replication);
  attr_u64(g, "events", rep.events);
  attr_u64(g, "fingerprint", rep.fingerprint);
  if (with_episodes) write_episodes(g, rep.episodes);

  const auto& sc = rep.step_changes;
  Table steps(sc.size());
  steps.u64("person", [&](std::size_t i) { return sc[i].person; });
  steps.f64("time", [&](std::size_t i) { return sc[i].time; });
  steps.i32("from_service", [&](std::size_t i) { return sc[i].from_service; });
  steps.i32("to_service", [&](std::size_t i) { return sc[i].to_service; });
  steps.i32("direction", [&](std::size_t i) { return sc[i].direction; });
  steps.write(g, "step_changes");

  const auto& d = rep.delays;
  Table delays(d.size());
  delays.u64("person", [&](std::size_t i) { return d[i].person; });
  delays.i32("hospital", [&](std::size_t i) { return d[i].hospital; });
  delays.i32("waiting_for", [&](std::size_t i) { return d[i].waiting_for; });
  delays.str("reason", [&](std::size_t i) -> const std::string& { return d[i].reason; });
  delays.f64("start", [&](std::size_t i) { return d[i].start; });
  delays.f64("end", [&](std::size_t i) { return d[i].end; });
  delays.write(g, "delays");

  const auto& tr = rep.tracks;
  Table tracks(tr.size());
  tracks.u64("person", [&](std::size_t i) { return tr[i].person; });
  tracks.f64("time", [&](std::size_t i) { return tr[i].time; });
  tracks.i32("service", [&](std::size_t i) { return tr[i].service; });
  tracks.i32("state", [&](std::size_t i) { return tr[i].state; });
  tracks.write(g, "tracks");

  write_series(g, rep.series);
}

void write_contents(hid_t file, const Scenario& s, const RunResult& r, const WriteOptions& opt) {
  attr_i32(file, "format_version", kResultsFormatVersion);
  attr_str(file, "generator", "careflow");
  attr_str(file, "scenario_name", s.name);
  attr_str(file, "source_file", s.source_file);
  attr_u64(file, "seed", s.seed);
  attr_u64(file, "replications", r.replications.size());
  attr_f64(file, "horizon_days", s.horizon_years * kDaysPerYear);
  attr_f64(file, "warmup_days", s.warmup_years * kDaysPerYear);
  attr_f64(file, "run_seconds", r.seconds);
  attr_i32(file, "episodes_all_replications", opt.episodes_all_replications ? 1 : 0);

  write_scenario(file, s);
  write_summary(file, r);

  Handle reps = make_group(file, "replications");
  // At least four digits, more when needed, so that names sort in replication order.
  const std::size_t last = r.replications.empty() ? 0 : r.replications.size() - 1;
  const std::size_t digits = std::max<std::size_t>(4, std::to_string(last).size());
  for (std::size_t i = 0; i < r.replications.size(); ++i) {
    const std::string number = std::to_string(i);
    std::string name = "r";  // appended piecewise: "r" + std::string(...) trips GCC 12's -Wrestrict
    name.append(digits - std::min(digits, number.size()), '0');
    name += number;
    write_replication(reps, name.c_str(), r.replications[i], i == 0 || opt.episodes_all_replications);
  }
}

// ---------------------------------------------------------------- sweeps

// Metrics are matched across points by (family, name, subject); the unit follows the name.
using MetricKey = std::tuple<const std::string&, const std::string&, const std::string&>;
MetricKey metric_key(const models::MetricId& id) { return {id.family, id.name, id.subject}; }

std::string point_label(const SweepResult& s, std::size_t i) {
  return "point " + std::to_string(i) + " ('" + s.points[i].scenario_name + "')";
}

// Checks sizes before anything is written, so that a bad sweep never creates a file.
void validate_sweep(const SweepResult& s) {
  for (std::size_t i = 0; i < s.points.size(); ++i) {
    const models::SweepPoint& p = s.points[i];
    if (p.values.size() != s.spec.parameters.size())
      throw std::runtime_error(point_label(s, i) + " has " + std::to_string(p.values.size()) + " values for " +
                               std::to_string(s.spec.parameters.size()) + " parameters");
    if (p.run.replications.size() != s.replications)
      throw std::runtime_error(point_label(s, i) + " has " + std::to_string(p.run.replications.size()) +
                               " replications, expected " + std::to_string(s.replications));
    for (std::size_t r = 0; r < p.run.replications.size(); ++r) {
      const std::size_t n = p.run.replications[r].metric_values.size();
      if (n != p.run.metric_ids.size())
        throw std::runtime_error(point_label(s, i) + ", replication " + std::to_string(r) + ": metric_values has " +
                                 std::to_string(n) + " values for " + std::to_string(p.run.metric_ids.size()) +
                                 " metrics");
    }
  }
}

// For each of `wanted`, the index of the same metric in `have` (first match), or -1.
template <class Ids, class IdOf>
std::vector<std::ptrdiff_t> align(const std::vector<models::MetricId>& wanted, const Ids& have, IdOf id_of) {
  std::map<MetricKey, std::ptrdiff_t> index;
  for (std::size_t j = 0; j < have.size(); ++j)
    index.emplace(metric_key(id_of(have[j])), static_cast<std::ptrdiff_t>(j));
  std::vector<std::ptrdiff_t> out;
  for (const auto& id : wanted) {
    const auto it = index.find(metric_key(id));
    out.push_back(it == index.end() ? -1 : it->second);
  }
  return out;
}

void write_sweep_contents(hid_t file, const SweepResult& s) {
  const std::size_t points = s.points.size();
  const std::size_t metrics = s.metric_ids.size();
  const std::size_t reps = static_cast<std::size_t>(s.replications);

  attr_i32(file, "format_version", kSweepFormatVersion);
  attr_str(file, "generator", "careflow");
  attr_str(file, "kind", "sweep");
  attr_str(file, "base_file", s.spec.base_file);
  attr_u64(file, "seed", s.seed);
  attr_u64(file, "replications", s.replications);
  attr_i32(file, "grid", s.spec.grid ? 1 : 0);

  {
    Handle g = make_group(file, "base_scenario");
    write_text(g, "text", s.base_text);
  }

  std::vector<std::string> paths;
  for (const auto& p : s.spec.parameters) paths.push_back(p.path);
  write_strings(file, "parameters", paths);

  // Parameter columns are named by position (p0, p1, ...): paths such as
  // "services[early help].capacity" make awkward field names. The `parameters` attribute maps them.
  std::vector<std::string> columns;
  for (std::size_t k = 0; k < paths.size(); ++k) columns.push_back("p" + std::to_string(k));
  Table table(points);
  table.i32("index", [](std::size_t i) { return static_cast<std::int32_t>(i); });
  table.str("scenario_name", [&s](std::size_t i) -> const std::string& { return s.points[i].scenario_name; });
  for (std::size_t k = 0; k < columns.size(); ++k)
    table.str(columns[k].c_str(), [&s, k](std::size_t i) -> const std::string& { return s.points[i].values[k]; });
  {
    Handle ds = table.write(file, "points", false);
    attr_strs(ds, "parameters", paths);
  }

  const auto& ids = s.metric_ids;
  Table metric_table(metrics);
  metric_table.str("family", [&](std::size_t m) -> const std::string& { return ids[m].family; });
  metric_table.str("name", [&](std::size_t m) -> const std::string& { return ids[m].name; });
  metric_table.str("subject", [&](std::size_t m) -> const std::string& { return ids[m].subject; });
  metric_table.str("unit", [&](std::size_t m) -> const std::string& { return ids[m].unit; });
  metric_table.write(file, "metrics", false);

  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> values(points * metrics * reps, kNaN);
  std::vector<double> mean(points * metrics, kNaN);
  std::vector<double> half_width(points * metrics, kNaN);
  std::vector<std::uint64_t> fingerprints(points * reps);
  std::vector<std::uint64_t> events(points * reps);
  double level = 0.95;
  bool have_level = false;
  for (std::size_t i = 0; i < points; ++i) {
    const RunResult& run = s.points[i].run;
    const std::vector<std::ptrdiff_t> column = align(ids, run.metric_ids, [](const auto& id) -> const auto& { return id; });
    for (std::size_t r = 0; r < reps; ++r) {
      const models::ReplicationResult& rep = run.replications[r];
      fingerprints[i * reps + r] = rep.fingerprint;
      events[i * reps + r] = rep.events;
      for (std::size_t m = 0; m < metrics; ++m)
        if (column[m] >= 0)
          values[(i * metrics + m) * reps + r] = rep.metric_values[static_cast<std::size_t>(column[m])];
    }
    const std::vector<SummaryRow> rows = summary_rows(run);
    const std::vector<std::ptrdiff_t> row = align(ids, rows, [](const SummaryRow& x) -> const auto& { return *x.id; });
    for (std::size_t m = 0; m < metrics; ++m) {
      if (row[m] < 0) continue;
      const ConfidenceInterval& ci = rows[static_cast<std::size_t>(row[m])].ci;
      mean[i * metrics + m] = ci.mean;
      half_width[i * metrics + m] = ci.half_width;
      if (!have_level) level = ci.level;
      have_level = true;
    }
  }

  {
    const hsize_t dims[] = {points, metrics, reps};
    Handle ds = write_doubles(file, "values", dims, values, true);
    attr_str(ds, "dims", "point,metric,replication");
  }
  const hsize_t pm[] = {points, metrics};
  {
    Handle ds = write_doubles(file, "mean", pm, mean, true);
    attr_str(ds, "dims", "point,metric");
  }
  {
    Handle ds = write_doubles(file, "half_width", pm, half_width, true);
    attr_str(ds, "dims", "point,metric");
    attr_f64(ds, "level", level);
  }
  const hsize_t pr[] = {points, reps};
  {
    Handle ds = write_u64s(file, "fingerprints", pr, fingerprints);
    attr_str(ds, "dims", "point,replication");
  }
  Handle ds = write_u64s(file, "events", pr, events);
  attr_str(ds, "dims", "point,replication");
}

// ---------------------------------------------------------------- files

std::runtime_error file_error(const std::string& path, const std::string& why) {
  return std::runtime_error("cannot write results file '" + path + "': " + why);
}

std::string errno_text(int err) { return std::strerror(err); }

// The file that will be replaced: symbolic links are followed (even dangling ones) so that
// the link survives and the file it names is written.
fs::path resolve_target(const std::string& path) {
  fs::path p(path);
  std::error_code ec;
  for (int hops = 0; hops < 40 && fs::is_symlink(p, ec); ++hops) {
    const fs::path next = fs::read_symlink(p, ec);
    if (ec) break;
    p = next.is_absolute() ? next : p.parent_path() / next;
  }
  return p;
}

void check_target(const std::string& path, const fs::path& target) {
  if (path.empty()) throw file_error(path, "the path is empty");
  std::error_code ec;
  const fs::file_status st = fs::status(target, ec);
  if (fs::is_directory(st)) throw file_error(path, "it is a directory");
  if (fs::exists(st) && !fs::is_regular_file(st)) throw file_error(path, "it exists and is not a regular file");
  fs::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  const fs::file_status dst = fs::status(dir, ec);
  if (!fs::exists(dst)) throw file_error(path, "directory '" + dir.string() + "' does not exist");
  if (!fs::is_directory(dst)) throw file_error(path, "'" + dir.string() + "' is not a directory");
  // W_OK|X_OK: creating and renaming a file needs both on the directory.
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw file_error(path, "directory '" + dir.string() + "' is not writable (" + errno_text(errno) + ")");
}

// Builds the whole HDF5 file in memory (HDF5's core driver, no backing store) and returns
// its bytes. Why not let HDF5 write the file: in HDF5 1.10 a failed H5Fclose (disk full,
// quota, I/O error while flushing) leaves the library in a state where the next close, or
// the library's own clean-up at exit, crashes. In memory no HDF5 call can meet an I/O error;
// the disk is written by write_atomically, where errors are ours to handle. The image holds
// the compressed data, so it is smaller than the RunResult it is made from.
// No object times (see untimed), so the image depends only on what `contents` writes.
std::vector<char> build_image(const std::function<void(hid_t)>& contents) {
  ErrorSilencer silence;
  Handle fcpl(H5Pcreate(H5P_FILE_CREATE), H5Pclose, "H5Pcreate");
  untimed(fcpl);  // the root group
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "H5Pcreate");
  check(H5Pset_fapl_core(fapl, std::size_t{4} << 20, false), "H5Pset_fapl_core");
  // SEMI: closing the file fails if a handle was left open, instead of silently deferring it.
  check(H5Pset_fclose_degree(fapl, H5F_CLOSE_SEMI), "H5Pset_fclose_degree");
  Handle file(H5Fcreate("careflow-results.h5", H5F_ACC_TRUNC, fcpl, fapl), H5Fclose, "H5Fcreate");
  contents(file);
  check(H5Fflush(file, H5F_SCOPE_LOCAL), "H5Fflush");
  const ssize_t size = H5Fget_file_image(file, nullptr, 0);
  if (size <= 0) fail("H5Fget_file_image");
  std::vector<char> image(static_cast<std::size_t>(size));
  if (H5Fget_file_image(file, image.data(), image.size()) != size) fail("H5Fget_file_image");
  file.close("H5Fclose");
  return image;
}

// The temporary file being written, if any, for remove_partial_output() (a signal handler
// cannot take a lock or allocate: it reads one pointer). One writer at a time (HDF5 writing is
// not thread-safe anyway).
std::atomic<const char*> partial_output{nullptr};

// Clears partial_output on every way out of write_atomically.
struct PartialOutput {
  explicit PartialOutput(const fs::path& tmp) { partial_output.store(tmp.c_str()); }
  ~PartialOutput() { partial_output.store(nullptr); }
  PartialOutput(const PartialOutput&) = delete;
  PartialOutput& operator=(const PartialOutput&) = delete;
};

// Writes `bytes` to a temporary file next to `target` (.NAME.tmp-PID), syncs it and renames
// it onto the target, so the target is either the old file or the complete new one.
void write_atomically(const fs::path& target, const std::vector<char>& bytes) {
  fs::path tmp = target;
  tmp.replace_filename("." + target.filename().string() + ".tmp-" + std::to_string(::getpid()));
  const PartialOutput announced(tmp);
  // O_NOFOLLOW: never write through a link someone planted under the temporary name. A stale
  // temporary of a crashed run with the same PID is truncated; anything else makes open fail.
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0666);
  if (fd < 0) throw std::runtime_error("cannot create temporary file '" + tmp.string() + "': " + errno_text(errno));
  std::string failure;
  for (std::size_t done = 0; done < bytes.size() && failure.empty();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && errno != EINTR) {
      failure = "writing '" + tmp.string() + "' failed: " + errno_text(errno);
    }
  }
  // fsync before the rename, so that a crash just after it cannot leave the target name on a
  // file whose contents never reached the disk.
  if (failure.empty() && ::fsync(fd) != 0) failure = "fsync of '" + tmp.string() + "' failed: " + errno_text(errno);
  if (::close(fd) != 0 && failure.empty()) failure = "closing '" + tmp.string() + "' failed: " + errno_text(errno);
  if (failure.empty() && std::rename(tmp.c_str(), target.c_str()) != 0)
    failure = "renaming '" + tmp.string() + "' failed: " + errno_text(errno);
  if (!failure.empty()) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw std::runtime_error(failure);
  }
}

}  // namespace

void check_writable(const std::string& path) { check_target(path, resolve_target(path)); }

void remove_partial_output() noexcept {
  if (const char* tmp = partial_output.load()) ::unlink(tmp);  // async-signal-safe
}

void write_results_hdf5(const std::string& path, const Scenario& scenario, const RunResult& result,
                        const WriteOptions& opt) {
  const fs::path target = resolve_target(path);
  check_target(path, target);
  try {
    validate(result);
    write_atomically(target, build_image([&](hid_t file) { write_contents(file, scenario, result, opt); }));
  } catch (const std::runtime_error& e) {
    throw file_error(path, e.what());
  }
}

void write_sweep_hdf5(const std::string& path, const SweepResult& sweep) {
  const fs::path target = resolve_target(path);
  check_target(path, target);
  try {
    validate_sweep(sweep);
    write_atomically(target, build_image([&](hid_t file) { write_sweep_contents(file, sweep); }));
  } catch (const std::runtime_error& e) {
    throw file_error(path, e.what());
  }
}

}  // namespace careflow::io
