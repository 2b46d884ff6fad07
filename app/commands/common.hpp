// What several commands share: loading a scenario the way the command line names it, the
// checks made before anything is simulated or written, warnings and the tables' outputs.
#pragma once

#include <string>
#include <vector>

#include "careflow/models/care_model.hpp"
#include "careflow/models/scenario.hpp"
#include "careflow/sheets/results_tables.hpp"

namespace careflow::app {

/// The scenario at `path` (YAML or a scenario workbook; empty: the embedded default) with the
/// `--set PATH=VALUE` changes `sets` made while loading, then the `--transform` specs applied
/// in order. A malformed --set throws BadInput.
models::Scenario load(const std::string& path, const std::vector<std::string>& transforms = {},
                      const std::vector<std::string>& sets = {});

/// Throws BadInput when `path` could not be written (support::check_output_path's reasons).
void check_output(const std::string& path);
/// Fails before simulating when a results workbook or CSV folder could not be written.
void check_table_outputs(const std::string& xlsx, const std::string& csv_dir);
/// Refuses (BadInput), before simulating, a run that would not fit in this machine's memory.
void check_memory(const models::Scenario& s, const models::CareRunOptions& opt, bool all_episodes);

/// Each warning on stderr as "careflow: warning: FILE:LINE: FIELD: MESSAGE".
void print_warnings(const std::vector<models::Warning>& warnings);
/// The tables as a workbook and/or CSV files, saying so unless `quiet`.
void write_tables(const std::vector<sheets::Table>& tables, const std::string& xlsx, const std::string& csv_dir, bool quiet);

}  // namespace careflow::app
