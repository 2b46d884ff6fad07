// Transforms as written in a scenario's `transforms:` list or on the command line: parameters
// typed by the transform's schema (transforms.hpp), names resolved against the scenario.
#include <algorithm>

#include "careflow/models/transforms.hpp"
#include "scenario/builder.hpp"

namespace careflow::models {
namespace {

using namespace located;

int index_by_name(const std::vector<std::string>& names, const Node& n, const std::string& field, const std::string& kind) {
  const std::string name = name_text(n, field);
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<int>(i);
  fail(n, field, "unknown " + kind + " '" + name + "'" + suggestion(name, names), ScenarioProblem::UnknownName);
}

}  // namespace

TransformSpec read_transform(const Node& item, std::string path, const Scenario& s) {
  if (item.type != Node::Type::Map) fail(item, path, "expected a transform {name: ..., parameters}, found " + found(item));
  const Node* name_node = item.get("name");
  if (!name_node) fail(item, path + ".name", "missing required field 'name'", ScenarioProblem::MissingField);
  TransformSpec t;
  t.name = name_text(*name_node, path + ".name");
  const TransformSchema* schema = find_transform(t.name);
  if (!schema) {
    std::vector<std::string> known;
    for (const TransformSchema& k : transform_schemas()) known.push_back(k.name);
    fail(*name_node, path + ".name", "unknown transform '" + t.name + "'" + suggestion(t.name, known),
         ScenarioProblem::UnknownName);
  }
  path = at_name("transforms", t.name);
  t.source = SourceRef{item.file, item.line, path};
  std::vector<std::string> allowed{"name"};
  for (const ParamSchema& p : schema->params) allowed.push_back(p.key);
  std::vector<std::string> service_names, cohort_names;
  for (const ServiceSpec& v : s.services) service_names.push_back(v.name);
  for (const CohortSpec& c : s.cohorts) cohort_names.push_back(c.name);
  for (const Entry& e : item.entries)
    if (std::find(allowed.begin(), allowed.end(), e.key) == allowed.end())
      fail(e.value.file, e.key_line, join(path, e.key),
           "unknown parameter '" + e.key + "' of " + t.name + suggestion(e.key, allowed), ScenarioProblem::UnknownField);
  for (const ParamSchema& p : schema->params) {
    const Node* v = item.get(p.key);
    const std::string field = join(path, p.key);
    if (!v) {
      if (p.required)
        fail(item, field, "missing required parameter '" + p.key + "' (" + p.doc + ")", ScenarioProblem::MissingField);
      continue;
    }
    switch (p.type) {
      case ParamType::Number: t.numbers[p.key] = number(*v, field); break;
      case ParamType::NonNegative: t.numbers[p.key] = non_negative(*v, field); break;
      case ParamType::Probability: t.numbers[p.key] = probability(*v, field); break;
      case ParamType::Boolean: t.numbers[p.key] = boolean(*v, field) ? 1.0 : 0.0; break;
      case ParamType::NeedLevel: t.numbers[p.key] = index_by_name(s.need_levels, *v, field, "need level"); break;
      case ParamType::Services:
      case ParamType::Cohorts: {
        const bool services = p.type == ParamType::Services;
        const auto& names = services ? service_names : cohort_names;
        std::vector<int> out;
        if (v->type == Node::Type::Sequence) {
          for (std::size_t i = 0; i < v->items.size(); ++i)
            out.push_back(index_by_name(names, v->items[i], at_index(field, i), services ? "service" : "cohort"));
        } else {
          out.push_back(index_by_name(names, *v, field, services ? "service" : "cohort"));
        }
        t.lists[p.key] = std::move(out);
        break;
      }
    }
  }
  return t;
}

}  // namespace careflow::models
