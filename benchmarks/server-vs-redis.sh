#!/usr/bin/env bash
# Roost vs redis-server under redis-benchmark, in the same run, on the same machine.
#
# For each command and pipeline depth it runs redis-benchmark against both servers ROUNDS times,
# alternating, and prints the median requests/s of each and the Roost/Redis ratio. Then it loads
# a sorted set of ZSET_MEMBERS members into each server and measures ZADD and ZRANGEBYSCORE on
# it, then streams (the TESTS xadd, xreadgroup, xack; see below), and last it loads KEYS small
# string keys into each server and prints their resident memory.
#
#   benchmarks/server-vs-redis.sh                  # defaults below
#   ROUNDS=5 TESTS=set,get benchmarks/server-vs-redis.sh
#   TESTS=xadd,xreadgroup,xack ZSET_MEMBERS=0 EVALSHA=0 KEYS=0 ...   # the stream workloads alone
#   ZSET_MEMBERS=0 EVALSHA=0 KEYS=0 ...             # skip the big sorted set / EVALSHA / memory
#   CONFIG="maxmemory 1gb maxmemory-policy allkeys-lru" ...   # CONFIG SET on both servers first
#   ROOST_BIN=/path/to/roost ...                    # another build of roost (e.g. an older commit)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

ROUNDS=${ROUNDS:-3}
TESTS=${TESTS:-set,get,incr,mset,ping_mbulk,lpush,rpop,lrange_100,lrange_600,sadd,hset,zadd,spop,xadd,xreadgroup,xack}
ZSET_MEMBERS=${ZSET_MEMBERS:-1000000}
STREAM_ENTRIES=${STREAM_ENTRIES:-1000000}
CLIENTS=${CLIENTS:-50}
N_P1=${N_P1:-200000}
N_P16=${N_P16:-2000000}
KEYS=${KEYS:-1000000}
REDIS_PORT=${REDIS_PORT:-7601}
ROOST_PORT=${ROOST_PORT:-7602}

if [ -z "${ROOST_BIN:-}" ]; then
    swift build -c release --product roost >/dev/null
    ROOST_BIN=.build/release/roost
fi
work=$(mktemp -d)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" --daemonize no --logfile '' >/dev/null &
redis_pid=$!
"$ROOST_BIN" server --port "$ROOST_PORT" --bind 127.0.0.1 2>"$work/roost.err" >/dev/null &
roost_pid=$!
trap 'kill $redis_pid $roost_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
for port in "$REDIS_PORT" "$ROOST_PORT"; do
    for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
    # shellcheck disable=SC2086 # CONFIG is a list of parameter/value pairs
    [ -z "${CONFIG:-}" ] || redis-cli -p "$port" config set ${CONFIG} >/dev/null
done

# bench ARGS...  -> redis-benchmark ARGS; when it fails (it exits 1 when a connection breaks), says
# why on stderr: its own last words, which server process is gone, and Roost's stderr.
bench() {
    local status=0
    redis-benchmark "$@" 2>"$work/bench.err" || status=$?
    [ "$status" = 0 ] && return 0
    echo "redis-benchmark $* exited with $status: $(tail -c 300 "$work/bench.err")" >&2
    kill -0 "$redis_pid" 2>/dev/null || echo "redis-server (pid $redis_pid) is gone" >&2
    kill -0 "$roost_pid" 2>/dev/null || echo "roost (pid $roost_pid) is gone: $(tail -c 600 "$work/roost.err")" >&2
    return "$status"
}
# rps PORT TEST PIPELINE N  -> requests per second reported by redis-benchmark. The last CSV row
# is the test itself: LRANGE tests first run the LPUSH that fills their list.
rps() {
    bench -p "$1" -c "$CLIENTS" -P "$3" -n "$4" -t "$2" -r 100000 --csv -q \
        | awk -F'","' 'NR>1 { gsub(/"/, "", $2); last = $2 } END { print last }'
}
# rps_command PORT PIPELINE N COMMAND...  -> requests per second of one custom command, with
# __rand_int__ drawn from [0, RANGE) (RANGE defaults to ZSET_MEMBERS, or 100000 if that is 0)
rps_command() {
    local port=$1 p=$2 n=$3
    shift 3
    bench -p "$port" -c "$CLIENTS" -P "$p" -n "$n" -r "${RANGE:-${ZSET_MEMBERS/#0/100000}}" --csv -q "$@" \
        | awk -F'","' 'NR>1 { gsub(/"/, "", $2); last = $2 } END { print last }'
}
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# compare NAME PIPELINE MEASURE ARGS...  -> runs "MEASURE PORT ARGS..." (which prints requests per
# second) ROUNDS times on each server, alternating, and prints a row: the medians and their ratio
compare() {
    local name=$1 p=$2 measure=$3 r o
    shift 3
    : >"$work/r"; : >"$work/o"
    for _ in $(seq "$ROUNDS"); do
        "$measure" "$REDIS_PORT" "$@" >>"$work/r"
        "$measure" "$ROOST_PORT" "$@" >>"$work/o"
    done
    r=$(median <"$work/r"); o=$(median <"$work/o")
    printf '%-17s %-4s %14s %14s %8.2f\n' "$name" "$p" "$r" "$o" "$(awk -v o="$o" -v r="$r" 'BEGIN { print (r > 0 ? o / r : 0) }')"
}

