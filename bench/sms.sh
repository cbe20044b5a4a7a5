#!/usr/bin/env bash
# sms.sh - signed inbound SMS ingest, Switchboard alone, A/B between binaries: every run starts
# a server on a fresh copy of the same migrated database and replays signed, unique Twilio
# webhooks at it with wrk (64 connections), alternating the binaries run by run. It prints one
# line per run (req/s, the WAL's size when the load ends, the bytes the server wrote to storage
# meanwhile) and the median per binary.
#
# It reuses what bench/compare.sh cached: the legacy dataset and the signed request sets for
# port 18082 (run `bench/compare.sh --endpoints sms_ingest` once first). The migrated database is
# cached as .cache/sms/base.db and rebuilt when the legacy dataset is newer.
#
#   bench/sms.sh                              # build/switchboard, 3 runs
#   bench/sms.sh /tmp/old-switchboard build/switchboard
#
# Settings (environment):
#   BENCH_SMS_RUNS      runs per binary                          (default 3)
#   BENCH_DURATION      seconds per run                          (default 10)
#   BENCH_CONNECTIONS   wrk -c                                   (default 64)
#   BENCH_CACHE         cache root                               (default bench/.cache)
#   BENCH_SHARED        the shared tools checkout                (default ../shared)
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE=${BENCH_CACHE:-bench/.cache}
SHARED=${BENCH_SHARED:-../shared}
RUNS=${BENCH_SMS_RUNS:-3}
DUR=${BENCH_DURATION:-10}
DUR=${DUR%s}
CONNS=${BENCH_CONNECTIONS:-64}
PORT=18082 # the requests are signed for this address
TOKEN=test_auth_token_0123456789abcdef # gen-webhooks' default, which bench-compare signs with
LUA=$SHARED/tools/bench/replay-packed.lua
BINS=("$@")
[ ${#BINS[@]} -gt 0 ] || BINS=(build/switchboard)

command -v wrk >/dev/null || { echo "sms: needs wrk (Debian: apt-get install wrk)" >&2; exit 1; }
if [ ! -f "$LUA" ]; then
    echo "sms: skipped: $LUA is not here (set BENCH_SHARED to the shared tools checkout)"
    exit 0
fi
LEGACY=$(ls -t "$CACHE"/compare/legacy-s*-seed*.db 2>/dev/null | head -1 || true)
REQS=$(ls -S "$CACHE"/compare/webhooks/sms-$PORT-seed101-*.req 2>/dev/null | head -1 || true)
if [ -z "$LEGACY" ] || [ -z "$REQS" ]; then
    echo "sms: run \`bench/compare.sh --endpoints sms_ingest\` once first: it caches the legacy" \
        "dataset and the signed request sets this script replays" >&2
    exit 1
fi
for b in "${BINS[@]}"; do
    [ -x "$b" ] || { echo "sms: $b is not an executable" >&2; exit 1; }
done

mkdir -p "$CACHE/sms"
BASE=$CACHE/sms/base.db
if [ ! -s "$BASE" ] || [ "$LEGACY" -nt "$BASE" ]; then
    echo "sms: migrating $LEGACY into $BASE (cached)" >&2
    rm -f "$BASE" "$BASE-wal" "$BASE-shm"
    "${BINS[-1]}" legacy-migrate --from "sqlite:$LEGACY" --db "$BASE" >/dev/null 2>"$CACHE/sms/migrate.log"
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sb-sms-bench.XXXXXX")
PID=
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

# one BIN: prints "req/s wal-bytes written-bytes"
one() {
    local bin=$1 db=$WORK/run.db
    cp "$BASE" "$db"
    rm -f "$db-wal" "$db-shm"
    "$bin" migrate --db "$db" >/dev/null 2>&1 # a newer binary may have newer migrations
    SWITCHBOARD_DB=$db SWITCHBOARD_LISTEN=127.0.0.1:$PORT SWITCHBOARD_PUBLIC_URL=http://127.0.0.1:$PORT \
        SWITCHBOARD_TWILIO_AUTH_TOKEN=$TOKEN "$bin" serve --access-log=false >"$WORK/server.log" 2>&1 &
    PID=$!
    for _ in $(seq 100); do
        curl -s -o /dev/null "http://127.0.0.1:$PORT/health" && break
        sleep 0.1
    done
    local w0 w1 rate
    w0=$(awk '/^write_bytes/ {print $2}' "/proc/$PID/io")
    rate=$(REQS_FILE=$REQS WRK_THREADS=2 wrk -t2 -c"$CONNS" -d"${DUR}s" -s "$LUA" \
        "http://127.0.0.1:$PORT" | awk '/Requests\/sec/ {print $2}')
    w1=$(awk '/^write_bytes/ {print $2}' "/proc/$PID/io")
    local wal
    wal=$(stat -c %s "$db-wal" 2>/dev/null || echo 0) # (a clean stop removes the WAL)
    kill "$PID"
    wait "$PID" 2>/dev/null || true
    PID=
    echo "$rate $wal $((w1 - w0))"
}

echo "sms ingest: ${DUR}s runs at $CONNS connections, $(nproc) cores, $(date -u +%FT%TZ)"
declare -A rates
for ((r = 1; r <= RUNS; r++)); do
    for b in "${BINS[@]}"; do
        read -r rate wal wrote < <(one "$b")
        rates[$b]+="$rate "
        printf '%-40s run %d  %9.1f req/s  WAL %5d MB  wrote %6d MB\n' "$b" "$r" "$rate" \
            $((wal / 1048576)) $((wrote / 1048576))
    done
done
for b in "${BINS[@]}"; do
    median=$(echo "${rates[$b]}" | tr ' ' '\n' | grep . | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
    printf '%-40s median %9.1f req/s over %d runs\n' "$b" "$median" "$RUNS"
done
