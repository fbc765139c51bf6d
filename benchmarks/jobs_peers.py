"""The Python peers of roost-jobs-bench, for benchmarks/jobs.sh.

    jobs_peers.py --peer rq|celery|arq|bullmq --port P --mode enqueue --jobs N
    jobs_peers.py --peer ... --port P --mode process --jobs N --workers 2 [--seconds 30]
    jobs_peers.py --peer ... --port P --mode latency --jobs M --workers 2 [--seconds 20] [--gap-ms 2]
    jobs_peers.py --peer ... --port P --mode worker [--burst]     (started by the modes above)

The flags are roost-jobs-bench's, plus --peer; every mode prints one line on stdout,
"RESULT key=value ...", as roost-jobs-bench does (jobs.sh reads nothing else):

  - enqueue: one producer enqueues N no-op jobs, with the library's bulk or pipelined API
    where it has one, and prints `RESULT rate=<jobs/s> jobs=<N> seconds=<s>`.
  - process: enqueues N no-op jobs (not timed), starts the worker processes (in burst mode
    where the library has one) and polls the library's done count every 50 ms until it reaches
    N or --seconds have passed since the workers were started. Prints
    `RESULT rate=<jobs/s> rate_from_spawn=<jobs/s> jobs=<done> seconds=<s> capped=<0|1>`:
    `rate` counts from the first poll that saw a job done to the last poll, which leaves out
    the interpreter's and the library's start-up; `rate_from_spawn` counts from starting the
    worker processes; `capped=1` means --seconds ran out before all N were done.
  - latency: starts the workers and lets them go idle, then enqueues one `stamp` job at a
    time; the job carries `time.monotonic_ns()` read just before the enqueue call, and its
    handler pushes (its own first `time.monotonic_ns()`) minus that to a Redis list, which
    the producer pops (BLPOP) before it sleeps --gap-ms and enqueues the next. Warm-up jobs
    come first, until every worker process has run one (and at least 10). M jobs, or as many
    as fit in --seconds. Prints `RESULT p50_us=<us> p99_us=<us> mean_us=<us> jobs=<count>`.
    CLOCK_MONOTONIC is shared by all the processes of the machine.

The libraries themselves are in benchmarks/jobs_peers/, one module each.
"""
import argparse
import importlib
import math
import os
import signal
import subprocess
import sys
import tempfile
import time

import redis

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from jobs_peers import LATENCY_KEY  # noqa: E402

PEERS = ("rq", "celery", "arq", "bullmq")
POLL_SECONDS = 0.05
WARMUP_MIN, WARMUP_MAX, WARMUP_SECONDS = 10, 200, 60


def peer_module(name):
    return importlib.import_module("jobs_peers.%s_peer" % name)


class WorkerProcesses:
    """The worker processes of one run; their output goes to a file shown if the run fails."""

    def __init__(self, peer, port, workers, burst):
        self.log = tempfile.TemporaryFile(mode="w+")
        env = dict(os.environ, JOBBENCH_PORT=str(port), PYTHONPATH=HERE)
        self.processes = [
            subprocess.Popen(command, cwd=HERE, env=env, stdin=subprocess.DEVNULL, stdout=self.log,
                             stderr=subprocess.STDOUT)
            for command in peer.worker_commands(os.path.abspath(__file__), port, workers, burst)]

    def all_exited(self):
        return all(p.poll() is not None for p in self.processes)

    def stop(self):
        for p in self.processes:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for p in self.processes:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def fail(self, message):
        self.stop()
        self.log.seek(0)
        sys.stderr.write(self.log.read()[-4000:])
        raise SystemExit(message)


def enqueue(peer, args):
    producer = peer.Producer(args.port)
    start = time.perf_counter()
    producer.enqueue_noops(args.jobs)
    seconds = time.perf_counter() - start
    producer.close()
    print("RESULT rate=%.1f jobs=%d seconds=%.3f" % (args.jobs / seconds, args.jobs, seconds))


