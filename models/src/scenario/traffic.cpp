// The traffic equations (λ = a + λP) that predict each service's load, and the size of one
// replication estimated from them.
#include "careflow/models/scenario.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <queue>
#include <set>
#include <utility>
#include <vector>

#include "careflow/models/results.hpp"
#include "scenario/routing.hpp"

namespace careflow::models {
namespace {

/// Where one cohort's people go from each (service, need level) state: (target state,
/// probability), each target once. A service routes to a few others, so the routing is kept by
/// row, never as a dense matrix (25,000 services would make that gigabytes).
using Row = CohortRouting::Row;

/// Solves x = b + x P over the services of `keep` (every one of which can reach a way out)
/// by eliminating one service at a time: x_k = (b_k + sum_i x_i P_ik) / d_k is put into the
/// equations of the services that k feeds, so the people who went i -> k -> j now go i -> j. The
/// next service eliminated is the one that adds the fewest new routes (in-degree x out-degree:
/// a service no one reaches, or a chain, adds none), which makes pathways (trees, chains and a
/// few loops) cost time linear in their routes.
///
/// Every quantity stays a sum of non-negative terms (the pivot d_k is k's routes out plus what
/// leaves, not 1 - P_kk: Grassmann, Taksar and Heyman's way of solving Markov chains), so
/// there is no cancellation to guard against with pivoting. A tangle of services that all route
/// into each other would fill in towards a dense matrix: past a budget of new routes, what
/// remains is solved by Gauss-Seidel sweeps instead, which converge because every service can
/// reach a way out.
class FlowSolver {
 public:
  FlowSolver(const std::vector<Row>& P, const std::vector<double>& a, const std::vector<char>& kept)
      : n_(P.size()), out_(n_), in_(n_), leak_(n_, 0.0), b_(a), kept_(kept), done_(n_, 0), eliminated_(n_) {
    std::size_t routes = 0;
    for (std::size_t i = 0; i < n_; ++i) {
      if (!kept_[i]) continue;
      double stay = 0;  // probability of a route to a kept service
      for (const auto& [j, p] : P[i]) {
        if (!kept_[j] || !(p > 0)) continue;
        out_[i].emplace(j, p);
        if (j != i) in_[j].insert(i);
        stay += p;
        ++routes;
      }
      leak_[i] = std::max(0.0, 1.0 - stay);  // to exit, or to a service that cannot be solved for
    }
    fill_budget_ = 4 * (routes + n_) + 100'000;
  }

  std::vector<double> solve() {
    std::vector<std::size_t> order;  // eliminated, in order
    std::priority_queue<std::pair<std::size_t, std::size_t>, std::vector<std::pair<std::size_t, std::size_t>>, std::greater<>> next;
    for (std::size_t k = 0; k < n_; ++k)
      if (kept_[k]) next.emplace(cost(k), k);
    std::size_t filled = 0;
    while (!next.empty()) {
      const auto [c, k] = next.top();
      next.pop();
      if (done_[k]) continue;
      if (c != cost(k)) {  // its routes changed since it was queued
        next.emplace(cost(k), k);
        continue;
      }
      if (filled + c > fill_budget_) break;
      filled += c;
      eliminate(k, next);
      order.push_back(k);
    }
    std::vector<double> x(n_, 0.0);
    iterate_rest(x);
    // Back substitution: each service from those eliminated after it.
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      const Eliminated& e = eliminated_[*it];
      double v = e.b;
      for (const auto& [i, p] : e.from) v += x[i] * p;
      x[*it] = e.d > 0 ? v / e.d : kInfinity;
    }
    return x;
  }

 private:
  struct Eliminated {
    double b = 0, d = 0;
    std::vector<std::pair<std::size_t, double>> from;  // (i, P_ik) when k was eliminated
  };

  std::size_t cost(std::size_t k) const {
    const std::size_t outs = out_[k].size() - (out_[k].count(k) ? 1 : 0);
    return in_[k].size() * outs;
  }

  /// The pivot: k's routes to other services plus what leaves; 1 - P_kk without the subtraction.
  double pivot(std::size_t k) const {
    double d = leak_[k];
    for (const auto& [j, p] : out_[k])
      if (j != k) d += p;
    return d;
  }

