#!/usr/bin/env bash
# Builds Roost, starts `roost server` on port ${PORT:-6379}, shows it serving real redis-cli
# commands, then keeps it in the foreground until Ctrl-C (or exits at once with --demo).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product roost
PORT=${PORT:-6379}
# A system redis-server (Debian starts one on install) may hold 6379: use the next free port.
while redis-cli -p "$PORT" ping >/dev/null 2>&1; do
    echo "port $PORT is taken by another server; trying $((PORT + 1))"
    PORT=$((PORT + 1))
done
.build/release/roost server --port "$PORT" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
for _ in $(seq 50); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
echo "--- redis-cli against Roost on port $PORT"
for cmd in "PING" "SET greeting hello" "GET greeting" "INCR visits" "EXPIRE greeting 60" "TTL greeting" \
    "RPUSH jobs a b c" "LPOP jobs" "HSET user:1 name ada lang swift" "HGETALL user:1" \
    "ZADD scores 20 bob 10 alice" "ZRANGE scores 0 -1 WITHSCORES" "PFADD visitors x y z" "PFCOUNT visitors" "DBSIZE"; do
    printf '> %s\n' "$cmd"
    redis-cli -p "$PORT" $cmd
done
if [ "${1:-}" = "--demo" ]; then exit 0; fi
echo "--- Roost is serving on port $PORT; press Ctrl-C to stop."
wait $pid
