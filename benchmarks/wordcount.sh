#!/usr/bin/env bash
# Word count over a deterministic Zipf corpus (issue 13): Roost's `roost wordcount` with 1 and 2
# workers against PySpark 4 in local[2], `tr | sort | uniq -c`, and a single-threaded Swift
# baseline, timed in one run on the same file, with a check that they all give the same counts.
#
#   benchmarks/wordcount.sh          # ROUNDS=3 SIZE=256M SEED=13 VOCABULARY=50000
#   ROUNDS=1 IMPLS=swift,tr benchmarks/wordcount.sh
#   ROOST_WORKERS=1,2,4 ...          # the worker counts of `roost wordcount`
#   WORK=/tmp/wc ...                 # where the corpus, the outputs and the PySpark venv go
#                                    # (default .build/wordcount-bench)
#   WORDCOUNT_BENCH=/path ROOST_BIN=/path   # other builds (then nothing is built here)
#
# The corpus: `roost-wordcount-bench corpus` writes SIZE bytes (a power of 1024: 256M is
# 268,435,456 bytes) of whole lines of 10 to 15 words separated by single spaces, drawn from
# a 50,000-word vocabulary of lowercase ASCII words with Zipf's law (exponent 1, the frequent
# words the short ones), from a fixed seed: the same bytes on every machine. It is written once
# and reused while its name (size, seed, vocabulary) matches.
#
# The implementations (IMPLS, default swift,tr,pyspark,roost), run ROUNDS times each,
# alternating, from start to output written (interpreters, the JVM and worker start-up
# included):
#   swift    roost-wordcount-bench count: FileSplit + one WordTally on one thread. Also prints
#            its counting time alone, the map throughput of one core.
#   tr       LC_ALL=C tr -s '[:space:]' '\n' | sort | uniq -c (GNU sort may use both cores).
#            In the C locale [:space:] is exactly Roost's six whitespace bytes (space, \t, \n,
#            \v, \f, \r); in other locales it can hold more, hence LC_ALL=C.
#   pyspark  PySpark 4 (from PyPI, in a venv under WORK; Java 17 from the machine) in
#            local[2]: textFile, flatMap(str.split), map to (word, 1), reduceByKey(add),
#            collect, sorted and written by the driver. str.split also splits on \x1c-\x1f and
#            Unicode spaces; the corpus has none of them, so the counts are comparable.
#   roost    `roost wordcount CORPUS --workers N --output FILE` for N in ROOST_WORKERS (1,2):
#            the embedded server and N worker processes. Skipped (and said so) while the
#            built roost has no wordcount command.
# Every output is brought to `count<TAB>word` sorted by count descending then word bytes
# ascending (roost, swift and pyspark write that already) and compared with the Swift
# baseline's; any difference fails the run.
#
# Reported per implementation: median wall seconds, MB/s (10^6 bytes of corpus per second),
# the cores it may use (swift 1, tr and pyspark 2, roost N), MB/s per core, MB per CPU-second
# (user+system of all its processes: robust on a loaded machine), and the speed ratio to
# PySpark (its median seconds / the implementation's).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
SIZE=${SIZE:-256M}
SEED=${SEED:-13}
VOCABULARY=${VOCABULARY:-50000}
IMPLS=${IMPLS:-swift,tr,pyspark,roost}
ROOST_WORKERS=${ROOST_WORKERS:-1,2}
WORK=${WORK:-.build/wordcount-bench}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)

echo "machine: $(nproc) cores; $(uptime)"

CORPUS=$WORK/zipf-$SIZE-seed$SEED-vocab$VOCABULARY.txt
BENCH=${WORDCOUNT_BENCH:-.build/release/roost-wordcount-bench}
if [ -z "${WORDCOUNT_BENCH:-}" ] && { [ ! -s "$CORPUS" ] || [[ ,$IMPLS, == *,swift,* ]]; }; then
    swift build -c release --product roost-wordcount-bench >/dev/null
