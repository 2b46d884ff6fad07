// Reader for care-model results files (docs/results-format.md). Every HDF5 call is checked
// and every identifier owned, as in the writer; columns of the compound tables are read one at
// a time by member name, so the reader does not depend on the order or padding of the fields.
#include "careflow/io/hdf5_reader.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "careflow/engine/statistics.hpp"

namespace careflow::io {
namespace {

[[noreturn]] void fail(const std::string& what) { throw ResultsFileError(what); }

class Silencer {
 public:
  Silencer() {
    H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~Silencer() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }
  Silencer(const Silencer&) = delete;
  Silencer& operator=(const Silencer&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

class Id {
 public:
  using Closer = herr_t (*)(hid_t);
  Id(hid_t id, Closer closer, const std::string& what) : id_(id), closer_(closer) {
    if (id_ < 0) fail(what);
  }
  ~Id() {
    if (id_ >= 0) closer_(id_);
  }
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  operator hid_t() const noexcept { return id_; }  // NOLINT: straight into H5 calls

 private:
  hid_t id_;
  Closer closer_;
};

bool exists(hid_t loc, const char* name) { return H5Lexists(loc, name, H5P_DEFAULT) > 0; }

// Number of rows of a 1-D dataset, or the dimensions of an n-D one.
std::vector<hsize_t> dims(hid_t ds, const std::string& name) {
  Id space(H5Dget_space(ds), H5Sclose, "cannot read the shape of " + name);
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0) fail("cannot read the shape of " + name);
  std::vector<hsize_t> d(static_cast<std::size_t>(rank));
  if (rank > 0) H5Sget_simple_extent_dims(space, d.data(), nullptr);
  return d;
}

class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void bad(const std::string& what) const { fail(path_ + ": " + what); }

  hid_t open_dataset(hid_t loc, const std::string& name) {
    if (!exists(loc, name.c_str())) bad("no dataset '" + name + "' (not a careflow run file, or a damaged one)");
    const hid_t ds = H5Dopen2(loc, name.c_str(), H5P_DEFAULT);
    if (ds < 0) bad("cannot open dataset '" + name + "'");
    return ds;
  }

  // One numeric column of a compound table, converted to T by HDF5.
  template <class T>
  std::vector<T> column(hid_t ds, const char* field, hid_t native, std::size_t rows, const std::string& table) {
    std::vector<T> out(rows);
    if (rows == 0) return out;
    Id mem(H5Tcreate(H5T_COMPOUND, sizeof(T)), H5Tclose, "H5Tcreate");
    if (H5Tinsert(mem, field, 0, native) < 0) bad("H5Tinsert");
    if (H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0) bad("cannot read column '" + std::string(field) + "' of " + table);
    return out;
  }

