#!/usr/bin/env bash
# Job queues on the Redis protocol (issue 12): RQ, Celery, arq and BullMQ for Python (all from
# PyPI), and Roost's own workers once roost-jobs-bench exists, in one run against the same
# redis-server; then Roost's workers against `roost server`.
#
# Every implementation runs no-op jobs with WORKERS (2) worker processes and is measured in
# three modes, ROUNDS times, alternating the implementations from round to round:
#   - enqueue: one producer enqueues N no-op jobs as fast as the library allows (RQ:
#     enqueue_many in pipelines of 1,000; Celery: a loop of apply_async; arq: enqueue_job
#     calls gathered 100 at a time; BullMQ: addBulk of 1,000); jobs/s.
#   - process: N jobs queued, then the workers start; jobs/s from the first job done to the
#     last ("steady") and from starting the worker processes ("from spawn", which counts the
#     start-up of the interpreter and the library). A run stops after PROCESS_SECONDS all the
#     same, so that RQ and arq (a few hundred jobs/s here) do not take minutes: the rate is then
#     over the jobs done by then, and the "jobs processed" row says how many that was.
#   - latency: the workers idle, then one job at a time, each carrying CLOCK_MONOTONIC read just
#     before its enqueue; its handler records its own start minus that. p50 and p99 over M
#     jobs, or over as many as fit in LATENCY_SECONDS (arq's workers poll every 0.5 s).
# Then it prints the median of each figure and, with Roost present, the ratios Roost/peer (for
# rates above 1 means Roost is faster; for latencies below 1 means it is). The details of each
# mode and of each peer are in benchmarks/jobs_peers.py and benchmarks/jobs_peers/*.py.
#
# Roost's side is the executable roost-jobs-bench (ROOST_JOBS_BENCH, by default
# .build/release/roost-jobs-bench, built here once Package.swift declares that product). It is
# run exactly as jobs_peers.py is, less --peer, and answers in the same form:
#   roost-jobs-bench --port P --mode enqueue --jobs N --workers W --seconds S --gap-ms G
#       -> RESULT rate=<jobs/s> jobs=<N> seconds=<s>
#   roost-jobs-bench --port P --mode process --jobs N --workers W --seconds S --gap-ms G
#       -> RESULT rate=<jobs/s> rate_from_spawn=<jobs/s> jobs=<done> seconds=<s> capped=<0|1>
#   roost-jobs-bench --port P --mode latency --jobs M --workers W --seconds S --gap-ms G
#       -> RESULT p50_us=<us> p99_us=<us> mean_us=<us> jobs=<count>
# one RESULT line on stdout (anything else on stdout or stderr is ignored), exit status 0.
# --workers is a number of worker processes; --seconds caps process and latency modes;
# --gap-ms is the pause after each latency job has started. Without the executable the peers
# are measured alone and it says "roost-jobs-bench not built yet: Roost columns skipped".
#
#   benchmarks/jobs.sh    # ROUNDS=3 N=20000 M=500 WORKERS=2 PROCESS_SECONDS=30 LATENCY_SECONDS=20
#                         # GAP_MS=2 PEERS=rq,celery,arq,bullmq BACKENDS=redis,roost
#   ROUNDS=5 N=50000 M=1000 PEERS=celery,bullmq benchmarks/jobs.sh
#   BACKENDS=redis ...                      # Roost's workers against redis-server only
#   ROOST_JOBS_BENCH=/path ROOST_BIN=/path  # other builds of the bench and of Roost's server
#   BULLMQ_CONCURRENCY=1 ARQ_POLL_DELAY=0.01 ...   # peers' settings (defaults: 10 and 0.5)
#   RESULTS_FILE=/tmp/jobs.txt ...          # also keep every run's figures ("backend impl key value")
#
# The peers go into the venv install-deps.sh made (rq, celery[redis] and bullmq, which all take
# the redis-py it has), except arq: arq 0.28 requires redis-py < 6, which would take redis-py 8
# away from the tests and locks.sh, so it gets a venv of its own, .build/pyvenv-arq.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

