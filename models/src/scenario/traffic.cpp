// The traffic equations (λ = a + λP) that predict each service's load, and the size of one
// replication estimated from them.
#include "careflow/models/scenario.hpp"

#include <algorithm>
#include <cmath>

#include "careflow/models/results.hpp"
#include "scenario/routing.hpp"

namespace careflow::models {
namespace {

/// Solves x (I - P) = a over the services in `keep` (Gaussian elimination, partial pivoting).
std::vector<double> solve_flows(const std::vector<std::vector<double>>& P, const std::vector<double>& a,
                                const std::vector<std::size_t>& keep) {
  const std::size_t m = keep.size();
  // Row j of the system: x_j - sum_i x_i P[i][j] = a_j.
  std::vector<std::vector<double>> A(m, std::vector<double>(m + 1, 0.0));
  for (std::size_t r = 0; r < m; ++r) {
    for (std::size_t c = 0; c < m; ++c) A[r][c] = (r == c ? 1.0 : 0.0) - P[keep[c]][keep[r]];
    A[r][m] = a[keep[r]];
  }
  for (std::size_t col = 0; col < m; ++col) {
    std::size_t pivot = col;
    for (std::size_t r = col + 1; r < m; ++r)
      if (std::abs(A[r][col]) > std::abs(A[pivot][col])) pivot = r;
    std::swap(A[col], A[pivot]);
    const double d = A[col][col];
    if (std::abs(d) < 1e-300) continue;  // cannot happen when every kept service escapes
    for (std::size_t r = 0; r < m; ++r) {
      if (r == col || A[r][col] == 0) continue;
      const double f = A[r][col] / d;
      for (std::size_t c = col; c <= m; ++c) A[r][c] -= f * A[col][c];
    }
  }
  std::vector<double> x(m);
  for (std::size_t r = 0; r < m; ++r) x[r] = std::abs(A[r][r]) < 1e-300 ? kInfinity : A[r][m] / A[r][r];
  return x;
}

}  // namespace

std::vector<ServiceLoad> traffic_equations(const Scenario& s) {
  const std::size_t n = s.services.size();
  std::vector<double> lambda(n, 0.0);
  for (std::size_t ci = 0; ci < s.cohorts.size(); ++ci) {
    const CohortSpec& c = s.cohorts[ci];
    if (!valid_index(c.entry, n)) continue;
    std::vector<double> a(n, 0.0);
    a[static_cast<std::size_t>(redirect(s, c.entry))] += c.population * c.episodes_per_1000_per_year / 1000.0 / kDaysPerYear;

    // Routing of this cohort: each service's first matching rule per need level, weighted
    // by the cohort's initial need mix (need levels are not propagated along the path).
    std::vector<std::vector<double>> P(n, std::vector<double>(n, 0.0));
    const std::size_t levels = std::min(c.need_weights.size(), s.need_levels.size());
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t l = 0; l < levels; ++l) {
        const double w = c.need_weights[l];
        if (!(w > 0)) continue;
        const auto& routes = s.services[i].routes;
        const auto rule = std::find_if(routes.begin(), routes.end(), [&](const RouteRule& r) {
          return may_match(r.when, static_cast<int>(ci), c, static_cast<int>(l));
        });
        if (rule == routes.end()) continue;  // no rule holds: the person leaves
        for (const RouteTarget& t : rule->to)
          if (valid_index(t.service, n)) P[i][static_cast<std::size_t>(redirect(s, t.service))] += w * t.probability;
      }
    }

