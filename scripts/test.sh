#!/usr/bin/env bash
# Runs Roost's whole test suite: unit, differential (against a real redis-server started by the
# tests), real-client and fault tests. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --browser
# Release must build too, free of warnings, as debug must.
swift build -c release 2>&1 | tee /tmp/roost-release-build.log
# Only warnings in Roost's own code count: a dependency's package warnings (unhandled files) are not ours.
own_warnings() { grep -E "^$PWD/(Sources|Tests|Examples|benchmarks)/[^:]+:[0-9]+:[0-9]+: warning:" "$1"; }
if own_warnings /tmp/roost-release-build.log; then echo "release build has warnings" >&2; exit 1; fi
# Fuzz: 100,000 seeded inputs (commands, Lua scripts, mutated RESP streams) through the parser and
# the engine; a crash or a hang names the input and fails the run (docs/FUZZING.md).
.build/release/roost-fuzz --count "${ROOST_FUZZ_COUNT:-100000}" --seed "${ROOST_FUZZ_SEED:-1}"
swift build --build-tests 2>&1 | tee /tmp/roost-debug-build.log
if own_warnings /tmp/roost-debug-build.log; then echo "debug build has warnings" >&2; exit 1; fi
# One test at a time: many tests start servers and time replies, and a 2-core machine running all
# of them at once starves some past their timeouts. Serial takes about a minute.
swift test --no-parallel "$@"
