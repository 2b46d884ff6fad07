// A run's results file; the layout is documented in docs/results-format.md. The record
// datasets and the weekly series come from the column tables of models/records.hpp.
#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "careflow/io/hdf5_results.hpp"
#include "record_tables.hpp"
#include "tables.hpp"
#include "writing.hpp"

namespace careflow::io {
namespace {

using models::RunResult;
using models::Scenario;

// Checks sizes before anything is written, so that a bad result never creates a file.
void validate(const RunResult& r) {
  const std::size_t reps = r.replications.size();
  for (const auto& m : r.summary) {
    if (m.values.size() != reps)
      throw std::runtime_error("summary metric '" + m.id.name + "' has " + std::to_string(m.values.size()) + " values for " +
                               std::to_string(reps) + " replications");
  }
  for (const auto& rep : r.replications) {
    const std::string where = "replication " + std::to_string(rep.replication) + ": ";
    if (r.summary.empty() && rep.metric_values.size() != r.metric_ids.size())
      throw std::runtime_error(where + "metric_values has " + std::to_string(rep.metric_values.size()) + " values for " +
                               std::to_string(r.metric_ids.size()) + " metrics");
    const auto& s = rep.series;
    const std::size_t expected = s.time_days.size() * s.services;
    for (const models::SeriesColumn& c : models::kSeriesColumns) {
      const std::size_t n = (s.*c.values).size();
      if (n != expected)
        throw std::runtime_error(where + "series." + std::string(c.name) + " has " + std::to_string(n) + " values, expected " +
                                 std::to_string(expected) + " (" + std::to_string(s.time_days.size()) + " weeks x " +
                                 std::to_string(s.services) + " services)");
    }
  }
}

void write_scenario(hid_t file, const Scenario& s) {
  h5::Group g = create_group(file, "scenario");
  write_text(g, "text", s.source_text);

  TableWriter services(s.services.size());
  services.text("name", [&](std::size_t i) -> const std::string& { return s.services[i].name; });
  services.text("tier", [&](std::size_t i) { return models::name_of(s.services[i].tier); });
  services.text("kind", [&](std::size_t i) { return models::name_of(s.services[i].kind); });
  services.number<std::int32_t>("agency", [&](std::size_t i) -> std::int32_t { return s.services[i].agency; });
  services.number<std::uint32_t>("capacity", [&](std::size_t i) -> std::uint32_t { return s.services[i].capacity; });
  services.write(g, "services", false);

  std::vector<std::string> names;
  for (const auto& a : s.agencies) names.push_back(a.name);
  write_strings(g, "agencies", names);
  names.clear();
  for (const auto& c : s.cohorts) names.push_back(c.name);
  write_strings(g, "cohorts", names);
  write_strings(g, "need_levels", s.need_levels);
}

void write_summary(hid_t file, const RunResult& r) {
  const std::vector<SummaryRow> rows = summary_rows(r);
  TableWriter t(rows.size());
  t.text("family", [&](std::size_t i) -> const std::string& { return rows[i].id->family; });
  t.text("name", [&](std::size_t i) -> const std::string& { return rows[i].id->name; });
  t.text("subject", [&](std::size_t i) -> const std::string& { return rows[i].id->subject; });
  t.text("unit", [&](std::size_t i) -> const std::string& { return rows[i].id->unit; });
  t.number<double>("mean", [&](std::size_t i) { return rows[i].ci.mean; });
  t.number<double>("half_width", [&](std::size_t i) { return rows[i].ci.half_width; });
  t.number<double>("lower", [&](std::size_t i) { return rows[i].ci.lower(); });
  t.number<double>("upper", [&](std::size_t i) { return rows[i].ci.upper(); });
  t.number<std::uint64_t>("n", [&](std::size_t i) -> std::uint64_t { return rows[i].ci.n; });
  {
    h5::Dataset ds = t.write(file, "summary", false);
    h5::write_attribute(ds, "level", rows.empty() ? 0.95 : rows.front().ci.level);
  }

  std::vector<double> values;
  for (const auto& row : rows) values.insert(values.end(), row.values.begin(), row.values.end());
  const hsize_t dims[] = {rows.size(), r.replications.size()};
  h5::Dataset ds = write_doubles(file, "summary_values", dims, values, false);
  h5::write_attribute(ds, "dims", std::string("metric,replication"));
}

void write_series(hid_t parent, const models::Series& s) {
  h5::Group g = create_group(parent, "series");
  const hsize_t weeks[] = {s.time_days.size()};
  {
    h5::Dataset ds = write_doubles(g, "time_days", weeks, s.time_days, false);
    h5::write_attribute(ds, "units", std::string("days"));
  }
  const hsize_t dims[] = {s.time_days.size(), s.services};
  for (const models::SeriesColumn& c : models::kSeriesColumns) {
    h5::Dataset ds = write_doubles(g, std::string(c.name).c_str(), dims, s.*c.values, true);
    h5::write_attribute(ds, "dims", std::string("week,service"));
    h5::write_attribute(ds, "units", std::string(c.unit));
  }
}

void write_replication(hid_t parent, const char* name, const models::ReplicationResult& rep, bool with_episodes) {
  h5::Group g = create_group(parent, name);
  h5::write_attribute(g, "replication", rep.replication);
  h5::write_attribute(g, "events", rep.events);
  h5::write_attribute(g, "fingerprint", rep.fingerprint);
  if (with_episodes) write_records(g, rep.episodes);
  write_records(g, rep.step_changes);
  write_records(g, rep.delays);
  write_records(g, rep.tracks);
  write_series(g, rep.series);
}

void write_contents(hid_t file, const Scenario& s, const RunResult& r, const WriteOptions& opt) {
  h5::write_attribute(file, "format_version", std::int32_t{kResultsFormatVersion});
  h5::write_attribute(file, "generator", std::string("careflow"));
  h5::write_attribute(file, "scenario_name", s.name);
  h5::write_attribute(file, "source_file", s.source_file);
  h5::write_attribute(file, "seed", std::uint64_t{s.seed});
  h5::write_attribute(file, "replications", std::uint64_t{r.replications.size()});
  h5::write_attribute(file, "horizon_days", s.horizon_years * models::kDaysPerYear);
  h5::write_attribute(file, "warmup_days", s.warmup_years * models::kDaysPerYear);
  h5::write_attribute(file, "run_seconds", r.seconds);
  h5::write_attribute(file, "episodes_all_replications", std::int32_t{opt.episodes_all_replications ? 1 : 0});

  write_scenario(file, s);
  write_summary(file, r);

  h5::Group reps = create_group(file, "replications");
  // At least four digits, more when needed, so that names sort in replication order.
  const std::size_t last = r.replications.empty() ? 0 : r.replications.size() - 1;
  const std::size_t digits = std::max<std::size_t>(4, std::to_string(last).size());
  for (std::size_t i = 0; i < r.replications.size(); ++i) {
    const std::string number = std::to_string(i);
    std::string name = "r";  // appended piecewise: "r" + std::string(...) trips GCC 12's -Wrestrict
    name.append(digits - std::min(digits, number.size()), '0');
    name += number;
    write_replication(reps, name.c_str(), r.replications[i], i == 0 || opt.episodes_all_replications);
  }
}

}  // namespace

void write_results_hdf5(const std::string& path, const Scenario& scenario, const RunResult& result, const WriteOptions& opt) {
  write_hdf5_file(path, [&] { validate(result); }, [&](hid_t file) { write_contents(file, scenario, result, opt); });
}

}  // namespace careflow::io