fi
have_roost=0
if [[ ,$IMPLS, == *,roost,* ]]; then
    [ -n "${ROOST_BIN:-}" ] || swift build -c release --product roost >/dev/null
    ROOST=${ROOST_BIN:-.build/release/roost}
    if "$ROOST" wordcount --help >/dev/null 2>&1; then
        have_roost=1
    else
        echo "roost wordcount not available in $ROOST yet: roost skipped"
    fi
fi

if [ ! -s "$CORPUS" ]; then
    echo "writing $CORPUS"
    "$BENCH" corpus --output "$CORPUS.tmp" --size "$SIZE" --seed "$SEED" --vocabulary "$VOCABULARY"
    mv "$CORPUS.tmp" "$CORPUS"
fi
BYTES=$(stat -c %s "$CORPUS")
echo "corpus: $CORPUS, $BYTES bytes, sha256 $(sha256sum "$CORPUS" | cut -c1-16)…"

if [[ ,$IMPLS, == *,pyspark,* ]]; then
    java -version >/dev/null 2>&1 || { echo "pyspark needs Java (17): apt-get install openjdk-17-jre-headless" >&2; exit 2; }
    if ! "$WORK/pyspark-venv/bin/python" -c "import pyspark" >/dev/null 2>&1; then
        python3 -m venv "$WORK/pyspark-venv"
        "$WORK/pyspark-venv/bin/pip" install -q 'pyspark>=4,<5'
    fi
    echo "pyspark $("$WORK/pyspark-venv/bin/python" -c 'import pyspark; print(pyspark.__version__)')"
    cat >"$WORK/wordcount_spark.py" <<'PY'
import sys
from operator import add
from pyspark.sql import SparkSession

corpus, output = sys.argv[1], sys.argv[2]
spark = (SparkSession.builder.master("local[2]").appName("wordcount")
         .config("spark.ui.enabled", "false").config("spark.driver.memory", "2g").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
counts = (spark.sparkContext.textFile(corpus)
          .flatMap(lambda line: line.split())
          .map(lambda word: (word, 1))
          .reduceByKey(add)
          .collect())
counts.sort(key=lambda pair: (-pair[1], pair[0].encode()))
with open(output, "wb") as out:
    for word, count in counts:
        out.write(b"%d\t%s\n" % (count, word.encode()))
spark.stop()
PY
fi

# Runs one implementation once; sets SECONDS_TAKEN and CPU_TAKEN, leaves its output in $2.
run_one() {
    local impl=$1 out=$2 timing=$WORK/time.txt
    case $impl in
    swift)
        /usr/bin/time -o "$timing" -f "%e %U %S" "$BENCH" count "$CORPUS" --output "$out" 2>"$WORK/swift.err"
        grep RESULT "$WORK/swift.err" >"$WORK/swift.result" ;;
    tr)
        /usr/bin/time -o "$timing" -f "%e %U %S" bash -c \
            'LC_ALL=C tr -s "[:space:]" "\n" <"$1" | LC_ALL=C sort | LC_ALL=C uniq -c >"$2"' _ "$CORPUS" "$out.raw"
        # "   count word" lines (and an empty word if the corpus began with whitespace).
        LC_ALL=C awk 'NF == 2 { print $1 "\t" $2 }' "$out.raw" | LC_ALL=C sort -t "$(printf '\t')" -k1,1nr -k2,2 >"$out"
        rm -f "$out.raw" ;;
    pyspark)
        /usr/bin/time -o "$timing" -f "%e %U %S" "$WORK/pyspark-venv/bin/python" "$WORK/wordcount_spark.py" \
            "$CORPUS" "$out" 2>"$WORK/pyspark.err" || { tail -20 "$WORK/pyspark.err" >&2; return 1; } ;;
    roost-*)
        # ---- roost wordcount slot: the embedded server and ${impl#roost-} worker processes ----
        /usr/bin/time -o "$timing" -f "%e %U %S" "$ROOST" wordcount "$CORPUS" --workers "${impl#roost-}" \
            --output "$out" 2>"$WORK/$impl.err" </dev/null || { tail -20 "$WORK/$impl.err" >&2; return 1; } ;;
    esac
    read -r SECONDS_TAKEN user system <"$timing"
    CPU_TAKEN=$(awk -v u="$user" -v s="$system" 'BEGIN { print u + s }')
}

