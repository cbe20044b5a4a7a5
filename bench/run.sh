#!/usr/bin/env bash
# run.sh - `make bench`: read-path load test of Switchboard on a large demo database, with the
# fixed-body libmicrohttpd ceiling measured in the same run. See bench/README.md.
#
# Settings (environment):
#   BENCH_CONVERSATIONS  demo conversations in the database            (default 1000000)
#   BENCH_CACHE          where the database, tools and raw output live (default bench/.cache)
#   BENCH_DURATION       wrk -d per measured run                       (default 15s)
#   BENCH_CONNECTIONS    wrk -c                                        (default 64)
#   BENCH_THREADS        server threads (SWITCHBOARD_THREADS)          (default: the server's)
#   BENCH_WRK_THREADS    wrk -t                                        (default 2)
#   BENCH_WARMUP         wrk warm-up per endpoint and round, 0 = none  (default 2s)
#   BENCH_ROUNDS         rounds over all endpoints; the table shows medians (default 1)
#   BENCH_ENDPOINTS      comma list to run (default: all; see bench/helper.py ENDPOINTS)
#   BENCH_CURSOR_DEPTH   rows walked by next_cursor before the deep-cursor run (default 5000)
#   BENCH_DEEP_PAGE      ?page= of the deep offset run                 (default 10000)
#   BENCH_LOAD_SAMPLE    conversations for a fresh demo-load timing when the big database
#                        comes from the cache, 0 = skip               (default 20000)
#   BENCH_CEILING_THREADS ceiling thread pool                          (default 2)
#   BENCH_SHARED         the shared tools checkout                     (default ../shared)
#   BENCH_TARGET_RPS / BENCH_TARGET_P99_MS  the goal per row           (default 20000 / 5)
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=build/switchboard
N=${BENCH_CONVERSATIONS:-1000000}
CACHE=${BENCH_CACHE:-bench/.cache}
DURATION=${BENCH_DURATION:-15s}
CONNS=${BENCH_CONNECTIONS:-64}
SRV_THREADS=${BENCH_THREADS:-}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
WARMUP=${BENCH_WARMUP:-2s}
ROUNDS=${BENCH_ROUNDS:-1}
ENDPOINTS=${BENCH_ENDPOINTS:-ceiling,list,list_voice,list_completed,list_sms_completed,list_cursor,list_page,detail,timeline}
CURSOR_DEPTH=${BENCH_CURSOR_DEPTH:-5000}
DEEP_PAGE=${BENCH_DEEP_PAGE:-10000}
LOAD_SAMPLE=${BENCH_LOAD_SAMPLE:-20000}
CEIL_THREADS=${BENCH_CEILING_THREADS:-2}
SHARED=${BENCH_SHARED:-../shared}
TARGET_RPS=${BENCH_TARGET_RPS:-20000}
TARGET_P99=${BENCH_TARGET_P99_MS:-5}

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

for tool in wrk curl python3 awk; do
    command -v "$tool" >/dev/null || die "needs $tool (Debian: apt-get install wrk curl python3)"
done
[ -x "$BIN" ] || die "$BIN is missing: run \`make bench\` (or \`make\` first)"
if ! [[ $N =~ ^[0-9]+$ ]] || [ "$N" -lt 100 ]; then die "BENCH_CONVERSATIONS must be a number >= 100"; fi

mkdir -p "$CACHE" bench/results
RUN=$CACHE/run
rm -rf "$RUN"
mkdir -p "$RUN"
# Run a snapshot of the binary, so a rebuild of build/switchboard during the run changes nothing.
cp "$BIN" "$RUN/switchboard"
BIN=$RUN/switchboard
DB=$CACHE/demo-$N.db
DB_META=$CACHE/demo-$N.meta
TOKEN_FILE=$CACHE/demo-$N.token
SERVER_LOG=$CACHE/server.log
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=bench/results/$STAMP.json
META=$RUN/meta.txt
RUNS=$RUN/runs.txt
TCK=$(getconf CLK_TCK)
: >"$RUNS"

SERVER_PID=
CEIL_PID=
stop_pid() { # pid: SIGTERM, then SIGKILL after 15 s; only the process we started
    local pid=$1 i
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 150; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    stop_pid "$CEIL_PID"
    CEIL_PID=
    stop_pid "$SERVER_PID"
    SERVER_PID=
}
trap cleanup EXIT
trap 'exit 130' INT TERM

meta() { printf '%s=%s\n' "$1" "$2" >>"$META"; }
secs_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# ---- the demo database, built once per size -------------------------------------------------
built_now=0
if [ -f "$DB" ]; then
    say "reusing $DB ($(du -h "$DB" | cut -f1)); delete it to rebuild"
