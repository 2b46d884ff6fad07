// A folder of outputs replaced as a whole (support::AtomicFolder), and the rules about a
// command's paths taken together (support::OutputPlan): no output is an input or another
// output, nothing lies inside a folder that is replaced.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "careflow/support/atomic_file.hpp"
#include "careflow/support/output_plan.hpp"
#include "support/files.hpp"
#include "temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using careflow::support::AtomicFolder;
using careflow::support::check_output_folder;
using careflow::support::OutputPlan;
using careflow::testing::TempDir;

using careflow::testing::names_in;
using careflow::testing::output_error;
using careflow::testing::output_error_with_file_size_limit;
using careflow::testing::read_text;
using careflow::testing::write_text;

}  // namespace

TEST_CASE("a folder is replaced only on commit, whole, and the previous one is removed", "[support][folder]") {
  TempDir dir("careflow-folder");
  const fs::path tables = dir.path / "tables";
  fs::create_directory(tables);
  write_text(tables / "run.csv", "old run");
  write_text(tables / "stale.csv", "a table the new run does not write");
  {
    AtomicFolder out(tables.string(), ".csv");
    CHECK(out.temporary_path().parent_path() == dir.path);
    out.write_file("run.csv", "new run");
    out.write_file("waits.csv", "new waits");
    CHECK(read_text(tables / "run.csv") == "old run");
    CHECK(names_in(tables) == std::vector<std::string>{"run.csv", "stale.csv"});
    out.commit();
  }
  CHECK(names_in(tables) == std::vector<std::string>{"run.csv", "waits.csv"});
  CHECK(read_text(tables / "run.csv") == "new run");
  CHECK(names_in(dir.path) == std::vector<std::string>{"tables"});  // no temporary, no old folder left

  const fs::path fresh = dir.path / "fresh";  // created when missing; "fresh/" names the same folder
  {
    AtomicFolder out(fresh.string() + "/", ".csv");
    out.write_file("a.csv", "a");
    out.commit();
  }
  CHECK(read_text(fresh / "a.csv") == "a");
  CHECK(names_in(dir.path) == std::vector<std::string>{"fresh", "tables"});
}

TEST_CASE("a folder write that fails or is abandoned leaves every previous file", "[support][folder]") {
  TempDir dir("careflow-folder");
  const fs::path tables = dir.path / "tables";
  fs::create_directory(tables);
  write_text(tables / "run.csv", "old run");
  write_text(tables / "waits.csv", "old waits");
  {
    AtomicFolder out(tables.string(), ".csv");
    out.write_file("run.csv", "new");
  }  // destroyed without commit
  CHECK(names_in(dir.path) == std::vector<std::string>{"tables"});

  // A full disk half-way through the tables.
  const std::string big(64 * 1024, 'x');
  const std::string message = output_error_with_file_size_limit(16 * 1024, [&] {
    AtomicFolder out(tables.string(), ".csv");
    out.write_file("run.csv", "small enough");
    out.write_file("waits.csv", big);
    out.commit();
  });
  CHECK_THAT(message, Catch::Contains(tables.string()) && Catch::Contains("waits.csv") && Catch::Contains("File too large"));
  CHECK(read_text(tables / "run.csv") == "old run");
  CHECK(read_text(tables / "waits.csv") == "old waits");
  CHECK(names_in(dir.path) == std::vector<std::string>{"tables"});
}

TEST_CASE("remove_pending_files removes a folder in progress and its files", "[support][folder]") {
  TempDir dir("careflow-folder");
  AtomicFolder out((dir.path / "tables").string(), ".csv");
  out.write_file("run.csv", "x");
  REQUIRE(fs::exists(out.temporary_path() / "run.csv"));
  careflow::support::remove_pending_files();  // what the signal handler calls
  CHECK(names_in(dir.path).empty());
}

