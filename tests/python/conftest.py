"""What the Python tests of the careflow program share: where the program is (ctest sets
CAREFLOW_BIN, and CAREFLOW_MPIEXEC for the MPI tests), the markers that skip a test run outside
ctest, and running the program, alone or under mpirun.

Test modules import these names (`from conftest import ...`); pytest loads this file first."""
import hashlib
import os
import subprocess
from pathlib import Path

import pytest

import mpi_launch

ROOT = Path(__file__).resolve().parents[2]
CAREFLOW = os.environ.get("CAREFLOW_BIN")
MPIEXEC = os.environ.get("CAREFLOW_MPIEXEC")

needs_careflow = pytest.mark.skipif(not CAREFLOW, reason="CAREFLOW_BIN is not set (run through ctest)")
needs_careflow_and_mpi = pytest.mark.skipif(not (CAREFLOW and MPIEXEC),
                                            reason="CAREFLOW_BIN / CAREFLOW_MPIEXEC not set (run through ctest)")


def careflow(*args, check=True, timeout=600, **kwargs):
    """`careflow ARGS` (each argument str()-ed) with its output captured as UTF-8 text. With
    check, a non-zero exit status fails the test and shows both outputs. Other keyword arguments
    go to subprocess.run (cwd, env, ...)."""
    proc = subprocess.run([CAREFLOW, *map(str, args)], capture_output=True, encoding="utf-8", timeout=timeout, **kwargs)
    if check and proc.returncode != 0:
        raise AssertionError(f"careflow {' '.join(map(str, args))} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def mpirun_careflow(ranks):
    """The command line that starts careflow on `ranks` MPI ranks (arguments to follow)."""
    return [*mpi_launch.mpirun(MPIEXEC, ranks), CAREFLOW]


def careflow_mpi(ranks, *args, timeout=300, **env):
    """`mpirun -np RANKS careflow ARGS` in Open MPI's quiet single-machine set-up (mpi_launch),
    with `env` added to the environment; output captured as text, the exit status left to the test."""
    return subprocess.run([*mpirun_careflow(ranks), *map(str, args)], capture_output=True, encoding="utf-8",
                          env=mpi_launch.mpi_env(**env), timeout=timeout)


def sample_writer(variable, tests):
    """The sample-writer program (tests/io) that the environment variable names (ctest sets it);
    `tests` is the ctest name pattern to give when it is not set."""
    path = os.environ.get(variable)
    if not path:
        pytest.skip(f"{variable} is not set: run through ctest (ctest --preset release -R {tests}), or set it to the built writer")
    if not os.access(path, os.X_OK):
        pytest.fail(f"{variable}={path} is not an executable")
    return path


def run_writer(writer, path, *options):
    """Runs a sample writer to write `path`; a failure fails the test with its message."""
    done = subprocess.run([writer, str(path), *options], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return path


def reseal(path):
    """Writes careflow's seal (docs/results-format.md, "The seal") for a results file's present
    bytes, as careflow's writer would: for tests that change a file with h5py on purpose."""
    data = bytearray(Path(path).read_bytes())
    digest = hashlib.sha256(bytes(data[512:])).hexdigest()
    header = f"careflow results file\nseal 1\nbytes {len(data)}\nsha256 {digest}\n".encode()
    data[:512] = header + bytes(512 - len(header))
    Path(path).write_bytes(bytes(data))
