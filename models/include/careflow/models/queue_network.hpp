// A generic open queueing network on the engine: stations (services) with capacity,
// service-time distribution, queue discipline and routing; one logical process per station.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "careflow/engine/distribution.hpp"
#include "careflow/engine/event.hpp"
#include "careflow/engine/resource.hpp"
#include "careflow/engine/statistics.hpp"

namespace careflow::models {

/// Where a customer goes after service: to another station (by index) with a probability.
/// Probabilities of a station's routes sum to at most 1; the remainder leaves the system.
struct Route {
  std::size_t to = 0;
  double probability = 0;
};

struct StationSpec {
  std::string name;
  std::uint32_t capacity = 1;
  Distribution service = Distribution::exponential(1.0);  // days
  double external_arrivals_per_day = 0;                   // Poisson
  std::uint32_t max_queue = Resource::kUnlimited;
  std::vector<Route> routes;
  SimTime handoff_delay = 1.0;  // days from this station's exit to the next station's arrival
};

struct NetworkSpec {
  std::string name;
  std::vector<StationSpec> stations;
  SimTime horizon_days = 365;
  SimTime warmup_days = 0;
};

/// Statistics of one station over one replication (after warm-up).
struct StationResult {
  std::string name;
  std::uint64_t arrivals = 0;
  std::uint64_t served = 0;
  std::uint64_t balked = 0;
  double mean_wait = 0;      // days, of customers who started service
  double p90_wait = 0;       // days
  double mean_queue = 0;     // time-average number waiting
  double utilisation = 0;    // busy / available unit-time
};

struct NetworkResult {
  std::vector<StationResult> stations;
  std::uint64_t entered = 0, exited = 0, in_system = 0;  // people conservation
  std::uint64_t events = 0;
  std::uint64_t fingerprint = 0;
};

/// Checks the spec (capacities, routes, probabilities); throws std::invalid_argument naming the station.
void validate(const NetworkSpec& spec);

/// The handoff delays bound the lookahead: the smallest one among stations that route.
SimTime lookahead_of(const NetworkSpec& spec);

/// Runs one replication sequentially. Throws std::runtime_error if an invariant fails.
NetworkResult run_network(const NetworkSpec& spec, std::uint64_t seed, std::uint64_t replication);

/// The built-in demonstration network: a council's front door, assessment and services.
NetworkSpec demo_network();

}  // namespace careflow::models
