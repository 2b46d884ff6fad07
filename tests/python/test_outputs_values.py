"""Numbers on the command line mean what they say: a seed outside 1…2^64−1, a negative count and
a number that is not finite are exit status 2 naming the flag, before anything is run or
written ("010" is ten, not octal eight); and `report --compare` refuses runs that cannot be
compared figure by figure, saying what differs, unless told (--allow-incomparable)."""
import json
import os
import shutil

import pytest

from conftest import ROOT, careflow, needs_careflow

pytestmark = needs_careflow

MM1 = ROOT / "scenarios/examples/mm1.yaml"
SHORT = ["-r", 2, "-y", 3]
SWEEP = ["sweep", MM1, "--set", "services[server].capacity=1,2"]


@pytest.mark.parametrize("command", [
    ["run", MM1],
    ["compare", MM1, MM1],
    SWEEP,
])
@pytest.mark.parametrize("flag, value, fragment", [
    ("--seed", "18446744073709551616", "out of range"),
    ("--seed", "-5", "found '-5'"),
    ("--seed", "0x10", "found '0x10'"),
    ("--replications", "-1", "found '-1'"),
    ("--threads", "-1", "found '-1'"),
    ("--site-threads", "-2", "found '-2'"),
    ("--years", "nan", "found 'nan'"),
    ("--years", "inf", "found 'inf'"),
    ("--years", "-3", "out of range"),
    ("--years", "1e400", "found '1e400'"),
    ("--scale", "nan", "found 'nan'"),
])
def test_a_number_that_does_not_mean_what_it_says_is_refused(tmp_path, command, flag, value, fragment):
    args = [*command]
    for short, default in (("--replications", 2), ("--years", 3)):  # a short run, were it to run
        if short != flag:
            args += [short, default]
    args += [flag, value]
    if command is SWEEP:
        args += ["--out", tmp_path / "sw.h5"]
    proc = careflow(*args, check=False, cwd=tmp_path)
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stderr.startswith(f"{flag}: ") and fragment in proc.stderr, proc.stderr
    assert proc.stdout == ""
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("args, fragment", [
    (["run", "--precision", "nan", "--advise"], "--precision: expected a number"),
    (["run", "--track", "-1"], "--track: expected a whole number"),
    (["animate", "r.h5", "--out", "a.html", "--video-seconds", "nan"], "--video-seconds: expected a number"),
    (["animate", "r.h5", "--out", "a.html", "--fps", "-1"], "--fps: expected a whole number"),
    (["report", "r.h5", "--out", "p.html", "--target", "waits=1e999"], "--target 'waits=1e999': 1e999 is not a finite number"),
])
def test_other_numbers_are_checked_too(tmp_path, args, fragment):
    careflow("run", MM1, *SHORT, "--out", tmp_path / "r.h5", "-q")
    proc = careflow(*args, check=False, cwd=tmp_path)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert fragment in proc.stderr, proc.stderr
    assert os.listdir(tmp_path) == ["r.h5"]


def test_numbers_are_read_as_decimal():
    proc = careflow("run", MM1, "-r", "02", "-y", 3, "--seed", "010", "--json")
    data = json.loads(proc.stdout)
    assert data["seed"] == 10 and data["replications"] == 2
    top = careflow("run", MM1, *SHORT, "--seed", "18446744073709551615", "--json")
    assert json.loads(top.stdout)["seed"] == 2**64 - 1


# ---- report --compare ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("runs")
    half = d / "half_warmup.yaml"
    half.write_text(MM1.read_text().replace("warmup_years: 1,", "warmup_years: 0.5,"))
    made = {  # name: (scenario, options)
        "a.h5": (MM1, SHORT),
        "seed.h5": (MM1, [*SHORT, "--seed", 9]),  # comparable: compared unpaired
        "horizon.h5": (MM1, ["-r", 2, "-y", 4]),
        "warmup.h5": (half, SHORT),
        "reps.h5": (MM1, ["-r", 3, "-y", 3]),
    }
    for name, (scenario, options) in made.items():
        careflow("run", scenario, *options, "--out", d / name, "-q")
    return d


@pytest.mark.parametrize("other, fragments", [
    ("horizon.h5", ["horizon 3 years in a.h5, 4 years in horizon.h5"]),
    ("warmup.h5", ["warm-up 1 year in a.h5, 0.5 years in warmup.h5"]),
    ("reps.h5", ["2 replications in a.h5, 3 in reps.h5"]),
])
def test_report_compare_refuses_runs_that_are_not_comparable(tmp_path, runs, other, fragments):
    for name in ("a.h5", other):
        shutil.copy(runs / name, tmp_path / name)
    proc = careflow("report", "a.h5", "--compare", other, "--out", "page.html", check=False, cwd=tmp_path)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "report --compare: the runs are not comparable" in proc.stderr and "--allow-incomparable" in proc.stderr
    for f in fragments:
        assert f in proc.stderr, proc.stderr
    assert not (tmp_path / "page.html").exists()

    allowed = careflow("report", "a.h5", "--compare", other, "--out", "page.html", "--allow-incomparable", cwd=tmp_path)
    assert "warning: report --compare: the runs are not comparable" in allowed.stderr
    assert (tmp_path / "page.html").stat().st_size > 0


def test_report_compare_lists_every_difference_and_takes_runs_of_other_seeds(tmp_path, runs):
    careflow("run", runs / "half_warmup.yaml", "-r", 3, "-y", 4, "--out", tmp_path / "all.h5", "-q")
    proc = careflow("report", runs / "a.h5", "--compare", tmp_path / "all.h5", "--out", tmp_path / "p.html", check=False)
    assert proc.returncode == 2
    assert "horizon" in proc.stderr and "warm-up" in proc.stderr and "replications" in proc.stderr, proc.stderr
    seeds = careflow("report", runs / "a.h5", "--compare", runs / "seed.h5", "--out", tmp_path / "p.html")
    assert "not comparable" not in seeds.stderr
    assert (tmp_path / "p.html").exists()


def test_animate_compare_refuses_another_clock(tmp_path, runs):
    proc = careflow("animate", runs / "a.h5", "--compare", runs / "horizon.h5", "--out", tmp_path / "a.html", check=False)
    assert proc.returncode == 2 and "animate --compare: the runs are not comparable: horizon" in proc.stderr, proc.stderr
    assert not (tmp_path / "a.html").exists()
    careflow("animate", runs / "a.h5", "--compare", runs / "reps.h5", "--out", tmp_path / "a.html")  # replication 0 of each
    assert (tmp_path / "a.html").exists()
