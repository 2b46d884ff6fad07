"""One output policy for every command (docs/reliability.md, "Outputs"): an output that is an
input, or another output, of the same command is refused with exit status 2 before anything is
simulated, however it is named; a FIFO, device or directory is never replaced; a folder or
name that cannot be written is refused before the run; a full disk is exit status 1 with every
previous file, CSV folders included, as it was."""
import os
import resource
import shutil
import signal
import stat
import subprocess
from pathlib import Path

import h5py
import pytest

from conftest import ROOT, careflow, needs_careflow

pytestmark = needs_careflow

MM1 = ROOT / "scenarios/examples/mm1.yaml"
SHORT = ["-r", 2, "-y", 3]


def listing(folder):
    """Every name below `folder` with its bytes (None for what is not a regular file)."""
    out = {}
    for p in sorted(Path(folder).rglob("*")):
        out[str(p.relative_to(folder))] = p.read_bytes() if p.is_file() and not p.is_symlink() else None
    return out


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A scenario, its workbook and a results file to name as inputs."""
    d = tmp_path_factory.mktemp("inputs")
    shutil.copy(MM1, d / "s.yaml")
    careflow("workbook", d / "s.yaml", "--out", d / "book.xlsx")
    careflow("run", d / "s.yaml", *SHORT, "--out", d / "r.h5", "-q")
    return d


@pytest.fixture
def work(tmp_path, made):
    for name in ("s.yaml", "book.xlsx", "r.h5"):
        shutil.copy(made / name, tmp_path / name)
    return tmp_path


def refused(work, *args, fragment):
    """`careflow ARGS` in `work`: exit 2 before simulating, the message, and nothing changed."""
    before = listing(work)
    proc = careflow(*args, check=False, cwd=work, timeout=120)  # a FIFO opened to write would block
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert fragment in proc.stderr, proc.stderr
    assert "WAITING TIMES" not in proc.stdout and "written" not in proc.stdout, proc.stdout
    assert listing(work) == before, "a refused command must leave every file as it was"
    return proc.stderr


# ---- an output that is an input, or another output ---------------------------------------

@pytest.mark.parametrize("args, fragment", [
    (["run", "s.yaml", *SHORT, "--out", "s.yaml"], "--out would replace the scenario 's.yaml'"),
    (["run", "book.xlsx", *SHORT, "--xlsx", "book.xlsx"], "--xlsx would replace the scenario 'book.xlsx'"),
    (["run", "./s.yaml", *SHORT, "--out", "s.yaml"], "--out would replace the scenario './s.yaml'"),
    (["run", "s.yaml", *SHORT, "--out", "sub/../s.yaml"], "--out would replace the scenario"),
    (["run", "s.yaml", *SHORT, "--out", "link.yaml"], "--out would replace the scenario"),
    (["run", "link.yaml", *SHORT, "--out", "hard.yaml"], "--out would replace the scenario"),
    (["report", "r.h5", "--out", "r.h5"], "--out would replace the results file 'r.h5'"),
    (["report", "s.h5", "--compare", "r.h5", "--out", "./r.h5"], "--out would replace --compare 'r.h5'"),
    (["report", "r.h5", "--stress", "--out", "link.h5"], "--out would replace the results file"),
    (["animate", "r.h5", "--out", "r.h5"], "--out would replace the results file 'r.h5'"),
    (["workbook", "book.xlsx", "--out", "book.xlsx"], "--out would replace the scenario 'book.xlsx'"),
    (["workbook", "s.yaml", "--out", "link.yaml"], "--out would replace the scenario"),
    (["compare", "s.yaml", "book.xlsx", "-r", 2, "-y", 3, "--xlsx", "book.xlsx"], "--xlsx would replace the scenario"),
    (["sweep", "s.yaml", "--set", "services[server].capacity=1,2", *SHORT, "--out", "s.yaml"],
     "--out would replace the scenario 's.yaml'"),
    (["run", "s.yaml", *SHORT, "--out", "t.xlsx", "--xlsx", "./t.xlsx"], "--xlsx and --out name the same file"),
])
def test_an_output_that_is_an_input_or_another_output_is_refused(work, args, fragment):
    (work / "sub").mkdir()
    os.symlink("s.yaml", work / "link.yaml")
    os.symlink("r.h5", work / "link.h5")
    os.link(work / "s.yaml", work / "hard.yaml")
    shutil.copy(work / "r.h5", work / "s.h5")
    refused(work, *args, fragment=fragment)


def test_an_output_that_is_a_base_the_scenario_extends_is_refused(work):
    (work / "child.yaml").write_text("careflow: 1\nextend: s.yaml\nname: a child of s\n")
    for args in (["run", "child.yaml", *SHORT, "--out", "s.yaml"],
                 ["run", "child.yaml", *SHORT, "--csv", "t", "--out", "./s.yaml"],
                 ["workbook", "child.yaml", "--out", "s.yaml"],
                 ["sweep", "child.yaml", "--set", "services[server].capacity=1,2", *SHORT, "--out", "s.yaml"]):
        refused(work, *args, fragment="would replace the scenario's base (extend) 's.yaml'")


def test_a_csv_folder_holding_an_input_or_an_output_is_refused(work):
    (work / "tables").mkdir()
    shutil.copy(work / "s.yaml", work / "tables" / "s.yaml")
    refused(work, "run", "tables/s.yaml", *SHORT, "--csv", "tables", fragment="the folder holds 's.yaml'")
    (work / "empty").mkdir()
    refused(work, "run", "s.yaml", *SHORT, "--csv", "empty", "--out", "empty/r.h5",
            fragment="--out is inside --csv 'empty'")
    (work / "sw.h5.journal").mkdir()  # removed when a sweep ends
    refused(work, "sweep", "s.yaml", "--set", "services[server].capacity=1,2", *SHORT, "--out", "sw.h5",
            "--xlsx", "sw.h5.journal/t.xlsx", fragment="--xlsx is inside the sweep journal 'sw.h5.journal'")


# ---- FIFOs, devices and directories, for every output -------------------------------------

@pytest.mark.parametrize("args", [
    ["run", "s.yaml", *SHORT, "--out", "TARGET"],
    ["run", "s.yaml", *SHORT, "--xlsx", "TARGET.xlsx"],
    ["compare", "s.yaml", "s.yaml", "-r", 2, "-y", 3, "--xlsx", "TARGET.xlsx"],
    ["sweep", "s.yaml", "--set", "services[server].capacity=1,2", *SHORT, "--out", "TARGET"],
    ["report", "r.h5", "--out", "TARGET"],
    ["report", "r.h5", "--stress", "--out", "TARGET"],
    ["animate", "r.h5", "--out", "TARGET"],
    ["workbook", "s.yaml", "--out", "TARGET.xlsx"],
    ["workbook", "book.xlsx", "--out", "TARGET.yaml"],
])
def test_a_fifo_or_directory_is_never_replaced(work, args):
    name = next(a for a in args if str(a).startswith("TARGET"))
    target = work / name
    os.mkfifo(target)
    refused(work, *args, fragment="it is a FIFO (named pipe), not a regular file")
    assert target.is_fifo()
    target.unlink()
    target.mkdir()
    refused(work, *args, fragment="it is a directory")
    assert target.is_dir()


def a_device(work):
    """A character device to name as an output. As root, a private copy of the null device in
    `work`, so that a build that wrongly replaced it could not damage the system's /dev/null;
    otherwise /dev/null itself, whose directory a user cannot write."""
    if os.geteuid() != 0:
        return Path("/dev/null")
    node = work / "null-device"
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    return node


@pytest.mark.parametrize("args", [
    ["run", "s.yaml", *SHORT, "--out", "DEVICE"],
    ["sweep", "s.yaml", "--set", "services[server].capacity=1,2", *SHORT, "--out", "DEVICE"],
    ["report", "r.h5", "--out", "DEVICE"],
    ["animate", "r.h5", "--out", "DEVICE"],
])
def test_a_device_is_never_replaced(work, args):
    device = a_device(work)
    refused(work, *[device if a == "DEVICE" else a for a in args], fragment="it is a device, not a regular file (--out)")
    assert device.is_char_device()


# ---- checked before the run: folders and names ---------------------------------------------

def test_a_bad_csv_folder_is_refused_before_the_run(work):
    (work / "afile").write_text("not a folder")
    refused(work, "run", "s.yaml", *SHORT, "--csv", "afile/tables", fragment="'afile' is not a directory (--csv)")
    refused(work, "run", "s.yaml", *SHORT, "--csv", "missing/tables", fragment="'missing' does not exist (--csv)")
    refused(work, "run", "s.yaml", *SHORT, "--csv", ".", fragment="own name")
    os.mkfifo(work / "pipe")
    refused(work, "run", "s.yaml", *SHORT, "--csv", "pipe", fragment="is not a folder")
    refused(work, "run", "s.yaml", *SHORT, "--csv", "s.yaml", fragment="is not a folder")
    refused(work, "sweep", "s.yaml", "--set", "services[server].capacity=1,2", *SHORT, "--out", "sw.h5",
            "--csv", "afile/t", fragment="(--csv)")
    refused(work, "compare", "s.yaml", "s.yaml", "-r", 2, "-y", 3, "--csv", "afile/t", fragment="(--csv)")


def test_a_legal_long_name_is_written_and_a_longer_one_refused_before_the_run(work):
    most = os.pathconf(work, "PC_NAME_MAX")
    long_h5 = "a" * (most - 7) + ".out.h5"  # the longest legal name: its temporary cannot be `.NAME.tmp-PID`
    long_csv = "c" * most
    long_xlsx = "x" * (most - 5) + ".xlsx"
    proc = careflow("run", "s.yaml", *SHORT, "--out", long_h5, "--csv", long_csv, "--xlsx", long_xlsx, "-q",
                    check=False, cwd=work)
    assert proc.returncode == 0, proc.stderr
    with h5py.File(work / long_h5, "r") as f:
        assert f.attrs["replications"] == 2
    assert (work / long_csv / "run.csv").is_file() and (work / long_xlsx).is_file()
    assert not [p for p in os.listdir(work) if ".tmp-" in p]
    refused(work, "run", "s.yaml", *SHORT, "--out", "b" * (most + 1), fragment=f"its name is {most + 1} bytes long")
    refused(work, "run", "s.yaml", *SHORT, "--csv", "b" * (most + 1), fragment="bytes long")
    refused(work, "report", "r.h5", "--out", "b" * (most + 1), fragment="bytes long")


# ---- the CSV folder as a whole ------------------------------------------------------------

def test_the_csv_folder_is_replaced_whole(work):
    careflow("run", "s.yaml", *SHORT, "--csv", "tables", "-q", cwd=work)
    (work / "tables" / "old_table.csv").write_text("a table the next run does not write")
    careflow("run", "s.yaml", *SHORT, "--seed", 5, "--csv", "tables/", "-q", cwd=work)
    names = sorted(os.listdir(work / "tables"))
    assert "run.csv" in names and "old_table.csv" not in names
    assert "5" in (work / "tables" / "run.csv").read_text()
    assert sorted(os.listdir(work)) == ["book.xlsx", "r.h5", "s.yaml", "tables"]


def limited_file_size(limit):
    """preexec_fn: a file size limit, so that write() fails part-way (EFBIG) as on a full disk
    (ENOSPC); SIGXFSZ ignored so that the write fails instead of killing the process."""
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.parametrize("command", [
    ["run", "s.yaml", *SHORT],
    ["compare", "s.yaml", "book.xlsx", "-r", 2, "-y", 3],
])
def test_a_full_disk_keeps_the_previous_tables(work, command):
    for output in (["--csv", "tables"], ["--xlsx", "t.xlsx"]):
        careflow(*command, *output, cwd=work)
        before = listing(work)
        assert any(len(b) > 600 for b in before.values() if b), "a table must be larger than the limit"
        proc = subprocess.run([os.environ["CAREFLOW_BIN"], *map(str, [*command, "--seed", 9, *output])],
                              cwd=work, capture_output=True, text=True, preexec_fn=limited_file_size(600), timeout=300)
        assert proc.returncode == 1, (output, proc.returncode, proc.stderr)
        assert "run failed" in proc.stderr and output[1] in proc.stderr, proc.stderr
        if output[0] == "--csv":
            assert "File too large" in proc.stderr, proc.stderr
        assert listing(work) == before, f"{output}: a failed write must leave every previous file and no temporary"


def mount_tmpfs(where, size):
    """A small tmpfs at `where` (root only); False where mounting is not allowed here."""
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    return done.returncode == 0


def fill(folder):
    """Fills the file system of `folder` to the last byte."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        for size in (65536, 4096, 1):
            try:
                while os.write(fd, b"\0" * size) == size:
                    pass
            except OSError:
                pass
    finally:
        os.close(fd)


def test_a_full_tmpfs_is_exit_1_with_every_previous_output_intact(work):
    disk = work / "disk"
    if os.geteuid() != 0 or not mount_tmpfs(disk, "256k"):
        pytest.skip("mounting a tmpfs needs root; the file size limit test above covers a full disk without it")
    try:
        careflow("run", "s.yaml", *SHORT, "--out", disk / "r.h5", "--csv", disk / "tables", "--xlsx", disk / "t.xlsx",
                 "-q", cwd=work)
        fill(disk)
        before = listing(disk)
        for args in (["--csv", disk / "tables"], ["--out", disk / "r.h5"], ["--xlsx", disk / "t.xlsx"]):
            proc = careflow("run", "s.yaml", *SHORT, "--seed", 3, *args, "-q", check=False, cwd=work)
            assert proc.returncode == 1, (args, proc.stderr)
            assert "run failed" in proc.stderr and str(args[1]) in proc.stderr, proc.stderr
            if args[0] != "--xlsx":  # libxlsxwriter gives its own words
                assert "No space left on device" in proc.stderr, proc.stderr
            assert listing(disk) == before, args
    finally:
        subprocess.run(["umount", str(disk)], check=True)
