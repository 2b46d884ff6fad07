// The metric table over a site's figures (private to models/).
#pragma once

#include <vector>

#include "careflow/models/metrics.hpp"
#include "care/site_figures.hpp"

namespace careflow::models::care {

/// The figures of `f` in report order; the ids alone are those of SiteFigures(s) (metric_ids).
void collect(const Scenario& s, const SiteFigures& f, std::vector<MetricId>* ids, std::vector<double>* values);

}  // namespace careflow::models::care
