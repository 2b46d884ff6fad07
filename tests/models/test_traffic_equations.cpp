// The traffic equations (lambda = a + lambda P) solved service by service, against a dense
// solution of the same equations written out here: on every shipped scenario, on networks that
// loop, on a tangle too dense to eliminate, and, for 25,000 services, in bounded memory.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "careflow/models/scenario.hpp"
#include "careflow/models/scenario_loader.hpp"
#include "scenario/routing.hpp"

using namespace careflow;
using namespace careflow::models;
namespace fs = std::filesystem;

namespace {

const fs::path kScenarios = fs::path(__FILE__).parent_path() / ".." / ".." / "scenarios";

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

/// Arrivals a day at each service, from Gaussian elimination on the whole system of each
/// cohort's (service, need level) states (the routing as cohort_routing builds it): the
/// reference, for a few hundred services.
std::vector<double> dense_arrivals(const Scenario& s) {
  const std::size_t n = s.services.size();
  std::vector<double> lambda(n, 0.0);
  for (std::size_t ci = 0; ci < s.cohorts.size(); ++ci) {
    const CohortRouting routing = cohort_routing(s, ci);
    const std::size_t L = routing.levels, N = n * L;
    // Row j: x_j - sum_i x_i P_ij = a_j, as an augmented matrix (N + 1 columns, row by row).
    std::vector<double> m(N * N + N, 0.0);
    const auto at = [&](std::size_t r, std::size_t col) -> double& { return m[r * (N + 1) + col]; };
    for (std::size_t j = 0; j < N; ++j) at(j, j) = 1, at(j, N) = routing.arrivals[j];
    for (std::size_t i = 0; i < N; ++i)
      for (const auto& [j, p] : routing.rows[i]) at(j, i) -= p;
    for (std::size_t k = 0; k < N; ++k) {
      std::size_t best = k;
      for (std::size_t r = k + 1; r < N; ++r)
        if (std::abs(at(r, k)) > std::abs(at(best, k))) best = r;
      for (std::size_t col = 0; col <= N; ++col) std::swap(at(k, col), at(best, col));
      REQUIRE(std::abs(at(k, k)) > 1e-12);  // every state of these networks can leave
      for (std::size_t r = k + 1; r < N; ++r) {
        const double f = at(r, k) / at(k, k);
        if (f != 0)
          for (std::size_t col = k; col <= N; ++col) at(r, col) -= f * at(k, col);
      }
    }
    for (std::size_t k = N; k-- > 0;) {
      double v = at(k, N);
      for (std::size_t col = k + 1; col < N; ++col) v -= at(k, col) * at(col, N);
      at(k, N) = v / at(k, k);
      lambda[k / L] += at(k, N);
    }
  }
  return lambda;
}

void check_against_dense(const Scenario& s, double tolerance) {
  const std::vector<double> dense = dense_arrivals(s);
  const std::vector<ServiceLoad> loads = traffic_equations(s);
  REQUIRE(loads.size() == dense.size());
  double largest = 0;
  for (double d : dense) largest = std::max(largest, std::abs(d));
  for (std::size_t i = 0; i < dense.size(); ++i) {
    INFO(s.name << ": service " << s.services[i].name);
    CHECK(std::abs(loads[i].arrivals_per_day - dense[i]) <= tolerance * std::max(std::abs(dense[i]), 1e-6 * largest));
  }
}

/// n services, one cohort entering at the first; service i routes with the given shares to
/// the targets that `targets(i)` names (the rest leave).
template <class Targets>
Scenario network(std::size_t n, Targets targets) {
  Scenario s;
  s.name = std::to_string(n);
  s.name += " services";
  s.services.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    ServiceSpec& v = s.services[i];
    char name[32];
    std::snprintf(name, sizeof name, "s%zu", i);
    v.name = name;
    v.capacity = 5;
    RouteRule rule;
    double left = 1;
    for (const auto& [to, p] : targets(i)) {
      rule.to.push_back(RouteTarget{static_cast<int>(to), p});
      left -= p;
    }
    rule.to.push_back(RouteTarget{kExit, left});
    v.routes.push_back(rule);
  }
  CohortSpec c;
  c.name = "people";
  c.population = 100000;
  c.min_age = 0;
  c.max_age = 100;
  c.episodes_per_1000_per_year = 10;
  c.entry = 0;
  c.need_weights = {1, 0, 0, 0};
  s.cohorts.push_back(c);
  return s;
}

/// s_i -> s_i+1 (0.5), s_i+2 (0.2), s_i-1 (0.1): every service in one loop with all the others.
std::vector<std::pair<std::size_t, double>> chain_with_steps_back(std::size_t i, std::size_t n) {
  std::vector<std::pair<std::size_t, double>> to;
  if (i + 1 < n) to.emplace_back(i + 1, 0.5);
  if (i + 2 < n) to.emplace_back(i + 2, 0.2);
  if (i > 0) to.emplace_back(i - 1, 0.1);
  return to;
}

}  // namespace

