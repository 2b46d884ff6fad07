// The reasons medically fit patients wait in a hospital bed, numbered for the figures: the
// discharge checks' reasons, then the services the hospital sends patients to (each service's
// dtoc_reason, or its name), each label once, in scenario order. Delayed bed-days are reported
// by these reasons for the indicators' hospital (indicators/delayed_bed_days_per_year by reason).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "careflow/models/scenario.hpp"

namespace careflow::models::care {

struct DelayReasons {
  static constexpr std::size_t kMost = 255;   // numbers fit a byte of the person record
  std::vector<std::string> labels;            // the last is "other reasons" when more than kMost
  std::vector<std::uint8_t> of_check;         // discharge check -> reason
  std::vector<std::uint8_t> of_service;       // awaited service -> reason

  explicit DelayReasons(const Scenario& s);
};

// The label of a wait for service `sv`: its dtoc_reason, or its name.
const std::string& delay_label(const ServiceSpec& v);

}  // namespace careflow::models::care