def process(peer, args):
    producer = peer.Producer(args.port)
    producer.enqueue_noops(args.jobs)
    producer.close()
    client = redis.Redis(host="127.0.0.1", port=args.port)
    spawned = time.monotonic()
    workers = WorkerProcesses(peer, args.port, args.workers, burst=True)
    first = None  # (instant, done) at the first poll that saw a job done
    capped = 0
    try:
        while True:
            time.sleep(POLL_SECONDS)
            now = time.monotonic()
            done = peer.done_count(client, args.jobs)
            if first is None and done > 0:
                first = (now, done)
            if done >= args.jobs:
                break
            if now - spawned >= args.seconds:
                capped = 1
                break
            if workers.all_exited() and peer.done_count(client, args.jobs) < args.jobs:
                workers.fail("the workers exited with %d of %d jobs done" % (done, args.jobs))
    finally:
        workers.stop()
    if first is None:
        raise SystemExit("no job was done within %s s" % args.seconds)
    steady = (done - first[1]) / (now - first[0]) if now > first[0] and done > first[1] else done / (now - spawned)
    print("RESULT rate=%.1f rate_from_spawn=%.1f jobs=%d seconds=%.3f capped=%d"
          % (steady, done / (now - spawned), done, now - spawned, capped))


def percentile(sorted_values, fraction):
    rank = math.ceil(fraction * len(sorted_values)) - 1
    return sorted_values[max(0, min(len(sorted_values) - 1, rank))]


def latency(peer, args):
    client = redis.Redis(host="127.0.0.1", port=args.port)
    client.delete(LATENCY_KEY)
    workers = WorkerProcesses(peer, args.port, args.workers, burst=False)
    try:
        producer = peer.Producer(args.port)

        def one():
            producer.enqueue_stamp()
            popped = client.blpop([LATENCY_KEY], 60)
            if popped is None:
                workers.fail("a stamp job did not start within 60 s")
            nanoseconds, pid = popped[1].split()
            time.sleep(args.gap_ms / 1000)
            return int(nanoseconds), pid

        # Until each worker process has run a job: Celery's one process has two children, and only
        # one of them gets jobs that come one at a time, which is enough.
        pids, warmups, start, wanted = set(), 0, time.monotonic(), len(workers.processes)
        while warmups < WARMUP_MIN or (len(pids) < wanted and warmups < WARMUP_MAX
                                       and time.monotonic() - start < WARMUP_SECONDS):
            pids.add(one()[1])
            warmups += 1
        if len(pids) < wanted:
            print("latency: only %d of %d worker processes ran a warm-up job" % (len(pids), wanted), file=sys.stderr)
        latencies, start = [], time.monotonic()
        while len(latencies) < args.jobs and time.monotonic() - start < args.seconds:
            latencies.append(one()[0] / 1000)
        producer.close()
    finally:
        workers.stop()
    latencies.sort()
    print("RESULT p50_us=%.1f p99_us=%.1f mean_us=%.1f jobs=%d"
          % (percentile(latencies, 0.50), percentile(latencies, 0.99), sum(latencies) / len(latencies), len(latencies)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer", choices=PEERS, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", choices=("enqueue", "process", "latency", "worker"), required=True)
    parser.add_argument("--jobs", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=30, help="cap on process and latency modes")
    parser.add_argument("--gap-ms", type=float, default=2, help="latency mode: pause after each job started")
    parser.add_argument("--burst", action="store_true", help="worker mode: exit when the queue is empty")
    args = parser.parse_args()
    os.environ["JOBBENCH_PORT"] = str(args.port)  # for modules that read it on import (celery_peer)
    peer = peer_module(args.peer)
    if args.mode == "worker":
        peer.work(args.port, args.burst)
    else:
        # A SIGTERM (from jobs.sh's `timeout`) unwinds, so that the worker processes are stopped.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        {"enqueue": enqueue, "process": process, "latency": latency}[args.mode](peer, args)


if __name__ == "__main__":
    sys.exit(main())
