#include "careflow/engine/distribution.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <sstream>
#include <stdexcept>

namespace careflow {
namespace {

void require(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(what);
}

bool finite(double x) { return std::isfinite(x); }

}  // namespace

// ---- ziggurat samplers (Marsaglia & Tsang 2000, "The Ziggurat Method for Generating Random
// Variables", J. Stat. Softw. 5(8)) -------------------------------------------------------------
// The area under the density's right half is cut into N layers of equal area V: N - 1 rectangles
// and a base strip that also holds the tail beyond R. A draw picks a layer and a point along it
// from one 64-bit word (layer from the low bits, position from the top 53: no bit serves twice,
// which avoids the layer-position correlation Doornik 2005 found in the original); inside the
// rectangle below the next layer's edge (most draws) it is done with one multiplication and one
// comparison. Otherwise the wedge or the tail is sampled exactly, so the result has exactly the
// target distribution whatever N is. Layer edges x[0..N]: x[0] = V / f(R) (the base strip's
// width), x[1] = R, x[i+1] = f^-1(V / x[i] + f(x[i])), x[N] = 0.
namespace {

template <int N>
struct Ziggurat {
  double x[N + 1];
  double f[N + 1];  // the density (unnormalised) at each edge
  template <class F, class FInv>
  Ziggurat(double r, double v, F density, FInv inverse) {
    x[0] = v / density(r);
    x[1] = r;
    for (int i = 1; i < N - 1; ++i) x[i + 1] = inverse(v / x[i] + density(x[i]));
    x[N] = 0.0;
    for (int i = 0; i <= N; ++i) f[i] = density(x[i]);
  }
};

// 128 layers for the normal: R and V from Marsaglia & Tsang (2000), section 3.
const Ziggurat<128>& normal_layers() {
  static const Ziggurat<128> z(
      3.442619855896652, 9.91256303533646e-3, [](double x) { return std::exp(-0.5 * x * x); },
      [](double y) { return y >= 1.0 ? 0.0 : std::sqrt(-2.0 * std::log(y)); });
  return z;
}
// 256 layers for the exponential: R and V from Marsaglia & Tsang (2000), section 3.
const Ziggurat<256>& exponential_layers() {
  static const Ziggurat<256> z(
      7.69711747013104972, 3.949659822581572e-3, [](double x) { return std::exp(-x); },
      [](double y) { return y >= 1.0 ? 0.0 : -std::log(y); });
  return z;
}

// The top 53 bits of a word as a uniform on (0, 1) (never 0: a draw is never exactly an edge).
double top53(std::uint64_t w) { return (static_cast<double>(w >> 11) + 0.5) * 0x1.0p-53; }

}  // namespace

double standard_normal(RandomStream& rng) {
  static const Ziggurat<128>& z = normal_layers();
  for (;;) {
    const std::uint64_t w = rng.next_u64();
    const unsigned i = static_cast<unsigned>(w & 127u);
    const double sign = (w & 128u) ? -1.0 : 1.0;
    const double x = top53(w) * z.x[i];
    if (x < z.x[i + 1]) return sign * x;  // inside the rectangle: about 99% of draws
    if (i == 0) {
      // The tail beyond R (Marsaglia 1964): R + a with a exponential of rate R, kept with
      // probability exp(-a^2 / 2).
      for (;;) {
        const double a = -std::log(rng.uniform01()) / z.x[1];
        const double b = -std::log(rng.uniform01());
        if (2.0 * b > a * a) return sign * (z.x[1] + a);
      }
    }
    // The wedge between the rectangle and the curve: a height uniform over the layer.
    if (z.f[i] + rng.uniform01() * (z.f[i + 1] - z.f[i]) < std::exp(-0.5 * x * x)) return sign * x;
  }
}

double standard_exponential(RandomStream& rng) {
  static const Ziggurat<256>& z = exponential_layers();
  for (;;) {
    const std::uint64_t w = rng.next_u64();
    const unsigned i = static_cast<unsigned>(w & 255u);
    const double x = top53(w) * z.x[i];
    if (x < z.x[i + 1]) return x;  // inside the rectangle: about 99% of draws
    if (i == 0) return z.x[1] - std::log(rng.uniform01());  // the tail: memoryless beyond R
    if (z.f[i] + rng.uniform01() * (z.f[i + 1] - z.f[i]) < std::exp(-x)) return x;
  }
}

Distribution Distribution::deterministic(double value) {
  require(finite(value), "deterministic: value must be finite");
  Distribution d;
  d.kind_ = Kind::Deterministic;
  d.p_[0] = value;
  return d;
}

Distribution Distribution::exponential(double mean) {
  require(finite(mean) && mean > 0, "exponential: mean must be > 0");
  Distribution d;
  d.kind_ = Kind::Exponential;
  d.p_[0] = mean;
  return d;
}

Distribution Distribution::uniform(double a, double b) {
  require(finite(a) && finite(b) && a <= b, "uniform: need min <= max");
  Distribution d;
  d.kind_ = Kind::Uniform;
  d.p_[0] = a;
  d.p_[1] = b;
  return d;
}

Distribution Distribution::normal(double mean, double sd) {
  require(finite(mean) && finite(sd) && sd >= 0, "normal: sd must be >= 0");
  Distribution d;
  d.kind_ = Kind::Normal;
  d.p_[0] = mean;
  d.p_[1] = sd;
  return d;
}

Distribution Distribution::lognormal(double mean, double sd) {
  require(finite(mean) && mean > 0, "lognormal: mean must be > 0");
  require(finite(sd) && sd >= 0, "lognormal: sd must be >= 0");
  // Parameters of the underlying normal from the mean and sd of the variable itself.
  const double sigma2 = std::log1p((sd * sd) / (mean * mean));
  Distribution d;
  d.kind_ = Kind::Lognormal;
  d.p_[0] = std::log(mean) - 0.5 * sigma2;
  d.p_[1] = std::sqrt(sigma2);
  return d;
}

Distribution Distribution::gamma(double shape, double scale) {
  require(finite(shape) && shape > 0, "gamma: shape must be > 0");
  require(finite(scale) && scale > 0, "gamma: scale must be > 0");
  Distribution d;
  d.kind_ = Kind::Gamma;
  d.p_[0] = shape;
  d.p_[1] = scale;
  return d;
}

Distribution Distribution::weibull(double shape, double scale) {
  require(finite(shape) && shape > 0, "weibull: shape must be > 0");
  require(finite(scale) && scale > 0, "weibull: scale must be > 0");
  Distribution d;
  d.kind_ = Kind::Weibull;
  d.p_[0] = shape;
  d.p_[1] = scale;
  return d;
}

Distribution Distribution::triangular(double min, double mode, double max) {
  require(finite(min) && finite(mode) && finite(max), "triangular: values must be finite");
  require(min <= mode && mode <= max && min < max, "triangular: need min <= mode <= max, min < max");
  Distribution d;
  d.kind_ = Kind::Triangular;
  d.p_[0] = min;
  d.p_[1] = mode;
  d.p_[2] = max;
  return d;
}

Distribution Distribution::discrete(std::vector<double> values, std::vector<double> weights) {
  require(!values.empty(), "discrete: needs at least one value");
  require(values.size() == weights.size(), "discrete: values and weights differ in length");
  double total = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    require(finite(values[i]), "discrete: values must be finite");
    require(finite(weights[i]) && weights[i] >= 0, "discrete: weights must be >= 0");
    total += weights[i];
  }
  require(total > 0, "discrete: weights must not all be zero");
  auto t = std::make_shared<Table>();
  t->values = std::move(values);
  t->cumulative.resize(weights.size());
  double run = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    run += weights[i];
    t->cumulative[i] = run / total;
  }
  t->cumulative.back() = 1.0;
  Distribution d;
  d.kind_ = Kind::Discrete;
  d.table_ = std::move(t);
  return d;
}

