#!/usr/bin/env bash
# fuzz-replay.sh - the fuzz targets of fuzz/: replay their corpora as tests, or fuzz one of them.
#
#   scripts/fuzz-replay.sh [TARGET...]
#       Replay (the default; run by `make test` after `make asan`). Builds each target (all when
#       none is named) with the ASan build's compiler and flags plus fuzz/replay_main.c into
#       build/asan/fuzz/<target>, linked with the build/asan objects except main.o, and runs it
#       over every file of fuzz/corpus/<target>/. One line per target, then "N passed, N failed":
#       a target passes when every input ran without a crash, sanitizer report or failed check.
#
#   scripts/fuzz-replay.sh --fuzz TARGET SECONDS [LIBFUZZER_ARG...]
#       Fuzzing. Builds the project and the target with clang and libFuzzer (build/fuzz/), fuzzes
#       for SECONDS starting from the committed corpus (work dir build/fuzz/work/<target>), then
#       minimises with -merge=1 back into fuzz/corpus/<target>: seed-* and crash-* files stay,
#       the rest is replaced by the inputs that add edge coverage. A crash stops before the merge
#       and leaves the input in build/fuzz/artifacts/<target>/.
#
# Environment: CC (replay compiler, default cc), CLANG (default clang), PKGS (pkg-config
# packages, default: the Makefile's PKGS line), ASAN_OPTIONS, UBSAN_OPTIONS and LSAN_OPTIONS
# (replay; defaults as in scripts/test.sh), FUZZ_ASAN_OPTIONS (fuzzing; default
# detect_leaks=1), JOBS (parallel compiles).
set -u
cd "$(dirname "$0")/.."

# The libraries are the Makefile's PKGS (make passes its own value in the environment).
PKGS=${PKGS:-$(sed -n 's/^PKGS[[:space:]]*:=[[:space:]]*//p' Makefile 2>/dev/null)}
PKGS=${PKGS:-libmicrohttpd jansson sqlite3 libcrypto libcurl}
CSTD="-std=c11 -D_GNU_SOURCE"
WARN="-Wall -Wextra -Werror -Wshadow -Wno-unused-parameter"
ASAN_FLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all"
FUZZ_FLAGS="-O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=all"
CC=${CC:-cc}
CLANG=${CLANG:-clang}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
PKG_CFLAGS=$(pkg-config --cflags $PKGS 2>/dev/null)
PKG_LIBS="$(pkg-config --libs $PKGS 2>/dev/null) -lpthread -lm"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=23}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
if [ -z "${LSAN_OPTIONS:-}" ] && [ -f tests/lsan.supp ]; then
    export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
fi

# The longest input libFuzzer generates per target (replay reads files of any size).
max_len() {
    case "$1" in
    timeutil) echo 64 ;;
    cursor) echo 160 ;;
    phone) echo 320 ;;
    score) echo 8192 ;;
    *) echo 4096 ;;
    esac
}

