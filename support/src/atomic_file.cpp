#include "careflow/support/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <set>
#include <system_error>
#include <utility>

namespace careflow::support {
namespace {

namespace fs = std::filesystem;

std::string errno_text(int err) { return std::strerror(err); }

std::string quoted(const fs::path& p) {
  std::string out = "'";
  out += p.string();
  out += '\'';
  return out;
}

// ---- the temporaries in progress, for remove_pending_files() ------------------------------

// A signal handler may neither lock nor allocate: it reads these slots, each null or the name
// of a temporary not yet committed. Registration takes the mutex, which also guards the set of
// temporaries used to refuse a second write to the same target. With every slot taken a write
// still proceeds, only without clean-up on a signal (as after SIGKILL).
constexpr std::size_t kSlots = 256;
std::array<std::atomic<const char*>, kSlots> pending_slots{};
std::mutex registry_mutex;
std::set<fs::path>& pending_names() {
  static std::set<fs::path> names;
  return names;
}

int register_temporary(const fs::path& temporary, const std::string& path) {
  const std::lock_guard<std::mutex> lock(registry_mutex);
  if (!pending_names().insert(temporary).second)
    throw OutputError(path, "another write to it is in progress in this process");
  for (std::size_t i = 0; i < kSlots; ++i) {
    if (pending_slots[i].load() == nullptr) {
      pending_slots[i].store(temporary.c_str());
      return static_cast<int>(i);
    }
  }
  return -1;
}

void unregister_temporary(const fs::path& temporary, int slot) noexcept {
  const std::lock_guard<std::mutex> lock(registry_mutex);
  if (slot >= 0) pending_slots[static_cast<std::size_t>(slot)].store(nullptr);
  pending_names().erase(temporary);
}

// ---- the path policy ----------------------------------------------------------------------

// The file a write replaces: links are followed, even dangling ones, so that the link survives
// and the file it names is written.
fs::path resolve_links(const std::string& path) {
  fs::path p(path);
  std::error_code ec;
  for (int hops = 0; fs::is_symlink(fs::symlink_status(p, ec)); ++hops) {
    if (hops == 40) throw OutputError(path, "more than 40 symbolic links to follow (a loop?)");
    const fs::path next = fs::read_symlink(p, ec);
    if (ec) throw OutputError(path, "cannot read the symbolic link " + quoted(p) + " (" + ec.message() + ")");
    p = next.is_absolute() ? next : p.parent_path() / next;
  }
  return p;
}

// Why an existing file of this type cannot be the target, or "" for a regular file.
std::string refused_type(fs::file_type type) {
  switch (type) {
    case fs::file_type::regular: return "";
    case fs::file_type::directory: return "it is a directory";
    case fs::file_type::fifo: return "it is a FIFO (named pipe), not a regular file";
    case fs::file_type::character:
    case fs::file_type::block: return "it is a device, not a regular file";
    case fs::file_type::socket: return "it is a socket, not a regular file";
    default: return "it exists and is not a regular file";
  }
}

int fsync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  int err = ::fsync(fd) == 0 ? 0 : errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  // Some file systems cannot sync a directory (EINVAL); the rename is then as durable as they allow.
  return err == EINVAL ? 0 : err;
}

fs::path directory_of(const fs::path& file) { return file.parent_path().empty() ? fs::path(".") : file.parent_path(); }

}  // namespace

OutputError::OutputError(std::string path, std::string reason)
    : std::runtime_error("cannot write '" + path + "': " + reason), path_(std::move(path)), reason_(std::move(reason)) {}

fs::path check_output_path(const std::string& path) {
  if (path.empty()) throw OutputError(path, "the path is empty");
  const fs::path target = resolve_links(path);
  const std::string name = target.filename().string();
  if (name.empty() || name == "." || name == "..") throw OutputError(path, "it names a directory, not a file");
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(target, ec);
  if (fs::exists(st)) {
    const std::string why = refused_type(st.type());
    if (!why.empty()) throw OutputError(path, why);
  }
  const fs::path dir = directory_of(target);
  const fs::file_status dst = fs::status(dir, ec);
  if (!fs::exists(dst)) throw OutputError(path, "directory " + quoted(dir) + " does not exist");
  if (!fs::is_directory(dst)) throw OutputError(path, quoted(dir) + " is not a directory");
  // W_OK|X_OK: creating the temporary and renaming it need both on the directory.
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw OutputError(path, "directory " + quoted(dir) + " is not writable (" + errno_text(errno) + ")");
  return target;
}

