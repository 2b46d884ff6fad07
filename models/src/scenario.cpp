// The scenario's own pieces: its error type and the checks every reader shares.
#include "careflow/models/scenario.hpp"

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

}  // namespace careflow::models
