#include "writing.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "careflow/io/hdf5_results.hpp"
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
// untimed), so the image depends only on what `contents` writes.
std::vector<char> build_image(const std::function<void(hid_t)>& contents) {
  h5::Silencer silence;
  h5::Properties fcpl(H5Pcreate(H5P_FILE_CREATE), "H5Pcreate");
  untimed(fcpl);  // the root group
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
  return image;
}

namespace fs = std::filesystem;

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
  std::string name = ".";  // appended piecewise: "." + std::string(...) trips GCC 12's -Wrestrict
  name += target.filename().string();
  name += ".tmp-";
  name += std::to_string(::getpid());
  fs::path tmp = target;
  tmp.replace_filename(name);
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
  const fs::path target = resolve_target(path);
  check_target(path, target);
  try {
    check();
    write_atomically(target, build_image(contents));
  } catch (const std::runtime_error& e) {
    throw file_error(path, e.what());
  }
}

}  // namespace careflow::io
