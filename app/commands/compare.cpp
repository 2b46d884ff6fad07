// `careflow compare`: scenarios against the first (the base), with paired intervals (common
// random numbers) unless --independent; the differences as tables or --json.
#include <fmt/core.h>

#include <cmath>
#include <string>
#include <vector>

#include "careflow/sheets/results_tables.hpp"
#include "careflow/support/json.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "format.hpp"

namespace careflow::app {
namespace {

namespace json = support::json;

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

// `--json`: each scenario's economics and rows, a row on a line of its own.
void print_comparison_json(const models::Comparison& c) {
  json::Writer w(json::kReadable);
  w.begin_object().key("base").value(c.names.front()).key("comparisons").begin_array();
  for (const models::ScenarioComparison& sc : c.against_base) {
    w.line_break(1).begin_object().key("scenario").value(sc.name).key("payback_year").value(sc.economics.payback_year);
    w.key("cost_per_step_up_avoided").value(sc.economics.cost_per_step_up_avoided).key("rows").begin_array();
    for (const models::MetricDifference& d : sc.rows) {
      w.line_break(2).begin_object().key("family").value(d.id.family).key("name").value(d.id.name);
      w.key("subject").value(d.id.subject).key("unit").value(d.id.unit).key("base").value(d.base.mean);
      w.key("scenario").value(d.other.mean).key("difference").value(d.diff.mean).key("half_width").value(d.diff.half_width);
      w.end_object();
    }
    w.end_array().end_object();
  }
  w.line_break(0).end_array().end_object();
  fmt::print("{}\n", w.text());
}

}  // namespace

int compare(const CompareArgs& a) {
  support::OutputPlan paths;
  for (const std::string& path : a.scenarios)
    if (path != "default") paths.input("the scenario", path);
  add_table_outputs(paths, a.xlsx, a.csv_dir);
  check_paths(paths);
  std::vector<models::Scenario> scenarios;
  for (const std::string& path : a.scenarios) {
    scenarios.push_back(load(path == "default" ? "" : path));
    check_paths(paths, scenarios.back());
    const models::Scenario sized = models::apply_options(scenarios.back(), a.options.run);
    print_warnings(models::validate_scenario(sized));
    check_memory(sized, a.options.run, false);
  }
  const models::Comparison c = models::compare(scenarios, a.options);
  for (std::size_t k = 0; k < c.runs.size(); ++k) warn_unstable_queues(c.runs[k], c.names[k]);
  if (a.json) print_comparison_json(c);
  else print_comparison(c, a.options, a.all);
  write_tables(sheets::comparison_tables(c), a.xlsx, a.csv_dir, a.json);
  return 0;
}

}  // namespace careflow::app
