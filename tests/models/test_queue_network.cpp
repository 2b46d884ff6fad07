#include <catch2/catch.hpp>

#include <vector>

#include "careflow/engine/statistics.hpp"
#include "careflow/models/queue_network.hpp"
#include "engine/mmc_model.hpp"

using namespace careflow;
using namespace careflow::models;

namespace {

// Jackson network: A (M/M/1) feeds B (M/M/2) with probability 0.6, B feeds back to A with
// probability 0.25. Traffic equations: lA = 0.3 + 0.25 lB, lB = 0.6 lA.
NetworkSpec jackson() {
  NetworkSpec n;
  n.name = "jackson";
  n.horizon_days = 30000;
  n.warmup_days = 2000;
  n.stations = {
      StationSpec{"A", 1, Distribution::exponential(1.0), 0.3, Resource::kUnlimited, {{1, 0.6}}, 0.5},
      StationSpec{"B", 2, Distribution::exponential(2.0), 0.0, Resource::kUnlimited, {{0, 0.25}}, 0.5},
  };
  return n;
}

}  // namespace

TEST_CASE("a Jackson network matches product-form theory", "[models][theory][statistical]") {
  const NetworkSpec spec = jackson();
  const double la = 0.3 / (1 - 0.25 * 0.6), lb = 0.6 * la;
  std::vector<double> wa, wb, ua, ub;
  for (int r = 0; r < 20; ++r) {
    const NetworkResult res = run_network(spec, 77, r);
    wa.push_back(res.stations[0].mean_wait);
    wb.push_back(res.stations[1].mean_wait);
    ua.push_back(res.stations[0].utilisation);
    ub.push_back(res.stations[1].utilisation);
  }
  // Each station behaves as an independent M/M/c with its total arrival rate.
  const auto ci_wa = confidence_interval(wa, 0.99), ci_wb = confidence_interval(wb, 0.99);
  INFO("A: " << ci_wa.mean << " ± " << ci_wa.half_width << " vs " << testing::erlang_c_wait(la, 1.0, 1));
  CHECK(ci_wa.contains(testing::erlang_c_wait(la, 1.0, 1)));
  INFO("B: " << ci_wb.mean << " ± " << ci_wb.half_width << " vs " << testing::erlang_c_wait(lb, 0.5, 2));
  CHECK(ci_wb.contains(testing::erlang_c_wait(lb, 0.5, 2)));
  CHECK(confidence_interval(ua, 0.99).contains(la));
  CHECK(confidence_interval(ub, 0.99).contains(lb * 2.0 / 2));
}

TEST_CASE("the network conserves people and is deterministic", "[models][determinism]") {
  NetworkSpec spec = demo_network();
  spec.warmup_days = 100;
  spec.horizon_days = 400;
  const NetworkResult a = run_network(spec, 5, 0);
  const NetworkResult b = run_network(spec, 5, 0);
  const NetworkResult c = run_network(spec, 5, 1);
  CHECK(a.entered == a.exited + a.in_system);
  CHECK(a.entered > 10000);
  CHECK(a.fingerprint == b.fingerprint);
  CHECK(a.events == b.events);
  CHECK(a.fingerprint != c.fingerprint);
}

TEST_CASE("invalid networks are refused with the station's name", "[models][validation]") {
  NetworkSpec spec = jackson();
  spec.stations[1].routes = {{0, 0.7}, {1, 0.5}};
  CHECK_THROWS_WITH(validate(spec), Catch::Contains("station 'B'") && Catch::Contains("sum to more than 1"));
  spec = jackson();
  spec.stations[0].capacity = 0;
  CHECK_THROWS_WITH(validate(spec), Catch::Contains("station 'A'") && Catch::Contains("capacity"));
  spec = jackson();
  spec.stations[0].routes = {{5, 0.5}};
  CHECK_THROWS_WITH(validate(spec), Catch::Contains("unknown station"));
}
