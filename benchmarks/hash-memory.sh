#!/usr/bin/env bash
# Memory of many small hashes: Roost vs redis-server, loaded the same way in the same run.
#
# Loads HASHES hashes "user:<N>" of 5 fields ("f1".."f5" -> values of a few bytes) into a fresh
# redis-server and a release-built `roost server` with redis-cli --pipe, then prints each
# server's resident memory (RSS, from /proc) before and after loading, the growth, and the
# Roost/Redis ratios. Both servers keep their defaults, so the hashes are listpack-encoded.
#
# With PER_FIELD=1 each hash is built by five one-field HSETs instead of one, so the listpack
# grows write by write (Roost then reallocates it to its exact size each time, as Redis does).
#
#   benchmarks/hash-memory.sh                 # 1,000,000 hashes
#   HASHES=100000 benchmarks/hash-memory.sh
#   PER_FIELD=1 benchmarks/hash-memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

HASHES=${HASHES:-1000000}
PER_FIELD=${PER_FIELD:-0}
REDIS_PORT=${REDIS_PORT:-7611}
ROOST_PORT=${ROOST_PORT:-7612}

swift build -c release --product roost >/dev/null
work=$(mktemp -d)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" --daemonize no --logfile '' >/dev/null &
redis_pid=$!
.build/release/roost server --port "$ROOST_PORT" --bind 127.0.0.1 2>/dev/null >/dev/null &
roost_pid=$!
trap 'kill $redis_pid $roost_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
for port in "$REDIS_PORT" "$ROOST_PORT"; do
    for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
done

# HSET user:<N> f1 <v> f2 <v> ... f5 <v>, values 2 to 5 bytes ("v<(N*5+F) mod 10000>"); with
# PER_FIELD=1, HSET user:<N> f1 <v>, then HSET user:<N> f2 <v>, and so on.
python3 - "$HASHES" "$PER_FIELD" >"$work/load.resp" <<'PY'
import sys
n, per_field = int(sys.argv[1]), sys.argv[2] == "1"
out = sys.stdout.buffer
def bulk(b):
    return b"$%d\r\n%s\r\n" % (len(b), b)
def command(parts):
    out.write(b"*%d\r\n" % len(parts) + b"".join(bulk(p) for p in parts))
for i in range(n):
    pairs = [(b"f%d" % f, b"v%d" % ((i * 5 + f) % 10000)) for f in range(1, 6)]
    if per_field:
        for field, value in pairs:
            command([b"HSET", b"user:%d" % i, field, value])
    else:
        command([b"HSET", b"user:%d" % i] + [x for pair in pairs for x in pair])
PY
rss() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
r0=$(rss $redis_pid); o0=$(rss $roost_pid)
redis-cli -p "$REDIS_PORT" --pipe <"$work/load.resp" >/dev/null
redis-cli -p "$ROOST_PORT" --pipe <"$work/load.resp" >/dev/null
sleep 1
r1=$(rss $redis_pid); o1=$(rss $roost_pid)
echo "machine: $(nproc) cores, $(redis-server --version | awk '{print $3}')"
echo "$HASHES hashes of 5 small fields, $([ "$PER_FIELD" = 1 ] && echo "one HSET per field" || echo "one HSET each") (RSS MB):"
printf '  %-13s %10s %10s %10s  %s\n' server before after growth "dbsize / encoding of user:0"
printf '  %-13s %10s %10s %10s  %s / %s\n' redis-server "$r0" "$r1" "$(awk -v a="$r1" -v b="$r0" 'BEGIN { printf "%.1f", a - b }')" \
    "$(redis-cli -p "$REDIS_PORT" dbsize)" "$(redis-cli -p "$REDIS_PORT" object encoding user:0)"
printf '  %-13s %10s %10s %10s  %s / %s\n' roost "$o0" "$o1" "$(awk -v a="$o1" -v b="$o0" 'BEGIN { printf "%.1f", a - b }')" \
    "$(redis-cli -p "$ROOST_PORT" dbsize)" "$(redis-cli -p "$ROOST_PORT" object encoding user:0)"
awk -v r0="$r0" -v r1="$r1" -v o0="$o0" -v o1="$o1" 'BEGIN {
    printf "  roost/redis RSS ratio: %.2f (after loading), %.2f (growth only)\n", o1 / r1, (o1 - o0) / (r1 - r0)
}'
