#!/usr/bin/env bash
# No-op tasks through futures (issue 13): RoostCompute against Celery 5 and Ray, in one run.
#
# Every implementation starts WORKERS (2) worker processes, warms them up with 20 tasks, then
# is timed from submitting the first of N (10,000) no-op tasks to having all their results:
#   - roost: roost-tasks-bench (benchmarks/TasksBenchmark): WORKERS processes each running a
#     ComputeWorker with CONCURRENCY (1) task at a time; `Compute.submit(_:each:)` then
#     `Compute.gather`; against redis-server and against `roost server`.
#   - celery: `celery worker -c WORKERS` (prefork) with redis-server as broker and result
#     backend; `.delay()` N times, then `.get()` on each result.
#   - ray: `ray.init(num_cpus=WORKERS)`; `f.remote()` N times, then `ray.get` of the list.
# ROUNDS (3) rounds, the implementations in a rotating order; it prints the median tasks/s of
# each and the ratios Roost/peer (above 1: Roost is faster). The peers are in
# benchmarks/tasks_peers.py. Ray goes into a venv of its own (.build/pyvenv-ray); if it does
# not install or start, its column says so and the rest goes on.
#
#   benchmarks/tasks.sh                       # ROUNDS=3 N=10000 WORKERS=2 CONCURRENCY=1 PEERS=celery,ray
#   ROUNDS=5 CONCURRENCY=16 benchmarks/tasks.sh
#   ROOST_TASKS_BENCH=/path ROOST_BIN=/path   # other builds of the bench and of Roost's server
#   RESULTS_FILE=/tmp/tasks.txt ...           # also keep every run's figure ("impl backend rate")
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

ROUNDS=${ROUNDS:-3}
N=${N:-10000}
WORKERS=${WORKERS:-2}
CONCURRENCY=${CONCURRENCY:-1}
PEERS=${PEERS:-celery,ray}

py=.build/pyvenv/bin/python
ray_py=.build/pyvenv-ray/bin/python
ray=0
for peer in ${PEERS//,/ }; do
    case $peer in
    celery) "$py" -c "import celery, redis" >/dev/null 2>&1 || "$py" -m pip install -q 'celery[redis]' ;;
    ray)
        if ! "$ray_py" -c "import ray" >/dev/null 2>&1; then
            python3 -m venv .build/pyvenv-ray && "$ray_py" -m pip install -q ray \
                || echo "ray did not install: its column is skipped" >&2
        fi
        "$ray_py" -c "import ray" >/dev/null 2>&1 && ray=1 ;;
    *) echo "unknown peer $peer (celery, ray)" >&2; exit 2 ;;
    esac
done

if [ -z "${ROOST_TASKS_BENCH:-}" ]; then
    swift build -c release --product roost-tasks-bench >/dev/null
    ROOST_TASKS_BENCH=.build/release/roost-tasks-bench
fi
if [ -z "${ROOST_BIN:-}" ]; then
    swift build -c release --product roost >/dev/null
    ROOST_BIN=.build/release/roost
fi

free_port() { "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
declare -A port
for backend in redis roost; do
    port[$backend]=$(free_port)
    case $backend in
    redis) redis-server --port "${port[$backend]}" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" \
               --daemonize no --logfile '' >/dev/null & ;;
    roost) "$ROOST_BIN" server --port "${port[$backend]}" --bind 127.0.0.1 >/dev/null 2>&1 & ;;
    esac
    pids+=($!)
    for _ in $(seq 100); do redis-cli -p "${port[$backend]}" ping >/dev/null 2>&1 && break; sleep 0.05; done
done

