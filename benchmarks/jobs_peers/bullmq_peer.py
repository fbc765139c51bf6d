"""BullMQ for Python (`bullmq` on PyPI): two worker processes, each a `Worker` with
`concurrency` CONCURRENCY (10 unless BULLMQ_CONCURRENCY says otherwise: BullMQ's default of 1
leaves each process waiting on one round trip at a time, and 10 is arq's default too). Waiting
workers block on the queue's marker (BZPOPMIN), so they start a new job without polling. The
producer uses `addBulk`, BATCH jobs a call. Jobs keep BullMQ's defaults (`removeOnComplete`
false), so the `completed` sorted set's size is the done count. BullMQ has no burst mode:
jobs_peers.py stops the workers (SIGTERM, then `Worker.close()`)."""
import asyncio
import os
import signal
import sys

import redis.asyncio
from bullmq import Queue, Worker

from jobs_peers import LATENCY_KEY, QUEUE, latency_entry, now_ns

BATCH = 1000  # jobs per addBulk call
CONCURRENCY = int(os.environ.get("BULLMQ_CONCURRENCY", "10"))


class Producer:
    def __init__(self, port):
        self.runner = asyncio.Runner()

        async def make():
            return Queue(QUEUE, {"connection": {"host": "127.0.0.1", "port": port}})
        self.queue = self.runner.run(make())

    def enqueue_noops(self, n):
        async def enqueue():
            for first in range(0, n, BATCH):
                await self.queue.addBulk([{"name": "noop", "data": {}} for _ in range(min(BATCH, n - first))])
        self.runner.run(enqueue())

    def enqueue_stamp(self):
        async def enqueue():
            await self.queue.add("stamp", {"enqueued_ns": now_ns()})
        self.runner.run(enqueue())

    def close(self):
        self.runner.run(self.queue.close())
        self.runner.close()


def worker_commands(script, port, workers, burst):
    return [[sys.executable, script, "--peer", "bullmq", "--mode", "worker", "--port", str(port)]] * workers


def work(port, burst):
    async def run():
        client = redis.asyncio.Redis(host="127.0.0.1", port=port)

        async def process(job, token):
            if job.name == "stamp":
                started = now_ns()
                await client.rpush(LATENCY_KEY, latency_entry(started, job.data["enqueued_ns"]))

        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        worker = Worker(QUEUE, process, {"connection": {"host": "127.0.0.1", "port": port}, "concurrency": CONCURRENCY})
        await stop.wait()
        await worker.close()
        await client.aclose()
    asyncio.run(run())


def done_count(client, total):
    return client.zcard("bull:%s:completed" % QUEUE)
