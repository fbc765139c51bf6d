"""The four Python job queues that benchmarks/jobs.sh measures, one module each.

Every module has the same shape, which jobs_peers.py drives:

  - `noop` and `stamp`: the two jobs. `noop` does nothing. `stamp(enqueued_ns)` reads
    `time.monotonic_ns()` first thing and pushes "<start - enqueued_ns> <pid>" to LATENCY_KEY.
  - `Producer(port)`: `enqueue_noops(n)` enqueues n no-op jobs as fast as the library allows,
    `enqueue_stamp()` one `stamp` job carrying the instant just before the enqueue call, and
    `close()`.
  - `worker_commands(script, port, workers, burst)`: the command lines of the worker processes
    that together run `workers` jobs at a time (2 in the issue).
  - `work(port, burst)`: the body of one worker process started by such a command.
  - `done_count(client, total)`: how many of `total` queued jobs are done, read from the
    library's own bookkeeping in Redis with O(1) commands, so that polling it every 50 ms does
    not slow the workers down.
"""
import os
import time

QUEUE = "jobbench"
LATENCY_KEY = "jobbench:latency"


def latency_entry(started_ns, enqueued_ns):
    """The value `stamp` pushes: the enqueue-to-start latency in ns and the worker's pid."""
    return "%d %d" % (started_ns - enqueued_ns, os.getpid())


def now_ns():
    return time.monotonic_ns()
