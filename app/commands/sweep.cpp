// `careflow sweep`: a scenario over a grid or list of parameter values, its replications in
// parallel (under mpirun, handed out to the ranks), journalled so that it can be resumed.
#include <fmt/core.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "careflow/io/hdf5_results.hpp"
#include "careflow/models/scenario_loader.hpp"
#include "careflow/models/sweep.hpp"
#include "careflow/sheets/results_tables.hpp"
#include "careflow/sheets/xlsx.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "format.hpp"
#ifdef CAREFLOW_WITH_MPI
#include "mpi_sweep.hpp"
#endif

namespace careflow::app {
namespace {

// A progress bar with ETA on a terminal; plain lines (every 10%) otherwise. Through diagnose():
// a standard error that cannot be written (a log on a full disk) silences it, never the sweep.
class ProgressBar {
 public:
  ProgressBar() : tty_(isatty(STDERR_FILENO) == 1), start_(std::chrono::steady_clock::now()) {}
  void operator()(std::size_t done, std::size_t total) {
    if (first_) {
      first_ = false;
      resumed_ = done;
      if (done > 0) diagnose("careflow: resuming: {} of {} replications already done\n", done, total);
    }
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const std::size_t fresh = done - resumed_;
    const double eta = fresh > 0 ? elapsed / static_cast<double>(fresh) * static_cast<double>(total - done) : 0.0;
    const int pct = total ? static_cast<int>(100 * done / total) : 100;
    if (tty_) {
      const int width = 30, filled = width * pct / 100;
      diagnose("\r[{}{}] {}/{} replications, {}%, ETA {}   ", std::string(static_cast<std::size_t>(filled), '#'),
                 std::string(static_cast<std::size_t>(width - filled), '.'), done, total, pct, duration(eta));
      if (done == total) diagnose("\n");
    } else if (pct / 10 != last_decile_ || done == total) {
      last_decile_ = pct / 10;
      diagnose("careflow: {}/{} replications ({}%), ETA {}\n", done, total, pct, duration(eta));
    }
  }

