#!/usr/bin/env bash
# RoostClient vs redis-benchmark vs redis-py (with hiredis), against one redis-server, in one run.
#
# Each tool does the same work against the same fresh redis-server: SET then GET of random keys
# `key:<n>` (n below KEYSPACE, 3-byte values, like redis-benchmark -r 100000 -d 3)
#   - pipelined, 16 commands per pipeline, 50 connections  (RoostClient: 50 concurrent tasks on
#     one RedisClient with a 50-connection pool; redis-benchmark -c 50 -P 16; not redis-py);
#   - pipelined, 16 and 100 per pipeline, one connection     (all three);
#   - one GET at a time on one connection (latency: p50/p99 in microseconds, and requests/s).
# Then it prints every figure and the ratios RoostClient/redis-benchmark and RoostClient/redis-py
# (for requests/s above 1 means RoostClient is faster; for latencies below 1 means it is).
#
#   benchmarks/client.sh
#   REQUESTS=200000 PY_REQUESTS=100000 LATENCY_REQUESTS=10000 benchmarks/client.sh
#   NIO_EXECUTOR=1 benchmarks/client.sh   # RoostClient's tasks on NIO's event loops (see
#                                         # benchmarks/ClientBenchmark/ClientBenchmark.swift)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

REQUESTS=${REQUESTS:-1000000}
PY_REQUESTS=${PY_REQUESTS:-300000}
LATENCY_REQUESTS=${LATENCY_REQUESTS:-50000}
KEYSPACE=${KEYSPACE:-100000}
PORT=${PORT:-7611}
NIO_EXECUTOR=${NIO_EXECUTOR:-0}

# redis-py and its C parser, from PyPI, in the venv install-deps.sh made.
py=.build/pyvenv/bin/python
if ! "$py" -c "import redis, hiredis" >/dev/null 2>&1; then
    .build/pyvenv/bin/pip install -q redis hiredis
fi

swift build -c release --product roost-client-bench >/dev/null
bench=$(swift build -c release --product roost-client-bench --show-bin-path)/roost-client-bench

work=$(mktemp -d)
redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" --daemonize no --logfile '' >/dev/null &
redis_pid=$!
trap 'kill $redis_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.05; done

results="$work/results"
: >"$results"

# RoostClient.
executor_flag=()
[ "$NIO_EXECUTOR" = 1 ] && executor_flag=(--nio-executor)
"$bench" --port "$PORT" --requests "$REQUESTS" --latency-requests "$LATENCY_REQUESTS" --keyspace "$KEYSPACE" "${executor_flag[@]}" \
    | awk '$1 == "RESULT" { print "client", $2, $3 }' >>"$results"

# redis-benchmark: TEST CLIENTS PIPELINE N -> the CSV row's fields.
rb() {
    redis-benchmark -p "$PORT" -t "$1" -c "$2" -P "$3" -n "$4" -r "$KEYSPACE" --csv -q 2>/dev/null \
        | awk -F'","' 'NR > 1 { gsub(/"/, ""); print }' | tail -1
}
for t in set get; do
    echo "bench ${t}_p16_c50_rps $(rb "$t" 50 16 "$REQUESTS" | awk -F',' '{ print $2 }')" >>"$results"
    for p in 16 100; do
        echo "bench ${t}_p${p}_c1_rps $(rb "$t" 1 "$p" "$REQUESTS" | awk -F',' '{ print $2 }')" >>"$results"
    done
done
row=$(rb get 1 1 "$LATENCY_REQUESTS")
awk -F',' -v out="$results" '{
    print "bench get_p1_c1_rps", $2 >> out
    print "bench get_p1_c1_p50_us", $5 * 1000 >> out
    print "bench get_p1_c1_p99_us", $7 * 1000 >> out
}' <<<"$row"

# redis-py with hiredis: the one-connection figures.
"$py" - "$PORT" "$PY_REQUESTS" "$LATENCY_REQUESTS" "$KEYSPACE" >>"$results" <<'PY'
import math, random, sys, time
import redis
from redis.utils import HIREDIS_AVAILABLE

port, requests, latency_requests, keyspace = (int(a) for a in sys.argv[1:])
assert HIREDIS_AVAILABLE, "hiredis is not installed"
r = redis.Redis(host="127.0.0.1", port=port)
rng = random.Random(7)
value = b"xxx"

def pipelined(command, depth):
    done = 0
    start = time.perf_counter()
    while done < requests:
        count = min(depth, requests - done)
        pipe = r.pipeline(transaction=False)
        for _ in range(count):
            key = "key:%d" % rng.randrange(keyspace)
            if command == "set":
                pipe.set(key, value)
            else:
                pipe.get(key)
        pipe.execute()
        done += count
    return requests / (time.perf_counter() - start)

pipelined("set", 16)  # warm-up
for depth in (16, 100):
    for command in ("set", "get"):
        print("py %s_p%d_c1_rps %.3f" % (command, depth, pipelined(command, depth)))

samples = []
start = time.perf_counter()
for _ in range(latency_requests):
    key = "key:%d" % rng.randrange(keyspace)
    before = time.perf_counter()
    r.get(key)
    samples.append((time.perf_counter() - before) * 1e6)
total = time.perf_counter() - start
samples.sort()
def percentile(fraction):
    return samples[max(0, min(len(samples) - 1, math.ceil(fraction * len(samples)) - 1))]
print("py get_p1_c1_rps %.3f" % (latency_requests / total))
print("py get_p1_c1_p50_us %.3f" % percentile(0.50))
print("py get_p1_c1_p99_us %.3f" % percentile(0.99))
PY

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), redis $(redis-server --version | awk '{print $3}' | sed 's/v=//'), redis-py $("$py" -c 'import redis; print(redis.__version__)'), hiredis $("$py" -c 'import hiredis; print(hiredis.__version__)')"
echo "requests: $REQUESTS (redis-py: $PY_REQUESTS), sequential GETs: $LATENCY_REQUESTS, keyspace: $KEYSPACE, RoostClient on NIO's executor: $NIO_EXECUTOR"
awk '
    { value[$1, $2] = $3; if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 } }
    function show(v) { return v == "" ? "-" : sprintf("%.1f", v) }
    function ratio(a, b) { return (a == "" || b == "" || b == 0) ? "-" : sprintf("%.2f", a / b) }
    END {
        printf "%-22s %14s %16s %14s %15s %12s\n", "metric", "roost-client", "redis-benchmark", "redis-py", "client/bench", "client/py"
        for (i = 1; i <= n; i++) {
            m = order[i]
            c = value["client", m]; b = value["bench", m]; p = value["py", m]
            printf "%-22s %14s %16s %14s %15s %12s\n", m, show(c), show(b), show(p), ratio(c, b), ratio(c, p)
        }
    }' "$results"
