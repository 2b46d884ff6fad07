// Statistics within one replication and across replications.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "careflow/engine/bytes.hpp"
#include "careflow/engine/event.hpp"

namespace careflow {

/// Count, mean, variance (Welford's online algorithm, numerically stable), min and max.
class Tally {
 public:
  void add(double x) noexcept {
    ++n_;
    const double d = x - mean_;
    mean_ += d / static_cast<double>(n_);
    m2_ += d * (x - mean_);
    if (x < min_) min_ = x;
    if (x > max_) max_ = x;
  }
  void reset() noexcept { *this = Tally{}; }
  /// Add another tally's observations (Chan et al.'s pairwise update): as if all were added here.
  void merge(const Tally& o) noexcept {
    if (o.n_ == 0) return;
    if (n_ == 0) {
      *this = o;
      return;
    }
    const double n = static_cast<double>(n_ + o.n_), d = o.mean_ - mean_;
    m2_ += o.m2_ + d * d * static_cast<double>(n_) * static_cast<double>(o.n_) / n;
    mean_ += d * static_cast<double>(o.n_) / n;
    n_ += o.n_;
    if (o.min_ < min_) min_ = o.min_;
    if (o.max_ > max_) max_ = o.max_;
  }

  std::uint64_t count() const noexcept { return n_; }
  double mean() const noexcept { return n_ ? mean_ : std::numeric_limits<double>::quiet_NaN(); }
  /// Sample variance (n - 1 denominator).
  double variance() const noexcept {
    return n_ > 1 ? m2_ / static_cast<double>(n_ - 1) : std::numeric_limits<double>::quiet_NaN();
  }
  double sd() const noexcept;
  double min() const noexcept { return n_ ? min_ : std::numeric_limits<double>::quiet_NaN(); }
  double max() const noexcept { return n_ ? max_ : std::numeric_limits<double>::quiet_NaN(); }

 private:
  std::uint64_t n_ = 0;
  double mean_ = 0, m2_ = 0;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
};

/// A level that holds between changes (queue length, busy servers, occupancy);
/// its mean is weighted by the time spent at each level.
class TimeWeighted {
 public:
  explicit TimeWeighted(SimTime start = 0.0) noexcept : start_(start), last_(start) {}

  void set(SimTime now, double level) noexcept {
    area_ += level_ * (now - last_);
    last_ = now;
    level_ = level;
    if (level > max_) max_ = level;
  }
  void add(SimTime now, double delta) noexcept { set(now, level_ + delta); }

  /// Forget the history (e.g. at the end of the warm-up), keeping the current level.
  void reset(SimTime now) noexcept {
    start_ = last_ = now;
    area_ = 0;
    max_ = level_;
  }

  /// Add another level observed over the same period (same start): the sum of two levels, up
  /// to `now`. The maximum becomes the larger of the two maxima (a bound, not the sum's maximum).
  void merge(const TimeWeighted& o, SimTime now) noexcept {
    area_ = area(now) + o.area(now);
    last_ = now;
    level_ += o.level_;
    if (o.max_ > max_) max_ = o.max_;
  }

  double level() const noexcept { return level_; }
  double max() const noexcept { return max_; }
  /// Time average over [start, now].
  double mean(SimTime now) const noexcept {
    const double span = now - start_;
    return span > 0 ? (area_ + level_ * (now - last_)) / span : level_;
  }
  /// Integral of the level over [start, now] (e.g. bed-days).
  double area(SimTime now) const noexcept { return area_ + level_ * (now - last_); }

 private:
  SimTime start_, last_;
  double level_ = 0, area_ = 0, max_ = 0;
};

/// Quantiles of non-negative observations (waiting times) in fixed memory: a log-binned
/// histogram (as DDSketch, Masson et al. 2019) with exact zeros, count, sum, min and max.
/// A bin holds values within a factor gamma = (1 + a) / (1 - a) of each other, so every order
/// statistic is known within relative error a; quantile(p) interpolates between the two order
/// statistics around rank p (n - 1) as Hyndman-Fan type 7 does, and is therefore within
/// relative error a of the exact type-7 quantile. The mean is exact. Memory grows with the
/// spread of the values (about 460 bins per factor 10 at a = 0.5%), never with their number.
class QuantileSketch {
 public:
  explicit QuantileSketch(double relative_accuracy = 0.005);