ROUNDS=${ROUNDS:-3}
N=${N:-20000}
M=${M:-500}
WORKERS=${WORKERS:-2}
PROCESS_SECONDS=${PROCESS_SECONDS:-30}
LATENCY_SECONDS=${LATENCY_SECONDS:-20}
GAP_MS=${GAP_MS:-2}
PEERS=${PEERS:-rq,celery,arq,bullmq}
BACKENDS=${BACKENDS:-redis,roost}

py=.build/pyvenv/bin/python
arq_py=.build/pyvenv-arq/bin/python
for peer in ${PEERS//,/ }; do
    case $peer in
    rq | bullmq) "$py" -c "import $peer" >/dev/null 2>&1 || "$py" -m pip install -q "$peer" ;;
    celery) "$py" -c "import celery, kombu.transport.redis" >/dev/null 2>&1 || "$py" -m pip install -q 'celery[redis]' ;;
    arq)
        if ! "$arq_py" -c "import arq" >/dev/null 2>&1; then
            python3 -m venv .build/pyvenv-arq
            "$arq_py" -m pip install -q arq
        fi ;;
    *) echo "unknown peer $peer (rq, celery, arq, bullmq)" >&2; exit 2 ;;
    esac
done

roost=0
if [ -z "${ROOST_JOBS_BENCH:-}" ]; then
    ROOST_JOBS_BENCH=.build/release/roost-jobs-bench
    grep -q '"roost-jobs-bench"' Package.swift && swift build -c release --product roost-jobs-bench >/dev/null
fi
if [ -x "$ROOST_JOBS_BENCH" ]; then
    roost=1
else
    echo "roost-jobs-bench not built yet: Roost columns skipped" >&2
fi
# The peers run against redis-server only; Roost's workers against each of BACKENDS.
backends=redis
if [ "$roost" = 1 ] && [[ ",$BACKENDS," == *,roost,* ]]; then
    backends=redis,roost
    if [ -z "${ROOST_BIN:-}" ]; then
        [ -x .build/release/roost ] || swift build -c release --product roost >/dev/null
        ROOST_BIN=.build/release/roost
    fi
fi

free_port() { "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
declare -A port
for backend in ${backends//,/ }; do
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

# run BACKEND IMPL MODE -> "BACKEND IMPL MODE.KEY VALUE" lines, one for each key=value of its
# RESULT line; a failed run is reported and leaves its cells empty.
run() {
    local jobs=$N seconds=$PROCESS_SECONDS out cmd
    [ "$3" = latency ] && { jobs=$M; seconds=$LATENCY_SECONDS; }
    case $2 in
    roost) cmd=("$ROOST_JOBS_BENCH") ;;
    arq) cmd=("$arq_py" benchmarks/jobs_peers.py --peer arq) ;;
    *) cmd=("$py" benchmarks/jobs_peers.py --peer "$2") ;;
    esac
    redis-cli -p "${port[$1]}" flushall >/dev/null
    if out=$(timeout 900 "${cmd[@]}" --port "${port[$1]}" --mode "$3" --jobs "$jobs" --workers "$WORKERS" \
                 --seconds "$seconds" --gap-ms "$GAP_MS" 2>"$work/stderr"); then
        awk -v b="$1" -v i="$2" -v m="$3" '$1 == "RESULT" {
            for (f = 2; f <= NF; f++) { split($f, kv, "="); print b, i, m "." kv[1], kv[2] } }' <<<"$out" >>"$results"
    else
        echo "$2 $3 against $1 failed:" >&2
        tail -n 20 "$work/stderr" >&2
    fi
}

