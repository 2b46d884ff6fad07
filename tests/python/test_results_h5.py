"""Reads the HDF5 results written by tests/io/write_sample_results.cpp with h5py and pandas,
the way an analyst would without careflow (layout: docs/results-format.md).

The expected values mirror sample_scenario() / sample_result() in write_sample_results.cpp.
Run through ctest (io_results_h5_python), which sets CAREFLOW_SAMPLE_WRITER.
"""
import math
import os
import subprocess

import pytest
from conftest import run_writer, sample_writer

h5py = pytest.importorskip("h5py")
np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")

OUTCOME_EXIT, OUTCOME_ONGOING, OUTCOME_TRANSITION = -1, -4, -5
T_975_1DF = 12.706204736174703  # Student t quantile, 0.975, 1 degree of freedom


@pytest.fixture(scope="module")
def writer():
    return sample_writer("CAREFLOW_SAMPLE_WRITER", "io_results")


write = run_writer


@pytest.fixture
def sample(writer, tmp_path):
    return write(writer, tmp_path / "out.h5")


def decoded(df):
    """Fixed-length string fields come back as bytes: decode them to str."""
    for column in df.columns:
        if df[column].dtype == object:
            df[column] = df[column].str.decode("utf-8")
    return df


def test_root_attributes(sample):
    with h5py.File(sample, "r") as f:
        a = f.attrs
        assert a["format_version"] == 2
        assert a["generator"] == "careflow"
        assert a["scenario_name"] == "sample scenario"
        assert a["source_file"] == "sample.yaml"
        assert a["seed"] == 42
        assert a["replications"] == 2
        assert a["horizon_days"] == pytest.approx(2 * 365.25)
        assert a["warmup_days"] == pytest.approx(0.5 * 365.25)
        assert a["episodes_all_replications"] == 0
        assert list(f["replications"]) == ["r0000", "r0001"]


def test_scenario(sample):
    with h5py.File(sample, "r") as f:
        text = f["scenario/text"].asstr()[()]
        assert text == "name: sample scenario\nseed: 42\n# costs in \u00a3\n"
        services = decoded(pd.DataFrame(f["scenario/services"][:]))
        assert list(services.columns) == ["name", "tier", "kind", "agency", "capacity"]
        assert services["name"].tolist() == ["early help", "hospital ward"]
        assert services["tier"].tolist() == ["mainstream", "acute"]
        assert services["kind"].tolist() == ["service", "hospital"]
        assert services["agency"].tolist() == [0, 1]
        assert services["capacity"].tolist() == [12, 30]
        assert f["scenario/agencies"].asstr()[:].tolist() == ["council", "NHS trust"]
        assert f["scenario/cohorts"].asstr()[:].tolist() == ["children", "older people"]
        assert f["scenario/need_levels"].asstr()[:].tolist() == ["universal", "additional", "complex", "acute"]


def check_summary(f, half_widths):
    summary = decoded(pd.DataFrame(f["summary"][:]))
    assert list(summary.columns) == ["family", "name", "subject", "unit", "mean", "half_width", "lower", "upper", "n"]
    assert summary["family"].tolist() == ["waits", "costs", "indicators"]
    assert summary["name"].tolist() == ["mean_wait_days", "spend_per_year", "delayed_transfers"]
    assert summary["subject"].tolist() == ["early help", "", "hospital ward"]
    assert summary["unit"].tolist() == ["days", "\u00a3", "per 10,000"]
    assert summary["mean"].tolist() == pytest.approx([12, 1100, 4])
    assert summary["half_width"].tolist() == pytest.approx(half_widths, rel=1e-9)
    assert (summary["lower"] == summary["mean"] - summary["half_width"]).all()
    assert (summary["upper"] == summary["mean"] + summary["half_width"]).all()
    assert summary["n"].tolist() == [2, 2, 2]
    assert f["summary"].attrs["level"] == pytest.approx(0.95)
    values = f["summary_values"][:]
    assert values.shape == (3, 2)
    np.testing.assert_array_equal(values, [[10, 14], [1000, 1200], [3, 5]])


def test_summary_as_given(sample):
    with h5py.File(sample, "r") as f:
        check_summary(f, [25.41, 1270.6, 12.71])


def test_summary_computed_when_missing(writer, tmp_path):
    path = write(writer, tmp_path / "computed.h5", "--no-summary")
    with h5py.File(path, "r") as f:
        # Two values a, b: half-width = t(0.975, 1) * |a - b| / 2.
        check_summary(f, [T_975_1DF * 2, T_975_1DF * 100, T_975_1DF * 1])


def test_episodes(sample):
    with h5py.File(sample, "r") as f:
        ds = f["replications/r0000/episodes"]
        assert ds.compression == "gzip"
        episodes = pd.DataFrame(ds[:])
    assert list(episodes.columns) == ["person", "cohort", "service", "referred", "started", "ended", "wait",
                                      "cost", "outcome", "unit", "need_at_start", "need_at_end"]
    assert episodes["person"].dtype == np.uint64
    assert episodes["outcome"].dtype == np.int32
    assert episodes["person"].tolist() == [1, 2, 3]
    assert episodes["cohort"].tolist() == [0, 1, 0]
    assert episodes["service"].tolist() == [0, 1, 0]
    assert episodes["referred"].tolist() == [10.5, 20.0, 30.0]
    assert episodes["cost"].tolist() == [250.0, 1800.0, 0.0]
    assert episodes["outcome"].tolist() == [OUTCOME_EXIT, 0, OUTCOME_ONGOING]
    assert episodes["unit"].tolist() == [3, 7, -1]
    assert episodes["need_at_start"].tolist() == [1, 3, 2]
    assert episodes["need_at_end"].tolist() == [0, 2, 2]
    ongoing = episodes.iloc[2]
    assert math.isnan(ongoing["started"]) and math.isnan(ongoing["ended"]) and math.isnan(ongoing["wait"])
    assert episodes["wait"].iloc[0] == 1.5


