"""The Python module: load, change, run, compare, sweep, save and read back; errors as
exceptions with file, line and field; results independent of the thread count."""
import os
import pydoc
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

careflow = pytest.importorskip("careflow", reason="PYTHONPATH must point at the built module (run through ctest)")
ROOT = Path(__file__).resolve().parents[2]


def example(name):
    return careflow.load(str(ROOT / "scenarios" / name))


def test_load_default_and_files():
    d = careflow.default()
    assert "hospital" in d.services and "children" in d.cohorts
    trust = example("childrens_trust.yaml")  # uses `extend: default.yaml`
    assert "childrens_trust" in trust.agencies


def test_dict_round_trip_and_changes():
    s = example("examples/mm1.yaml")
    again = careflow.from_dict(s.to_dict())
    assert again.to_dict() == s.to_dict()
    bigger = s.with_changes({"services[server].capacity": 2, "run.replications": 3})
    assert bigger.to_dict()["services"][0]["capacity"] == 2
    with pytest.raises(careflow.ScenarioError, match="no item called 'nope'") as e:
        s.with_changes({"services[nope].capacity": 2})
    assert e.value.field == "services[nope].capacity"


def test_errors_carry_file_line_field():
    d = example("examples/mm1.yaml").to_dict()
    d["services"][0]["capcity"] = 1
    with pytest.raises(careflow.ScenarioError) as e:
        careflow.from_dict(d, file_name="mine.yaml")
    assert e.value.file == "mine.yaml" and e.value.line > 0 and e.value.field.endswith("capcity")
    assert "did you mean 'capacity'" in str(e.value)
    assert isinstance(e.value, ValueError)


def test_transform():
    s = careflow.default().with_transform("winter_surge", amplitude=0.25)
    assert s.to_dict()["transforms"][-1] == {"name": "winter_surge", "amplitude": 0.25}
    with pytest.raises(careflow.ScenarioError, match="did you mean 'prevention_shift'"):
        careflow.default().with_transform("prevention_shiftt", share=0.1)


def test_run_matches_theory_and_has_tables():
    r = careflow.run(example("examples/mm1.yaml"), replications=10)
    row = r.summary.query("family == 'waits' and name == 'mean_wait_days' and subject == 'server'").iloc[0]
    assert row["lower"] <= 4.0 <= row["upper"]  # M/M/1, rho 0.8: Wq = 4 days
    assert list(r.summary.columns) == ["family", "name", "subject", "unit", "mean", "half_width", "lower", "upper", "n"]
    assert r.values.shape[1] == 10
    assert r.waits["wait"].min() >= 0 and set(r.waits.service_name) == {"server"}
    assert r.series["queue"].dims == ("replication", "week", "service")
    assert len(r.metric("waits", "mean_wait_days", "server")) == 10


def test_unstable_queues_are_named():
    # The M/M/1 example is stable; with arrivals above the service rate (rho 1.25) it is not.
    s = example("examples/mm1.yaml")
    stable = careflow.run(s, replications=4, years=4)
    assert stable.queue_stability_checked and stable.unstable_queues.empty
    overloaded = careflow.run(s.with_changes({"cohorts[customers].episodes_per_1000_per_year": 456.6}), replications=8, years=4)
    q = overloaded.unstable_queues
    assert list(q.columns) == ["service", "growth", "growth_lower_99", "mean_queue"]
    assert list(q.service) == ["server"] and (q.growth_lower_99 > 0).all()
    assert not careflow.run(s, replications=2, years=2).queue_stability_checked


def test_threads_do_not_change_results_and_gil_is_released():
    s = careflow.default()
    ticks = []
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.001)

    t = threading.Thread(target=count)
    t.start()
    one = careflow.run(s, replications=2, years=6, threads=1)
    stop.set()
    t.join()
    two = careflow.run(s, replications=2, years=6, threads=2)
    assert len(ticks) > 10  # Python kept running while the simulation ran
    np.testing.assert_array_equal(one.fingerprints, two.fingerprints)
    pd.testing.assert_frame_equal(one.values, two.values)


