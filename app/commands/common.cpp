#include "common.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "careflow/models/default_scenario.hpp"
#include "careflow/models/scenario_loader.hpp"
#include "careflow/models/transforms.hpp"
#include "careflow/sheets/scenario_workbook.hpp"
#include "careflow/support/atomic_file.hpp"
#include "commands.hpp"

namespace careflow::app {
namespace {

/// `--set PATH=VALUE` as a change of one field; bad arguments throw BadInput.
models::FieldChange field_change(const std::string& set) {
  const auto eq = set.find('=');
  if (eq == std::string::npos || eq == 0) throw BadInput("--set expects PATH=VALUE, found '" + set + "'");
  const std::string path = set.substr(0, eq);
  return models::FieldChange{path, set.substr(eq + 1), models::SourceRef{"--set", 0, path}};
}

}  // namespace

models::Scenario load(const std::string& path, const std::vector<std::string>& transforms, const std::vector<std::string>& sets) {
  std::vector<models::FieldChange> changes;
  for (const std::string& set : sets) changes.push_back(field_change(set));
  models::Scenario s;
  if (path.empty()) {
    const models::ScenarioSource source{std::string(models::default_scenario_yaml()), models::kDefaultScenarioName,
                                        "scenarios", changes, !changes.empty()};
    s = models::parse_scenario(source);
  } else {
    s = sheets::load_any_scenario(path, changes);  // YAML or a scenario workbook (.xlsx)
  }
  for (const std::string& t : transforms) {
    const models::TransformSpec spec = models::parse_transform(t, s, "--transform '" + t + "'");
    models::apply_transform(s, spec);
    s.transforms.push_back(spec);
    s.name += " + " + spec.name;
  }
  return s;
}

void add_table_outputs(support::OutputPlan& plan, const std::string& xlsx, const std::string& csv_dir) {
  if (!xlsx.empty()) {
    if (std::filesystem::path(xlsx).extension() != ".xlsx") throw BadInput("--xlsx " + xlsx + ": give a file ending in .xlsx");
    plan.file("--xlsx", xlsx);
  }
  if (!csv_dir.empty()) plan.folder("--csv", csv_dir, ".csv");
}

void check_paths(const support::OutputPlan& plan) {
  try {
    plan.check();
  } catch (const support::OutputError& e) {
    throw BadInput(e.what());
  }
}

void check_paths(support::OutputPlan plan, const models::Scenario& loaded) {
  if (loaded.base_files.empty()) return;
  for (const std::string& base : loaded.base_files) plan.input("the scenario's base (extend)", base);
  check_paths(plan);
}

// The estimate is models::estimate_run's, per replication running at once: refused here instead
// of being killed for lack of memory after hours.
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

void print_warnings(const std::vector<models::Warning>& warnings) {
  for (const models::Warning& w : warnings) {
    // Appended piece by piece: `":" + std::to_string(...)` draws a false -Wrestrict from g++ 12 here.
    std::string where = w.where.file;
    if (w.where.line > 0) where.append(":").append(std::to_string(w.where.line));
    if (!w.where.field.empty()) where.append(": ").append(w.where.field);
    diagnose("careflow: warning: {}{}{}\n", where, where.empty() ? "" : ": ", w.message);
  }
}

void warn_unstable_queues(const models::RunResult& r, const std::string& scenario) {
  for (const models::UnstableQueue& q : models::check_queue_stability(r.summary).unstable)
    diagnose(
        "careflow: warning: {}{}{}: unstable queue: it grows through the reported period (+{:.1f} people waiting from its first "
        "third to its last, at least +{:.1f} with 99% confidence; mean queue {:.1f}): its waits depend on the horizon and "
        "the seed, not on a steady state\n",
        scenario, scenario.empty() ? "" : ": ", q.service, q.growth, q.lower, q.mean_queue);
}

void write_tables(const std::vector<sheets::Table>& tables, const std::string& xlsx, const std::string& csv_dir, bool quiet) {
  if (!xlsx.empty()) {
    sheets::write_tables_xlsx(tables, xlsx);
    if (!quiet) fmt::print("Results workbook written to {} ({} sheets)\n", xlsx, tables.size());
  }
  if (!csv_dir.empty()) {
    sheets::write_tables_csv(tables, csv_dir);
    if (!quiet) fmt::print("CSV tables written to {}/ ({} files)\n", csv_dir, tables.size());
  }
}

}  // namespace careflow::app
