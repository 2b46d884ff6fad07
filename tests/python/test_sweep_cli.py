"""A sweep killed at a random moment (SIGINT, SIGTERM, SIGKILL) leaves no results file; with
--resume it finishes without redoing finished replications and its file equals, byte for
byte, the file of an uninterrupted sweep."""
import signal
import subprocess
import time
from pathlib import Path

import h5py
import pytest

from conftest import CAREFLOW, ROOT, careflow, needs_careflow

pytestmark = needs_careflow

ARGS = ["sweep", str(ROOT / "scenarios/default.yaml"), "--set", "services[early_help].capacity=1300,1500,1700",
        "--replications", "4", "--years", "6", "--threads", "2"]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = tmp_path_factory.mktemp("full") / "sweep.h5"
    proc = careflow(*ARGS, "--out", out, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "3 points × 4 replications" in proc.stdout
    return out


def test_sweep_file_holds_every_point(uninterrupted):
    with h5py.File(uninterrupted, "r") as f:
        assert f.attrs["kind"] == "sweep"
        assert f["values"].shape[0] == 3 and f["values"].shape[2] == 4
        assert f["fingerprints"].shape == (3, 4)
    assert not Path(str(uninterrupted) + ".journal").exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_killed_sweep_resumes_to_the_same_bytes(tmp_path, uninterrupted, sig):
    out = tmp_path / "sweep.h5"
    journal = Path(str(out) + ".journal")
    proc = subprocess.Popen([CAREFLOW, *ARGS, "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not (journal.exists() and any(journal.glob("*.bin"))):
        time.sleep(0.05)
    assert proc.poll() is None, "the sweep finished before it could be interrupted"
    proc.send_signal(sig)
    proc.wait(timeout=60)
    assert proc.returncode != 0
    assert not out.exists(), "an interrupted sweep must not leave a results file"
    finished = len(list(journal.glob("*.bin")))
    assert 0 < finished < 12

    again = careflow(*ARGS, "--out", out, check=False)
    assert again.returncode == 2 and "--resume" in again.stderr

    resumed = careflow(*ARGS, "--out", out, "--resume", check=False)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming: {finished} of 12" in resumed.stderr
    assert out.read_bytes() == uninterrupted.read_bytes()
    assert not journal.exists()


def test_damaged_journal_records_are_computed_again(tmp_path, uninterrupted):
    """A killed sweep's journal with a flipped bit, a record cut short and two records swapped:
    --resume computes those tasks again and the file still equals the uninterrupted one."""
    out = tmp_path / "sweep.h5"
    journal = Path(str(out) + ".journal")
    proc = subprocess.Popen([CAREFLOW, *ARGS, "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and len(list(journal.glob("*.bin"))) < 4:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    records = sorted(journal.glob("*.bin"))
    assert len(records) >= 4 and not out.exists()
    flipped = bytearray(records[0].read_bytes())
    flipped[len(flipped) // 2] ^= 0x10
    records[0].write_bytes(bytes(flipped))
    records[1].write_bytes(records[1].read_bytes()[:-5])
    a, b = records[2].read_bytes(), records[3].read_bytes()
    records[2].write_bytes(b)
    records[3].write_bytes(a)

    resumed = careflow(*ARGS, "--out", out, "--resume", check=False)
    assert resumed.returncode == 0, resumed.stderr
    assert "4 journal record(s)" in resumed.stderr and "computed again" in resumed.stderr
    assert out.read_bytes() == uninterrupted.read_bytes()
    assert not journal.exists()
