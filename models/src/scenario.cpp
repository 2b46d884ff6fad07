// The scenario's own pieces: its error type and the checks every reader shares.
#include "careflow/models/scenario.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "scenario/located_yaml.hpp"

namespace careflow::models {
namespace {

std::string format_what(const SourceRef& where, const std::string& message) {
  std::string out;
  if (!where.file.empty()) out += where.file;
  if (where.line > 0) out += (out.empty() ? "line " : ":") + std::to_string(where.line);
  if (!out.empty()) out += ": ";
  if (!where.field.empty()) out += where.field + ": ";
  return out + message;
}

}  // namespace

ScenarioError::ScenarioError(SourceRef where, const std::string& message, ScenarioProblem problem)
    : std::runtime_error(format_what(where, message)), where_(std::move(where)), message_(message), problem_(problem) {}

std::string horizon_problem(double years) {
  if (!(years > 0)) return "expected a horizon above 0 years, found " + located::format_number(years);
  if (years > kMaxHorizonYears)
    return "a horizon of " + located::format_number(years) + " years is implausible; expected at most " +
           located::format_number(kMaxHorizonYears) + " years";
  return "";
}

int Scenario::service_index(const std::string& service_name) const {
  for (std::size_t i = 0; i < services.size(); ++i)
    if (services[i].name == service_name) return static_cast<int>(i);
  return kExit;
}

std::vector<std::uint32_t> split_places(std::uint32_t total, const std::vector<double>& weights) {
  const double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
  std::vector<std::uint32_t> out(weights.size(), 0);
  if (weights.empty() || !(sum > 0)) return out;
  std::vector<std::pair<double, std::size_t>> rest;
  std::uint64_t given = 0;
  for (std::size_t k = 0; k < weights.size(); ++k) {
    const double exact = static_cast<double>(total) * weights[k] / sum;
    out[k] = static_cast<std::uint32_t>(std::floor(exact));
    given += out[k];
    rest.emplace_back(exact - out[k], k);
  }
  std::stable_sort(rest.begin(), rest.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t j = 0; given < total && j < rest.size(); ++j, ++given) ++out[rest[j].second];
  return out;
}

}  // namespace careflow::models