results="$work/results"
: >"$results"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# run IMPL BACKEND -> "IMPL BACKEND RATE" in the results; a failed run is reported and skipped.
run() {
    local out cmd
    case $1 in
    roost) cmd=("$ROOST_TASKS_BENCH" --port "${port[$2]}" --concurrency "$CONCURRENCY") ;;
    celery) cmd=("$py" benchmarks/tasks_peers.py --peer celery --port "${port[$2]}") ;;
    ray) cmd=("$ray_py" benchmarks/tasks_peers.py --peer ray) ;;
    esac
    [ "$2" != none ] && redis-cli -p "${port[$2]}" flushall >/dev/null
    if out=$(timeout 900 "${cmd[@]}" --tasks "$N" --workers "$WORKERS" 2>"$work/stderr"); then
        awk -v i="$1" -v b="$2" '$1 == "RESULT" { split($2, kv, "="); print i, b, kv[2] }' <<<"$out" >>"$results"
    else
        echo "$1 against $2 failed:" >&2
        tail -n 20 "$work/stderr" >&2
    fi
}

runs=("roost redis" "roost roost")
for peer in ${PEERS//,/ }; do
    case $peer in
    celery) runs+=("celery redis") ;;
    ray) [ "$ray" = 1 ] && runs+=("ray none") ;;
    esac
done
port[none]=0
start=$(date +%s)
for round in $(seq "$ROUNDS"); do
    shift=$(((round - 1) % ${#runs[@]}))
    for r in "${runs[@]:$shift}" "${runs[@]:0:$shift}"; do run $r; done
    echo "round $round of $ROUNDS done after $(($(date +%s) - start)) s" >&2
done

[ -n "${RESULTS_FILE:-}" ] && cp "$results" "$RESULTS_FILE"
versions=$("$py" -m pip freeze | grep -iE '^(celery|kombu|redis)==' | tr '\n' ' ')
[ "$ray" = 1 ] && versions+="| ray venv: $("$ray_py" -m pip freeze | grep -iE '^ray==' | tr '\n' ' ')"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $load_before before and $(cut -d' ' -f1-3 /proc/loadavg) after, redis $(redis-server --version | awk '{print $3}' | sed 's/v=//'), python $("$py" -c 'import platform; print(platform.python_version())')"
echo "libraries: $versions"
echo "rounds: $ROUNDS (medians below), N=$N no-op tasks, $WORKERS worker processes (Roost: $CONCURRENCY task(s) at once in each)"
[ "$ray" = 1 ] || [[ ",$PEERS," != *,ray,* ]] || echo "ray: not installed, skipped"
awk -v peers="$PEERS" -v workers="$WORKERS" '
    { key = $1 SUBSEP $2; count[key]++; value[key, count[key]] = $3 }
    function median(key,    c, i, j, t, a) {
        c = count[key]; if (c == 0) return ""
        for (i = 1; i <= c; i++) a[i] = value[key, i]
        for (i = 2; i <= c; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
        return a[int((c + 1) / 2)]
    }
    function show(v) { return v == "" ? "-" : sprintf("%.1f", v) }
    function ratio(a, b) { return (a == "" || b == "") ? "-" : sprintf("%.3g", a / b) }
    END {
        np = split(peers, peer, ",")
        peerkey["celery"] = "celery" SUBSEP "redis"; peerkey["ray"] = "ray" SUBSEP "none"
        printf "%-28s %12s", "implementation", "tasks/s"
        for (p = 1; p <= np; p++) printf " %14s", "roost/" peer[p]
        printf "\n"
        split("redis roost", backend, " ")
        name["redis"] = "roost on redis-server"; name["roost"] = "roost on roost server"
        for (b = 1; b <= 2; b++) {
            r = median("roost" SUBSEP backend[b])
            printf "%-28s %12s", name[backend[b]], show(r)
            for (p = 1; p <= np; p++) printf " %14s", ratio(r, median(peerkey[peer[p]]))
            printf "\n"
        }
        label["celery"] = "celery 5 on redis-server"; label["ray"] = "ray (num_cpus=" workers ")"
        for (p = 1; p <= np; p++) printf "%-28s %12s\n", label[peer[p]], show(median(peerkey[peer[p]]))
    }' "$results"
