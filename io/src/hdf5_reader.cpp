// Reader for care-model results files (docs/results-format.md), through the same checked HDF5
// layer as the writer (h5.hpp). Compound tables are read by column name (tables.hpp), and the
// record datasets and weekly series by iterating the column tables of models/records.hpp.
//
// A damaged file never crashes the reader (docs/reliability.md, "Damaged results files"):
//   - a sealed file (format 2) is checked against its seal (seal.hpp) before HDF5 opens it;
//   - a file without a seal (format 1, or written by another program) is first read in a
//     child process, so that a crash inside the HDF5 library is a refusal, not the caller's;
//   - every dataset's shape is checked against the layout before it is read, and all that is
//     read is bounded by what a file of this size can hold (ReadBudget).
#include "careflow/io/hdf5_reader.hpp"

#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "careflow/engine/statistics.hpp"
#include "h5.hpp"
#include "record_tables.hpp"
#include "seal.hpp"
#include "tables.hpp"

// AddressSanitizer reserves its shadow memory in address space: no address-space limit there.
#if defined(__SANITIZE_ADDRESS__)
#define CAREFLOW_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CAREFLOW_UNDER_ASAN 1
#endif
#endif
#ifndef CAREFLOW_UNDER_ASAN
#define CAREFLOW_UNDER_ASAN 0
#endif

namespace careflow::io {
namespace {

// What a file of `file_bytes` bytes can hold once read: deflate expands at most about 1032
// times, so 1100 times the file (and 16 MiB for the smallest files) is more than any honest
// file holds; a shape that claims more is damage, refused before anything is allocated.
std::uint64_t read_budget(std::uint64_t file_bytes) {
  const std::uint64_t cap = std::numeric_limits<std::uint64_t>::max() / 2;
  return file_bytes > cap / 1100 ? cap : 1100 * file_bytes + (std::uint64_t{16} << 20);
}

class Reader {
 public:
  Reader(std::string path, Seal seal, std::uint64_t file_bytes)
      : path_(std::move(path)), seal_(seal), budget_(read_budget(file_bytes)) {}

  StoredRun read(const ReadOptions& opt) {
    if (H5Fis_hdf5(path_.c_str()) <= 0)
      throw ResultsFileError(path_, "not an HDF5 file (expected the results of `careflow run --out`)");
    try {
      h5::File file(H5Fopen(path_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "H5Fopen");
      return read_file(file, opt);
    } catch (const h5::Error& e) {  // a failed HDF5 call: name the file
      throw ResultsFileError(path_, std::string(e.what()) + " (a damaged file?)");
    }
  }

 private:
  [[noreturn]] void bad(const std::string& what) const { throw ResultsFileError(path_, what); }

  // Counts `count` elements of `size` bytes against the budget; refuses a dataset that claims
  // more than the file can hold (overflow-safe).
  void charge(const std::string& name, std::uint64_t count, std::uint64_t size) {
    if (size != 0 && count > budget_ / size)
      bad("dataset '" + name + "' claims more data (" + std::to_string(count) + " values) than a file of this size can hold: the file is damaged");
    budget_ -= count * size;
  }

  // The number of elements of a dataset of shape `dims`, refusing an impossible one.
  std::uint64_t elements(const std::string& name, const std::vector<hsize_t>& dims, std::uint64_t size) {
    std::uint64_t n = 1;
    for (hsize_t d : dims) {
      if (d != 0 && n > std::numeric_limits<std::uint64_t>::max() / d) bad("dataset '" + name + "' has an impossible shape: the file is damaged");
      n *= d;
    }
    const std::uint64_t left = budget_;
    charge(name, n, size);
    budget_ = left;  // only checked here; the read charges it
    return n;
  }

  // A table's rows, charged at the row size stored in the file.
  std::size_t table_rows(hid_t ds, const std::string& name) {
    const TableReader table(ds, name);
    h5::Type type(H5Dget_type(ds), "H5Dget_type of " + name);
    const std::size_t row = H5Tget_size(type);
    if (row == 0) h5::fail("H5Tget_size of " + name);
    charge(name, table.rows(), row);
    return table.rows();
  }

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
    if (H5Tget_class(file_type) != H5T_STRING || H5Tis_variable_str(file_type) != 0) bad(name + " is not a list of fixed-length text");
    const std::size_t width = H5Tget_size(file_type);
    if (width == 0) h5::fail("H5Tget_size of " + name);
    if (d.size() != 1) bad(name + " is not a list (a 1-D dataset)");
    charge(name, rows, width + sizeof(std::string));
    const H5T_cset_t cset = H5Tget_cset(file_type);
    if (cset == H5T_CSET_ERROR) h5::fail("H5Tget_cset of " + name);
    const h5::Type text = h5::fixed_string(width, cset);  // HDF5 does not convert between ASCII and UTF-8
    std::vector<char> buf(rows * width);
    h5::check(H5Dread(ds, text, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), "H5Dread of " + name);
    for (std::size_t i = 0; i < rows; ++i) out[i].assign(buf.data() + i * width, strnlen(buf.data() + i * width, width));
    return out;
  }

