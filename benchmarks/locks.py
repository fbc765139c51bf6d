"""The Python peers of roost-lock-bench, for benchmarks/locks.sh.

    locks.py uncontended --impl redis-py|python-redis-lock --port P [--seconds 3]
    locks.py handoff --impl ... --port P --id I --processes 8 --total 400 --run TAG
    locks.py summarize FILE...

Two locks from PyPI, each used the way its documentation shows, with a 30 s lease (as
DistributedLock's default):
  - redis-py's `Lock` (`r.lock(name, timeout=30)`): SET NX PX to acquire, a Lua script to
    release. A blocked `acquire()` polls, sleeping `sleep` between tries; the library's default
    of 0.1 s is kept, since that is what its users get.
  - python-redis-lock (`redis_lock.Lock(r, name, expire=30)`): SET NX EX to acquire; a waiter
    blocks in BLPOP on a signal list that the release script pushes to (no polling).

`uncontended` times non-blocking acquire + release, then `with lock:` (a blocking acquire that
succeeds at once), each with a new lock object as the libraries' examples do. It and `handoff`
do what roost-lock-bench's modes of the same names do (see its main.swift), with the same keys
and bookkeeping script; instants come from `time.monotonic_ns()`, which is CLOCK_MONOTONIC as
in the Swift processes. `summarize` reads the HOLD lines of all the processes of one run and
prints the hand-off latency's p50, p99 and mean.
"""
import argparse
import math
import sys
import time

import redis

LEASE_SECONDS = 30

TAKE_OVER_SCRIPT = """
local s = redis.call('INCR', KEYS[1])
local previous = redis.call('GETSET', KEYS[2], ARGV[1])
if previous and previous ~= ARGV[1] then redis.call('RPUSH', ARGV[2] .. previous, s) end
return s
"""


def make_lock(impl, client, name):
    if impl == "redis-py":
        return client.lock(name, timeout=LEASE_SECONDS)
    if impl == "python-redis-lock":
        import redis_lock
        return redis_lock.Lock(client, name, expire=LEASE_SECONDS)
    raise SystemExit("unknown --impl %s" % impl)


def uncontended(args):
    client = redis.Redis(host="127.0.0.1", port=args.port)
    name = "lockbench-uncontended-py"

    def try_acquire_release():
        lock = make_lock(args.impl, client, name)
        if not lock.acquire(blocking=False):
            raise SystemExit("lock %s is held" % name)
        lock.release()

    def with_lock():
        with make_lock(args.impl, client, name):
            pass

    for _ in range(200):  # warm-up: the connection, and the scripts loaded on the server
        try_acquire_release()
        with_lock()
    for result, once in (("try_acquire_release_per_s", try_acquire_release), ("with_lock_per_s", with_lock)):
        count = 0
        start = time.perf_counter()
        end = start + args.seconds
        while time.perf_counter() < end:
            once()
            count += 1
        print("RESULT %s %.3f" % (result, count / (time.perf_counter() - start)))


def handoff(args):
    client = redis.Redis(host="127.0.0.1", port=args.port)
    base = "lockbench:%s:" % args.run
    me = str(args.id)
    take_over = client.register_script(TAKE_OVER_SCRIPT)
    name = "lockbench-handoff-%s" % args.run
    client.ping()
    if client.incr(base + "ready") == args.processes:
        client.rpush(base + "go", *(["go"] * args.processes))
    if client.blpop([base + "go"], 120) is None:
        raise SystemExit("only some of the %d processes started within 120 s" % args.processes)
    holds = []
    while True:
        lock = make_lock(args.impl, client, name)
        lock.acquire()  # blocking, the library's own way of waiting
        acquired = time.monotonic_ns()
        sequence = take_over(keys=[base + "seq", base + "holder"], args=[me, base + "taken:"])
        releasing = time.monotonic_ns()
        lock.release()
        if sequence > args.total:
            break
        holds.append((sequence, acquired, releasing))
        if client.blpop([base + "taken:" + me], 60) is None:
            raise SystemExit("process %s: nobody took the lock over within 60 s" % me)
    for hold in holds:
        print("HOLD %d %d %d" % hold)


def percentile(sorted_values, fraction):
    rank = math.ceil(fraction * len(sorted_values)) - 1
    return sorted_values[max(0, min(len(sorted_values) - 1, rank))]


def summarize(args):
    holds = {}
    for path in args.files:
        with open(path) as lines:
            for line in lines:
                fields = line.split()
                if fields and fields[0] == "HOLD":
                    holds[int(fields[1])] = (int(fields[2]), int(fields[3]))
    total = max(holds) if holds else 0
    missing = [s for s in range(1, total + 1) if s not in holds]
    if total < 2 or missing:
        raise SystemExit("incomplete run: %d holds, missing %s" % (total, missing[:5]))
    latencies = sorted((holds[s][0] - holds[s - 1][1]) / 1000 for s in range(2, total + 1))
    print("RESULT handoff_p50_us %.3f" % percentile(latencies, 0.50))
    print("RESULT handoff_p99_us %.3f" % percentile(latencies, 0.99))
    print("RESULT handoff_mean_us %.3f" % (sum(latencies) / len(latencies)))
    print("RESULT handoffs %d" % len(latencies))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    u = modes.add_parser("uncontended")
    u.add_argument("--impl", required=True)
    u.add_argument("--port", type=int, required=True)
    u.add_argument("--seconds", type=float, default=3)
    h = modes.add_parser("handoff")
    h.add_argument("--impl", required=True)
    h.add_argument("--port", type=int, required=True)
    h.add_argument("--id", type=int, required=True)
    h.add_argument("--processes", type=int, default=8)
    h.add_argument("--total", type=int, default=400)
    h.add_argument("--run", default="0")
    s = modes.add_parser("summarize")
    s.add_argument("files", nargs="+")
    args = parser.parse_args()
    {"uncontended": uncontended, "handoff": handoff, "summarize": summarize}[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())