impls=()
for impl in ${IMPLS//,/ }; do
    case $impl in
    swift | tr | pyspark) impls+=("$impl") ;;
    roost) if [ $have_roost = 1 ]; then for n in ${ROOST_WORKERS//,/ }; do impls+=("roost-$n"); done; fi ;;
    *) echo "unknown implementation $impl (swift, tr, pyspark, roost)" >&2; exit 2 ;;
    esac
done
[ ${#impls[@]} -gt 0 ] || { echo "nothing to run" >&2; exit 2; }
results=$WORK/results.txt
: >"$results"
for round in $(seq 1 "$ROUNDS"); do
    # Alternate the order from round to round.
    order=("${impls[@]}")
    if [ $((round % 2)) = 0 ]; then
        order=()
        for ((i = ${#impls[@]} - 1; i >= 0; i--)); do order+=("${impls[$i]}"); done
    fi
    for impl in "${order[@]}"; do
        run_one "$impl" "$WORK/out-$impl.txt"
        count_seconds=""
        if [ "$impl" = swift ]; then count_seconds=$(sed -n 's/.*count_seconds=\([0-9.e-]*\).*/\1/p' "$WORK/swift.result"); fi
        echo "$impl $SECONDS_TAKEN $CPU_TAKEN $count_seconds" >>"$results"
        printf 'round %d %-9s %8.2f s  cpu %8.2f s%s\n' "$round" "$impl" "$SECONDS_TAKEN" "$CPU_TAKEN" \
            "${count_seconds:+  (counting alone $count_seconds s)}"
    done
done

# Same counts everywhere: compared with the first implementation's output.
reference=${impls[0]}
failed=0
for impl in "${impls[@]}"; do
    if ! cmp -s "$WORK/out-$reference.txt" "$WORK/out-$impl.txt"; then
        echo "DIFFERENT COUNTS: $impl vs $reference:" >&2
        diff "$WORK/out-$reference.txt" "$WORK/out-$impl.txt" | head -10 >&2
        failed=1
    fi
done
[ $failed = 0 ] && echo "counts agree: ${impls[*]} ($(wc -l <"$WORK/out-$reference.txt") distinct words)"

echo "after: $(uptime)"
echo
awk -v bytes="$BYTES" -v cores="$(nproc)" -v order="${impls[*]}" '
    function median(list, n,    i, j, t, a) {
        split(list, a, " ")
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    { wall[$1] = wall[$1] " " $2; cpu[$1] = cpu[$1] " " $3; runs[$1]++; if ($4 != "") count[$1] = count[$1] " " $4 }
    END {
        n = split(order, names, " ")
        spark = ("pyspark" in runs) ? median(wall["pyspark"], runs["pyspark"]) : 0
        printf "%-9s %9s %9s %6s %11s %11s %11s\n", "impl", "seconds", "MB/s", "cores", "MB/s/core", "MB/cpu-s", "vs pyspark"
        for (i = 1; i <= n; i++) {
            name = names[i]
            s = median(wall[name], runs[name]); c = median(cpu[name], runs[name])
            used = name == "swift" ? 1 : (name ~ /^roost-/ ? substr(name, 7) + 0 : 2)
            if (used > cores) used = cores
            mbs = bytes / 1e6 / s
            printf "%-9s %9.2f %9.1f %6d %11.1f %11.1f %11s\n", name, s, mbs, used, mbs / used, bytes / 1e6 / c,
                spark ? sprintf("%.2fx", spark / s) : "-"
        }
        if ("swift" in count) {
            k = median(count["swift"], runs["swift"])
            printf "\nmap throughput of one core (swift baseline, reading and counting alone): %.2f s, %.1f MB/s\n", k, bytes / 1e6 / k
        }
    }' "$results"
exit $failed
