// The kernel against queueing theory. Each check asks that the theoretical value lie inside
// the 99% confidence interval across independent replications. The seeds are fixed, so each
// check is a golden test whose margin is that interval; the one chosen number is the precision
// asked of the interval (its half-width at most 10% of the theory, or 1% for Little's law), which
// makes a check able to fail rather than pass with an interval wide enough to hold anything.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <vector>

#include "careflow/engine/statistics.hpp"
#include "mmc_model.hpp"

using namespace careflow;
using namespace careflow::testing;

namespace {

constexpr int kReplications = 20;
constexpr double kLevel = 0.99;

std::vector<MmcResult> replicate(const MmcParams& p, std::uint64_t seed) {
  std::vector<MmcResult> out;
  for (int r = 0; r < kReplications; ++r) out.push_back(run_mmc(p, seed, r));
  return out;
}

ConfidenceInterval ci_of(const std::vector<MmcResult>& rs, const std::function<double(const MmcResult&)>& f) {
  std::vector<double> x;
  for (const auto& r : rs) x.push_back(f(r));
  return confidence_interval(x, kLevel);
}

void check_contains(const ConfidenceInterval& ci, double theory, const char* what) {
  INFO(what << ": theory " << theory << ", simulated " << ci.mean << " ± " << ci.half_width);
  CHECK(ci.contains(theory));
  CHECK(ci.half_width < 0.1 * std::abs(theory));  // and the interval is narrow enough to mean something
}

}  // namespace

TEST_CASE("M/M/1: mean wait in queue, queue length and utilisation", "[engine][theory][statistical]") {
  MmcParams p;  // lambda 0.8, mu 1, c 1
  p.horizon = 40000;
  const auto rs = replicate(p, 101);
  const double rho = p.lambda / p.mu;
  check_contains(ci_of(rs, [](auto& r) { return r.mean_wait; }), rho / (p.mu - p.lambda), "Wq");
  check_contains(ci_of(rs, [](auto& r) { return r.mean_queue; }), rho * rho / (1 - rho), "Lq");
  check_contains(ci_of(rs, [](auto& r) { return r.utilisation; }), rho, "utilisation");
}

TEST_CASE("M/M/c: Erlang C mean wait and utilisation", "[engine][theory][statistical]") {
  MmcParams p;
  p.c = 5;
  p.lambda = 4.0;  // rho = 0.8
  p.horizon = 6000;
  p.warmup = 500;
  const auto rs = replicate(p, 202);
  check_contains(ci_of(rs, [](auto& r) { return r.mean_wait; }), erlang_c_wait(p.lambda, p.mu, p.c), "Wq");
  check_contains(ci_of(rs, [](auto& r) { return r.utilisation; }), p.lambda / (p.c * p.mu), "utilisation");
}

TEST_CASE("Erlang C helper against a published value", "[engine][theory]") {
  // c = 2, a = 1 (rho = 0.5): P(wait) = 1/3, Wq = (1/3) / (2 - 1) = 1/3.
  CHECK(erlang_c_wait(1.0, 1.0, 2) == Approx(1.0 / 3.0));
  CHECK(erlang_c_wait(0.8, 1.0, 1) == Approx(4.0));
}

TEST_CASE("Little's law: Lq = lambda * Wq", "[engine][theory][statistical]") {
  MmcParams p;
  p.c = 3;
  p.lambda = 2.4;
  const auto rs = replicate(p, 303);
  std::vector<double> lq, lambda_wq;
  for (const auto& r : rs) {
    lq.push_back(r.mean_queue);
    lambda_wq.push_back(r.arrival_rate * r.mean_wait);
  }
  const ConfidenceInterval d = paired_difference(lq, lambda_wq, kLevel);
  INFO("Lq - lambda Wq = " << d.mean << " ± " << d.half_width);
  CHECK(d.contains(0.0));
  CHECK(std::abs(d.mean) < 0.01 * confidence_interval(lq).mean);
}

TEST_CASE("M/M/1/K: blocking probability of a finite queue", "[engine][theory][statistical]") {
  MmcParams p;
  p.lambda = 0.9;
  p.max_queue = 4;  // K = 5 in the system
  const auto rs = replicate(p, 404);
  const double rho = p.lambda / p.mu;
  const int k = 5;
  const double p_block = (1 - rho) * std::pow(rho, k) / (1 - std::pow(rho, k + 1));
  check_contains(ci_of(rs, [](auto& r) { return r.balk_fraction; }), p_block, "P(block)");
  check_contains(ci_of(rs, [](auto& r) { return r.utilisation; }), rho * (1 - p_block), "utilisation");
}

TEST_CASE("M/M/1+D: reneging after a fixed patience", "[engine][theory][statistical]") {
  MmcParams p;
  p.lambda = 1.2;  // overloaded: only reneging keeps the queue finite
  p.patience = 3.0;
  p.horizon = 10000;
  const auto rs = replicate(p, 505);
  for (const auto& r : rs) REQUIRE(r.max_wait <= p.patience);
  // Virtual waiting time V of M/M/1 with deterministic patience tau (Baccelli & Hebuterne 1981):
  // P(V = 0) = p0, density p0 lambda e^{-(mu-lambda)v} below tau, p0 lambda e^{-(mu-lambda)tau} e^{-mu(v-tau)} above.
  const double l = p.lambda, m = p.mu, tau = p.patience;
  const double below = l * (1 - std::exp(-(m - l) * tau)) / (m - l);
  const double above = l * std::exp(-(m - l) * tau) / m;
  const double p0 = 1 / (1 + below + above);
  check_contains(ci_of(rs, [](auto& r) { return r.utilisation; }), 1 - p0, "utilisation");
  check_contains(ci_of(rs, [](auto& r) { return r.renege_fraction; }), p0 * above, "P(abandon)");
}
