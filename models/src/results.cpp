#include "careflow/models/results.hpp"

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

}  // namespace careflow::models