# Every fuzz/*.c that defines a target, by name.
all_targets() {
    grep -l '^int LLVMFuzzerTestOneInput' fuzz/*.c 2>/dev/null | sed 's|^fuzz/||; s|\.c$||' | sort
}

# Library sources, as the Makefile lists them: src/**/*.c but main.c, plus the generated file.
lib_sources() {
    find src -name '*.c' ! -path src/main.c | sort
}

die() {
    echo "fuzz-replay: $*" >&2
    exit 2
}

# ---- replay ---------------------------------------------------------------------------------

replay() {
    local targets=("$@") objs=() missing=0 src o
    for src in $(lib_sources); do
        o="build/asan/${src#src/}"
        objs+=("${o%.c}.o")
    done
    objs+=(build/asan/gen/sq_migrations.o)
    for o in "${objs[@]}"; do
        if [ ! -f "$o" ]; then
            echo "fuzz-replay: missing $o" >&2
            missing=$((missing + 1))
        fi
    done
    if [ "$missing" -gt 0 ]; then
        echo "fuzz-replay: $missing ASan object(s) missing: run 'make asan' first" >&2
        echo "0 passed, 1 failed"
        exit 1
    fi

    local out=build/asan/fuzz passed=0 failed=0 t bin n
    mkdir -p "$out"
    log=$(mktemp -d)
    trap 'rm -rf "$log"' EXIT
    if ! $CC $CSTD $WARN $ASAN_FLAGS -Isrc -Ifuzz $PKG_CFLAGS -c -o "$out/replay_main.o" \
        fuzz/replay_main.c 2>"$log/main.txt"; then
        cat "$log/main.txt"
        echo "FAIL fuzz/replay_main.c does not compile"
        echo "0 passed, ${#targets[@]} failed"
        exit 1
    fi
    for t in "${targets[@]}"; do
        bin="$out/$t"
        if [ ! -f "fuzz/$t.c" ]; then
            echo "FAIL $t: no fuzz/$t.c"
            failed=$((failed + 1))
            continue
        fi
        if ! $CC $CSTD $WARN $ASAN_FLAGS -Isrc -Ifuzz $PKG_CFLAGS -o "$bin" "fuzz/$t.c" \
            "$out/replay_main.o" "${objs[@]}" $PKG_LIBS >"$log/$t.txt" 2>&1; then
            sed 's/^/    /' "$log/$t.txt" | head -12
            echo "FAIL $t: does not build"
            failed=$((failed + 1))
            continue
        fi
        n=$(find "fuzz/corpus/$t" -maxdepth 1 -type f ! -name '.*' 2>/dev/null | wc -l)
        if [ "$n" -eq 0 ]; then
            echo "FAIL $t: fuzz/corpus/$t is empty or missing"
            failed=$((failed + 1))
            continue
        fi
        if timeout 600 "$bin" "fuzz/corpus/$t" >"$log/$t.txt" 2>&1; then
            echo "  ok    $t  ($n inputs)"
            passed=$((passed + 1))
        else
            grep -v '^replay: input ' "$log/$t.txt" | sed 's/^/    /' | tail -30
            echo "FAIL $t  (on $(grep '^replay: input ' "$log/$t.txt" | tail -1 |
                sed 's/^replay: input //'))"
            failed=$((failed + 1))
        fi
    done
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

# ---- fuzzing --------------------------------------------------------------------------------

# Builds the library with clang and coverage instrumentation into build/fuzz/obj (everything is
# rebuilt when any source or header is newer than the last build).
build_fuzz_objs() {
    local stamp=build/fuzz/obj/.stamp src o
    [ -f build/gen/sq_migrations.c ] || die "build/gen/sq_migrations.c missing: run 'make asan'"
    command -v "$CLANG" >/dev/null || die "$CLANG not found (libFuzzer needs clang)"
    mkdir -p build/fuzz/obj
    exec 9>build/fuzz/.lock # one build at a time when several targets are fuzzed at once
    flock 9
    if [ -f "$stamp" ] && [ -z "$(find src build/gen -newer "$stamp" \( -name '*.c' -o \
        -name '*.h' \) -print -quit)" ]; then
        flock -u 9
        return 0
    fi
    touch "$stamp.new" # sources changed while compiling are seen by the next run
    echo "fuzz-replay: building the project with $CLANG and libFuzzer instrumentation" >&2
    export CLANG CSTD FUZZ_FLAGS PKG_CFLAGS
    compile_one() {
        mkdir -p "$(dirname "$2")" &&
            $CLANG $CSTD $FUZZ_FLAGS -fsanitize=fuzzer-no-link,address,undefined -Isrc \
                $PKG_CFLAGS -c -o "$2" "$1"
    }
    export -f compile_one
    { lib_sources; echo build/gen/sq_migrations.c; } | while read -r src; do
        case "$src" in
        src/*) o="build/fuzz/obj/${src#src/}" ;;
        *) o="build/fuzz/obj/gen/${src##*/}" ;;
        esac
        printf '%s %s\n' "$src" "${o%.c}.o"
    done | xargs -P "$JOBS" -n 2 bash -c 'compile_one "$@"' _ ||
        die "compiling the project with $CLANG failed"
    mv "$stamp.new" "$stamp"
    flock -u 9
}

