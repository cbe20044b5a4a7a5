#!/usr/bin/env bash
# compare.sh - side-by-side load test of Switchboard against the old FastAPI + SQLAlchemy stack
# (the baseline), with the shared tool ../shared/tools/bench-compare: the same legacy dataset,
# loaded by each side's own migration, both servers on this machine, wrk alternating between
# them. It prints bench-compare's table (ratio = Switchboard req/s / baseline req/s) and writes
# every run to bench/results/compare-<timestamp>.json. See bench/README.md.
#
# Switchboard loads the legacy data with `switchboard legacy-migrate`; with a binary that lacks
# the command this script says so and exits 0.
#
# Settings (environment); any arguments are passed on to bench-compare as they are:
#   BENCH_COMPARE_SESSIONS  legacy call sessions in the dataset   (default 100000)
#   BENCH_COMPARE_ROUNDS    measured runs per endpoint and side   (default 3)
#   BENCH_CACHE             cache root; bench-compare uses CACHE/compare (default bench/.cache)
#   BENCH_DURATION          seconds per run, e.g. 15 or 15s       (default 15)
#   BENCH_CONNECTIONS       wrk -c                                (default 64)
#   BENCH_THREADS           Switchboard server threads            (default: the server's)
#   BENCH_WEBHOOK_COUNT     signed SMS requests per set           (default 200000: bench-compare's
#                           50,000 run out in under 15 s at 10k req/s, and a run that runs out
#                           is reported as 50,000 / duration, far below the real rate)
#   BENCH_SHARED            the shared tools checkout             (default ../shared)
#   e.g. bench/compare.sh --endpoints list,detail --switchboard-reuse-db
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=build/switchboard
SHARED=${BENCH_SHARED:-../shared}
TOOL=$SHARED/tools/bench-compare
CACHE=${BENCH_CACHE:-bench/.cache}
SESSIONS=${BENCH_COMPARE_SESSIONS:-100000}
ROUNDS=${BENCH_COMPARE_ROUNDS:-3}
DURATION=${BENCH_DURATION:-15}
DURATION=${DURATION%s}
CONNS=${BENCH_CONNECTIONS:-64}

if [ ! -x "$BIN" ]; then
    echo "compare: $BIN is missing: run \`make\` first" >&2
    exit 1
fi
# The command exists when `legacy-migrate --help` succeeds, or fails about its arguments rather
# than with "unknown command" (its first version answers --help with usage and exit 2).
if ! help=$("$BIN" legacy-migrate --help 2>&1) && [[ $help == *"unknown command"* || $help != *legacy-migrate* ]]; then
    echo "compare: skipped: the side-by-side comparison needs the \`switchboard legacy-migrate\`" \
        "command (bench-compare loads the legacy dataset into Switchboard with it), and" \
        "$BIN does not have it yet"
    exit 0
fi
if [ ! -x "$TOOL" ]; then
    echo "compare: skipped: $TOOL is not here (set BENCH_SHARED to the shared tools checkout)"
    exit 0
fi
command -v wrk >/dev/null || { echo "compare: needs wrk (Debian: apt-get install wrk)" >&2; exit 1; }

mkdir -p "$CACHE/compare" bench/results
OUT=bench/results/compare-$(date -u +%Y%m%dT%H%M%SZ).json
# shellcheck disable=SC2016 # expanded by bench-compare's /bin/sh, not here
serve='exec "$SWITCHBOARD_BIN" serve --access-log=false'
[ -n "${BENCH_THREADS:-}" ] && serve="$serve --threads=$BENCH_THREADS"

echo "compare: $SESSIONS legacy sessions, $ROUNDS rounds of ${DURATION}s at $CONNS connections;" \
    "the baseline's first load of a dataset takes long (about 250 sessions/s), later runs reuse it" >&2
exec "$TOOL" \
    --switchboard-bin "$BIN" \
    --switchboard-cmd "$serve" \
    --sessions "$SESSIONS" \
    --rounds "$ROUNDS" \
    --duration "$DURATION" \
    --connections "$CONNS" \
    --webhook-count "${BENCH_WEBHOOK_COUNT:-200000}" \
    --cache "$CACHE/compare" \
    --json "$OUT" \
    "$@"
