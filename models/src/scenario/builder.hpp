// Reading a scenario's merged tree (scenario/located_yaml.hpp) into a Scenario.
#pragma once

#include <string>

#include "careflow/models/scenario.hpp"
#include "scenario/located_yaml.hpp"

namespace careflow::models {

/// The merged tree of a scenario file → Scenario: every field read and checked, names resolved,
/// transforms applied. Throws ScenarioError naming file, line and field.
Scenario build_scenario(const located::Node& root);

/// One item of `transforms:` (or a --transform), its parameters typed by the transform's schema
/// (transforms.hpp) and its names resolved against `s`.
TransformSpec read_transform(const located::Node& item, std::string path, const Scenario& s);

}  // namespace careflow::models
