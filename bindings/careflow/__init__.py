"""careflow — discrete-event simulation of health and social care flows, from Python.

Load a scenario, change it, run it, compare scenarios and sweep parameters; results come back
as pandas DataFrames and xarray Datasets. The simulation runs in C++ (``careflow._core``),
replications in parallel, with the GIL released.

>>> import careflow
>>> s = careflow.default()                       # the embedded default council
>>> r = careflow.run(s, replications=4, years=8)
>>> r.summary.query("family == 'indicators'")
>>> c = careflow.compare([careflow.load("scenarios/status_quo.yaml"),
...                       careflow.load("scenarios/joint_commissioning.yaml")])
>>> c.table

Errors in scenarios raise :class:`ScenarioError` with ``file``, ``line`` and ``field``; a results
file that cannot be read raises :class:`ResultsFileError` with its ``path``. Ctrl-C stops a
:func:`run`, :func:`compare` or :func:`sweep` within a simulated week and raises
``KeyboardInterrupt``; nothing of the interrupted call is kept or written.
"""
from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional, Sequence, Union

import numpy as np
import pandas as pd
import yaml

from . import _core

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["Scenario", "ScenarioError", "ResultsFileError", "Result", "Comparison", "SweepResult", "load", "default",
           "from_dict", "run", "compare", "sweep", "open_results"]

ScenarioError = _core.ScenarioError
ScenarioError.__doc__ = """Raised for a bad scenario (a ``ValueError``). Attributes: ``file``, ``line``
(1-based; 0 when unknown), ``field`` (e.g. ``services[front_door].capacity``) and ``kind``
(``value``, ``missing_field``, ``unknown_field``, ``unknown_name`` or ``text``); the message says
what was expected and what was found. A path of ``with_changes`` or ``sweep`` that names no field
or item is refused with the nearest valid name (``file`` is ``<changes>`` or ``<sweep>``)."""

ResultsFileError = _core.ResultsFileError
ResultsFileError.__doc__ = """Raised by :func:`open_results` (an ``OSError``) for a file that is missing,
not HDF5, a sweep file (``careflow sweep --out``) or lacks part of the layout of
docs/results-format.md. ``path`` is the file as given; the message is ``PATH: what is wrong``."""

_TIERS = _core.vocabulary()["tiers"]  # models/vocabulary.hpp


def _yaml_value(value: Any) -> str:
    """A Python value as the YAML text of a change (JSON is YAML; numpy values as plain ones)."""
    def plain(o):
        if hasattr(o, "tolist"):
            return o.tolist()
        raise TypeError(f"cannot write {type(o).__name__} {o!r} as a scenario value")
    return json.dumps(value, default=plain, ensure_ascii=False)


class Scenario:
    """A checked scenario: its YAML text (merged, with any ``extend`` resolved) and the folder
    that relative paths in it refer to. Immutable: ``with_changes`` and ``with_transform``
    return new scenarios."""

    def __init__(self, text: str, file_name: str = "<python>", base_dir: str = ".", _changes=(), _core_scenario=None):
        # The text as given and the changes made since: errors keep naming the file and line a
        # value was written on, and the C++ side applies the changes (the path language, once).
        self._source = text
        self._changes = list(_changes)
        self._core = _core_scenario if _core_scenario is not None else _core.parse(text, file_name, base_dir, self._changes)
        self._file = file_name
        self._base_dir = base_dir

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self._core.name

    @property
    def text(self) -> str:
        """The scenario as YAML (what ``to_dict`` reads)."""
        return self._core.text

    @property
    def services(self) -> List[str]:
        """Service names, in scenario order."""
        return list(self._core.services)

    @property
    def cohorts(self) -> List[str]:
        """Cohort names."""
        return list(self._core.cohorts)

    @property
    def agencies(self) -> List[str]:
        """Agency names (transforms may add one, e.g. ``childrens_trust``)."""
        return list(self._core.agencies)

    @property
    def warnings(self) -> List[str]:
        """Problems found before running (e.g. a service expected to be overloaded)."""
        return list(self._core.warnings())

    def to_dict(self) -> Dict[str, Any]:
        """The scenario as a Python dict (the YAML, parsed)."""
        return yaml.safe_load(self.text)

    def with_changes(self, changes: Dict[str, Any]) -> "Scenario":
        """A copy with fields changed by path, as ``careflow run --set``:
        ``{"services[early_help].capacity": 1500, "transforms[prevention_shift].share": 0.1,
        "run.warmup_years": 3}``. ``key[name]`` picks the item called ``name`` in a list. A path that
        names no field or no existing item raises ScenarioError with the nearest name; the copy's
        name says what changed (``"Default council [services[early_help].capacity=1500]"``)."""
        new = [(path, _yaml_value(value)) for path, value in changes.items()]
        return Scenario(self._source, self._file, self._base_dir, self._changes + new)

    def with_transform(self, name: str, **params: Any) -> "Scenario":
        """A copy with a named transform appended, e.g.
        ``s.with_transform("prevention_shift", share=0.1, to=["early_help", "reablement"])``.
        See ``careflow transforms`` (docs/transforms.md) for the transforms and parameters."""
        d = self.to_dict()
        d.setdefault("transforms", []).append({"name": name, **params})
        return from_dict(d, base_dir=self._base_dir, file_name=f"{self._file} + {name}")

    def __repr__(self) -> str:
        return f"<careflow.Scenario {self.name!r}: {len(self.services)} services, {len(self.cohorts)} cohorts>"


