#!/usr/bin/python3
"""Pinned fingerprints and golden outputs: what careflow computes and writes, byte for byte.

    golden.py --careflow BIN --fingerprints BIN [--mpiexec MPIRUN] [--only NAME] [--repin]

Fingerprints hash the event stream (engine/include/careflow/engine/simulation.hpp), so a change
that reorders or adds events changes them; they do not see what is computed from the events or
written. The golden outputs pin that too:

  fingerprints.txt        PHOLD, M/M/c, the default at 6 years, the region sequentially, on 2
                          threads and (with --mpiexec) over 2 MPI ranks through the CLI
  default-summary.json    `careflow run -r 2 -y 6 --json`: every figure of the default scenario
  run-layout.txt          `h5dump -H` of that run's results file (groups, datasets, types, shapes)
  run-contents.txt        every attribute's value and a SHA-256 of every dataset's bytes
  sweep-layout.txt        `h5dump -H` of a two-point sweep file
  sweep-contents.txt      its attributes and dataset digests
  csv-headers.txt         the header line of every CSV table of the run
  results-workbook.txt    every cell of the run's results workbook

Without --repin each output is compared with its pinned file and any difference is printed as a
unified diff (exit 1). With --repin the pinned files are rewritten: only when a change is meant to
alter events or outputs, in a commit of its own that says why (docs/testing.md).
Values that differ between two runs of the same program on the same input (the run's wall time,
`run_seconds`) are left out; everything else must be identical on any machine of the platform.
"""
import argparse
import difflib
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests" / "python"))

# Attributes whose value is a clock reading, not a result.
CLOCK_ATTRIBUTES = {"run_seconds"}
RUN = ["-r", "2", "-y", "6"]
SWEEP = ["scenarios/default.yaml", "--set", "services[early_help].capacity=1300,1500", "-r", "2", "-y", "6"]
REGION = ["scenarios/region.yaml", "-r", "1", "-y", "6", "--scale", "0.03", "--no-records"]