impls=(${PEERS//,/ })
[ "$roost" = 1 ] && impls+=(roost)
start=$(date +%s)
for round in $(seq "$ROUNDS"); do
    for backend in ${backends//,/ }; do
        if [ "$backend" = redis ]; then
            shift=$(((round - 1) % ${#impls[@]}))
            order=("${impls[@]:$shift}" "${impls[@]:0:$shift}")
        else
            order=(roost)
        fi
        for impl in "${order[@]}"; do
            for mode in enqueue process latency; do run "$backend" "$impl" "$mode"; done
        done
    done
    echo "round $round of $ROUNDS done after $(($(date +%s) - start)) s" >&2
done

[ -n "${RESULTS_FILE:-}" ] && cp "$results" "$RESULTS_FILE"
versions=$("$py" -m pip freeze | grep -iE '^(rq|celery|kombu|bullmq|redis)==' | tr '\n' ' ')
[[ ",$PEERS," == *,arq,* ]] && versions+="| arq venv: $("$arq_py" -m pip freeze | grep -iE '^(arq|redis|hiredis)==' | tr '\n' ' ')"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $load_before before and $(cut -d' ' -f1-3 /proc/loadavg) after, redis $(redis-server --version | awk '{print $3}' | sed 's/v=//'), python $("$py" -c 'import platform; print(platform.python_version())')"
echo "libraries: $versions"
echo "rounds: $ROUNDS (medians below), $WORKERS worker processes, N=$N jobs (process runs capped at ${PROCESS_SECONDS} s), M=$M latency jobs (capped at ${LATENCY_SECONDS} s, ${GAP_MS} ms apart); BullMQ concurrency ${BULLMQ_CONCURRENCY:-10} a process, arq poll_delay ${ARQ_POLL_DELAY:-0.5} s"
[ "$roost" = 1 ] && [[ $backends == *roost* ]] && echo "roost server rows: Roost's workers against roost server; the peer columns repeat the peers' redis-server medians, and the ratios are against those"
awk -v peers="$PEERS" -v roost="$roost" -v backends="$backends" '
    BEGIN {
        nm = split("enqueue.rate process.rate process.rate_from_spawn latency.p50_us latency.p99_us latency.mean_us process.jobs latency.jobs", metric, " ")
        label["enqueue.rate"] = "enqueue /s"
        label["process.rate"] = "processed /s (steady)"
        label["process.rate_from_spawn"] = "processed /s (from spawn)"
        label["latency.p50_us"] = "enqueue-to-start p50 (us)"
        label["latency.p99_us"] = "enqueue-to-start p99 (us)"
        label["latency.mean_us"] = "enqueue-to-start mean (us)"
        label["process.jobs"] = "jobs processed (of N)"
        label["latency.jobs"] = "latency samples"
        counted["process.jobs"] = counted["latency.jobs"] = 1
        np = split(peers, peer, ",")
        nb = split(backends, backend, ",")
        name["redis"] = "redis-server"; name["roost"] = "roost server"
    }
    { key = $1 SUBSEP $2 SUBSEP $3; count[key]++; value[key, count[key]] = $4 }
    function median(key,    c, i, j, t, a) {
        c = count[key]; if (c == 0) return ""
        for (i = 1; i <= c; i++) a[i] = value[key, i]
        for (i = 2; i <= c; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
        return a[int((c + 1) / 2)]
    }
    function show(v, m) { return v == "" ? "-" : sprintf(m in counted ? "%d" : "%.1f", v) }
    function ratio(a, b, m) { return (m in counted || a == "" || b == "" || b == 0) ? "-" : sprintf("%.3g", a / b) }
    END {
        printf "%-13s %-27s", "backend", "metric"
        for (p = 1; p <= np; p++) printf " %10s", peer[p]
        if (roost) { printf " %10s", "roost"; for (p = 1; p <= np; p++) printf " %13s", "roost/" peer[p] }
        printf "\n"
        for (b = 1; b <= nb; b++) for (i = 1; i <= nm; i++) {
            m = metric[i]; r = median(backend[b] SUBSEP "roost" SUBSEP m)
            if (backend[b] != "redis" && r == "") continue
            printf "%-13s %-27s", name[backend[b]], label[m]
            for (p = 1; p <= np; p++) printf " %10s", show(median("redis" SUBSEP peer[p] SUBSEP m), m)
            if (roost) {
                printf " %10s", show(r, m)
                for (p = 1; p <= np; p++) printf " %13s", ratio(r, median("redis" SUBSEP peer[p] SUBSEP m), m)
            }
            printf "\n"
        }
    }' "$results"
