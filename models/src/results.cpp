#include "careflow/models/results.hpp"

#include <algorithm>
#include <cmath>

namespace careflow::models {

void summarise(RunResult& result, double level) {
  result.summary.clear();
  result.summary.reserve(result.metric_ids.size());
  for (std::size_t m = 0; m < result.metric_ids.size(); ++m) {
    Metric metric;
    metric.id = result.metric_ids[m];
    for (const ReplicationResult& r : result.replications) metric.values.push_back(r.metric_values.at(m));
    metric.ci = confidence_interval(metric.values, level);
    result.summary.push_back(std::move(metric));
  }
}

QueueStability check_queue_stability(const std::vector<Metric>& summary) {
  QueueStability out;
  auto mean_queue = [&](const std::string& service) {
    for (const Metric& m : summary)
      if (m.id.family == "activity" && m.id.name == "mean_queue" && m.id.subject == service) return m.ci.mean;
    return 0.0;
  };
  for (const Metric& m : summary) {
    if (m.id.family != "activity" || m.id.name != "queue_growth") continue;
    std::vector<double> v;
    for (double x : m.values)
      if (!std::isnan(x)) v.push_back(x);
    out.replications = std::max(out.replications, v.size());
    if (v.size() < QueueStability::kMinReplications) continue;
    out.tested = true;
    double mean = 0;
    for (double x : v) mean += x;
    mean /= static_cast<double>(v.size());
    double ss = 0;
    for (double x : v) ss += (x - mean) * (x - mean);
    const double se = std::sqrt(ss / static_cast<double>(v.size() - 1) / static_cast<double>(v.size()));
    const double lower = mean - student_t_quantile(QueueStability::kLevel, static_cast<double>(v.size() - 1)) * se;
    const double q = mean_queue(m.id.subject);
    const bool material = mean >= QueueStability::kMaterialPeople && mean >= QueueStability::kMaterialShare * q;
    if (lower > 0 && material) out.unstable.push_back({m.id.subject, mean, lower, q});
  }
  return out;
}

}  // namespace careflow::models
