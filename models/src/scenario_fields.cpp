// Questions asked of the field table (scenario_fields.hpp): a row by its pattern, the keys of a
// map, where a misplaced key belongs, a type in the docs' words.
#include "careflow/models/scenario_fields.hpp"

namespace careflow::models {
namespace {

bool is_key(std::string_view s) { return !s.empty() && s.find_first_of(".[") == std::string_view::npos; }

template <class E>
std::string choices() {
  std::string out;
  for (const auto& t : terms<E>()) {
    if (!out.empty()) out += " \\| ";
    out.append("`").append(t.name).append("`");
  }
  return out;
}

}  // namespace

const ScenarioField* find_scenario_field(std::string_view pattern) {
  for (const ScenarioField& f : kScenarioFields)
    if (f.path == pattern) return &f;
  return nullptr;
}

std::vector<std::string> scenario_field_keys(std::string_view pattern) {
  std::vector<std::string> keys;
  for (const ScenarioField& f : kScenarioFields)
    if (parent_pattern(f.path) == pattern) keys.emplace_back(field_key(f.path));
  return keys;
}

std::string_view parent_pattern(std::string_view pattern) {
  if (pattern.ends_with("[]")) return pattern.substr(0, pattern.size() - 2);
  const auto dot = pattern.rfind('.');
  return dot == std::string_view::npos ? std::string_view{} : pattern.substr(0, dot);
}

std::string_view field_key(std::string_view pattern) {
  const auto dot = pattern.rfind('.');
  return dot == std::string_view::npos ? pattern : pattern.substr(dot + 1);
}

std::string_view misplaced_section(std::string_view key) {
  if (find_scenario_field(key)) return {};  // a top-level field in its own right
  for (const ScenarioField& f : kScenarioFields) {
    if (field_key(f.path) != key) continue;
    std::string_view section = parent_pattern(f.path);
    if (section.ends_with("[]")) section.remove_suffix(2);
    if (is_key(section)) return section;
  }
  return {};
}

std::string field_type_words(FieldType type) {
  switch (type) {
    case FieldType::Tier: return choices<Tier>();
    case FieldType::ServiceKind: return choices<ServiceKind>();
    case FieldType::BudgetMode: return choices<BudgetMode>();
    case FieldType::Discipline: return choices<QueueDiscipline>();
    case FieldType::UnitChoice: return choices<UnitChoice>();
    case FieldType::Boolean: return "`true` \\| `false`";
    default: break;
  }
  for (const auto& t : kFieldTypes)
    if (t.value == type) return std::string(t.meaning);
  return "?";
}

}  // namespace careflow::models