else
    say "building $DB: switchboard demo --conversations $N (takes a while for large N)"
    rm -f "$DB.tmp" "$DB.tmp-wal" "$DB.tmp-shm" "$TOKEN_FILE"
    t0=$(date +%s.%N)
    SWITCHBOARD_DB=$DB.tmp SWITCHBOARD_LOG_LEVEL=warn "$BIN" demo --conversations "$N" \
        2> >(tee "$CACHE/demo-$N.log" >&2)
    secs=$(secs_since "$t0")
    sleep 0.2 # let tee flush
    rate=$(awk -v n="$N" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
    [ -e "$DB.tmp-wal" ] && mv "$DB.tmp-wal" "$DB-wal"
    rm -f "$DB.tmp-shm"
    mv "$DB.tmp" "$DB"
    {
        echo "conversations=$N"
        echo "seconds=$secs"
        echo "rate=$rate"
        echo "built_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo "summary=$(grep '^demo: .* in ' "$CACHE/demo-$N.log" | tail -1)"
    } >"$DB_META"
    built_now=1
    say "demo: $N conversations in ${secs}s ($rate conversations/s)"
fi
# A cached database may predate the binary's schema: bring it up to date (serve refuses it otherwise).
status=$(SWITCHBOARD_DB=$DB "$BIN" migrate status 2>&1) || die "migrate status failed: $status"
if [[ $status == *"run \`switchboard migrate\`"* ]]; then
    say "the cached database is behind the binary ($status); migrating it"
    t0=$(date +%s.%N)
    SWITCHBOARD_DB=$DB "$BIN" migrate >"$RUN/migrate.log" 2>&1 || die "migrate failed: $(tail -5 "$RUN/migrate.log")"
    say "migrated in $(secs_since "$t0")s"
    meta migrated_before_run "$(secs_since "$t0")"
fi
metaval() { [ -f "$DB_META" ] && sed -n "s/^$1=//p" "$DB_META" | tail -1; }

# ---- machine and version facts ---------------------------------------------------------------
meta date "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
meta nproc "$(nproc)"
meta cpu_model "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
meta mem_total_kb "$(awk '/^MemTotal/ { print $2 }' /proc/meminfo)"
meta kernel "$(uname -r)"
meta git_commit "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
meta git_dirty_files "$(git status --porcelain -- src 2>/dev/null | wc -l)"
meta sqlite "$(pkg-config --modversion sqlite3 2>/dev/null || echo unknown)"
meta libmicrohttpd "$(pkg-config --modversion libmicrohttpd 2>/dev/null || echo unknown)"
meta wrk "$(wrk -v 2>&1 | head -1 | awk '{ print $2 }')"
meta conversations "$N"
meta duration "$DURATION"
meta connections "$CONNS"
meta wrk_threads "$WRK_THREADS"
meta rounds "$ROUNDS"
meta warmup "$WARMUP"
meta ceiling_threads "$CEIL_THREADS"
meta db_bytes "$(stat -c %s "$DB")"
meta demo_seconds "$(metaval seconds)"
meta demo_rate "$(metaval rate)"
meta demo_built_at "$(metaval built_at)"
meta demo_built_this_run "$built_now"
if [ -n "$(metaval seconds)" ]; then
    say "demo load of $N: $(metaval seconds)s, $(metaval rate) conversations/s (built $(metaval built_at))"
fi

# ---- the loading rate, measured now when the big database came from the cache ----------------
if [ "$built_now" = 0 ] && [ "$LOAD_SAMPLE" -gt 0 ]; then
    say "timing a fresh demo load of $LOAD_SAMPLE conversations (BENCH_LOAD_SAMPLE=0 skips it)"
    sdb=$RUN/load-sample.db
    t0=$(date +%s.%N)
    SWITCHBOARD_DB=$sdb SWITCHBOARD_LOG_LEVEL=warn "$BIN" demo --conversations "$LOAD_SAMPLE" \
        2>"$RUN/load-sample.log" || die "demo load failed: $(tail -3 "$RUN/load-sample.log")"
    secs=$(secs_since "$t0")
    rate=$(awk -v n="$LOAD_SAMPLE" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
    rm -f "$sdb" "$sdb-wal" "$sdb-shm"
    meta load_sample_n "$LOAD_SAMPLE"
    meta load_sample_seconds "$secs"
    meta load_sample_rate "$rate"
    say "demo load of $LOAD_SAMPLE: ${secs}s ($rate conversations/s)"
fi

# ---- helpers for the load runs ---------------------------------------------------------------
proc_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; } # utime + stime
mach_ticks() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $5 + $6 }' /proc/stat; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
wait_idle() { # until the process uses < 5% of a core (a server may still drain queued work)
    local pid=$1 a b i
    for ((i = 0; i < 30; i++)); do
        a=$(proc_ticks "$pid")
        sleep 1
        b=$(proc_ticks "$pid")
        [ $((b - a)) -lt $(((TCK + 19) / 20)) ] && return 0
    done
    say "warning: process $pid still busy after 30 s"
}
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_http() { # url pid log: until GET url answers (any status)
    local i
    for ((i = 0; i < 600; i++)); do
        curl -s -o /dev/null --max-time 2 "$1" && return 0
        kill -0 "$2" 2>/dev/null || die "the server exited; tail of $3:
$(tail -20 "$3")"
        sleep 0.1
    done
    die "no answer from $1 after 60 s; tail of $3:
$(tail -20 "$3")"
}

