// Scenario ↔ workbook (.xlsx) for planners who work in spreadsheets. The workbook holds every
// field of the scenario format (docs/scenario-format.md), one sheet per section and a row per
// item; reading it builds the same located tree the scenario file gives, so the loader's checks
// apply unchanged and a round trip YAML → xlsx → scenario equals YAML → scenario. Layout:
// docs/spreadsheets.md.
#pragma once

#include <string>
#include <vector>

#include "careflow/models/scenario.hpp"
#include "careflow/models/scenario_loader.hpp"

namespace careflow::sheets {

/// Writes the scenario (its merged YAML, `source_text`, with transforms as written) as a
/// workbook: sheets about, options, agencies, pools, cohorts, services, pathways,
/// discharge_checks, transforms and lists (the validation lists). Units in row 2 and in
/// notes, drop-down lists for choices and names. Written atomically. Throws
/// std::runtime_error if a field has no place in the workbook or the file cannot be written.
void write_scenario_workbook(const models::Scenario& s, const std::string& path);

/// The scenario's YAML rebuilt from a workbook (what load_scenario_workbook reads). Throws
/// models::ScenarioError naming the sheet, row and column.
std::string workbook_yaml(const std::string& path);

/// Reads a workbook written by write_scenario_workbook (and edited), with `changes` applied by
/// path (as `careflow run --set`; the name is then suffixed with them). Every problem throws
/// models::ScenarioError whose field names the sheet, row and column:
/// `FILE: sheet 'services', row 7, column 'capacity': expected a number, found 'ten'`.
models::Scenario load_scenario_workbook(const std::string& path, const std::vector<models::FieldChange>& changes = {});

/// A scenario file of either kind: .xlsx (or a zip) through the workbook, else YAML; `changes`
/// as for load_scenario_workbook.
models::Scenario load_any_scenario(const std::string& path, const std::vector<models::FieldChange>& changes = {});

}  // namespace careflow::sheets
