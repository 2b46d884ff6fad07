#include "careflow/models/scale.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace careflow::models {

namespace {

std::uint32_t scale_places(std::uint32_t places, double factor) {
  if (places == 0) return 0;
  const double x = std::round(static_cast<double>(places) * factor);
  if (x >= 4.0e9) throw std::invalid_argument("scale: a service would have more than 4e9 places");
  return x < 1.0 ? 1u : static_cast<std::uint32_t>(x);
}

}  // namespace

Scenario scaled(Scenario s, double factor) {
  if (!(factor > 0.0) || !std::isfinite(factor))
    throw std::invalid_argument("scale: the factor must be a finite number > 0, got " + std::to_string(factor));
  for (CohortSpec& c : s.cohorts) c.population *= factor;
  for (ServiceSpec& v : s.services) {
    v.capacity = scale_places(v.capacity, factor);
    for (CapacityStep& step : v.capacity_schedule) step.capacity = scale_places(step.capacity, factor);
  }
  for (AgencySpec& a : s.agencies) a.annual_budget *= factor;
  for (PoolSpec& p : s.pools) p.annual_budget *= factor;
  for (OneOffCost& c : s.one_off_costs) c.amount *= factor;
  for (RecurringCost& c : s.recurring_costs) c.per_year *= factor;
  return s;
}

}  // namespace careflow::models
