// Results → tables → xlsx (libxlsxwriter) and CSV.
#include "careflow/sheets/results_tables.hpp"

#include "careflow/sheets/xlsx.hpp"
#include "careflow/support/atomic_file.hpp"

#include <xlsxwriter.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <filesystem>
#include <map>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace careflow::sheets {
namespace {

namespace fs = std::filesystem;

double nan() { return std::numeric_limits<double>::quiet_NaN(); }

std::vector<std::string> families_in(const std::vector<models::MetricId>& ids) {
  std::vector<std::string> out;
  for (const auto& id : ids)
    if (std::find(out.begin(), out.end(), id.family) == out.end()) out.push_back(id.family);
  return out;
}


}  // namespace

std::vector<Table> run_tables(const models::Scenario& s, const models::RunResult& r) {
  std::vector<Table> out;
  Table run{"run", {"field", "value"}, {}};
  run.rows.push_back({std::string("scenario"), s.name});
  run.rows.push_back({std::string("source_file"), s.source_file});
  run.rows.push_back({std::string("seed"), std::to_string(s.seed)});
  run.rows.push_back({std::string("replications"), static_cast<double>(r.replications.size())});
  run.rows.push_back({std::string("horizon_years"), s.horizon_years});
  run.rows.push_back({std::string("warmup_years"), s.warmup_years});
  run.rows.push_back({std::string("run_seconds"), r.seconds});
  // The stationarity check in words (docs/model.md, "Unstable queues").
  const models::QueueStability st = models::check_queue_stability(r.summary);
  std::string stability = st.tested ? "every queue stable" : "not checked: fewer than 3 replications";
  if (!st.unstable.empty()) {
    stability = "unstable, waits depend on the horizon and the seed:";
    for (const models::UnstableQueue& q : st.unstable) stability += " " + q.service;
  }
  run.rows.push_back({std::string("queue_stability"), stability});
  out.push_back(std::move(run));
  std::vector<models::MetricId> ids;
  for (const auto& m : r.summary) ids.push_back(m.id);
  for (const std::string& family : families_in(ids)) {
    Table t{family, {"figure", "subject", "unit", "mean", "half_width_95", "lower_95", "upper_95", "replications"}, {}};
    for (const models::Metric& m : r.summary) {
      if (m.id.family != family) continue;
      t.rows.push_back({m.id.name, m.id.subject, m.id.unit, m.ci.mean, m.ci.half_width, m.ci.lower(), m.ci.upper(),
                        static_cast<double>(m.ci.n)});
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<Table> comparison_tables(const models::Comparison& c) {
  std::vector<Table> out;
  Table diff{"differences",
             {"scenario", "family", "figure", "subject", "unit", "base", "scenario_value", "difference", "half_width_95",
              "lower_95", "upper_95", "verdict"},
             {}};
  Table econ{"economics", {"scenario", "payback_year", "cost_per_step_up_avoided"}, {}};
  std::size_t years = 0;
  for (const auto& sc : c.against_base) years = std::max(years, sc.economics.cumulative_difference.size());
  for (std::size_t y = 0; y < years; ++y) econ.header.push_back("cumulative_extra_spend_year_" + std::to_string(y + 1));
  for (const models::ScenarioComparison& sc : c.against_base) {
    for (const models::MetricDifference& d : sc.rows)
      diff.rows.push_back({sc.name, d.id.family, d.id.name, d.id.subject, d.id.unit, d.base.mean, d.other.mean, d.diff.mean,
                           d.diff.half_width, d.diff.lower(), d.diff.upper(), std::string(models::arrow(models::change_of(d.diff)))});
    std::vector<TableCell> row = {sc.name, sc.economics.payback_year, sc.economics.cost_per_step_up_avoided};
    for (std::size_t y = 0; y < years; ++y)
      row.push_back(y < sc.economics.cumulative_difference.size() ? sc.economics.cumulative_difference[y] : nan());
    econ.rows.push_back(std::move(row));
  }
  out.push_back(std::move(diff));
  out.push_back(std::move(econ));
  std::vector<models::MetricId> ids;
  for (const auto& m : c.runs.front().summary) ids.push_back(m.id);
  for (const std::string& family : families_in(ids)) {
    Table t{family, {"figure", "subject", "unit"}, {}};
    for (const std::string& n : c.names) {
      t.header.push_back(n + " mean");
      t.header.push_back(n + " half_width_95");
    }
    for (std::size_t i = 0; i < c.runs.front().summary.size(); ++i) {
      const auto& id = c.runs.front().summary[i].id;
      if (id.family != family) continue;
      std::vector<TableCell> row = {id.name, id.subject, id.unit};
      for (const models::RunResult& run : c.runs) {
        const models::Metric* m = nullptr;
        for (const auto& x : run.summary)
          if (x.id.family == id.family && x.id.name == id.name && x.id.subject == id.subject) m = &x;
        row.push_back(m ? m->ci.mean : nan());
        row.push_back(m ? m->ci.half_width : nan());
      }
      t.rows.push_back(std::move(row));
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<Table> sweep_tables(const models::SweepResult& r) {
  Table t{"points", {"point"}, {}};
  for (const auto& p : r.spec.parameters) t.header.push_back(p.path);
  for (const char* h : {"family", "figure", "subject", "unit", "mean", "half_width_95", "lower_95", "upper_95"}) t.header.push_back(h);
  for (std::size_t k = 0; k < r.points.size(); ++k) {
    const models::SweepPoint& pt = r.points[k];
    for (const models::Metric& m : pt.run.summary) {
      std::vector<TableCell> row = {static_cast<double>(k + 1)};
      for (const std::string& v : pt.values) row.push_back(v);
      for (TableCell c : std::vector<TableCell>{m.id.family, m.id.name, m.id.subject, m.id.unit, m.ci.mean, m.ci.half_width,
                                                m.ci.lower(), m.ci.upper()})
        row.push_back(c);
      t.rows.push_back(std::move(row));
    }
  }
  return {t};
}

void write_tables_xlsx(const std::vector<Table>& tables, const std::string& path) {
  support::AtomicFile out(path);  // libxlsxwriter writes the temporary; removed unless committed
  lxw_workbook* wb = workbook_new(out.temporary_path().c_str());
  if (!wb) throw std::runtime_error("cannot create '" + path + "'");
  bool closed = false;
  try {
    lxw_format* bold = workbook_add_format(wb);
    format_set_bold(bold);
    format_set_bg_color(bold, 0xDDEBF7);
    auto check = [&](lxw_error e) {
      if (e != LXW_NO_ERROR) throw std::runtime_error("cannot write '" + path + "': " + lxw_strerror(e));
    };
    for (const Table& t : tables) {
      std::string name = t.name.substr(0, 31);
      lxw_worksheet* ws = workbook_add_worksheet(wb, name.c_str());
      if (!ws) throw std::runtime_error("cannot add the sheet '" + name + "' to '" + path + "'");
      for (std::size_t c = 0; c < t.header.size(); ++c) {
        check(worksheet_write_string(ws, 0, static_cast<lxw_col_t>(c), t.header[c].c_str(), bold));
        worksheet_set_column(ws, static_cast<lxw_col_t>(c), static_cast<lxw_col_t>(c), c == 0 ? 30 : 16, nullptr);
      }
      for (std::size_t r = 0; r < t.rows.size(); ++r)
        for (std::size_t c = 0; c < t.rows[r].size(); ++c) {
          const auto row = static_cast<lxw_row_t>(r + 1);
          const auto col = static_cast<lxw_col_t>(c);
          if (const auto* s = std::get_if<std::string>(&t.rows[r][c])) {
            if (!s->empty()) check(worksheet_write_string(ws, row, col, s->c_str(), nullptr));
          } else {
            const double v = std::get<double>(t.rows[r][c]);
            if (std::isfinite(v)) check(worksheet_write_number(ws, row, col, v, nullptr));
          }
        }
      worksheet_freeze_panes(ws, 1, 0);
    }
    closed = true;
    const lxw_error e = workbook_close(wb);
    if (e != LXW_NO_ERROR) throw std::runtime_error("cannot write '" + path + "': " + lxw_strerror(e));
  } catch (...) {
    if (!closed) workbook_close(wb);
    throw;
  }
  out.commit();
}

void write_tables_csv(const std::vector<Table>& tables, const std::string& dir) {
  // The whole folder at once: a failure half-way (a full disk) leaves every previous table.
  support::AtomicFolder folder(dir, ".csv");
  auto field = [](const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  for (const Table& t : tables) {
    std::ostringstream out;
    for (std::size_t c = 0; c < t.header.size(); ++c) out << (c ? "," : "") << field(t.header[c]);
    out << "\r\n";
    for (const auto& row : t.rows) {
      for (std::size_t c = 0; c < row.size(); ++c) {
        if (c) out << ',';
        if (const auto* s = std::get_if<std::string>(&row[c])) out << field(*s);
        else if (std::isfinite(std::get<double>(row[c]))) out << exact_number(std::get<double>(row[c]));
      }
      out << "\r\n";
    }
    folder.write_file(t.name + ".csv", out.str());
  }
  folder.commit();
}

}  // namespace careflow::sheets
