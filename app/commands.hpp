// The commands of the `careflow` program: one function and its arguments each (docs/cli.md).
// main.cpp fills the arguments from the command line, calls the command and turns what it threw
// into the exit status with exit_status(); the commands live in commands/.
#pragma once

#include <fmt/core.h>

#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "careflow/models/care_model.hpp"
#include "careflow/models/compare.hpp"
#include "careflow/support/diagnostics.hpp"
#include "careflow/viz/pages.hpp"

namespace careflow::app {

/// Thrown for problems with what the user gave us (exit status 2).
struct BadInput : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The one mapping of an outcome to careflow's exit status, for every command and every MPI
/// rank: 0 when `error` is null; 2 for bad input (BadInput, models::ScenarioError,
/// std::invalid_argument), printed as "careflow: error: MESSAGE"; 1 for a missing tool
/// (viz::MissingTool, the same words) and for every other failure, printed as
/// "careflow: run failed: MESSAGE". `where` (e.g. "rank 1 of 2: ") goes before MESSAGE.
/// Defined in main.cpp.
int exit_status(std::exception_ptr error, std::string_view where = {});

/// A message on standard error (an error, a warning, progress), formatted; dropped when standard
/// error cannot be written (support::diagnostic), so that it never changes the outcome.
template <class... T>
void diagnose(fmt::format_string<T...> format, T&&... args) noexcept {
  try {
    support::diagnostic(fmt::format(format, std::forward<T>(args)...));
  } catch (...) {  // out of memory for the message: it is dropped too
  }
}

/// `careflow run`: one scenario, its summary (or --json), results file and tables.
struct RunArgs {
  std::string scenario;                 // empty: the embedded default
  std::vector<std::string> transforms;  // "NAME key=value ..." applied after loading
  std::vector<std::string> sets;        // "PATH=VALUE" changes of fields (the path language)
  models::CareRunOptions options;
  std::string out;
  std::string xlsx;     // results workbook
  std::string csv_dir;  // a CSV file per table
  bool json = false;
  bool quiet = false;
  bool all_episodes = false;
  bool no_records = false;
  bool advise = false;      // print the warm-up and replication advice
  bool use_advice = false;  // ... and run again with it
  std::string advice_metric = "costs/spend_per_year";
  double precision = 0.01;
  std::int64_t tracked_people = -1;  // >= 0: overrides the scenario's run.tracked_people
};
int run(const RunArgs& a);

/// `careflow compare`: scenarios against the first, with paired intervals.
struct CompareArgs {
  std::vector<std::string> scenarios;  // "default": the embedded default
  models::CompareOptions options;
  bool json = false;
  bool all = false;
  std::string xlsx;
  std::string csv_dir;
};
int compare(const CompareArgs& a);

/// `careflow sweep`: a scenario over a grid or list of parameter values, resumable.
struct SweepArgs {
  std::string scenario;
  std::string file;               // a sweep file instead of scenario and --set
  std::vector<std::string> sets;  // "PATH=v1,v2,..."
  bool list = false;
  std::string out = "sweep.h5";
  bool resume = false;
  models::CareRunOptions options;
  std::string xlsx;
  std::string csv_dir;
};
int sweep(const SweepArgs& a);

/// `careflow transforms`: the named transforms and their parameters, as Markdown.
int list_transforms();

/// `careflow validate`: a scenario's checks and each service's expected load.
struct ValidateArgs {
  std::string scenario;  // empty: the embedded default
};
int validate(const ValidateArgs& a);

/// `careflow workbook`: a scenario as a workbook for planners, or a workbook back as YAML.
struct WorkbookArgs {
  std::string scenario;  // empty: the embedded default
  std::string out;       // FILE.xlsx, or FILE.yaml / FILE.yml
};
int workbook(const WorkbookArgs& a);

/// `careflow animate` and `careflow report`: pages (and videos) of results files.
struct PresentArgs {
  std::string results;
  std::string compare;  // a second results file, shown beside / against the first
  std::string out;
  std::vector<std::string> videos;
  viz::VideoOptions video;
  std::string start_date;
  std::vector<std::string> targets;  // NAME=VALUE
  bool stress = false;               // report: the STRESS-DES study description instead of the HTML report
  bool allow_incomparable = false;   // --compare runs of another horizon, warm-up or replication count
};
int animate(const PresentArgs& a);
int report(const PresentArgs& a);

}  // namespace careflow::app