Distribution Distribution::empirical(std::vector<double> observations) {
  require(!observations.empty(), "empirical: needs at least one observation");
  for (double x : observations) require(finite(x), "empirical: observations must be finite");
  std::sort(observations.begin(), observations.end());
  auto t = std::make_shared<Table>();
  t->values = std::move(observations);
  Distribution d;
  d.kind_ = Kind::Empirical;
  d.table_ = std::move(t);
  return d;
}

double Distribution::sample(RandomStream& rng) const {
  switch (kind_) {
    case Kind::Deterministic:
      return p_[0];
    case Kind::Exponential:
      return p_[0] * standard_exponential(rng);
    case Kind::Uniform:
      return p_[0] + (p_[1] - p_[0]) * rng.uniform01();
    case Kind::Normal:
      return p_[0] + p_[1] * standard_normal(rng);
    case Kind::Lognormal:
      return std::exp(p_[0] + p_[1] * standard_normal(rng));
    case Kind::Gamma: {
      // Marsaglia & Tsang (2000); for shape < 1, boost by Gamma(k + 1) * U^(1/k).
      const double k = p_[0];
      const double boost_shape = k < 1.0 ? k + 1.0 : k;
      const double dd = boost_shape - 1.0 / 3.0;
      const double c = 1.0 / std::sqrt(9.0 * dd);
      double g = 0;
      for (;;) {
        const double x = standard_normal(rng);
        double v = 1.0 + c * x;
        if (v <= 0) continue;
        v = v * v * v;
        const double u = rng.uniform01();
        if (std::log(u) < 0.5 * x * x + dd - dd * v + dd * std::log(v)) {
          g = dd * v;
          break;
        }
      }
      if (k < 1.0) g *= std::pow(rng.uniform01(), 1.0 / k);
      return g * p_[1];
    }
    case Kind::Weibull:
      return p_[1] * std::pow(standard_exponential(rng), 1.0 / p_[0]);
    case Kind::Triangular: {
      const double a = p_[0], c = p_[1], b = p_[2];
      const double u = rng.uniform01();
      const double fc = (c - a) / (b - a);
      return u < fc ? a + std::sqrt(u * (b - a) * (c - a)) : b - std::sqrt((1 - u) * (b - a) * (b - c));
    }
    case Kind::Discrete: {
      const double u = rng.uniform01();
      const auto& cum = table_->cumulative;
      const auto it = std::upper_bound(cum.begin(), cum.end(), u);
      const auto i = std::min<std::size_t>(static_cast<std::size_t>(it - cum.begin()), cum.size() - 1);
      return table_->values[i];
    }
    case Kind::Empirical: {
      const auto& x = table_->values;
      if (x.size() == 1) return x[0];
      const double pos = rng.uniform01() * static_cast<double>(x.size() - 1);
      const auto i = static_cast<std::size_t>(pos);
      return x[i] + (pos - static_cast<double>(i)) * (x[i + 1] - x[i]);
    }
  }
  return 0.0;
}

