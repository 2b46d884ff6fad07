// careflow: the command-line front end.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <cmath>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "careflow/engine/statistics.hpp"
#include "careflow/models/queue_network.hpp"

namespace {

using careflow::ConfidenceInterval;
using careflow::confidence_interval;
namespace models = careflow::models;

struct RunOptions {
  std::uint64_t replications = 10;
  std::uint64_t seed = 1;
  double years = 0;  // 0: the scenario's own horizon
  bool json = false;
};

std::string ci_text(const ConfidenceInterval& ci, int decimals) {
  if (ci.n < 2) return fmt::format("{:.{}f}", ci.mean, decimals);
  return fmt::format("{:.{}f} ± {:.{}f}", ci.mean, decimals, ci.half_width, decimals);
}

std::string json_ci(const ConfidenceInterval& ci) {
  auto num = [](double x) { return std::isfinite(x) ? fmt::format("{:.17g}", x) : std::string("null"); };
  return fmt::format(R"({{"mean": {}, "half_width": {}, "n": {}}})", num(ci.mean), num(ci.half_width), ci.n);
}

int run(const RunOptions& opt) {
  models::NetworkSpec spec = models::demo_network();
  if (opt.years > 0) spec.horizon_days = opt.years * 365.0;
  models::validate(spec);

  const std::size_t n_st = spec.stations.size();
  std::vector<std::vector<double>> wait(n_st), p90(n_st), util(n_st), served(n_st);
  std::uint64_t events = 0;
  for (std::uint64_t r = 0; r < opt.replications; ++r) {
    const models::NetworkResult res = models::run_network(spec, opt.seed, r);
    events += res.events;
    for (std::size_t s = 0; s < n_st; ++s) {
      wait[s].push_back(res.stations[s].mean_wait);
      p90[s].push_back(res.stations[s].p90_wait);
      util[s].push_back(res.stations[s].utilisation);
      served[s].push_back(static_cast<double>(res.stations[s].served));
    }
  }

  if (opt.json) {
    fmt::print("{{\"scenario\": \"{}\", \"replications\": {}, \"seed\": {}, \"events\": {}, \"services\": [", spec.name,
               opt.replications, opt.seed, events);
    for (std::size_t s = 0; s < n_st; ++s) {
      fmt::print(R"({}{{"service": "{}", "mean_wait_days": {}, "p90_wait_days": {}, "utilisation": {}, "served": {}}})",
                 s ? ", " : "", spec.stations[s].name, json_ci(confidence_interval(wait[s])),
                 json_ci(confidence_interval(p90[s])), json_ci(confidence_interval(util[s])),
                 json_ci(confidence_interval(served[s])));
    }
    fmt::print("]}}\n");
    return 0;
  }

  fmt::print("careflow — {}\n", spec.name);
  fmt::print("{} replications, seed {}, {:.0f} days after a {:.0f}-day warm-up; {} events\n", opt.replications,
             opt.seed, spec.horizon_days - spec.warmup_days, spec.warmup_days, events);
  fmt::print("(95% confidence intervals across replications)\n\n");
  fmt::print("{:<14} {:>18} {:>18} {:>16} {:>16}\n", "service", "mean wait (days)", "p90 wait (days)", "utilisation",
             "people served");
  for (std::size_t s = 0; s < n_st; ++s) {
    fmt::print("{:<14} {:>18} {:>18} {:>16} {:>16}\n", spec.stations[s].name,
               ci_text(confidence_interval(wait[s]), 2), ci_text(confidence_interval(p90[s]), 2),
               ci_text(confidence_interval(util[s]), 3), ci_text(confidence_interval(served[s]), 0));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"careflow — discrete-event simulation of health and social care flows"};
  app.require_subcommand(1);

  RunOptions opt;
  CLI::App* run_cmd = app.add_subcommand("run", "Run the embedded default scenario and print its summary");
  run_cmd->add_option("--replications,-r", opt.replications, "Number of independent replications")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{100000}));
  run_cmd->add_option("--seed,-s", opt.seed, "Base random seed");
  run_cmd->add_option("--years,-y", opt.years, "Simulated horizon in years (default: the scenario's)")
      ->check(CLI::PositiveNumber);
  run_cmd->add_flag("--json", opt.json, "Print the summary as JSON");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  try {
    if (run_cmd->parsed()) return run(opt);
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "careflow: bad input: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "careflow: run failed: {}\n", e.what());
    return 1;
  }
  return 0;
}