AtomicFile::AtomicFile(const std::string& path) : path_(path), target_(check_output_path(path)) {
  std::string name = ".";  // appended piecewise: "." + std::string(...) trips GCC 12's -Wrestrict
  name += target_.filename().string();
  name += ".tmp-";
  name += std::to_string(::getpid());
  temporary_ = directory_of(target_) / name;
  // Registered before it exists, so that a signal between open and registration leaves nothing.
  slot_ = register_temporary(temporary_, path_);
  pending_ = true;
  // O_NOFOLLOW: never write through a link planted under the temporary name. Anything other
  // than a regular file there (a directory, say) makes open fail, and is left alone.
  fd_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0666);
  if (fd_ < 0) {
    const int err = errno;
    unregister_temporary(temporary_, slot_);
    pending_ = false;
    throw OutputError(path_, "cannot create the temporary file " + quoted(temporary_) + ": " + errno_text(err));
  }
}

AtomicFile::~AtomicFile() { abandon(); }

void AtomicFile::abandon() noexcept {
  if (fd_ >= 0) ::close(fd_);  // the file is being thrown away: its close errors do not matter
  fd_ = -1;
  if (!pending_) return;
  ::unlink(temporary_.c_str());  // before unregistering, so that a signal in between finds it
  unregister_temporary(temporary_, slot_);
  pending_ = false;
}

void AtomicFile::fail(const std::string& reason) {
  abandon();
  throw OutputError(path_, reason);
}

void AtomicFile::write(std::string_view bytes) {
  if (fd_ < 0) throw std::logic_error("AtomicFile::write after a failure or commit of '" + path_ + "'");
  for (std::size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n == 0) {  // not expected of a regular file; looping would never end
      fail("writing " + quoted(temporary_) + " made no progress");
    } else if (errno != EINTR) {
      fail("writing " + quoted(temporary_) + " failed: " + errno_text(errno));
    }
  }
}

void AtomicFile::commit() {
  if (fd_ < 0) throw std::logic_error("AtomicFile::commit after a failure or commit of '" + path_ + "'");
  // Sync through our descriptor: it sees every write-back error since the temporary was
  // created, also a library's writes through its own descriptor of the same file. A library
  // that replaced the file (a new inode under the name) is synced by name instead.
  if (::fsync(fd_) != 0) fail("fsync of " + quoted(temporary_) + " failed: " + errno_text(errno));
  struct stat ours {}, named {};
  if (::fstat(fd_, &ours) != 0 || ::lstat(temporary_.c_str(), &named) != 0)
    fail("the temporary file " + quoted(temporary_) + " has gone: " + errno_text(errno));
  if (!S_ISREG(named.st_mode)) fail("the temporary file " + quoted(temporary_) + " is no longer a regular file");
  if (ours.st_ino != named.st_ino || ours.st_dev != named.st_dev) {
    const int fd = ::open(temporary_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    const bool synced = fd >= 0 && ::fsync(fd) == 0;
    const int err = errno;
    if (fd >= 0) ::close(fd);
    if (!synced) fail("fsync of " + quoted(temporary_) + " failed: " + errno_text(err));
  }
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) fail("closing " + quoted(temporary_) + " failed: " + errno_text(errno));
  // The sync comes before the rename, so that a crash just after it cannot leave the target's
  // name on a file whose contents never reached the disk.
  if (std::rename(temporary_.c_str(), target_.c_str()) != 0)
    fail("renaming " + quoted(temporary_) + " onto it failed: " + errno_text(errno));
  unregister_temporary(temporary_, slot_);
  pending_ = false;
  // The rename itself is durable only once the directory is synced.
  if (const int err = fsync_directory(directory_of(target_)); err != 0)
    throw OutputError(path_, "it was replaced, but syncing directory " + quoted(directory_of(target_)) +
                                 " failed: " + errno_text(err));
}

void write_file_atomically(const std::string& path, std::string_view bytes) {
  AtomicFile file(path);
  file.write(bytes);
  file.commit();
}

void remove_pending_files() noexcept {
  for (const auto& slot : pending_slots)
    if (const char* temporary = slot.load()) ::unlink(temporary);  // async-signal-safe
}

}  // namespace careflow::support