  // A float64 array, row-major, of the shape `expected` (checked before anything is read).
  std::vector<double> doubles(hid_t loc, const std::string& local, const std::vector<hsize_t>& expected, const std::string& layout,
                              const std::string& at = "") {
    const std::string name = at + local;
    h5::Dataset ds = open_dataset(loc, local);
    const std::vector<hsize_t> shape = h5::extent(ds, name);
    if (shape != expected) {
      std::string got;
      for (hsize_t x : shape) got += (got.empty() ? "" : " × ") + std::to_string(x);
      bad("dataset '" + name + "' is [" + got + "], not [" + layout + "]: the file is damaged");
    }
    h5::Type type(H5Dget_type(ds), "H5Dget_type of " + name);
    if (H5Tget_class(type) != H5T_FLOAT) bad("dataset '" + name + "' does not hold numbers: the file is damaged");
    const std::uint64_t n = elements(name, shape, sizeof(double));
    charge(name, n, sizeof(double));
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
      h5::Type type(H5Dget_type(ds), "H5Dget_type of " + t);
      if (H5Tget_class(type) != H5T_STRING || H5Tis_variable_str(type) <= 0 || !h5::extent(ds, t).empty())
        bad("dataset '" + t + "' is not one text: the file is damaged");
      // Its bytes are one object of a global heap collection that HDF5 reads whole from the
      // file, so the text is no longer than the file. (H5Dvlen_get_buf_size would tell its
      // length first, but crashes on a scalar dataset in HDF5 1.10.)
      run.scenario_text = h5::read_text(ds, t);
    }
    {
      const std::string t = "scenario/services";
      h5::Dataset ds = open_dataset(file, t);
      charge(t, table_rows(ds, t), sizeof(StoredService));
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
    charge(t, table_rows(ds, t), sizeof(models::Metric) + 2 * sizeof(models::MetricId));
    TableReader table(ds, t);
    const std::size_t n = table.rows();
    // One value per metric and replication: checked before the table is built.
    elements("summary_values", {n, replications}, sizeof(double));
    std::vector<models::Metric> metrics(n);
    table.column<std::string>("family", [&](std::size_t i, std::string v) { metrics[i].id.family = std::move(v); });
    table.column<std::string>("name", [&](std::size_t i, std::string v) { metrics[i].id.name = std::move(v); });
    table.column<std::string>("subject", [&](std::size_t i, std::string v) { metrics[i].id.subject = std::move(v); });
    table.column<std::string>("unit", [&](std::size_t i, std::string v) { metrics[i].id.unit = std::move(v); });
    table.column<double>("mean", [&](std::size_t i, double v) { metrics[i].ci.mean = v; });
    table.column<double>("half_width", [&](std::size_t i, double v) { metrics[i].ci.half_width = v; });
    table.column<std::uint64_t>("n", [&](std::size_t i, std::uint64_t v) { metrics[i].ci.n = v; });
    table.read();
    const auto values = doubles(file, "summary_values", {n, replications}, "summary rows × replications");
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
    {
      h5::Dataset ds = open_dataset(sg, "time_days");
      const std::vector<hsize_t> shape = h5::extent(ds, at + "series/time_days");
      if (shape.size() != 1) bad("dataset '" + at + "series/time_days' is not a list of weeks: the file is damaged");
      s.time_days = doubles(sg, "time_days", shape, "weeks", at + "series/");
    }
    s.services = services;
    for (const models::SeriesColumn& c : models::kSeriesColumns) {
      const std::string name(c.name);
      std::vector<hsize_t> grid = {s.time_days.size(), services};
      if (s.time_days.empty()) {  // no weeks recorded: [0 × anything] holds nothing
        const std::vector<hsize_t> shape = h5::extent(open_dataset(sg, name), at + "series/" + name);
        if (shape.size() == 2 && shape[0] == 0) grid = shape;
      }
      s.*c.values = doubles(sg, name, grid, "weeks × services", at + "series/");
    }
  }

  // A record dataset of a replication; `required` unless the writer may leave it out.
  template <class R>
  void read_record_table(hid_t g, const std::string& at, bool required, std::vector<R>& out) {
    const std::string name(models::RecordTable<R>::name);
    if (!required && !h5::exists(g, name.c_str())) return;
    h5::Dataset ds = open_dataset(g, name);
    charge(at + name, table_rows(ds, at + name), sizeof(R));
    out = read_records<R>(ds, at + name);
  }

