#!/usr/bin/env bash
# Roost vs redis-server with the append-only file on, under redis-benchmark, in the same run.
#
# For appendfsync always and everysec, and pipeline depths 1 and 16, it runs redis-benchmark SET
# against both servers ROUNDS times, alternating, and prints the median requests/s of each and
# the Roost/Redis ratio. Each server writes its AOF directory in its own temporary folder.
#
#   benchmarks/aof.sh                       # defaults below
#   ROUNDS=5 N_P1=20000 benchmarks/aof.sh
#   ROOST_BIN=/path/to/roost ...            # another build of roost
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-50}
N_P1=${N_P1:-50000}
N_P16=${N_P16:-500000}
REDIS_PORT=${REDIS_PORT:-7611}
ROOST_PORT=${ROOST_PORT:-7612}

if [ -z "${ROOST_BIN:-}" ]; then
    swift build -c release --product roost >/dev/null
    ROOST_BIN=.build/release/roost
fi
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

# start POLICY -> starts both servers with appendonly yes and that appendfsync, in fresh folders.
start() {
    rm -rf "$work/redis" "$work/roost"
    mkdir -p "$work/redis" "$work/roost"
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly yes --appendfsync "$1" \
        --dir "$work/redis" --daemonize no --logfile '' >/dev/null &
    pids=($!)
    printf 'appendonly yes\nappendfsync %s\n' "$1" > "$work/roost.conf"
    "$ROOST_BIN" server --port "$ROOST_PORT" --bind 127.0.0.1 --dir "$work/roost" --config "$work/roost.conf" >/dev/null 2>&1 &
    pids+=($!)
    for port in "$REDIS_PORT" "$ROOST_PORT"; do
        for _ in $(seq 200); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
    done
}
stop() { kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null || true; pids=(); }

# rps PORT PIPELINE N -> SET requests per second reported by redis-benchmark.
rps() {
    redis-benchmark -p "$1" -c "$CLIENTS" -P "$2" -n "$3" -t set -r 100000 --csv -q 2>/dev/null \
        | awk -F'","' 'NR>1 { gsub(/"/, "", $2); last = $2 } END { print last }'
}
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(redis-server --version | awk '{print $3}'), disk: $(df -T "$work" | awk 'NR==2 {print $2}')"
printf '%-10s %-4s %12s %12s %7s\n' appendfsync P redis roost ratio
for policy in always everysec; do
    start "$policy"
    for p in 1 16; do
        n=$N_P1
        [ "$p" = 1 ] || n=$N_P16
        r=(); o=()
        for _ in $(seq "$ROUNDS"); do
            r+=("$(rps "$REDIS_PORT" "$p" "$n")")
            o+=("$(rps "$ROOST_PORT" "$p" "$n")")
        done
        rm=$(printf '%s\n' "${r[@]}" | median)
        om=$(printf '%s\n' "${o[@]}" | median)
        printf '%-10s %-4s %12s %12s %7.2f\n' "$policy" "$p" "$rm" "$om" "$(echo "$om / $rm" | bc -l)"
    done
    stop
done