 private:
  static std::string duration(double s) {
    if (s < 60) return fmt::format("{:.0f}s", s);
    return fmt::format("{:.0f}m{:02.0f}s", std::floor(s / 60), std::fmod(s, 60));
  }
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  bool first_ = true;
  std::size_t resumed_ = 0;
  int last_decile_ = -1;
};

// The sweep the arguments describe; bad arguments throw BadInput.
models::SweepSpec sweep_spec(const SweepArgs& a) {
  models::SweepSpec spec;
  if (!a.file.empty()) {
    spec = models::load_sweep_file(a.file);
  } else {
    if (a.scenario.empty()) throw BadInput("give a scenario file and --set PATH=v1,v2,... (or --file SWEEP.yaml)");
    spec.base_file = a.scenario;
    spec.grid = !a.list;
  }
  if (sheets::looks_like_xlsx(spec.base_file) || std::filesystem::path(spec.base_file).extension() == ".xlsx")
    throw BadInput("sweep " + spec.base_file + ": a sweep varies a scenario file (YAML); write the workbook as one first: "
                   "careflow workbook " + spec.base_file + " --out SCENARIO.yaml");
  for (const std::string& set : a.sets) {
    const auto eq = set.find('=');
    if (eq == std::string::npos || eq == 0) throw BadInput("--set expects PATH=v1,v2,..., found '" + set + "'");
    models::SweepParameter p;
    p.path = set.substr(0, eq);
    p.origin = models::SourceRef{"--set", 0, p.path};
    std::string rest = set.substr(eq + 1), v;
    std::size_t pos = 0;
    while (pos <= rest.size()) {
      const auto comma = rest.find(',', pos);
      v = rest.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      if (v.empty()) throw BadInput("--set " + set + ": empty value");
      p.values.push_back(v);
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
    spec.parameters.push_back(std::move(p));
  }
  return spec;
}

// The outputs can be written, none is an input, and no journal is in the way (BadInput otherwise).
void check_sweep_outputs(const SweepArgs& a, const models::SweepSpec& spec) {
  support::OutputPlan paths;
  paths.input("the sweep file", a.file);
  paths.input("the scenario", spec.base_file);
  paths.file("--out", a.out);
  paths.workspace("the sweep journal", a.out + ".journal");
  add_table_outputs(paths, a.xlsx, a.csv_dir);
  check_paths(paths);
  try {  // the files the scenario extends are inputs too; a scenario that does not load is the plan's to report
    check_paths(paths, models::load_scenario(spec.base_file));
  } catch (const models::ScenarioError&) {
  }
  const std::string journal = a.out + ".journal";
  if (std::filesystem::exists(journal) && !a.resume)
    throw BadInput("an interrupted sweep left " + journal + ": run again with --resume to continue it, or remove it");
}

// Runs the plan (here, or over MPI ranks with `executor`), writes the file and prints the table.
int finish_sweep(const SweepArgs& a, const models::SweepPlan& plan, const models::SweepExecutor& executor) {
  const std::string journal = a.out + ".journal";
  ProgressBar bar;
  const models::SweepResult r =
      models::run_sweep(plan, a.options, journal, [&](std::size_t d, std::size_t t) { bar(d, t); }, executor);
  if (r.journal_damaged > 0)
    diagnose("careflow: {} journal record(s) in {} were damaged (checksum, cut short or another task's) and were computed again\n",
             r.journal_damaged, journal);
  io::write_sweep_hdf5(a.out, r);
  std::filesystem::remove_all(journal);

  const models::SweepSpec& spec = plan.spec;
  fmt::print("careflow sweep — {} points × {} replications of {}\n", r.points.size(), r.replications, spec.base_file);
  std::string header;
  for (const auto& p : spec.parameters) header += fmt::format("{:>24} ", p.path.size() > 24 ? p.path.substr(p.path.size() - 24) : p.path);
  fmt::print("{}{:>26} {:>22}\n", header, "spend a year", "step changes up a year");
  for (const models::SweepPoint& pt : r.points) {
    std::string row;
    for (const std::string& v : pt.values) row += fmt::format("{:>24} ", v);
    const models::Metric* spend = nullptr;
    const models::Metric* ups = nullptr;
    for (const models::Metric& m : pt.run.summary) {
      if (m.id.family == "costs" && m.id.name == "spend_per_year" && m.id.subject.empty()) spend = &m;
      if (m.id.family == "step_changes" && m.id.name == "step_ups_per_year") ups = &m;
    }
    fmt::print("{}{:>26} {:>22}\n", row, spend ? money(spend->ci) : "–", ups ? ci_text(ups->ci, 1) : "–");
  }
  fmt::print("\nEvery point and figure: {}\n", a.out);
  write_tables(sheets::sweep_tables(r), a.xlsx, a.csv_dir, false);
  return 0;
}

int sweep_here(const SweepArgs& a) {
  const models::SweepSpec spec = sweep_spec(a);
  check_sweep_outputs(a, spec);
  return finish_sweep(a, models::plan_sweep(spec, a.options), {});
}

#ifdef CAREFLOW_WITH_MPI
// `mpirun -np N careflow sweep ...`: rank 0 checks everything first (bad input: every rank exits
// 2, only rank 0 says why), then hands the tasks out; the other ranks compute them.
int sweep_mpi(const SweepArgs& a) {
  const MpiSession& mpi = mpi_session();
  if (mpi.size() == 1) return sweep_here(a);
  const unsigned threads = a.options.threads > 0 ? a.options.threads : mpi.default_threads();
  if (mpi.rank() == 0) {
    models::SweepPlan plan;
    try {
      const models::SweepSpec spec = sweep_spec(a);
      check_sweep_outputs(a, spec);
      plan = models::plan_sweep(spec, a.options);
    } catch (...) {
      const int status = exit_status(std::current_exception());
      broadcast_status(status);  // the other ranks exit with it, saying nothing
      return status;
    }
    broadcast_status(0);
    const char* works = std::getenv("CAREFLOW_MPI_ROOT_WORKS");  // 0: rank 0 only coordinates (for measuring)
    return finish_sweep(a, plan, mpi_coordinator(mpi, threads, !(works && std::string(works) == "0")));
  }
  if (const int status = broadcast_status(0); status != 0) return status;
  return mpi_worker(mpi, threads, [&] { return models::plan_sweep(sweep_spec(a), a.options); });
}
#endif

}  // namespace

int sweep(const SweepArgs& a) {
#ifdef CAREFLOW_WITH_MPI
  if (launched_by_mpi()) return sweep_mpi(a);
#endif
  return sweep_here(a);
}

}  // namespace careflow::app
