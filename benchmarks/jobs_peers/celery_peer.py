"""Celery with its Redis broker: one `celery worker -c 2` (the prefork pool, two child
processes), as the issue has it, with Celery's defaults otherwise (prefetch multiplier 4, early
acknowledgement, no result backend: `ignore_result=True`, which is also what a no-op needs).

Celery keeps no count of finished tasks without a result backend, so the done count is what
has left the broker: `total - LLEN(queue) - HLEN(unacked)`. With early acknowledgement a task
leaves `unacked` when a child process takes it, so the count can run ahead by the one or two
tasks the children are running, which for no-op tasks is microseconds."""
import os
import sys

import redis
from celery import Celery

from jobs_peers import LATENCY_KEY, QUEUE, latency_entry, now_ns

PORT = int(os.environ.get("JOBBENCH_PORT", "6379"))
app = Celery("jobbench", broker="redis://127.0.0.1:%d/0" % PORT)
app.conf.task_default_queue = QUEUE
app.conf.broker_connection_retry_on_startup = True
_client = None


@app.task(name="jobbench.noop", ignore_result=True)
def noop():
    pass


@app.task(name="jobbench.stamp", ignore_result=True)
def stamp(enqueued_ns):
    started = now_ns()
    global _client
    if _client is None:  # one connection per child process, made after the fork
        _client = redis.Redis(host="127.0.0.1", port=PORT)
    _client.rpush(LATENCY_KEY, latency_entry(started, enqueued_ns))


class Producer:
    def __init__(self, port):
        if port != PORT:
            raise SystemExit("celery_peer: JOBBENCH_PORT (%d) must be --port (%d)" % (PORT, port))

    def enqueue_noops(self, n):
        for _ in range(n):
            noop.apply_async()

    def enqueue_stamp(self):
        stamp.apply_async((now_ns(),))

    def close(self):
        pass


def worker_commands(script, port, workers, burst):
    # Celery has no burst mode: jobs_peers.py stops the worker (SIGTERM, a warm shutdown).
    return [[sys.executable, "-m", "celery", "-A", "jobs_peers.celery_peer", "worker", "-c", str(workers),
             "-P", "prefork", "-Q", QUEUE, "-l", "WARNING"]]


def done_count(client, total):
    with client.pipeline(transaction=False) as pipe:
        pipe.llen(QUEUE)
        pipe.hlen("unacked")
        waiting, unacked = pipe.execute()
    return total - waiting - unacked
