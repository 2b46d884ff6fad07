// careflow: the command-line front end.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cmath>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <map>
#include <regex>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "careflow/engine/statistics.hpp"
#include "careflow/io/hdf5_reader.hpp"
#include "careflow/io/hdf5_results.hpp"
#include "careflow/models/care_model.hpp"
#include "careflow/models/advice.hpp"
#include "careflow/models/compare.hpp"
#include "careflow/models/sweep.hpp"
#include "careflow/models/default_scenario.hpp"
#include "careflow/models/scenario_loader.hpp"
#include "careflow/models/transforms.hpp"
#include "careflow/viz/pages.hpp"
#include "careflow/viz/stress.hpp"
#include "careflow/sheets/results_tables.hpp"
#include "careflow/sheets/scenario_workbook.hpp"
#include "careflow/sheets/xlsx.hpp"
#include "careflow/support/atomic_file.hpp"
#ifdef CAREFLOW_WITH_MPI
#include <mpi.h>

#include "mpi_run.hpp"
#include "mpi_sweep.hpp"
#endif

namespace {

namespace models = careflow::models;
using careflow::ConfidenceInterval;

struct RunArgs {
  std::string scenario;  // empty: the embedded default
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

void print_advice(const models::Scenario& s, const models::Advice& a) {
  fmt::print("\nADVICE (from this run as a pilot)\n");
  fmt::print("  warm-up (MSER-5 on weekly occupancy): {:.1f} years ({} weeks); the scenario uses {:.1f}{}\n", a.warmup_years,
             a.warmup_weeks, s.warmup_years,
             a.warmup_at_limit ? "\n  the estimate is at the edge of what this horizon can show: run with a longer --years" : "");
  fmt::print("  replications for ±{:.3g} on {}/{}{}{} (mean {:.6g}, now ± {:.3g} with {}): {}\n", a.target_half_width,
             a.metric.family, a.metric.name, a.metric.subject.empty() ? "" : "/", a.metric.subject, a.mean, a.half_width,
             s.replications, a.replications);
}

/// Thrown for problems with what the user gave us (exit status 2).
struct BadInput : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void check_output(const std::string& path);

/// `--set PATH=VALUE` as a change of one field; bad arguments throw BadInput.
models::FieldChange field_change(const std::string& set) {
  const auto eq = set.find('=');
  if (eq == std::string::npos || eq == 0) throw BadInput("--set expects PATH=VALUE, found '" + set + "'");
  const std::string path = set.substr(0, eq);
  return models::FieldChange{path, set.substr(eq + 1), models::SourceRef{"--set", 0, path}};
}

models::Scenario load(const std::string& path, const std::vector<std::string>& transforms = {},
                      const std::vector<std::string>& sets = {}) {
  std::vector<models::FieldChange> changes;
  for (const std::string& set : sets) changes.push_back(field_change(set));
  models::Scenario s;
  if (path.empty()) {
    const models::ScenarioSource source{std::string(models::default_scenario_yaml()), models::kDefaultScenarioName,
                                        "scenarios", changes, !changes.empty()};
    s = models::parse_scenario(source);
  } else {
    s = careflow::sheets::load_any_scenario(path, changes);  // YAML or a scenario workbook (.xlsx)
  }
  for (const std::string& t : transforms) {
    const models::TransformSpec spec = models::parse_transform(t, s, "--transform '" + t + "'");
    models::apply_transform(s, spec);
    s.transforms.push_back(spec);
    s.name += " + " + spec.name;
  }
  return s;
}

std::string number(double x, int decimals) {
  if (std::isnan(x)) return "–";
  return fmt::format("{:.{}f}", x, decimals);
}

std::string ci_text(const ConfidenceInterval& ci, int decimals) {
  if (ci.n == 0 || std::isnan(ci.mean)) return "–";
  if (ci.n < 2 || std::isnan(ci.half_width)) return number(ci.mean, decimals);
  return fmt::format("{} ± {}", number(ci.mean, decimals), number(ci.half_width, decimals));
}

int decimals_for(const std::string& unit, double value) {
  if (unit == "£") return 0;
  if (std::abs(value) >= 1000) return 0;
  if (std::abs(value) >= 10) return 1;
  return 2;
}

std::string money(const ConfidenceInterval& ci) {
  if (ci.n == 0 || std::isnan(ci.mean)) return "–";
  auto m = [](double x) { return std::abs(x) >= 1e6 ? fmt::format("£{:.2f}m", x / 1e6) : fmt::format("£{:.0f}", x); };
  if (ci.n < 2 || std::isnan(ci.half_width)) return m(ci.mean);
  return fmt::format("{} ± {}", m(ci.mean), m(ci.half_width));
}

void print_warnings(const std::vector<models::Warning>& warnings) {
  for (const models::Warning& w : warnings) {
    std::string where = w.where.file;
    if (w.where.line > 0) where += ":" + std::to_string(w.where.line);
    if (!w.where.field.empty()) where += ": " + w.where.field;
    fmt::print(stderr, "careflow: warning: {}{}{}\n", where, where.empty() ? "" : ": ", w.message);
  }
}

std::string json_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      o += fmt::format("\\u{:04x}", static_cast<int>(c));
      continue;
    }
    o += c;
  }
  return o;
}

void print_json(const models::Scenario& s, const models::RunResult& r) {
  auto num = [](double x) { return std::isfinite(x) ? fmt::format("{:.10g}", x) : std::string("null"); };
  fmt::print("{{\"scenario\": \"{}\", \"replications\": {}, \"seed\": {}, \"horizon_years\": {}, \"warmup_years\": {}, \"metrics\": [",
             json_escape(s.name), s.replications, s.seed, num(s.horizon_years), num(s.warmup_years));
  for (std::size_t i = 0; i < r.summary.size(); ++i) {
    const models::Metric& m = r.summary[i];
    fmt::print("{}\n  {{\"family\": \"{}\", \"name\": \"{}\", \"subject\": \"{}\", \"unit\": \"{}\", \"mean\": {}, "
               "\"half_width\": {}, \"n\": {}}}",
               i ? "," : "", m.id.family, m.id.name, json_escape(m.id.subject), json_escape(m.id.unit), num(m.ci.mean),
               num(m.ci.half_width), m.ci.n);
  }
  fmt::print("\n]}}\n");
}

