// The one atomic writer (support/atomic_file.hpp): the target changes only on commit, a failed
// or abandoned write leaves the old file and no temporary, and the path policy refuses what it
// says it refuses.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "careflow/support/atomic_file.hpp"
#include "support/files.hpp"
#include "temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using careflow::testing::TempDir;
using careflow::support::AtomicFile;
using careflow::support::check_output_path;
using careflow::support::OutputError;
using careflow::support::write_file_atomically;

using careflow::testing::names_in;
using careflow::testing::output_error;
using careflow::testing::output_error_with_file_size_limit;
using careflow::testing::read_text;
using careflow::testing::write_text;

}  // namespace

TEST_CASE("the target is replaced only on commit, and no temporary remains", "[support][atomic]") {
  TempDir dir("careflow-atomic");
  const fs::path target = dir.path / "out.txt";
  write_text(target, "old");
  {
    AtomicFile out(target.string());
    CHECK(out.temporary_path().parent_path() == dir.path);
    CHECK(out.temporary_path().filename().string().rfind(".out.txt.tmp-", 0) == 0);
    out.write("new ");
    out.write("contents");
    CHECK(read_text(target) == "old");
    CHECK(fs::exists(out.temporary_path()));
    out.commit();
    CHECK(read_text(target) == "new contents");
  }
  CHECK(names_in(dir.path) == std::vector<std::string>{"out.txt"});

  write_file_atomically(target.string(), "");  // an empty output is a file too
  CHECK(fs::is_regular_file(target));
  CHECK(read_text(target).empty());
  write_file_atomically((dir.path / "fresh.txt").string(), "created");
  CHECK(read_text(dir.path / "fresh.txt") == "created");
}

TEST_CASE("a write abandoned before commit leaves the old file and removes its temporary", "[support][atomic]") {
  TempDir dir("careflow-atomic");
  const fs::path target = dir.path / "out.txt";
  write_text(target, "old");
  fs::path temporary;
  {
    AtomicFile out(target.string());
    out.write("half of it");
    temporary = out.temporary_path();
  }  // destroyed without commit: an exception or a failed library call on the way
  CHECK(!fs::exists(temporary));
  CHECK(read_text(target) == "old");
  CHECK(names_in(dir.path) == std::vector<std::string>{"out.txt"});
}

TEST_CASE("a full disk leaves the old file intact and the error names the path", "[support][atomic]") {
  TempDir dir("careflow-atomic");
  const fs::path target = dir.path / "big.bin";
  write_text(target, "old");
  const std::string big(256 * 1024, 'x');
  const std::string message =
      output_error_with_file_size_limit(16 * 1024, [&] { write_file_atomically(target.string(), big); });
  CHECK_THAT(message, Catch::Contains(target.string()) && Catch::Contains("File too large"));
  CHECK(read_text(target) == "old");
  CHECK(names_in(dir.path) == std::vector<std::string>{"big.bin"});
}

TEST_CASE("a directory, FIFO or device as target is refused, saying which", "[support][atomic][paths]") {
  TempDir dir("careflow-atomic");
  CHECK_THAT(output_error([&] { check_output_path(dir.path.string()); }), Catch::Contains("is a directory"));
  CHECK_THAT(output_error([&] { write_file_atomically(dir.path.string(), "x"); }), Catch::Contains("is a directory"));

  const fs::path fifo = dir.path / "pipe";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // Refused before anything opens it (opening a FIFO to write would block until a reader came).
  CHECK_THAT(output_error([&] { write_file_atomically(fifo.string(), "x"); }),
             Catch::Contains(fifo.string()) && Catch::Contains("FIFO"));
  CHECK(fs::is_fifo(fifo));

  CHECK_THAT(output_error([&] { check_output_path("/dev/null"); }), Catch::Contains("device"));
  CHECK_THAT(output_error([&] { check_output_path((dir.path / "sub" / "").string()); }), Catch::Contains("names a directory"));
  CHECK(names_in(dir.path) == std::vector<std::string>{"pipe"});
}