def call(cmd, **kw):
    # From the project root, with paths relative to it: no path of this machine enters an output.
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, **kw)
    if proc.returncode != 0:
        sys.exit(f"golden: {' '.join(map(str, cmd))} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def layout(h5dump, path):
    text = call([h5dump, "-H", str(path)])
    lines = text.splitlines()
    lines[0] = 'HDF5 "FILE" {'  # the temporary file's name
    return "\n".join(lines) + "\n"


def contents(path):
    """Attribute values and dataset digests, in name order."""
    import h5py
    import numpy as np

    rows = []

    def visit(name, obj):
        for k in sorted(obj.attrs):
            if k in CLOCK_ATTRIBUTES:
                continue
            v = obj.attrs[k]
            if isinstance(v, bytes):
                v = v.decode()
            if isinstance(v, np.ndarray):
                v = v.tolist()
            text = repr(v)
            if len(text) > 200:
                text = f"<{len(text)} characters, sha256 {hashlib.sha256(text.encode()).hexdigest()}>"
            rows.append(f"{name}@{k} = {text}")
        if isinstance(obj, h5py.Dataset):
            data = obj[()]
            raw = data.tobytes() if isinstance(data, np.ndarray) else repr(data).encode()
            rows.append(f"{name} shape={obj.shape} dtype={obj.dtype} sha256={hashlib.sha256(raw).hexdigest()}")

    with h5py.File(path, "r") as f:
        visit("/", f)
        f.visititems(visit)
    return "\n".join(rows) + "\n"


def workbook_cells(path):
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    rows = []
    for sheet in book.worksheets:
        rows.append(f"[{sheet.title}]")
        for row in sheet.iter_rows():
            clock = any(cell.value in CLOCK_ATTRIBUTES for cell in row)  # a field's row: its value is a clock reading
            for cell in row:
                if cell.value is not None:
                    value = "<clock>" if clock and cell.value not in CLOCK_ATTRIBUTES else repr(cell.value)
                    rows.append(f"{cell.coordinate} = {value}")
    return "\n".join(rows) + "\n"


def csv_headers(folder):
    rows = []
    for p in sorted(Path(folder).glob("*.csv")):
        with open(p, encoding="utf-8") as f:
            rows.append(f"{p.name}: {f.readline().rstrip()}")
    return "\n".join(rows) + "\n"


def fingerprints(a, tmp):
    text = call([a.fingerprints, "."])
    if a.mpiexec:
        import h5py
        import mpi_launch

        out = tmp / "region-mpi.h5"
        call([*mpi_launch.mpirun(a.mpiexec, 2), a.careflow, "run", *REGION, "--out", str(out), "-q"],
             env=mpi_launch.mpi_env(), timeout=600)
        with h5py.File(out, "r") as f:
            rep = f["replications/r0000"].attrs
            text += f"region_3pct_6y_2_mpi_ranks events={int(rep['events'])} fingerprint=0x{int(rep['fingerprint']):016x}\n"
    return text


def outputs(a, tmp):
    """name -> text, computed now."""
    got = {}
    if a.only in (None, "fingerprints"):
        got["fingerprints.txt"] = fingerprints(a, tmp)
    if a.only in (None, "outputs"):
        run_h5, csv, book = tmp / "run.h5", tmp / "csv", tmp / "run.xlsx"
        got["default-summary.json"] = call([a.careflow, "run", *RUN, "--json"])
        json.loads(got["default-summary.json"])  # must stay valid JSON
        call([a.careflow, "run", *RUN, "--out", str(run_h5), "--csv", str(csv), "--xlsx", str(book), "-q"])
        got["run-layout.txt"] = layout(a.h5dump, run_h5)
        got["run-contents.txt"] = contents(run_h5)
        got["csv-headers.txt"] = csv_headers(csv)
        got["results-workbook.txt"] = workbook_cells(book)
        sweep_h5 = tmp / "sweep.h5"
        call([a.careflow, "sweep", *SWEEP, "--out", str(sweep_h5)])
        got["sweep-layout.txt"] = layout(a.h5dump, sweep_h5)
        got["sweep-contents.txt"] = contents(sweep_h5)
    return got


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--careflow", required=True)
    ap.add_argument("--fingerprints", required=True, help="the golden_fingerprints program")
    ap.add_argument("--mpiexec", help="also pin the region over 2 MPI ranks (careflow built with MPI)")
    ap.add_argument("--h5dump", default="h5dump")
    ap.add_argument("--only", choices=["fingerprints", "outputs"])
    ap.add_argument("--repin", action="store_true", help="rewrite the pinned files from this build")
    a = ap.parse_args()
    a.careflow, a.fingerprints = os.path.abspath(a.careflow), os.path.abspath(a.fingerprints)
    with tempfile.TemporaryDirectory() as d:
        got = outputs(a, Path(d))
    if a.mpiexec and a.only in (None, "fingerprints"):
        # One run over ranks is the run in one process: the same events, the same fingerprint.
        fp = dict(line.split(" ", 1) for line in got["fingerprints.txt"].splitlines())
        if fp["region_3pct_6y_2_mpi_ranks"] != fp["region_3pct_6y_sequential"]:
            print("golden: the region over 2 MPI ranks differs from the sequential run")
            return 1
    failed = 0
    for name, text in got.items():
        pinned = HERE / name
        if a.repin:
            if name == "fingerprints.txt" and not a.mpiexec and pinned.exists():
                # Keep the MPI line pinned by a build with MPI.
                keep = [line for line in pinned.read_text().splitlines() if "mpi_ranks" in line]
                text += "".join(line + "\n" for line in keep)
            pinned.write_text(text)
            print(f"golden: re-pinned {name}")
            continue
        want = pinned.read_text() if pinned.exists() else ""
        if name == "fingerprints.txt" and not a.mpiexec:
            want = "".join(line + "\n" for line in want.splitlines() if "mpi_ranks" not in line)
        if text != want:
            failed += 1
            diff = difflib.unified_diff(want.splitlines(), text.splitlines(), f"pinned/{name}", f"now/{name}", lineterm="")
            print("\n".join(list(diff)[:80]))
            print(f"golden: {name} differs from the pinned file (see docs/testing.md for when and how to re-pin)")
        else:
            print(f"golden: {name} equal to the pinned file")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
