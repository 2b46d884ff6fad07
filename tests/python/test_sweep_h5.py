"""Reads the HDF5 sweep file written by tests/io/write_sample_sweep.cpp with h5py, pandas and
xarray, the way an analyst would without careflow (layout: docs/results-format.md, "Sweep files").

The expected values mirror sample_sweep() in write_sample_sweep.cpp: 3 points (a list sweep of
2 parameters), 2 replications, 3 metrics; value(i, m, r) = 100 i + 10 m + r, mean = value(i, m, 0)
+ 0.5, half_width = i + m / 10 + 0.01; point 1 lacks metric 1 (NaN there).
Run through ctest (io_sweep_h5_python), which sets CAREFLOW_SWEEP_WRITER.
"""
import os
import subprocess

import pytest
from conftest import run_writer, sample_writer

h5py = pytest.importorskip("h5py")
np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")

PARAMETERS = ["services[early help].capacity", "run.warmup_years"]
P, M, R = 3, 3, 2


@pytest.fixture(scope="module")
def writer():
    return sample_writer("CAREFLOW_SWEEP_WRITER", "io_sweep")


write = run_writer


@pytest.fixture(scope="module")
def sample(writer, tmp_path_factory):
    return write(writer, tmp_path_factory.mktemp("sweep") / "sweep.h5")


def decoded(df):
    """Fixed-length string fields come back as bytes: decode them to str."""
    for column in df.columns:
        if df[column].dtype == object:
            df[column] = df[column].str.decode("utf-8")
    return df


def expected_values():
    i, m, r = np.meshgrid(np.arange(P), np.arange(M), np.arange(R), indexing="ij")
    v = (100 * i + 10 * m + r).astype(float)
    v[1, 1, :] = np.nan
    return v


def test_root_attributes(sample):
    with h5py.File(sample, "r") as f:
        a = f.attrs
        assert a["format_version"] == 2
        assert a["generator"] == "careflow"
        assert a["kind"] == "sweep"
        assert a["base_file"] == "scenarios/base.yaml"
        assert a["seed"] == 7
        assert a["replications"] == R
        assert a["grid"] == 0
        assert sorted(a) == ["base_file", "format_version", "generator", "grid", "kind", "replications", "seed"]
        assert sorted(f) == ["base_scenario", "events", "fingerprints", "half_width", "mean", "metrics",
                             "parameters", "points", "values"]
        assert f["base_scenario/text"].asstr()[()] == "name: base\nseed: 7\n# costs in \u00a3\n"


def test_parameters_and_points(sample):
    with h5py.File(sample, "r") as f:
        assert f["parameters"].asstr()[:].tolist() == PARAMETERS
        assert list(f["points"].attrs["parameters"]) == PARAMETERS
        points = decoded(pd.DataFrame(f["points"][:]))
        assert list(points.columns) == ["index", "scenario_name", "p0", "p1"]
        assert points["index"].dtype == np.int32
        assert points["index"].tolist() == [0, 1, 2]
        assert points["scenario_name"].tolist() == ["base [0]", "base [1]", "base [2]"]
        assert points["p0"].tolist() == ["10", "20", "30"]
        assert points["p1"].tolist() == ["0.5", "1", "1.5"]
        # The columns renamed to the parameter paths, values as numbers.
        named = points.rename(columns={f"p{k}": p for k, p in enumerate(f["points"].attrs["parameters"])})
        assert named["run.warmup_years"].astype(float).tolist() == [0.5, 1.0, 1.5]


def test_metrics(sample):
    with h5py.File(sample, "r") as f:
        metrics = decoded(pd.DataFrame(f["metrics"][:]))
    assert list(metrics.columns) == ["family", "name", "subject", "unit"]
    assert metrics["family"].tolist() == ["waits", "costs", "indicators"]
    assert metrics["name"].tolist() == ["mean_wait_days", "spend_per_year", "delayed_transfers"]
    assert metrics["subject"].tolist() == ["early help", "", "hospital ward"]
    assert metrics["unit"].tolist() == ["days", "\u00a3", "per 10,000"]