# load name round base_url paths_file pid: warm-up, then the measured wrk run
load() {
    local name=$1 round=$2 url=$3 paths=$4 pid=$5
    local raw=$RUN/wrk-$name-r$round.txt
    # No warm-up for an endpoint whose single request took over 100 ms when sampled (the deep
    # offset page): the warm-up would only leave a backlog that the measured run then waits on.
    local one=0
    [ -f "$RUN/sample.json" ] && one=$(python3 -c 'import json, sys
print(int(json.load(open(sys.argv[1]))["endpoints"].get(sys.argv[2], {}).get("single_request_ms", 0)))' \
        "$RUN/sample.json" "$name")
    if [ "$WARMUP" != 0 ] && [ "$WARMUP" != 0s ] && [ "$one" -le 100 ]; then
        BENCH_PATHS=$paths BENCH_TOKEN=$TOKEN wrk -t"$WRK_THREADS" -c"$CONNS" -d"$WARMUP" \
            --timeout 10s -s bench/paths.lua "$url" >/dev/null
    fi
    wait_idle "$pid"
    local load1 c0 c1 m0 m1
    load1=$(cut -d' ' -f1 /proc/loadavg)
    c0=$(proc_ticks "$pid")
    m0=$(mach_ticks)
    BENCH_PATHS=$paths BENCH_TOKEN=$TOKEN wrk -t"$WRK_THREADS" -c"$CONNS" -d"$DURATION" \
        --timeout 10s --latency -s bench/paths.lua "$url" >"$raw"
    c1=$(proc_ticks "$pid")
    m1=$(mach_ticks)
    local line
    line=$(grep '^BENCH ' "$raw") || die "wrk gave no result for $name; see $raw"
    local t0 i0 t1 i1
    read -r t0 i0 <<<"$m0"
    read -r t1 i1 <<<"$m1"
    echo "RUN name=$name round=$round load1=$load1 cpu_ticks=$((c1 - c0)) clk_tck=$TCK" \
        "mach_total=$((t1 - t0)) mach_idle=$((i1 - i0)) rss_kb=$(rss_kb "$pid") ${line#BENCH }" >>"$RUNS"
    echo "$line" | awk -v n="$name" -v r="$round" -v l="$load1" -v t=$((c1 - c0)) -v k="$TCK" '{
        for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        s = v["duration_us"] / 1e6
        printf "bench:   %-19s r%s %9.0f req/s  p50 %6.2f ms  p99 %6.2f ms  server %.2f cores  non-2xx %d  errors %d  load %s\n",
            n, r, v["requests"] / s, v["p50_us"] / 1000, v["p99_us"] / 1000, t / k / s, v["err_status"],
            v["err_connect"] + v["err_read"] + v["err_write"] + v["err_timeout"], l
    }' >&2
}
wanted() { [[ ",$ENDPOINTS," == *",$1,"* ]]; }

# ---- the ceiling: fixed-body libmicrohttpd, built from the shared tools into the cache --------
CEIL_BIN=
if wanted ceiling; then
    if [ -f "$SHARED/tools/ceiling/Makefile" ]; then
        src=$(cd "$SHARED/tools/ceiling" && pwd)
        mkdir -p "$CACHE/ceiling"
        if make -s -C "$CACHE/ceiling" -f "$src/Makefile" VPATH="$src" ceiling >"$RUN/ceiling-build.log" 2>&1; then
            CEIL_BIN=$CACHE/ceiling/ceiling
        else
            say "ceiling skipped: building it failed (needs libmicrohttpd-dev); see $RUN/ceiling-build.log"
        fi
    else
        say "ceiling skipped: $SHARED/tools/ceiling is not here (set BENCH_SHARED to the shared tools checkout)"
    fi
fi
start_ceiling() {
    local port
    port=$(free_port)
    "$CEIL_BIN" "$port" "$CEIL_THREADS" 2>"$RUN/ceiling.log" &
    CEIL_PID=$!
    CEIL_URL=http://127.0.0.1:$port
    wait_http "$CEIL_URL/" "$CEIL_PID" "$RUN/ceiling.log"
    meta ceiling_body_bytes "$(curl -s "$CEIL_URL/" | wc -c)"
}