// The summary on stdout, grouped the way planners read it.
void print_summary(const models::Scenario& s, const models::RunResult& r) {
  auto find = [&](const std::string& family, const std::string& name, const std::string& subject) -> const models::Metric* {
    for (const models::Metric& m : r.summary)
      if (m.id.family == family && m.id.name == name && m.id.subject == subject) return &m;
    return nullptr;
  };
  std::uint64_t events = 0;
  for (const auto& rep : r.replications) events += rep.events;
  fmt::print("careflow — {}\n", s.name);
  fmt::print("{} replications, seed {}, {:.0f} years reported after a {:.0f}-year warm-up; {} events in {:.1f} s\n",
             s.replications, s.seed, s.horizon_years - s.warmup_years, s.warmup_years, events, r.seconds);
  fmt::print("Figures are means across replications ± the half-width of their 95% confidence interval.\n");

  fmt::print("\nWAITING TIMES (days, referral to start of service)\n");
  fmt::print("{:<24} {:>16} {:>16} {:>16} {:>16} {:>12}\n", "service", "mean", "median", "90th pct", "95th pct", "utilisation");
  for (const auto& sv : s.services) {
    const auto* mean = find("waits", "mean_wait_days", sv.name);
    const auto* arrivals = find("activity", "starts_per_year", sv.name);
    if (arrivals && arrivals->ci.mean == 0) continue;  // not used in this scenario
    const auto* util = find("activity", "utilisation", sv.name);
    fmt::print("{:<24} {:>16} {:>16} {:>16} {:>16} {:>12}\n", sv.name, ci_text(mean->ci, 1),
               ci_text(find("waits", "median_wait_days", sv.name)->ci, 1), ci_text(find("waits", "p90_wait_days", sv.name)->ci, 1),
               ci_text(find("waits", "p95_wait_days", sv.name)->ci, 1), util ? number(util->ci.mean, 2) : "–");
  }
  for (const auto& term : models::kTiers) {
    const std::string tier(term.name);
    const auto* m = find("waits", "mean_wait_days", std::string("tier:") + tier);
    const auto* p90 = find("waits", "p90_wait_days", std::string("tier:") + tier);
    if (m && !std::isnan(m->ci.mean))
      fmt::print("{:<24} {:>16} {:>16} {:>16}\n", std::string("all ") + tier, ci_text(m->ci, 1), "", ci_text(p90->ci, 1));
  }

  fmt::print("\nSTEP CHANGES\n");
  for (const auto& m : r.summary)
    if (m.id.family == "step_changes")
      fmt::print("  {:<40} {:>22} {}\n", m.id.name, ci_text(m.ci, decimals_for(m.id.unit, m.ci.mean)), m.id.unit);

  fmt::print("\nCOSTS (£ a year unless stated)\n");
  for (const auto& m : r.summary) {
    if (m.id.family != "costs") continue;
    const bool service = m.id.subject.find(':') == std::string::npos && !m.id.subject.empty();
    if (service) continue;  // by service: in the results file and --json
    if (m.id.name == "over_budget_per_year" && m.ci.mean == 0) continue;
    const std::string label = m.id.subject.empty() ? m.id.name : m.id.subject + "  " + m.id.name;
    fmt::print("  {:<52} {:>26}\n", label, money(m.ci));
  }

  fmt::print("\nINDICATORS\n");
  for (const auto& m : r.summary)
    if (m.id.family == "indicators")
      fmt::print("  {:<44} {:>20} {}\n", m.id.name, ci_text(m.ci, decimals_for(m.id.unit, m.ci.mean)), m.id.unit);
}

/// Fails before simulating when a results workbook or CSV folder could not be written.
void check_table_outputs(const std::string& xlsx, const std::string& csv_dir) {
  if (!xlsx.empty()) {
    if (std::filesystem::path(xlsx).extension() != ".xlsx") throw BadInput("--xlsx " + xlsx + ": give a file ending in .xlsx");
    check_output(xlsx);
  }
  if (!csv_dir.empty() && std::filesystem::exists(csv_dir) && !std::filesystem::is_directory(csv_dir))
    throw BadInput("--csv " + csv_dir + ": exists and is not a folder");
}

void write_tables(const std::vector<careflow::sheets::Table>& tables, const std::string& xlsx, const std::string& csv_dir,
                  bool quiet) {
  if (!xlsx.empty()) {
    careflow::sheets::write_tables_xlsx(tables, xlsx);
    if (!quiet) fmt::print("Results workbook written to {} ({} sheets)\n", xlsx, tables.size());
  }
  if (!csv_dir.empty()) {
    careflow::sheets::write_tables_csv(tables, csv_dir);
    if (!quiet) fmt::print("CSV tables written to {}/ ({} files)\n", csv_dir, tables.size());
  }
}

