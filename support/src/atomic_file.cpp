#include "careflow/support/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <list>
#include <mutex>
#include <set>
#include <system_error>
#include <utility>
#include <vector>

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
// The temporary folders of AtomicFolder, removed after the files in them (rmdir needs them empty).
std::array<std::atomic<const char*>, kSlots> pending_folder_slots{};
std::mutex registry_mutex;
std::set<fs::path>& pending_names() {
  static std::set<fs::path> names;
  return names;
}

using Slots = std::array<std::atomic<const char*>, kSlots>;

int take_slot(Slots& slots, const fs::path& temporary) {
  for (std::size_t i = 0; i < kSlots; ++i) {
    if (slots[i].load() == nullptr) {
      slots[i].store(temporary.c_str());
      return static_cast<int>(i);
    }
  }
  return -1;
}

// `temporary` must outlive its registration: the slot holds its characters.
int register_temporary(const fs::path& temporary, const std::string& path, Slots& slots = pending_slots) {
  const std::lock_guard<std::mutex> lock(registry_mutex);
  if (!pending_names().insert(temporary).second)
    throw OutputError(path, "another write to it is in progress in this process");
  return take_slot(slots, temporary);
}

void unregister_temporary(const fs::path& temporary, int slot, Slots& slots = pending_slots) noexcept {
  const std::lock_guard<std::mutex> lock(registry_mutex);
  if (slot >= 0) slots[static_cast<std::size_t>(slot)].store(nullptr);
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

// The longest file name and path the file system holding `dir` takes (pathconf; POSIX's usual
// values where it does not say).
std::size_t name_max(const fs::path& dir) {
  const long n = ::pathconf(dir.c_str(), _PC_NAME_MAX);
  return n > 0 ? static_cast<std::size_t>(n) : 255;
}
std::size_t path_max(const fs::path& dir) {
  const long n = ::pathconf(dir.c_str(), _PC_PATH_MAX);
  return n > 0 ? static_cast<std::size_t>(n) : 4096;
}

// FNV-1a: tells apart the temporaries of two long names that share their first bytes.
std::string hash_text(std::string_view s) {
  std::uint64_t h = 14695981039346656037ull;
  for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// `.NAME.tmp-PID` beside `target`, or, when that would be longer than the file system allows,
// `.PREFIX~HASH.tmp-PID` of the same length as the limit: a target whose own name is legal
// always gets a temporary (a 248-byte name used to fail after the whole run).
// `tag` is "tmp" for what is being written, "old" for a folder being replaced.
fs::path temporary_for(const fs::path& target, const char* tag = "tmp") {
  const fs::path dir = directory_of(target);
  const std::string name = target.filename().string();
  std::string suffix = ".";
  suffix.append(tag).append("-").append(std::to_string(::getpid()));
  const std::size_t limit = name_max(dir);
  std::string temporary = ".";
  const std::string hash = hash_text(name);
  if (1 + name.size() + suffix.size() <= limit) {
    temporary += name;
  } else if (limit > 1 + suffix.size() + 1 + hash.size()) {
    std::size_t keep = limit - 1 - suffix.size() - 1 - hash.size();
    while (keep > 0 && (static_cast<unsigned char>(name[keep]) & 0xC0) == 0x80) --keep;  // whole UTF-8 characters
    temporary.append(name, 0, keep).append("~").append(hash);
  } else {
    temporary += hash;  // a file system of very short names: the write fails, saying why
  }
  temporary += suffix;
  return dir / temporary;
}

// The target's name and the paths of the target and its temporary must fit the file system's
// limits; checked before the run, so that an over-long name is bad input, not a late failure.
void check_lengths(const std::string& path, const fs::path& target) {
  const fs::path dir = directory_of(target);
  const std::size_t name = target.filename().string().size(), most = name_max(dir);
  if (name > most)
    throw OutputError(path, "its name is " + std::to_string(name) + " bytes long; this file system takes at most " +
                                std::to_string(most));
  const std::size_t longest = std::max(target.string().size(), temporary_for(target).string().size());
  if (longest + 1 > path_max(dir))  // + 1: the terminating NUL counts
    throw OutputError(path, "the path is " + std::to_string(longest) + " bytes long; this system takes paths of at most " +
                                std::to_string(path_max(dir) - 1));
}

// The directory that will hold `target` (and its temporary) exists and can take them.
void check_directory_of(const std::string& path, const fs::path& target) {
  const fs::path dir = directory_of(target);
  std::error_code ec;
  const fs::file_status st = fs::status(dir, ec);
  if (!fs::exists(st)) throw OutputError(path, "directory " + quoted(dir) + " does not exist");
  if (!fs::is_directory(st)) throw OutputError(path, quoted(dir) + " is not a directory");
  // W_OK|X_OK: creating the temporary and renaming it need both on the directory.
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw OutputError(path, "directory " + quoted(dir) + " is not writable (" + errno_text(errno) + ")");
}

// Writes all of `bytes` to `fd`, resuming short writes and retrying EINTR: 0, or the errno of
// the failure (EIO for a write that made no progress, which would otherwise loop for ever).
int write_all(int fd, std::string_view bytes) {
  for (std::size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n > 0) done += static_cast<std::size_t>(n);
    else if (n == 0) return EIO;
    else if (errno != EINTR) return errno;
  }
  return 0;
}

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
  check_directory_of(path, target);
  check_lengths(path, target);
  return target;
}

