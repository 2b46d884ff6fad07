#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>
#include <vector>

#include <boost/math/special_functions/gamma.hpp>

#include "careflow/engine/distribution.hpp"

using namespace careflow;

namespace {

constexpr int kN = 100000;

std::vector<double> draw(const Distribution& d, std::uint64_t purpose) {
  RandomStream s(StreamKey{2024, 0, 0, purpose});
  std::vector<double> x(kN);
  for (double& v : x) v = d.sample(s);
  return x;
}

// Sample mean within 4.4 standard errors of the true mean (two-sided p ~ 1e-5).
void check_mean(const std::vector<double>& x, const Distribution& d) {
  double sum = 0;
  for (double v : x) sum += v;
  const double se = std::sqrt(d.variance() / kN);
  INFO(d.describe());
  CHECK(std::abs(sum / kN - d.mean()) <= 4.4 * se + 1e-12);
}

// Kolmogorov-Smirnov: D_n below the 0.1% critical value 1.95 / sqrt(n).
void check_ks(std::vector<double> x, const std::function<double(double)>& cdf, const Distribution& d) {
  std::sort(x.begin(), x.end());
  double dmax = 0;
  for (int i = 0; i < kN; ++i) {
    const double f = cdf(x[i]);
    dmax = std::max({dmax, f - double(i) / kN, double(i + 1) / kN - f});
  }
  INFO(d.describe() << " D=" << dmax);
  CHECK(dmax < 1.95 / std::sqrt(double(kN)));
}

double phi(double z) { return 0.5 * std::erfc(-z / std::numbers::sqrt2); }

}  // namespace

TEST_CASE("continuous distributions match their CDF and mean", "[engine][distribution][statistical]") {
  struct Case {
    Distribution d;
    std::function<double(double)> cdf;
  };
  const double ln_sigma = std::sqrt(std::log1p(0.5 * 0.5));  // lognormal(mean 2, sd 1)
  const double ln_mu = std::log(2.0) - 0.5 * ln_sigma * ln_sigma;
  std::vector<Case> cases = {
      {Distribution::exponential(3.0), [](double x) { return 1 - std::exp(-x / 3.0); }},
      {Distribution::uniform(2.0, 5.0), [](double x) { return std::clamp((x - 2.0) / 3.0, 0.0, 1.0); }},
      {Distribution::normal(10.0, 2.0), [](double x) { return phi((x - 10.0) / 2.0); }},
      {Distribution::lognormal(2.0, 1.0), [=](double x) { return phi((std::log(x) - ln_mu) / ln_sigma); }},
      {Distribution::gamma(2.5, 1.5), [](double x) { return boost::math::gamma_p(2.5, x / 1.5); }},
      {Distribution::gamma(0.4, 2.0), [](double x) { return boost::math::gamma_p(0.4, x / 2.0); }},
      {Distribution::weibull(1.5, 4.0), [](double x) { return 1 - std::exp(-std::pow(x / 4.0, 1.5)); }},
      {Distribution::triangular(1.0, 2.0, 6.0),
       [](double x) {
         if (x <= 1) return 0.0;
         if (x <= 2) return (x - 1) * (x - 1) / ((6 - 1) * (2 - 1));
         if (x < 6) return 1 - (6 - x) * (6 - x) / ((6 - 1) * (6 - 2));
         return 1.0;
       }},
  };
  std::uint64_t purpose = 0;
  for (const Case& c : cases) {
    const auto x = draw(c.d, ++purpose);
    check_mean(x, c.d);
    check_ks(x, c.cdf, c.d);
  }
}

TEST_CASE("lognormal is parameterised by the mean and sd of the variable", "[engine][distribution]") {
  const Distribution d = Distribution::lognormal(90.0, 60.0);
  CHECK(d.mean() == Approx(90.0));
  CHECK(std::sqrt(d.variance()) == Approx(60.0));
}

TEST_CASE("discrete distribution hits each value with its weight", "[engine][distribution][statistical]") {
  const Distribution d = Distribution::discrete({1, 2, 5}, {0.2, 0.5, 0.3});
  CHECK(d.mean() == Approx(0.2 + 1.0 + 1.5));
  const auto x = draw(d, 99);
  const double expected[] = {0.2, 0.5, 0.3};
  const double values[] = {1, 2, 5};
  for (int k = 0; k < 3; ++k) {
    const auto count = std::count(x.begin(), x.end(), values[k]);
    const double se = std::sqrt(expected[k] * (1 - expected[k]) / kN);
    CHECK(std::abs(double(count) / kN - expected[k]) < 4.4 * se);
  }
  check_mean(x, d);
}

TEST_CASE("empirical distribution interpolates between observations", "[engine][distribution][statistical]") {
  const Distribution d = Distribution::empirical({4, 0, 2});  // sorted: 0, 2, 4 -> uniform(0, 4)
  CHECK(d.mean() == Approx(2.0));
  CHECK(d.variance() == Approx(16.0 / 12.0));
  const auto x = draw(d, 100);
  check_mean(x, d);
  check_ks(x, [](double v) { return std::clamp(v / 4.0, 0.0, 1.0); }, d);
}

TEST_CASE("deterministic and scaled distributions", "[engine][distribution]") {
  RandomStream s(StreamKey{1, 0, 0, 0});
  CHECK(Distribution::deterministic(7.5).sample(s) == 7.5);
  CHECK(Distribution::exponential(2).scaled(3).mean() == Approx(6));
  CHECK(Distribution::lognormal(10, 4).scaled(2).mean() == Approx(20));
  CHECK(std::sqrt(Distribution::lognormal(10, 4).scaled(2).variance()) == Approx(8));
  CHECK(Distribution::weibull(2, 3).scaled(2).mean() == Approx(Distribution::weibull(2, 6).mean()));
}

TEST_CASE("invalid parameters are refused", "[engine][distribution]") {
  CHECK_THROWS_AS(Distribution::exponential(0), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::exponential(-1), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::exponential(NAN), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::uniform(3, 2), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::lognormal(0, 1), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::gamma(1, 0), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::triangular(1, 5, 3), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::discrete({1, 2}, {1}), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::discrete({1, 2}, {0, 0}), std::invalid_argument);
  CHECK_THROWS_AS(Distribution::empirical({}), std::invalid_argument);
}

TEST_CASE("distribution golden values are pinned", "[engine][distribution][golden]") {
  // Same key, same samples on every platform we build on; a change here changes results.
  RandomStream s(StreamKey{1, 0, 0, 0});
  CHECK(Distribution::exponential(1.0).sample(s) == Approx(0.22953728848574112).epsilon(1e-12));
  CHECK(Distribution::lognormal(2.0, 1.0).sample(s) == Approx(2.6095087246907931).epsilon(1e-12));
  CHECK(Distribution::gamma(2.5, 1.5).sample(s) == Approx(2.1158161865403904).epsilon(1e-12));
}
