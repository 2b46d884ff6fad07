// Results as tables for spreadsheets: one table per family of figures (waits, step changes,
// costs, indicators, activity, invariants), the differences and economics of a comparison, the
// points of a sweep. Written as one workbook (a sheet per table) and/or one CSV file per table.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "careflow/models/compare.hpp"
#include "careflow/models/results.hpp"
#include "careflow/models/scenario.hpp"
#include "careflow/models/sweep.hpp"

namespace careflow::sheets {

using TableCell = std::variant<std::string, double>;  // NaN is written as an empty cell

struct Table {
  std::string name;  // sheet and CSV file name
  std::vector<std::string> header;
  std::vector<std::vector<TableCell>> rows;
};

/// "run" (scenario, seed, replications, horizon, ...) and a table per figure family.
std::vector<Table> run_tables(const models::Scenario& s, const models::RunResult& r);
/// "differences" (every scenario against the base, with 95% intervals and ▲/▼) and "economics",
/// then a table per figure family with each scenario's means.
std::vector<Table> comparison_tables(const models::Comparison& c);
/// "points": a row per sweep point and figure.
std::vector<Table> sweep_tables(const models::SweepResult& r);

/// One sheet per table, header row bold and frozen. Written atomically.
void write_tables_xlsx(const std::vector<Table>& tables, const std::string& path);
/// DIR/NAME.csv per table (RFC 4180, UTF-8, numbers at full precision). The folder is written
/// as a whole (support::AtomicFolder): created if missing, else replaced once every table is
/// written; its parent must exist, and an existing folder may hold only .csv files.
void write_tables_csv(const std::vector<Table>& tables, const std::string& dir);

}  // namespace careflow::sheets