AtomicFile::AtomicFile(const std::string& path) : path_(path), target_(check_output_path(path)) {
  temporary_ = temporary_for(target_);
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
  if (const int err = write_all(fd_, bytes); err != 0) fail("writing " + quoted(temporary_) + " failed: " + errno_text(err));
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

// ---- folders ----------------------------------------------------------------------------

namespace {

bool ends_with(const std::string& s, const std::string& end) {
  return s.size() >= end.size() && s.compare(s.size() - end.size(), end.size(), end) == 0;
}

// The names in `folder` that are not regular files ending in `extension` (at most `most` of
// them, and how many there are in all).
std::pair<std::vector<std::string>, std::size_t> foreign_entries(const fs::path& folder, const std::string& extension,
                                                                 std::size_t most) {
  std::vector<std::string> names;
  std::size_t count = 0;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->symlink_status(ec).type() == fs::file_type::regular && ends_with(name, extension)) continue;
    if (names.size() < most) names.push_back(name);
    ++count;
  }
  if (ec) throw OutputError(folder.string(), "cannot list the folder: " + ec.message());
  return {names, count};
}

// Removes the regular files ending in `extension` from `folder`, then the folder: false if
// anything else is left in it (the folder is then kept).
bool remove_folder_of(const fs::path& folder, const std::string& extension) {
  std::error_code ec;
  std::vector<fs::path> doomed;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec))
    if (it->symlink_status(ec).type() == fs::file_type::regular && ends_with(it->path().filename().string(), extension))
      doomed.push_back(it->path());
  for (const fs::path& f : doomed) ::unlink(f.c_str());
  return ::rmdir(folder.c_str()) == 0;
}

}  // namespace

fs::path check_output_folder(const std::string& path, const std::string& extension) {
  if (path.empty()) throw OutputError(path, "the path is empty");
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();  // "tables/" is the folder "tables"
  const fs::path folder = resolve_links(trimmed);
  const std::string name = folder.filename().string();
  if (name.empty() || name == "." || name == "..")
    throw OutputError(path, "give the folder by its own name (careflow replaces the whole folder), not '" + trimmed + "'");
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(folder, ec);
  if (fs::exists(st)) {
    if (!fs::is_directory(st)) throw OutputError(path, "it exists and is not a folder");
    if (::access(folder.c_str(), W_OK | X_OK) != 0)
      throw OutputError(path, "the folder is not writable (" + errno_text(errno) + ")");
    const auto [names, count] = foreign_entries(folder, extension, 3);
    if (count > 0) {
      std::string listed;
      for (const std::string& n : names) listed += (listed.empty() ? "'" : ", '") + n + "'";
      if (count > names.size()) listed += " and " + std::to_string(count - names.size()) + " more";
      throw OutputError(path, "the folder holds " + listed + ", not " + extension +
                                  " files of an earlier run; careflow replaces the whole folder, so give a new or empty "
                                  "folder, or one holding only " + extension + " files");
    }
  }
  check_directory_of(path, folder);
  check_lengths(path, folder);
  return folder;
}

AtomicFolder::AtomicFolder(const std::string& path, std::string extension)
    : path_(path), extension_(std::move(extension)), target_(check_output_folder(path, extension_)) {
  temporary_ = temporary_for(target_);
  slot_ = register_temporary(temporary_, path_, pending_folder_slots);
  pending_ = true;
  if (::mkdir(temporary_.c_str(), 0777) != 0) {
    // A temporary folder of a crashed process with our PID holds only what it wrote: clear it.
    const int err = errno;
    struct stat st {};
    const bool stale = err == EEXIST && ::lstat(temporary_.c_str(), &st) == 0 && S_ISDIR(st.st_mode) &&
                       remove_folder_of(temporary_, extension_) && ::mkdir(temporary_.c_str(), 0777) == 0;
    if (!stale) {
      unregister_temporary(temporary_, slot_, pending_folder_slots);
      pending_ = false;
      throw OutputError(path_, "cannot create the temporary folder " + quoted(temporary_) + ": " + errno_text(err));
    }
  }
}

