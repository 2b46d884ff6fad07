#include "care/site_figures.hpp"

#include "care/delays.hpp"

#include <cmath>
#include <stdexcept>
#include <type_traits>

namespace careflow::models::care {
namespace {

// The one serialiser of a site's figures: every field through these overloads, in the order of
// the field lists (ServiceFigures::additive, Money::each, Totals::each).
template <class T>
void put(ByteWriter& w, const T& x) {
  w.pod(x);
}
void put(ByteWriter& w, const std::vector<double>& x) { w.pods(x); }
void put(ByteWriter& w, const QuantileSketch& x) { x.save(w); }
template <class T>
void get(ByteReader& r, T& x) {
  x = r.pod<T>();
}
void get(ByteReader& r, std::vector<double>& x) { x = r.pods<double>(); }
void get(ByteReader& r, QuantileSketch& x) { x.load(r); }

// A record type: trivially copyable ones as one block, others column by column.
template <class R>
void put_records(ByteWriter& w, const std::vector<R>& v) {
  if constexpr (std::is_trivially_copyable_v<R>) {
    w.pods(v);
  } else {
    w.pod<std::uint64_t>(v.size());
    for (const R& x : v)
      for (const Column<R>& c : RecordTable<R>::columns)
        if (!c.derived())
          visit_column(c, x, [&](const auto& value) {
            if constexpr (std::is_same_v<std::remove_cvref_t<decltype(value)>, std::string>)
              w.text(value);
            else
              w.pod(value);
          });
  }
}
template <class R>
void get_records(ByteReader& r, std::vector<R>& v) {
  if constexpr (std::is_trivially_copyable_v<R>) {
    v = r.pods<R>();
  } else {
    v.resize(r.pod<std::uint64_t>());
    for (R& x : v)
      for (const Column<R>& c : RecordTable<R>::columns)
        std::visit(
            [&](auto field) {
              if constexpr (!std::is_pointer_v<decltype(field)>) {
                auto& member = x.*field;
                if constexpr (std::is_same_v<std::remove_cvref_t<decltype(member)>, std::string>)
                  member = r.text();
                else
                  member = r.pod<std::remove_cvref_t<decltype(member)>>();
              }
            },
            c.field);
  }
}

}  // namespace

std::size_t appraisal_years(const Scenario& s) {
  return std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(s.horizon_years - s.warmup_years - 1e-9)));
}

SiteFigures::SiteFigures(const Scenario& s) : services(s.services.size()), delayed_by_reason(DelayReasons(s).labels.size()) {
  for (std::size_t sv = 0; sv < services.size(); ++sv) services[sv].units.resize(s.services[sv].units.size());
  money.by_agency.assign(s.agencies.size(), 0.0);
  money.by_pot.assign(s.agencies.size() + s.pools.size(), 0.0);
  money.by_tier.assign(kCount<Tier>, 0.0);
  money.by_year.assign(appraisal_years(s), 0.0);
}

void SiteFigures::save(ByteWriter& w) const {
  for (const ServiceFigures& sv : services) {
    ServiceFigures::additive([&](const auto& x) { put(w, x); }, sv);
    put(w, sv.queue);
    put(w, sv.delayed_beds);
    w.pods(sv.units);
  }
  w.pods(delayed_by_reason);
  Money::each([&](const auto& x) { put(w, x); }, money);
  Totals::each([&](const auto& x) { put(w, x); }, totals);
  put(w, end);
  put(w, events);
  put(w, person_records);
  put(w, invariant_checks);
}

void SiteFigures::load(ByteReader& r) {
  for (ServiceFigures& sv : services) {
    ServiceFigures::additive([&](auto& x) { get(r, x); }, sv);
    get(r, sv.queue);
    get(r, sv.delayed_beds);
    sv.units = r.pods<ServiceFigures::Unit>();
  }
  delayed_by_reason = r.pods<TimeWeighted>();
  Money::each([&](auto& x) { get(r, x); }, money);
  Totals::each([&](auto& x) { get(r, x); }, totals);
  get(r, end);
  get(r, events);
  get(r, person_records);
  get(r, invariant_checks);
}

void save_records(ByteWriter& w, const ReplicationResult& r) {
  put_records(w, r.episodes);
  put_records(w, r.step_changes);
  put_records(w, r.delays);
  put_records(w, r.tracks);
  w.pod<std::uint64_t>(r.series.services);
  w.pods(r.series.time_days);
  for (const SeriesColumn& c : kSeriesColumns) w.pods(r.series.*c.values);
}

void load_records(ByteReader& r, ReplicationResult& out) {
  get_records(r, out.episodes);
  get_records(r, out.step_changes);
  get_records(r, out.delays);
  get_records(r, out.tracks);
  out.series.services = r.pod<std::uint64_t>();
  out.series.time_days = r.pods<double>();
  for (const SeriesColumn& c : kSeriesColumns) out.series.*c.values = r.pods<double>();
}

}  // namespace careflow::models::care
