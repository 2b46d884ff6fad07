// `careflow run`: one scenario (here, its replications on threads; under mpirun, each
// replication's sites spread over the ranks), its summary or --json, results file and tables.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <string>
#include <utility>

#include "careflow/io/hdf5_results.hpp"
#include "careflow/models/advice.hpp"
#include "careflow/models/vocabulary.hpp"
#include "careflow/sheets/results_tables.hpp"
#include "careflow/support/json.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "format.hpp"
#ifdef CAREFLOW_WITH_MPI
#include <mpi.h>

#include "mpi_run.hpp"
#endif

namespace careflow::app {
namespace {

namespace json = support::json;

void print_advice(const models::Scenario& s, const models::Advice& a) {
  fmt::print("\nADVICE (from this run as a pilot)\n");
  fmt::print("  warm-up (MSER-5 on weekly occupancy): {:.1f} years ({} weeks); the scenario uses {:.1f}{}\n", a.warmup_years,
             a.warmup_weeks, s.warmup_years,
             a.warmup_at_limit ? "\n  the estimate is at the edge of what this horizon can show: run with a longer --years" : "");
  fmt::print("  replications for ±{:.3g} on {}/{}{}{} (mean {:.6g}, now ± {:.3g} with {}): {}\n", a.target_half_width,
             a.metric.family, a.metric.name, a.metric.subject.empty() ? "" : "/", a.metric.subject, a.mean, a.half_width,
             s.replications, a.replications);
}

// `--json` (docs/cli.md): the scenario, then every summary figure on a line of its own.
void print_json(const models::Scenario& s, const models::RunResult& r) {
  json::Writer w(json::kReadable);
  w.begin_object().key("scenario").value(s.name).key("replications").value(s.replications).key("seed").value(s.seed);
  w.key("horizon_years").value(s.horizon_years).key("warmup_years").value(s.warmup_years).key("metrics").begin_array();
  for (const models::Metric& m : r.summary) {
    w.line_break(2).begin_object().key("family").value(m.id.family).key("name").value(m.id.name);
    w.key("subject").value(m.id.subject).key("unit").value(m.id.unit).key("mean").value(m.ci.mean);
    w.key("half_width").value(m.ci.half_width).key("n").value(m.ci.n).end_object();
  }
  w.line_break(0).end_array();
  const models::QueueStability st = models::check_queue_stability(r.summary);
  w.key("queue_stability_checked").value(st.tested).key("unstable_queues").begin_array();
  for (const models::UnstableQueue& q : st.unstable) {
    w.line_break(2).begin_object().key("service").value(q.service).key("growth").value(q.growth);
    w.key("growth_lower_99").value(q.lower).key("mean_queue").value(q.mean_queue).end_object();
  }
  w.line_break(0).end_array().end_object();
  fmt::print("{}\n", w.text());
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

  const models::QueueStability stability = models::check_queue_stability(r.summary);
  auto unstable = [&](const std::string& service) {
    return std::any_of(stability.unstable.begin(), stability.unstable.end(), [&](const auto& q) { return q.service == service; });
  };
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
    if (unstable(sv.name)) fmt::print("{:<24} ^ unstable queue: these waits depend on the horizon and the seed\n", "");
  }
  for (const auto& term : models::kTiers) {
    const std::string tier(term.name);
    const auto* m = find("waits", "mean_wait_days", std::string("tier:") + tier);
    const auto* p90 = find("waits", "p90_wait_days", std::string("tier:") + tier);
    if (m && !std::isnan(m->ci.mean))
      fmt::print("{:<24} {:>16} {:>16} {:>16}\n", std::string("all ") + tier, ci_text(m->ci, 1), "", ci_text(p90->ci, 1));
  }

  if (!stability.tested)
    fmt::print("Queue stability not checked: {} replication(s); the check needs {} (docs/model.md).\n", stability.replications,
               models::QueueStability::kMinReplications);
  else if (stability.unstable.empty())
    fmt::print("Every queue is stable: none grows through the reported period (checked across {} replications).\n",
               stability.replications);

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
  support::OutputPlan paths;  // checked before loading or simulating anything
  paths.input("the scenario", a.scenario);
  if (!a.out.empty()) paths.file("--out", a.out);
  add_table_outputs(paths, a.xlsx, a.csv_dir);
  check_paths(paths);
  auto [s, opt] = run_setup(a);
  check_paths(paths, s);
  print_warnings(models::validate_scenario(s));
  check_memory(s, opt, a.all_episodes);
  models::RunResult result = simulate(s, opt);
  warn_unstable_queues(result);
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
      warn_unstable_queues(result);
    }
  }
  if (!a.out.empty()) {
    io::WriteOptions w;
    w.episodes_all_replications = a.all_episodes;
    io::write_results_hdf5(a.out, used, result, w);
  }
  if (a.json) {
    print_json(used, result);
  } else if (!a.quiet) {
    print_summary(used, result);
    if (!a.out.empty()) fmt::print("\nResults written to {}\n", a.out);
  }
  write_tables(sheets::run_tables(used, result), a.xlsx, a.csv_dir, a.quiet || a.json);
  return 0;
}

#ifdef CAREFLOW_WITH_MPI
// `mpirun -np N careflow run REGION.yaml`: each replication's sites spread over the ranks (the
// MPI executor). Rank 0 checks everything first (bad input: every rank exits 2, rank 0 says
// why), then every rank joins the run; rank 0 prints and writes the results as one process
// would. A rank that fails aborts the job (mpirun exits non-zero) before any file is written.
int run_mpi(const RunArgs& a) {
  const MpiSession& mpi = mpi_session();
  // Once the ranks have joined, a rank that stops would leave the others waiting: abort them all.
  auto fail_job = [&] {
    const int status = exit_status(std::current_exception(), fmt::format("rank {} of {}: ", mpi.rank(), mpi.size()));
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, status);
  };
  if (mpi.rank() == 0) {
    bool joined = false;
    const Simulate simulate = [&](const models::Scenario& s, const models::CareRunOptions& opt) {
      if (s.site_count() < 2)
        throw BadInput("careflow run over MPI ranks spreads a scenario's sites (region:) over the ranks; this scenario has "
                       "one site: run it without mpirun (replications run in parallel on threads), or sweep it over ranks");
      if (a.use_advice) throw BadInput("--use-advice runs the scenario twice; over MPI ranks, run it without it");
      joined = true;
      broadcast_status(0);
      try {
        return run_over_ranks(s, opt, mpi);
      } catch (...) {
        fail_job();
        throw;
      }
    };
    try {
      return run_here(a, simulate);
    } catch (...) {
      const int status = exit_status(std::current_exception());
      if (!joined) broadcast_status(status);  // the other ranks exit with it
      return status;
    }
  }
  if (const int status = broadcast_status(0); status != 0) return status;
  try {
    const auto [s, opt] = run_setup(a);
    run_over_ranks(s, opt, mpi);
  } catch (...) {
    fail_job();
  }
  return 0;
}
#endif

}  // namespace

int run(const RunArgs& a) {
#ifdef CAREFLOW_WITH_MPI
  if (launched_by_mpi() && launch_size() > 1) return run_mpi(a);
#endif
  return run_here(a, [](const models::Scenario& s, const models::CareRunOptions& opt) { return models::run_scenario(s, opt); });
}

}  // namespace careflow::app
