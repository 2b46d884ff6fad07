// Probability distributions sampled from keyed random streams.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "careflow/engine/random.hpp"

namespace careflow {

/// A univariate distribution of a non-negative or real quantity (durations, counts, values).
/// A small value type: scenarios build them from data, models copy them freely.
/// Our own samplers over Philox, not std:: distributions, whose output differs between
/// standard libraries; golden values are pinned in the tests.
class Distribution {
 public:
  enum class Kind {
    Deterministic,  // value
    Exponential,    // mean
    Uniform,        // [a, b)
    Normal,         // mean, sd
    Lognormal,      // mean, sd of the variable itself (not of its logarithm)
    Gamma,          // shape k, scale theta
    Weibull,        // shape k, scale lambda
    Triangular,     // min, mode, max
    Discrete,       // values with weights
    Empirical,      // piecewise-linear between sorted observations (continuous ECDF)
  };

  /// A point mass at zero.
  Distribution() = default;

  static Distribution deterministic(double value);
  static Distribution exponential(double mean);
  static Distribution uniform(double a, double b);
  static Distribution normal(double mean, double sd);
  static Distribution lognormal(double mean, double sd);
  static Distribution gamma(double shape, double scale);
  static Distribution weibull(double shape, double scale);
  static Distribution triangular(double min, double mode, double max);
  static Distribution discrete(std::vector<double> values, std::vector<double> weights);
  static Distribution empirical(std::vector<double> observations);

  double sample(RandomStream& rng) const;
  double mean() const;
  double variance() const;
  Kind kind() const noexcept { return kind_; }
  /// e.g. "lognormal(mean=90, sd=60)".
  std::string describe() const;

  /// Same distribution with every value multiplied by `factor` (> 0).
  Distribution scaled(double factor) const;

 private:
  struct Table {
    std::vector<double> values;
    std::vector<double> cumulative;  // Discrete: cumulative probabilities, last == 1
  };

  Kind kind_ = Kind::Deterministic;
  double p_[3] = {0.0, 0.0, 0.0};
  std::shared_ptr<const Table> table_;  // shared: immutable, copied with the distribution
};

/// A standard normal variate (ziggurat, 128 layers: one 64-bit word for about 99% of draws).
double standard_normal(RandomStream& rng);

/// A standard exponential variate, mean 1 (ziggurat, 256 layers: one word for about 99% of draws).
double standard_exponential(RandomStream& rng);

}  // namespace careflow
