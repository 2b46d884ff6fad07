// Distributions: the {kind, parameters, factory} table and the one reader that walks it.
#include "scenario/distribution_reader.hpp"

#include <algorithm>
#include <stdexcept>

#include "careflow/models/vocabulary.hpp"

namespace careflow::models {
namespace {

using located::Node;
using Shorthand = DistributionForm::Shorthand;

constexpr double kDaysPerWeek = 7.0;
constexpr double kDaysPerMonth = kDaysPerYear / 12.0;  // 30.4375

double least(const std::vector<double>& v) { return v.empty() ? 0 : *std::min_element(v.begin(), v.end()); }
double zero(const DistributionArgs&) { return 0; }
double first_number(const DistributionArgs& a) { return a.number[0]; }
double first_list(const DistributionArgs& a) { return least(a.list[0]); }

std::string one_weight_per_value(const DistributionArgs& a) {
  if (a.list[0].size() == a.list[1].size()) return "";
  return "expected one weight per value (" + std::to_string(a.list[0].size()) + "), found " + std::to_string(a.list[1].size());
}

constexpr std::array<DistributionForm, 10> kForms{{
    {"deterministic", {{{"value", ""}}}, Shorthand::Number, "a number or {value, unit}",
     [](const DistributionArgs& a) { return Distribution::deterministic(a.number[0]); }, first_number, "", nullptr},
    {"exponential", {{{"mean", ""}}}, Shorthand::None, "{mean, unit}",
     [](const DistributionArgs& a) { return Distribution::exponential(a.number[0]); }, zero, "", nullptr},
    {"uniform", {{{"min", ""}, {"max", ""}}}, Shorthand::None, "{min, max, unit}",
     [](const DistributionArgs& a) { return Distribution::uniform(a.number[0], a.number[1]); }, first_number, "", nullptr},
    // A normal duration is only acceptable when negative draws are negligible.
    {"normal", {{{"mean", ""}, {"sd", ""}}}, Shorthand::None, "{mean, sd, unit}",
     [](const DistributionArgs& a) { return Distribution::normal(a.number[0], a.number[1]); },
     [](const DistributionArgs& a) { return a.number[0] - 3 * a.number[1]; },
     "this normal distribution gives negative values too often (mean < 3 sd); use lognormal or gamma", nullptr},
    {"lognormal", {{{"mean", ""}, {"sd", ""}}}, Shorthand::None, "{mean, sd, unit}",
     [](const DistributionArgs& a) { return Distribution::lognormal(a.number[0], a.number[1]); }, zero, "", nullptr},
    {"gamma", {{{"shape", ""}, {"scale", ""}}}, Shorthand::None, "{shape, scale, unit}",
     [](const DistributionArgs& a) { return Distribution::gamma(a.number[0], a.number[1]); }, zero, "", nullptr},
    {"weibull", {{{"shape", ""}, {"scale", ""}}}, Shorthand::None, "{shape, scale, unit}",
     [](const DistributionArgs& a) { return Distribution::weibull(a.number[0], a.number[1]); }, zero, "", nullptr},
    {"triangular", {{{"min", ""}, {"mode", ""}, {"max", ""}}}, Shorthand::None, "{min, mode, max, unit}",
     [](const DistributionArgs& a) { return Distribution::triangular(a.number[0], a.number[1], a.number[2]); },
     first_number, "", nullptr},
    {"discrete", {{{"values", "values"}, {"weights", "weights"}}}, Shorthand::None, "{values: [...], weights: [...]}",
     [](const DistributionArgs& a) { return Distribution::discrete(a.list[0], a.list[1]); }, first_list, "",
     one_weight_per_value},
    {"empirical", {{{"values", "observations"}}}, Shorthand::List, "a list of observations or {values, unit}",
     [](const DistributionArgs& a) { return Distribution::empirical(a.list[0]); }, first_list, "", nullptr},
}};

double unit_factor(const Node& n, const std::string& field) {
  return located::choice<double>(n, field,
                                 {{"days", 1.0}, {"day", 1.0}, {"weeks", kDaysPerWeek}, {"week", kDaysPerWeek},
                                  {"months", kDaysPerMonth}, {"month", kDaysPerMonth}, {"years", kDaysPerYear},
                                  {"year", kDaysPerYear}});
}

/// Reads the parameters of `form` from `p` (its value in the file) into `args`; returns the unit's
/// factor to days.
double read_parameters(const DistributionForm& form, const Node& p, const std::string& pf, DistributionArgs& args) {
  const DistributionParam& first = form.params[0];
  if (form.shorthand == Shorthand::Number && p.type == Node::Type::Scalar) {
    args.number[0] = located::number(p, pf);
    return 1;
  }
  if (form.shorthand == Shorthand::List && p.type == Node::Type::Sequence) {
    args.list[0] = located::numbers(p, pf, std::string(first.list_of));
    return 1;
  }
  std::vector<std::string> allowed;
  for (const DistributionParam& q : form.params)
    if (!q.name.empty()) allowed.emplace_back(q.name);
  allowed.emplace_back("unit");
  const located::Fields f(p, pf, allowed, std::string(form.expected));
  double factor = 1;
  if (const Node* u = f.get("unit")) factor = unit_factor(*u, f.field("unit"));
  std::size_t last = 0;
  for (std::size_t i = 0; i < form.params.size() && !form.params[i].name.empty(); ++i) {
    const DistributionParam& q = form.params[i];
    const Node& v = f.need(q.name);
    if (q.list_of.empty()) args.number[i] = located::number(v, f.field(q.name));
    else args.list[i] = located::numbers(v, f.field(q.name), std::string(q.list_of));
    last = i;
  }
  if (form.check)
    if (const std::string why = form.check(args); !why.empty())
      located::fail(f.need(form.params[last].name), f.field(form.params[last].name), why);
  return factor;
}

}  // namespace

std::span<const DistributionForm> distribution_forms() { return kForms; }

const DistributionForm* distribution_form(std::string_view kind) {
  for (const DistributionForm& f : kForms)
    if (f.kind == kind) return &f;
  return nullptr;
}

bool is_distribution(const Node& n) {
  return n.type == Node::Type::Map && n.entries.size() == 1 && distribution_form(n.entries[0].key) != nullptr;
}

Distribution read_distribution(const Node& n, const std::string& field, DurationRule rule) {
  const DistributionForm* form = distribution_form("deterministic");
  DistributionArgs args;
  Distribution d;
  if (n.type == Node::Type::Scalar) {
    args.number[0] = located::number(n, field);
    d = form->make(args);
  } else {
    if (n.type != Node::Type::Map || n.entries.size() != 1)
      located::fail(n, field,
                    "expected a distribution: a number of days, or one key naming its kind such as "
                    "{exponential: {mean: 3}}; found " +
                        located::found(n));
    const located::Entry& e = n.entries.front();
    form = distribution_form(e.key);
    if (!form) {
      std::vector<std::string> kinds;
      for (const DistributionForm& f : kForms) kinds.emplace_back(f.kind);
      located::fail(e.value.file, e.key_line, located::join(field, e.key),
                    "unknown distribution '" + e.key + "'" + located::suggestion(e.key, kinds),
                    ScenarioProblem::UnknownField);
    }
    try {
      const double factor = read_parameters(*form, e.value, located::join(field, e.key), args);
      d = form->make(args);
      if (factor != 1) d = d.scaled(factor);
    } catch (const std::invalid_argument& ex) {
      located::fail(n, field, std::string("invalid distribution: ") + ex.what() + "; found " + located::found(n));
    }
  }
  if (form->lowest(args) < 0) {
    if (!form->negative_hint.empty())
      located::fail(n, field,
                    "a duration cannot be negative, and " + std::string(form->negative_hint) + "; found " + located::found(n));
    located::fail(n, field, "a duration cannot be negative; found " + located::found(n));
  }
  if (rule == DurationRule::PositiveMean && !(d.mean() > 0))
    located::fail(n, field, "expected a duration with a mean above 0 days; found " + located::found(n));
  return d;
}

}  // namespace careflow::models
