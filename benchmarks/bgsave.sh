#!/usr/bin/env bash
# BGSAVE without fork (issue 10): Roost beside redis-server's fork-based BGSAVE, in one run.
#
# Loads KEYS small string keys (`key:<12 digits>` = `value:<i>`, redis-benchmark's key names)
# into both servers with redis-cli --pipe, then for ROUNDS rounds each: redis-benchmark runs GET/SET (-c 50, -P 1, random keys
# over the same key range) while BGSAVE runs; bgsave.py reports the BGSAVE time, the peak extra
# resident memory (the server's VmRSS plus, for Redis, its forked child's; and the child's
# private pages, the memory the fork really adds), and GET/SET requests/s before and during.
#
#   benchmarks/bgsave.sh
#   KEYS=10000000 ROUNDS=1 benchmarks/bgsave.sh
#   ROOST_BIN=/path/to/roost benchmarks/bgsave.sh     # skip the release build
set -euo pipefail
cd "$(dirname "$0")/.."

KEYS=${KEYS:-1000000}
REDIS_PORT=${REDIS_PORT:-7611}
ROOST_PORT=${ROOST_PORT:-7612}
export KEYS ROUNDS="${ROUNDS:-3}"

if [ -z "${ROOST_BIN:-}" ]; then
    swift build -c release --product roost >/dev/null
    ROOST_BIN=.build/release/roost
fi
work=$(mktemp -d)
mkdir -p "$work/redis" "$work/roost"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$work/redis" \
    --daemonize no --logfile '' >/dev/null &
redis_pid=$!
"$ROOST_BIN" server --port "$ROOST_PORT" --bind 127.0.0.1 --dir "$work/roost" 2>/dev/null >/dev/null &
roost_pid=$!
trap 'kill $redis_pid $roost_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
for port in "$REDIS_PORT" "$ROOST_PORT"; do
    for _ in $(seq 200); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
done

python3 - "$KEYS" >"$work/keys.resp" <<'PY'
import sys
out = sys.stdout.buffer
for i in range(int(sys.argv[1])):
    k = b"key:%012d" % i
    v = b"value:%d" % i
    out.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
PY
for port in "$REDIS_PORT" "$ROOST_PORT"; do
    redis-cli -p "$port" --pipe <"$work/keys.resp" >/dev/null
    echo "port $port: $(redis-cli -p "$port" dbsize) keys"
done

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(redis-server --version | awk '{print $3}')"
python3 benchmarks/bgsave.py "redis:$REDIS_PORT:$redis_pid" "roost:$ROOST_PORT:$roost_pid"
ls -l "$work/redis/dump.rdb" "$work/roost/dump.rdb" | awk '{ print $5, $9 }'
