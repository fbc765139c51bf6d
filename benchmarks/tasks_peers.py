"""The Python peers of roost-tasks-bench, for benchmarks/tasks.sh: no-op tasks through futures.

    tasks_peers.py --peer celery --port P --tasks N --workers W
    tasks_peers.py --peer ray --tasks N --workers W

Each prints one line on stdout, "RESULT rate=<tasks/s> tasks=<N> seconds=<s>", as
roost-tasks-bench does. The workers are started and warmed up with 20 tasks first; the clock
then runs from submitting the first of N no-op tasks to having the results of all of them:

  - celery: Celery 5 with redis-server as broker and result backend, one `celery worker -c W`
    (the prefork pool: W child processes), Celery's defaults otherwise; `noop.delay(i)` N times,
    then `.get()` on each AsyncResult in turn.
  - ray: `ray.init(num_cpus=W)` (W worker processes for tasks of one CPU), `noop.remote(i)` N
    times, then one `ray.get` of the list of object refs.
"""
import argparse
import os
import subprocess
import sys
import time

PORT = int(os.environ.get("TASKBENCH_PORT", "6379"))

try:
    from celery import Celery
except ImportError:  # the Ray venv
    Celery = None

if Celery is not None:
    # The worker imports this module with TASKBENCH_PORT set; the producer sets the URLs itself.
    app = Celery("taskbench")
    app.conf.update(broker_url="redis://127.0.0.1:%d/0" % PORT, result_backend="redis://127.0.0.1:%d/0" % PORT,
                    broker_connection_retry_on_startup=True)

    @app.task(name="taskbench.noop")
    def noop(i):
        return 0


def run_celery(args):
    url = "redis://127.0.0.1:%d/0" % args.port
    app.conf.update(broker_url=url, result_backend=url)
    env = dict(os.environ, TASKBENCH_PORT=str(args.port), PYTHONPATH=os.path.dirname(os.path.abspath(__file__)))
    worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "tasks_peers", "worker", "-c", str(args.workers),
                               "-P", "prefork", "-l", "WARNING"], env=env, stdout=subprocess.DEVNULL)
    try:
        for result in [noop.delay(i) for i in range(20)]:
            result.get(timeout=120)
        start = time.perf_counter()
        results = [noop.delay(i) for i in range(args.tasks)]
        for result in results:
            result.get(timeout=600)
        return time.perf_counter() - start
    finally:
        worker.terminate()
        worker.wait()


def run_ray(args):
    import ray

    ray.init(num_cpus=args.workers, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    try:
        @ray.remote
        def noop(i):
            return 0

        ray.get([noop.remote(i) for i in range(20)])
        start = time.perf_counter()
        ray.get([noop.remote(i) for i in range(args.tasks)])
        return time.perf_counter() - start
    finally:
        ray.shutdown()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--peer", choices=("celery", "ray"), required=True)
    parser.add_argument("--port", type=int, default=6379)
    parser.add_argument("--tasks", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    seconds = run_celery(args) if args.peer == "celery" else run_ray(args)
    print("RESULT rate=%.1f tasks=%d seconds=%.3f" % (args.tasks / seconds, args.tasks, seconds))


if __name__ == "__main__":
    main()
