// The one way careflow writes an output file: under a temporary name beside the target, every
// write checked, synced, renamed onto the target and the directory synced, so that the target
// is only ever absent, its previous complete contents or the new complete contents. Results
// files, workbooks, CSV tables, pages, videos, scenario files and the sweep journal all use it.
//
// Two shapes: bytes held in memory (write_file_atomically, or AtomicFile::write), and a library
// that writes a file by name itself (libxlsxwriter, ffmpeg): it is given
// AtomicFile::temporary_path() and the caller commits once the library has finished.
//
// A folder of files (the CSV tables) is written the same way as a whole: AtomicFolder.
//
// check_output_path(), check_output_folder() and the commits are where the path policy
// decides; output_plan.hpp adds the rules about a command's paths taken together (no output
// is an input or another output). Nothing else opens or renames an output.
#pragma once

#include <filesystem>
#include <list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace careflow::support {

/// An output that cannot be written. what() is "cannot write 'PATH': REASON"; path() is the
/// path as the caller gave it, reason() the rest, for callers that name the file in their own
/// words (e.g. "cannot write results file ...").
class OutputError : public std::runtime_error {
 public:
  OutputError(std::string path, std::string reason);
  const std::string& path() const noexcept { return path_; }
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::string path_;
  std::string reason_;
};

/// Checks that `path` can be written, before any long work, and returns the file that will be
/// replaced. The policy (docs/reliability.md, "How outputs are written"):
/// - a symbolic link is followed, dangling or not, through at most 40 links: the file it names
///   is replaced and the link stays (the temporary goes in that file's directory, so the rename
///   never crosses file systems);
/// - an existing target must be a regular file: a directory, FIFO, device or socket is refused
///   and named as such (a FIFO would block the writer, a device would be replaced by a file);
/// - the target's directory must exist and be writable and searchable (creating and renaming a
///   file there needs both);
/// - the name must fit the file system (pathconf's NAME_MAX), and the paths of the target and
///   its temporary its PATH_MAX: an over-long name is refused here, before any work.
/// Throws OutputError saying which rule failed.
std::filesystem::path check_output_path(const std::string& path);

/// One output being written. The constructor checks the path (check_output_path) and creates
/// the temporary `.NAME.tmp-PID` in the target's directory (for a name too long for that, a
/// shortened `.PREFIX~HASH.tmp-PID`), never through a link (a stale one
/// of a crashed process with the same PID is truncated; anything else under that name is an
/// error). Until commit() the target is untouched; destroyed without commit (an exception, a
/// failed library call) the temporary is removed, and so it is on a signal, by
/// remove_pending_files(). One write per target at a time in a process (a second is refused);
/// distinct targets may be written from several threads at once.
class AtomicFile {
 public:
  explicit AtomicFile(const std::string& path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// The target as given, and the file that will be replaced (links resolved).
  const std::string& path() const noexcept { return path_; }
  const std::filesystem::path& target() const noexcept { return target_; }

  /// The temporary's name, for a library that writes the file itself. Bytes written with
  /// write() and by a library are not meant to be mixed.
  const std::filesystem::path& temporary_path() const noexcept { return temporary_; }

  /// Appends `bytes` to the temporary; short writes are resumed, EINTR retried. On failure
  /// (disk full, file size limit, I/O error) the temporary is removed and OutputError names
  /// the path and the system's reason; the object can then only be destroyed.
  void write(std::string_view bytes);

  /// Syncs the temporary, renames it onto the target and syncs the directory, so that the new
  /// contents survive a crash once this returns. On failure before the rename the temporary is
  /// removed and the target is as it was; OutputError says what failed.
  void commit();

 private:
  void abandon() noexcept;
  [[noreturn]] void fail(const std::string& reason);

  std::string path_;
  std::filesystem::path target_;
  std::filesystem::path temporary_;
  int fd_ = -1;
  int slot_ = -1;  // where remove_pending_files() finds the temporary; -1 if not registered
  bool pending_ = false;
};

/// Writes `bytes` to `path` atomically (an AtomicFile written and committed).
void write_file_atomically(const std::string& path, std::string_view bytes);

/// Checks that the folder `path` can be replaced as a whole by files ending in `extension`,
/// and returns the folder that will be replaced (links followed, as for files; a trailing '/'
/// ignored). Refused: "." / ".." / "/"; something other than a folder at the path; an existing
/// folder that is not writable or holds anything but regular `extension` files (careflow
/// would delete them); a parent directory that is missing or not writable; a name or path
/// longer than the file system takes. Throws OutputError saying which rule failed.
std::filesystem::path check_output_folder(const std::string& path, const std::string& extension);

/// A folder of outputs (the CSV tables) replaced as a whole: the files are written, each
/// checked and synced, into a new temporary folder beside the target, and commit() swaps it in
/// (renameat2 RENAME_EXCHANGE, one atomic step; on a file system without it the old folder is
/// moved aside first) and then removes the previous folder. Until commit() the target is
/// untouched; destroyed without commit, or on a signal (remove_pending_files), the temporary
/// folder and its files are removed. So a full disk half-way through the tables leaves every
/// previous table as it was.
class AtomicFolder {
 public:
  AtomicFolder(const std::string& path, std::string extension);
  ~AtomicFolder();
  AtomicFolder(const AtomicFolder&) = delete;
  AtomicFolder& operator=(const AtomicFolder&) = delete;

  const std::filesystem::path& target() const noexcept { return target_; }
  const std::filesystem::path& temporary_path() const noexcept { return temporary_; }

  /// Writes the file `name` (a plain name ending in the extension) in the temporary folder.
  /// On failure everything written so far is removed and OutputError says why.
  void write_file(const std::string& name, std::string_view bytes);

  /// Puts the folder in place of the target and removes the previous one. On failure before
  /// the swap the temporary folder is removed and the target is as it was.
  void commit();

 private:
  void abandon() noexcept;
  [[noreturn]] void fail(const std::string& reason);

  std::string path_;
  std::string extension_;
  std::filesystem::path target_;
  std::filesystem::path temporary_;
  std::list<std::filesystem::path> files_;  // a list: the signal handler's slots point into these names
  std::vector<int> file_slots_;
  int slot_ = -1;
  bool pending_ = false;
};

/// Removes the temporary of every AtomicFile not yet committed, and every AtomicFolder's
/// temporary folder with its files. Async-signal-safe: for a
/// SIGINT/SIGTERM/SIGHUP handler, so that an interrupted program leaves no stray temporary
/// (the targets are intact anyway). After SIGKILL a `.NAME.tmp-PID` may remain beside its
/// target; it is never the target, and a later write from the same PID replaces it.
void remove_pending_files() noexcept;

}  // namespace careflow::support