def test_episodes_of_first_replication_only_by_default(sample, writer, tmp_path):
    with h5py.File(sample, "r") as f:
        assert "episodes" in f["replications/r0000"]
        assert "episodes" not in f["replications/r0001"]
    path = write(writer, tmp_path / "all.h5", "--all-episodes")
    with h5py.File(path, "r") as f:
        assert f.attrs["episodes_all_replications"] == 1
        second = pd.DataFrame(f["replications/r0001/episodes"][:])
    assert second["person"].tolist() == [4, 5]
    assert second["outcome"].tolist() == [OUTCOME_TRANSITION, OUTCOME_ONGOING]


def test_replication_attributes(sample):
    with h5py.File(sample, "r") as f:
        first, second = f["replications/r0000"].attrs, f["replications/r0001"].attrs
        assert first["events"] == 12345 and second["events"] == 23456
        assert first["replication"] == 0 and second["replication"] == 1
        # Above 2**63: must come back exactly, as an unsigned 64-bit integer.
        assert first["fingerprint"].dtype == np.uint64
        assert int(first["fingerprint"]) == 0xFEDCBA9876543210
        assert int(second["fingerprint"]) == 42


def test_step_changes_delays_tracks(sample):
    with h5py.File(sample, "r") as f:
        steps = pd.DataFrame(f["replications/r0000/step_changes"][:])
        assert list(steps.columns) == ["person", "time", "from_service", "to_service", "direction"]
        assert steps.values.tolist() == [[2, 20.0, -1, 1, 1], [2, 25.0, 1, 0, -1]]

        delays = decoded(pd.DataFrame(f["replications/r0000/delays"][:]))
        assert list(delays.columns) == ["person", "hospital", "waiting_for", "reason", "start", "end"]
        assert delays["reason"].tolist() == ["re-ablement"]
        assert delays[["start", "end"]].values.tolist() == [[24.0, 25.0]]
        later = decoded(pd.DataFrame(f["replications/r0001/delays"][:]))
        assert later["reason"].tolist() == ["funding decision"]
        assert later["waiting_for"].tolist() == [-1]
        assert math.isnan(later["end"].iloc[0])

        tracks = pd.DataFrame(f["replications/r0000/tracks"][:])
        assert list(tracks.columns) == ["person", "time", "service", "state"]
        assert tracks["state"].tolist() == [0, 1, 3]

        # Empty tables exist, with their columns and zero rows.
        for name in ("step_changes", "tracks"):
            ds = f[f"replications/r0001/{name}"]
            assert ds.shape == (0,)
            assert pd.DataFrame(ds[:]).columns.tolist() == pd.DataFrame(f[f"replications/r0000/{name}"][:]).columns.tolist()


def test_series(sample):
    with h5py.File(sample, "r") as f:
        names = [s.decode() for s in f["scenario/services"]["name"]]
        assert names == ["early help", "hospital ward"]
        for rep, offset in (("r0000", 0), ("r0001", 1000)):
            g = f[f"replications/{rep}/series"]
            np.testing.assert_array_equal(g["time_days"][:], [7, 14, 21])
            expected = offset + 10 * np.arange(3)[:, None] + np.arange(2)[None, :]
            for name in ("queue", "occupancy", "spend", "step_ups", "step_downs"):
                assert g[name].shape == (3, len(names))
                assert g[name].dtype == np.float64
                assert g[name].attrs["dims"] == "week,service"
            np.testing.assert_array_equal(g["queue"][:], expected)
            np.testing.assert_array_equal(g["occupancy"][:], expected + 100)
            np.testing.assert_array_equal(g["spend"][:], expected * 1000 + 0.5)
            np.testing.assert_array_equal(g["step_ups"][:], [[0, 0], [1, 1], [2, 2]])
            np.testing.assert_array_equal(g["step_downs"][:], [[0, 1], [0, 1], [0, 1]])
            assert g["spend"].attrs["units"] == "\u00a3"


def test_series_as_xarray(sample):
    xr = pytest.importorskip("xarray")  # the snippet of docs/results-format.md
    with h5py.File(sample, "r") as f:
        services = [s.decode() for s in f["scenario/services"]["name"]]
        g = f["replications/r0000/series"]
        ds = xr.Dataset(
            {k: (("week", "service"), g[k][:]) for k in ("queue", "occupancy", "spend", "step_ups", "step_downs")},
            coords={"time_days": ("week", g["time_days"][:]), "service": services})
    assert float(ds["queue"].sel(service="hospital ward").isel(week=2)) == 21


def test_no_temporary_file_left(writer, tmp_path):
    target = tmp_path / "out.h5"
    write(writer, target)
    write(writer, target)  # replacing an existing file
    assert sorted(os.listdir(tmp_path)) == ["out.h5"]
    with h5py.File(target, "r") as f:
        assert f.attrs["generator"] == "careflow"


def test_unwritable_path_fails_cleanly(writer, tmp_path):
    target = tmp_path / "missing" / "out.h5"
    done = subprocess.run([writer, str(target)], capture_output=True, text=True)
    assert done.returncode == 1
    assert str(target) in done.stderr and "does not exist" in done.stderr
    assert os.listdir(tmp_path) == []
