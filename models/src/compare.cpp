#include "careflow/models/compare.hpp"

#include "careflow/models/metrics.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>
#include <tuple>

namespace careflow::models {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using Key = std::tuple<std::string, std::string, std::string>;
Key key_of(const MetricId& id) { return {id.family, id.name, id.subject}; }

const Metric* find(const RunResult& r, const std::string& family, const std::string& name, const std::string& subject = "") {
  for (const Metric& m : r.summary)
    if (m.id.family == family && m.id.name == name && m.id.subject == subject) return &m;
  return nullptr;
}

// Two-sample (Welch) interval for the difference of means: what independent seeds give.
ConfidenceInterval unpaired(const std::vector<double>& a, const std::vector<double>& b, double level) {
  Tally ta, tb;
  for (double x : a)
    if (!std::isnan(x)) ta.add(x);
  for (double x : b)
    if (!std::isnan(x)) tb.add(x);
  ConfidenceInterval ci;
  ci.level = level;
  ci.n = std::min(ta.count(), tb.count());
  if (ta.count() == 0 || tb.count() == 0) return ci;
  ci.mean = tb.mean() - ta.mean();
  if (ta.count() < 2 || tb.count() < 2) return ci;
  const double va = ta.variance() / static_cast<double>(ta.count()), vb = tb.variance() / static_cast<double>(tb.count());
  const double se2 = va + vb;
  if (!(se2 > 0)) {
    ci.half_width = 0;
    return ci;
  }
  const double df = se2 * se2 / (va * va / static_cast<double>(ta.count() - 1) + vb * vb / static_cast<double>(tb.count() - 1));
  ci.half_width = student_t_quantile(0.5 + level / 2, df) * std::sqrt(se2);
  return ci;
}

}  // namespace

ScenarioComparison compare_runs(const std::string& name, const RunResult& base, const RunResult& other, bool paired,
                                double level) {
  if (base.replications.size() != other.replications.size())
    throw std::invalid_argument("compare: scenarios ran different numbers of replications");
  ScenarioComparison out;
  out.name = name;
  std::map<Key, const Metric*> theirs;
  for (const Metric& m : other.summary) theirs[key_of(m.id)] = &m;
  std::map<Key, bool> seen;
  for (const Metric& m : base.summary) {
    MetricDifference d;
    d.id = m.id;
    d.base = m.ci;
    seen[key_of(m.id)] = true;
    auto it = theirs.find(key_of(m.id));
    if (it != theirs.end()) {
      d.other = it->second->ci;
      d.diff = paired ? paired_difference(m.values, it->second->values, level) : unpaired(m.values, it->second->values, level);
    }
    out.rows.push_back(std::move(d));
  }
  // Figures only the scenario has (e.g. the spending of an agency it creates).
  for (const Metric& m : other.summary) {
    if (seen.count(key_of(m.id))) continue;
    MetricDifference d;
    d.id = m.id;
    d.other = m.ci;
    out.rows.push_back(std::move(d));
  }
  // Payback: cumulative extra spending by year of the appraisal period.
  double cumulative = 0;
  bool invested = false;
  out.economics.payback_year = kNaN;
  for (std::size_t y = 1;; ++y) {
    const std::string subject = (y < 10 ? "year:0" : "year:") + std::to_string(y);
    const Metric* a = find(base, "costs", "spend_in_year", subject);
    const Metric* b = find(other, "costs", "spend_in_year", subject);
    if (!a || !b) break;
    cumulative += b->ci.mean - a->ci.mean;
    out.economics.cumulative_difference.push_back(cumulative);
    if (cumulative > 0) invested = true;
    if (std::isnan(out.economics.payback_year)) {
      if (!invested && cumulative <= 0) out.economics.payback_year = 0;
      else if (invested && cumulative <= 0) out.economics.payback_year = static_cast<double>(y);
    }
    if (invested && cumulative > 0) out.economics.payback_year = kNaN;  // paid back, then not: not yet
  }
  const Metric* sa = find(base, "costs", "spend_per_year");
  const Metric* sb = find(other, "costs", "spend_per_year");
  const Metric* ua = find(base, "step_changes", "step_ups_per_year");
  const Metric* ub = find(other, "step_changes", "step_ups_per_year");
  out.economics.cost_per_step_up_avoided = kNaN;
  if (sa && sb && ua && ub) {
    const double avoided = ua->ci.mean - ub->ci.mean;
    if (avoided > 0) out.economics.cost_per_step_up_avoided = (sb->ci.mean - sa->ci.mean) / avoided;
  }
  return out;
}

Comparison compare(const std::vector<Scenario>& scenarios, const CompareOptions& opt) {
  if (scenarios.size() < 2) throw std::invalid_argument("compare: give at least two scenarios");
  Comparison c;
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    CareRunOptions run = opt.run;
    Scenario s = apply_options(scenarios[i], run);
    if (i == 0) {
      // Every scenario runs as many replications, from the same seed, as the first.
      run.replications = s.replications;
      run.seed = s.seed;
    } else {
      run.replications = c.runs.front().replications.size();
      run.seed = scenarios.front().seed;
      if (opt.run.seed) run.seed = opt.run.seed;
      if (opt.independent) run.seed = run.seed + 1'000'003ull * i;  // other streams: no common random numbers
    }
    c.names.push_back(s.name);
    c.runs.push_back(run_scenario(s, run));
  }
  for (std::size_t i = 1; i < scenarios.size(); ++i)
    c.against_base.push_back(compare_runs(c.names[i], c.runs[0], c.runs[i], !opt.independent, opt.level));
  return c;
}

Change change_of(const ConfidenceInterval& d) {
  if (std::isnan(d.half_width) || std::isnan(d.mean)) return Change::NoClearChange;
  if (d.lower() > 0) return Change::Rose;
  if (d.upper() < 0) return Change::Fell;
  return Change::NoClearChange;
}

const char* arrow(Change c) {
  switch (c) {
    case Change::Rose: return "▲";
    case Change::Fell: return "▼";
    case Change::NoClearChange: break;
  }
  return "";
}

bool headline(const MetricId& id) {
  const SubjectKind k = subject_kind(id.subject);
  if (id.family == "indicators" || id.family == "step_changes") return k == SubjectKind::System;  // not by reason
  if (id.family == "waits") return k == SubjectKind::Tier || k == SubjectKind::System;
  if (id.family == "costs")
    return k == SubjectKind::System || k == SubjectKind::Agency || k == SubjectKind::Pool || k == SubjectKind::Tier;
  return id.family == "activity" && id.name == "assessments_per_year";
}

}  // namespace careflow::models