  template <class Queue>
  void eliminate(std::size_t k, Queue& next) {
    Eliminated e;
    e.b = b_[k];
    e.d = pivot(k);
    for (const std::size_t i : in_[k]) e.from.emplace_back(i, out_[i].at(k));
    if (e.d > 0) {
      for (const auto& [j, p] : out_[k]) {
        if (j == k) continue;
        const double share = p / e.d;  // of what reaches k, the part that goes on to j
        b_[j] += e.b * share;
        in_[j].erase(k);
        for (const auto& [i, pik] : e.from) {
          auto [it, added] = out_[i].try_emplace(j, 0.0);
          it->second += pik * share;
          if (added && j != i) in_[j].insert(i);
        }
      }
      for (const auto& [i, pik] : e.from) leak_[i] += pik * (leak_[k] / e.d);
    } else {
      for (const auto& [j, p] : out_[k]) in_[j].erase(k);
    }
    for (const auto& [i, pik] : e.from) out_[i].erase(k);
    done_[k] = 1;
    for (const auto& [i, pik] : e.from) next.emplace(cost(i), i);
    for (const auto& [j, p] : out_[k])
      if (j != k) next.emplace(cost(j), j);
    out_[k].clear();
    in_[k].clear();
    eliminated_[k] = std::move(e);
  }

  /// The services left after the budget, by Gauss-Seidel: from x = 0 each sweep adds the people
  /// who take one more step, so x rises to the solution; it stops when a sweep changes no value
  /// by more than a part in 10^13, or after a bounded amount of work.
  void iterate_rest(std::vector<double>& x) const {
    std::vector<std::size_t> rest;
    std::vector<std::vector<std::pair<std::size_t, double>>> into(n_);  // (i, P_ij), i != j
    std::vector<double> d(n_, 0.0);
    std::size_t work = 0;
    for (std::size_t j = 0; j < n_; ++j) {
      if (!kept_[j] || done_[j]) continue;
      rest.push_back(j);
      d[j] = pivot(j);
      for (const auto& [t, p] : out_[j])
        if (t != j) into[t].emplace_back(j, p), ++work;
    }
    if (rest.empty()) return;
    const std::size_t sweeps = std::max<std::size_t>(100, kIterationWork / (work + rest.size()));
    for (std::size_t sweep = 0; sweep < sweeps; ++sweep) {
      double change = 0, size = 0;
      for (const std::size_t j : rest) {
        double v = b_[j];
        for (const auto& [i, p] : into[j]) v += x[i] * p;
        const double next = d[j] > 0 ? v / d[j] : kInfinity;
        change = std::max(change, std::abs(next - x[j]));
        size = std::max(size, std::abs(next));
        x[j] = next;
      }
      if (!(change > 1e-13 * size)) break;
    }
  }

  static constexpr std::size_t kIterationWork = 400'000'000;  // route visits, about a second

  std::size_t n_;
  std::vector<std::map<std::size_t, double>> out_;  // P restricted to the services not yet eliminated
  std::vector<std::set<std::size_t>> in_;           // who routes to each (self-loops aside)
  std::vector<double> leak_;                        // probability of leaving the kept services
  std::vector<double> b_;
  const std::vector<char>& kept_;
  std::vector<char> done_;
  std::vector<Eliminated> eliminated_;  // by service
  std::size_t fill_budget_ = 0;
};

/// Returns a day per episode reaching the referral service, for a cohort whose closed cases come
/// back with probability p, each return making f such episodes: p / (1 - p f) without a
/// transition age; with one, a child who would come back an adult does not, so the chain of
/// returns is followed from ages at entry uniform over the cohort's range (stratified), with
/// times to return from a fixed stream: the same estimate on every call. Each episode lasts its
/// mean time in services (`episode_days`) before it closes (one leaving at 18 from a long stay
/// in care does not close, nor come back).
double returns_per_episode(const CohortSpec& c, double p, double f, double episode_days) {
  if (c.transition_to == kExit) return p * f < 1 ? p / (1 - p * f) : kInfinity;
  constexpr int kDraws = 4096;
  RandomStream rng(StreamKey{0x7265747572ULL, 0, 0, 0});
  double total = 0;
  for (int k = 0; k < kDraws; ++k) {
    double at = (c.min_age + (k + 0.5) / kDraws * (c.max_age - c.min_age)) * kDaysPerYear;
    const double limit = c.transition_age * kDaysPerYear;
    for (double w = p; w > 1e-9; w *= p * f) {  // w: expected returns this far down the chain
      at += episode_days + std::max(0.0, c.time_to_return.sample(rng));
      if (!(at < limit)) break;
      total += w;
    }
  }
  return total / kDraws;
}

}  // namespace

