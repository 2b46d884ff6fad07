"""Damaged and crafted results files through the programs a planner or researcher uses:
`careflow report`, `careflow animate` and `careflow.open_results` refuse them (exit 2, or
careflow.ResultsFileError) naming the file and, for a crafted shape, the dataset -- never a
signal, never an allocation the file cannot justify. Crafted shapes are made with h5py and the
seal recomputed (the SHA-256 after the 512-byte user block), so they pass the integrity check
and reach the reader's shape and size checks. h5py still reads careflow's files."""
import hashlib
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pytest

from conftest import ROOT, careflow, needs_careflow, reseal

pytestmark = needs_careflow
USER_BLOCK = 512


@pytest.fixture(scope="module")
def run_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "run.h5"
    careflow("run", ROOT / "scenarios/examples/jackson.yaml", "--years", "2", "--replications", "2", "--out", out)
    return out


def refused(path, *names):
    """report and animate exit 2 naming the file (and each of `names`); open_results raises."""
    for command in (["report", path, "--out", path.with_suffix(".html")], ["animate", path, "--out", path.with_suffix(".anim.html")]):
        proc = careflow(*command, check=False)
        assert proc.returncode == 2, (command, proc.returncode, proc.stderr)
        assert str(path) in proc.stderr, proc.stderr
        for name in names:
            assert name in proc.stderr, proc.stderr
        assert not path.with_suffix(".html").exists() and not path.with_suffix(".anim.html").exists()
    code = ("import careflow, sys\n"
            "try:\n    careflow.open_results(sys.argv[1])\nexcept careflow.ResultsFileError as e:\n"
            "    print(e); sys.exit(2)\n")
    env_py = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True)
    assert env_py.returncode == 2, env_py.stdout + env_py.stderr
    assert str(path) in env_py.stdout


def test_a_run_file_is_sealed_and_h5py_reads_it(run_file):
    data = run_file.read_bytes()
    assert data.startswith(b"careflow results file\nseal 1\n")
    assert f"bytes {len(data)}\n".encode() in data[:USER_BLOCK]
    assert hashlib.sha256(data[USER_BLOCK:]).hexdigest().encode() in data[:USER_BLOCK]
    with h5py.File(run_file, "r") as f:
        assert f.userblock_size == USER_BLOCK
        assert f.attrs["format_version"] == 2
        assert f["summary_values"].shape[1] == 2


@pytest.mark.parametrize("where", [0, 40, 700, -3000, -1])
def test_one_damaged_byte_is_refused(tmp_path, run_file, where):
    path = tmp_path / "damaged.h5"
    data = bytearray(run_file.read_bytes())
    data[where] ^= 0x01
    path.write_bytes(bytes(data))
    refused(path, "damaged")


def test_a_file_cut_short_is_refused(tmp_path, run_file):
    path = tmp_path / "short.h5"
    path.write_bytes(run_file.read_bytes()[:-100])
    refused(path, "cut short")


def craft(tmp_path, run_file, change):
    path = tmp_path / "crafted.h5"
    shutil.copy(run_file, path)
    with h5py.File(path, "r+") as f:
        change(f)
    reseal(path)
    return path


def replace(f, name, shape, dtype, chunks):
    """Dataset `name` replaced by one of `shape` that stores nothing (chunked, never written)."""
    attrs = dict(f[name].attrs)
    del f[name]
    ds = f.create_dataset(name, shape=shape, dtype=dtype, chunks=chunks)
    for k, v in attrs.items():
        ds.attrs[k] = v


def test_crafted_summary_shape_is_refused(tmp_path, run_file):
    path = craft(tmp_path, run_file, lambda f: replace(f, "summary_values", (2**40, 2), "f8", (1024, 2)))
    refused(path, "summary_values")


def test_crafted_weeks_are_refused_before_allocating(tmp_path, run_file):
    def change(f):
        g = "replications/r0000/series/"
        replace(f, g + "time_days", (2**37,), "f8", (4096,))
    path = craft(tmp_path, run_file, change)
    refused(path, "time_days")


def test_crafted_series_shape_is_refused(tmp_path, run_file):
    def change(f):
        name = "replications/r0000/series/queue"
        replace(f, name, (f[name].shape[0], 2**33), "f8", (1, 4096))
    path = craft(tmp_path, run_file, change)
    refused(path, "queue")


def test_crafted_record_table_is_refused_before_allocating(tmp_path, run_file):
    def change(f):
        name = "replications/r0000/step_changes"
        replace(f, name, (2**40,), f[name].dtype, (1024,))
    path = craft(tmp_path, run_file, change)
    refused(path, "step_changes")


def test_a_format_1_file_without_a_seal_still_reads(tmp_path, run_file):
    """Format 1 (no seal) is read, after a child process has read it first."""
    path = tmp_path / "v1.h5"
    data = bytearray(run_file.read_bytes())
    data[:USER_BLOCK] = bytes(USER_BLOCK)
    path.write_bytes(bytes(data))
    with h5py.File(path, "r+") as f:
        f.attrs["format_version"] = np.int32(1)
    proc = careflow("report", path, "--out", tmp_path / "v1.html", check=False)
    assert proc.returncode == 0, proc.stderr
    # And a format-2 file whose seal was removed is refused: its bytes cannot be checked.
    bare = tmp_path / "bare.h5"
    data = bytearray(run_file.read_bytes())
    data[:USER_BLOCK] = bytes(USER_BLOCK)
    bare.write_bytes(bytes(data))
    refused(bare, "integrity header")
