"""RQ (python-rq): `SimpleWorker`s, each one process that runs its jobs in itself (no fork per
job), in burst mode for the processing rate. Jobs keep RQ's defaults (results kept 500 s, so
every finished job is in the FinishedJobRegistry, whose size is the done count)."""
import sys

import redis
from rq import Queue, SimpleWorker, get_current_job
from rq.registry import FinishedJobRegistry

from jobs_peers import LATENCY_KEY, QUEUE, latency_entry, now_ns

BATCH = 1000  # jobs per enqueue_many pipeline


def noop():
    pass


def stamp(enqueued_ns):
    started = now_ns()
    get_current_job().connection.rpush(LATENCY_KEY, latency_entry(started, enqueued_ns))


class Producer:
    def __init__(self, port):
        self.client = redis.Redis(host="127.0.0.1", port=port)
        self.queue = Queue(QUEUE, connection=self.client)

    def enqueue_noops(self, n):
        for first in range(0, n, BATCH):
            with self.client.pipeline() as pipe:
                self.queue.enqueue_many([Queue.prepare_data(noop) for _ in range(min(BATCH, n - first))], pipeline=pipe)
                pipe.execute()

    def enqueue_stamp(self):
        self.queue.enqueue(stamp, now_ns())

    def close(self):
        self.client.close()


def worker_commands(script, port, workers, burst):
    command = [sys.executable, script, "--peer", "rq", "--mode", "worker", "--port", str(port)]
    return [command + (["--burst"] if burst else [])] * workers


def work(port, burst):
    client = redis.Redis(host="127.0.0.1", port=port)
    SimpleWorker([Queue(QUEUE, connection=client)], connection=client).work(burst=burst, logging_level="WARNING")


def done_count(client, total):
    return client.zcard(FinishedJobRegistry(QUEUE, connection=client).key)
