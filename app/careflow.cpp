// careflow: the command-line front end.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <cmath>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "careflow/engine/statistics.hpp"
#include "careflow/io/hdf5_results.hpp"
#include "careflow/models/care_model.hpp"
#include "careflow/models/default_scenario.hpp"
#include "careflow/models/scenario_loader.hpp"

namespace {

namespace models = careflow::models;
using careflow::ConfidenceInterval;

struct RunArgs {
  std::string scenario;  // empty: the embedded default
  models::CareRunOptions options;
  std::string out;
  bool json = false;
  bool quiet = false;
  bool all_episodes = false;
};

/// Thrown for problems with what the user gave us (exit status 2).
struct BadInput : std::runtime_error {
  using std::runtime_error::runtime_error;
};

models::Scenario load(const std::string& path) {
  if (path.empty()) return models::parse_scenario(models::default_scenario_yaml(), models::kDefaultScenarioName, "scenarios");
  return models::load_scenario(path);
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
  for (const char* tier : {"mainstream", "intermediate", "specialist", "acute"}) {
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

int run(const RunArgs& a) {
  if (!a.out.empty()) {
    try {
      careflow::io::check_writable(a.out);  // fail before simulating, not after
    } catch (const std::exception& e) {
      throw BadInput(e.what());
    }
  }
  const models::Scenario loaded = load(a.scenario);
  const models::Scenario s = models::apply_options(loaded, a.options);
  print_warnings(models::validate_scenario(s));
  models::CareRunOptions opt = a.options;
  opt.episodes_all_replications = a.all_episodes;
  const models::RunResult result = models::run_scenario(s, opt);
  if (!a.out.empty()) {
    careflow::io::WriteOptions w;
    w.episodes_all_replications = a.all_episodes;
    careflow::io::write_results_hdf5(a.out, s, result, w);
  }
  if (a.json) {
    print_json(s, result);
  } else if (!a.quiet) {
    print_summary(s, result);
    if (!a.out.empty()) fmt::print("\nResults written to {}\n", a.out);
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
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"careflow — discrete-event simulation of health and social care flows.\n"
               "Exit status: 0 success, 1 run failure, 2 bad input."};
  app.require_subcommand(1);

  RunArgs ra;
  CLI::App* run_cmd = app.add_subcommand("run", "Run a scenario (default: the embedded default scenario) and print its summary");
  run_cmd->add_option("scenario", ra.scenario, "Scenario file (YAML); omit for the embedded default");
  run_cmd->add_option("--replications,-r", ra.options.replications, "Number of replications (default: the scenario's)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{100000}));
  run_cmd->add_option("--seed,-s", ra.options.seed, "Base random seed (default: the scenario's)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{UINT64_MAX}));
  run_cmd->add_option("--years,-y", ra.options.horizon_years, "Simulated horizon in years, warm-up included (default: the scenario's)")
      ->check(CLI::Range(0.01, 200.0));
  run_cmd->add_option("--out,-o", ra.out, "Write the results to this HDF5 file (written atomically)");
  run_cmd->add_flag("--all-episodes", ra.all_episodes, "Keep per-episode records of every replication (default: the first)");
  run_cmd->add_flag("--json", ra.json, "Print the summary as JSON instead of tables");
  run_cmd->add_flag("--quiet,-q", ra.quiet, "Print nothing on success");

  std::string vpath;
  CLI::App* validate_cmd = app.add_subcommand("validate", "Check a scenario and show each service's expected load");
  validate_cmd->add_option("scenario", vpath, "Scenario file (YAML); omit for the embedded default");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  try {
    if (run_cmd->parsed()) return run(ra);
    if (validate_cmd->parsed()) return validate(vpath);
  } catch (const BadInput& e) {
    fmt::print(stderr, "careflow: error: {}\n", e.what());
    return 2;
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
}
