// Sweeps: one scenario run at many points of a grid (or list) of parameter values, every
// (point, replication) in parallel, resumable after an interruption.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "careflow/models/care_model.hpp"
#include "careflow/models/scenario_loader.hpp"

namespace careflow::models {

/// One swept field: a path into the scenario file ("services[early_help].capacity",
/// "transforms[prevention_shift].share", "run.warmup_years") and the values it takes
/// (YAML scalars, as written).
struct SweepParameter {
  std::string path;
  std::vector<std::string> values;
  SourceRef origin{};  // where the parameter was written (--set, a sweep file's line); empty: in code
};

struct SweepSpec {
  std::string base_file;  // the scenario file swept
  std::vector<SweepParameter> parameters;
  bool grid = true;  // every combination; false: a list (the i-th values of every parameter together)
};

struct SweepPoint {
  std::vector<std::string> values;  // one per parameter
  std::string scenario_name;
  RunResult run;  // replications hold metric_values, events and fingerprint only (no records or series)
};

struct SweepResult {
  SweepSpec spec;
  std::string base_text;  // the base scenario file's text
  std::uint64_t seed = 0;          // the base's; every point uses it unless run.seed is swept
  std::uint64_t replications = 0;  // per point (the first point's number)
  std::vector<MetricId> metric_ids;  // of the first point; other points are aligned to it (NaN where absent)
  std::vector<SweepPoint> points;
  // Journal records found on resume that were damaged (checksum, cut short, another task's)
  // and so were computed again; not part of the results file.
  std::size_t journal_damaged = 0;
};

/// A sweep declared in a file:
///   scenario: prevention_shift.yaml      # relative to the sweep file
///   mode: grid                           # or list
///   parameters:
///     transforms[prevention_shift].share: [0, 0.05, 0.1, 0.15, 0.2]
/// Errors name the file, line and field (ScenarioError).
SweepSpec load_sweep_file(const std::string& path);

/// The points of a sweep, each as the index of every parameter's value: every combination (grid;
/// the first parameter varies slowest) or the i-th values together (list). Throws
/// std::invalid_argument without parameters, for a parameter without values, or for a list whose
/// parameters have different numbers of values.
std::vector<std::vector<std::size_t>> sweep_points(const SweepSpec& spec);

/// The scenario of each point: the base file with the point's values set by path (the path
/// language of scenario_loader.hpp's FieldChange), named "BASE [path=value, ...]". A path that
/// names nothing is refused where the parameter was written (its origin), or else naming point 0.
std::vector<Scenario> sweep_scenarios(const SweepSpec& spec, const CareRunOptions& opt);
/// As above, from a base already read (and changed: its own changes come first).
std::vector<Scenario> sweep_scenarios(const SweepSpec& spec, const ScenarioSource& base, const CareRunOptions& opt);

/// Progress: called (from any thread, serialised) after each finished replication with the
/// numbers done and total.
using SweepProgress = std::function<void(std::size_t done, std::size_t total)>;

/// What a sweep keeps of one finished (point, replication).
struct SweepTaskResult {
  std::vector<double> values;  // metric_values
  std::uint64_t events = 0, fingerprint = 0;
};

/// Everything a sweep needs before it runs: the scenario of each point (every one with the first
/// point's number of replications), loaded and validated. Task t is point t / replications,
/// replication t % replications. Throws ScenarioError / std::invalid_argument for bad input, so
/// a distributed sweep can refuse it before any work.
struct SweepPlan {
  SweepSpec spec;
  std::string base_text;
  std::vector<std::vector<std::string>> points;  // the values of each point
  std::vector<Scenario> runs;                    // one per point
  std::vector<std::vector<MetricId>> ids;        // of each point
  std::uint64_t seed = 0, replications = 0;
  std::uint64_t key = 0;  // identifies the sweep in its journal
  std::size_t tasks() const { return runs.size() * replications; }
};
SweepPlan plan_sweep(const SweepSpec& spec, const CareRunOptions& opt);

/// Computes one task of the plan (deterministic: the same on any thread, process or machine).
SweepTaskResult run_sweep_task(const SweepPlan& plan, std::size_t task);

/// Called once for each finished task, from any thread (it is thread-safe).
using SweepTaskDone = std::function<void(std::size_t task, SweepTaskResult&& result)>;
/// Computes the tasks listed in `todo` (those not in the journal) and reports each with `done`;
/// returns when all are done, or throws. The default runs them on `threads` threads here; the
/// command line's MPI executor hands them out to ranks.
using SweepExecutor = std::function<void(const SweepPlan& plan, const std::vector<std::size_t>& todo, const SweepTaskDone& done)>;

/// Runs the sweep. With a journal directory, each finished (point, replication) is saved there
/// at once, and those already saved are loaded instead of recomputed (resume). The result is the
/// same whether or not the sweep was interrupted, and whatever the thread count (or executor).
SweepResult run_sweep(const SweepSpec& spec, const CareRunOptions& opt, const std::string& journal_dir = "",
                      const SweepProgress& progress = {});
SweepResult run_sweep(const SweepPlan& plan, const CareRunOptions& opt, const std::string& journal_dir,
                      const SweepProgress& progress, const SweepExecutor& executor = {});

}  // namespace careflow::models