TEST_CASE("the traffic equations equal a dense solution on every shipped scenario", "[models][traffic]") {
  std::size_t checked = 0;
  for (const auto& e : fs::recursive_directory_iterator(kScenarios)) {
    if (e.path().extension() != ".yaml" || e.path().parent_path().filename() == "sweeps") continue;
    INFO(e.path().string());
    Scenario s = load_scenario(e.path().lexically_normal().string());
    for (CohortSpec& c : s.cohorts) c.referred_return_probability = -1;  // a loop outside P (below)
    check_against_dense(s, 1e-12);
    ++checked;
  }
  CHECK(checked >= 9);
}

TEST_CASE("the traffic equations on loops, tangles and stuck services", "[models][traffic]") {
  SECTION("a chain that steps back: one loop of 400 services") {
    check_against_dense(network(400, [](std::size_t i) { return chain_with_steps_back(i, 400); }), 1e-12);
  }
  SECTION("a random tangle, too dense to eliminate within the budget: the rest by iteration") {
    std::mt19937 random(17);
    std::vector<std::vector<std::pair<std::size_t, double>>> to(700);
    for (auto& t : to)
      for (int k = 0; k < 3; ++k) t.emplace_back(std::uniform_int_distribution<std::size_t>(0, 699)(random), 0.3);
    check_against_dense(network(700, [&](std::size_t i) { return to[i]; }), 1e-9);
  }
  SECTION("services that people reach and can never leave need infinite throughput") {
    // s0 -> s1 <-> s2 (all of it), s0 -> s3 -> exit.
    const Scenario s = network(4, [](std::size_t i) {
      using T = std::vector<std::pair<std::size_t, double>>;
      return i == 0 ? T{{1, 0.5}, {3, 0.5}} : i == 1 ? T{{2, 1.0}} : i == 2 ? T{{1, 1.0}} : T{};
    });
    const auto loads = traffic_equations(s);
    const double a = 100000 * 10 / 1000.0 / kDaysPerYear;
    CHECK(loads[0].arrivals_per_day == Approx(a).epsilon(1e-12));
    CHECK(std::isinf(loads[1].arrivals_per_day));
    CHECK(std::isinf(loads[2].arrivals_per_day));
    CHECK(loads[3].arrivals_per_day == Approx(a / 2).epsilon(1e-12));
  }
}

TEST_CASE("25,000 services: the traffic equations in bounded memory", "[models][traffic][bounded]") {
  // A dense solve held two 25,000 x 25,000 matrices (10 GB). Solved in a child whose address
  // space is limited to 256 MiB more than it starts with (under AddressSanitizer, which reserves
  // terabytes, the child runs without the limit); the child checks the chain's flow balance.
  constexpr std::size_t n = 25'000;
  const Scenario s = network(n, [](std::size_t i) { return chain_with_steps_back(i, n); });
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (!kSanitized) {
      rlimit limit{};
      std::size_t pages = 0;
      if (FILE* f = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(f, "%zu", &pages) != 1) pages = 0;
        std::fclose(f);
      }
      limit.rlim_cur = limit.rlim_max = pages * static_cast<std::size_t>(sysconf(_SC_PAGESIZE)) + (256u << 20);
      if (pages == 0 || setrlimit(RLIMIT_AS, &limit) != 0) _exit(3);
    }
    try {
      const auto loads = traffic_equations(s);
      // Flow balance: what enters is what leaves (0.2 of each service's arrivals, more at the ends).
      const double a = 100000 * 10 / 1000.0 / kDaysPerYear;
      double leaving = 0;
      for (std::size_t i = 0; i < n; ++i) {
        double out = 0;
        for (const auto& [to, p] : chain_with_steps_back(i, n)) out += p;
        leaving += loads[i].arrivals_per_day * (1 - out);
      }
      _exit(std::abs(leaving - a) <= 1e-9 * a ? 0 : 4);
    } catch (...) {
      _exit(5);
    }
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  if (kSanitized) WARN("built with AddressSanitizer: the child ran without its address-space limit");
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