/// Refuses, before simulating, a run that would not fit in this machine's memory (the
/// estimate is models::estimate_run's, per replication running at once), instead of being
/// killed for lack of memory after hours.
void check_memory(const models::Scenario& s, const models::CareRunOptions& opt, bool all_episodes) {
  const models::RunEstimate e = models::estimate_run(s);
  const double threads = opt.threads > 0 ? static_cast<double>(opt.threads)
                                         : static_cast<double>(std::max(1u, std::thread::hardware_concurrency()));
  const double reps = static_cast<double>(s.replications);
  const double at_once = std::min(std::max(1.0, threads / std::max(1u, opt.site_threads)), reps);
  // Episode records: replication 0's (every replication's with --all-episodes), none with --no-records.
  const double episodes = !opt.keep.episodes ? 0.0 : (all_episodes ? reps : 1.0) * e.episode_bytes;
  const double need = at_once * e.working_bytes + episodes;
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return;  // unknown: nothing to compare with
  const double have = static_cast<double>(pages) * static_cast<double>(page);
  if (need <= 0.8 * have) return;
  throw BadInput(fmt::format(
      "{}: this run needs about {} of memory ({:.3g} service visits per replication over {} years, {:.3g} people in "
      "the system at once, {} replication(s) at once{}), more than this machine can give ({} in all); run fewer "
      "replications at once (--threads), a shorter horizon (--years), fewer replications{}",
      s.source_file.empty() ? models::kDefaultScenarioName : s.source_file, models::describe_bytes(need), e.service_visits,
      s.horizon_years, e.people, at_once, all_episodes ? ", every replication keeping its episodes" : "",
      models::describe_bytes(have), opt.keep.episodes ? ", or keep no records (--no-records)" : ""));
}

// The scenario and options of `careflow run` (the same on every MPI rank).
std::pair<models::Scenario, models::CareRunOptions> run_setup(const RunArgs& a) {
  const models::Scenario loaded = load(a.scenario, a.transforms, a.sets);
  models::Scenario s = models::apply_options(loaded, a.options);
  if (a.tracked_people >= 0) s.tracked_people = static_cast<std::uint32_t>(a.tracked_people);
  models::CareRunOptions opt = a.options;
  opt.episodes_all_replications = a.all_episodes;
  if (a.no_records) opt.keep = models::Recorder::kSeriesOnly;  // figures and weekly series only
  return {s, opt};
}

using Simulate = std::function<models::RunResult(const models::Scenario&, const models::CareRunOptions&)>;

int run_here(const RunArgs& a, const Simulate& simulate) {
  check_table_outputs(a.xlsx, a.csv_dir);
  if (!a.out.empty()) check_output(a.out);  // fail before simulating, not after
  auto [s, opt] = run_setup(a);
  print_warnings(models::validate_scenario(s));
  check_memory(s, opt, a.all_episodes);
  models::RunResult result = simulate(s, opt);
  models::Scenario used = s;
  if (a.advise || a.use_advice) {
    const models::Advice advice = models::advise(result, a.advice_metric, a.precision);
    if (!a.json) print_advice(s, advice);
    if (a.use_advice) {
      if (!advice.warmup_at_limit) used.warmup_years = std::max(advice.warmup_years, 1.0 / 52);
      used.replications = advice.replications;
      if (used.warmup_years >= used.horizon_years)
        throw BadInput("the advised warm-up is as long as the horizon: run with a longer --years");
      if (!a.json) fmt::print("  running again with a {:.1f}-year warm-up and {} replications\n\n", used.warmup_years, used.replications);
      models::CareRunOptions again = opt;
      again.replications = 0;
      result = models::run_scenario(used, again);
    }
  }
  if (!a.out.empty()) {
    careflow::io::WriteOptions w;
    w.episodes_all_replications = a.all_episodes;
    careflow::io::write_results_hdf5(a.out, used, result, w);
  }
  if (a.json) {
    print_json(used, result);
  } else if (!a.quiet) {
    print_summary(used, result);
    if (!a.out.empty()) fmt::print("\nResults written to {}\n", a.out);
  }
  write_tables(careflow::sheets::run_tables(used, result), a.xlsx, a.csv_dir, a.quiet || a.json);
  return 0;
}

#ifdef CAREFLOW_WITH_MPI
int exit_status_of(const std::exception_ptr& e);

// `mpirun -np N careflow run REGION.yaml`: each replication's sites spread over the ranks (the
// MPI executor). Rank 0 checks everything first (bad input: every rank exits 2, rank 0 says
// why), then every rank joins the run; rank 0 prints and writes the results as one process
// would. A rank that fails aborts the job (mpirun exits non-zero) before any file is written.
int run_mpi(const RunArgs& a) {
  const careflow::app::MpiSession& mpi = careflow::app::mpi_session();
  auto fail_job = [&](const std::exception& e) {
    fmt::print(stderr, "careflow: run failed: rank {} of {}: {}\n", mpi.rank(), mpi.size(), e.what());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
  };
  if (mpi.rank() == 0) {
    bool joined = false;
    const Simulate simulate = [&](const models::Scenario& s, const models::CareRunOptions& opt) {
      if (s.site_count() < 2)
        throw BadInput("careflow run over MPI ranks spreads a scenario's sites (region:) over the ranks; this scenario has "
                       "one site: run it without mpirun (replications run in parallel on threads), or sweep it over ranks");
      if (a.use_advice) throw BadInput("--use-advice runs the scenario twice; over MPI ranks, run it without it");
      joined = true;
      careflow::app::broadcast_status(0);
      try {
        return careflow::app::run_over_ranks(s, opt, mpi);
      } catch (const std::exception& e) {
        fail_job(e);
        throw;
      }
    };
    try {
      return run_here(a, simulate);
    } catch (...) {
      if (!joined) careflow::app::broadcast_status(exit_status_of(std::current_exception()));
      throw;
    }
  }
  if (const int status = careflow::app::broadcast_status(0); status != 0) return status;
  try {
    const auto [s, opt] = run_setup(a);
    careflow::app::run_over_ranks(s, opt, mpi);
  } catch (const std::exception& e) {
    fail_job(e);
  }
  return 0;
}
#endif

int run(const RunArgs& a) {
#ifdef CAREFLOW_WITH_MPI
  if (careflow::app::launched_by_mpi() && careflow::app::launch_size() > 1) return run_mpi(a);
#endif
  return run_here(a, [](const models::Scenario& s, const models::CareRunOptions& opt) { return models::run_scenario(s, opt); });
}

struct CompareArgs {
  std::vector<std::string> scenarios;
  models::CompareOptions options;
  bool json = false;
  bool all = false;
  std::string xlsx;
  std::string csv_dir;
};

