#!/usr/bin/python3
"""Runs every careflow benchmark and its peers in one invocation and prints one table.

    bash scripts/build.sh && /usr/bin/python3 bench/run_all.py [--quick] [--out FILE.md] [--against REV]

careflow, the bare priority-queue loops and SimPy (Debian python3-simpy3) run one after the
other in this one invocation, so their ratios see the same machine; each C++ figure is the best
of a few interleaved repeats. Every M/M/c implementation is checked against Erlang C (95%
interval across replications); a disagreement makes the script exit non-zero. --quick runs
smaller sizes (a smoke test of the script, not figures to publish). --against REV builds REV in a
temporary worktree and compares this tree with it in the same run (bench/against.py: callgrind
instructions, interleaved best-of-5 wall time and bytes per person of PHOLD, M/M/c and the default
care scenario) instead of running the benchmarks above.
"""
import argparse
import datetime
import os
import platform
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "build", "release", "bench")


def run(cmd):
    print("$", " ".join(os.path.relpath(c, ROOT) if c.startswith(ROOT) else c for c in cmd), flush=True)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    sys.stdout.write(out)
    sys.stdout.flush()
    return out


def results(out):
    """name -> (events, seconds, mean_wait, half_width, erlang_c) from RESULT lines."""
    r = {}
    for line in out.splitlines():
        if line.startswith("RESULT "):
            f = line.split()
            r[f[1]] = tuple(float(x) for x in f[2:7])
    return r


