// Named scenario transforms: the governance options and budget shifts planners compare
// (DOMAIN.md §5), registered in code and selected from scenario files or the command line.
#pragma once

#include <string>
#include <vector>

#include "careflow/models/scenario.hpp"

namespace careflow::models {

enum class ParamType {
  Number,       // any finite number
  NonNegative,  // >= 0
  Probability,  // 0 ... 1
  Boolean,      // true / false
  NeedLevel,    // a need-level name
  Services,     // a service name or a list of them
  Cohorts,      // a cohort name or a list of them
};

struct ParamSchema {
  std::string key;
  ParamType type = ParamType::Number;
  bool required = false;
  double fallback = 0;  // default of a number when not given
  std::string doc;
};

struct TransformSchema {
  std::string name;
  std::string doc;
  std::vector<ParamSchema> params;
};

/// Every transform careflow knows, with its parameters (the single source of truth for the
/// loader's checks and for docs/transforms.md).
const std::vector<TransformSchema>& transform_schemas();

/// The schema of `name`, or nullptr.
const TransformSchema* find_transform(const std::string& name);

/// Applies one transform to the scenario. Throws ScenarioError naming the transform's source
/// when its parameters do not fit the scenario.
void apply_transform(Scenario& s, const TransformSpec& t);

/// Applies s.transforms in order (the loader does this after reading a file).
void apply_transforms(Scenario& s);

}  // namespace careflow::models