std::string signed_ci(const ConfidenceInterval& ci, const std::string& unit) {
  if (ci.n == 0 || std::isnan(ci.mean)) return "–";
  const int d = decimals_for(unit, ci.mean);
  std::string text = (ci.mean >= 0 ? "+" : "") + number(ci.mean, d);
  if (!std::isnan(ci.half_width)) text += " ± " + number(ci.half_width, d);
  return text;
}

// Marks a difference whose interval excludes zero: unlikely to be noise.
std::string verdict(const ConfidenceInterval& d) {
  const models::Change c = models::change_of(d);
  return c == models::Change::NoClearChange ? "" : std::string("  ") + models::arrow(c);
}

void print_comparison(const models::Comparison& c, const models::CompareOptions& o, bool all) {
  const auto& base = c.runs.front();
  fmt::print("careflow compare — {} scenarios, {} replications each, {}\n", c.names.size(), base.replications.size(),
             o.independent ? "independent seeds (no common random numbers)" : "common random numbers (paired by replication)");
  fmt::print("Base: {}\n", c.names.front());
  fmt::print("Differences are (scenario − base) ± the half-width of their 95% confidence interval;\n"
             "▲/▼ marks a difference whose interval excludes zero (a real rise or fall, not noise).\n");
  for (const models::ScenarioComparison& sc : c.against_base) {
    fmt::print("\n=== {} vs base ===\n", sc.name);
    fmt::print("{:<44} {:<26} {:>16} {:>16} {:>24}\n", "figure", "subject", "base", "scenario", "difference");
    std::string family;
    for (const models::MetricDifference& d : sc.rows) {
      if (!all && !models::headline(d.id)) continue;
      if (d.id.name == "spend_in_year") continue;
      if (d.id.family != family) {
        family = d.id.family;
        fmt::print("{}\n", family == "step_changes" ? "step changes" : family);
      }
      if (d.id.unit == "£") {
        auto m = [](const ConfidenceInterval& ci) { return ci.n ? fmt::format("£{:.2f}m", ci.mean / 1e6) : std::string("–"); };
        std::string diff = "–";
        if (d.diff.n && !std::isnan(d.diff.mean))
          diff = fmt::format("{:+.2f}m ± {:.2f}m", d.diff.mean / 1e6, std::isnan(d.diff.half_width) ? 0.0 : d.diff.half_width / 1e6);
        fmt::print("  {:<42} {:<26} {:>16} {:>16} {:>24}{}\n", d.id.name, d.id.subject, m(d.base), m(d.other), diff, verdict(d.diff));
        continue;
      }
      const int dec = decimals_for(d.id.unit, d.base.n ? d.base.mean : d.other.mean);
      fmt::print("  {:<42} {:<26} {:>16} {:>16} {:>24}{}\n", d.id.name, d.id.subject, d.base.n ? number(d.base.mean, dec) : "–",
                 d.other.n ? number(d.other.mean, dec) : "–", signed_ci(d.diff, d.id.unit), verdict(d.diff));
    }
    const models::Economics& e = sc.economics;
    fmt::print("economics\n");
    if (!e.cumulative_difference.empty()) {
      fmt::print("  cumulative extra spending by year (£m):");
      for (double x : e.cumulative_difference) fmt::print(" {:+.2f}", x / 1e6);
      fmt::print("\n");
    }
    if (std::isnan(e.payback_year)) fmt::print("  payback year: not within the appraisal period\n");
    else if (e.payback_year == 0) fmt::print("  payback year: saves from the first year\n");
    else fmt::print("  payback year: year {:.0f} of the appraisal period\n", e.payback_year);
    if (!std::isnan(e.cost_per_step_up_avoided)) {
      if (e.cost_per_step_up_avoided < 0)
        fmt::print("  step changes up avoided while spending less: £{:.0f} saved a year per step change avoided\n",
                   -e.cost_per_step_up_avoided);
      else
        fmt::print("  cost per step change up avoided: £{:.0f} a year\n", e.cost_per_step_up_avoided);
    }
  }
}

void print_comparison_json(const models::Comparison& c) {
  auto num = [](double x) { return std::isfinite(x) ? fmt::format("{:.10g}", x) : std::string("null"); };
  fmt::print("{{\"base\": \"{}\", \"comparisons\": [", json_escape(c.names.front()));
  for (std::size_t k = 0; k < c.against_base.size(); ++k) {
    const auto& sc = c.against_base[k];
    fmt::print("{}\n {{\"scenario\": \"{}\", \"payback_year\": {}, \"cost_per_step_up_avoided\": {}, \"rows\": [", k ? "," : "",
               json_escape(sc.name), num(sc.economics.payback_year), num(sc.economics.cost_per_step_up_avoided));
    for (std::size_t i = 0; i < sc.rows.size(); ++i) {
      const auto& d = sc.rows[i];
      fmt::print("{}\n  {{\"family\": \"{}\", \"name\": \"{}\", \"subject\": \"{}\", \"unit\": \"{}\", \"base\": {}, "
                 "\"scenario\": {}, \"difference\": {}, \"half_width\": {}}}",
                 i ? "," : "", d.id.family, d.id.name, json_escape(d.id.subject), json_escape(d.id.unit), num(d.base.mean),
                 num(d.other.mean), num(d.diff.mean), num(d.diff.half_width));
    }
    fmt::print("]}}");
  }
  fmt::print("\n]}}\n");
}

int compare(const CompareArgs& a) {
  check_table_outputs(a.xlsx, a.csv_dir);
  std::vector<models::Scenario> scenarios;
  for (const std::string& path : a.scenarios) {
    scenarios.push_back(load(path == "default" ? "" : path));
    const models::Scenario sized = models::apply_options(scenarios.back(), a.options.run);
    print_warnings(models::validate_scenario(sized));
    check_memory(sized, a.options.run, false);
  }
  const models::Comparison c = models::compare(scenarios, a.options);
  if (a.json) print_comparison_json(c);
  else print_comparison(c, a.options, a.all);
  write_tables(careflow::sheets::comparison_tables(c), a.xlsx, a.csv_dir, a.json);
  return 0;
}

