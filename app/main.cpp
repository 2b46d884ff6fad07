// careflow: the command-line front end. The options of each command are set up here and parsed
// into its arguments (commands.hpp); the command runs (commands/), and whatever it throws
// becomes the exit status in exit_status(), the one place that maps failures to 0/1/2.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <exception>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include "careflow/models/scenario.hpp"
#include "careflow/support/atomic_file.hpp"
#include "careflow/support/diagnostics.hpp"
#include "careflow/viz/pages.hpp"
#include "commands.hpp"
#ifdef CAREFLOW_WITH_MPI
#include "mpi_sweep.hpp"
#endif

namespace careflow::app {

int exit_status(std::exception_ptr error, std::string_view where) {
  if (!error) return 0;
  const auto say = [&](std::string_view outcome, const char* message) {
    diagnose("careflow: {}: {}{}\n", outcome, where, message);
  };
  try {
    std::rethrow_exception(error);
  } catch (const BadInput& e) {
    say("error", e.what());
    return 2;
  } catch (const viz::MissingTool& e) {  // chromium or ffmpeg: not the user's input, but their machine
    say("error", e.what());
    return 1;
  } catch (const models::ScenarioError& e) {
    say("error", e.what());
    return 2;
  } catch (const std::invalid_argument& e) {
    say("error", e.what());
    return 2;
  } catch (const std::exception& e) {
    say("run failed", e.what());
    return 1;
  } catch (...) {
    say("run failed", "an error of unknown type");
    return 1;
  }
}

}  // namespace careflow::app

namespace {

namespace app = careflow::app;
namespace models = careflow::models;

// Numbers on the command line mean what they say. CLI11 alone reads a count or seed with
// strtoull: "-5" becomes 2^64-5, 2^64 is clamped to 2^64-1 and "010" is octal 8; and NaN passes
// every range check. These run on the text before it is converted (whole_number as a transform,
// handing CLI11 the number's plain decimal form): a whole number is decimal digits within its
// range, a real number a finite decimal within its range; any other text is refused, naming the
// flag (CLI11 prefixes it), with exit status 2.
std::string_view unsigned_digits(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  return text;
}

CLI::Validator whole_number(std::uint64_t lo, std::uint64_t hi) {
  const std::string range = fmt::format("a whole number from {} to {}", lo, hi);
  return CLI::Validator(
      [lo, hi, range](std::string& text) -> std::string {
        const std::string_view digits = unsigned_digits(text);
        std::uint64_t v = 0;
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
        const bool whole = !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos;
        if (!whole || end != digits.data() + digits.size()) return "expected " + range + ", found '" + text + "'";
        if (ec == std::errc::result_out_of_range || v < lo || v > hi) return text + " is out of range: expected " + range;
        text = std::to_string(v);  // what CLI11 converts: "010" is ten, not octal eight
        return "";
      },
      fmt::format("INT in [{} - {}]", lo, hi));
}

CLI::Validator real_number(double lo, double hi) {
  const std::string range = fmt::format("a number from {:g} to {:g}", lo, hi);
  return CLI::Validator(
      [lo, hi, range](std::string& text) -> std::string {
        const std::string_view digits = unsigned_digits(text);
        double v = 0;
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
        const bool decimal = !digits.empty() && digits.find_first_not_of("0123456789.eE+-") == std::string_view::npos;
        if (!decimal || ec != std::errc() || end != digits.data() + digits.size() || !std::isfinite(v))
          return "expected " + range + ", found '" + text + "'";
        if (v < lo || v > hi) return text + " is out of range: expected " + range;
        return "";
      },
      fmt::format("NUMBER in [{:g} - {:g}]", lo, hi));
}

// The options every simulating command shares; `min_replications` is 2 where intervals are the point.
void add_run_options(CLI::App* cmd, models::CareRunOptions& o, const std::string& replications_help,
                     std::uint64_t min_replications = 1) {
  cmd->add_option("--replications,-r", o.replications, replications_help)
      ->transform(whole_number(min_replications, 100000));
  cmd->add_option("--seed,-s", o.seed, "Base random seed (default: the scenario's)")
      ->transform(whole_number(1, UINT64_MAX));
  cmd->add_option("--years,-y", o.horizon_years, "Simulated horizon in years, warm-up included (default: the scenario's)")
      ->check(real_number(0.01, 200.0));
  cmd->add_option("--threads,-j", o.threads, "Threads (default: all cores); results do not depend on it")
      ->transform(whole_number(0, 4096));
  cmd->add_option("--site-threads", o.site_threads,
                  "A scenario with several sites (region:): threads for each replication, on the parallel executor "
                  "(default 1); results do not depend on it")
      ->transform(whole_number(1, 1024));
  cmd->add_option("--scale", o.scale,
                  "Multiply every population, place, budget and cost by this factor (e.g. 10 for a national-size run)")
      ->check(real_number(1e-6, 1e6));
}

}  // namespace