TEST_CASE("a missing, unwritable or empty path is refused before anything is written", "[support][atomic][paths]") {
  TempDir dir("careflow-atomic");
  const fs::path missing = dir.path / "missing" / "x.txt";
  CHECK_THAT(output_error([&] { write_file_atomically(missing.string(), "x"); }),
             Catch::Contains(missing.string()) && Catch::Contains("does not exist"));
  write_text(dir.path / "file", "");
  CHECK_THAT(output_error([&] { check_output_path((dir.path / "file" / "x.txt").string()); }),
             Catch::Contains("is not a directory"));
  CHECK_THAT(output_error([&] { check_output_path(""); }), Catch::Contains("empty"));
  if (::geteuid() != 0) {  // root may write anywhere
    const fs::path ro = dir.path / "read-only";
    fs::create_directory(ro);
    fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
    CHECK_THAT(output_error([&] { write_file_atomically((ro / "x.txt").string(), "x"); }), Catch::Contains("not writable"));
    fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_write);  // writable, not searchable
    CHECK_THAT(output_error([&] { check_output_path((ro / "x.txt").string()); }), Catch::Contains("not writable"));
    fs::permissions(ro, fs::perms::owner_all);
  }
  CHECK(!fs::exists(dir.path / "missing"));
}

TEST_CASE("a symbolic link is followed: the file it names is replaced and the link stays", "[support][atomic][paths]") {
  TempDir dir("careflow-atomic");
  fs::create_directory(dir.path / "real");
  write_text(dir.path / "real" / "data.txt", "old");
  const fs::path link = dir.path / "link.txt";
  fs::create_symlink(fs::path("real") / "data.txt", link);
  CHECK(check_output_path(link.string()) == dir.path / "real" / "data.txt");
  write_file_atomically(link.string(), "new");
  CHECK(fs::is_symlink(link));
  CHECK(read_text(dir.path / "real" / "data.txt") == "new");
  CHECK(names_in(dir.path / "real") == std::vector<std::string>{"data.txt"});  // the temporary went beside the real file

  const fs::path dangling = dir.path / "dangling.txt";
  fs::create_symlink("created.txt", dangling);
  write_file_atomically(dangling.string(), "made");
  CHECK(fs::is_symlink(dangling));
  CHECK(read_text(dir.path / "created.txt") == "made");

  fs::create_symlink("loop-b", dir.path / "loop-a");
  fs::create_symlink("loop-a", dir.path / "loop-b");
  CHECK_THAT(output_error([&] { check_output_path((dir.path / "loop-a").string()); }), Catch::Contains("symbolic links"));
}

TEST_CASE("something squatting on the temporary name is left alone and the write fails", "[support][atomic]") {
  TempDir dir("careflow-atomic");
  const fs::path target = dir.path / "out.txt";
  write_text(target, "old");
  const fs::path squat = dir.path / (".out.txt.tmp-" + std::to_string(::getpid()));
  fs::create_directory(squat);
  CHECK_THAT(output_error([&] { write_file_atomically(target.string(), "x"); }),
             Catch::Contains(target.string()) && Catch::Contains("temporary") && Catch::Contains("Is a directory"));
  CHECK(fs::is_directory(squat));
  fs::remove(squat);

  // A link planted under the temporary name is never written through.
  write_text(dir.path / "victim.txt", "untouched");
  fs::create_symlink("victim.txt", squat);
  CHECK_THAT(output_error([&] { write_file_atomically(target.string(), "x"); }), Catch::Contains("temporary"));
  CHECK(read_text(dir.path / "victim.txt") == "untouched");
  CHECK(read_text(target) == "old");
}

