"""Ctrl-C in Python interrupts a simulation. A child process starts a run, comparison or sweep
far too long to finish (100,000 replications), is sent SIGINT once its progress callback has
reported a finished replication, and must raise KeyboardInterrupt out of the call, leave no file
(the run's result was to be saved), and then give a short run exactly as a fresh process does.
No duration is asserted: a child that does not stop fails the test at the overall timeout."""
import signal
import subprocess
import sys
import threading

import pytest

import careflow  # PYTHONPATH must point at the built module (ctest sets it); missing, the tests fail

TIMEOUT = 240  # seconds for a child to start and to stop; generous: the machine may be shared

# The child. Its progress callback is a dict's __setitem__ (seen[done] = total): C code that runs
# no Python bytecode on the main thread, so Python never gets to run the SIGINT handler there
# (its own callbacks, or print, would: then the interrupt would merely wait for the next finished
# replication). Only the module's wait (PyErr_CheckSignals) can raise KeyboardInterrupt. A
# helper thread, which never runs signal handlers, says when the first replication has finished.
CHILD = r"""
import json, sys, threading, time
import careflow

mode, threads, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = careflow.default()
seen = {}

def tell_started():
    while not any(done >= 1 for done in list(seen)):
        time.sleep(0.01)
    print("started", max(seen.values()), flush=True)

def short():
    r = careflow.run(s.with_changes({"run.warmup_years": 1}), replications=2, years=2, threads=1)
    return json.dumps({"fingerprints": [int(x) for x in r.fingerprints], "mean": [float(x) for x in r.summary["mean"]]})

if mode == "fresh":
    print(short())
    sys.exit(0)
threading.Thread(target=tell_started, daemon=True).start()
long = dict(replications=100_000, years=6, threads=threads, progress=seen.__setitem__)
try:
    if mode == "run":
        careflow.run(s, **long).save(out)
    elif mode == "compare":
        careflow.compare([s, s.with_changes({"services[early_help].capacity": 1350})], **long)
    elif mode == "sweep":
        careflow.sweep(s, {"services[early_help].capacity": [1300, 1400]}, **long)
except KeyboardInterrupt as e:
    print("raised", type(e).__name__, flush=True)
    print(short(), flush=True)
    sys.exit(3)
print("the call returned", flush=True)
sys.exit(0)
"""


def child(mode, threads, out):
    return subprocess.Popen([sys.executable, "-c", CHILD, mode, str(threads), str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """What a short run prints in a process that never ran anything else."""
    proc = child("fresh", 1, tmp_path_factory.mktemp("fresh") / "unused.h5")
    out, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0, err
    return out.strip()


@pytest.mark.parametrize("mode,threads", [("run", 1), ("run", 2), ("compare", 1), ("sweep", 1)])
def test_sigint_after_the_run_started_raises_keyboard_interrupt(tmp_path, fresh, mode, threads):
    out = tmp_path / "results.h5"
    proc = child(mode, threads, out)
    watchdog = threading.Timer(TIMEOUT, proc.kill)  # a child that never starts or never stops
    watchdog.start()
    try:
        first = proc.stdout.readline()  # "started TOTAL" once a replication has finished
        assert first.startswith("started "), f"the child did not start a run: {first!r}\n{proc.stderr.read()}"
        assert int(first.split()[1]) == (100_000 if mode == "run" else 200_000)
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate()
    finally:
        watchdog.cancel()
    assert proc.returncode == 3, f"exit {proc.returncode} (-9: not stopped within {TIMEOUT} s)\n{rest}\n{err}"
    lines = rest.splitlines()
    assert lines[0] == "raised KeyboardInterrupt", rest
    assert lines[1] == fresh, "a run after the interrupted one differs from a fresh process's"
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "the interrupted call left a file"


def test_an_exception_from_progress_stops_the_run():
    s = careflow.default()
    seen = []

    def stop(done, total):
        seen.append((done, total))
        if done >= 1:
            raise RuntimeError("enough")

    with pytest.raises(RuntimeError, match="enough"):
        careflow.run(s, replications=100_000, years=6, threads=1, progress=stop)
    assert seen[0][1] == 100_000 and seen[-1][0] >= 1
    # ... and the module goes on: a short run reports its start and its end.
    short = s.with_changes({"run.warmup_years": 1})
    steps = []
    r = careflow.run(short, replications=2, years=2, threads=1, progress=lambda d, t: steps.append((d, t)))
    assert len(r.fingerprints) == 2
    assert steps[0][1] == 2 and steps[-1] == (2, 2)
    assert [d for d, _ in steps] == sorted(d for d, _ in steps)


def test_sweep_progress_counts_every_point():
    s = careflow.default().with_changes({"run.warmup_years": 1})
    steps = []
    careflow.sweep(s, {"services[early_help].capacity": [1300, 1400]}, replications=2, years=2, threads=1,
                   progress=lambda d, t: steps.append((d, t)))
    assert steps[-1] == (4, 4)
    assert {t for _, t in steps} == {4}
    assert [d for d, _ in steps] == sorted(d for d, _ in steps)

