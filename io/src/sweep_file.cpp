// A sweep's results file; the layout is in docs/results-format.md, "Sweep files". No times or
// run-time figures are stored, so the same sweep always gives the same bytes.
#include <cstdint>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "careflow/io/hdf5_results.hpp"
#include "tables.hpp"
#include "writing.hpp"

namespace careflow::io {
namespace {

using models::RunResult;
using models::SweepResult;

// Metrics are matched across points by (family, name, subject); the unit follows the name.
using MetricKey = std::tuple<const std::string&, const std::string&, const std::string&>;
MetricKey metric_key(const models::MetricId& id) { return {id.family, id.name, id.subject}; }

std::string point_label(const SweepResult& s, std::size_t i) {
  return "point " + std::to_string(i) + " ('" + s.points[i].scenario_name + "')";
}

// Checks sizes before anything is written, so that a bad sweep never creates a file.
void validate_sweep(const SweepResult& s) {
  for (std::size_t i = 0; i < s.points.size(); ++i) {
    const models::SweepPoint& p = s.points[i];
    if (p.values.size() != s.spec.parameters.size())
      throw std::runtime_error(point_label(s, i) + " has " + std::to_string(p.values.size()) + " values for " +
                               std::to_string(s.spec.parameters.size()) + " parameters");
    if (p.run.replications.size() != s.replications)
      throw std::runtime_error(point_label(s, i) + " has " + std::to_string(p.run.replications.size()) +
                               " replications, expected " + std::to_string(s.replications));
    for (std::size_t r = 0; r < p.run.replications.size(); ++r) {
      const std::size_t n = p.run.replications[r].metric_values.size();
      if (n != p.run.metric_ids.size())
        throw std::runtime_error(point_label(s, i) + ", replication " + std::to_string(r) + ": metric_values has " +
                                 std::to_string(n) + " values for " + std::to_string(p.run.metric_ids.size()) + " metrics");
    }
  }
}

// For each of `wanted`, the index of the same metric in `have` (first match), or -1.
template <class Ids, class IdOf>
std::vector<std::ptrdiff_t> align(const std::vector<models::MetricId>& wanted, const Ids& have, IdOf id_of) {
  std::map<MetricKey, std::ptrdiff_t> index;
  for (std::size_t j = 0; j < have.size(); ++j) index.emplace(metric_key(id_of(have[j])), static_cast<std::ptrdiff_t>(j));
  std::vector<std::ptrdiff_t> out;
  for (const auto& id : wanted) {
    const auto it = index.find(metric_key(id));
    out.push_back(it == index.end() ? -1 : it->second);
  }
  return out;
}

void write_header(hid_t file, const SweepResult& s) {
  h5::write_attribute(file, "format_version", std::int32_t{kSweepFormatVersion});
  h5::write_attribute(file, "generator", std::string("careflow"));
  h5::write_attribute(file, "kind", std::string("sweep"));
  h5::write_attribute(file, "base_file", s.spec.base_file);
  h5::write_attribute(file, "seed", std::uint64_t{s.seed});
  h5::write_attribute(file, "replications", std::uint64_t{s.replications});
  h5::write_attribute(file, "grid", std::int32_t{s.spec.grid ? 1 : 0});
  h5::Group g = create_group(file, "base_scenario");
  write_text(g, "text", s.base_text);
}

// The points' parameter values, and the metrics' identities.
void write_points_and_metrics(hid_t file, const SweepResult& s) {
  std::vector<std::string> paths;
  for (const auto& p : s.spec.parameters) paths.push_back(p.path);
  write_strings(file, "parameters", paths);

  // Parameter columns are named by position (p0, p1, ...): paths such as
  // "services[early help].capacity" make awkward field names. The `parameters` attribute maps them.
  TableWriter points(s.points.size());
  points.number<std::int32_t>("index", [](std::size_t i) { return static_cast<std::int32_t>(i); });
  points.text("scenario_name", [&s](std::size_t i) -> const std::string& { return s.points[i].scenario_name; });
  for (std::size_t k = 0; k < paths.size(); ++k) {
    std::string column = "p";  // appended piecewise: "p" + std::string(...) trips GCC 12's -Wrestrict
    column += std::to_string(k);
    points.text(std::move(column), [&s, k](std::size_t i) -> const std::string& { return s.points[i].values[k]; });
  }
  {
    h5::Dataset ds = points.write(file, "points", false);
    h5::write_attribute(ds, "parameters", paths);
  }

  const auto& ids = s.metric_ids;
  TableWriter metrics(ids.size());
  metrics.text("family", [&](std::size_t m) -> const std::string& { return ids[m].family; });
  metrics.text("name", [&](std::size_t m) -> const std::string& { return ids[m].name; });
  metrics.text("subject", [&](std::size_t m) -> const std::string& { return ids[m].subject; });
  metrics.text("unit", [&](std::size_t m) -> const std::string& { return ids[m].unit; });
  metrics.write(file, "metrics", false);
}

// Every point's figures aligned to the sweep's metrics (NaN where a point lacks one).
struct SweepArrays {
  std::vector<double> values;      // [point][metric][replication]
  std::vector<double> mean;        // [point][metric]
  std::vector<double> half_width;  // [point][metric]
  std::vector<std::uint64_t> fingerprints, events;  // [point][replication]
  double level = 0.95;
};

SweepArrays gather(const SweepResult& s) {
  const std::size_t points = s.points.size();
  const std::size_t metrics = s.metric_ids.size();
  const std::size_t reps = static_cast<std::size_t>(s.replications);
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  SweepArrays a{std::vector<double>(points * metrics * reps, kNaN), std::vector<double>(points * metrics, kNaN),
                std::vector<double>(points * metrics, kNaN), std::vector<std::uint64_t>(points * reps),
                std::vector<std::uint64_t>(points * reps)};
  bool have_level = false;
  for (std::size_t i = 0; i < points; ++i) {
    const RunResult& run = s.points[i].run;
    const std::vector<std::ptrdiff_t> column = align(s.metric_ids, run.metric_ids, [](const auto& id) -> const auto& { return id; });
    for (std::size_t r = 0; r < reps; ++r) {
      const models::ReplicationResult& rep = run.replications[r];
      a.fingerprints[i * reps + r] = rep.fingerprint;
      a.events[i * reps + r] = rep.events;
      for (std::size_t m = 0; m < metrics; ++m)
        if (column[m] >= 0) a.values[(i * metrics + m) * reps + r] = rep.metric_values[static_cast<std::size_t>(column[m])];
    }
    const std::vector<SummaryRow> rows = summary_rows(run);
    const std::vector<std::ptrdiff_t> row = align(s.metric_ids, rows, [](const SummaryRow& x) -> const auto& { return *x.id; });
    for (std::size_t m = 0; m < metrics; ++m) {
      if (row[m] < 0) continue;
      const ConfidenceInterval& ci = rows[static_cast<std::size_t>(row[m])].ci;
      a.mean[i * metrics + m] = ci.mean;
      a.half_width[i * metrics + m] = ci.half_width;
      if (!have_level) a.level = ci.level;
      have_level = true;
    }
  }
  return a;
}

void write_figures(hid_t file, const SweepResult& s) {
  const SweepArrays a = gather(s);
  const hsize_t points = s.points.size(), metrics = s.metric_ids.size(), reps = s.replications;
  {
    const hsize_t dims[] = {points, metrics, reps};
    h5::Dataset ds = write_doubles(file, "values", dims, a.values, true);
    h5::write_attribute(ds, "dims", std::string("point,metric,replication"));
  }
  const hsize_t pm[] = {points, metrics};
  {
    h5::Dataset ds = write_doubles(file, "mean", pm, a.mean, true);
    h5::write_attribute(ds, "dims", std::string("point,metric"));
  }
  {
    h5::Dataset ds = write_doubles(file, "half_width", pm, a.half_width, true);
    h5::write_attribute(ds, "dims", std::string("point,metric"));
    h5::write_attribute(ds, "level", a.level);
  }
  const hsize_t pr[] = {points, reps};
  {
    h5::Dataset ds = write_u64s(file, "fingerprints", pr, a.fingerprints);
    h5::write_attribute(ds, "dims", std::string("point,replication"));
  }
  h5::Dataset ds = write_u64s(file, "events", pr, a.events);
  h5::write_attribute(ds, "dims", std::string("point,replication"));
}

}  // namespace

void write_sweep_hdf5(const std::string& path, const SweepResult& sweep) {
  write_hdf5_file(path, [&] { validate_sweep(sweep); },
                  [&](hid_t file) {
                    write_header(file, sweep);
                    write_points_and_metrics(file, sweep);
                    write_figures(file, sweep);
                  });
}

}  // namespace careflow::io
