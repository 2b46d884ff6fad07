#!/usr/bin/python3
"""A sweep of the default scenario over MPI ranks: `mpirun -np 1` against `mpirun -np 2`.

    bash scripts/build.sh && /usr/bin/python3 bench/mpi_sweep_bench.py [--quick] [--repeats 3]

Each rank computes on one thread (--threads 1), so 1 rank uses one core and 2 ranks two. The
runs are interleaved (np 1, np 2, np 2 with rank 0 only coordinating, and for reference one
process on 2 threads without mpirun; then again) and each figure
is the best of --repeats; the files of every run must be byte-identical, or the script exits
non-zero. Prints the load average before and after (the machine may be shared), the throughput
(replications a second) and the ratio of 2 ranks to 1.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CAREFLOW = os.path.join(ROOT, "build", "release", "app", "careflow")


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def mpi_env(**extra):
    env = dict(os.environ)
    env.update({"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
                "OMPI_MCA_btl": "self,vader", "OMPI_MCA_btl_vader_single_copy_mechanism": "none",
                "OMPI_MCA_pml": "ob1", "OMPI_MCA_osc": "^ucx"})
    env.update(extra)
    return env


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a small sweep (a smoke test, not a figure)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--mpirun", default=shutil.which("mpirun") or "mpirun")
    a = ap.parse_args()
    capacities = "1300,1500,1700,1900"
    reps, years = ("2", "6") if a.quick else ("4", "15")
    tasks = 4 * int(reps)
    sweep = ["sweep", os.path.join(ROOT, "scenarios", "default.yaml"), "--set",
             f"services[early_help].capacity={capacities}", "--replications", reps, "--years", years, "--threads", "1"]
    # n = 0: no mpirun, one process on 2 threads (the thread-parallel sweep, for reference).
    configs = [("1 rank", 1, {}), ("2 ranks", 2, {}), ("2 ranks, rank 0 only coordinates", 2, {"CAREFLOW_MPI_ROOT_WORKS": "0"}),
               ("no mpirun, 1 process, 2 threads", 0, {})]
    best = {name: float("inf") for name, _, _ in configs}
    reference = None
    print(f"load average before: {load()}  ({os.cpu_count()} cores)", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(a.repeats):
            for name, n, extra in configs:
                out = os.path.join(tmp, f"sweep-{n}-{i}-{len(extra)}.h5")
                cmd = [a.mpirun, "-np", str(n), "--oversubscribe", CAREFLOW, *sweep, "--out", out] if n else \
                      [CAREFLOW, *sweep[:-1], "2", "--out", out]
                t0 = time.perf_counter()
                proc = subprocess.run(cmd, capture_output=True, text=True, env=mpi_env(**extra))
                dt = time.perf_counter() - t0
                if proc.returncode != 0:
                    print(f"FAILED ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr}", file=sys.stderr)
                    return 1
                best[name] = min(best[name], dt)
                with open(out, "rb") as f:
                    data = f.read()
                if reference is None:
                    reference = data
                elif data != reference:
                    print(f"FAILED: the file of '{name}' differs from the first run's", file=sys.stderr)
                    return 1
                os.remove(out)
                print(f"  repeat {i + 1}: {name:34s} {dt:7.2f} s   load {load()}", flush=True)
    print(f"load average after: {load()}")
    print(f"\nsweep: 4 points × {reps} replications = {tasks} replications of the default scenario, {years} years, "
          f"best of {a.repeats} (wall time of mpirun, start-up included)")
    for name, _, _ in configs:
        print(f"RESULT {name.replace(' ', '_').replace(',', '')} {tasks} {best[name]:.3f}  "
              f"{tasks / best[name]:.3f} replications/s")
    ratio = best["1 rank"] / best["2 ranks"]
    coord = best["1 rank"] / best["2 ranks, rank 0 only coordinates"]
    threads = best["1 rank"] / best["no mpirun, 1 process, 2 threads"]
    print(f"2 ranks / 1 rank throughput: {ratio:.2f}x (rank 0 also computing); {coord:.2f}x (rank 0 only coordinating); "
          f"for reference, 2 threads in one process / 1 rank: {threads:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
