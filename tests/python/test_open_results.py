"""careflow.open_results: a run saved and read back is the run (the same tables, columns, dtypes
and values, through the C++ reader that `careflow animate` and `report` use), a file written by
the C++ sample writer reads back as written, and a file that cannot be read raises
careflow.ResultsFileError naming its path. Run through ctest (python_open_results), which sets
PYTHONPATH and the sample writers (CAREFLOW_SAMPLE_WRITER, CAREFLOW_SWEEP_WRITER)."""
import math
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
from conftest import reseal
import pytest

careflow = pytest.importorskip("careflow", reason="PYTHONPATH must point at the built module (run through ctest)")
xr = pytest.importorskip("xarray")
ROOT = Path(__file__).resolve().parents[2]
OUTCOME_EXIT, OUTCOME_ONGOING = -1, -4


def assert_same_frame(a, b, name):
    """Equal exactly: columns, dtypes (categories too), index and values (NaN equal to NaN)."""
    if list(a.columns) == list(b.columns) and a.index.equals(b.index) and a.equals(b):
        return  # DataFrame.equals also requires each column's dtype to match
    pd.testing.assert_frame_equal(a, b, check_exact=True, obj=name)  # slower, but says what differs
    raise AssertionError(f"{name} differs")


def assert_same_result(back, r):
    """Every table of the façade's Result equal, exactly, with the same columns and dtypes."""
    for table in ("summary", "values", "episodes", "waits", "delays", "step_changes", "tracks"):
        assert_same_frame(getattr(back, table), getattr(r, table), table)
    xr.testing.assert_identical(back.series, r.series)
    np.testing.assert_array_equal(back.fingerprints, r.fingerprints)
    assert back.fingerprints.dtype == r.fingerprints.dtype == np.uint64


@pytest.fixture(scope="module")
def default_run():
    # Short, but long enough for every kind of record (delays need hospitals; step changes, specialists).
    return careflow.run(careflow.default(), replications=2, years=6)


@pytest.fixture(scope="module")
def saved(default_run, tmp_path_factory):
    path = tmp_path_factory.mktemp("saved") / "run.h5"
    default_run.save(str(path))
    return path


def test_a_saved_run_reads_back_as_the_run(default_run, saved):
    r = default_run
    for table in ("episodes", "delays", "step_changes", "tracks"):
        assert len(getattr(r, table)) > 0, f"the run has no {table}: the comparison would prove nothing"
    assert set(r.step_changes.replication) == {0, 1}  # records of every replication, not only the first
    assert set(r.episodes.replication) == {0}  # episodes of replication 0 only by default
    back = careflow.open_results(saved)
    assert_same_result(back, r)
    assert back.episodes["person"].dtype == np.uint64 and back.episodes["outcome"].dtype == np.int32
    assert back.episodes["replication"].dtype == np.uint64
    assert list(back.episodes.service_name.cat.categories) == careflow.default().services


def test_a_run_with_every_replications_episodes_reads_back_with_them(tmp_path):
    r = careflow.run(careflow.load(str(ROOT / "scenarios" / "examples" / "jackson.yaml")), replications=3, years=2,
                     all_episodes=True)
    assert set(r.episodes.replication) == {0, 1, 2}
    path = tmp_path / "all.h5"
    r.save(path)  # a pathlib.Path is accepted
    assert_same_result(careflow.open_results(path), r)


def test_a_reopened_result_is_not_saved_again(saved, tmp_path):
    with pytest.raises(ValueError, match="saved already"):
        careflow.open_results(saved).save(tmp_path / "again.h5")


def test_threads_reading_at_once_read_the_same(default_run, saved):
    # The GIL is released while reading; careflow's HDF5 calls still take turns.
    out = [None] * 4

    def read(i):
        out[i] = careflow.open_results(str(saved))

    threads = [threading.Thread(target=read, args=(i,)) for i in range(len(out))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for back in out:
        assert_same_result(back, default_run)


def test_python_runs_while_a_file_is_read(saved):
    # A thread that notes the time every millisecond can only do so while open_results runs if the
    # GIL is released there: count its notes well inside each call (5 ms from either end).
    notes, stop = [], threading.Event()

    def note():
        while not stop.is_set():
            notes.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=note)
    t.start()
    calls = []
    try:
        for _ in range(5):
            start = time.perf_counter()
            careflow.open_results(saved)
            calls.append((start + 0.005, time.perf_counter() - 0.005))
    finally:
        stop.set()
        t.join()
    inside = sum(1 for x in notes for a, b in calls if a < x < b)
    assert inside >= 10, f"{inside} notes while reading ({[round(b - a, 3) for a, b in calls]} s inside the calls)"