CohortRouting cohort_routing(const Scenario& s, std::size_t ci) {
  const std::size_t n = s.services.size();
  const CohortSpec& c = s.cohorts[ci];
  CohortRouting out;
  // Need only falls here, so the levels above the highest a new episode starts at carry nothing.
  std::size_t top = 0;
  for (std::size_t l = 0; l < std::min(c.need_weights.size(), s.need_levels.size()); ++l)
    if (c.need_weights[l] > 0) top = l;
  const std::size_t L = out.levels = top + 1;
  out.rows.assign(n * L, {});
  out.arrivals.assign(n * L, 0.0);
  if (!valid_index(c.entry, n)) return out;
  const double rate = c.population * c.episodes_per_1000_per_year / 1000.0 / kDaysPerYear;
  const auto entry = static_cast<std::size_t>(redirect(s, c.entry));
  for (std::size_t l = 0; l < L; ++l) out.arrivals[entry * L + l] = rate * (l < c.need_weights.size() ? c.need_weights[l] : 0.0);
  const double coproduction = (c.coproduction_min + c.coproduction_max) / 2;
  // Rows are built only for the states people can reach, from the entry and from where closed
  // cases come back: a cohort whose people all start at one need level reaches few of the
  // others, and a network of thousands of services would otherwise carry every level's rows.
  std::vector<char> seen(n * L, 0);
  std::vector<std::size_t> todo;
  const auto visit = [&](std::size_t state) {
    if (!seen[state]) seen[state] = 1, todo.push_back(state);
  };
  for (std::size_t l = 0; l < L; ++l)
    if (out.arrivals[entry * L + l] > 0) visit(entry * L + l);
  if (c.referred_return_probability > 0 && valid_index(s.indicators.referrals, n)) {
    const int back = valid_index(c.referred_return_to, n) ? c.referred_return_to : s.indicators.referrals;
    for (std::size_t l = 0; l < L; ++l) visit(static_cast<std::size_t>(redirect(s, back)) * L + l);
  }
  while (!todo.empty()) {
    const std::size_t state = todo.back();
    todo.pop_back();
    const std::size_t i = state / L, l = state % L;
    const ServiceSpec& v = s.services[i];
    // Need falls one level while served (the model's hazard, at the service's mean duration
    // and the cohort's mean co-production); then the rule of the need on leaving routes.
    const double fall = v.de_escalation_per_year > 0
                            ? 1 - std::exp(-v.de_escalation_per_year * (1 + c.coproduction_effect * coproduction) / kDaysPerYear * v.duration.mean())
                            : 0.0;
    Row& row = out.rows[state];
    for (int down = 0; down < 2; ++down) {
      const double w = down ? (l > 0 ? fall : 0.0) : (l > 0 ? 1 - fall : 1.0);
      if (!(w > 0)) continue;
      const std::size_t level = l - static_cast<std::size_t>(down);
      const auto rule = std::find_if(v.routes.begin(), v.routes.end(), [&](const RouteRule& r) {
        return may_match(r.when, static_cast<int>(ci), c, static_cast<int>(level));
      });
      if (rule == v.routes.end()) continue;  // no rule holds: the person leaves
      for (const RouteTarget& t : rule->to)
        if (valid_index(t.service, n)) row.emplace_back(static_cast<std::size_t>(redirect(s, t.service)) * L + level, w * t.probability);
    }
    // One entry per target, its shares added in the order they came.
    std::stable_sort(row.begin(), row.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    std::size_t kept = 0;
    for (std::size_t k = 0; k < row.size(); ++k) {
      if (kept > 0 && row[kept - 1].first == row[k].first) row[kept - 1].second += row[k].second;
      else row[kept++] = row[k];
    }
    row.resize(kept);
    for (const auto& [j, p] : row)
      if (p > 0) visit(j);
  }
  return out;
}

std::vector<ServiceLoad> traffic_equations(const Scenario& s) {
  const std::size_t n = s.services.size();
  std::vector<double> lambda(n, 0.0);
  for (std::size_t ci = 0; ci < s.cohorts.size(); ++ci) {
    const CohortSpec& c = s.cohorts[ci];
    if (!valid_index(c.entry, n)) continue;
    // Routing of this cohort over (service, need level) states: people keep their need along
    // the path but for its fall while served, so a service reached mostly by the most needy
    // routes as they do. Escalation while waiting is not in it (waits are what it predicts).
    const CohortRouting routing = cohort_routing(s, ci);
    const std::size_t L = routing.levels, N = n * L;
    const std::vector<Row>& P = routing.rows;
    const std::vector<double>& a = routing.arrivals;

    // States from which flow can never leave would need infinite throughput: mark them
    // and solve the (then non-singular) system for the rest. A state escapes if some of its
    // people leave, or it routes to one that escapes: found backwards from those that leave.
    std::vector<std::vector<std::size_t>> into(N);
    std::vector<char> escapes(N, 0);
    std::vector<std::size_t> stack;
    for (std::size_t i = 0; i < N; ++i) {
      double row = 0;
      for (const auto& [j, p] : P[i]) {
        row += p;
        if (p > 0) into[j].push_back(i);
      }
      if (row < 1 - 1e-12) escapes[i] = 1, stack.push_back(i);
    }
    while (!stack.empty()) {
      const std::size_t j = stack.back();
      stack.pop_back();
      for (const std::size_t i : into[j])
        if (!escapes[i]) escapes[i] = 1, stack.push_back(i);
    }
    std::vector<char> reached(N, 0);
    const auto reach = [&] {
      while (!stack.empty()) {
        const std::size_t i = stack.back();
        stack.pop_back();
        for (const auto& [j, p] : P[i])
          if (p > 0 && !reached[j]) reached[j] = 1, stack.push_back(j);
      }
    };
    for (std::size_t i = 0; i < N; ++i)
      if (a[i] > 0) reached[i] = 1, stack.push_back(i);
    reach();
    // Only the states people reach are solved for (a cohort whose people all start at one need
    // level reaches few of the others): the rest carry no flow.
    std::vector<char> solvable(N, 0);
    const auto mark_solvable = [&] {
      for (std::size_t i = 0; i < N; ++i) solvable[i] = escapes[i] && reached[i];
    };
    mark_solvable();
    // Cases closed after a referral come back with the cohort's referred_return_probability:
    // each episode that reaches the referral service ends in one closure (deaths are not
    // subtracted), so with e such episodes a day from new arrivals and f per return (first
    // visits: the referral service made absorbing), r = e returns_per_episode a day come back.
    const int ref = valid_index(s.indicators.referrals, n) ? redirect(s, s.indicators.referrals) : -1;
    const double p_back = ref >= 0 ? c.referred_return_probability : -1.0;
    const int back = p_back > 0 ? redirect(s, valid_index(c.referred_return_to, n) ? c.referred_return_to : ref) : -1;
    const auto at = [&](int service, std::size_t l) { return static_cast<std::size_t>(service) * L + l; };
    std::vector<Row> first;
    std::vector<double> first_x;
    const auto e_reached = [&](const std::vector<double>& f) {
      for (std::size_t l = 0; l < L; ++l)
        if (f[at(ref, l)] > 0) return true;
      return false;
    };
    if (back >= 0) {
      first = P;  // the referral service absorbing: episodes that reach it
      for (std::size_t l = 0; l < L; ++l) first[at(ref, l)].clear();
      first_x = FlowSolver(first, a, solvable).solve();
      const bool comes_back = e_reached(first_x);
      for (std::size_t l = 0; l < L; ++l)  // a case comes back at the level it left with: any
        if (comes_back && !reached[at(back, l)]) reached[at(back, l)] = 1, stack.push_back(at(back, l));
      reach();
      mark_solvable();
    }
    for (std::size_t i = 0; i < N; ++i)
      if (!escapes[i] && reached[i]) lambda[i / L] = kInfinity;
    std::vector<double> x = FlowSolver(P, a, solvable).solve();
    double e = 0;
    for (std::size_t l = 0; back >= 0 && l < L; ++l) e += first_x[at(ref, l)];
    if (back >= 0 && e > 0) {
      // A case comes back with the need it left with: the need mix of the ways out of an
      // episode that starts at the referral service as new referrals do.
      std::vector<double> unit(N, 0.0);
      for (std::size_t l = 0; l < L; ++l) unit[at(ref, l)] = first_x[at(ref, l)] / e;
      const std::vector<double> z = FlowSolver(P, unit, solvable).solve();
      std::vector<double> leaving(L, 0.0);
      double left = 0;
      for (std::size_t i = 0; i < N; ++i) {
        double stay = 0;
        for (const auto& [j, p] : P[i]) stay += p;
        const double out = std::isfinite(z[i]) ? z[i] * std::max(0.0, 1 - stay) : 0.0;
        leaving[i % L] += out, left += out;
      }
      std::fill(unit.begin(), unit.end(), 0.0);
      for (std::size_t l = 0; l < L; ++l) unit[at(back, l)] = left > 0 ? leaving[l] / left : first_x[at(ref, l)] / e;
      const std::vector<double> y = FlowSolver(P, unit, solvable).solve();
      const std::vector<double> y_first = FlowSolver(first, unit, solvable).solve();
      double f = 0;
      for (std::size_t l = 0; l < L; ++l) f += y_first[at(ref, l)];
      double episode_days = 0;  // a return's mean time in services (Little's law: visits x durations)
      for (std::size_t i = 0; i < N; ++i)
        if (y[i] > 0 && std::isfinite(y[i])) episode_days += y[i] * s.services[i / L].duration.mean();
      const double r = e * returns_per_episode(c, p_back, f, episode_days);
      for (std::size_t i = 0; i < N; ++i)
        if (y[i] > 0) x[i] = std::isfinite(r) ? x[i] + r * y[i] : kInfinity;
    }
    for (std::size_t i = 0; i < N; ++i)
      if (escapes[i]) lambda[i / L] += x[i];
  }

  std::vector<ServiceLoad> loads(n);
  for (std::size_t i = 0; i < n; ++i) {
    const ServiceSpec& v = s.services[i];
    ServiceLoad& l = loads[i];
    l.arrivals_per_day = lambda[i];
    l.offered_load = lambda[i] > 0 ? lambda[i] * v.duration.mean() : 0.0;
    double arrivals = lambda[i];
    std::uint32_t places = v.capacity;
    l.utilisation = l.offered_load / std::max<double>(1.0, v.capacity);
    if (!v.units.empty() && v.unit_choice == UnitChoice::Area) {  // each unit is its own queue
      std::vector<double> weights;
      for (const UnitSpec& u : v.units) weights.push_back(u.capacity);
      const std::vector<std::uint32_t> split = split_places(v.capacity, weights);
      l.utilisation = -1;
      for (std::size_t k = 0; k < split.size(); ++k) {
        const double u = l.offered_load * v.units[k].share / std::max<double>(1.0, split[k]);
        if (u > l.utilisation || (std::isnan(u) && l.unit < 0)) l.utilisation = u, l.unit = static_cast<int>(k);
      }
      arrivals = lambda[i] * v.units[static_cast<std::size_t>(l.unit)].share;
      places = split[static_cast<std::size_t>(l.unit)];
      l.unit_arrivals_per_day = arrivals;
      l.unit_places = places;
    }
    l.carried_utilisation = l.utilisation;
    l.bounded = v.max_queue != Resource::kUnlimited || v.patience.has_value();
    if (l.bounded && std::isfinite(arrivals) && arrivals > 0) {
      const BoundedQueue q = bounded_queue(arrivals, 1.0 / v.duration.mean(), places, v.max_queue,
                                           v.patience ? 1.0 / v.patience->mean() : 0.0);
      l.lost_share = q.lost_share;
      l.carried_utilisation = q.utilisation;
    }
  }
  return loads;
}

BoundedQueue bounded_queue(double lambda, double mu, std::uint32_t c, std::uint32_t max_queue, double theta) {
  // States n = people present; birth lambda below the room limit, death min(n, c) mu + (n - c)+ theta.
  // In logs (an offered load of thousands of places overflows a^n / n!), normalised at the end.
  // Without a room limit the chain is cut where its terms have fallen below e^-50 of the largest.
  const double limit = max_queue == Resource::kUnlimited ? kInfinity : static_cast<double>(c) + max_queue;
  std::vector<double> logp{0.0};
  double top = 0;
  for (double k = 1; k <= limit; ++k) {
    const double death = std::min<double>(k, c) * mu + std::max(0.0, k - c) * theta;
    logp.push_back(logp.back() + std::log(lambda / death));
    top = std::max(top, logp.back());
    if (k > c && logp.back() < top - 50 && lambda < death) break;  // the tail is negligible
    if (logp.size() > 50'000'000) break;                           // (a patience of centuries)
  }
  double norm = 0, busy = 0, abandon = 0;
  for (std::size_t k = 0; k < logp.size(); ++k) {
    const double p = std::exp(logp[k] - top), n = static_cast<double>(k);
    norm += p;
    busy += p * std::min<double>(n, c);
    abandon += p * std::max(0.0, n - c) * theta;
  }
  const double blocked = static_cast<double>(logp.size() - 1) >= limit ? std::exp(logp.back() - top) / norm : 0.0;
  BoundedQueue q;
  q.utilisation = busy / norm / c;
  q.lost_share = blocked + abandon / norm / lambda;
  return q;
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
