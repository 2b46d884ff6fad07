// Scenario files (YAML, format version 1) → Scenario. The format is documented field by
// field in docs/scenario-format.md. yaml-cpp stays behind this header (public headers of
// models/ do not include it).
#pragma once

#include <string>
#include <vector>

#include "careflow/models/scenario.hpp"

namespace careflow::models {

/// The format version this build reads (`careflow: 1`).
inline constexpr int kScenarioFormatVersion = 1;

/// Reads and checks a scenario file, following `extend:` to its bases (paths relative to the
/// extending file). Every problem throws ScenarioError naming the file, line and field. The
/// returned scenario has passed validate_scenario(); call that again for its warnings.
/// source_text holds the merged YAML re-emitted, source_file the path as given.
Scenario load_scenario(const std::string& path);

/// As load_scenario, from text already in memory. `file_name` names the text in messages;
/// `extend:` paths are resolved against `base_dir`.
Scenario parse_scenario(const std::string& yaml_text, const std::string& file_name,
                        const std::string& base_dir = ".");

/// A change of one field by its path, as `careflow run --set`, `careflow sweep --set`, sweep files
/// and Python's with_changes write it: `services[early_help].capacity` = `1500`. The path names a
/// field of the format (scenario_fields.hpp); `key[name]` picks the item called `name` of a list
/// of named items (`key[2]` the third of a list without names). A path that names no field, no
/// existing item, a whole item or a section is refused, with the nearest valid name suggested
/// (docs/scenario-format.md, "Changing a scenario by path").
struct FieldChange {
  std::string path;
  std::string value;  // as YAML: a number, a word, [a, b] or {key: value}
  SourceRef where;    // where the change was written ("--set", a sweep file's line): errors name it
  bool text = false;  // the value is text as it is (a name), not YAML
};

/// A scenario as text to read, with changes to apply to it after `extend:` merging.
struct ScenarioSource {
  std::string text;
  std::string file_name;       // names the text in messages
  std::string base_dir = ".";  // `extend:` paths are resolved against it
  std::vector<FieldChange> changes;
  bool name_after_changes = false;  // suffix the name with the changes ("x [services[a].capacity=3]")
};

/// As parse_scenario, with the source's changes applied to the merged tree before it is read:
/// errors in unchanged fields still name the file and line they were written on.
Scenario parse_scenario(const ScenarioSource& source);

/// The file's text as a ScenarioSource (file_name the path, base_dir its folder); refuses a
/// missing, unreadable or over-large file, or a directory.
ScenarioSource read_scenario_source(const std::string& path);

/// "services[early_help].capacity=1500, run.seed=2": changes as a label (sweep points' names).
std::string describe_changes(const std::vector<FieldChange>& changes);

/// A transform written on the command line: "NAME key=value key=a,b ...", names resolved
/// against the scenario it will apply to. Errors name `origin` (e.g. "--transform").
TransformSpec parse_transform(const std::string& words, const Scenario& s, const std::string& origin);

}  // namespace careflow::models
