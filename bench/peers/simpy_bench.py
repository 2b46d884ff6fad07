#!/usr/bin/python3
"""The same M/M/c and PHOLD workloads in SimPy 3 (Debian python3-simpy3), for side-by-side timing.

M/M/c: c = 10, lambda = 9, mu = 1, REPS replications of (1000 warm-up + HORIZON) time units,
mean wait in queue of customers arriving after the warm-up, checked against Erlang C with a
Student-t 95% interval across replications. PHOLD: LPS logical processes, one token per LP,
each hop waits 0.1 + Exp(1) and moves to a uniformly drawn LP, until END.
Events are the model's logical events (arrival and departure per customer; one per PHOLD hop),
counted the same way as bench_mmc and bench_phold count them.

    /usr/bin/python3 bench/peers/simpy_bench.py mmc [REPS=10] [HORIZON=11111]
    /usr/bin/python3 bench/peers/simpy_bench.py phold [LPS=1000] [END=2000]
Output: "RESULT name events seconds mean_wait half_width erlang_c" (PHOLD: waits are 0).
"""
import math
import random
import statistics
import sys
import time

import simpy

# Student-t 0.975 quantiles, df = 1..30 (two-sided 95%).
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
        2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
        2.045, 2.042]


def erlang_c_wait(lam, mu, c):
    a = lam / mu
    rho = a / c
    term, total = 1.0, 0.0
    for k in range(c):
        total += term
        term *= a / (k + 1)
    tail = term / (1 - rho)
    return tail / (total + tail) / (c * mu - lam)


def mmc_replication(seed, lam, mu, c, warmup, end):
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=c)
    arrivals = random.Random(seed * 2 + 1)
    service = random.Random(seed * 2 + 2)
    stats = {"events": 0, "wait": 0.0, "served": 0}

    def customer(arrived):
        with servers.request() as req:
            yield req
            if arrived >= warmup:
                stats["wait"] += env.now - arrived
                stats["served"] += 1
            yield env.timeout(service.expovariate(mu))
            if env.now <= end:
                stats["events"] += 1  # departure

    def source():
        while True:
            yield env.timeout(arrivals.expovariate(lam))
            stats["events"] += 1  # arrival
            env.process(customer(env.now))

    env.process(source())
    env.run(until=end)
    return stats["events"], stats["wait"] / stats["served"]


def mmc(reps, horizon):
    lam, mu, c, warmup = 9.0, 1.0, 10, 1000.0
    t0 = time.perf_counter()
    events, waits = 0, []
    for r in range(reps):
        n, w = mmc_replication(r, lam, mu, c, warmup, warmup + horizon)
        events += n
        waits.append(w)
    seconds = time.perf_counter() - t0
    mean = statistics.fmean(waits)
    half = T975[len(waits) - 2] * statistics.stdev(waits) / math.sqrt(len(waits)) if len(waits) > 1 else float("nan")
    theory = erlang_c_wait(lam, mu, c)
    verdict = "agrees" if abs(mean - theory) <= half else "DISAGREES"
    print(f"{'simpy_mmc':34s} {events:10d} events {seconds:7.3f} s {events / seconds / 1e6:7.2f} M events/s"
          f"  wait {mean:.4f} +- {half:.4f} (Erlang C {theory:.4f}) {verdict}")
    print(f"RESULT simpy_mmc {events} {seconds:.6f} {mean:.6f} {half:.6f} {theory:.6f}")


def phold(lps, end):
    env = simpy.Environment()
    rng = [random.Random(i) for i in range(lps)]
    count = [0]

    def token(lp):
        while True:
            r = rng[lp]
            target = r.randrange(lps)
            yield env.timeout(0.1 + r.expovariate(1.0))
            count[0] += 1
            lp = target

    for i in range(lps):
        env.process(token(i))
    t0 = time.perf_counter()
    env.run(until=end)
    seconds = time.perf_counter() - t0
    print(f"{'simpy_phold':34s} {count[0]:10d} events {seconds:7.3f} s {count[0] / seconds / 1e6:7.2f} M events/s")
    print(f"RESULT simpy_phold {count[0]} {seconds:.6f} 0 0 0")


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "mmc"
    if what == "mmc":
        mmc(int(sys.argv[2]) if len(sys.argv) > 2 else 10, float(sys.argv[3]) if len(sys.argv) > 3 else 11111.0)
    elif what == "phold":
        phold(int(sys.argv[2]) if len(sys.argv) > 2 else 1000, float(sys.argv[3]) if len(sys.argv) > 3 else 2000.0)
    else:
        sys.exit(f"usage: {sys.argv[0]} mmc|phold ...")
