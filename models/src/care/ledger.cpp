#include "care/ledger.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace careflow::models::care {

Ledger::Ledger(const Scenario& s, SiteFigures& figures, int site)
    : s_(s), money_(figures.money), services_(figures.services), site_(site), warmup_(s.warmup_years * kDaysPerYear) {
  const auto ns = s.services.size();
  // Budget pots: one per agency, then one per pool (pools only count when budgets are pooled).
  pot_of_.resize(ns);
  for (std::size_t i = 0; i < ns; ++i) pot_of_[i] = s.services[i].agency;
  if (s.budget_mode != BudgetMode::Aligned)
    for (std::size_t p = 0; p < s.pools.size(); ++p)
      for (int sv : s.pools[p].services) pot_of_[static_cast<std::size_t>(sv)] = static_cast<int>(s.agencies.size() + p);
  funded_occ_.assign(ns, TimeWeighted(0.0));
  self_occ_.assign(ns, TimeWeighted(0.0));
  funded_mark_.assign(ns, 0.0);
  self_mark_.assign(ns, 0.0);
  week_spend_.assign(ns, 0.0);
}

void Ledger::occupy(int sv, bool self, double now, int delta) {
  charge_occupancy(static_cast<std::size_t>(sv), now);
  (self ? self_occ_ : funded_occ_)[static_cast<std::size_t>(sv)].add(now, delta);
}

void Ledger::charge_occupancy(std::size_t sv, double now) {
  // A service's rate is fixed by the scenario: at no rate nothing is ever booked, and the
  // marks are read by nothing else, so they need not follow.
  const double rate = s_.services[sv].cost.daily_rate();
  if (!(rate > 0)) return;
  const double funded = funded_occ_[sv].area(now), self = self_occ_[sv].area(now);
  book(sv, rate * (funded - funded_mark_[sv]), now);
  if (after_warmup(now)) money_.self_funded += rate * (self - self_mark_[sv]);
  funded_mark_[sv] = funded;
  self_mark_[sv] = self;
}

// Spending by year of the appraisal period (year 1 starts at the end of the warm-up).
void Ledger::add_to_year(double now, double amount) {
  auto& years = money_.by_year;
  const auto y = std::min(years.size() - 1, static_cast<std::size_t>(std::max(0.0, (now - warmup_) / kDaysPerYear)));
  years[y] += amount;
}

void Ledger::book(std::size_t sv, double amount, double now) {
  if (amount == 0) return;
  week_spend_[sv] += amount;
  if (!after_warmup(now)) return;
  services_[sv].spend += amount;
  money_.by_agency[static_cast<std::size_t>(s_.services[sv].agency)] += amount;
  money_.by_pot[static_cast<std::size_t>(pot_of_[sv])] += amount;
  money_.by_tier[static_cast<std::size_t>(s_.services[sv].tier)] += amount;
  add_to_year(now, amount);
  // Discounted to the end of the warm-up (the start of the appraisal period).
  money_.discounted += amount / std::pow(1.0 + s_.discount_rate, (now - warmup_) / kDaysPerYear);
}

void Ledger::one_off(double now, const OneOffCost& c) {
  if (!after_warmup(now)) return;  // before the appraisal period: not counted
  money_.one_off += c.amount;
  money_.by_agency[static_cast<std::size_t>(c.agency)] += c.amount;
  money_.by_pot[static_cast<std::size_t>(c.agency)] += c.amount;
  money_.discounted += c.amount / std::pow(1.0 + s_.discount_rate, (now - warmup_) / kDaysPerYear);
  add_to_year(now, c.amount);
}

void Ledger::charge_recurring(double now) {
  for (const RecurringCost& c : s_.recurring_costs) {
    const double from = std::max(c.from, last_recurring_), days = now - from;
    if (days > 0 && hosted(c.service)) book(static_cast<std::size_t>(c.service), c.per_year * days / kDaysPerYear, now);
  }
  last_recurring_ = now;
}

void Ledger::check() const {
  // Money: by agency, by pot, by tier and by service are four views of the same spending.
  double by_service = 0, by_agency = 0, by_pot = 0, by_tier = 0;
  for (const ServiceFigures& st : services_) by_service += st.spend;
  for (double x : money_.by_agency) by_agency += x;
  for (double x : money_.by_pot) by_pot += x;
  for (double x : money_.by_tier) by_tier += x;
  const double tol = 1e-9 * std::max(1.0, by_service);
  by_service += money_.one_off;  // one-off costs belong to agencies, not to a service or tier
  by_tier += money_.one_off;
  if (std::abs(by_agency - by_service) > tol || std::abs(by_pot - by_service) > tol || std::abs(by_tier - by_service) > tol)
    throw std::runtime_error("invariant broken: spend by service " + std::to_string(by_service) + ", by agency " +
                             std::to_string(by_agency) + ", by budget pot " + std::to_string(by_pot) + ", by tier " +
                             std::to_string(by_tier));
}

}  // namespace careflow::models::care