const char* type_text(models::ParamType t) {
  switch (t) {
    case models::ParamType::Number: return "number";
    case models::ParamType::NonNegative: return "number ≥ 0";
    case models::ParamType::Probability: return "0 … 1";
    case models::ParamType::Boolean: return "true / false";
    case models::ParamType::NeedLevel: return "need level";
    case models::ParamType::Services: return "service(s)";
    case models::ParamType::Cohorts: return "cohort(s)";
  }
  return "";
}

// The transforms and their parameters, as Markdown (docs/transforms.md is this output).
int list_transforms() {
  fmt::print("# Scenario transforms\n\n"
             "Named changes to a scenario, applied in order after it is loaded. In a scenario file:\n\n"
             "```yaml\ntransforms:\n  - name: prevention_shift\n    share: 0.1\n    to: [early_help, reablement]\n```\n\n"
             "On the command line (`careflow run --transform`, repeatable): "
             "`--transform \"prevention_shift share=0.1 to=early_help,reablement\"`.\n\n"
             "Generated by `careflow transforms`; a test keeps this page equal to its output.\n");
  for (const models::TransformSchema& t : models::transform_schemas()) {
    fmt::print("\n## `{}`\n\n{}\n", t.name, t.doc);
    if (t.params.empty()) {
      fmt::print("\nNo parameters.\n");
      continue;
    }
    fmt::print("\n| parameter | type | default | meaning |\n|---|---|---|---|\n");
    for (const models::ParamSchema& p : t.params) {
      std::string def = p.required ? "**required**" : "";
      if (!p.required && (p.type == models::ParamType::Services || p.type == models::ParamType::Cohorts)) def = "see meaning";
      else if (!p.required && p.type == models::ParamType::Boolean) def = p.fallback != 0 ? "true" : "false";
      else if (!p.required && std::isnan(p.fallback)) def = "see meaning";
      else if (!p.required) def = fmt::format("{:g}", p.fallback);
      fmt::print("| `{}` | {} | {} | {} |\n", p.key, type_text(p.type), def, p.doc);
    }
  }
  return 0;
}

struct SweepArgs {
  std::string scenario;
  std::string file;
  std::vector<std::string> sets;
  bool list = false;
  std::string out = "sweep.h5";
  bool resume = false;
  models::CareRunOptions options;
  std::string xlsx;
  std::string csv_dir;
};