[ -z "${CONFIG:-}" ] || echo "config on both servers: $CONFIG"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(redis-server --version | awk '{print $3}')"
printf '%-17s %-4s %14s %14s %8s\n' command P redis_rps roost_rps ratio
for p in 1 16; do
    n=$N_P1; [ "$p" = 16 ] && n=$N_P16
    for t in ${TESTS//,/ }; do
        case $t in xadd | xreadgroup | xack) continue ;; esac # the stream section runs these
        compare "$t" "$p" rps "$t" "$p" "$n"
    done
done

# A sorted set of ZSET_MEMBERS members (score i, member "m:<i>"), loaded with redis-cli --pipe,
# then random ZADDs into it and ZRANGEBYSCORE windows of 10 from a random score.
if [ "$ZSET_MEMBERS" -gt 0 ]; then
    python3 - "$ZSET_MEMBERS" >"$work/zset.resp" <<'PY'
import sys
n = int(sys.argv[1])
out = sys.stdout.buffer
for start in range(0, n, 1000):
    args = [b"ZADD", b"bigzset"]
    for i in range(start, min(start + 1000, n)):
        args += [b"%d" % i, b"m:%d" % i]
    out.write(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
PY
    for port in "$REDIS_PORT" "$ROOST_PORT"; do
        redis-cli -p "$port" del bigzset >/dev/null
        redis-cli -p "$port" --pipe <"$work/zset.resp" >/dev/null
    done
    echo "sorted set of $(redis-cli -p "$ROOST_PORT" zcard bigzset) members (redis: $(redis-cli -p "$REDIS_PORT" zcard bigzset)):"
    for p in 1 16; do
        n=$N_P1; [ "$p" = 16 ] && n=$N_P16
        for name in zadd_1M zrangebyscore_1M; do
            if [ "$name" = zadd_1M ]; then command=(ZADD bigzset __rand_int__ m:__rand_int__)
            else command=(ZRANGEBYSCORE bigzset __rand_int__ +inf LIMIT 0 10); fi
            compare "$name" "$p" rps_command "$p" "$n" "${command[@]}"
        done
    done
fi
# Streams. xadd: XADD to a stream that is deleted before each round. xreadgroup: a stream of
# STREAM_ENTRIES entries (ids 1-0, 2-0, ..., fields as in the memory section of BENCHMARKS.md,
# loaded once with redis-cli --pipe) and a group created at 0 before each round; each call
# reads the next 10 entries and adds them to the group's pending list, and a round makes
# STREAM_ENTRIES / 10 calls, so every call gets 10 entries, also at -P 16. xack: the group
# recreated and every entry read into its pending list (untimed) before each round, then
# STREAM_ENTRIES / 10 XACKs of 10 random ids each (about 63% of the ids are still pending when
# acked; the rest were acked before or do not exist, which is the same for both servers).
has_test() { [[ ",$TESTS," == *",$1,"* ]]; }
if has_test xadd || has_test xreadgroup || has_test xack; then
    python3 - "$STREAM_ENTRIES" >"$work/stream.resp" <<'PY'
import sys
n = int(sys.argv[1])
out = sys.stdout.buffer
for i in range(1, n + 1):
    args = [b"XADD", b"bigstream", b"%d-0" % i, b"field", b"%d" % i, b"name", b"user-%d" % i]
    out.write(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
PY
    used() { redis-cli -p "$1" info memory | awk -F: '/^used_memory:/ { print $2 + 0 }'; }
    server_name() { if [ "$1" = "$REDIS_PORT" ]; then echo redis-server; else echo roost; fi; }
    for port in "$REDIS_PORT" "$ROOST_PORT"; do
        redis-cli -p "$port" del bigstream >/dev/null
        u0=$(used "$port")
        start=$(date +%s.%N)
        redis-cli -p "$port" --pipe <"$work/stream.resp" >/dev/null
        end=$(date +%s.%N)
        echo "$(server_name "$port"): $(redis-cli -p "$port" xlen bigstream) entries loaded in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s (redis-cli --pipe), used_memory +$(( $(used "$port") - u0 )) B"
    done
    # pending PORT  -> the number of entries in group g's pending list; warns if it is not $2
    pending() {
        local count
        count=$(redis-cli -p "$1" xpending bigstream g | head -1)
        [ "$count" = "$2" ] || echo "$(server_name "$1"): $count entries pending, not $2" >&2
    }
    # stream_round PORT TEST PIPELINE N  -> prepares the round (untimed), then its requests per second
    stream_round() {
        local port=$1 t=$2 p=$3 n=$4
        case $t in
        xadd)
            redis-cli -p "$port" del stream >/dev/null
            rps_command "$port" "$p" "$n" XADD stream '*' field value
            ;;
        xreadgroup | xack)
            redis-cli -p "$port" xgroup destroy bigstream g >/dev/null
            redis-cli -p "$port" xgroup create bigstream g 0 >/dev/null
            if [ "$t" = xreadgroup ]; then
                rps_command "$port" "$p" "$n" XREADGROUP GROUP g c COUNT 10 STREAMS bigstream '>'
                pending "$port" $((n * 10))
            else
                bench -p "$port" -c 1 -n $((STREAM_ENTRIES / 1000 + 1)) -q \
                    XREADGROUP GROUP g c COUNT 1000 STREAMS bigstream '>' >/dev/null
                pending "$port" "$STREAM_ENTRIES"
                RANGE=$((STREAM_ENTRIES + 1)) rps_command "$port" "$p" "$n" XACK bigstream g \
                    __rand_int__-0 __rand_int__-0 __rand_int__-0 __rand_int__-0 __rand_int__-0 \
                    __rand_int__-0 __rand_int__-0 __rand_int__-0 __rand_int__-0 __rand_int__-0
            fi
            ;;
        esac
    }
    echo "streams ($STREAM_ENTRIES entries for xreadgroup and xack):"
    for p in 1 16; do
        for t in xadd xreadgroup xack; do
            has_test "$t" || continue
            n=$((STREAM_ENTRIES / 10))
            if [ "$t" = xadd ]; then n=$N_P1; [ "$p" = 16 ] && n=$N_P16; fi
            name=$t; [ "$t" = xadd ] || name=${t}_10
            compare "$name" "$p" stream_round "$t" "$p" "$n"
        done
    done
    for port in "$REDIS_PORT" "$ROOST_PORT"; do redis-cli -p "$port" del stream bigstream >/dev/null; done
