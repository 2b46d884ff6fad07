// What several commands share: loading a scenario the way the command line names it, the
// checks made before anything is simulated or written, warnings and the tables' outputs.
#pragma once

#include <string>
#include <vector>

#include "careflow/models/care_model.hpp"
#include "careflow/models/scenario.hpp"
#include "careflow/sheets/results_tables.hpp"
#include "careflow/support/output_plan.hpp"

namespace careflow::app {

/// The scenario at `path` (YAML or a scenario workbook; empty: the embedded default) with the
/// `--set PATH=VALUE` changes `sets` made while loading, then the `--transform` specs applied
/// in order. A malformed --set throws BadInput.
models::Scenario load(const std::string& path, const std::vector<std::string>& transforms = {},
                      const std::vector<std::string>& sets = {});

/// Adds a results workbook (--xlsx, which must end in .xlsx) and a CSV folder (--csv) to the
/// command's paths, where given.
void add_table_outputs(support::OutputPlan& plan, const std::string& xlsx, const std::string& csv_dir);
/// Checks a command's inputs and outputs together (support::OutputPlan) before it does any
/// work: BadInput saying which path, and why, otherwise.
void check_paths(const support::OutputPlan& plan);
/// check_paths with the files the scenario's `extend:` read added as inputs, once it is loaded.
void check_paths(support::OutputPlan plan, const models::Scenario& loaded);
/// Refuses (BadInput), before simulating, a run that would not fit in this machine's memory.
void check_memory(const models::Scenario& s, const models::CareRunOptions& opt, bool all_episodes);

/// Each warning on stderr as "careflow: warning: FILE:LINE: FIELD: MESSAGE".
void print_warnings(const std::vector<models::Warning>& warnings);
/// One warning on stderr for each unstable queue of a run (models::check_queue_stability).
/// `scenario`, when given, names the run (compare: several runs).
void warn_unstable_queues(const models::RunResult& r, const std::string& scenario = "");
/// The tables as a workbook and/or CSV files, saying so unless `quiet`.
void write_tables(const std::vector<sheets::Table>& tables, const std::string& xlsx, const std::string& csv_dir, bool quiet);

}  // namespace careflow::app
