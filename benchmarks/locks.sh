#!/usr/bin/env bash
# Roost's DistributedLock vs redis-py's Lock and python-redis-lock (PyPI), in one run, against
# the same redis-server (and Roost's own server as a second backend).
#
# For each backend and each lock it measures, ROUNDS times, alternating the locks:
#   - uncontended: one client, one task (one Python thread), one lock nobody else wants:
#     non-blocking acquire + release per second, and the scoped form per second (Roost's
#     `withLock {}`, which also starts and stops the lease's watchdog; Python's `with lock:`);
#   - hand-off: PROCESSES processes contend for one lock, each waiting the library's own way
#     (Roost: BLPOP on the lock's signal list, one waiter woken per release; python-redis-lock:
#     BLPOP; redis-py: polling every 0.1 s, its default, kept because that is what its users
#     get). The latency of a hand-off is from the
#     instant the holder starts to release to the instant another process has the lock, both
#     read from CLOCK_MONOTONIC, which all processes on the machine share. HANDOFFS hand-offs
#     per round; p50, p99 and mean. (See benchmarks/LockBenchmark/main.swift for the steps.)
# Then it prints the median of each figure and the ratios Roost/peer (for rates above 1 means
# Roost is faster; for latencies below 1 means it is).
#
#   benchmarks/locks.sh
#   ROUNDS=5 SECONDS_EACH=3 HANDOFFS=400 BACKENDS=redis benchmarks/locks.sh
#   ROOST_BIN=/path/to/roost ...            # another build of Roost's server
#   NIO_EXECUTOR=1 ...                      # Roost's lock with its tasks on NIO's event loops
#                                           # (see benchmarks/LockBenchmark/main.swift)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

ROUNDS=${ROUNDS:-3}
SECONDS_EACH=${SECONDS_EACH:-2}
HANDOFFS=${HANDOFFS:-300}
PROCESSES=${PROCESSES:-8}
BACKENDS=${BACKENDS:-redis,roost}
NIO_EXECUTOR=${NIO_EXECUTOR:-0}
LOCKS=(roost redis-py python-redis-lock)
executor_flag=()
[ "$NIO_EXECUTOR" = 1 ] && executor_flag=(--nio-executor)

# python-redis-lock from PyPI into the venv install-deps.sh made (beside redis-py). `python -m
# pip` installs into the venv the interpreter belongs to, even in a venv copied from elsewhere.
py=.build/pyvenv/bin/python
if ! "$py" -c "import redis_lock" >/dev/null 2>&1; then
    "$py" -m pip install -q python-redis-lock
fi

swift build -c release --product roost-lock-bench >/dev/null
bench=$(swift build -c release --product roost-lock-bench --show-bin-path)/roost-lock-bench
if [[ ",$BACKENDS," == *,roost,* ]] && [ -z "${ROOST_BIN:-}" ]; then
    swift build -c release --product roost >/dev/null
    ROOST_BIN=.build/release/roost
fi

free_port() { "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
declare -A port
for backend in ${BACKENDS//,/ }; do
    port[$backend]=$(free_port)
    case $backend in
    redis) redis-server --port "${port[$backend]}" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" \
               --daemonize no --logfile '' >/dev/null & ;;
    roost) "$ROOST_BIN" server --port "${port[$backend]}" --bind 127.0.0.1 >/dev/null 2>&1 & ;;
    *) echo "unknown backend $backend (redis, roost)" >&2; exit 2 ;;
    esac
    pids+=($!)
    for _ in $(seq 100); do redis-cli -p "${port[$backend]}" ping >/dev/null 2>&1 && break; sleep 0.05; done
done

results="$work/results"
: >"$results"

# uncontended BACKEND LOCK -> "BACKEND LOCK metric value" lines
uncontended() {
    local out
    if [ "$2" = roost ]; then out=$("$bench" uncontended --port "${port[$1]}" --seconds "$SECONDS_EACH" "${executor_flag[@]}")
    else out=$("$py" benchmarks/locks.py uncontended --impl "$2" --port "${port[$1]}" --seconds "$SECONDS_EACH"); fi
    awk -v b="$1" -v l="$2" '$1 == "RESULT" { print b, l, $2, $3 }' <<<"$out" >>"$results"
}

