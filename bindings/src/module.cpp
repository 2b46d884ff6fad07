// careflow._core: a thin pybind11 layer over the public C++ headers. Conversion only; the
// Python façade (careflow/__init__.py) owns the ergonomics. The GIL is released while simulating
// and while a results file is read or written; a simulation can be interrupted (Ctrl-C).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "careflow/io/hdf5_reader.hpp"
#include "careflow/io/hdf5_results.hpp"
#include "careflow/models/care_model.hpp"
#include "careflow/models/compare.hpp"
#include "careflow/models/default_scenario.hpp"
#include "careflow/models/scenario_loader.hpp"
#include "careflow/models/sweep.hpp"

namespace py = pybind11;
namespace models = careflow::models;
namespace io = careflow::io;

namespace {

struct RunHandle {
  models::Scenario scenario;
  models::RunResult result;
  bool all_episodes = false;  // every replication kept its episodes: save them all
};

// careflow's HDF5 layer is not thread-safe, and with the GIL released two Python threads could
// read or save at once: every io call from here holds this lock (taken after releasing the GIL,
// so that a thread holding it never waits for the GIL).
std::mutex& hdf5_lock() {
  static std::mutex m;
  return m;
}

// How often a caller waiting for a simulation runs Python's signal handlers and reports progress.
constexpr std::chrono::milliseconds kPoll{50};

// Runs `work` (a simulation given `control`) on a thread of its own while the calling thread waits
// with the GIL released, waking every kPoll to run Python's signal handlers (PyErr_CheckSignals;
// only the main thread runs them, elsewhere it does nothing) and to call `progress(done, total)`
// when the count of finished replications has changed. If a handler raises (Ctrl-C:
// KeyboardInterrupt) or `progress` does, the run is told to stop, its thread is joined, and that
// exception propagates: nothing of the run is kept. Otherwise the work's result, or its
// exception, is the call's.
template <class Work>
auto interruptible(models::RunControl& control, std::uint64_t total, const py::object& progress, Work&& work) {
  std::packaged_task<decltype(work())()> task(std::forward<Work>(work));
  auto done = task.get_future();
  std::thread worker(std::move(task));
  try {
    std::uint64_t reported = 0;
    bool first = true;
    for (;;) {
      bool finished = false;
      {
        py::gil_scoped_release release;
        finished = done.wait_for(kPoll) == std::future_status::ready;
      }
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      const std::uint64_t n = control.replications_done.load(std::memory_order_relaxed);
      if (!progress.is_none() && (first || n != reported)) progress(n, total);
      first = false;
      reported = n;
      if (finished) break;
    }
  } catch (...) {
    control.stop.store(true, std::memory_order_relaxed);
    {
      py::gil_scoped_release release;
      worker.join();
    }
    throw;
  }
  worker.join();  // already finished
  return done.get();
}

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

// The identities of figures as four lists (family, name, subject, unit), from each row's MetricId.
template <class Rows, class IdOf>
void add_metric_ids(py::dict& d, const Rows& rows, IdOf id_of) {
  std::vector<std::string> family, name, subject, unit;
  for (const auto& row : rows) {
    const models::MetricId& id = id_of(row);
    family.push_back(id.family);
    name.push_back(id.name);
    subject.push_back(id.subject);
    unit.push_back(id.unit);
  }
  d["family"] = family;
  d["name"] = name;
  d["subject"] = subject;
  d["unit"] = unit;
}

// The metric table: every figure's identity, its value in each replication [metric,
// replication] and its summary across them; each replication's fingerprint and event count.
void add_metrics(py::dict& d, const models::RunResult& r) {
  add_metric_ids(d, r.metric_ids, [](const models::MetricId& id) -> const models::MetricId& { return id; });
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
  const models::QueueStability st = models::check_queue_stability(r.summary);
  py::list unstable;
  for (const models::UnstableQueue& q : st.unstable) {
    py::dict row;
    row["service"] = q.service;
    row["growth"] = q.growth;
    row["growth_lower_99"] = q.lower;
    row["mean_queue"] = q.mean_queue;
    unstable.append(row);
  }
  d["unstable_queues"] = unstable;
  d["queue_stability_checked"] = st.tested;
  std::vector<std::uint64_t> fp, ev;
  for (const auto& rep : r.replications) {
    fp.push_back(rep.fingerprint);
    ev.push_back(rep.events);
  }
  d["fingerprints"] = array(fp);
  d["events"] = array(ev);
}

// Each record type under its dataset name (episodes, step_changes, delays, tracks), with the
// replication as a column.
void add_records(py::dict& d, const models::RunResult& r) {
  const auto add = [&]<class R>(std::vector<R> models::ReplicationResult::*member) {
    d[py::str(std::string(models::RecordTable<R>::name))] = records_of(r, member);
  };
  add(&models::ReplicationResult::episodes);
  add(&models::ReplicationResult::delays);
  add(&models::ReplicationResult::step_changes);
  add(&models::ReplicationResult::tracks);
}

// The weekly series [replication, week, service] of every column of kSeriesColumns, their
// units and the weeks' end days; every replication has the weeks of the first (zeros past a
// shorter one's end).
void add_series(py::dict& d, const models::RunResult& r) {
  const std::size_t nr = r.replications.size();
  const models::Series none;
  const models::Series& first = nr ? r.replications.front().series : none;
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
}

// A run's results as the dict the façade's Result wraps: the one conversion, for a run just made
// and for a results file read back.
py::dict data_of(const models::RunResult& r) {
  py::dict d;
  add_metrics(d, r);
  add_records(d, r);
  add_series(d, r);
  d["seconds"] = r.seconds;
  return d;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "careflow's compiled core (private; use the `careflow` package)";

  static py::exception<models::ScenarioError> scenario_error(m, "ScenarioError", PyExc_ValueError);
  static py::exception<io::ResultsFileError> results_file_error(m, "ResultsFileError", PyExc_OSError);
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
    } catch (const io::ResultsFileError& e) {
      py::object err = py::reinterpret_borrow<py::object>(results_file_error.ptr())(e.what());
      err.attr("path") = e.path();
      PyErr_SetObject(results_file_error.ptr(), err.ptr());
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
      .def("data", [](const RunHandle& h) { return data_of(h.result); },
           "Every figure, record and series as numpy arrays")
      .def(
          "save",
          [](const RunHandle& h, const std::string& path) {
            io::WriteOptions opt;
            opt.episodes_all_replications = h.all_episodes;
            py::gil_scoped_release release;
            const std::lock_guard lock(hdf5_lock());
            io::write_results_hdf5(path, h.scenario, h.result, opt);
          },
          py::arg("path"), "Write the HDF5 results file (atomically; the GIL is released)");

  py::class_<io::StoredRun, std::shared_ptr<io::StoredRun>>(m, "StoredRun", "A run's results file read back (C++ side)")
      .def_readonly("path", &io::StoredRun::path)
      .def_readonly("scenario_name", &io::StoredRun::scenario_name)
      .def_readonly("source_file", &io::StoredRun::source_file)
      .def_readonly("scenario_text", &io::StoredRun::scenario_text)
      .def_readonly("seed", &io::StoredRun::seed)
      .def_readonly("horizon_days", &io::StoredRun::horizon_days)
      .def_readonly("warmup_days", &io::StoredRun::warmup_days)
      .def_property_readonly("services", [](const io::StoredRun& s) {
        std::vector<std::string> v;
        for (const auto& x : s.services) v.push_back(x.name);
        return v;
      })
      .def_readonly("agencies", &io::StoredRun::agencies)
      .def_readonly("cohorts", &io::StoredRun::cohorts)
      .def("data", [](const io::StoredRun& s) { return data_of(s.result); },
           "Every figure, record and series as numpy arrays, as Run.data gives them");

  m.def(
      "open_results",
      [](const std::string& path) {
        io::ReadOptions opt;
        opt.records_of_every_replication = true;  // what a run holds: records of every replication that kept them
        auto stored = std::make_shared<io::StoredRun>();
        {
          py::gil_scoped_release release;
          const std::lock_guard lock(hdf5_lock());
          *stored = io::read_results_hdf5(path, opt);
        }
        return stored;
      },
      py::arg("path"),
      "Read a run's results file (io/hdf5_reader.hpp; the GIL is released); raises ResultsFileError (an OSError) "
      "naming the path for a missing, non-HDF5, sweep or incomplete file");

  m.def(
      "run",
      [](const models::Scenario& s, std::uint64_t replications, std::uint64_t seed, double years, unsigned threads, bool all,
         const py::object& progress) {
        auto h = std::make_shared<RunHandle>();
        h->all_episodes = all;
        models::RunControl control;
        auto opt = options(replications, seed, years, threads, all);
        opt.control = &control;
        const std::uint64_t total = replications > 0 ? replications : s.replications;
        interruptible(control, total, progress, [&] {
          h->scenario = models::apply_options(s, opt);
          h->result = models::run_scenario(h->scenario, opt);
        });
        return h;
      },
      py::arg("scenario"), py::arg("replications") = 0, py::arg("seed") = 0, py::arg("years") = 0.0, py::arg("threads") = 0,
      py::arg("all_episodes") = false, py::arg("progress") = py::none(),
      "Run a scenario (replications in parallel; the GIL is released; a signal handler's exception, e.g. "
      "KeyboardInterrupt, stops the run and is raised; progress(done, total) is called as replications finish)");

  m.def(
      "compare",
      [](const std::vector<models::Scenario>& scenarios, std::uint64_t replications, std::uint64_t seed, double years,
         unsigned threads, bool independent, const py::object& progress) {
        models::RunControl control;
        models::CompareOptions o;
        o.run = options(replications, seed, years, threads, false);
        o.run.control = &control;
        o.independent = independent;
        // Every scenario runs as many replications as the first (models/compare.hpp).
        const std::uint64_t each = replications > 0 ? replications : scenarios.empty() ? 0 : scenarios.front().replications;
        const models::Comparison c =
            interruptible(control, each * scenarios.size(), progress, [&] { return models::compare(scenarios, o); });
        py::list out;
        for (const auto& sc : c.against_base) {
          py::dict d;
          d["scenario"] = sc.name;
          add_metric_ids(d, sc.rows, [](const auto& row) -> const models::MetricId& { return row.id; });
          std::vector<double> base, value, diff, half;
          for (const auto& row : sc.rows) {
            base.push_back(row.base.n ? row.base.mean : std::nan(""));
            value.push_back(row.other.n ? row.other.mean : std::nan(""));
            diff.push_back(row.diff.n ? row.diff.mean : std::nan(""));
            half.push_back(row.diff.half_width);
          }
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
      py::arg("independent") = false, py::arg("progress") = py::none(),
      "Compare scenarios with the first (paired, common random numbers), interruptible and with progress as run");
}
