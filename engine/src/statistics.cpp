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

QuantileSketch::QuantileSketch(double relative_accuracy) : alpha_(relative_accuracy) {
  if (!(relative_accuracy > 0 && relative_accuracy < 1))
    throw std::invalid_argument("QuantileSketch: relative accuracy must be in (0, 1)");
  gamma_ = (1 + alpha_) / (1 - alpha_);
  log_gamma_ = std::log(gamma_);
}

// Bin k holds (gamma^(k-1), gamma^k]; its representative 2 gamma^k / (gamma + 1) is within
// relative error alpha of every value in it.
std::uint64_t& QuantileSketch::bin(int k) {
  if (bins_.empty()) {
    offset_ = k;
    bins_.assign(1, 0);
  } else if (k < offset_) {
    bins_.insert(bins_.begin(), static_cast<std::size_t>(offset_ - k), 0);
    offset_ = k;
  } else if (k >= offset_ + static_cast<int>(bins_.size())) {
    bins_.resize(static_cast<std::size_t>(k - offset_ + 1), 0);
  }
  return bins_[static_cast<std::size_t>(k - offset_)];
}

void QuantileSketch::save(ByteWriter& w) const {
  w.pod(alpha_);
  w.pod(gamma_);
  w.pod(log_gamma_);
  w.pod(n_);
  w.pod(zeros_);
  w.pod(sum_);
  w.pod(min_);
  w.pod(max_);
  w.pod(offset_);
  w.pods(bins_);
}

void QuantileSketch::load(ByteReader& r) {
  alpha_ = r.pod<double>();
  gamma_ = r.pod<double>();
  log_gamma_ = r.pod<double>();
  n_ = r.pod<std::uint64_t>();
  zeros_ = r.pod<std::uint64_t>();
  sum_ = r.pod<double>();
  min_ = r.pod<double>();
  max_ = r.pod<double>();
  offset_ = r.pod<int>();
  bins_ = r.pods<std::uint64_t>();
}

void QuantileSketch::merge(const QuantileSketch& o) {
  if (o.alpha_ != alpha_) throw std::invalid_argument("QuantileSketch::merge: different accuracies");
  if (o.n_ == 0) return;
  if (n_ == 0) {
    min_ = o.min_;
    max_ = o.max_;
  } else {
    min_ = std::min(min_, o.min_);
    max_ = std::max(max_, o.max_);
  }
  n_ += o.n_;
  zeros_ += o.zeros_;
  sum_ += o.sum_;
  for (std::size_t i = 0; i < o.bins_.size(); ++i) {
    if (o.bins_[i] == 0) continue;
    bin(o.offset_ + static_cast<int>(i)) += o.bins_[i];
  }
}

double QuantileSketch::mean() const noexcept {
  return n_ ? sum_ / static_cast<double>(n_) : std::numeric_limits<double>::quiet_NaN();
}

double QuantileSketch::value_of_rank(std::uint64_t rank) const {
  if (rank == 0) return min_;  // the extremes are exact
  if (rank + 1 >= n_) return max_;
  if (rank < zeros_) return 0.0;
  std::uint64_t seen = zeros_;
  for (std::size_t i = 0; i < bins_.size(); ++i) {
    seen += bins_[i];
    if (rank < seen) {
      const double v = 2.0 * std::exp(static_cast<double>(offset_ + static_cast<int>(i)) * log_gamma_) / (gamma_ + 1);
      return std::clamp(v, min_, max_);
    }
  }
  return max_;
}

double QuantileSketch::quantile(double p) const {
  if (n_ == 0) return std::numeric_limits<double>::quiet_NaN();
  if (!(p >= 0.0 && p <= 1.0)) throw std::invalid_argument("quantile: p must be in [0, 1]");
  const double h = p * static_cast<double>(n_ - 1);
  const auto lo = static_cast<std::uint64_t>(std::floor(h));
  const double x_lo = value_of_rank(lo);
  if (lo + 1 >= n_) return x_lo;
  return x_lo + (h - static_cast<double>(lo)) * (value_of_rank(lo + 1) - x_lo);
}

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