# handoff BACKEND LOCK RUN -> PROCESSES contenders, then their holds summarized
handoff() {
    local i dir="$work/handoff-$3" procs=()
    mkdir -p "$dir"
    for i in $(seq "$PROCESSES"); do
        if [ "$2" = roost ]; then
            "$bench" handoff --port "${port[$1]}" --id "$i" --processes "$PROCESSES" --total "$HANDOFFS" --run "$3" \
                "${executor_flag[@]}" >"$dir/$i" &
        else
            "$py" benchmarks/locks.py handoff --impl "$2" --port "${port[$1]}" --id "$i" --processes "$PROCESSES" \
                --total "$HANDOFFS" --run "$3" >"$dir/$i" &
        fi
        procs+=($!)
    done
    for i in "${procs[@]}"; do wait "$i"; done
    "$py" benchmarks/locks.py summarize "$dir"/* | awk -v b="$1" -v l="$2" '$1 == "RESULT" { print b, l, $2, $3 }' >>"$results"
}

start=$(date +%s)
run=0
for round in $(seq "$ROUNDS"); do
    for backend in ${BACKENDS//,/ }; do
        # Alternate which lock goes first from round to round.
        order=("${LOCKS[@]:$(((round - 1) % 3))}" "${LOCKS[@]:0:$(((round - 1) % 3))}")
        for lock in "${order[@]}"; do
            uncontended "$backend" "$lock"
            run=$((run + 1))
            handoff "$backend" "$lock" "r$run"
        done
        redis-cli -p "${port[$backend]}" flushall >/dev/null
    done
    echo "round $round of $ROUNDS done after $(($(date +%s) - start)) s" >&2
done

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg), redis $(redis-server --version | awk '{print $3}' | sed 's/v=//'), redis-py $("$py" -c 'import redis; print(redis.__version__)'), python-redis-lock $("$py" -c 'import redis_lock; print(redis_lock.__version__)')"
echo "rounds: $ROUNDS (medians below), uncontended: ${SECONDS_EACH} s each, hand-off: $PROCESSES processes, $HANDOFFS hand-offs a round; lease 30 s everywhere; redis-py's waiters poll every 0.1 s (its default sleep); Roost on NIO's executor: $NIO_EXECUTOR"
awk '
    BEGIN {
        label["try_acquire_release_per_s"] = "acquire+release /s"
        label["with_lock_per_s"] = "withLock {} | with lock: /s"
        label["handoff_p50_us"] = "hand-off p50 (us)"
        label["handoff_p99_us"] = "hand-off p99 (us)"
        label["handoff_mean_us"] = "hand-off mean (us)"
    }
    !($3 in label) { next }
    { key = $1 SUBSEP $2 SUBSEP $3; count[key]++; value[key, count[key]] = $4
      if (!(($1, $3) in seen)) { seen[$1, $3] = 1; order[++n] = $1 SUBSEP $3 } }
    function median(key,    c, i, j, t, a) {
        c = count[key]; if (c == 0) return ""
        for (i = 1; i <= c; i++) a[i] = value[key, i]
        for (i = 2; i <= c; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
        return a[int((c + 1) / 2)]
    }
    function show(v) { return v == "" ? "-" : sprintf("%.1f", v) }
    function ratio(a, b) { return (a == "" || b == "" || b == 0) ? "-" : sprintf("%.2f", a / b) }
    END {
        printf "%-8s %-28s %12s %12s %18s %10s %10s\n", "backend", "metric", "roost", "redis-py", "python-redis-lock", "roost/rpy", "roost/prl"
        for (i = 1; i <= n; i++) {
            split(order[i], part, SUBSEP); b = part[1]; m = part[2]
            r = median(b SUBSEP "roost" SUBSEP m); p = median(b SUBSEP "redis-py" SUBSEP m); q = median(b SUBSEP "python-redis-lock" SUBSEP m)
            printf "%-8s %-28s %12s %12s %18s %10s %10s\n", b, label[m], show(r), show(p), show(q), ratio(r, p), ratio(r, q)
        }
    }' "$results"