def load(path: str) -> Scenario:
    """Load and check a scenario file (``extend`` resolved relative to the file)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return Scenario(text, path, os.path.dirname(path) or ".")


def default() -> Scenario:
    """The embedded default scenario: a typical English council of ~300,000 residents."""
    return Scenario(_core.default_text(), "default.yaml (embedded)", ".")


def from_dict(d: Dict[str, Any], base_dir: str = ".", file_name: str = "<dict>") -> Scenario:
    """Build a scenario from a dict with the same fields as a scenario file."""
    return Scenario(yaml.safe_dump(d, sort_keys=False, allow_unicode=True), file_name, base_dir)


def _options(replications, seed, years, threads) -> Dict[str, Any]:
    return {"replications": int(replications or 0), "seed": int(seed or 0), "years": float(years or 0),
            "threads": int(threads or 0)}


class Result:
    """The results of a run, or of a results file read back by :func:`open_results` (the same
    tables either way): ``summary``, ``values``, ``episodes``, ``waits``, ``series``, ``delays``,
    ``step_changes``, ``tracks``, ``fingerprints``; ``metric()`` for one figure; ``save()`` to HDF5."""

    def __init__(self, data: Dict[str, Any], services: Sequence[str], cohorts: Sequence[str],
                 handle: Optional[Any] = None) -> None:
        # `data` is what _core's Run.data() or StoredRun.data() gives (one conversion in _core);
        # `handle` the _core.Run that can save itself (None when read from a file).
        self._d = data
        self._services = list(services)
        self._cohorts = list(cohorts)
        self._handle = handle

    @property
    def summary(self) -> pd.DataFrame:
        """One row per figure: family, name, subject, unit, mean, half_width, lower, upper, n
        (95% Student-t interval across replications)."""
        d = self._d
        df = pd.DataFrame({"family": d["family"], "name": d["name"], "subject": d["subject"], "unit": d["unit"],
                           "mean": d["mean"], "half_width": d["half_width"], "n": d["n"]})
        df.insert(6, "lower", df["mean"] - df["half_width"])
        df.insert(7, "upper", df["mean"] + df["half_width"])
        return df

    @property
    def values(self) -> pd.DataFrame:
        """Every figure of every replication: rows are figures (family, name, subject), columns replications."""
        d = self._d
        idx = pd.MultiIndex.from_arrays([d["family"], d["name"], d["subject"]], names=["family", "name", "subject"])
        return pd.DataFrame(np.asarray(d["values"]), index=idx)

    def metric(self, family: str, name: str, subject: str = "") -> pd.Series:
        """One figure across replications."""
        return self.values.loc[(family, name, subject)]

    @property
    def unstable_queues(self) -> pd.DataFrame:
        """Services whose queue grows through the reported period (docs/model.md, "Unstable
        queues"): service, growth (people, last third minus first), growth_lower_99, mean_queue.
        Their waits depend on the horizon and the seed. Empty when every queue is stable, and
        when the check was not made (fewer than 3 replications: see ``queue_stability_checked``)."""
        return pd.DataFrame(list(self._d["unstable_queues"]), columns=["service", "growth", "growth_lower_99", "mean_queue"])

    @property
    def queue_stability_checked(self) -> bool:
        """Whether the run had the replications (at least 3) the stability check needs."""
        return bool(self._d["queue_stability_checked"])

    @property
    def episodes(self) -> pd.DataFrame:
        """One row per episode (a person's stay at a service), with service and cohort names."""
        df = pd.DataFrame({k: np.asarray(v) for k, v in self._d["episodes"].items()})
        df["service_name"] = pd.Categorical.from_codes(df["service"], self._services) if len(df) else pd.Categorical([])
        df["cohort_name"] = pd.Categorical.from_codes(df["cohort"], self._cohorts) if len(df) else pd.Categorical([])
        return df

    @property
    def waits(self) -> pd.DataFrame:
        """Episodes that started service: replication, service_name, cohort_name, wait (days)."""
        e = self.episodes
        return e.loc[e["started"].notna(), ["replication", "service_name", "cohort_name", "referred", "wait"]].reset_index(drop=True)

    @property
    def series(self) -> "xr.Dataset":
        """Weekly series as an xarray Dataset with dims (replication, week, service): queue,
        occupancy, spend, step_ups, step_downs; coordinate ``time_days`` (each week's end)."""
        import xarray as xr
        d = self._d
        coords = {"replication": np.arange(np.asarray(d["queue"]).shape[0]), "week": np.arange(len(d["time_days"])),
                  "service": self._services, "time_days": ("week", np.asarray(d["time_days"]))}
        return xr.Dataset({k: (("replication", "week", "service"), np.asarray(d[k]))
                           for k in ("queue", "occupancy", "spend", "step_ups", "step_downs")}, coords=coords)

    @property
    def delays(self) -> pd.DataFrame:
        """Delayed transfers of care: person, hospital, waiting_for, reason, start, end (days)."""
        return pd.DataFrame({k: (v if k == "reason" else np.asarray(v)) for k, v in self._d["delays"].items()})

    @property
    def step_changes(self) -> pd.DataFrame:
        """Step changes: person, time, from_service, to_service, direction (+1 up, -1 down)."""
        return pd.DataFrame({k: np.asarray(v) for k, v in self._d["step_changes"].items()})

    @property
    def tracks(self) -> pd.DataFrame:
        """Tracked persons' moves (what the animation shows): replication, person, time (days),
        service (-1 outside the care system), state (0 waiting, 1 in service, 2 in hand-off, 3 left)."""
        return pd.DataFrame({k: np.asarray(v) for k, v in self._d["tracks"].items()})

    @property
    def fingerprints(self) -> np.ndarray:
        """Event-trace fingerprint of each replication (equal runs have equal fingerprints)."""
        return np.asarray(self._d["fingerprints"])

    def save(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Write the HDF5 results file (layout: docs/results-format.md), atomically, with the
        episodes of every replication that kept them; returns nothing. Raises ``ValueError`` for a
        result read from a file (it is saved already)."""
        if self._handle is None:
            raise ValueError("this result was read from a file; it is saved already")
        self._handle.save(os.fspath(path))


_Progress = Callable[[int, int], Any]


def run(scenario: Scenario, replications: Optional[int] = None, seed: Optional[int] = None,
        years: Optional[float] = None, threads: Optional[int] = None, all_episodes: bool = False,
        progress: Optional[_Progress] = None) -> Result:
    """Run a scenario and return its :class:`Result`. ``None`` keeps the scenario's own setting;
    ``years`` is the horizon with the warm-up; ``threads`` 0/None uses every core (results do not
    depend on it); ``all_episodes`` keeps the episodes of every replication, not only replication 0.

    The simulation runs with the GIL released while this thread keeps running Python's signal
    handlers (every 50 ms): Ctrl-C (or any handler that raises) stops the run within a simulated
    week and raises that exception (``KeyboardInterrupt``); the module stays usable. ``progress``,
    if given, is called on this thread as ``progress(done, total)`` (replications finished, of
    ``total``) once the run is under way and whenever ``done`` changes; an exception it raises
    stops the run the same way."""
    o = _options(replications, seed, years, threads)
    h = _core.run(scenario._core, o["replications"], o["seed"], o["years"], o["threads"], all_episodes, progress)
    return Result(h.data(), scenario.services, scenario.cohorts, h)


class Comparison:
    """Scenarios compared with the first: ``table`` (one row per figure and scenario) and
    ``economics`` (payback year, cost per step change avoided, cumulative extra spending)."""

    def __init__(self, names: List[str], rows: List[Dict[str, Any]]):
        self.names = names
        frames = []
        econ = []
        for r in rows:
            df = pd.DataFrame({k: r[k] for k in ("family", "name", "subject", "unit", "base", "value", "difference",
                                                 "half_width")})
            df.insert(0, "scenario", r["scenario"])
            df["lower"] = df["difference"] - df["half_width"]
            df["upper"] = df["difference"] + df["half_width"]
            df["significant"] = (df["lower"] > 0) | (df["upper"] < 0)
            frames.append(df)
            econ.append({"scenario": r["scenario"], "payback_year": r["payback_year"],
                         "cost_per_step_up_avoided": r["cost_per_step_up_avoided"],
                         "cumulative_difference": list(r["cumulative_difference"])})
        #: One row per figure and scenario: base, value, difference ± half_width, significant.
        self.table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        #: One row per scenario: payback_year (0: saves from the start; NaN: not within the period).
        self.economics = pd.DataFrame(econ)


def compare(scenarios: Sequence[Scenario], replications: Optional[int] = None, seed: Optional[int] = None,
            years: Optional[float] = None, threads: Optional[int] = None, independent: bool = False,
            progress: Optional[_Progress] = None) -> Comparison:
    """Compare scenarios with the first, paired by replication (common random numbers);
    ``independent=True`` gives each its own random numbers (to see what pairing buys). Ctrl-C and
    ``progress`` (replications of every scenario) as in :func:`run`."""
    o = _options(replications, seed, years, threads)
    names, rows = _core.compare([s._core for s in scenarios], o["replications"], o["seed"], o["years"], o["threads"],
                                independent, progress)
    return Comparison(list(names), list(rows))


class SweepResult:
    """A sweep: ``points`` (the parameter values), ``summary`` (long table of every figure at
    every point) and ``values`` (xarray DataArray point × metric × replication)."""

    def __init__(self, points: pd.DataFrame, results: List[Result]):
        self.points = points
        self.results = results
        frames = []
        for i, r in enumerate(results):
            s = r.summary
            s.insert(0, "point", i)
            for col in points.columns:
                s.insert(1, col, points.iloc[i][col])
            frames.append(s)
        self.summary = pd.concat(frames, ignore_index=True)

    @property
    def values(self):
        """Every figure of every replication at every point (xarray, dims point, metric, replication)."""
        import xarray as xr
        v = np.stack([np.asarray(r._d["values"]) for r in self.results])
        first = self.results[0]._d
        metric = [f"{f}/{n}/{s}" if s else f"{f}/{n}" for f, n, s in zip(first["family"], first["name"], first["subject"])]
        return xr.DataArray(v, dims=("point", "metric", "replication"), coords={"metric": metric})


def sweep(scenario: Scenario, parameters: Dict[str, Iterable[Any]], grid: bool = True,
          replications: Optional[int] = None, seed: Optional[int] = None, years: Optional[float] = None,
          threads: Optional[int] = None, progress: Optional[_Progress] = None) -> SweepResult:
    """Run ``scenario`` at every combination (``grid``) or at the i-th values together (list) of
    ``parameters`` — ``{path: [values]}`` with paths as in ``with_changes``. Every point uses the
    same seed and replications (common random numbers across points). Ctrl-C and ``progress``
    (replications of every point) as in :func:`run`; an interrupted sweep returns nothing."""
    keys = list(parameters)
    values = [list(parameters[k]) for k in keys]
    plan = _core.plan_sweep(scenario._source, scenario._file, scenario._base_dir, scenario._changes,
                            [(k, [_yaml_value(v) for v in vs]) for k, vs in zip(keys, values)], grid)
    combos = [tuple(values[k][i] for k, i in enumerate(index)) for index, _ in plan]
    points = pd.DataFrame(combos, columns=keys)
    each = [int(replications or 0) or core.replications for _, core in plan]
    results = []
    for n, (index, core) in enumerate(plan):
        point = Scenario(scenario._source, scenario._file, scenario._base_dir,
                         scenario._changes + [(k, _yaml_value(values[j][i])) for j, (k, i) in enumerate(zip(keys, index))],
                         _core_scenario=core)
        before = sum(each[:n])
        step = None if progress is None else (lambda done, _, before=before: progress(before + done, sum(each)))
        results.append(run(point, replications, seed, years, threads, progress=step))
    return SweepResult(points, results)


def open_results(path: Union[str, "os.PathLike[str]"]) -> Result:
    """Read a results file written by ``careflow run --out`` or :meth:`Result.save` and return the
    :class:`Result` the run gave: the same summary, values, series, episodes (those the file
    keeps: replication 0, or every replication when saved with all episodes), delays, step
    changes, tracks and fingerprints, with the same columns and dtypes. The C++ reader reads it
    (``careflow animate`` and ``report`` use the same), with the GIL released; raises
    :class:`ResultsFileError` naming the path for a missing, non-HDF5, sweep or incomplete file."""
    stored = _core.open_results(os.fspath(path))
    return Result(stored.data(), stored.services, stored.cohorts)
