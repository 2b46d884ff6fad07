"""End to end: `careflow run` writes an HDF5 results file that h5py and pandas read without
careflow; bad input exits with status 2, names file, line and field, and writes nothing."""
import h5py
import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, careflow as run, needs_careflow

pytestmark = needs_careflow


@pytest.fixture(scope="module")
def default_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "default.h5"
    proc = run("run", "--replications", 3, "--years", 7, "--out", out)
    assert "WAITING TIMES" in proc.stdout and "INDICATORS" in proc.stdout
    return out


def strings(column):
    return [x.decode() if isinstance(x, bytes) else x for x in column]


def test_results_file_layout(default_results):
    with h5py.File(default_results, "r") as f:
        assert f.attrs["format_version"] == 2
        assert f.attrs["replications"] == 3
        assert "careflow: 1" in f["scenario/text"][()].decode()
        services = pd.DataFrame(f["scenario/services"][:])
        assert "hospital" in strings(services["name"])
        summary = pd.DataFrame(f["summary"][:])
        for col in ("family", "name", "subject", "unit"):
            summary[col] = strings(summary[col])
        assert set(summary["family"]) >= {"waits", "step_changes", "costs", "indicators"}
        assert f["summary_values"].shape == (len(summary), 3)
        # The summary mean is the mean of the replication values.
        np.testing.assert_allclose(summary["mean"], np.nanmean(f["summary_values"][:], axis=1), rtol=1e-12, equal_nan=True)
        episodes = pd.DataFrame(f["replications/r0000/episodes"][:])
        assert {"person", "service", "referred", "started", "wait", "cost", "outcome", "unit"} <= set(episodes.columns)
        assert len(episodes) > 1000
        served = episodes[episodes["started"].notna()]
        assert (served["wait"] >= 0).all()
        assert (served["unit"] >= 0).all()
        weeks = f["replications/r0000/series/time_days"].shape[0]
        assert f["replications/r0000/series/queue"].shape == (weeks, len(services))
        assert f["replications/r0001"].attrs["fingerprint"] != f["replications/r0000"].attrs["fingerprint"]


def test_money_adds_up_in_the_file(default_results):
    with h5py.File(default_results, "r") as f:
        summary = pd.DataFrame(f["summary"][:])
        for col in ("family", "name", "subject"):
            summary[col] = strings(summary[col])
        spend = summary[(summary.family == "costs") & (summary.name == "spend_per_year")]
        total = spend[spend.subject == ""]["mean"].iloc[0]
        by_agency = spend[spend.subject.str.startswith("agency:")]["mean"].sum()
        by_tier = spend[spend.subject.str.startswith("tier:")]["mean"].sum()
        assert by_agency == pytest.approx(total, rel=1e-9)
        assert by_tier == pytest.approx(total, rel=1e-9)


def test_json_summary():
    import json
    proc = run("run", ROOT / "scenarios/examples/mm1.yaml", "--replications", 2, "--years", 3, "--json")
    data = json.loads(proc.stdout)
    waits = [m for m in data["metrics"] if m["name"] == "mean_wait_days" and m["subject"] == "server"]
    assert waits and waits[0]["n"] == 2


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("careflow: 1\nname: x\nservices: [\n", "bad.yaml:"),
        ("careflow: 1\nname: x\nrun: {horizon_years: ten}\n", "run.horizon_years"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(tmp_path, text, fragment):
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    out = tmp_path / "out.h5"
    proc = run("run", bad, "--out", out, check=False)
    assert proc.returncode == 2, proc.stderr
    assert fragment in proc.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [bad]


def test_unwritable_output_fails_before_simulating(tmp_path):
    proc = run("run", "--out", tmp_path / "missing" / "x.h5", check=False)
    assert proc.returncode == 2
    assert "missing" in proc.stderr
    assert "WAITING TIMES" not in proc.stdout


def test_validate_reports_loads():
    proc = run("validate", ROOT / "scenarios/examples/jackson.yaml")
    assert "valid careflow scenario" in proc.stdout
    assert "utilisation" in proc.stdout