// SIGINT, SIGTERM, SIGHUP: remove the temporaries of the outputs being written (each target
// keeps its previous contents: files are renamed into place only when complete), then die of the
// same signal, so the caller still sees how the program ended.
extern "C" void on_terminating_signal(int sig) {
  careflow::support::remove_pending_files();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

int main(int argc, char** argv) {
  careflow::support::open_standard_streams();  // before anything opens a file
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) std::signal(sig, on_terminating_signal);
  CLI::App cli{"careflow — discrete-event simulation of health and social care flows.\n"
               "Exit status: 0 success, 1 run failure, 2 bad input."};
  cli.require_subcommand(1);

  app::RunArgs ra;
  CLI::App* run_cmd = cli.add_subcommand("run", "Run a scenario (default: the embedded default scenario) and print its summary");
  run_cmd->add_option("scenario", ra.scenario, "Scenario file (YAML or .xlsx workbook); omit for the embedded default");
  add_run_options(run_cmd, ra.options, "Number of replications (default: the scenario's)");
  run_cmd->add_option("--out,-o", ra.out, "Write the results to this HDF5 file (written atomically)");
  run_cmd->add_option("--xlsx", ra.xlsx, "Also write the summary tables as a workbook, one sheet per table (written atomically)");
  run_cmd->add_option("--csv", ra.csv_dir, "Also write each summary table as a CSV file in this folder");
  run_cmd->add_flag("--all-episodes", ra.all_episodes, "Keep per-episode records of every replication (default: the first)");
  run_cmd->add_flag("--no-records", ra.no_records,
                    "Keep figures and weekly series only: no episodes, step changes, delays or tracks (very large runs)")
      ->excludes("--all-episodes");
  run_cmd->add_flag("--json", ra.json, "Print the summary as JSON instead of tables");
  run_cmd->add_option("--track", ra.tracked_people,
                      "People whose moves are recorded for `careflow animate` (default: the scenario's run.tracked_people)")
      ->transform(whole_number(0, 10000000));
  run_cmd->add_flag("--quiet,-q", ra.quiet, "Print nothing on success");

  run_cmd->add_option("--set", ra.sets,
                      "Change a field by its path, e.g. services[early_help].capacity=1200 (repeatable; docs/cli.md)");
  run_cmd->add_option("--transform,-t", ra.transforms,
                      "Apply a named transform, e.g. \"prevention_shift share=0.1 to=early_help,reablement\" (repeatable)");
  run_cmd->add_flag("--advise", ra.advise, "After the run, advise a warm-up (MSER-5) and a number of replications");
  run_cmd->add_flag("--use-advice", ra.use_advice, "Advise, then run again with the advised warm-up and replications");
  run_cmd->add_option("--metric", ra.advice_metric, "Output the replications are sized for (family/name[/subject])")->capture_default_str();
  run_cmd->add_option("--precision", ra.precision, "Wanted 95% half-width as a share of the mean (0.01 = ±1%)")->capture_default_str()
      ->check(real_number(1e-6, 10.0));

  app::CompareArgs ca;
  CLI::App* compare_cmd = cli.add_subcommand("compare", "Compare scenarios with the first, with paired confidence intervals");
  compare_cmd->add_option("scenarios", ca.scenarios, "Scenario files, the base first ('default' for the embedded default)")
      ->required()->expected(2, 100);
  add_run_options(compare_cmd, ca.options.run, "Replications of each scenario (default: the base's)", 2);
  compare_cmd->add_flag("--independent", ca.options.independent,
                        "Give each scenario its own random numbers (to see how much wider the intervals get)");
  compare_cmd->add_flag("--all", ca.all, "Show every figure (by service too), not only the headline ones");
  compare_cmd->add_flag("--json", ca.json, "Print the comparison as JSON");
  compare_cmd->add_option("--xlsx", ca.xlsx, "Also write the differences, economics and figures as a workbook (written atomically)");
  compare_cmd->add_option("--csv", ca.csv_dir, "Also write each table as a CSV file in this folder");

  app::SweepArgs sa;
  CLI::App* sweep_cmd = cli.add_subcommand("sweep", "Run a scenario over a grid or list of parameter values, in parallel, resumable");
  sweep_cmd->add_option("scenario", sa.scenario, "Scenario file to sweep");
  sweep_cmd->add_option("--file,-f", sa.file, "Sweep file (scenario, mode, parameters) instead of --set");
  sweep_cmd->add_option("--set", sa.sets, "PATH=v1,v2,... e.g. transforms[prevention_shift].share=0,0.1,0.2 (repeatable)");
  sweep_cmd->add_flag("--list", sa.list, "Pair the i-th values of every parameter instead of taking every combination");
  sweep_cmd->add_option("--out,-o", sa.out, "HDF5 file holding every point (written atomically)")->capture_default_str();
  sweep_cmd->add_flag("--resume", sa.resume, "Continue an interrupted sweep without recomputing finished replications");
  add_run_options(sweep_cmd, sa.options, "Replications per point (default: the scenario's)");
  sweep_cmd->add_option("--xlsx", sa.xlsx, "Also write the points × figures table as a workbook (written atomically)");
  sweep_cmd->add_option("--csv", sa.csv_dir, "Also write the points × figures table as CSV in this folder");

  CLI::App* transforms_cmd = cli.add_subcommand("transforms", "List the named scenario transforms and their parameters (Markdown)");

  app::ValidateArgs va;
  CLI::App* validate_cmd = cli.add_subcommand("validate", "Check a scenario and show each service's expected load");
  validate_cmd->add_option("scenario", va.scenario, "Scenario file (YAML or .xlsx workbook); omit for the embedded default");

  app::WorkbookArgs wa;
  CLI::App* workbook_cmd = cli.add_subcommand("workbook", "Write a scenario as a workbook for planners (.xlsx), or a workbook back as YAML");
  workbook_cmd->add_option("scenario", wa.scenario, "Scenario file (YAML or .xlsx); omit for the embedded default");
  workbook_cmd->add_option("--out,-o", wa.out, "FILE.xlsx to write the workbook, or FILE.yaml to write a workbook's scenario as YAML")->required();

  app::PresentArgs aa;
  CLI::App* animate_cmd = cli.add_subcommand("animate", "Write the animation of a run (people flowing between tiers, queues, money) as one offline HTML file, and/or a video");
  animate_cmd->add_option("results", aa.results, "Results file of `careflow run --out`")->required();
  animate_cmd->add_option("--compare,-c", aa.compare, "A second results file, shown side by side on the same clock");
  animate_cmd->add_option("--out,-o", aa.out, "HTML file to write (self-contained, works offline; written atomically)");
  animate_cmd->add_option("--video", aa.videos, "Also render a video for slides: FILE.mp4 or FILE.gif (repeatable; needs chromium and ffmpeg)")
      ->allow_extra_args(false);  // one file per --video, so a positional after it stays positional
  animate_cmd->add_option("--video-seconds", aa.video.seconds, "Length of the video, covering the whole reported period")
      ->capture_default_str()->check(real_number(0.2, 600.0));
  animate_cmd->add_option("--fps", aa.video.fps, "Video frames per second")->capture_default_str()->transform(whole_number(1, 60));
  animate_cmd->add_option("--start-date", aa.start_date, "Calendar date the reported period starts (YYYY-MM-DD), to show dates");
  animate_cmd->add_flag("--allow-incomparable", aa.allow_incomparable,
                        "Show a --compare run of another horizon or warm-up beside the first (refused otherwise)");

  app::PresentArgs pa;
  CLI::App* report_cmd = cli.add_subcommand("report", "Write a self-contained HTML report with charts of a run, or of two runs compared");
  report_cmd->add_option("results", pa.results, "Results file of `careflow run --out` (the base)")->required();
  report_cmd->add_option("--compare,-c", pa.compare, "A second results file, compared with the base (paired by replication when the seeds match)");
  report_cmd->add_option("--out,-o", pa.out, "HTML file to write (self-contained; written atomically)")->required();
  report_cmd->add_flag("--stress", pa.stress, "Write the STRESS-DES description of the simulation study (Markdown) instead of the HTML report");
  report_cmd->add_option("--target", pa.targets, "Target for an indicator, NAME=VALUE[:higher|lower] (repeatable; defaults: England reference values)")
      ->allow_extra_args(false);
  report_cmd->add_flag("--allow-incomparable", pa.allow_incomparable,
                       "Compare with a --compare run of another horizon, warm-up or number of replications (refused otherwise)");

  // A command line CLI11 refuses: it prints why (or the help), and it is bad input (2) unless the
  // help was asked for (0).
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
#ifdef CAREFLOW_WITH_MPI
    if (app::launch_rank() != 0) return e.get_exit_code() == 0 ? 0 : 2;  // rank 0 alone prints it
#endif
    std::ostringstream err;  // the help goes to stdout; a refusal to stderr, if it can be written
    const int rc = cli.exit(e, std::cout, err);
    careflow::support::diagnostic(err.str());
    return rc == 0 ? 0 : 2;
  }
  const auto dispatch = [&]() -> int {
#ifdef CAREFLOW_WITH_MPI
    if (!sweep_cmd->parsed() && !run_cmd->parsed() && app::launch_size() > 1) {
      if (app::launch_rank() != 0) return 2;
      throw app::BadInput("only `careflow run` and `careflow sweep` run over MPI ranks; run the other commands without mpirun (or with -np 1)");
    }
#endif
    if (run_cmd->parsed()) return app::run(ra);
    if (validate_cmd->parsed()) return app::validate(va);
    if (workbook_cmd->parsed()) return app::workbook(wa);
    if (compare_cmd->parsed()) return app::compare(ca);
    if (sweep_cmd->parsed()) return app::sweep(sa);
    if (transforms_cmd->parsed()) return app::list_transforms();
    if (animate_cmd->parsed()) return app::animate(aa);
    if (report_cmd->parsed()) return app::report(pa);
    return 0;
  };
  int status = 0;
  try {
    status = dispatch();
  } catch (...) {
    status = app::exit_status(std::current_exception());
  }
#ifdef CAREFLOW_WITH_MPI
  app::mpi_finalize();  // after rank 0 has printed: a rank's exit status makes mpirun end the job
#endif
  return status;
}