// A progress bar with ETA on a terminal; plain lines (every 10%) otherwise.
class ProgressBar {
 public:
  ProgressBar() : tty_(isatty(STDERR_FILENO) == 1), start_(std::chrono::steady_clock::now()) {}
  void operator()(std::size_t done, std::size_t total) {
    if (first_) {
      first_ = false;
      resumed_ = done;
      if (done > 0) fmt::print(stderr, "careflow: resuming: {} of {} replications already done\n", done, total);
    }
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const std::size_t fresh = done - resumed_;
    const double eta = fresh > 0 ? elapsed / static_cast<double>(fresh) * static_cast<double>(total - done) : 0.0;
    const int pct = total ? static_cast<int>(100 * done / total) : 100;
    if (tty_) {
      const int width = 30, filled = width * pct / 100;
      fmt::print(stderr, "\r[{}{}] {}/{} replications, {}%, ETA {}   ", std::string(static_cast<std::size_t>(filled), '#'),
                 std::string(static_cast<std::size_t>(width - filled), '.'), done, total, pct, duration(eta));
      if (done == total) fmt::print(stderr, "\n");
    } else if (pct / 10 != last_decile_ || done == total) {
      last_decile_ = pct / 10;
      fmt::print(stderr, "careflow: {}/{} replications ({}%), ETA {}\n", done, total, pct, duration(eta));
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
  if (careflow::sheets::looks_like_xlsx(spec.base_file) || std::filesystem::path(spec.base_file).extension() == ".xlsx")
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

// The outputs can be written, and no journal is in the way (BadInput otherwise).
void check_sweep_outputs(const SweepArgs& a) {
  check_output(a.out);
  check_table_outputs(a.xlsx, a.csv_dir);
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
  careflow::io::write_sweep_hdf5(a.out, r);
  std::filesystem::remove_all(journal);

  const models::SweepSpec& spec = plan.spec;
  fmt::print("careflow sweep — {} points × {} replications of {}\n", r.points.size(), r.replications, spec.base_file);
  std::vector<std::pair<std::string, std::string>> shown = {{"costs", "spend_per_year"}, {"step_changes", "step_ups_per_year"}};
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
  write_tables(careflow::sheets::sweep_tables(r), a.xlsx, a.csv_dir, false);
  return 0;
}

int sweep_here(const SweepArgs& a) {
  const models::SweepSpec spec = sweep_spec(a);
  check_sweep_outputs(a);
  return finish_sweep(a, models::plan_sweep(spec, a.options), {});
}

#ifdef CAREFLOW_WITH_MPI
// The exit status main() gives an exception (see its catch clauses).
int exit_status_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const BadInput&) {
    return 2;
  } catch (const models::ScenarioError&) {
    return 2;
  } catch (const std::invalid_argument&) {
    return 2;
  } catch (...) {
    return 1;
  }
}

// `mpirun -np N careflow sweep ...`: rank 0 checks everything first (bad input: every rank exits
// 2, only rank 0 says why), then hands the tasks out; the other ranks compute them.
int sweep_mpi(const SweepArgs& a) {
  const careflow::app::MpiSession& mpi = careflow::app::mpi_session();
  if (mpi.size() == 1) return sweep_here(a);
  const unsigned threads = a.options.threads > 0 ? a.options.threads : mpi.default_threads();
  if (mpi.rank() == 0) {
    models::SweepPlan plan;
    std::exception_ptr error;
    try {
      const models::SweepSpec spec = sweep_spec(a);
      check_sweep_outputs(a);
      plan = models::plan_sweep(spec, a.options);
    } catch (...) {
      error = std::current_exception();
    }
    careflow::app::broadcast_status(error ? exit_status_of(error) : 0);
    if (error) std::rethrow_exception(error);  // printed by main(), before MPI_Finalize
    const char* works = std::getenv("CAREFLOW_MPI_ROOT_WORKS");  // 0: rank 0 only coordinates (for measuring)
    return finish_sweep(a, plan, careflow::app::mpi_coordinator(mpi, threads, !(works && std::string(works) == "0")));
  }
  if (const int status = careflow::app::broadcast_status(0); status != 0) return status;
  return careflow::app::mpi_worker(mpi, threads, [&] { return models::plan_sweep(sweep_spec(a), a.options); });
}
#endif

int sweep(const SweepArgs& a) {
#ifdef CAREFLOW_WITH_MPI
  if (careflow::app::launched_by_mpi()) return sweep_mpi(a);
#endif
  return sweep_here(a);
}

// A scenario as a workbook for planners, or a workbook back as a scenario file.
int workbook(const std::string& scenario, const std::string& out) {
  const std::string ext = std::filesystem::path(out).extension().string();
  if (ext != ".xlsx" && ext != ".yaml" && ext != ".yml") throw BadInput("--out " + out + ": give a file ending in .xlsx (or .yaml to convert a workbook back)");
  check_output(out);
  const models::Scenario s = load(scenario);
  if (ext == ".xlsx") {
    careflow::sheets::write_scenario_workbook(s, out);
    fmt::print("Scenario workbook written to {} ('{}': {} services, {} cohorts, {} agencies)\n", out, s.name, s.services.size(),
               s.cohorts.size(), s.agencies.size());
  } else {
    careflow::support::write_file_atomically(out, s.source_text);
    fmt::print("Scenario written to {} ('{}')\n", out, s.name);
  }
  return 0;
}

int validate(const std::string& path) {
  const models::Scenario s = load(path);
  const auto warnings = models::validate_scenario(s);
  print_warnings(warnings);
  const auto loads = models::traffic_equations(s);
  fmt::print("{}: valid careflow scenario '{}' ({} services, {} cohorts, {} agencies)\n",
             path.empty() ? models::kDefaultScenarioName : path, s.name, s.services.size(), s.cohorts.size(), s.agencies.size());
  fmt::print("\nExpected load from the traffic equations (at the start of the horizon):\n");
  fmt::print("{:<24} {:>14} {:>14} {:>10} {:>12}\n", "service", "arrivals/day", "places used", "places", "utilisation");
  for (std::size_t i = 0; i < s.services.size(); ++i)
    fmt::print("{:<24} {:>14.2f} {:>14.1f} {:>10} {:>12.2f}\n", s.services[i].name, loads[i].arrivals_per_day,
               loads[i].offered_load, s.services[i].capacity, loads[i].utilisation);
  const models::RunEstimate e = models::estimate_run(s);
  fmt::print("\nOne replication over {} years: about {:.3g} episodes and {:.3g} service visits; memory about {} "
             "(+ {} with its episode records)\n",
             s.horizon_years, e.episodes, e.service_visits, models::describe_bytes(e.working_bytes),
             models::describe_bytes(e.episode_bytes));
  return 0;
}

// ---------------------------------------------------------------- animate and report

struct PresentArgs {
  std::string results;
  std::string compare;  // a second results file, shown beside / against the first
  std::string out;
  std::vector<std::string> videos;
  careflow::viz::VideoOptions video;
  std::string start_date;
  std::vector<std::string> targets;  // NAME=VALUE
  bool stress = false;               // report: the STRESS-DES study description instead of the HTML report
};

std::vector<careflow::io::StoredRun> read_runs(const PresentArgs& a, const careflow::io::ReadOptions& opt) {
  std::vector<careflow::io::StoredRun> runs;
  try {
    runs.push_back(careflow::io::read_results_hdf5(a.results, opt));
    if (!a.compare.empty()) runs.push_back(careflow::io::read_results_hdf5(a.compare, opt));
  } catch (const careflow::io::ResultsFileError& e) {
    throw BadInput(e.what());
  }
  return runs;
}

void check_output(const std::string& path) {
  try {
    careflow::support::check_output_path(path);
  } catch (const std::exception& e) {
    throw BadInput(e.what());
  }
}

std::string size_text(std::size_t bytes) {
  return bytes >= (1u << 20) ? fmt::format("{:.1f} MB", static_cast<double>(bytes) / (1 << 20))
                             : fmt::format("{:.0f} kB", static_cast<double>(bytes) / 1024);
}

int animate(const PresentArgs& a) {
  if (a.out.empty() && a.videos.empty()) throw BadInput("animate: give --out FILE.html and/or --video FILE.mp4|.gif");
  if (!a.start_date.empty() && !std::regex_match(a.start_date, std::regex(R"(\d{4}-\d{2}-\d{2})")))
    throw BadInput("--start-date: expected YYYY-MM-DD, found '" + a.start_date + "'");
  if (!a.out.empty()) check_output(a.out);
  for (const std::string& v : a.videos) {
    const std::string ext = std::filesystem::path(v).extension().string();
    if (ext != ".mp4" && ext != ".gif") throw BadInput("--video " + v + ": give a file ending in .mp4 or .gif");
    check_output(v);
  }
  if (!a.videos.empty()) careflow::viz::check_video_tools(a.video);  // before anything is written
  careflow::io::ReadOptions ro;
  const auto runs = read_runs(a, ro);
  careflow::viz::AnimationOptions opt;
  opt.start_date = a.start_date;
  if (!a.out.empty()) {
    const std::string page = careflow::viz::animation_html(runs, opt);
    careflow::support::write_file_atomically(a.out, page);
    fmt::print("Animation written to {} ({})\n", a.out, size_text(page.size()));
  }
  if (!a.videos.empty()) {
    careflow::viz::render_video(runs, opt, a.video, a.videos);
    for (const std::string& v : a.videos)
      fmt::print("Video written to {} ({:.0f} s at {} frames per second)\n", v, a.video.seconds, a.video.fps);
  }
  return 0;
}

int report(const PresentArgs& a) {
  check_output(a.out);
  if (a.stress) {
    if (!a.compare.empty() || !a.targets.empty()) throw BadInput("report --stress describes one run: leave out --compare and --target");
    careflow::io::ReadOptions ro;
    ro.series = false;
    ro.records = false;
    const auto runs = read_runs(a, ro);
    const std::string text = careflow::viz::stress_report(runs[0]);
    careflow::support::write_file_atomically(a.out, text);
    fmt::print("STRESS-DES report written to {} ({})\n", a.out, size_text(text.size()));
    return 0;
  }
  auto targets = careflow::viz::default_targets();
  for (const std::string& t : a.targets) {
    const std::regex form(R"(([A-Za-z0-9_]+)=(-?[0-9.]+(?:[eE][-+]?[0-9]+)?)(?::(higher|lower))?)");
    std::smatch m;
    if (!std::regex_match(t, m, form)) throw BadInput("--target '" + t + "': expected NAME=VALUE or NAME=VALUE:higher|lower");
    careflow::viz::Target& x = targets[m[1]];
    x.value = std::stod(m[2]);
    if (m[3].matched) x.higher_is_better = m[3] == "higher";
    x.source = "given with --target";
  }
  const auto runs = read_runs(a, {});
  const std::string page = careflow::viz::report_html(runs[0], runs.size() > 1 ? &runs[1] : nullptr, targets);
  careflow::support::write_file_atomically(a.out, page);
  fmt::print("Report written to {} ({})\n", a.out, size_text(page.size()));
  return 0;
}

}  // namespace

