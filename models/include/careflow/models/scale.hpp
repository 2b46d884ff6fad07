// Scaling a scenario's size: the same care system for a population `factor` times larger.
#pragma once

#include "careflow/models/scenario.hpp"

namespace careflow::models {

/// The scenario with every cohort's population, every service's places (at the start and in
/// capacity schedules, rounded, at least 1 where there was at least 1), every budget and every
/// booked cost multiplied by `factor` > 0. Rates per person, durations and routing are
/// unchanged, so waits and indicators stay comparable while events and memory grow with the
/// population. Throws std::invalid_argument unless factor is finite and > 0.
Scenario scaled(Scenario s, double factor);

}  // namespace careflow::models