  /// Adds x >= 0 (negative values count as 0; NaN is ignored). Inline: one per service start.
  void add(double x) {
    if (std::isnan(x)) return;
    if (x < 0) x = 0;
    if (n_ == 0) {
      min_ = max_ = x;
    } else {
      min_ = std::min(min_, x);
      max_ = std::max(max_, x);
    }
    ++n_;
    sum_ += x;
    // Values too small for a bin (below 1e-300) count as zeros: no wait at all, in practice.
    if (!(x > 1e-300)) {
      ++zeros_;
      return;
    }
    const int k = index_of(x);
    if (k >= offset_ && static_cast<std::size_t>(k - offset_) < bins_.size()) {
      ++bins_[static_cast<std::size_t>(k - offset_)];  // the usual case: a bin already held
      return;
    }
    ++bin(k);
  }
  /// Adds every observation of `other` (same accuracy).
  void merge(const QuantileSketch& other);

  std::uint64_t count() const noexcept { return n_; }
  double sum() const noexcept { return sum_; }
  double mean() const noexcept;
  double min() const noexcept { return n_ ? min_ : std::numeric_limits<double>::quiet_NaN(); }
  double max() const noexcept { return n_ ? max_ : std::numeric_limits<double>::quiet_NaN(); }
  double relative_accuracy() const noexcept { return alpha_; }
  /// Estimate of the type-7 quantile, p in [0, 1]; NaN when empty.
  double quantile(double p) const;
  /// Bytes held by the bins.
  std::size_t memory_bytes() const noexcept { return bins_.capacity() * sizeof(std::uint64_t); }
  /// The sketch as bytes and back, exactly (to gather results from MPI ranks).
  void save(ByteWriter& w) const;
  void load(ByteReader& r);

 private:
  int index_of(double x) const { return static_cast<int>(std::ceil(std::log(x) / log_gamma_)); }
  std::uint64_t& bin(int k);  // the count of bin k, growing the dense store to reach it
  double value_of_rank(std::uint64_t rank) const;  // 0-based order statistic, estimated

  double alpha_, gamma_, log_gamma_;
  std::uint64_t n_ = 0, zeros_ = 0;
  double sum_ = 0, min_ = 0, max_ = 0;
  int offset_ = 0;                   // bin index of bins_[0]
  std::vector<std::uint64_t> bins_;  // counts of bins offset_, offset_ + 1, ...
};

/// Exact quantile p in [0, 1] of `values` (sorted or not; the span is not modified): linear
/// interpolation between order statistics (Hyndman-Fan type 7, the default of R and numpy).
/// NaN when empty.
double quantile(std::span<const double> values, double p);

/// A two-sided Student-t confidence interval for a mean.
struct ConfidenceInterval {
  double mean = std::numeric_limits<double>::quiet_NaN();
  double half_width = std::numeric_limits<double>::quiet_NaN();
  std::size_t n = 0;
  double level = 0.95;

  double lower() const noexcept { return mean - half_width; }
  double upper() const noexcept { return mean + half_width; }
  bool contains(double x) const noexcept { return lower() <= x && x <= upper(); }
};

/// Quantile of Student's t distribution with `df` degrees of freedom.
double student_t_quantile(double p, double df);

/// Interval for the mean of independent replication results (NaNs are skipped).
/// With one value the half-width is NaN: one replication gives no interval.
ConfidenceInterval confidence_interval(std::span<const double> values, double level = 0.95);

/// Paired interval for the mean of (b[i] - a[i]): replication i of both scenarios used the
/// same random streams, so the pairing removes the shared noise.
ConfidenceInterval paired_difference(std::span<const double> a, std::span<const double> b, double level = 0.95);

}  // namespace careflow
