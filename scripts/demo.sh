#!/usr/bin/env bash
# The README's first command: builds Roost (release) and runs `roost demo` on the embedded
# server: a MapReduce word count by worker processes with one killed mid-job (the result is
# checked against a single-process count), a lock handed between two holders with fencing
# tokens, and a job queue. Options go to `roost demo` (--megabytes, --workers, --jobs).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product roost
exec .build/release/roost demo "$@"