fuzz() {
    local t=$1 secs=$2
    shift 2
    [ -f "fuzz/$t.c" ] || die "no target fuzz/$t.c (targets: $(all_targets | tr '\n' ' '))"
    case "$secs" in '' | *[!0-9]*) die "SECONDS must be a number" ;; esac
    build_fuzz_objs
    local bin=build/fuzz/$t work=build/fuzz/work/$t art=build/fuzz/artifacts/$t/
    local corpus=fuzz/corpus/$t merged=build/fuzz/merge/$t objs dict=()
    mapfile -t objs < <(lib_sources | sed 's|^src/\(.*\)\.c$|build/fuzz/obj/\1.o|')
    objs+=(build/fuzz/obj/gen/sq_migrations.o)
    $CLANG $CSTD $FUZZ_FLAGS $WARN -fsanitize=fuzzer,address,undefined -Isrc -Ifuzz $PKG_CFLAGS \
        -o "$bin" "fuzz/$t.c" "${objs[@]}" $PKG_LIBS || die "building $bin failed"
    [ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")

    # libFuzzer runs every corpus input first: crash-* files (known bugs) stay out of the run
    mkdir -p "$work" "$art" "$corpus"
    find "$corpus" -maxdepth 1 -type f ! -name 'crash-*' ! -name '.*' -exec cp -n {} "$work/" \;
    echo "fuzz-replay: fuzzing $t for $secs s (work dir $work)" >&2
    ASAN_OPTIONS=${FUZZ_ASAN_OPTIONS:-detect_leaks=1} "$bin" -max_total_time="$secs" \
        -max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$art" "${dict[@]}" "$@" "$work"
    local rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "fuzz-replay: $t failed (exit $rc); inputs in $art:" >&2
        ls -l "$art" >&2
        echo "minimise with: $bin -minimize_crash=1 -runs=100000 -artifact_prefix=$art FILE" >&2
        exit 1
    fi

    # minimise: keep seed-* and crash-*, add only what brings new edges (-use_counters=0: hit
    # counts are not features here, which keeps the committed corpus small; the work dir keeps
    # everything for the next run)
    rm -rf "$merged"
    mkdir -p "$merged"
    find "$corpus" -maxdepth 1 -type f -name 'seed-*' -exec cp {} "$merged/" \;
    ASAN_OPTIONS=${FUZZ_ASAN_OPTIONS:-detect_leaks=1} "$bin" -merge=1 -use_counters=0 \
        -max_len="$(max_len "$t")" -timeout=10 "$merged" "$work" 2>"$merged.log" ||
        die "merge failed (see $merged.log)"
    find "$corpus" -maxdepth 1 -type f ! -name 'seed-*' ! -name 'crash-*' -delete
    find "$merged" -maxdepth 1 -type f ! -name 'seed-*' -exec cp {} "$corpus/" \;
    local files bytes
    files=$(find "$corpus" -maxdepth 1 -type f | wc -l)
    bytes=$(du -sb "$corpus" | cut -f1)
    echo "fuzz-replay: $corpus now has $files files, $bytes bytes"
    [ "$files" -le 200 ] && [ "$bytes" -le 1048576 ] ||
        echo "fuzz-replay: warning: $corpus is over the 200 files / 1 MB budget" >&2
}

main() {
    case "${1:-}" in
    --fuzz)
        [ $# -ge 3 ] || die "usage: $0 --fuzz TARGET SECONDS [LIBFUZZER_ARG...]"
        shift
        fuzz "$@"
        ;;
    -h | --help)
        sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'
        ;;
    -*)
        die "unknown option $1 (see --help)"
        ;;
    *)
        if [ $# -gt 0 ]; then
            replay "$@"
        else
            mapfile -t ts < <(all_targets)
            [ "${#ts[@]}" -gt 0 ] || die "no targets in fuzz/"
            replay "${ts[@]}"
        fi
        ;;
    esac
}

# one line, parsed whole before it runs: editing this file during a long run is safe
{ main "$@"; exit $?; }
