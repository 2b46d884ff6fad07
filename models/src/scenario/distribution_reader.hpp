// Distributions as written in scenario files: a plain number of days, or a map with one key naming
// the kind ({lognormal: {mean: 90, sd: 60}}). One table row per kind says its parameters, how it is
// built and the least value it can take; docs/scenario-format.md "Distributions" lists the same.
#pragma once

#include <array>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "careflow/engine/distribution.hpp"
#include "scenario/located_yaml.hpp"

namespace careflow::models {

/// The parameters of one distribution as read, by position in its row's `params`.
struct DistributionArgs {
  std::array<double, 3> number{};
  std::array<std::vector<double>, 3> list;
};

struct DistributionParam {
  std::string_view name;     // "" past the last parameter
  std::string_view list_of;  // a list of numbers ("observations"); "" for one number
};

/// One kind of distribution.
struct DistributionForm {
  enum class Shorthand { None, Number, List };  // {deterministic: 3}, {empirical: [3, 5, 8]}
  std::string_view kind;
  std::array<DistributionParam, 3> params;  // read in this order, after `unit`
  Shorthand shorthand;
  std::string_view expected;  // the parameter map, for messages ("{mean, sd, unit}")
  Distribution (*make)(const DistributionArgs&);
  double (*lowest)(const DistributionArgs&);  // the least value it can take (before unit scaling)
  std::string_view negative_hint;             // why it takes negative values, when it does ("")
  std::string (*check)(const DistributionArgs&);  // what is wrong with the parameters, or ""; blamed on the last
};

/// Every kind, in the order of the docs.
std::span<const DistributionForm> distribution_forms();
/// The row of `kind`, or nullptr.
const DistributionForm* distribution_form(std::string_view kind);
/// True for a map with one key naming a kind: a distribution, replaced whole under `extend`.
bool is_distribution(const located::Node& n);

enum class DurationRule {
  NonNegative,   // values >= 0 (hand-offs, discharge checks)
  PositiveMean,  // values >= 0 and mean > 0 (lengths of service)
};

/// A duration in days; `unit:` converts weeks, months and years. Errors name `field`.
Distribution read_distribution(const located::Node& n, const std::string& field, DurationRule rule);

}  // namespace careflow::models
