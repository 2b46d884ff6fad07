// careflow._core: a thin pybind11 layer over the public C++ headers. Conversion only; the
// Python façade (careflow/__init__.py) owns the ergonomics. The GIL is released while simulating.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <vector>

#include "careflow/io/hdf5_results.hpp"
#include "careflow/models/care_model.hpp"
#include "careflow/models/compare.hpp"
#include "careflow/models/default_scenario.hpp"
#include "careflow/models/scenario_loader.hpp"
#include "careflow/models/sweep.hpp"

namespace py = pybind11;
namespace models = careflow::models;

namespace {

struct RunHandle {
  models::Scenario scenario;
  models::RunResult result;
};

template <class T>
py::array_t<T> array(const std::vector<T>& v) {
  py::array_t<T> a(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

// One column of records as a vector of its stored type.
template <class T, class R>
std::vector<T> column_values(const std::vector<const R*>& rows, const models::Column<R>& c) {
  std::vector<T> out;
  out.reserve(rows.size());
  for (const R* x : rows)
    models::visit_column(c, *x, [&](const auto& v) {
      if constexpr (std::is_same_v<std::remove_cvref_t<decltype(v)>, T>) out.push_back(v);
    });
  return out;
}

// A record type of every replication that kept it: one array per column of its column table
// (models/records.hpp), plus the replication.
template <class R>
py::dict records_of(const models::RunResult& r, std::vector<R> models::ReplicationResult::*member) {
  std::vector<const R*> rows;
  std::vector<std::uint64_t> replication;
  for (const auto& rep : r.replications)
    for (const R& x : rep.*member) {
      rows.push_back(&x);
      replication.push_back(rep.replication);
    }
  py::dict d;
  d["replication"] = array(replication);
  for (const models::Column<R>& c : models::RecordTable<R>::columns) {
    const py::str key(std::string(c.name));
    switch (c.type()) {
      case models::ColumnType::U64: d[key] = array(column_values<std::uint64_t>(rows, c)); break;
      case models::ColumnType::I32: d[key] = array(column_values<std::int32_t>(rows, c)); break;
      case models::ColumnType::F64: d[key] = array(column_values<double>(rows, c)); break;
      case models::ColumnType::Text: d[key] = column_values<std::string>(rows, c); break;
    }
  }
  return d;
}

// A vocabulary as a list of names, in table order.
template <class E>
std::vector<std::string> names() {
  return models::term_names<E>();
}

models::CareRunOptions options(std::uint64_t replications, std::uint64_t seed, double years, unsigned threads, bool all) {
  models::CareRunOptions o;
  o.replications = replications;
  o.seed = seed;
  o.horizon_years = years;
  o.threads = threads;
  o.episodes_all_replications = all;
  return o;
}

// Changes by path from Python: (path, value as YAML) pairs, errors naming `origin`.
using Changes = std::vector<std::pair<std::string, std::string>>;

models::ScenarioSource source_of(const std::string& text, const std::string& file_name, const std::string& base_dir,
                                 const Changes& changes, const std::string& origin) {
  models::ScenarioSource source{text, file_name, base_dir, {}, !changes.empty()};
  for (const auto& [path, value] : changes) source.changes.push_back({path, value, models::SourceRef{origin, 0, path}});
  return source;
}

py::dict data_of(const RunHandle& h) {
  const models::RunResult& r = h.result;
  py::dict d;
  std::vector<std::string> fam, name, subj, unit;
  for (const auto& id : r.metric_ids) {
    fam.push_back(id.family);
    name.push_back(id.name);
    subj.push_back(id.subject);
    unit.push_back(id.unit);
  }
  d["family"] = fam;
  d["name"] = name;
  d["subject"] = subj;
  d["unit"] = unit;
  const std::size_t nm = r.metric_ids.size(), nr = r.replications.size();
  py::array_t<double> values({nm, nr});
  auto v = values.mutable_unchecked<2>();
  for (std::size_t m = 0; m < nm; ++m)
    for (std::size_t k = 0; k < nr; ++k) v(m, k) = r.replications[k].metric_values[m];
  d["values"] = values;
  std::vector<double> mean, half;
  std::vector<std::uint64_t> n;
  for (const auto& m : r.summary) {
    mean.push_back(m.ci.mean);
    half.push_back(m.ci.half_width);
    n.push_back(m.ci.n);
  }
  d["mean"] = array(mean);
  d["half_width"] = array(half);
  d["n"] = array(n);
  std::vector<std::uint64_t> fp, ev;
  for (const auto& rep : r.replications) {
    fp.push_back(rep.fingerprint);
    ev.push_back(rep.events);
  }
  d["fingerprints"] = array(fp);
  d["events"] = array(ev);

  // Records of every replication that kept them, with the replication as a column.
  d["episodes"] = records_of(r, &models::ReplicationResult::episodes);
  d["delays"] = records_of(r, &models::ReplicationResult::delays);
  d["step_changes"] = records_of(r, &models::ReplicationResult::step_changes);
  d["tracks"] = records_of(r, &models::ReplicationResult::tracks);

  // Weekly series [replication, week, service]; every replication has the same weeks.
  const auto& first = r.replications.front().series;
  const std::size_t weeks = first.time_days.size(), ns = first.services;
  d["time_days"] = array(first.time_days);
  py::dict units;
  for (const models::SeriesColumn& c : models::kSeriesColumns) {
    py::array_t<double> a({nr, weeks, ns});
    auto w = a.mutable_unchecked<3>();
    for (std::size_t k = 0; k < nr; ++k) {
      const auto& se = r.replications[k].series;
      const std::vector<double>& src = se.*c.values;
      for (std::size_t t = 0; t < weeks; ++t)
        for (std::size_t s = 0; s < ns; ++s) w(k, t, s) = t < se.time_days.size() ? src[t * ns + s] : 0.0;
    }
    d[py::str(std::string(c.name))] = a;
    units[py::str(std::string(c.name))] = std::string(c.unit);
  }
  d["series_units"] = units;
  d["seconds"] = r.seconds;
  return d;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "careflow's compiled core (private; use the `careflow` package)";

  static py::exception<models::ScenarioError> scenario_error(m, "ScenarioError", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const models::ScenarioError& e) {
      py::object err = py::reinterpret_borrow<py::object>(scenario_error.ptr())(e.what());
      err.attr("file") = e.where().file;
      err.attr("line") = e.where().line;
      err.attr("field") = e.where().field;
      err.attr("kind") = std::string(models::name_of(e.problem()));
      PyErr_SetObject(scenario_error.ptr(), err.ptr());
    }
  });

  py::class_<models::Scenario>(m, "Scenario", "A loaded, checked scenario (C++ side)")
      .def_property_readonly("name", [](const models::Scenario& s) { return s.name; })
      .def_property_readonly("text", [](const models::Scenario& s) { return s.source_text; })
      .def_property_readonly("services", [](const models::Scenario& s) {
        std::vector<std::string> v;
        for (const auto& x : s.services) v.push_back(x.name);
        return v;
      })
      .def_property_readonly("cohorts", [](const models::Scenario& s) {
        std::vector<std::string> v;
        for (const auto& x : s.cohorts) v.push_back(x.name);
        return v;
      })
      .def_property_readonly("agencies", [](const models::Scenario& s) {
        std::vector<std::string> v;
        for (const auto& x : s.agencies) v.push_back(x.name);
        return v;
      })
      .def_property_readonly("replications", [](const models::Scenario& s) { return s.replications; })
      .def_property_readonly("seed", [](const models::Scenario& s) { return s.seed; })
      .def_property_readonly("horizon_years", [](const models::Scenario& s) { return s.horizon_years; })
      .def_property_readonly("warmup_years", [](const models::Scenario& s) { return s.warmup_years; })
      .def("warnings", [](const models::Scenario& s) {
        std::vector<std::string> v;
        for (const auto& w : models::validate_scenario(s)) v.push_back(w.message);
        return v;
      });

  m.def(
      "parse",
      [](const std::string& text, const std::string& file_name, const std::string& base_dir, const Changes& changes,
         const std::string& origin) { return models::parse_scenario(source_of(text, file_name, base_dir, changes, origin)); },
      py::arg("text"), py::arg("file_name"), py::arg("base_dir") = ".", py::arg("changes") = Changes{},
      py::arg("origin") = "<changes>",
      "Parse and check scenario YAML, with (path, YAML value) changes set by the path language of `careflow --set` "
      "(the name then suffixed with them); raises ScenarioError naming file, line and field");
  m.def(
      "plan_sweep",
      [](const std::string& text, const std::string& file_name, const std::string& base_dir, const Changes& changes,
         const std::vector<std::pair<std::string, std::vector<std::string>>>& parameters, bool grid) {
        models::SweepSpec spec;
        spec.base_file = file_name;
        spec.grid = grid;
        for (const auto& [path, values] : parameters)
          spec.parameters.push_back({path, values, models::SourceRef{"<sweep>", 0, path}});
        const auto points = models::sweep_points(spec);
        std::vector<models::Scenario> scenarios;
        {
          py::gil_scoped_release release;
          scenarios = models::sweep_scenarios(spec, source_of(text, file_name, base_dir, changes, "<changes>"), {});
        }
        py::list out;
        for (std::size_t i = 0; i < points.size(); ++i) out.append(py::make_tuple(points[i], scenarios[i]));
        return out;
      },
      py::arg("text"), py::arg("file_name"), py::arg("base_dir"), py::arg("changes"), py::arg("parameters"),
      py::arg("grid") = true,
      "The points of a sweep (models/sweep.hpp): for each, the index of every parameter's value and its scenario "
      "(the base with the point's values set by path, named after them)");
  m.def(
      "vocabulary",
      [] {
        py::dict v;
        v["tiers"] = names<models::Tier>();
        v["service_kinds"] = names<models::ServiceKind>();
        v["budget_modes"] = names<models::BudgetMode>();
        v["disciplines"] = names<careflow::QueueDiscipline>();
        py::dict outcomes, states;
        for (const auto& t : models::kEpisodeOutcomes) outcomes[py::int_(static_cast<int>(t.value))] = std::string(t.name);
        for (const auto& t : models::kTrackStates) states[py::int_(static_cast<int>(t.value))] = std::string(t.name);
        v["episode_outcomes"] = outcomes;
        v["track_states"] = states;
        return v;
      },
      "The model's vocabularies (models/vocabulary.hpp): tiers, service kinds, budget modes, disciplines, "
      "episode outcome codes and track states");
  m.def("default_text", [] { return std::string(models::default_scenario_yaml()); }, "The embedded default scenario's YAML");

  py::class_<RunHandle, std::shared_ptr<RunHandle>>(m, "Run", "The results of a run (C++ side)")
      .def("data", &data_of, "Every figure, record and series as numpy arrays")
      .def("save", [](const RunHandle& h, const std::string& path) { careflow::io::write_results_hdf5(path, h.scenario, h.result); },
           py::arg("path"), "Write the HDF5 results file (atomically)");

  m.def(
      "run",
      [](const models::Scenario& s, std::uint64_t replications, std::uint64_t seed, double years, unsigned threads, bool all) {
        auto h = std::make_shared<RunHandle>();
        const auto opt = options(replications, seed, years, threads, all);
        {
          py::gil_scoped_release release;
          h->scenario = models::apply_options(s, opt);
          h->result = models::run_scenario(h->scenario, opt);
        }
        return h;
      },
      py::arg("scenario"), py::arg("replications") = 0, py::arg("seed") = 0, py::arg("years") = 0.0, py::arg("threads") = 0,
      py::arg("all_episodes") = false, "Run a scenario (replications in parallel; the GIL is released)");

  m.def(
      "compare",
      [](const std::vector<models::Scenario>& scenarios, std::uint64_t replications, std::uint64_t seed, double years,
         unsigned threads, bool independent) {
        models::CompareOptions o;
        o.run = options(replications, seed, years, threads, false);
        o.independent = independent;
        models::Comparison c;
        {
          py::gil_scoped_release release;
          c = models::compare(scenarios, o);
        }
        py::list out;
        for (const auto& sc : c.against_base) {
          py::dict d;
          d["scenario"] = sc.name;
          std::vector<std::string> fam, name, subj, unit;
          std::vector<double> base, value, diff, half;
          for (const auto& row : sc.rows) {
            fam.push_back(row.id.family);
            name.push_back(row.id.name);
            subj.push_back(row.id.subject);
            unit.push_back(row.id.unit);
            base.push_back(row.base.n ? row.base.mean : std::nan(""));
            value.push_back(row.other.n ? row.other.mean : std::nan(""));
            diff.push_back(row.diff.n ? row.diff.mean : std::nan(""));
            half.push_back(row.diff.half_width);
          }
          d["family"] = fam;
          d["name"] = name;
          d["subject"] = subj;
          d["unit"] = unit;
          d["base"] = array(base);
          d["value"] = array(value);
          d["difference"] = array(diff);
          d["half_width"] = array(half);
          d["cumulative_difference"] = sc.economics.cumulative_difference;
          d["payback_year"] = sc.economics.payback_year;
          d["cost_per_step_up_avoided"] = sc.economics.cost_per_step_up_avoided;
          out.append(d);
        }
        return py::make_tuple(c.names, out);
      },
      py::arg("scenarios"), py::arg("replications") = 0, py::arg("seed") = 0, py::arg("years") = 0.0, py::arg("threads") = 0,
      py::arg("independent") = false, "Compare scenarios with the first (paired, common random numbers)");
}