fi
# EVALSHA of a small script doing GET, INCR and EXPIRE on a random key.
if [ "${EVALSHA:-1}" = 1 ]; then
    # The earlier tests left "xxx" in key:* (INCR would fail on it): start from empty keyspaces.
    redis-cli -p "$REDIS_PORT" flushall >/dev/null
    redis-cli -p "$ROOST_PORT" flushall >/dev/null
    script="local v = redis.call('GET', KEYS[1]) redis.call('INCR', KEYS[1]) redis.call('EXPIRE', KEYS[1], 100) return v"
    sha=$(redis-cli -p "$REDIS_PORT" script load "$script")
    [ "$(redis-cli -p "$ROOST_PORT" script load "$script")" = "$sha" ] || { echo "SCRIPT LOAD differs" >&2; exit 1; }
    for p in 1 16; do
        n=$N_P1; [ "$p" = 16 ] && n=$N_P16
        compare evalsha "$p" rps_command "$p" "$n" EVALSHA "$sha" 1 key:__rand_int__
    done
fi
[ "$KEYS" -gt 0 ] || exit 0

# Memory: KEYS keys "key:<12 digits>" -> "xxx" (the shape redis-benchmark -r uses), loaded with
# redis-cli --pipe; RSS read from /proc after loading.
python3 - "$KEYS" >"$work/load.resp" <<'PY'
import sys
n = int(sys.argv[1])
out = sys.stdout.buffer
for i in range(n):
    k = b"key:%012d" % i
    out.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$3\r\nxxx\r\n" % (len(k), k))
PY
rss() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
for port in "$REDIS_PORT" "$ROOST_PORT"; do redis-cli -p "$port" flushall >/dev/null; done
r0=$(rss $redis_pid); o0=$(rss $roost_pid)
redis-cli -p "$REDIS_PORT" --pipe <"$work/load.resp" >/dev/null
redis-cli -p "$ROOST_PORT" --pipe <"$work/load.resp" >/dev/null
sleep 1
echo "memory after loading $KEYS small string keys (RSS MB; before loading in parentheses):"
echo "  redis-server: $(rss $redis_pid) ($r0), dbsize $(redis-cli -p "$REDIS_PORT" dbsize)"
echo "  roost:        $(rss $roost_pid) ($o0), dbsize $(redis-cli -p "$ROOST_PORT" dbsize)"