  StoredRun read_file(hid_t file, const ReadOptions& opt) {
    if (string_attribute(file, "kind") == "sweep")
      bad("is a sweep file (`careflow sweep --out`); expected the file of one run (`careflow run --out`)");
    if (string_attribute(file, "generator") != "careflow") bad("not a careflow results file (no generator = careflow attribute)");
    const int version = attribute<int>(file, "format_version");
    if (version != 1 && version != 2)
      bad("results format version " + std::to_string(version) + " is not supported (this careflow reads versions 1 and 2)");
    if (version >= 2 && seal_ != Seal::sealed)
      bad("is damaged: its integrity header (the first 512 bytes) is missing or broken, which a file of format " +
          std::to_string(version) + " always has");

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
    for (std::size_t k = 0; k < names.size(); ++k)
      if (H5Oexists_by_name(reps, names[k].c_str(), H5P_DEFAULT) <= 0) bad("replications/" + names[k] + " cannot be opened: the file is damaged");
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
  Seal seal_;
  std::uint64_t budget_;  // bytes still allowed to be read
};

// A file without careflow's seal is read once in a child process first: if the HDF5 library
// crashes on its metadata, or it needs more memory than it could hold, only the child dies,
// and the caller gets a refusal. A clean refusal comes back through a pipe with its message,
// so the caller's HDF5 never touches a file that failed (a damaged file can leave identifiers
// that HDF5 cannot close); only a file the child read completely is read again here.
void probe_in_child(const std::string& path, std::uint64_t file_bytes, const ReadOptions& opt) {
  const auto cannot = [&](const char* call) {
    return ResultsFileError(path, std::string("cannot check a results file without a seal (") + call + ": " + std::strerror(errno) + ")");
  };
  int fds[2];
  if (::pipe(fds) != 0) throw cannot("pipe");
  std::fflush(nullptr);  // nothing buffered is written twice
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw cannot("fork");
  }
  if (pid == 0) {
    ::close(fds[0]);
    // A crash here ends the child by its signal, whatever handlers the caller installed
    // (Python's faulthandler, a sanitizer's or fuzzer's report): the parent tells the user.
    for (const int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) std::signal(sig, SIG_DFL);
#if !CAREFLOW_UNDER_ASAN
    // Bounded memory: what the process has now, what the file may expand to, and 1 GiB.
    long pages = 0;
    if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
      if (std::fscanf(f, "%ld", &pages) != 1) pages = 0;
      std::fclose(f);
    }
    const rlim_t limit = static_cast<rlim_t>(pages) * static_cast<rlim_t>(::sysconf(_SC_PAGESIZE)) +
                         static_cast<rlim_t>(read_budget(file_bytes)) + (rlim_t{1} << 30);
    const rlimit as{limit, limit};
    ::setrlimit(RLIMIT_AS, &as);
#endif
    int code = 0;
    std::string message;
    try {
      h5::Silencer quiet;
      Reader(path, Seal::unsealed, file_bytes).read(opt);
    } catch (const ResultsFileError& e) {
      code = 3;
      message = e.what();
    } catch (...) {
      code = 4;  // out of memory, or a failure that is not a refusal
    }
    for (std::size_t at = 0; at < message.size();) {
      const ssize_t n = ::write(fds[1], message.data() + at, message.size() - at);
      if (n <= 0) break;
      at += static_cast<std::size_t>(n);
    }
    ::_exit(code);
  }
  ::close(fds[1]);
  // The child closes the pipe when it ends. HDF5 can loop forever on damaged metadata, so the
  // child has a deadline: 5 s, and 1 s per MiB of file (reading is far faster than that).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5 + (file_bytes >> 20));
  std::string message;
  bool timed_out = false;
  char buf[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;  // not yet (or poll failed: try again until the deadline)
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n > 0) message.append(buf, static_cast<std::size_t>(n));
    else if (n == 0 || errno != EINTR) break;
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw cannot("waitpid");
  if (timed_out)
    throw ResultsFileError(path, "is damaged: reading it did not finish in " + std::to_string(5 + (file_bytes >> 20)) +
                                     " s (the HDF5 library loops on its metadata); it has no careflow seal (format 1, "
                                     "or written by another program), so its bytes could not be checked first");
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 3 && message.rfind(path + ": ", 0) == 0)
    throw ResultsFileError(path, message.substr(path.size() + 2));
  const std::string how = WIFSIGNALED(status) ? "the HDF5 library crashed reading it (signal " + std::to_string(WTERMSIG(status)) + ")"
                                              : "reading it failed or needed more memory than the file could hold";
  throw ResultsFileError(path, "is damaged: " + how + "; it has no careflow seal (format 1, or written by another program), "
                               "so its bytes could not be checked first");
}

}  // namespace

StoredRun read_results_hdf5(const std::string& path, const ReadOptions& opt) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec)) throw ResultsFileError(path, "no such results file");
  if (fs::is_directory(path, ec)) throw ResultsFileError(path, "is a directory, not a results file");
  if (!fs::is_regular_file(path, ec)) throw ResultsFileError(path, "is not a regular file (expected the results of `careflow run --out`)");
  const std::uint64_t bytes = fs::file_size(path, ec);
  if (ec) throw ResultsFileError(path, "cannot be read: " + ec.message());
  const Seal seal = check_seal(path);
  h5::Silencer quiet;
  if (seal == Seal::unsealed) {
    if (H5Fis_hdf5(path.c_str()) <= 0)
      throw ResultsFileError(path, "not an HDF5 file (expected the results of `careflow run --out`)");
    probe_in_child(path, bytes, opt);
  }
  return Reader(path, seal, bytes).read(opt);
}

}  // namespace careflow::io
