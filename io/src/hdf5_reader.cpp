// Reader for care-model results files (docs/results-format.md), through the same checked HDF5
// layer as the writer (h5.hpp). Compound tables are read by column name (tables.hpp), and the
// record datasets and weekly series by iterating the column tables of models/records.hpp.
#include "careflow/io/hdf5_reader.hpp"

#include <algorithm>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "careflow/engine/statistics.hpp"
#include "h5.hpp"
#include "record_tables.hpp"
#include "tables.hpp"

namespace careflow::io {
namespace {

class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}

  StoredRun read(const ReadOptions& opt) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::exists(path_, ec)) throw ResultsFileError(path_, "no such results file");
    if (fs::is_directory(path_, ec)) throw ResultsFileError(path_, "is a directory, not a results file");
    if (H5Fis_hdf5(path_.c_str()) <= 0)
      throw ResultsFileError(path_, "not an HDF5 file (expected the results of `careflow run --out`)");
    try {
      h5::File file(H5Fopen(path_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "H5Fopen");
      return read_file(file, opt);
    } catch (const h5::Error& e) {  // a failed HDF5 call: name the file
      throw ResultsFileError(path_, e.what());
    }
  }

 private:
  [[noreturn]] void bad(const std::string& what) const { throw ResultsFileError(path_, what); }

  h5::Dataset open_dataset(hid_t loc, const std::string& name) {
    if (!h5::exists(loc, name.c_str())) bad("no dataset '" + name + "' (not a careflow run file, or a damaged one)");
    return {H5Dopen2(loc, name.c_str(), H5P_DEFAULT), "H5Dopen2 of " + name};
  }

  h5::Group open_group(hid_t loc, const std::string& name, const std::string& what) {
    if (!h5::exists(loc, name.c_str())) bad("no group '" + what + "'");
    return {H5Gopen2(loc, name.c_str(), H5P_DEFAULT), "H5Gopen2 of " + what};
  }

  // A 1-D dataset of fixed-length strings.
  std::vector<std::string> strings(hid_t loc, const std::string& name) {
    h5::Dataset ds = open_dataset(loc, name);
    const auto d = h5::extent(ds, name);
    const std::size_t rows = d.empty() ? 0 : d[0];
    std::vector<std::string> out(rows);
    if (rows == 0) return out;
    h5::Type file_type(H5Dget_type(ds), "H5Dget_type of " + name);
    const std::size_t width = H5Tget_size(file_type);
    if (width == 0) h5::fail("H5Tget_size of " + name);
    const H5T_cset_t cset = H5Tget_cset(file_type);
    if (cset == H5T_CSET_ERROR) h5::fail("H5Tget_cset of " + name);
    const h5::Type text = h5::fixed_string(width, cset);  // HDF5 does not convert between ASCII and UTF-8
    std::vector<char> buf(rows * width);
    h5::check(H5Dread(ds, text, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), "H5Dread of " + name);
    for (std::size_t i = 0; i < rows; ++i) out[i].assign(buf.data() + i * width, strnlen(buf.data() + i * width, width));
    return out;
  }

  // A float64 array of any shape, row-major; its dimensions in `shape`.
  std::vector<double> doubles(hid_t loc, const std::string& name, std::vector<hsize_t>& shape) {
    h5::Dataset ds = open_dataset(loc, name);
    shape = h5::extent(ds, name);
    std::size_t n = 1;
    for (hsize_t x : shape) n *= x;
    std::vector<double> out(n);
    if (n > 0) h5::check(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), "H5Dread of " + name);
    return out;
  }

  template <class T>
  T attribute(hid_t obj, const char* name) {
    if (!h5::has_attribute(obj, name)) bad(std::string("no attribute '") + name + "' (not a careflow run file)");
    return h5::read_attribute<T>(obj, name);
  }

  std::string string_attribute(hid_t obj, const char* name) {
    return h5::has_attribute(obj, name) ? h5::read_string_attribute(obj, name) : "";
  }

  void read_scenario(hid_t file, StoredRun& run) {
    {
      const std::string t = "scenario/text";
      h5::Dataset ds = open_dataset(file, t);
      run.scenario_text = h5::read_text(ds, t);
    }
    {
      const std::string t = "scenario/services";
      h5::Dataset ds = open_dataset(file, t);
      TableReader table(ds, t);
      run.services.resize(table.rows());
      auto& s = run.services;
      table.column<std::string>("name", [&s](std::size_t i, std::string v) { s[i].name = std::move(v); });
      table.column<std::string>("tier", [&s](std::size_t i, std::string v) { s[i].tier = std::move(v); });
      table.column<std::string>("kind", [&s](std::size_t i, std::string v) { s[i].kind = std::move(v); });
      table.column<std::int32_t>("agency", [&s](std::size_t i, std::int32_t v) { s[i].agency = v; });
      table.column<std::uint32_t>("capacity", [&s](std::size_t i, std::uint32_t v) { s[i].capacity = v; });
      table.read();
    }
    run.agencies = strings(file, "scenario/agencies");
    run.cohorts = strings(file, "scenario/cohorts");
    for (const auto& s : run.services)
      if (s.agency < 0 || static_cast<std::size_t>(s.agency) >= run.agencies.size()) bad("service '" + s.name + "' has an unknown agency");
  }

  // Summary: one Metric per row, with its value in each replication.
  void read_summary(hid_t file, std::uint64_t replications, models::RunResult& r) {
    const std::string t = "summary";
    h5::Dataset ds = open_dataset(file, t);
    TableReader table(ds, t);
    const std::size_t n = table.rows();
    std::vector<models::Metric> metrics(n);
    table.column<std::string>("family", [&](std::size_t i, std::string v) { metrics[i].id.family = std::move(v); });
    table.column<std::string>("name", [&](std::size_t i, std::string v) { metrics[i].id.name = std::move(v); });
    table.column<std::string>("subject", [&](std::size_t i, std::string v) { metrics[i].id.subject = std::move(v); });
    table.column<std::string>("unit", [&](std::size_t i, std::string v) { metrics[i].id.unit = std::move(v); });
    table.column<double>("mean", [&](std::size_t i, double v) { metrics[i].ci.mean = v; });
    table.column<double>("half_width", [&](std::size_t i, double v) { metrics[i].ci.half_width = v; });
    table.column<std::uint64_t>("n", [&](std::size_t i, std::uint64_t v) { metrics[i].ci.n = v; });
    table.read();
    std::vector<hsize_t> shape;
    const auto values = doubles(file, "summary_values", shape);
    if (shape.size() != 2 || shape[0] != n || shape[1] != replications) bad("summary_values does not match summary and replications");
    for (std::size_t i = 0; i < n; ++i) {
      metrics[i].values.assign(values.begin() + static_cast<std::ptrdiff_t>(i * replications),
                               values.begin() + static_cast<std::ptrdiff_t>((i + 1) * replications));
      r.metric_ids.push_back(metrics[i].id);
      r.summary.push_back(std::move(metrics[i]));
    }
  }

  // The names of the replication groups, in replication order.
  std::vector<std::string> replication_names(hid_t reps) {
    H5G_info_t info{};
    h5::check(H5Gget_info(reps, &info), "H5Gget_info of replications");
    std::vector<std::string> names;
    for (hsize_t i = 0; i < info.nlinks; ++i) {
      const ssize_t len = H5Lget_name_by_idx(reps, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
      if (len < 0) h5::fail("H5Lget_name_by_idx of replications");
      std::string name(static_cast<std::size_t>(len), '\0');
      if (H5Lget_name_by_idx(reps, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size() + 1, H5P_DEFAULT) != len)
        h5::fail("H5Lget_name_by_idx of replications");
      names.push_back(std::move(name));
    }
    std::sort(names.begin(), names.end());  // zero-padded: name order is replication order
    return names;
  }

  void read_series(hid_t g, const std::string& at, std::size_t services, models::Series& s) {
    h5::Group sg = open_group(g, "series", at + "series");
    std::vector<hsize_t> shape;
    s.time_days = doubles(sg, "time_days", shape);
    s.services = services;
    for (const models::SeriesColumn& c : models::kSeriesColumns) {
      const std::string name(c.name);
      s.*c.values = doubles(sg, name, shape);
      if ((s.*c.values).size() != s.time_days.size() * s.services) bad(at + "series/" + name + " is not [week × service]");
    }
  }

  // A record dataset of a replication; `required` unless the writer may leave it out.
  template <class R>
  void read_record_table(hid_t g, const std::string& at, bool required, std::vector<R>& out) {
    const std::string name(models::RecordTable<R>::name);
    if (!required && !h5::exists(g, name.c_str())) return;
    h5::Dataset ds = open_dataset(g, name);
    out = read_records<R>(ds, at + name);
  }

  StoredRun read_file(hid_t file, const ReadOptions& opt) {
    if (string_attribute(file, "kind") == "sweep")
      bad("is a sweep file (`careflow sweep --out`); expected the file of one run (`careflow run --out`)");
    if (string_attribute(file, "generator") != "careflow") bad("not a careflow results file (no generator = careflow attribute)");
    const int version = attribute<int>(file, "format_version");
    if (version != 1) bad("results format version " + std::to_string(version) + " is not supported (this careflow reads version 1)");

    StoredRun run;
    run.path = path_;
    run.scenario_name = string_attribute(file, "scenario_name");
    run.source_file = string_attribute(file, "source_file");
    run.seed = attribute<std::uint64_t>(file, "seed");
    run.horizon_days = attribute<double>(file, "horizon_days");
    run.warmup_days = attribute<double>(file, "warmup_days");
    run.result.seconds = attribute<double>(file, "run_seconds");
    const auto replications = attribute<std::uint64_t>(file, "replications");
    read_scenario(file, run);
    models::RunResult& r = run.result;
    read_summary(file, replications, r);

    h5::Group reps = open_group(file, "replications", "replications");
    const std::vector<std::string> names = replication_names(reps);
    if (names.size() != replications) bad("the replications attribute does not match the replication groups");
    for (std::size_t k = 0; k < names.size(); ++k) {
      h5::Group g(H5Gopen2(reps, names[k].c_str(), H5P_DEFAULT), "H5Gopen2 of replications/" + names[k]);
      models::ReplicationResult rep;
      rep.replication = attribute<std::uint64_t>(g, "replication");
      rep.events = attribute<std::uint64_t>(g, "events");
      rep.fingerprint = attribute<std::uint64_t>(g, "fingerprint");
      for (const auto& m : r.summary) rep.metric_values.push_back(m.values[k]);
      const std::string at = "replications/" + names[k] + "/";
      if (opt.series) read_series(g, at, run.services.size(), rep.series);
      if (opt.records && (k == 0 || opt.records_of_every_replication)) {
        read_record_table(g, at, true, rep.tracks);
        read_record_table(g, at, true, rep.step_changes);
        read_record_table(g, at, true, rep.delays);
        read_record_table(g, at, false, rep.episodes);  // only replication 0 by default; test before reading
      }
      r.replications.push_back(std::move(rep));
    }
    return run;
  }

  std::string path_;
};

}  // namespace

StoredRun read_results_hdf5(const std::string& path, const ReadOptions& opt) {
  h5::Silencer quiet;
  return Reader(path).read(opt);
}

}  // namespace careflow::io
