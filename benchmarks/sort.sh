#!/usr/bin/env bash
# `roost sort` against GNU `LC_ALL=C sort` on a deterministic line corpus (issue 13), timed
# end to end (process start-up, the embedded server and the worker processes included), with
# a check that both outputs are byte-identical.
#
#   benchmarks/sort.sh               # ROUNDS=3 SIZE_MB=40 SEED=13 WORKERS=2
#   ROOST_BIN=/path/to/roost ...     # another build (default: the release build, built here)
#   WORK=/tmp/sort ...               # where the corpus and the outputs go (default .build/sort-bench)
#
# The corpus (python3, seeded: the same bytes on every machine): lines of 1 to 12 words drawn
# from a 20,000-word vocabulary of lowercase ASCII words (Zipf-like: word i with weight 1/(i+1)),
# separated by a space or sometimes a tab; 1 line in 12 empty, 1 in 10 repeating the previous
# line, 1 in 15 with a run of bytes 0x80-0xff, until SIZE_MB × 10^6 bytes.
#
# Reported: the median wall seconds of each over ROUNDS alternating rounds, the ratio, and the
# load average before and after.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
SIZE_MB=${SIZE_MB:-40}
SEED=${SEED:-13}
WORKERS=${WORKERS:-2}
WORK=${WORK:-.build/sort-bench}
mkdir -p "$WORK"
if [[ -z "${ROOST_BIN:-}" ]]; then
    swift build -c release --product roost >&2
    ROOST_BIN=$(swift build -c release --show-bin-path)/roost
fi
CORPUS="$WORK/lines-${SIZE_MB}M-seed${SEED}.txt"
if [[ ! -f "$CORPUS" ]]; then
    python3 - "$CORPUS" "$SIZE_MB" "$SEED" <<'EOF'
import random, sys
path, size, seed = sys.argv[1], int(sys.argv[2]) * 10**6, int(sys.argv[3])
rng = random.Random(seed)
vocabulary = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(1 + rng.randrange(10))) for _ in range(20000)]
cumulative, total = [], 0.0
for i in range(len(vocabulary)):
    total += 1.0 / (i + 1)
    cumulative.append(total)
out, written, previous = [], 0, b""
while written < size:
    roll = rng.random()
    if roll < 1 / 12:
        line = b""
    elif roll < 1 / 12 + 1 / 10:
        line = previous
    else:
        words = rng.choices(vocabulary, cum_weights=cumulative, k=1 + rng.randrange(12))
        if rng.random() < 1 / 15:
            words[rng.randrange(len(words))] = bytes(0x80 + rng.randrange(0x80) for _ in range(1 + rng.randrange(6)))
        line = b"".join((b"\t" if rng.random() < 1 / 6 else b" ") + w if k else w for k, w in enumerate(words))
    previous = line
    out.append(line + b"\n")
    written += len(line) + 1
with open(path, "wb") as f:
    f.write(b"".join(out))
EOF
fi
echo "corpus: $CORPUS ($(stat -c %s "$CORPUS") bytes, $(wc -l < "$CORPUS") lines)"
echo "load before: $(cat /proc/loadavg)"
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
seconds() { local start end; start=$(date +%s.%N); "$@"; end=$(date +%s.%N); echo "$end - $start" | bc; }
gnu=() roost=()
for round in $(seq "$ROUNDS"); do
    gnu+=("$(seconds env LC_ALL=C sort "$CORPUS" -o "$WORK/gnu.out")")
    roost+=("$(seconds "$ROOST_BIN" sort "$CORPUS" --workers "$WORKERS" --output "$WORK/roost.out")")
    cmp -s "$WORK/gnu.out" "$WORK/roost.out" || { echo "round $round: the outputs differ" >&2; exit 1; }
done
echo "load after:  $(cat /proc/loadavg)"
g=$(printf '%s\n' "${gnu[@]}" | median)
r=$(printf '%s\n' "${roost[@]}" | median)
printf 'GNU LC_ALL=C sort            %8.2f s   (rounds: %s)\n' "$g" "${gnu[*]}"
printf 'roost sort --workers %-6s  %8.2f s   (rounds: %s)\n' "$WORKERS" "$r" "${roost[*]}"
printf 'roost / GNU                  %8.2f\n' "$(echo "$r / $g" | bc -l)"
