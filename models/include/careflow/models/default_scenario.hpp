// The default scenario (scenarios/default.yaml), embedded in the library at build time so
// that `careflow run` works with no file at hand.
#pragma once

namespace careflow::models {

/// The YAML text of scenarios/default.yaml as it was when careflow was built.
const char* default_scenario_yaml();

/// The name under which errors and results refer to the embedded default.
inline constexpr const char* kDefaultScenarioName = "default.yaml (embedded)";

}  // namespace careflow::models