TEST_CASE("a library writing the temporary by name is committed like bytes written here", "[support][atomic]") {
  TempDir dir("careflow-atomic");
  const fs::path target = dir.path / "book.xlsx";
  write_text(target, "old");
  {
    AtomicFile out(target.string());
    std::ofstream(out.temporary_path(), std::ios::binary | std::ios::trunc) << "written by a library";
    CHECK(read_text(target) == "old");
    out.commit();
  }
  CHECK(read_text(target) == "written by a library");
  {
    AtomicFile out(target.string());  // a library that replaces the file rather than rewriting it
    fs::remove(out.temporary_path());
    write_text(out.temporary_path(), "replaced by a library");
    out.commit();
  }
  CHECK(read_text(target) == "replaced by a library");
  {
    AtomicFile out(target.string());  // the library failed: nothing is committed
    write_text(out.temporary_path(), "partial");
  }
  CHECK(read_text(target) == "replaced by a library");
  CHECK(names_in(dir.path) == std::vector<std::string>{"book.xlsx"});
}

TEST_CASE("one write per target at a time; distinct targets at once", "[support][atomic]") {
  TempDir dir("careflow-atomic");
  AtomicFile first((dir.path / "a.txt").string());
  CHECK_THAT(output_error([&] { AtomicFile second((dir.path / "a.txt").string()); }), Catch::Contains("in progress"));
  AtomicFile other((dir.path / "b.txt").string());
  other.write("b");
  first.write("a");
  other.commit();
  first.commit();
  CHECK(read_text(dir.path / "a.txt") == "a");
  CHECK(read_text(dir.path / "b.txt") == "b");
  AtomicFile again((dir.path / "a.txt").string());  // free again once committed
}

TEST_CASE("remove_pending_files removes every temporary not yet committed, and only those", "[support][atomic]") {
  TempDir dir("careflow-atomic");
  write_text(dir.path / "a.txt", "old a");
  write_file_atomically((dir.path / "done.txt").string(), "done");
  AtomicFile a((dir.path / "a.txt").string());
  AtomicFile b((dir.path / "b.txt").string());
  a.write("new a");
  REQUIRE(fs::exists(a.temporary_path()));
  REQUIRE(fs::exists(b.temporary_path()));
  careflow::support::remove_pending_files();  // what the signal handler calls
  CHECK(!fs::exists(a.temporary_path()));
  CHECK(!fs::exists(b.temporary_path()));
  CHECK(read_text(dir.path / "a.txt") == "old a");
  CHECK(read_text(dir.path / "done.txt") == "done");
  // A commit after the clean-up fails rather than renaming something else into place.
  CHECK_THAT(output_error([&] { a.commit(); }), Catch::Contains("temporary"));
  CHECK(read_text(dir.path / "a.txt") == "old a");
}

TEST_CASE("a name the file system takes is written, however long; a longer one is refused before writing",
          "[support][atomic][paths]") {
  TempDir dir("careflow-atomic");
  const long most = ::pathconf(dir.path.c_str(), _PC_NAME_MAX);
  REQUIRE(most > 20);
  // `.NAME.tmp-PID` is longer than NAME: the temporary is shortened, the target keeps its name.
  const std::string legal = std::string(static_cast<std::size_t>(most) - 7, 'n') + ".csv.h5";
  REQUIRE(legal.size() == static_cast<std::size_t>(most));
  write_file_atomically((dir.path / legal).string(), "long");
  CHECK(read_text(dir.path / legal) == "long");
  CHECK(names_in(dir.path) == std::vector<std::string>{legal});
  {
    AtomicFile out((dir.path / legal).string());
    CHECK(out.temporary_path().filename().string().size() <= static_cast<std::size_t>(most));
    // Two long names that share their first bytes get different temporaries.
    AtomicFile other((dir.path / (std::string(static_cast<std::size_t>(most) - 7, 'n') + ".xyz.h5")).string());
    CHECK(other.temporary_path() != out.temporary_path());
  }

  const std::string too_long(static_cast<std::size_t>(most) + 1, 'x');
  CHECK_THAT(output_error([&] { check_output_path((dir.path / too_long).string()); }),
             Catch::Contains(std::to_string(most + 1) + " bytes long") && Catch::Contains("at most " + std::to_string(most)));
  CHECK_THAT(output_error([&] { careflow::support::check_output_folder((dir.path / too_long).string(), ".csv"); }),
             Catch::Contains("bytes long"));
  CHECK(names_in(dir.path) == std::vector<std::string>{legal});
}