TEST_CASE("a folder that holds other things, or is not a folder of its own, is refused", "[support][folder][paths]") {
  TempDir dir("careflow-folder");
  const fs::path tables = dir.path / "tables";
  fs::create_directory(tables);
  write_text(tables / "run.csv", "");
  write_text(tables / "notes.txt", "mine");
  fs::create_directory(tables / "sub");
  CHECK_THAT(output_error([&] { check_output_folder(tables.string(), ".csv"); }),
             Catch::Contains("'notes.txt'") && Catch::Contains("'sub'") && Catch::Contains("replaces the whole folder"));
  CHECK_THAT(output_error([&] { AtomicFolder out(tables.string(), ".csv"); }), Catch::Contains("notes.txt"));
  CHECK(names_in(tables) == std::vector<std::string>{"notes.txt", "run.csv", "sub"});

  write_text(dir.path / "file", "");
  CHECK_THAT(output_error([&] { check_output_folder((dir.path / "file").string(), ".csv"); }), Catch::Contains("not a folder"));
  CHECK_THAT(output_error([&] { check_output_folder((dir.path / "missing" / "t").string(), ".csv"); }),
             Catch::Contains("does not exist"));
  CHECK_THAT(output_error([&] { check_output_folder(".", ".csv"); }), Catch::Contains("own name"));
  CHECK_THAT(output_error([&] { check_output_folder((dir.path / "..").string(), ".csv"); }), Catch::Contains("own name"));
  CHECK_THAT(output_error([&] { check_output_folder("", ".csv"); }), Catch::Contains("empty"));

  AtomicFolder out((dir.path / "t2").string(), ".csv");
  CHECK_THAT(output_error([&] { out.write_file("../escape.csv", "x"); }), Catch::Contains("not a name"));
  CHECK(!fs::exists(dir.path / "escape.csv"));
}

TEST_CASE("an output that is an input, or another output, is refused, however it is named", "[support][plan]") {
  TempDir dir("careflow-plan");
  const fs::path s = dir.path / "s.yaml";
  write_text(s, "input");
  const auto refused = [](const OutputPlan& plan) { return output_error([&] { plan.check(); }); };
  {
    OutputPlan plan;
    plan.input("the scenario", s.string());
    plan.file("--out", s.string());
    CHECK_THAT(refused(plan), Catch::Contains("--out would replace the scenario") && Catch::Contains(s.string()));
  }
  {  // the same file through "./", "sub/..", a link and a hard link
    fs::create_directory(dir.path / "sub");
    fs::create_symlink(s, dir.path / "link.yaml");
    fs::create_hard_link(s, dir.path / "hard.yaml");
    for (const fs::path& other : {dir.path / "." / "s.yaml", dir.path / "sub" / ".." / "s.yaml", dir.path / "link.yaml",
                                  dir.path / "hard.yaml"}) {
      OutputPlan plan;
      plan.input("the scenario", s.string());
      plan.file("--xlsx", other.string());
      CHECK_THAT(refused(plan), Catch::Contains("--xlsx would replace the scenario"));
      OutputPlan reverse;
      reverse.input("the results file", other.string());
      reverse.file("--out", s.string());
      CHECK_THAT(refused(reverse), Catch::Contains("--out would replace the results file"));
    }
  }
  {  // two outputs that do not exist yet, named differently
    OutputPlan plan;
    plan.file("--out", (dir.path / "r.h5").string());
    plan.file("--xlsx", (dir.path / "sub" / ".." / "r.h5").string());
    CHECK_THAT(refused(plan), Catch::Contains("--xlsx and --out name the same file"));
  }
  {  // anything inside a folder that is replaced whole
    fs::create_directory(dir.path / "out");
    OutputPlan plan;
    plan.input("the scenario", s.string());
    plan.folder("--csv", (dir.path / "out").string() + "/", ".csv");
    plan.file("--out", (dir.path / "out" / "r.h5").string());
    CHECK_THAT(refused(plan), Catch::Contains("--out is inside --csv"));
  }
  {
    fs::create_directory(dir.path / "tables");
    write_text(dir.path / "tables" / "in.csv", "an input that looks like a table");
    OutputPlan plan;
    plan.input("the scenario", (dir.path / "tables" / "in.csv").string());
    plan.folder("--csv", (dir.path / "tables").string(), ".csv");
    CHECK_THAT(refused(plan), Catch::Contains("--csv holds the scenario"));
  }
  {  // each output's own policy, named by its role
    OutputPlan plan;
    plan.file("--out", (dir.path / "missing" / "r.h5").string());
    CHECK_THAT(refused(plan), Catch::Contains("does not exist (--out)"));
  }
  {  // distinct paths pass, and nothing is written
    OutputPlan plan;
    plan.input("the scenario", s.string());
    plan.file("--out", (dir.path / "r.h5").string());
    plan.file("--xlsx", (dir.path / "r.xlsx").string());
    plan.folder("--csv", (dir.path / "csv").string(), ".csv");
    plan.workspace("the sweep journal", (dir.path / "r.h5.journal").string());
    CHECK(refused(plan).empty());
    CHECK(!fs::exists(dir.path / "r.h5"));
    CHECK(!fs::exists(dir.path / "csv"));
  }
}
