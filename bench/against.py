"""`bench/run_all.py --against REV`: this working tree against another commit, built and measured
in one run, so that a refactoring (or a model change) states its cost in instructions, wall time
and memory against the commit before it.

Both trees build the same benchmark programs (bench_phold, bench_mmc, bench_care_queue,
bench_memory: they exist at every commit since the memory work). For each workload:

  instructions  valgrind --tool=callgrind, counting only inside the sequential executor's run (every
                event of the model, with both future-event sets), so that set-up, printing and the
                programs' bare-loop baselines do not dilute the ratio; callgrind counts are
                repeatable, whatever else the machine does
  wall time     the program's own timing of careflow's run, best of N interleaved runs (A B A B …)
  memory        bench_memory's bytes per live person (slope of peak RSS on person records)

REV is checked out with `git worktree add --detach` into a temporary folder and built there
(Release, no tests, no Python, no MPI); the folder is removed afterwards.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGETS = ["bench_phold", "bench_mmc", "bench_care_queue", "bench_memory"]


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def build_rev(rev, where):
    sh(["git", "-C", ROOT, "worktree", "add", "--detach", where, rev])
    build = os.path.join(where, "build", "release")
    sh(["cmake", "-S", where, "-B", build, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release", "-DCAREFLOW_BUILD_TESTS=OFF",
        "-DCAREFLOW_WITH_PYTHON=OFF", "-DCAREFLOW_MPI=OFF", "-DPython_EXECUTABLE=/usr/bin/python3"])
    sh(["cmake", "--build", build, "-j", str(os.cpu_count() or 2), "--target", *TARGETS])
    return os.path.join(build, "bench")


def build_here():
    build = os.path.join(ROOT, "build", "release")
    sh(["cmake", "--build", build, "-j", str(os.cpu_count() or 2), "--target", *TARGETS])
    return os.path.join(build, "bench")


def workloads(quick):
    """name -> (program, arguments, callgrind function pattern, RESULT line to time)."""
    return {
        "PHOLD 1,000 LPs": ("bench_phold", ["1000", "100" if quick else "400", "1"],
                            "careflow::SequentialExecutor*::run*", "careflow_LadderQueue"),
        "M/M/c c=10 rho=0.9": ("bench_mmc", ["2", "2000" if quick else "6000", "1"],
                               "careflow::SequentialExecutor*::run*", "careflow_LadderQueue"),
        "default care scenario": ("bench_care_queue", ["6" if quick else "7", "1"],
                                  "careflow::SequentialExecutor*::run*", "careflow_care_LadderQueue"),
    }


def instructions(bindir, program, args, pattern):
    out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", f"--toggle-collect={pattern}",
                          os.path.join(bindir, program), *args], capture_output=True, text=True, check=True)
    m = re.search(r"Collected\s*:\s*(\d+)", out.stderr)
    if not m or int(m.group(1)) == 0:
        raise RuntimeError(f"callgrind counted nothing in {pattern} for {program}: {out.stderr[-400:]}")
    return int(m.group(1))


def seconds(bindir, program, args, result):
    out = sh([os.path.join(bindir, program), *args]).stdout
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 4 and f[0] == "RESULT" and f[1] == result:
            return float(f[3])
    raise RuntimeError(f"{program} printed no RESULT {result}")


def bytes_per_person(bindir, quick):
    out = sh([os.path.join(bindir, "bench_memory"), "7" if quick else "8", "1,2" if quick else "1,2,4"]).stdout
    return float(re.search(r"RESULT memory_per_person ([0-9.]+)", out).group(1))


def compare(rev, quick=False, repeats=5):
    """Rows (workload, measure, rev value, this tree's value, ratio this / rev) and text lines."""
    tmp = tempfile.mkdtemp(prefix="careflow-against-")
    where = os.path.join(tmp, "rev")
    try:
        print(f"against: building {rev} in a temporary worktree", flush=True)
        theirs = build_rev(rev, where)
        print("against: building this tree", flush=True)
        ours = build_here()
        label = sh(["git", "-C", ROOT, "rev-parse", "--short", rev]).stdout.strip()
        rows = []
        for name, (program, args, pattern, result) in workloads(quick).items():
            print(f"against: {name}: callgrind", flush=True)
            a, b = instructions(theirs, program, args, pattern), instructions(ours, program, args, pattern)
            rows.append((name, "instructions (callgrind)", a, b, b / a))
            best = {theirs: float("inf"), ours: float("inf")}
            for _ in range(1 if quick else repeats):
                for d in (theirs, ours):
                    best[d] = min(best[d], seconds(d, program, args, result))
            rows.append((name, f"wall time, best of {1 if quick else repeats} interleaved (s)", best[theirs], best[ours],
                         best[ours] / best[theirs]))
        print("against: bytes per person", flush=True)
        a, b = bytes_per_person(theirs, quick), bytes_per_person(ours, quick)
        rows.append(("default care scenario", "bytes per live person", a, b, b / a))
        lines = [f"## This tree against {rev} ({label})", "",
                 f"| workload | measure | {label} | this tree | ratio |", "|---|---|---|---|---|"]
        for w, m, x, y, r in rows:
            fmt = (lambda v: f"{v:,.0f}") if "instructions" in m or "bytes" in m else (lambda v: f"{v:.4f}")
            lines.append(f"| {w} | {m} | {fmt(x)} | {fmt(y)} | {r:.3f} |")
        return rows, lines
    finally:
        subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", where], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    rows, lines = compare(sys.argv[1], quick="--quick" in sys.argv)
    print("\n".join(lines))
