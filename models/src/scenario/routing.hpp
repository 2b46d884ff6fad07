// How people are routed, as the checks and the traffic equations both read it: whether a route
// rule's condition matches a cohort at a need level, and where integrated assessment redirects.
#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

#include "careflow/models/scenario.hpp"

namespace careflow::models {

inline bool valid_index(int i, std::size_t n) { return i >= 0 && static_cast<std::size_t>(i) < n; }

/// True when the rule applies to (some of) the cohort's people at this need level. Age is
/// approximated by the cohort's age range: a rule whose ages overlap it is taken to match.
inline bool may_match(const Condition& c, int cohort, const CohortSpec& spec, int level) {
  if (!c.need_levels.empty() && std::find(c.need_levels.begin(), c.need_levels.end(), level) == c.need_levels.end())
    return false;
  if (!c.cohorts.empty() && std::find(c.cohorts.begin(), c.cohorts.end(), cohort) == c.cohorts.end()) return false;
  return c.min_age < spec.max_age && spec.min_age < c.max_age;
}

/// True when the rule applies to every person of the cohort at this need level.
inline bool surely_matches(const Condition& c, int cohort, const CohortSpec& spec, int level) {
  return may_match(c, cohort, spec, level) && c.min_age <= spec.min_age && c.max_age >= spec.max_age;
}

/// With integrated assessment on, a referral to a service integrated into another goes there.
inline int redirect(const Scenario& s, int service) {
  if (!s.integrated_assessment) return service;
  for (std::size_t step = 0; step < s.services.size() && valid_index(service, s.services.size()); ++step) {
    const int next = s.services[static_cast<std::size_t>(service)].integrated_into;
    if (!valid_index(next, s.services.size())) break;
    service = next;
  }
  return service;
}

/// One cohort's routing as the traffic equations solve it: over (service, need level) states,
/// state = service * levels + level; arrivals a day at each state, and each state's routes
/// (target state, probability) with the fall of need while served taken into account; states no one
/// reaches (from the entry, or from where closed cases come back) have no rows.
struct CohortRouting {
  using Row = std::vector<std::pair<std::size_t, double>>;
  std::size_t levels = 1;
  std::vector<Row> rows;
  std::vector<double> arrivals;
};
CohortRouting cohort_routing(const Scenario& s, std::size_t cohort);

}  // namespace careflow::models
