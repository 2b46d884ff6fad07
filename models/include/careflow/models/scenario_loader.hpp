// Scenario files (YAML, format version 1) → Scenario. The format is documented field by
// field in docs/scenario-format.md. yaml-cpp stays behind this header (public headers of
// models/ do not include it).
#pragma once

#include <string>

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

/// A transform written on the command line: "NAME key=value key=a,b ...", names resolved
/// against the scenario it will apply to. Errors name `origin` (e.g. "--transform").
TransformSpec parse_transform(const std::string& words, const Scenario& s, const std::string& origin);

}  // namespace careflow::models