def rate(r):
    return r[0] / r[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out")
    ap.add_argument("--against", metavar="REV", help="compare this tree with commit REV (bench/against.py)")
    a = ap.parse_args()
    q = a.quick
    if a.against:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import against
        _, lines = against.compare(a.against, quick=q)
        text = "\n".join([f"# careflow against {a.against} — {datetime.date.today()} — {platform.machine()}, "
                           f"{os.cpu_count()} cores" + (" (--quick: not for publication)" if q else ""), "", *lines[2:]]) + "\n"
        print("\n" + text)
        if a.out:
            with open(a.out + ".tmp", "w") as f:
                f.write(text)
            os.replace(a.out + ".tmp", a.out)
        return 0
    rows, notes, ok = [], [], True

    # PHOLD at three sizes: end times chosen for a few million events each.
    simpy_phold = None
    for lps, end in ([(1000, 200), (100_000, 2), (1_000_000, 0.3)] if q else
                     [(1000, 2000), (100_000, 20), (1_000_000, 2.5)]):
        r = results(run([os.path.join(BIN, "bench_phold"), str(lps), str(end), "1" if q else "3"]))
        bare = rate(r["bare_priority_queue"])
        for name, label in (("careflow_LadderQueue", "careflow (LadderQueue)"),
                            ("careflow_DaryHeap4", "careflow (DaryHeap<4>)"),
                            ("bare_priority_queue", "bare std::priority_queue loop")):
            rows.append((f"PHOLD {lps:,} LPs", label, rate(r[name]) / 1e6, rate(r[name]) / bare, None))
        if lps == 1000:
            s = results(run(["/usr/bin/python3", os.path.join(ROOT, "bench", "peers", "simpy_bench.py"), "phold",
                             str(lps), str(end)]))
            simpy_phold = rate(s["simpy_phold"])
            rows.append((f"PHOLD {lps:,} LPs", "SimPy 3", simpy_phold / 1e6, simpy_phold / bare, None))
            notes.append(f"PHOLD 1,000 LPs: careflow / bare loop = {rate(r['careflow_LadderQueue']) / bare:.2f}, "
                         f"careflow / SimPy = {rate(r['careflow_LadderQueue']) / simpy_phold:.0f}")

    # M/M/c against the bare loop and SimPy, each checked against Erlang C.
    reps, horizon = ("4", "3000") if q else ("10", "11111")
    r = results(run([os.path.join(BIN, "bench_mmc"), reps, horizon, "1" if q else "3"]))
    r.update(results(run(["/usr/bin/python3", os.path.join(ROOT, "bench", "peers", "simpy_bench.py"), "mmc", reps,
                          horizon])))
    bare = rate(r["bare_priority_queue"])
    for name, label in (("careflow_LadderQueue", "careflow (LadderQueue)"), ("careflow_DaryHeap4", "careflow (DaryHeap<4>)"),
                        ("bare_priority_queue", "bare std::priority_queue loop"), ("simpy_mmc", "SimPy 3")):
        ev, sec, wait, half, theory = r[name]
        agrees = abs(wait - theory) <= half
        ok &= agrees
        rows.append(("M/M/c c=10 rho=0.9", label, rate(r[name]) / 1e6, rate(r[name]) / bare,
                     f"wait {wait:.3f} ± {half:.3f} vs Erlang C {theory:.3f}: {'agrees' if agrees else 'DISAGREES'}"))
    notes.append(f"M/M/c: careflow / bare loop = {rate(r['careflow_LadderQueue']) / bare:.2f}, "
                 f"careflow / SimPy = {rate(r['careflow_LadderQueue']) / rate(r['simpy_mmc']):.0f}")

    # Hold model: ns per hold by pending count.
    out = run([os.path.join(BIN, "bench_hold"), "100000" if q else "10000000", "500000" if q else "4000000"])
    hold = [line for line in out.splitlines() if line.strip() and line.split()[0].isdigit()]
    notes.append([line for line in out.splitlines() if line.startswith("growth")][0])

    # One run in parallel: PHOLD on the sequential and the parallel executor (1 and 2 threads);
    # bench_parallel exits non-zero if a parallel fingerprint differs from the sequential one.
    for lps, lookahead, end in ([(1000, "0.1", "200"), (100_000, "1.0", "4")] if q else
                                [(1000, "0.1", "2000"), (100_000, "1.0", "40")]):
        r = results(run([os.path.join(BIN, "bench_parallel"), str(lps), lookahead, end, "1" if q else "3"]))
        key = f"{lps}_{float(lookahead):.2f}"
        seq = r[f"sequential_{key}"]
        rows.append((f"PHOLD {lps:,} LPs, lookahead {lookahead}", "sequential executor", rate(seq) / 1e6, None, None))
        for threads in (1, 2):
            par = r[f"parallel_{threads}_threads_{key}"]
            rows.append((f"PHOLD {lps:,} LPs, lookahead {lookahead}", f"parallel executor, {threads} thread(s)",
                         rate(par) / 1e6, None, f"speed-up over sequential {seq[1] / par[1]:.2f}"))

    # The care model: both event queues, then replications on 1 and all threads.
    r = results(run([os.path.join(BIN, "bench_care_queue"), "7" if q else "15", "1" if q else "3"]))
    for name, label in (("careflow_care_LadderQueue", "care model, 1 thread (LadderQueue)"),
                        ("careflow_care_DaryHeap4", "care model, 1 thread (DaryHeap<4>)")):
        rows.append(("default care scenario", label, rate(r[name]) / 1e6, None, None))
    rep = run([os.path.join(BIN, "bench_replications"), "2" if q else "8", "7" if q else "15", "1" if q else "2"])
    notes += [line for line in rep.splitlines() if "threads" in line or "speed-up" in line or "thread " in line]

    # What calibration does: many short runs of the default, each 5 warm-up years (the default's
    # warm-up: there is no warm start) and 5 reported years, one replication per run, on 1 thread
    # and on all cores (runs in parallel: each replication is one run).
    cal = run([os.path.join(BIN, "bench_replications"), "4" if q else "16", "10", "1" if q else "2", "5"])
    per_min = {k: v[0] for k, v in results(cal).items() if k.startswith("runs_per_minute")}
    speed = [line for line in cal.splitlines() if line.startswith("speed-up")]
    notes.append("calibration (the default, 5 warm-up + 5 reported years, one replication per run): "
                 + ", ".join(f"{v:.1f} runs/minute on {k.split('_', 3)[3].replace('_', ' ')}" for k, v in sorted(per_min.items()))
                 + (f" ({speed[0]})" if speed else ""))

    # Memory per person on a population sweep.
    mem = run([os.path.join(BIN, "bench_memory"), "7" if q else "8", "1,2" if q else "1,2,4,8"])
    per = results(mem)["memory_per_person"][0]
    notes.append(f"memory: {per:.0f} bytes per live person (slope of peak RSS on person records)")

    # A sweep over MPI ranks: 2 ranks against 1 (only when careflow is built with MPI).
    cache = os.path.join(ROOT, "build", "release", "CMakeCache.txt")
    if os.path.exists(cache) and "CAREFLOW_MPI:BOOL=ON" in open(cache).read():
        mpi = run(["/usr/bin/python3", os.path.join(ROOT, "bench", "mpi_sweep_bench.py"), *(["--quick", "--repeats", "1"] if q else [])])
        notes += [line for line in mpi.splitlines() if line.startswith("2 ranks / 1 rank") or line.startswith("load average")]
    else:
        notes.append("MPI sweep: not measured (careflow built without MPI)")

    lines = [f"# careflow benchmarks — {datetime.date.today()} — {platform.machine()}, {os.cpu_count()} cores"
             + (" (--quick: not for publication)" if q else ""), "",
             "| workload | implementation | M events/s | vs bare loop | check |", "|---|---|---|---|---|"]
    for w, impl, mev, ratio, check in rows:
        lines.append(f"| {w} | {impl} | {mev:.2f} | {'' if ratio is None else f'{ratio:.2f}'} | {check or ''} |")
    lines += ["", "Hold model (ns per hold):", "", "```", *hold, "```", "", *[f"- {n}" for n in notes]]
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    if a.out:
        tmp = a.out + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, a.out)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
