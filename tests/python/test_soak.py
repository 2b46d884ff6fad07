"""Soak: one replication of the default scenario over 25 and 50 years (tests/soak/soak_run.cpp,
each horizon in its own process, peak RSS from getrusage).

The replication runs as region- and national-size runs do, keeping figures only (no episode,
step-change, delay or track records: `careflow run --no-records`); waiting-time percentiles are
summarised in fixed memory. What it keeps that grows with the horizon is then the weekly series
alone. Everything else -- people in the system, queues, pending events, allocator overhead --
must not grow once the warm-up is over, unless the number of people in the system grows. The
bound on peak-RSS growth from 25 to 50 years is therefore

    2 x (growth of the weekly series) + 512 bytes x (growth of people in the system) + 16 MiB

- the weekly series: their vectors at allocated capacity;
- the factor 2: glibc keeps the freed buffers of vectors that grew by doubling (their sizes sum to
  at most the final capacity), so a growing vector may cost up to twice its capacity in RSS;
- 512 bytes per person present: about twice the measured cost of a person (their record, queue
  ticket and pending events: ~230 bytes, bench/memory_bench.cpp);
- 16 MiB: allocator and page granularity.
A leak of one small object per event or per episode (10-20 million events at 50 years) breaks
it, and so would keeping one wait per service start (16 bytes x ~1.5 million starts).

In the stationary variant (no cohort growth) the number of people in the system levels off; in
the default, the ageing population outgrows commissioned capacity and queues grow by design.
People and money are checked every simulated week (the model throws if either is not conserved).
"""
import json
import os
import subprocess

import pytest

SOAK = os.environ.get("SOAK_BIN")
pytestmark = pytest.mark.skipif(not SOAK, reason="SOAK_BIN is not set (run through ctest)")
MIB = 1 << 20


def soak(years, *extra):
    proc = subprocess.run([SOAK, str(years), *extra], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr  # an invariant broken in any week fails here
    return json.loads(proc.stdout)


def kept(r):
    return r["record_bytes"]


@pytest.mark.parametrize("variant", [("--stationary",), ()], ids=["stationary", "default"])
def test_memory_flat_beyond_what_is_kept(variant):
    short, long = soak(25, *variant), soak(50, *variant)
    for r in (short, long):
        # Weekly checks of people and money, and one at the end: throughout, not only at the end.
        assert r["invariant_checks"] >= 52 * r["years"]
    growth = (long["peak_rss_kib"] - short["peak_rss_kib"]) * 1024
    people = max(0, long["people_in_system"] - short["people_in_system"])
    allowed = 2 * (kept(long) - kept(short)) + 512 * people + 16 * MIB
    print(f"\n{variant or 'default'}: peak RSS {short['peak_rss_kib'] / 1024:.0f} MiB at 25 years, "
          f"{long['peak_rss_kib'] / 1024:.0f} MiB at 50 years; growth {growth / MIB:.0f} MiB, allowed {allowed / MIB:.0f} MiB "
          f"(weekly series +{(kept(long) - kept(short)) / MIB:.0f} MiB, people in the system "
          f"{short['people_in_system']:.0f} -> {long['people_in_system']:.0f}); "
          f"{long['events']} events and {long['invariant_checks']} invariant checks in {long['seconds']:.1f} s")
    assert growth <= allowed
    if variant:
        # Stationary demand: the people in the system level off after the warm-up.
        assert long["people_in_system"] <= 1.1 * short["people_in_system"] + 100