// The options every simulating command shares; `min_replications` is 2 where intervals are the point.
void add_run_options(CLI::App* cmd, models::CareRunOptions& o, const std::string& replications_help,
                     std::uint64_t min_replications = 1) {
  cmd->add_option("--replications,-r", o.replications, replications_help)
      ->check(CLI::Range(min_replications, std::uint64_t{100000}));
  cmd->add_option("--seed,-s", o.seed, "Base random seed (default: the scenario's)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{UINT64_MAX}));
  cmd->add_option("--years,-y", o.horizon_years, "Simulated horizon in years, warm-up included (default: the scenario's)")
      ->check(CLI::Range(0.01, 200.0));
  cmd->add_option("--threads,-j", o.threads, "Threads (default: all cores); results do not depend on it");
  cmd->add_option("--site-threads", o.site_threads,
                  "A scenario with several sites (region:): threads for each replication, on the parallel executor "
                  "(default 1); results do not depend on it")
      ->check(CLI::Range(1u, 1024u));
  cmd->add_option("--scale", o.scale,
                  "Multiply every population, place, budget and cost by this factor (e.g. 10 for a national-size run)")
      ->check(CLI::Range(1e-6, 1e6));
}

// SIGINT, SIGTERM, SIGHUP: remove the temporaries of the outputs being written (each target
// keeps its previous contents: files are renamed into place only when complete), then die of the
// same signal, so the caller still sees how the program ended.
extern "C" void on_terminating_signal(int sig) {
  careflow::support::remove_pending_files();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

int main(int argc, char** argv) {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) std::signal(sig, on_terminating_signal);
  CLI::App app{"careflow — discrete-event simulation of health and social care flows.\n"
               "Exit status: 0 success, 1 run failure, 2 bad input."};
  app.require_subcommand(1);

  RunArgs ra;
  CLI::App* run_cmd = app.add_subcommand("run", "Run a scenario (default: the embedded default scenario) and print its summary");
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
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{10000000}));
  run_cmd->add_flag("--quiet,-q", ra.quiet, "Print nothing on success");

  run_cmd->add_option("--set", ra.sets,
                      "Change a field by its path, e.g. services[early_help].capacity=1200 (repeatable; docs/cli.md)");
  run_cmd->add_option("--transform,-t", ra.transforms,
                      "Apply a named transform, e.g. \"prevention_shift share=0.1 to=early_help,reablement\" (repeatable)");
  run_cmd->add_flag("--advise", ra.advise, "After the run, advise a warm-up (MSER-5) and a number of replications");
  run_cmd->add_flag("--use-advice", ra.use_advice, "Advise, then run again with the advised warm-up and replications");
  run_cmd->add_option("--metric", ra.advice_metric, "Output the replications are sized for (family/name[/subject])")->capture_default_str();
  run_cmd->add_option("--precision", ra.precision, "Wanted 95% half-width as a share of the mean (0.01 = ±1%)")->capture_default_str()
      ->check(CLI::Range(1e-6, 10.0));

  CompareArgs ca;
  CLI::App* compare_cmd = app.add_subcommand("compare", "Compare scenarios with the first, with paired confidence intervals");
  compare_cmd->add_option("scenarios", ca.scenarios, "Scenario files, the base first ('default' for the embedded default)")
      ->required()->expected(2, 100);
  add_run_options(compare_cmd, ca.options.run, "Replications of each scenario (default: the base's)", 2);
  compare_cmd->add_flag("--independent", ca.options.independent,
                        "Give each scenario its own random numbers (to see how much wider the intervals get)");
  compare_cmd->add_flag("--all", ca.all, "Show every figure (by service too), not only the headline ones");
  compare_cmd->add_flag("--json", ca.json, "Print the comparison as JSON");
  compare_cmd->add_option("--xlsx", ca.xlsx, "Also write the differences, economics and figures as a workbook (written atomically)");
  compare_cmd->add_option("--csv", ca.csv_dir, "Also write each table as a CSV file in this folder");

  SweepArgs sa;
  CLI::App* sweep_cmd = app.add_subcommand("sweep", "Run a scenario over a grid or list of parameter values, in parallel, resumable");
  sweep_cmd->add_option("scenario", sa.scenario, "Scenario file to sweep");
  sweep_cmd->add_option("--file,-f", sa.file, "Sweep file (scenario, mode, parameters) instead of --set");
  sweep_cmd->add_option("--set", sa.sets, "PATH=v1,v2,... e.g. transforms[prevention_shift].share=0,0.1,0.2 (repeatable)");
  sweep_cmd->add_flag("--list", sa.list, "Pair the i-th values of every parameter instead of taking every combination");
  sweep_cmd->add_option("--out,-o", sa.out, "HDF5 file holding every point (written atomically)")->capture_default_str();
  sweep_cmd->add_flag("--resume", sa.resume, "Continue an interrupted sweep without recomputing finished replications");
  add_run_options(sweep_cmd, sa.options, "Replications per point (default: the scenario's)");
  sweep_cmd->add_option("--xlsx", sa.xlsx, "Also write the points × figures table as a workbook (written atomically)");
  sweep_cmd->add_option("--csv", sa.csv_dir, "Also write the points × figures table as CSV in this folder");

  CLI::App* transforms_cmd = app.add_subcommand("transforms", "List the named scenario transforms and their parameters (Markdown)");

  std::string vpath;
  CLI::App* validate_cmd = app.add_subcommand("validate", "Check a scenario and show each service's expected load");
  validate_cmd->add_option("scenario", vpath, "Scenario file (YAML or .xlsx workbook); omit for the embedded default");

  std::string wb_scenario, wb_out;
  CLI::App* workbook_cmd = app.add_subcommand("workbook", "Write a scenario as a workbook for planners (.xlsx), or a workbook back as YAML");
  workbook_cmd->add_option("scenario", wb_scenario, "Scenario file (YAML or .xlsx); omit for the embedded default");
  workbook_cmd->add_option("--out,-o", wb_out, "FILE.xlsx to write the workbook, or FILE.yaml to write a workbook's scenario as YAML")->required();

  PresentArgs aa;
  CLI::App* animate_cmd = app.add_subcommand("animate", "Write the animation of a run (people flowing between tiers, queues, money) as one offline HTML file, and/or a video");
  animate_cmd->add_option("results", aa.results, "Results file of `careflow run --out`")->required();
  animate_cmd->add_option("--compare,-c", aa.compare, "A second results file, shown side by side on the same clock");
  animate_cmd->add_option("--out,-o", aa.out, "HTML file to write (self-contained, works offline; written atomically)");
  animate_cmd->add_option("--video", aa.videos, "Also render a video for slides: FILE.mp4 or FILE.gif (repeatable; needs chromium and ffmpeg)")
      ->allow_extra_args(false);  // one file per --video, so a positional after it stays positional
  animate_cmd->add_option("--video-seconds", aa.video.seconds, "Length of the video, covering the whole reported period")
      ->capture_default_str()->check(CLI::Range(0.2, 600.0));
  animate_cmd->add_option("--fps", aa.video.fps, "Video frames per second")->capture_default_str()->check(CLI::Range(1, 60));
  animate_cmd->add_option("--start-date", aa.start_date, "Calendar date the reported period starts (YYYY-MM-DD), to show dates");

  PresentArgs pa;
  CLI::App* report_cmd = app.add_subcommand("report", "Write a self-contained HTML report with charts of a run, or of two runs compared");
  report_cmd->add_option("results", pa.results, "Results file of `careflow run --out` (the base)")->required();
  report_cmd->add_option("--compare,-c", pa.compare, "A second results file, compared with the base (paired by replication when the seeds match)");
  report_cmd->add_option("--out,-o", pa.out, "HTML file to write (self-contained; written atomically)")->required();
  report_cmd->add_flag("--stress", pa.stress, "Write the STRESS-DES description of the simulation study (Markdown) instead of the HTML report");
  report_cmd->add_option("--target", pa.targets, "Target for an indicator, NAME=VALUE[:higher|lower] (repeatable; defaults: England reference values)")
      ->allow_extra_args(false);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
