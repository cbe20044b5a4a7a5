#!/usr/bin/env bash
# legacy.sh - the legacy migration benchmark: `switchboard legacy-migrate` of a generated legacy
# database (1,000,000 call sessions by default) into a fresh SQLite target, then
# `switchboard legacy-verify` on the result, each timed with its peak resident memory.
#
# The legacy database comes from ../shared/tools/gen-legacy-db and is cached (generating a
# million sessions takes minutes); the target is created anew for every run. Prints one table
# row per step and writes them to bench/results/legacy-<timestamp>.txt.
#
# Settings (environment):
#   BENCH_LEGACY_SESSIONS  call sessions in the legacy database   (default 1000000)
#   BENCH_LEGACY_SEED      gen-legacy-db --seed                   (default 1)
#   BENCH_CACHE            where the legacy database is cached    (default bench/.cache)
#   BENCH_SHARED           the shared tools checkout              (default ../shared)
#   BENCH_LEGACY_ARGS      extra legacy-migrate arguments, e.g. "--keep-indexes"
# Targets (from the issue): migrate <= 60 s with peak RSS <= 100 MB, verify <= 30 s.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=build/switchboard
N=${BENCH_LEGACY_SESSIONS:-1000000}
SEED=${BENCH_LEGACY_SEED:-1}
CACHE=${BENCH_CACHE:-bench/.cache}
SHARED=${BENCH_SHARED:-../shared}
GEN=$SHARED/tools/gen-legacy-db

[ -x "$BIN" ] || { echo "legacy: $BIN is missing: run \`make\` first" >&2; exit 1; }
if [ ! -x "$GEN" ]; then
    echo "legacy: skipped: $GEN is not here (set BENCH_SHARED to the shared tools checkout)"
    exit 0
fi
mkdir -p "$CACHE/legacy" bench/results
SRC=$CACHE/legacy/legacy-s$N-seed$SEED.db
if [ ! -s "$SRC" ]; then
    echo "legacy: generating $N sessions into $SRC (cached for later runs)" >&2
    "$GEN" --sessions "$N" --seed "$SEED" --out "$SRC.tmp" >&2
    mv "$SRC.tmp" "$SRC"
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sb-legacy-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
OUT=bench/results/legacy-$(date -u +%Y%m%dT%H%M%SZ).txt

# run NAME CMD... : times CMD, keeps its output, prints "NAME seconds peak-RSS exit"
run() {
    local name=$1
    shift
    local t0 t1 rss rc=0
    t0=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$WORK/$name.rss" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
    t1=$(date +%s.%N)
    rss=$(tail -1 "$WORK/$name.rss")
    printf '%-8s %8.1f s %8.1f MB  exit %d\n' "$name" "$(echo "$t1 - $t0" | bc)" \
        "$(echo "scale=1; $rss / 1024" | bc)" "$rc"
}

{
    echo "legacy migration: $N sessions (seed $SEED), $(nproc) cores, $(date -u +%FT%TZ)"
    # shellcheck disable=SC2086 # extra arguments are words
    run migrate "$BIN" legacy-migrate --from "sqlite:$SRC" --db "$WORK/target.db" \
        ${BENCH_LEGACY_ARGS:-}
    grep -E "^(customers|sessions|indexes: rebuilt)" "$WORK/migrate.err" | sed 's/^/  /'
    tail -2 "$WORK/migrate.out" | sed 's/^/  /'
    run verify "$BIN" legacy-verify --from "sqlite:$SRC" --db "$WORK/target.db"
    tail -1 "$WORK/verify.out" | sed 's/^/  /'
    echo "targets: migrate <= 60 s and <= 100 MB peak RSS; verify <= 30 s"
} | tee "$OUT"