    // Services from which flow can never leave would need infinite throughput: mark them
    // and solve the (then non-singular) system for the rest.
    std::vector<char> escapes(n, 0);
    for (std::size_t i = 0; i < n; ++i) {
      double row = 0;
      for (double p : P[i]) row += p;
      escapes[i] = row < 1 - 1e-12;
    }
    for (bool changed = true; changed;) {
      changed = false;
      for (std::size_t i = 0; i < n; ++i) {
        if (escapes[i]) continue;
        for (std::size_t j = 0; j < n && !escapes[i]; ++j)
          if (P[i][j] > 0 && escapes[j]) escapes[i] = changed = true;
      }
    }
    std::vector<char> reached(n, 0);
    std::vector<std::size_t> stack;
    for (std::size_t i = 0; i < n; ++i)
      if (a[i] > 0) reached[i] = 1, stack.push_back(i);
    while (!stack.empty()) {
      const std::size_t i = stack.back();
      stack.pop_back();
      for (std::size_t j = 0; j < n; ++j)
        if (P[i][j] > 0 && !reached[j]) reached[j] = 1, stack.push_back(j);
    }
    std::vector<std::size_t> keep;
    for (std::size_t i = 0; i < n; ++i) {
      if (escapes[i]) keep.push_back(i);
      else if (reached[i]) lambda[i] = kInfinity;
    }
    const std::vector<double> x = solve_flows(P, a, keep);
    for (std::size_t k = 0; k < keep.size(); ++k) lambda[keep[k]] += x[k];
  }

  std::vector<ServiceLoad> loads(n);
  for (std::size_t i = 0; i < n; ++i) {
    const ServiceSpec& v = s.services[i];
    loads[i].arrivals_per_day = lambda[i];
    loads[i].offered_load = lambda[i] > 0 ? lambda[i] * v.duration.mean() : 0.0;
    loads[i].utilisation = loads[i].offered_load / std::max<double>(1.0, v.capacity);
  }
  return loads;
}

RunEstimate estimate_run(const Scenario& s) {
  RunEstimate e;
  const double days = s.horizon_years * kDaysPerYear;
  // Mean of (1 + trend)^t over the horizon: episodes grow with the cohorts.
  auto growth = [&](double trend) {
    const double g = std::log1p(trend);
    return std::abs(g * s.horizon_years) < 1e-9 ? 1.0 : std::expm1(g * s.horizon_years) / (g * s.horizon_years);
  };
  double entries_per_day = 0, grown_per_day = 0;
  for (const CohortSpec& c : s.cohorts) {
    const double per_day = c.population * c.episodes_per_1000_per_year / 1000.0 / kDaysPerYear;
    entries_per_day += per_day;
    grown_per_day += per_day * growth(c.trend_per_year);
  }
  e.episodes = grown_per_day * days;
  double visits_per_day = 0;
  std::vector<double> offered;
  for (const ServiceLoad& l : traffic_equations(s)) {
    if (std::isfinite(l.arrivals_per_day)) visits_per_day += l.arrivals_per_day;
    offered.push_back(l.offered_load);
  }
  // Visits grow like the entries that cause them.
  e.service_visits = entries_per_day > 0 ? visits_per_day * days * grown_per_day / entries_per_day : 0;
  // Working memory follows the people in the system at once, not the length of the run (waits
  // are kept in fixed-size sketches): by Little's law the places in use, sum of arrivals x mean
  // stay, plus those who left and may come back within a year (their records are kept), grown
  // like the entries, at a generous 400 bytes a person (record, pending events, queue place;
  // measured about 190: docs/performance.md). Weekly series: 6 values per service and week.
  double in_service = 0;
  for (std::size_t i = 0; i < s.services.size(); ++i) {
    const double load = offered[i];
    if (std::isfinite(load)) in_service += load;
  }
  const double weeks = days / 7.0 + 1;
  const double people = (in_service + entries_per_day * kDaysPerYear * 0.3) * (entries_per_day > 0 ? grown_per_day / entries_per_day : 1.0);
  e.people = people;
  e.working_bytes = 400.0 * people + 6.0 * sizeof(double) * weeks * static_cast<double>(s.services.size());
  e.episode_bytes = 2.0 * sizeof(EpisodeRecord) * e.service_visits;
  return e;
}

}  // namespace careflow::models
