// A scenario's merged located tree, between reading text (or a workbook) and building a Scenario,
// and the path language that changes it.
#pragma once

#include <string>
#include <vector>

#include "careflow/models/scenario_loader.hpp"
#include "scenario/located_yaml.hpp"

namespace careflow::models {

/// A scenario file's text → its merged tree: each file checked (a map, the format version, no
/// runaway quote) and `extend:` followed (paths relative to `base_dir`). Every base file read is
/// appended to `bases`, where given.
located::Node load_scenario_tree(const std::string& text, const std::string& file_name, const std::string& base_dir,
                                 std::vector<std::string>* bases = nullptr);

/// Checks that a tree read from a file or workbook is a scenario: a map with the format version
/// and no quoted text that swallowed the sections after it.
void check_scenario_tree(const located::Node& root);

/// A merged tree → Scenario: `changes` applied (apply_change), the name suffixed with them when
/// asked, every field read, the tree re-emitted as source_text, validate_scenario passed.
Scenario scenario_from_tree(located::Node root, const std::string& file_name, const std::vector<FieldChange>& changes = {},
                            bool name_after_changes = false);

/// Sets `change.value` at `change.path` in a scenario's merged tree. Refuses (ScenarioError naming
/// change.where) a path that names no field of the format, no item of the scenario, a whole item,
/// a list of named items or a section, or a field of the file rather than the scenario (careflow,
/// extend); below a value the table does not detail (a distribution, a map of shares, a
/// transform's parameters) the path must name what the scenario holds there.
void apply_change(located::Node& root, const FieldChange& change);

/// Every change in order; with `name_after_changes` (and no change of `name`), the scenario's name
/// is then suffixed with them: "Default council [services[early_help].capacity=1200]".
void apply_changes(located::Node& root, const std::vector<FieldChange>& changes, bool name_after_changes);

/// apply_change's checks of the path alone (the tree is not changed).
void check_change_path(const located::Node& root, const std::string& path, const SourceRef& where);

}  // namespace careflow::models