#ifdef CAREFLOW_WITH_MPI
    if (careflow::app::launch_rank() != 0) return e.get_exit_code() == 0 ? 0 : 2;  // rank 0 alone prints it
#endif
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  const auto dispatch = [&]() -> int {
    try {
#ifdef CAREFLOW_WITH_MPI
      if (!sweep_cmd->parsed() && !run_cmd->parsed() && careflow::app::launch_size() > 1) {
        if (careflow::app::launch_rank() != 0) return 2;
        throw BadInput("only `careflow run` and `careflow sweep` run over MPI ranks; run the other commands without mpirun (or with -np 1)");
      }
#endif
      if (run_cmd->parsed()) return run(ra);
      if (validate_cmd->parsed()) return validate(vpath);
      if (workbook_cmd->parsed()) return workbook(wb_scenario, wb_out);
      if (compare_cmd->parsed()) return compare(ca);
      if (sweep_cmd->parsed()) return sweep(sa);
      if (transforms_cmd->parsed()) return list_transforms();
      if (animate_cmd->parsed()) return animate(aa);
      if (report_cmd->parsed()) return report(pa);
    } catch (const BadInput& e) {
      fmt::print(stderr, "careflow: error: {}\n", e.what());
      return 2;
    } catch (const careflow::viz::MissingTool& e) {
      fmt::print(stderr, "careflow: error: {}\n", e.what());
      return 1;
    } catch (const models::ScenarioError& e) {
      fmt::print(stderr, "careflow: error: {}\n", e.what());
      return 2;
    } catch (const std::invalid_argument& e) {
      fmt::print(stderr, "careflow: error: {}\n", e.what());
      return 2;
    } catch (const std::exception& e) {
      fmt::print(stderr, "careflow: run failed: {}\n", e.what());
      return 1;
    }
    return 0;
  };
  const int status = dispatch();
#ifdef CAREFLOW_WITH_MPI
  careflow::app::mpi_finalize();  // after rank 0 has printed: a rank's exit status makes mpirun end the job
#endif
  return status;
}