  // A fixed-length string column of a compound table.
  std::vector<std::string> string_column(hid_t ds, const char* field, std::size_t rows, const std::string& table) {
    std::vector<std::string> out(rows);
    if (rows == 0) return out;
    Id file_type(H5Dget_type(ds), H5Tclose, path_ + ": cannot read the type of " + table);
    const int k = H5Tget_member_index(file_type, field);
    if (k < 0) bad(table + " has no column '" + field + "'");
    Id member(H5Tget_member_type(file_type, static_cast<unsigned>(k)), H5Tclose, "H5Tget_member_type");
    const std::size_t width = std::max<std::size_t>(H5Tget_size(member), 1);
    Id str(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy");
    H5Tset_size(str, width);
    H5Tset_strpad(str, H5T_STR_NULLPAD);
    H5Tset_cset(str, H5Tget_cset(member));  // HDF5 does not convert between ASCII and UTF-8
    Id mem(H5Tcreate(H5T_COMPOUND, width), H5Tclose, "H5Tcreate");
    if (H5Tinsert(mem, field, 0, str) < 0) bad("H5Tinsert");
    std::vector<char> buf(rows * width);
    if (H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0) bad("cannot read column '" + std::string(field) + "' of " + table);
    for (std::size_t i = 0; i < rows; ++i) {
      const char* p = buf.data() + i * width;
      out[i].assign(p, strnlen(p, width));
    }
    return out;
  }

  // A 1-D dataset of fixed-length strings.
  std::vector<std::string> strings(hid_t loc, const std::string& name) {
    Id ds(open_dataset(loc, name), H5Dclose, name);
    const auto d = dims(ds, name);
    const std::size_t rows = d.empty() ? 0 : d[0];
    std::vector<std::string> out(rows);
    if (rows == 0) return out;
    Id file_type(H5Dget_type(ds), H5Tclose, path_ + ": cannot read the type of " + name);
    const std::size_t width = std::max<std::size_t>(H5Tget_size(file_type), 1);
    Id str(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy");
    H5Tset_size(str, width);
    H5Tset_strpad(str, H5T_STR_NULLPAD);
    H5Tset_cset(str, H5Tget_cset(file_type));
    std::vector<char> buf(rows * width);
    if (H5Dread(ds, str, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0) bad("cannot read " + name);
    for (std::size_t i = 0; i < rows; ++i) out[i].assign(buf.data() + i * width, strnlen(buf.data() + i * width, width));
    return out;
  }

  // A float64 array of any shape, row-major; its dimensions in `shape`.
  std::vector<double> doubles(hid_t loc, const std::string& name, std::vector<hsize_t>& shape) {
    Id ds(open_dataset(loc, name), H5Dclose, name);
    shape = dims(ds, name);
    std::size_t n = 1;
    for (hsize_t x : shape) n *= x;
    std::vector<double> out(n);
    if (n > 0 && H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0) bad("cannot read " + name);
    return out;
  }

  std::string vlen_string(hid_t loc, const std::string& name) {
    Id ds(open_dataset(loc, name), H5Dclose, name);
    Id t(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy");
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    char* p = nullptr;
    if (H5Dread(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &p) < 0) bad("cannot read " + name);
    std::string out = p ? p : "";
    H5free_memory(p);
    return out;
  }

  bool has_attr(hid_t obj, const char* name) { return H5Aexists(obj, name) > 0; }

  template <class T>
  T attr(hid_t obj, const char* name, hid_t native) {
    if (!has_attr(obj, name)) bad(std::string("no attribute '") + name + "' (not a careflow run file)");
    Id a(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose, path_ + ": cannot open attribute " + name);
    T v{};
    if (H5Aread(a, native, &v) < 0) bad(std::string("cannot read attribute ") + name);
    return v;
  }

  std::string attr_string(hid_t obj, const char* name) {
    if (!has_attr(obj, name)) return "";
    Id a(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose, path_ + ": cannot open attribute " + name);
    Id t(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy");
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    char* p = nullptr;
    if (H5Aread(a, t, &p) < 0) bad(std::string("cannot read attribute ") + name);
    std::string out = p ? p : "";
    H5free_memory(p);
    return out;
  }

  std::size_t rows_of(hid_t ds, const std::string& name) {
    const auto d = dims(ds, name);
    if (d.size() != 1) bad(name + " is not a table");
    return d[0];
  }

  StoredRun read(const ReadOptions& opt) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::exists(path_, ec)) fail(path_ + ": no such results file");
    if (fs::is_directory(path_, ec)) fail(path_ + ": is a directory, not a results file");
    if (H5Fis_hdf5(path_.c_str()) <= 0) fail(path_ + ": not an HDF5 file (expected the results of `careflow run --out`)");
    Id file(H5Fopen(path_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, path_ + ": cannot open the HDF5 file");
    if (attr_string(file, "kind") == "sweep") bad("is a sweep file; animate and report read the file of one run (`careflow run --out`)");
    if (attr_string(file, "generator") != "careflow") bad("not a careflow results file (no generator = careflow attribute)");
    const int version = attr<int>(file, "format_version", H5T_NATIVE_INT);
    if (version != 1) bad("results format version " + std::to_string(version) + " is not supported (this careflow reads version 1)");

    StoredRun run;
    run.path = path_;
    run.scenario_name = attr_string(file, "scenario_name");
    run.source_file = attr_string(file, "source_file");
    run.seed = attr<std::uint64_t>(file, "seed", H5T_NATIVE_UINT64);
    run.horizon_days = attr<double>(file, "horizon_days", H5T_NATIVE_DOUBLE);
    run.warmup_days = attr<double>(file, "warmup_days", H5T_NATIVE_DOUBLE);
    const auto replications = attr<std::uint64_t>(file, "replications", H5T_NATIVE_UINT64);

    run.scenario_text = vlen_string(file, "scenario/text");
    {
      const std::string t = "scenario/services";
      Id ds(open_dataset(file, t), H5Dclose, t);
      const std::size_t n = rows_of(ds, t);
      const auto names = string_column(ds, "name", n, t);
      const auto tiers = string_column(ds, "tier", n, t);
      const auto kinds = string_column(ds, "kind", n, t);
      const auto agency = column<std::int32_t>(ds, "agency", H5T_NATIVE_INT32, n, t);
      const auto capacity = column<std::uint32_t>(ds, "capacity", H5T_NATIVE_UINT32, n, t);
      for (std::size_t i = 0; i < n; ++i) run.services.push_back({names[i], tiers[i], kinds[i], agency[i], capacity[i]});
    }
    run.agencies = strings(file, "scenario/agencies");
    run.cohorts = strings(file, "scenario/cohorts");
    for (const auto& s : run.services)
      if (s.agency < 0 || static_cast<std::size_t>(s.agency) >= run.agencies.size()) bad("service '" + s.name + "' has an unknown agency");

    // Summary: one Metric per row, with its value in each replication.
    models::RunResult& r = run.result;
    {
      const std::string t = "summary";
      Id ds(open_dataset(file, t), H5Dclose, t);
      const std::size_t n = rows_of(ds, t);
      const auto family = string_column(ds, "family", n, t);
      const auto name = string_column(ds, "name", n, t);
      const auto subject = string_column(ds, "subject", n, t);
      const auto unit = string_column(ds, "unit", n, t);
      const auto mean = column<double>(ds, "mean", H5T_NATIVE_DOUBLE, n, t);
      const auto half = column<double>(ds, "half_width", H5T_NATIVE_DOUBLE, n, t);
      const auto count = column<std::uint64_t>(ds, "n", H5T_NATIVE_UINT64, n, t);
      std::vector<hsize_t> shape;
      const auto values = doubles(file, "summary_values", shape);
      if (shape.size() != 2 || shape[0] != n || shape[1] != replications) bad("summary_values does not match summary and replications");
      for (std::size_t i = 0; i < n; ++i) {
        models::Metric m;
        m.id = {family[i], name[i], subject[i], unit[i]};
        m.values.assign(values.begin() + static_cast<std::ptrdiff_t>(i * replications),
                        values.begin() + static_cast<std::ptrdiff_t>((i + 1) * replications));
        m.ci.mean = mean[i];
        m.ci.half_width = half[i];
        m.ci.n = count[i];
        r.metric_ids.push_back(m.id);
        r.summary.push_back(std::move(m));
      }
    }

    if (!exists(file, "replications")) bad("no group 'replications'");
    Id reps(H5Gopen2(file, "replications", H5P_DEFAULT), H5Gclose, path_ + ": cannot open replications");
    H5G_info_t info{};
    if (H5Gget_info(reps, &info) < 0) bad("cannot list replications");
    std::vector<std::string> names;
    for (hsize_t i = 0; i < info.nlinks; ++i) {
      const ssize_t len = H5Lget_name_by_idx(reps, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
      if (len < 0) bad("cannot list replications");
      std::string nm(static_cast<std::size_t>(len), '\0');
      H5Lget_name_by_idx(reps, ".", H5_INDEX_NAME, H5_ITER_INC, i, nm.data(), nm.size() + 1, H5P_DEFAULT);
      names.push_back(nm);
    }
    std::sort(names.begin(), names.end());  // zero-padded: name order is replication order
    if (names.size() != replications) bad("the replications attribute does not match the replication groups");

    for (std::size_t k = 0; k < names.size(); ++k) {
      Id g(H5Gopen2(reps, names[k].c_str(), H5P_DEFAULT), H5Gclose, path_ + ": cannot open replications/" + names[k]);
      models::ReplicationResult rep;
      rep.replication = attr<std::uint64_t>(g, "replication", H5T_NATIVE_UINT64);
      rep.events = attr<std::uint64_t>(g, "events", H5T_NATIVE_UINT64);
      rep.fingerprint = attr<std::uint64_t>(g, "fingerprint", H5T_NATIVE_UINT64);
      for (const auto& m : r.summary) rep.metric_values.push_back(m.values[k]);
      const std::string at = "replications/" + names[k] + "/";
      if (opt.series) {
        if (!exists(g, "series")) bad("no " + at + "series");
        Id sg(H5Gopen2(g, "series", H5P_DEFAULT), H5Gclose, path_ + ": cannot open " + at + "series");
        models::Series& s = rep.series;
        std::vector<hsize_t> shape;
        s.time_days = doubles(sg, "time_days", shape);
        s.services = run.services.size();
        const std::pair<const char*, std::vector<double>*> fields[] = {
            {"queue", &s.queue}, {"occupancy", &s.occupancy}, {"spend", &s.spend}, {"step_ups", &s.step_ups}, {"step_downs", &s.step_downs}};
        for (const auto& [nm, dest] : fields) {
          *dest = doubles(sg, nm, shape);
          if (dest->size() != s.time_days.size() * s.services) bad(at + "series/" + nm + " is not [week × service]");
        }
      }
      if (opt.records && k == 0) {
        {
          const std::string t = at + "tracks";
          Id ds(open_dataset(g, "tracks"), H5Dclose, t);
          const std::size_t n = rows_of(ds, t);
          const auto person = column<std::uint64_t>(ds, "person", H5T_NATIVE_UINT64, n, t);
          const auto time = column<double>(ds, "time", H5T_NATIVE_DOUBLE, n, t);
          const auto service = column<std::int32_t>(ds, "service", H5T_NATIVE_INT32, n, t);
          const auto state = column<std::int32_t>(ds, "state", H5T_NATIVE_INT32, n, t);
          for (std::size_t i = 0; i < n; ++i) rep.tracks.push_back({person[i], time[i], service[i], state[i]});
        }
        {
          const std::string t = at + "step_changes";
          Id ds(open_dataset(g, "step_changes"), H5Dclose, t);
          const std::size_t n = rows_of(ds, t);
          const auto person = column<std::uint64_t>(ds, "person", H5T_NATIVE_UINT64, n, t);
          const auto time = column<double>(ds, "time", H5T_NATIVE_DOUBLE, n, t);
          const auto from = column<std::int32_t>(ds, "from_service", H5T_NATIVE_INT32, n, t);
          const auto to = column<std::int32_t>(ds, "to_service", H5T_NATIVE_INT32, n, t);
          const auto dir = column<std::int32_t>(ds, "direction", H5T_NATIVE_INT32, n, t);
          for (std::size_t i = 0; i < n; ++i) rep.step_changes.push_back({person[i], time[i], from[i], to[i], dir[i]});
        }
        if (exists(g, "episodes")) {
          const std::string t = at + "episodes";
          Id ds(open_dataset(g, "episodes"), H5Dclose, t);
          const std::size_t n = rows_of(ds, t);
          const auto service = column<std::int32_t>(ds, "service", H5T_NATIVE_INT32, n, t);
          const auto referred = column<double>(ds, "referred", H5T_NATIVE_DOUBLE, n, t);
          const auto started = column<double>(ds, "started", H5T_NATIVE_DOUBLE, n, t);
          const auto cohort = column<std::int32_t>(ds, "cohort", H5T_NATIVE_INT32, n, t);
          rep.episodes.resize(n);
          for (std::size_t i = 0; i < n; ++i) {
            rep.episodes[i].service = service[i];
            rep.episodes[i].referred = referred[i];
            rep.episodes[i].started = started[i];
            rep.episodes[i].cohort = cohort[i];
          }
        }
      }
      r.replications.push_back(std::move(rep));
    }
    return run;
  }

 private:
  std::string path_;
};

}  // namespace

StoredRun read_results_hdf5(const std::string& path, const ReadOptions& opt) {
  Silencer quiet;
  return Reader(path).read(opt);
}

}  // namespace careflow::io