double Distribution::mean() const {
  switch (kind_) {
    case Kind::Deterministic:
    case Kind::Exponential:
    case Kind::Normal:
      return p_[0];
    case Kind::Uniform:
      return 0.5 * (p_[0] + p_[1]);
    case Kind::Lognormal:
      return std::exp(p_[0] + 0.5 * p_[1] * p_[1]);
    case Kind::Gamma:
      return p_[0] * p_[1];
    case Kind::Weibull:
      return p_[1] * std::tgamma(1.0 + 1.0 / p_[0]);
    case Kind::Triangular:
      return (p_[0] + p_[1] + p_[2]) / 3.0;
    case Kind::Discrete: {
      double m = 0, prev = 0;
      for (std::size_t i = 0; i < table_->values.size(); ++i) {
        m += table_->values[i] * (table_->cumulative[i] - prev);
        prev = table_->cumulative[i];
      }
      return m;
    }
    case Kind::Empirical: {
      const auto& x = table_->values;
      if (x.size() == 1) return x[0];
      double s = 0;
      for (std::size_t i = 0; i + 1 < x.size(); ++i) s += 0.5 * (x[i] + x[i + 1]);
      return s / static_cast<double>(x.size() - 1);
    }
  }
  return 0.0;
}

double Distribution::variance() const {
  switch (kind_) {
    case Kind::Deterministic:
      return 0.0;
    case Kind::Exponential:
      return p_[0] * p_[0];
    case Kind::Uniform:
      return (p_[1] - p_[0]) * (p_[1] - p_[0]) / 12.0;
    case Kind::Normal:
      return p_[1] * p_[1];
    case Kind::Lognormal: {
      const double s2 = p_[1] * p_[1];
      return std::expm1(s2) * std::exp(2 * p_[0] + s2);
    }
    case Kind::Gamma:
      return p_[0] * p_[1] * p_[1];
    case Kind::Weibull: {
      const double g1 = std::tgamma(1.0 + 1.0 / p_[0]);
      return p_[1] * p_[1] * (std::tgamma(1.0 + 2.0 / p_[0]) - g1 * g1);
    }
    case Kind::Triangular: {
      const double a = p_[0], c = p_[1], b = p_[2];
      return (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0;
    }
    case Kind::Discrete: {
      double m = mean(), v = 0, prev = 0;
      for (std::size_t i = 0; i < table_->values.size(); ++i) {
        const double dx = table_->values[i] - m;
        v += dx * dx * (table_->cumulative[i] - prev);
        prev = table_->cumulative[i];
      }
      return v;
    }
    case Kind::Empirical: {
      const auto& x = table_->values;
      if (x.size() == 1) return 0.0;
      // Second moment of the piecewise-linear quantile function, segment by segment.
      double s2 = 0;
      for (std::size_t i = 0; i + 1 < x.size(); ++i) s2 += (x[i] * x[i] + x[i] * x[i + 1] + x[i + 1] * x[i + 1]) / 3.0;
      const double m = mean();
      return s2 / static_cast<double>(x.size() - 1) - m * m;
    }
  }
  return 0.0;
}

Distribution Distribution::scaled(double factor) const {
  require(finite(factor) && factor > 0, "scaled: factor must be > 0");
  switch (kind_) {
    case Kind::Deterministic: return deterministic(p_[0] * factor);
    case Kind::Exponential: return exponential(p_[0] * factor);
    case Kind::Uniform: return uniform(p_[0] * factor, p_[1] * factor);
    case Kind::Normal: return normal(p_[0] * factor, p_[1] * factor);
    case Kind::Lognormal: {
      Distribution d = *this;
      d.p_[0] += std::log(factor);
      return d;
    }
    case Kind::Gamma: return gamma(p_[0], p_[1] * factor);
    case Kind::Weibull: return weibull(p_[0], p_[1] * factor);
    case Kind::Triangular: return triangular(p_[0] * factor, p_[1] * factor, p_[2] * factor);
    case Kind::Discrete:
    case Kind::Empirical: {
      auto t = std::make_shared<Table>(*table_);
      for (double& v : t->values) v *= factor;
      Distribution d = *this;
      d.table_ = std::move(t);
      return d;
    }
  }
  return *this;
}

std::string Distribution::describe() const {
  std::ostringstream o;
  switch (kind_) {
    case Kind::Deterministic: o << "deterministic(" << p_[0] << ")"; break;
    case Kind::Exponential: o << "exponential(mean=" << p_[0] << ")"; break;
    case Kind::Uniform: o << "uniform(" << p_[0] << ", " << p_[1] << ")"; break;
    case Kind::Normal: o << "normal(mean=" << p_[0] << ", sd=" << p_[1] << ")"; break;
    case Kind::Lognormal: o << "lognormal(mean=" << mean() << ", sd=" << std::sqrt(variance()) << ")"; break;
    case Kind::Gamma: o << "gamma(shape=" << p_[0] << ", scale=" << p_[1] << ")"; break;
    case Kind::Weibull: o << "weibull(shape=" << p_[0] << ", scale=" << p_[1] << ")"; break;
    case Kind::Triangular: o << "triangular(" << p_[0] << ", " << p_[1] << ", " << p_[2] << ")"; break;
    case Kind::Discrete: o << "discrete(" << table_->values.size() << " values)"; break;
    case Kind::Empirical: o << "empirical(" << table_->values.size() << " observations)"; break;
  }
  return o.str();
}

}  // namespace careflow
