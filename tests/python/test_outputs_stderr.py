"""A standard error that cannot be written — closed (`2>&-`), on a full disk (/dev/full), or a
pipe whose reader has gone — never ends or changes a run: its messages (warnings, a sweep's
progress, the error of a failing command) are dropped, and the exit status is still 0 on
success, 2 on bad input and 1 on a failure. With standard error closed, no output file takes
its place (descriptor 2), so no message can land in a results file."""
import os
import resource
import signal
import subprocess

import h5py
import pytest

from conftest import CAREFLOW, ROOT, needs_careflow

pytestmark = needs_careflow

MM1 = ROOT / "scenarios/examples/mm1.yaml"
SHORT = ["-r", 2, "-y", 3]


@pytest.fixture(scope="module")
def overloaded(tmp_path_factory):
    """M/M/1 with more arrivals than its one place can serve: validation warns on stderr."""
    path = tmp_path_factory.mktemp("scenario") / "overloaded.yaml"
    text = MM1.read_text()
    assert "episodes_per_1000_per_year: 292.2" in text
    path.write_text(text.replace("episodes_per_1000_per_year: 292.2", "episodes_per_1000_per_year: 400"))
    return path


def run_with_stderr(mode, args, cwd, file_size_limit=None):
    """`careflow ARGS` with standard error closed, on /dev/full or a broken pipe."""
    assert os.path.exists("/dev/full"), "/dev/full is needed to stand for a full disk"

    def child():
        if file_size_limit is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))
        if mode == "closed":
            os.close(2)

    cmd = [CAREFLOW, *map(str, args)]
    if mode == "full":
        with open("/dev/full", "w") as full:
            return subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=full, text=True, preexec_fn=child, timeout=300)
    if mode == "pipe":
        read, write = os.pipe()
        os.close(read)  # the reader has gone: a write gets EPIPE and, by default, SIGPIPE
        try:
            return subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=write, text=True, preexec_fn=child,
                                  timeout=300)
        finally:
            os.close(write)
    return subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, text=True, preexec_fn=child, timeout=300)


MODES = ["closed", "full", "pipe"]


@pytest.mark.parametrize("mode", MODES)
def test_a_run_with_warnings_succeeds_and_its_file_is_clean(tmp_path, overloaded, mode):
    proc = run_with_stderr(mode, ["run", overloaded, *SHORT, "--out", "r.h5", "--csv", "tables"], tmp_path)
    assert proc.returncode == 0, (proc.returncode, proc.stdout)
    assert "WAITING TIMES" in proc.stdout and "Results written to r.h5" in proc.stdout
    with h5py.File(tmp_path / "r.h5", "r") as f:
        assert f.attrs["replications"] == 2
    assert b"warning" not in (tmp_path / "r.h5").read_bytes()
    assert sorted(os.listdir(tmp_path)) == ["r.h5", "tables"]


@pytest.mark.parametrize("mode", MODES)
def test_a_sweep_with_progress_succeeds(tmp_path, mode):
    proc = run_with_stderr(mode, ["sweep", MM1, "--set", "services[server].capacity=1,2", *SHORT, "--out", "sw.h5"],
                           tmp_path)
    assert proc.returncode == 0, (proc.returncode, proc.stdout)
    assert "2 points × 2 replications" in proc.stdout
    with h5py.File(tmp_path / "sw.h5", "r") as f:
        assert f.attrs["kind"] == "sweep"
    assert os.listdir(tmp_path) == ["sw.h5"]


@pytest.mark.parametrize("mode", MODES)
def test_bad_input_is_still_exit_2(tmp_path, mode):
    for args in (["run", "missing.yaml"],                          # refused by careflow
                 ["run", MM1, "--no-such-flag"],                   # refused by the command line parser
                 ["run", MM1, *SHORT, "--out", "missing/r.h5"]):   # an output refused before the run
        proc = run_with_stderr(mode, args, tmp_path)
        assert proc.returncode == 2, (args, proc.returncode, proc.stdout)
        assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("mode", MODES)
def test_a_failing_run_is_still_exit_1(tmp_path, mode):
    proc = run_with_stderr(mode, ["run", MM1, *SHORT, "--out", "r.h5", "-q"], tmp_path, file_size_limit=4096)
    assert proc.returncode == 1, (proc.returncode, proc.stdout)
    assert os.listdir(tmp_path) == []
