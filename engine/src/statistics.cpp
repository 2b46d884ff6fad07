#include "careflow/engine/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <boost/math/distributions/students_t.hpp>

namespace careflow {

double Tally::sd() const noexcept { return std::sqrt(variance()); }

double quantile(std::span<const double> values, double p) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  if (!(p >= 0.0 && p <= 1.0)) throw std::invalid_argument("quantile: p must be in [0, 1]");
  std::vector<double> v(values.begin(), values.end());
  const double h = p * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(h));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(lo), v.end());
  const double x_lo = v[lo];
  if (lo + 1 >= v.size()) return x_lo;
  const double x_hi = *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(lo) + 1, v.end());
  return x_lo + (h - static_cast<double>(lo)) * (x_hi - x_lo);
}

double Sample::quantile(double p) const { return careflow::quantile(values_, p); }

double student_t_quantile(double p, double df) {
  if (!(df > 0)) throw std::invalid_argument("student_t_quantile: df must be > 0");
  const boost::math::students_t dist(df);
  return boost::math::quantile(dist, p);
}

ConfidenceInterval confidence_interval(std::span<const double> values, double level) {
  if (!(level > 0 && level < 1)) throw std::invalid_argument("confidence_interval: level must be in (0, 1)");
  Tally t;
  for (double x : values)
    if (!std::isnan(x)) t.add(x);
  ConfidenceInterval ci;
  ci.level = level;
  ci.n = t.count();
  if (ci.n == 0) return ci;
  ci.mean = t.mean();
  if (ci.n < 2) return ci;
  const double df = static_cast<double>(ci.n - 1);
  ci.half_width = student_t_quantile(0.5 + level / 2, df) * t.sd() / std::sqrt(static_cast<double>(ci.n));
  return ci;
}

ConfidenceInterval paired_difference(std::span<const double> a, std::span<const double> b, double level) {
  if (a.size() != b.size()) throw std::invalid_argument("paired_difference: samples differ in length");
  std::vector<double> d(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) d[i] = b[i] - a[i];
  return confidence_interval(d, level);
}

}  // namespace careflow
