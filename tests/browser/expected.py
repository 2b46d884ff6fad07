"""What the animation must show at given days, computed from a results file with h5py alone.

Usage: expected.py RESULTS.h5 DAY [DAY ...]  ->  JSON on stdout:
{"services": [...], "agencies": [...], "t0": warm-up day, "t1": horizon day,
 "at": {"DAY": {"dots": n, "queue": {service: people}}}}
A tracked person is shown at day t if their last move at or before t puts them at a service
(not outside the care system, not 'left'); a queue shows the week that ended last at or before t.
"""
import json
import sys

import h5py
import numpy as np


def main(path, days):
    with h5py.File(path, "r") as f:
        services = [s.decode() for s in f["scenario/services"]["name"]]
        agencies = [a.decode() for a in f["scenario/agencies"][:]]
        tracks = f["replications/r0000/tracks"][:]
        weeks = f["replications/r0000/series/time_days"][:]
        queue = f["replications/r0000/series/queue"][:]
        t0, t1 = float(f.attrs["warmup_days"]), float(f.attrs["horizon_days"])
    order = np.lexsort((np.arange(len(tracks)), tracks["time"], tracks["person"]))  # stable by person, time
    tracks = tracks[order]
    out = {"services": services, "agencies": agencies, "t0": t0, "t1": t1, "tracked": int(len(np.unique(tracks["person"]))), "at": {}}
    for day in days:
        seen = tracks[tracks["time"] <= day]
        last = {}
        for person, service, state in zip(seen["person"], seen["service"], seen["state"]):
            last[int(person)] = (int(service), int(state))
        dots = sum(1 for service, state in last.values() if service >= 0 and state != 3)
        w = max(0, int(np.searchsorted(weeks, day, side="right")) - 1)
        out["at"][repr(day)] = {"dots": dots, "queue": {s: float(queue[w, k]) for k, s in enumerate(services)}}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], [float(x) for x in sys.argv[2:]])
