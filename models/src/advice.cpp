#include "careflow/models/advice.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

#include "careflow/engine/statistics.hpp"

namespace careflow::models {

std::size_t mser5(const std::vector<double>& series) {
  constexpr std::size_t kBatch = 5;
  std::vector<double> batches;
  for (std::size_t i = 0; i + kBatch <= series.size(); i += kBatch) {
    double sum = 0;
    for (std::size_t k = 0; k < kBatch; ++k) sum += series[i + k];
    batches.push_back(sum / kBatch);
  }
  const std::size_t n = batches.size();
  if (n < 4) return 0;
  // Suffix sums give every truncation's mean and squared deviations in one pass.
  std::vector<double> s1(n + 1, 0.0), s2(n + 1, 0.0);
  for (std::size_t i = n; i-- > 0;) {
    s1[i] = s1[i + 1] + batches[i];
    s2[i] = s2[i + 1] + batches[i] * batches[i];
  }
  std::size_t best = 0;
  double best_value = std::numeric_limits<double>::infinity();
  for (std::size_t d = 0; d <= n / 2; ++d) {
    const double m = static_cast<double>(n - d);
    const double ss = s2[d] - s1[d] * s1[d] / m;
    const double value = std::max(0.0, ss) / (m * m);
    if (value < best_value) {
      best_value = value;
      best = d;
    }
  }
  return best * kBatch;
}

Advice advise(const RunResult& pilot, const std::string& metric, double relative_precision) {
  if (!(relative_precision > 0)) throw std::invalid_argument("--precision must be > 0");
  if (pilot.replications.empty()) throw std::invalid_argument("advice needs a pilot run");
  Advice a;
  // Warm-up: mean weekly occupancy summed over services, averaged over replications.
  const Series& first = pilot.replications.front().series;
  const std::size_t weeks = first.time_days.size();
  std::vector<double> total(weeks, 0.0);
  for (const ReplicationResult& r : pilot.replications) {
    const Series& se = r.series;
    for (std::size_t w = 0; w < weeks && w < se.time_days.size(); ++w)
      for (std::size_t v = 0; v < se.services; ++v) total[w] += se.occupancy[w * se.services + v];
  }
  a.warmup_weeks = mser5(total);
  a.warmup_at_limit = a.warmup_weeks + 5 >= weeks / 2;
  a.warmup_years = weeks ? first.time_days[std::min(a.warmup_weeks, weeks - 1)] / kDaysPerYear : 0.0;
  if (a.warmup_weeks == 0) a.warmup_years = 0;

  // Replications: n = (t * sd / target)^2, with t for the pilot's degrees of freedom.
  std::string family = metric, name, subject;
  if (auto p = family.find('/'); p != std::string::npos) {
    name = family.substr(p + 1);
    family.resize(p);
    if (auto q = name.find('/'); q != std::string::npos) {
      subject = name.substr(q + 1);
      name.resize(q);
    }
  }
  const Metric* m = nullptr;
  for (const Metric& x : pilot.summary)
    if (x.id.family == family && x.id.name == name && x.id.subject == subject) m = &x;
  if (!m) throw std::invalid_argument("unknown metric '" + metric + "' (write family/name or family/name/subject, as in --json)");
  a.metric = m->id;
  a.mean = m->ci.mean;
  a.half_width = m->ci.half_width;
  a.target_half_width = relative_precision * std::abs(a.mean);
  Tally t;
  for (double x : m->values)
    if (!std::isnan(x)) t.add(x);
  if (t.count() < 2) throw std::invalid_argument("advice needs a pilot of at least 2 replications");
  const double sd = t.sd();
  if (!(a.target_half_width > 0) || !(sd > 0)) {
    a.replications = 2;
    return a;
  }
  const double tq = student_t_quantile(0.975, static_cast<double>(t.count() - 1));
  a.replications = std::max<std::size_t>(2, static_cast<std::size_t>(std::ceil(std::pow(tq * sd / a.target_half_width, 2))));
  return a;
}

}  // namespace careflow::models