def test_reading_does_not_import_h5py(saved):
    code = ("import sys, careflow; r = careflow.open_results(sys.argv[1]); assert len(r.summary) > 0; "
            "assert 'h5py' not in sys.modules, 'careflow imported h5py'")
    done = subprocess.run([sys.executable, "-c", code, str(saved)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# ---- a file written by the C++ sample writer (tests/io/write_sample_results.cpp) --------------

def sample_writer(variable):
    path = os.environ.get(variable)
    if not path:
        pytest.skip(f"{variable} is not set: run through ctest (ctest --preset release -R python_open_results)")
    return path


def test_the_sample_file_reads_back_as_written(tmp_path):
    path = tmp_path / "sample.h5"
    subprocess.run([sample_writer("CAREFLOW_SAMPLE_WRITER"), str(path)], check=True, capture_output=True)
    r = careflow.open_results(str(path))
    s = r.summary
    assert s["name"].tolist() == ["mean_wait_days", "spend_per_year", "delayed_transfers"]
    assert s["unit"].tolist() == ["days", "\u00a3", "per 10,000"]
    assert s["mean"].tolist() == [12, 1100, 4] and s["half_width"].tolist() == [25.41, 1270.6, 12.71]
    assert s["n"].tolist() == [2, 2, 2]
    np.testing.assert_array_equal(r.values.to_numpy(), [[10, 14], [1000, 1200], [3, 5]])
    assert [int(x) for x in r.fingerprints] == [0xFEDCBA9876543210, 42]

    e = r.episodes
    assert e["person"].tolist() == [1, 2, 3] and set(e.replication) == {0}
    assert e["service_name"].tolist() == ["early help", "hospital ward", "early help"]
    assert e["cohort_name"].tolist() == ["children", "older people", "children"]
    assert e["outcome"].tolist() == [OUTCOME_EXIT, 0, OUTCOME_ONGOING]
    assert e["wait"].iloc[0] == 1.5 and math.isnan(e["wait"].iloc[2])

    d = r.delays  # replication 1's delay too
    assert d["replication"].tolist() == [0, 1] and d["reason"].tolist() == ["re-ablement", "funding decision"]
    assert math.isnan(d["end"].iloc[1])
    assert r.step_changes[["person", "time", "from_service", "to_service", "direction"]].values.tolist() == [
        [2, 20.0, -1, 1, 1], [2, 25.0, 1, 0, -1]]
    assert r.tracks["state"].tolist() == [0, 1, 3]

    q = r.series["queue"]
    assert q.dims == ("replication", "week", "service")
    assert list(r.series.service.values) == ["early help", "hospital ward"]
    np.testing.assert_array_equal(r.series["time_days"], [7, 14, 21])
    np.testing.assert_array_equal(q.sel(replication=1), 1000 + 10 * np.arange(3)[:, None] + np.arange(2)[None, :])


# ---- files that cannot be read --------------------------------------------------------------

def refused(path, *message):
    with pytest.raises(careflow.ResultsFileError) as e:
        careflow.open_results(path)
    assert isinstance(e.value, OSError)
    assert e.value.path == str(path)
    assert str(e.value).startswith(f"{path}: ")
    for part in message:
        assert part in str(e.value)
    return e.value


def test_a_missing_file_or_a_directory_is_refused(tmp_path):
    refused(tmp_path / "missing.h5", "no such results file")
    refused(tmp_path, "is a directory")


def test_a_file_that_is_not_hdf5_is_refused(tmp_path):
    text = tmp_path / "notes.h5"
    text.write_text("not HDF5\n")
    refused(text, "not an HDF5 file")


def test_a_cut_short_file_is_refused(saved, tmp_path):
    cut = tmp_path / "cut.h5"
    data = saved.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    refused(cut)


def test_a_file_lacking_part_of_the_layout_is_refused(saved, tmp_path):
    h5py = pytest.importorskip("h5py")  # to damage a copy; careflow itself never imports it
    lacking = tmp_path / "lacking.h5"
    shutil.copy(saved, lacking)
    with h5py.File(lacking, "r+") as f:
        del f["summary_values"]
    refused(lacking, "is damaged", "SHA-256")  # changed after careflow sealed it
    reseal(lacking)  # as if careflow had written it so: the reader's own checks
    refused(lacking, "summary_values")
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = [1, 2, 3]
    refused(other, "not a careflow results file")


def test_a_sweep_file_is_refused(tmp_path):
    path = tmp_path / "sweep.h5"
    subprocess.run([sample_writer("CAREFLOW_SWEEP_WRITER"), str(path)], check=True, capture_output=True)
    refused(path, "is a sweep file", "careflow run --out")