def test_values(sample):
    with h5py.File(sample, "r") as f:
        ds = f["values"]
        assert ds.shape == (P, M, R)
        assert ds.dtype == np.float64
        assert ds.attrs["dims"] == "point,metric,replication"
        values = ds[:]
    # Point 1 lacks metric 1; point 2 reported its metrics in another order (aligned here).
    assert np.isnan(values[1, 1]).all()
    assert np.isnan(values).sum() == R
    np.testing.assert_array_equal(values, expected_values())


def test_mean_and_half_width(sample):
    with h5py.File(sample, "r") as f:
        for name in ("mean", "half_width"):
            assert f[name].shape == (P, M)
            assert f[name].attrs["dims"] == "point,metric"
        assert f["half_width"].attrs["level"] == pytest.approx(0.95)
        mean, half_width = f["mean"][:], f["half_width"][:]
    i, m = np.meshgrid(np.arange(P), np.arange(M), indexing="ij")
    expected_mean = (100 * i + 10 * m + 0.5).astype(float)
    expected_hw = i + m / 10 + 0.01
    expected_mean[1, 1] = expected_hw[1, 1] = np.nan
    np.testing.assert_array_equal(mean, expected_mean)
    np.testing.assert_allclose(half_width, expected_hw, rtol=1e-12)
    assert np.isnan(half_width[1, 1])


def test_fingerprints_and_events(sample):
    with h5py.File(sample, "r") as f:
        for name in ("fingerprints", "events"):
            assert f[name].shape == (P, R)
            assert f[name].dtype == np.uint64
            assert f[name].attrs["dims"] == "point,replication"
        fingerprints, events = f["fingerprints"][:], f["events"][:]
    # Above 2**63: must come back exactly, as unsigned 64-bit integers.
    assert [[int(x) for x in row] for row in fingerprints] == [
        [0xFEDCBA9876543210 + 2 * i + r for r in range(R)] for i in range(P)]
    assert events.tolist() == [[1000 * i + r for r in range(R)] for i in range(P)]


def test_pandas_long_table(sample):
    """The documented pandas recipe: one row per (point, metric, replication)."""
    with h5py.File(sample, "r") as f:
        points = decoded(pd.DataFrame(f["points"][:]))
        metrics = decoded(pd.DataFrame(f["metrics"][:]))
        values = f["values"][:]
    index = pd.MultiIndex.from_product([points["index"], metrics["name"], range(values.shape[2])],
                                       names=["point", "metric", "replication"])
    long = pd.Series(values.ravel(), index=index, name="value").dropna().reset_index()
    assert len(long) == P * M * R - R
    row = long.query("point == 2 and metric == 'delayed_transfers' and replication == 1")
    assert row["value"].tolist() == [221.0]


def test_xarray(sample):
    xr = pytest.importorskip("xarray")
    with h5py.File(sample, "r") as f:
        points = decoded(pd.DataFrame(f["points"][:]))
        metrics = decoded(pd.DataFrame(f["metrics"][:]))
        ds = f["values"]
        da = xr.DataArray(ds[:], dims=ds.attrs["dims"].split(","),
                          coords={"metric": metrics["family"] + "/" + metrics["name"] + "/" + metrics["subject"],
                                  "capacity": ("point", points["p0"].astype(int))})
    assert da.dims == ("point", "metric", "replication")
    means = da.mean("replication")
    assert float(means.sel(metric="waits/mean_wait_days/early help").isel(point=2)) == 200.5
    assert bool(np.isnan(means.sel(metric="costs/spend_per_year/").isel(point=1)))
    assert da.swap_dims(point="capacity").sel(capacity=20).shape == (M, R)


def test_deterministic_bytes(writer, sample, tmp_path):
    """Another process writing the same sweep gives the same bytes; a changed value does not."""
    again = write(writer, tmp_path / "again.h5")
    assert again.read_bytes() == sample.read_bytes()
    changed = write(writer, tmp_path / "changed.h5", "--value-changed")
    assert changed.read_bytes() != sample.read_bytes()
