"""arq: two worker processes, each an asyncio `Worker` with arq's defaults (up to 10 jobs at a
time, `poll_delay` 0.5 s: an idle worker looks at the queue twice a second, which sets its
enqueue-to-start latency), in burst mode for the processing rate. The producer gathers
`enqueue_job` calls BATCH at a time. A finished job leaves the queue's sorted set, whose size
gives the done count.

arq 0.28 requires redis-py < 6, so it runs from its own venv (see jobs.sh)."""
import asyncio
import os
import sys

from arq import create_pool
from arq.connections import RedisSettings
from arq.worker import Worker

from jobs_peers import LATENCY_KEY, latency_entry, now_ns

BATCH = 100  # enqueue_job calls in flight at once
QUEUE_KEY = "arq:queue"  # arq's default queue
POLL_DELAY = float(os.environ.get("ARQ_POLL_DELAY", "0.5"))


async def noop(ctx):
    pass


async def stamp(ctx, enqueued_ns):
    started = now_ns()
    await ctx["redis"].rpush(LATENCY_KEY, latency_entry(started, enqueued_ns))


class Producer:
    def __init__(self, port):
        self.runner = asyncio.Runner()
        self.pool = self.runner.run(create_pool(RedisSettings(host="127.0.0.1", port=port)))

    def enqueue_noops(self, n):
        async def enqueue():
            for first in range(0, n, BATCH):
                await asyncio.gather(*(self.pool.enqueue_job("noop") for _ in range(min(BATCH, n - first))))
        self.runner.run(enqueue())

    def enqueue_stamp(self):
        async def enqueue():
            await self.pool.enqueue_job("stamp", now_ns())
        self.runner.run(enqueue())

    def close(self):
        self.runner.run(self.pool.aclose())
        self.runner.close()


def worker_commands(script, port, workers, burst):
    command = [sys.executable, script, "--peer", "arq", "--mode", "worker", "--port", str(port)]
    return [command + (["--burst"] if burst else [])] * workers


def work(port, burst):
    Worker(functions=[noop, stamp], redis_settings=RedisSettings(host="127.0.0.1", port=port), burst=burst,
           poll_delay=POLL_DELAY).run()


def done_count(client, total):
    return total - client.zcard(QUEUE_KEY)
