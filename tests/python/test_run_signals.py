"""`careflow run --out` killed at random moments (SIGINT, SIGTERM, SIGKILL) never leaves a
partial results file: the target is absent, or still the previous complete file, or the new
complete file (when the signal came after the rename). An output path that cannot be written
fails at once, before simulating.

The moments are pseudo-random from a fixed, printed seed (set CAREFLOW_SIGNAL_SEED to draw
others) and half of them fall near the end of the run, where the file is being written."""
import os
import random
import signal
import subprocess
import time

import h5py
import pytest

from conftest import CAREFLOW, careflow, needs_careflow

pytestmark = needs_careflow

ARGS = ["run", "--replications", "2", "--years", "6", "--threads", "2", "--quiet"]
KILLS_PER_SIGNAL = 8
# Fixed by default (a failure can be replayed); set CAREFLOW_SIGNAL_SEED to draw other moments.
SEED = int(os.environ.get("CAREFLOW_SIGNAL_SEED", "20261130"))
print(f"signal moments drawn with CAREFLOW_SIGNAL_SEED={SEED}")


def format_version(path):
    with h5py.File(path, "r") as f:
        return int(f.attrs["format_version"])


def complete(path, version):
    """A results file careflow finished: opens with h5py, has the format this careflow writes
    (`version`, read from the reference run's file) and holds both replications."""
    with h5py.File(path, "r") as f:
        return f.attrs["format_version"] == version and len([k for k in f["replications"]]) == 2


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    d = tmp_path_factory.mktemp("reference")
    previous = d / "previous.h5"  # the "previous complete file" a re-run would replace
    careflow(*ARGS, "--seed", 99, "--out", previous)
    # The fastest of three runs: on a shared machine a run may be much faster than the first
    # one timed, and a kill drawn after its end would only test a finished run.
    fastest = float("inf")
    for _ in range(3):
        start = time.monotonic()
        careflow(*ARGS, "--out", d / "full.h5")
        fastest = min(fastest, time.monotonic() - start)
    return previous, fastest


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["SIGINT", "SIGTERM", "SIGKILL"])
def test_killed_run_leaves_no_partial_file(tmp_path, reference, sig):
    previous, seconds = reference
    version = format_version(previous)
    rng = random.Random(SEED * 31 + int(sig))
    outcomes = {"killed": 0, "finished first": 0}
    for k in range(KILLS_PER_SIGNAL):
        work = tmp_path / f"kill{k}"
        work.mkdir()
        out = work / "results.h5"
        had_previous = k % 2 == 0
        if had_previous:
            out.write_bytes(previous.read_bytes())
        # Half anywhere in the run, half in its last fifth (simulation ending, file being written).
        moment = rng.uniform(0.02, 0.95) * seconds if k < KILLS_PER_SIGNAL // 2 else rng.uniform(0.7, 0.95) * seconds
        proc = subprocess.Popen([CAREFLOW, *ARGS, "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(moment)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
        if proc.returncode == 0:
            outcomes["finished first"] += 1
            assert complete(out, version)
        else:
            outcomes["killed"] += 1
            assert proc.returncode == -sig, err
            if out.exists() and not (had_previous and out.read_bytes() == previous.read_bytes()):
                assert complete(out, version), f"a partial results file was left at the target (killed after {moment:.2f} s)"
            elif not had_previous:
                assert not out.exists()
        leftovers = [p.name for p in work.iterdir() if p.name != "results.h5"]
        if sig == signal.SIGKILL:
            # SIGKILL cannot be caught: a temporary may remain, named apart from the target.
            assert all(n.startswith(".results.h5.tmp-") for n in leftovers), leftovers
        else:
            assert leftovers == [], f"the signal handler must remove the temporary file: {leftovers}"
    print(f"{sig.name}: {outcomes}")
    assert outcomes["killed"] >= KILLS_PER_SIGNAL // 4, "the run finished before most signals: make it longer"


@pytest.mark.parametrize("target,fragment", [
    ("missing/results.h5", "does not exist"),
    ("a_file/results.h5", "is not a directory"),
    ("a_directory", "it is a directory"),
])
def test_unwritable_output_fails_before_simulating(tmp_path, target, fragment):
    (tmp_path / "a_file").write_text("not a directory")
    (tmp_path / "a_directory").mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    start = time.monotonic()
    proc = careflow("run", "--replications", 2, "--years", 20, "--out", tmp_path / target, check=False, timeout=60)
    elapsed = time.monotonic() - start
    assert proc.returncode == 2
    assert target.split("/")[0] in proc.stderr and fragment in proc.stderr, proc.stderr
    assert elapsed < 2, f"took {elapsed:.1f} s: the path must be checked before simulating"
    assert "WAITING TIMES" not in proc.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == before
