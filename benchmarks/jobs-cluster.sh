#!/usr/bin/env bash
# RoostJobs on a 6-node Redis Cluster (3 masters, 3 replicas) on loopback: one queue in 1
# partition (one slot, one master) against the same queue in PARTITIONS partitions (one per
# master), ROUNDS times, alternating. No-op jobs, WORKERS worker processes of CONCURRENCY
# slots each, through roost-jobs-bench --cluster:
#   - enqueue: one producer, bulk enqueues of 5,000 (pipelined script calls of 500); jobs/s.
#   - process: N jobs queued while paused, the workers start, the queue resumes; jobs/s.
# Prints the median of each figure and the ratio PARTITIONS/1 (above 1: partitions faster).
#
#   benchmarks/jobs-cluster.sh   # ROUNDS=3 N=20000 WORKERS=2 CONCURRENCY=64 PARTITIONS=3
#   ROOST_JOBS_BENCH=/path ...   # another build of the bench (default .build/release, built here)
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
N=${N:-20000}
WORKERS=${WORKERS:-2}
CONCURRENCY=${CONCURRENCY:-64}
PARTITIONS=${PARTITIONS:-3}
if [ -z "${ROOST_JOBS_BENCH:-}" ]; then
    ROOST_JOBS_BENCH=.build/release/roost-jobs-bench
    swift build -c release --product roost-jobs-bench >/dev/null
fi

# A free port whose cluster bus port (port + 10000) is free and valid as well.
free_port() {
    python3 -c '
import random, socket
while True:
    p = random.randint(20000, 50000)
    try:
        for q in (p, p + 10000):
            s = socket.socket(); s.bind(("127.0.0.1", q)); s.close()
        print(p); break
    except OSError:
        pass'
}
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
ports=()
for i in 1 2 3 4 5 6; do
    p=$(free_port)
    mkdir -p "$work/$p"
    redis-server --port "$p" --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file "$work/$p/nodes.conf" \
        --save '' --appendonly no --dir "$work/$p" --daemonize no --logfile '' >/dev/null &
    pids+=($!)
    ports+=("$p")
done
for p in "${ports[@]}"; do
    for _ in $(seq 400); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.05; done
done
redis-cli --cluster create $(printf '127.0.0.1:%s ' "${ports[@]}") --cluster-replicas 1 --cluster-yes >/dev/null
for _ in $(seq 200); do
    ok=1
    for p in "${ports[@]}"; do redis-cli -p "$p" cluster info | grep -q 'cluster_state:ok' || ok=0; done
    [ "$ok" = 1 ] && break
    sleep 0.1
done
seed=${ports[0]}

results="$work/results"
: >"$results"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# run PARTITIONS MODE -> "PARTITIONS MODE.KEY VALUE" lines from the RESULT line.
run() {
    local out
    for p in "${ports[@]}"; do redis-cli -p "$p" flushall >/dev/null 2>&1 || true; done
    if out=$(timeout 900 "$ROOST_JOBS_BENCH" --cluster --port "$seed" --partitions "$1" --mode "$2" --jobs "$N" \
                 --workers "$WORKERS" --concurrency "$CONCURRENCY" --seconds 60 2>"$work/stderr"); then
        awk -v n="$1" -v m="$2" '$1 == "RESULT" { for (f = 2; f <= NF; f++) { split($f, kv, "="); print n, m "." kv[1], kv[2] } }' \
            <<<"$out" >>"$results"
    else
        echo "partitions=$1 $2 failed:" >&2
        tail -n 20 "$work/stderr" >&2
    fi
}
for round in $(seq "$ROUNDS"); do
    order=(1 "$PARTITIONS")
    [ $((round % 2)) = 0 ] && order=("$PARTITIONS" 1)
    for mode in enqueue process; do
        for n in "${order[@]}"; do run "$n" "$mode"; done
    done
done

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "RoostJobs on a 6-node loopback Redis Cluster (3 masters): $ROUNDS rounds, N=$N, $WORKERS workers x $CONCURRENCY slots"
echo "load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-22s %14s %14s %8s\n' figure "1 partition" "$PARTITIONS partitions" ratio
for key in enqueue.rate process.rate process.rate_from_spawn; do
    one=$(awk -v k="$key" '$1 == 1 && $2 == k { print $3 }' "$results" | median)
    many=$(awk -v n="$PARTITIONS" -v k="$key" '$1 == n && $2 == k { print $3 }' "$results" | median)
    ratio=$(awk -v a="$one" -v b="$many" 'BEGIN { if (a > 0) printf "%.2f", b / a; else print "-" }')
    printf '%-22s %14s %14s %8s\n' "$key (jobs/s)" "$one" "$many" "$ratio"
done
