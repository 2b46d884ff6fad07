"""Sweeps over MPI ranks (`mpirun -np 2 careflow sweep ...`): the results file is byte for byte
the file of the same sweep in one process; a killed MPI sweep resumes to the same bytes; a failing
rank fails the job, names the rank and leaves no results file; bad input is refused before any
work with the single-process message. Registered by tests/CMakeLists.txt only when careflow is
built with MPI (otherwise the test is reported as skipped)."""
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

import mpi_launch
from conftest import ROOT, careflow, careflow_mpi, mpirun_careflow, needs_careflow_and_mpi

pytestmark = needs_careflow_and_mpi

ARGS = ["sweep", str(ROOT / "scenarios/default.yaml"), "--set", "services[early_help].capacity=1300,1500,1700",
        "--replications", "4", "--years", "6", "--threads", "1"]
TOTAL = 12


@pytest.fixture(scope="module")
def sequential(tmp_path_factory):
    out = tmp_path_factory.mktemp("seq") / "sweep.h5"
    proc = careflow(*ARGS, "--out", out, check=False)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.mark.parametrize("ranks", [1, 2])
def test_mpi_sweep_equals_the_sequential_sweep(tmp_path, sequential, ranks):
    out = tmp_path / "sweep.h5"
    proc = careflow_mpi(ranks, *ARGS, "--out", out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("3 points × 4 replications") == 1, proc.stdout  # rank 0 alone prints
    assert out.read_bytes() == sequential.read_bytes()
    assert not Path(str(out) + ".journal").exists()


def test_rank_0_as_pure_coordinator_gives_the_same_file(tmp_path, sequential):
    out = tmp_path / "sweep.h5"
    proc = careflow_mpi(2, *ARGS, "--out", out, CAREFLOW_MPI_ROOT_WORKS="0")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert out.read_bytes() == sequential.read_bytes()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_killed_mpi_sweep_resumes_to_the_same_bytes(tmp_path, sequential, sig):
    out = tmp_path / "sweep.h5"
    journal = Path(str(out) + ".journal")
    proc = subprocess.Popen([*mpirun_careflow(2), *ARGS, "--out", str(out)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=mpi_launch.mpi_env(), start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and not (journal.exists() and any(journal.glob("*.bin"))):
        time.sleep(0.05)
    assert proc.poll() is None, "the sweep finished before it could be interrupted"
    os.killpg(proc.pid, sig)  # as a terminal or a batch system does: mpirun and its ranks
    proc.wait(timeout=60)
    assert proc.returncode != 0
    assert not out.exists(), "an interrupted sweep must not leave a results file"
    finished = len(list(journal.glob("*.bin")))
    assert 0 < finished < TOTAL

    again = careflow_mpi(2, *ARGS, "--out", out)
    assert again.returncode == 2 and "--resume" in again.stderr

    resumed = careflow_mpi(2, *ARGS, "--out", out, "--resume")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"resuming: {finished} of {TOTAL}" in resumed.stderr
    assert out.read_bytes() == sequential.read_bytes()
    assert not journal.exists()


@pytest.mark.parametrize("rank", [1, 0])
def test_failing_rank_fails_the_job_and_names_it(tmp_path, rank):
    out = tmp_path / "sweep.h5"
    proc = careflow_mpi(2, *ARGS, "--out", out, CAREFLOW_TEST_FAIL_RANK=str(rank))
    assert proc.returncode != 0
    assert f"rank {rank} of 2 failed" in proc.stderr, proc.stderr
    assert "CAREFLOW_TEST_FAIL_RANK" in proc.stderr
    assert not out.exists(), "a failed sweep must not leave a results file"
    # What finished is journalled: the same sweep resumes (without the hook) to a complete file.
    resumed = careflow_mpi(2, *ARGS, "--out", out, "--resume")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert out.exists()


@pytest.mark.parametrize("bad", [
    ["--set", "services[early_help].capacty=1,2"],   # a misspelt field: the scenario error of point 0
    ["--set", "services[early_help].capacity"],      # no values
])
def test_bad_input_is_refused_before_any_work_with_the_same_message(tmp_path, bad):
    out = tmp_path / "sweep.h5"
    base = ["sweep", str(ROOT / "scenarios/default.yaml"), *bad, "--replications", "2", "--years", "2", "--out", str(out)]
    single = careflow(*base, check=False)
    assert single.returncode == 2
    proc = careflow_mpi(2, *base)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.count(single.stderr.strip()) == 1, proc.stderr  # the same message, once
    assert not out.exists() and not Path(str(out) + ".journal").exists()
