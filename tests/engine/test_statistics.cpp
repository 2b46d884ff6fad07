#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "careflow/engine/random.hpp"

#include "careflow/engine/statistics.hpp"

using namespace careflow;

TEST_CASE("Tally agrees with the two-pass formulas", "[engine][statistics]") {
  const std::vector<double> x = {1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16};  // large offset: Welford stays exact
  Tally t;
  for (double v : x) t.add(v);
  CHECK(t.count() == 4);
  CHECK(t.mean() == Approx(1e9 + 10));
  CHECK(t.variance() == Approx(30.0));  // (36 + 9 + 9 + 36) / 3
  CHECK(t.min() == 1e9 + 4);
  CHECK(t.max() == 1e9 + 16);
  t.reset();
  CHECK(t.count() == 0);
  CHECK(std::isnan(t.mean()));
}

TEST_CASE("TimeWeighted averages a level over time", "[engine][statistics]") {
  TimeWeighted q(0.0);
  q.set(2.0, 3.0);  // 0 on [0,2)
  q.set(5.0, 1.0);  // 3 on [2,5)
  // 1 on [5,10]
  CHECK(q.area(10.0) == Approx(0 * 2 + 3 * 3 + 1 * 5));
  CHECK(q.mean(10.0) == Approx(14.0 / 10.0));
  CHECK(q.max() == 3.0);
  q.reset(10.0);
  q.set(12.0, 0.0);
  CHECK(q.mean(14.0) == Approx(0.5));
}

TEST_CASE("exact quantiles use type-7 interpolation", "[engine][statistics]") {
  const std::vector<double> x = {4, 1, 3, 2};
  CHECK(quantile(x, 0.0) == 1.0);
  CHECK(quantile(x, 1.0) == 4.0);
  CHECK(quantile(x, 0.5) == Approx(2.5));
  CHECK(quantile(x, 0.9) == Approx(3.7));  // numpy.quantile([1,2,3,4], 0.9)
  std::vector<double> s;
  for (int i = 1; i <= 101; ++i) s.push_back(i);
  CHECK(quantile(s, 0.95) == Approx(96.0));
  CHECK(std::isnan(quantile(std::vector<double>{}, 0.5)));
  CHECK_THROWS(quantile(x, 1.5));
}

TEST_CASE("Student t quantiles match tables", "[engine][statistics]") {
  CHECK(student_t_quantile(0.975, 9) == Approx(2.262157).epsilon(1e-6));
  CHECK(student_t_quantile(0.975, 1) == Approx(12.706205).epsilon(1e-6));
  CHECK(student_t_quantile(0.995, 29) == Approx(2.756386).epsilon(1e-6));
}

TEST_CASE("confidence interval across replications", "[engine][statistics]") {
  const std::vector<double> x = {10, 12, 11, 13, 9};
  const ConfidenceInterval ci = confidence_interval(x);
  CHECK(ci.n == 5);
  CHECK(ci.mean == Approx(11.0));
  // sd = sqrt(2.5), t(0.975, 4) = 2.776445
  CHECK(ci.half_width == Approx(2.776445 * std::sqrt(2.5 / 5)).epsilon(1e-6));
  CHECK(ci.contains(12.9));
  CHECK_FALSE(ci.contains(13.1));
  CHECK(std::isnan(confidence_interval(std::vector<double>{1.0}).half_width));
}

TEST_CASE("paired differences remove shared noise", "[engine][statistics]") {
  const std::vector<double> a = {10, 20, 30, 40};
  const std::vector<double> b = {11, 21.5, 30.5, 41};
  const ConfidenceInterval d = paired_difference(a, b);
  CHECK(d.mean == Approx(1.0));
  CHECK(d.half_width < 1.0);  // unpaired, the spread of a alone is ~13
  CHECK_THROWS(paired_difference(a, std::vector<double>{1, 2}));
}

TEST_CASE("QuantileSketch quantiles are within the stated relative error of the exact ones", "[engine][statistics]") {
  // Waiting-time-like data: a third zeros, the rest log-normal over five orders of magnitude.
  RandomStream rng(StreamKey{3, 0, 0, 0});
  const double alpha = 0.005;
  QuantileSketch sketch(alpha), a(alpha), b(alpha);
  std::vector<double> all;
  for (int i = 0; i < 50'000; ++i) {
    double x = 0;
    if (rng.uniform01() > 1.0 / 3) {
      const double z = std::sqrt(-2 * std::log(rng.uniform01())) * std::cos(6.283185307179586 * rng.uniform01());
      x = std::exp(2.0 + 2.0 * z);
    }
    all.push_back(x);
    sketch.add(x);
    (i % 2 ? a : b).add(x);
  }
  a.merge(b);
  CHECK(sketch.count() == all.size());
  CHECK(a.count() == all.size());
  double sum = 0;
  for (double x : all) sum += x;
  CHECK(sketch.mean() == Approx(sum / static_cast<double>(all.size())).epsilon(1e-12));
  for (double p : {0.0, 0.1, 0.3, 0.34, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0}) {
    const double exact = quantile(all, p);
    INFO("p = " << p << ", exact " << exact << ", sketch " << sketch.quantile(p));
    // Each order statistic is within alpha (one extra ulp-level margin for bin edges).
    CHECK(std::fabs(sketch.quantile(p) - exact) <= alpha * 1.0001 * exact + 1e-12);
    CHECK(std::fabs(a.quantile(p) - exact) <= alpha * 1.0001 * exact + 1e-12);
  }
  CHECK(sketch.quantile(0.0) == 0.0);
  CHECK(sketch.min() == 0.0);
  CHECK(sketch.quantile(1.0) == sketch.max());
  // Memory depends on the spread of the values, not on their number.
  CHECK(sketch.memory_bytes() < 64 * 1024);
  QuantileSketch empty;
  CHECK(std::isnan(empty.quantile(0.5)));
  CHECK(std::isnan(empty.mean()));
}
