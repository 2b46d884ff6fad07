#include "care/delays.hpp"

#include <algorithm>

namespace careflow::models::care {

const std::string& delay_label(const ServiceSpec& v) { return v.dtoc_reason.empty() ? v.name : v.dtoc_reason; }

DelayReasons::DelayReasons(const Scenario& s) : of_check(s.discharge_checks.size(), 0), of_service(s.services.size(), 0) {
  auto number = [&](const std::string& label) -> std::uint8_t {
    const auto at = std::find(labels.begin(), labels.end(), label);
    if (at != labels.end()) return static_cast<std::uint8_t>(at - labels.begin());
    if (labels.size() == kMost) labels.emplace_back("other reasons");
    if (labels.size() > kMost) return static_cast<std::uint8_t>(kMost);
    labels.push_back(label);
    return static_cast<std::uint8_t>(labels.size() - 1);
  };
  for (std::size_t c = 0; c < s.discharge_checks.size(); ++c) of_check[c] = number(s.discharge_checks[c].reason);
  // The services a patient of the indicators' hospital can wait for: its routes' targets, after
  // any integrated-assessment redirection (as SiteLp::refer follows it).
  std::vector<bool> awaited(s.services.size(), false);
  if (s.indicators.hospital != kExit)
    for (const RouteRule& r : s.services[static_cast<std::size_t>(s.indicators.hospital)].routes)
      for (const RouteTarget& t : r.to) {
        int target = t.service;
        for (std::size_t step = 0; step < s.services.size() && target >= 0 && s.integrated_assessment &&
                                   s.services[static_cast<std::size_t>(target)].integrated_into != kExit;
             ++step)
          target = s.services[static_cast<std::size_t>(target)].integrated_into;
        if (target >= 0) awaited[static_cast<std::size_t>(target)] = true;
      }
  for (std::size_t sv = 0; sv < s.services.size(); ++sv)
    if (awaited[sv]) of_service[sv] = number(delay_label(s.services[sv]));
}

}  // namespace careflow::models::care
