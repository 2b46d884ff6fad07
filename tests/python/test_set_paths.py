"""The path language through the command line: `careflow run --set` and `careflow sweep --set`
change fields by path; a path that names no field, no existing item or a whole item is refused
with exit status 2 and the nearest valid name, before any work and without writing anything."""
import json
import os
import subprocess
from pathlib import Path

import pytest

CAREFLOW = os.environ.get("CAREFLOW_BIN")
ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not CAREFLOW, reason="CAREFLOW_BIN is not set (run through ctest)")
DEFAULT = ROOT / "scenarios" / "default.yaml"


def run(*args):
    return subprocess.run([CAREFLOW, *map(str, args)], capture_output=True, text=True)


@pytest.mark.parametrize("path, message", [
    ("services[earlyhelp].capacity=1200,1500",
     "--set: services[earlyhelp].capacity: no item called 'earlyhelp' in 'services'; did you mean 'early_help'?"),
    # once ran the unchanged baseline at every point
    ("cohorts[customers]=1,2", "--set: cohorts[customers]: no item called 'customers' in 'cohorts' (there are: "),
    ("cohorts[children]=1,2", "the path names an item of 'cohorts', not a value"),
    ("services[early_help].capcity=1,2", "no field 'capcity' in 'services[early_help]'; did you mean 'capacity'?"),
])
def test_sweep_refuses_a_path_that_names_nothing(tmp_path, path, message):
    out = tmp_path / "sweep.h5"
    p = run("sweep", DEFAULT, "--set", path, "-r", 1, "-y", 3, "--out", out)
    assert p.returncode == 2, p.stderr
    assert message in p.stderr
    assert not out.exists() and not Path(str(out) + ".journal").exists()


def test_a_sweep_file_names_the_line_of_a_bad_path(tmp_path):
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(f"scenario: {DEFAULT}\nparameters:\n  services[early_help].capacity: [1200, 1500]\n"
                     "  run.warmup_yers: [2, 3]\n")
    p = run("sweep", "--file", sweep, "-r", 1, "-y", 3, "--out", tmp_path / "sweep.h5")
    assert p.returncode == 2
    assert f"{sweep}:4: run.warmup_yers: no field 'warmup_yers' in 'run'; did you mean 'warmup_years'?" in p.stderr


def test_run_set_changes_a_field_and_names_the_scenario_after_it():
    p = run("run", "--set", "services[early_help].capacity=1200", "--set", "run.seed=3", "-r", 1, "-y", 6, "--json")
    assert p.returncode == 0, p.stderr
    summary = json.loads(p.stdout)
    assert summary["scenario"].endswith("[services[early_help].capacity=1200, run.seed=3]")
    assert summary["seed"] == 3


@pytest.mark.parametrize("path, message", [
    ("services[early_help].capcity=1200", "--set: services[early_help].capcity: no field 'capcity'"),
    ("services[early_help].capacity=lots", "--set: services[early_help].capacity: expected a whole number"),
    ("horizon_years=5", "it belongs under 'run': run.horizon_years"),
    ("services[early_help]", "--set expects PATH=VALUE"),
])
def test_run_set_refuses_bad_changes(tmp_path, path, message):
    out = tmp_path / "run.h5"
    p = run("run", "--set", path, "-r", 1, "-y", 6, "--out", out)
    assert p.returncode == 2
    assert message in p.stderr
    assert not out.exists()
