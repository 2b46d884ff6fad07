// The money of one site (private to models/): every pound is booked here, once, to its service,
// agency, budget pot, tier and year, discounted to the start of the appraisal period; day-rate
// costs accrue with occupancy (funded and self-funded places apart); recurring costs by the day.
// check() is the money invariant: by service, agency, pot and tier are four views of one sum.
#pragma once

#include <cstdint>
#include <vector>

#include "careflow/engine/statistics.hpp"
#include "careflow/models/scenario.hpp"
#include "care/site_figures.hpp"

namespace careflow::models::care {

class Ledger {
 public:
  Ledger(const Scenario& s, SiteFigures& figures, int site);

  /// Self-funders pay for their own long-term care (specialist services such as home care and
  /// care homes); assessments, re-ablement and the NHS stay free to them.
  bool self_pays(int sv, bool self_funder) const {
    return self_funder && s_.services[static_cast<std::size_t>(sv)].tier == Tier::Specialist &&
           s_.services[static_cast<std::size_t>(sv)].kind == ServiceKind::Service;
  }
  /// Places occupied at a service change by `delta` (funded or self-funded): the day-rate costs
  /// of the occupancy so far are charged first.
  void occupy(int sv, bool self, double now, int delta);
  /// Day-rate costs of occupied places since the last charge.
  void charge_occupancy(std::size_t sv, double now);
  /// Money spent at a service (counted from the end of the warm-up; every week's spend for the series).
  void book(std::size_t sv, double amount, double now);
  /// A one-off cost booked to an agency.
  void one_off(double now, const OneOffCost& c);
  /// Recurring costs accrue day by day from their start; charged up to `now`.
  void charge_recurring(double now);
  /// £ spent at a service since the last call (the weekly series).
  double take_week_spend(std::size_t sv) {
    const double x = week_spend_[sv];
    week_spend_[sv] = 0;
    return x;
  }
  /// Throws std::runtime_error if spending by service, agency, pot and tier disagree.
  void check() const;

 private:
  bool after_warmup(double t) const { return t >= warmup_; }
  bool hosted(int sv) const { return s_.services[static_cast<std::size_t>(sv)].site == site_; }
  void add_to_year(double now, double amount);

  const Scenario& s_;
  Money& money_;
  std::vector<ServiceFigures>& services_;
  int site_;
  double warmup_;
  std::vector<int> pot_of_;  // budget pot of each service: its agency's, or its pool's when budgets are pooled
  std::vector<TimeWeighted> funded_occ_, self_occ_;
  std::vector<double> funded_mark_, self_mark_;  // occupancy integrals at the last charge
  std::vector<double> week_spend_;
  double last_recurring_ = 0;
};

}  // namespace careflow::models::care