# ---- the server --------------------------------------------------------------------------------
export SWITCHBOARD_DB=$DB
if [ ! -s "$TOKEN_FILE" ]; then
    "$BIN" token create --role admin --name "bench-$STAMP" 2>/dev/null | tail -1 >"$TOKEN_FILE" \
        || die "token create failed"
fi
TOKEN=$(cat "$TOKEN_FILE")

: >"$SERVER_LOG"
start_server() { # sets SERVER_PID and addr
    local i n0
    n0=$(grep -c 'listening on' "$SERVER_LOG" || true)
    (
        export SWITCHBOARD_LISTEN=127.0.0.1:0 SWITCHBOARD_ACCESS_LOG=false
        [ -n "$SRV_THREADS" ] && export SWITCHBOARD_THREADS=$SRV_THREADS
        exec "$BIN" serve 2>>"$SERVER_LOG" >/dev/null
    ) &
    SERVER_PID=$!
    addr=
    for ((i = 0; i < 300; i++)); do
        if [ "$(grep -c 'listening on' "$SERVER_LOG" || true)" -gt "$n0" ]; then
            addr=$(grep -o 'listening on http://[0-9.]*:[0-9]*' "$SERVER_LOG" | tail -1 | sed 's/^listening on //')
            break
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited; tail of $SERVER_LOG:
$(tail -20 "$SERVER_LOG")"
        sleep 0.1
    done
    [ -n "$addr" ] || die "the server did not say where it listens; see $SERVER_LOG"
    wait_http "$addr/health" "$SERVER_PID" "$SERVER_LOG"
}
start_server
meta server_threads "$(grep -o '([0-9]* threads' "$SERVER_LOG" | tail -1 | tr -dc 0-9)"
say "server $addr (pid $SERVER_PID, $(grep -o '([0-9]* threads' "$SERVER_LOG" | tail -1 | tr -d '(')), log $SERVER_LOG"

code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$addr/api/admin/communications?page_size=1")
if [ "$code" = 401 ]; then # the cached token is not in this database: make a new one
    "$BIN" token create --role admin --name "bench-$STAMP" 2>/dev/null | tail -1 >"$TOKEN_FILE"
    TOKEN=$(cat "$TOKEN_FILE")
fi

say "sampling ids from the list API (cursor $CURSOR_DEPTH rows deep, page $DEEP_PAGE)"
python3 bench/helper.py sample --base "$addr" --token "$TOKEN" --out "$RUN" \
    --cursor-depth "$CURSOR_DEPTH" --deep-page "$DEEP_PAGE" >"$RUN/sample.json"
python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))
print("bench: %d conversations; %d conversation ids, %d customers sampled; cursor %d rows deep "
      "(walk: %.1f ms first page, %.1f ms last); page %d" % (d["total_conversations"],
      d["conversation_ids"], d["customer_ids"], d["cursor_depth_rows"],
      d["cursor_walk_page_ms"]["first"], d["cursor_walk_page_ms"]["last"], d["deep_page"]))' \
    "$RUN/sample.json" >&2

# ---- the runs ------------------------------------------------------------------------------------
# The deep offset page goes last: its requests take seconds each, and the ones wrk leaves queued
# keep the server busy for minutes after wrk stops, so the server is restarted after it when
# another round follows.
echo / >"$RUN/ceiling.txt"
for ((round = 1; round <= ROUNDS; round++)); do
    say "round $round/$ROUNDS: wrk -t$WRK_THREADS -c$CONNS -d$DURATION --latency (warm-up $WARMUP)"
    if wanted ceiling && [ -n "$CEIL_BIN" ]; then
        wait_idle "$SERVER_PID"
        start_ceiling
        load ceiling "$round" "$CEIL_URL" "$RUN/ceiling.txt" "$CEIL_PID"
        stop_pid "$CEIL_PID"
        CEIL_PID=
    fi
    for name in list list_voice list_completed list_sms_completed list_cursor detail timeline list_page; do
        wanted "$name" && load "$name" "$round" "$addr" "$RUN/$name.txt" "$SERVER_PID"
    done
    if wanted list_page && [ "$round" -lt "$ROUNDS" ]; then
        say "restarting the server (requests to the deep page are still queued)"
        stop_pid "$SERVER_PID"
        start_server
    fi
done
cleanup

# ---- the table and the JSON ----------------------------------------------------------------------
echo
python3 bench/helper.py report --runs "$RUNS" --meta "$META" --sample "$RUN/sample.json" \
    --out "$OUT" --target-rps "$TARGET_RPS" --target-p99-ms "$TARGET_P99"
echo
say "results: $OUT; raw wrk output: $RUN/; server log: $SERVER_LOG"