def test_compare_with_common_random_numbers():
    s = careflow.default()
    t = s.with_changes({"services[early_help].capacity": 1350})
    paired = careflow.compare([s, t], replications=4, years=7)
    indep = careflow.compare([s, t], replications=4, years=7, independent=True)
    key = (paired.table.name == "spend_per_year") & (paired.table.subject == "")
    assert paired.table[key].half_width.iloc[0] < indep.table[key].half_width.iloc[0]
    assert {"payback_year", "cost_per_step_up_avoided"} <= set(paired.economics.columns)


def test_sweep_grid():
    sw = careflow.sweep(example("examples/mm1.yaml"), {"services[server].capacity": [1, 2], "run.seed": [1, 2]},
                        replications=2, years=2)
    assert len(sw.points) == 4
    assert sw.values.shape[0] == 4 and sw.values.shape[2] == 2


def test_save_and_open(tmp_path):
    r = careflow.run(example("examples/jackson.yaml"), replications=2, years=3)
    path = tmp_path / "r.h5"
    r.save(str(path))
    back = careflow.open_results(str(path))
    pd.testing.assert_frame_equal(back.summary, r.summary, check_dtype=False)
    assert len(back.episodes) == len(r.episodes[r.episodes.replication == 0])
    assert back.series["queue"].shape == r.series["queue"].shape


def test_help_is_useful():
    text = pydoc.render_doc(careflow)
    assert "compare" in text and "ScenarioError" in text
    for name in careflow.__all__:
        assert getattr(careflow, name).__doc__, name


def test_changes_go_through_the_path_language():
    s = careflow.default()
    with pytest.raises(careflow.ScenarioError, match=r"no item called 'earlyhelp' in 'services'; did you mean 'early_help'\?") as e:
        s.with_changes({"services[earlyhelp].capacity": 1200})
    assert (e.value.file, e.value.line, e.value.field, e.value.kind) == ("<changes>", 0, "services[earlyhelp].capacity",
                                                                         "unknown_name")
    with pytest.raises(careflow.ScenarioError, match="did you mean 'capacity'") as e:
        s.with_changes({"services[early_help].capcity": 1200})
    assert e.value.kind == "unknown_field"
    with pytest.raises(careflow.ScenarioError, match="names an item of 'cohorts', not a value"):
        s.with_changes({"cohorts[children]": 1})
    with pytest.raises(careflow.ScenarioError, match="expected a whole number") as e:
        s.with_changes({"services[early_help].capacity": "lots"})
    assert e.value.kind == "value"
    v = s.with_changes({"services[early_help].capacity": np.int64(1200)}).with_changes({"run.warmup_years": 3.5})
    assert v.to_dict()["run"]["warmup_years"] == 3.5
    assert [x["capacity"] for x in v.to_dict()["services"] if x["name"] == "early_help"] == [1200]
    assert v.name == s.name + " [services[early_help].capacity=1200, run.warmup_years=3.5]"


def test_sweep_points_are_planned_by_the_core():
    m = example("examples/mm1.yaml")
    with pytest.raises(ValueError, match="a list sweep needs the same number of values for every parameter"):
        careflow.sweep(m, {"services[server].capacity": [1, 2], "run.seed": [1, 2, 3]}, grid=False)
    with pytest.raises(careflow.ScenarioError, match="no item called 'srever' in 'services'; did you mean 'server'"):
        careflow.sweep(m, {"services[srever].capacity": [1, 2]})
    sw = careflow.sweep(m, {"services[server].capacity": [1, 2], "run.seed": [1, 2]}, grid=False, replications=1, years=2)
    assert sw.points.to_dict("list") == {"services[server].capacity": [1, 2], "run.seed": [1, 2]}
    assert len(sw.results) == 2