AtomicFolder::~AtomicFolder() { abandon(); }

void AtomicFolder::abandon() noexcept {
  if (!pending_) return;
  auto slot = file_slots_.begin();
  for (const fs::path& f : files_) {
    ::unlink(f.c_str());
    unregister_temporary(f, *slot++);
  }
  files_.clear();
  file_slots_.clear();
  ::rmdir(temporary_.c_str());
  unregister_temporary(temporary_, slot_, pending_folder_slots);
  pending_ = false;
}

void AtomicFolder::fail(const std::string& reason) {
  abandon();
  throw OutputError(path_, reason);
}

void AtomicFolder::write_file(const std::string& name, std::string_view bytes) {
  if (!pending_) throw std::logic_error("AtomicFolder::write_file after a failure or commit of '" + path_ + "'");
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == ".." || !ends_with(name, extension_))
    fail("'" + name + "' is not a name of a " + extension_ + " file");
  const fs::path file = temporary_ / name;
  files_.push_back(file);  // registered before it exists, as AtomicFile's temporary
  try {
    file_slots_.push_back(register_temporary(files_.back(), path_));
  } catch (...) {
    files_.pop_back();
    throw;
  }
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
  if (fd < 0) fail("cannot create " + quoted(file) + ": " + errno_text(errno));
  if (const int err = write_all(fd, bytes); err != 0) {
    ::close(fd);
    fail("writing " + quoted(file) + " failed: " + errno_text(err));
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    fail("fsync of " + quoted(file) + " failed: " + errno_text(err));
  }
  if (::close(fd) != 0) fail("closing " + quoted(file) + " failed: " + errno_text(errno));
}

void AtomicFolder::commit() {
  if (!pending_) throw std::logic_error("AtomicFolder::commit after a failure or commit of '" + path_ + "'");
  if (const int err = fsync_directory(temporary_); err != 0) fail("fsync of " + quoted(temporary_) + " failed: " + errno_text(err));
  struct stat st {};
  fs::path previous;  // where the replaced folder is, to be removed
  if (::lstat(target_.c_str(), &st) != 0) {
    if (std::rename(temporary_.c_str(), target_.c_str()) != 0)
      fail("renaming " + quoted(temporary_) + " onto it failed: " + errno_text(errno));
  } else if (!S_ISDIR(st.st_mode)) {
    fail("it is no longer a folder");
  } else if (::renameat2(AT_FDCWD, temporary_.c_str(), AT_FDCWD, target_.c_str(), RENAME_EXCHANGE) == 0) {
    previous = temporary_;  // one atomic step: the new folder in place, the old one under the temporary's name
  } else if (errno == EINVAL || errno == ENOSYS) {
    // A file system that cannot exchange names: the old folder aside, the new one in, then the
    // old one removed. Between the two renames the target is absent (never partial).
    previous = temporary_for(target_, "old");
    if (std::rename(target_.c_str(), previous.c_str()) != 0)
      fail("moving the previous folder aside to " + quoted(previous) + " failed: " + errno_text(errno));
    if (std::rename(temporary_.c_str(), target_.c_str()) != 0) {
      const int err = errno;
      std::rename(previous.c_str(), target_.c_str());
      fail("renaming " + quoted(temporary_) + " onto it failed: " + errno_text(err));
    }
  } else {
    fail("exchanging " + quoted(temporary_) + " with it failed: " + errno_text(errno));
  }
  const bool removed = previous.empty() || remove_folder_of(previous, extension_);
  auto slot = file_slots_.begin();
  for (const fs::path& f : files_) unregister_temporary(f, *slot++);
  unregister_temporary(temporary_, slot_, pending_folder_slots);
  files_.clear();
  file_slots_.clear();
  pending_ = false;
  if (const int err = fsync_directory(directory_of(target_)); err != 0)
    throw OutputError(path_, "it was replaced, but syncing directory " + quoted(directory_of(target_)) +
                                 " failed: " + errno_text(err));
  if (!removed)
    throw OutputError(path_, "it was replaced, but the previous folder, now " + quoted(previous) +
                                 ", holds files careflow did not write and is kept");
}

void remove_pending_files() noexcept {
  for (const auto& slot : pending_slots)
    if (const char* temporary = slot.load()) ::unlink(temporary);  // async-signal-safe
  for (const auto& slot : pending_folder_slots)
    if (const char* folder = slot.load()) ::rmdir(folder);  // empty now: its files were in pending_slots
}

}  // namespace careflow::support