// A bounded queue (max_queue, patience) is not an overload that grows: the pre-run check gives
// the share lost and the utilisation that remains (model review, engine semantics 2: "utilisation
// 1.1" was shown for a service whose simulated utilisation is 0.892).
TEST_CASE("bounded queues: M/M/c/K and Erlang-A against their closed forms and the warning", "[models][traffic]") {
  // M/M/3/7 (3 places, room for 4), a = 3.3: pi_n = a^n/n! (n <= 3), a^3/3! (a/3)^(n-3) after.
  const double a = 3.3;
  std::vector<double> pi;
  for (int k = 0; k <= 7; ++k) pi.push_back(k <= 3 ? std::pow(a, k) / std::tgamma(k + 1) : std::pow(a, 3) / 6 * std::pow(a / 3, k - 3));
  double norm = 0, busy = 0;
  for (int k = 0; k <= 7; ++k) norm += pi[k], busy += pi[k] * std::min(k, 3);
  const BoundedQueue q = bounded_queue(3.3, 1.0, 3, 4, 0.0);
  CHECK(q.lost_share == Approx(pi[7] / norm).epsilon(1e-12));
  CHECK(q.utilisation == Approx(busy / norm / 3).epsilon(1e-12));
  CHECK(q.utilisation == Approx(0.892).margin(0.001));  // the review's simulated utilisation
  // Erlang-A, M/M/2+M: scenarios/examples/erlang_a.yaml gives 0.16233 in its comments.
  CHECK(bounded_queue(1.6, 1.0, 2, Resource::kUnlimited, 0.5).lost_share == Approx(0.16233).margin(5e-6));
  // Thousands of places do not overflow (logs), and a huge room limit is cut where the tail vanishes.
  const BoundedQueue big = bounded_queue(3600, 1.0, 3560, Resource::kUnlimited, 1.0 / 30);
  CHECK(big.utilisation > 0.95);
  CHECK(big.utilisation <= 1.0);
  CHECK(big.lost_share > 0);
  CHECK(big.lost_share < 0.05);

  const std::string yaml = R"(careflow: 1
name: bounded
agencies: [{name: council}]
cohorts:
  - {name: people, population: 100000, age: [20, 60], episodes_per_1000_per_year: 12.053, entry: team, need_mix: {universal: 1}}
services:
  - {name: team, tier: intermediate, agency: council, capacity: 3, max_queue: 4, duration: {exponential: {mean: 1}}, routes: [{to: {exit: 1}}]}
)";
  const auto warnings = validate_scenario(parse_scenario(yaml, "bounded.yaml"));
  REQUIRE(warnings.size() == 1);
  INFO(warnings[0].message);
  CHECK(warnings[0].message.find("is offered more work than its places: offered load 3.3 places against 3") != std::string::npos);
  CHECK(warnings[0].message.find("at a utilisation of about 0.892") != std::string::npos);
  CHECK(warnings[0].message.find("overloaded") == std::string::npos);
}

// Closed cases that come back (cohorts[].referred_return_probability p) loop outside the routing
// matrix: each episode reaching the referral service closes once, so with no transition age the
// referral service sees a / (1 - p) when returns go back to it, and the services it feeds the
// same multiple; a return to a front door passes through its routing first.
TEST_CASE("the traffic equations count the returns of closed cases", "[models][traffic]") {
  std::vector<std::pair<std::size_t, double>> none;
  Scenario s = network(3, [&](std::size_t i) {
    return i == 0 ? std::vector<std::pair<std::size_t, double>>{{1, 0.5}} : i == 1 ? std::vector<std::pair<std::size_t, double>>{{2, 0.4}} : none;
  });
  s.indicators.referrals = 1;
  const double a = 100000 * 10 / 1000.0 / kDaysPerYear;
  CohortSpec& c = s.cohorts[0];
  const std::vector<ServiceLoad> before = traffic_equations(s);
  CHECK(before[1].arrivals_per_day == Approx(0.5 * a));
  c.referred_return_probability = 0.4;
  const std::vector<ServiceLoad> back = traffic_equations(s);
  CHECK(back[0].arrivals_per_day == Approx(a));
  CHECK(back[1].arrivals_per_day == Approx(0.5 * a / 0.6));
  CHECK(back[2].arrivals_per_day == Approx(0.4 * 0.5 * a / 0.6));
  c.referred_return_to = 0;  // through the front door: half of those returning are referred again
  const std::vector<ServiceLoad> door = traffic_equations(s);
  // r returns a day: r = 0.4 (0.5 a + 0.5 r), so r = 0.2 a / 0.8
  CHECK(door[0].arrivals_per_day == Approx(a + 0.2 * a / 0.8));
  CHECK(door[1].arrivals_per_day == Approx(0.5 * (a + 0.2 * a / 0.8)));
  c.referred_return_to = kExit;
  c.referred_return_probability = 1;  // every case comes back, for ever
  CHECK(std::isinf(traffic_equations(s)[1].arrivals_per_day));
  // With a transition age, a child who would come back an adult does not: fewer return.
  c.referred_return_probability = 0.4;
  c.transition_to = 2;
  c.max_age = c.transition_age = 18;
  c.time_to_return = Distribution::exponential(465);
  const double with_age = traffic_equations(s)[1].arrivals_per_day;
  CHECK(with_age < 0.5 * a / 0.6);
  CHECK(with_age > 0.5 * a);
}
