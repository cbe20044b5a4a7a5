#!/usr/bin/env bash
# test.sh - every test of the project, against the sanitizer build; called by `make test`.
#
# 1. unit tests (one executable per file under build/asan/tests/)
# 2. the fuzz corpora (fuzz/corpus/*) replayed against the sanitizer build (fuzz-replay.sh)
#    and the integration tests (tests/integration/*.py) against the real binary on loopback
# 3. the shared contract checks (../shared/checks/contract.py) for the areas in
#    tests/contract.conf, when ../shared is present (a user's clone has none: skipped, and said)
# The last line is "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
BIN=build/asan/switchboard
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=23}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}

passed=0 failed=0 skipped=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

# Adds the "N passed, N failed[, N skipped]" line of a runner's output to the totals.
tally() {
  local line p f s
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -1)
  if [ -z "$line" ]; then
    echo "  (no summary line: counted as 1 failure)"
    failed=$((failed + 1))
    return
  fi
  p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
  f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
  s=$(echo "$line" | sed -nE 's/.* ([0-9]+) skipped.*/\1/p')
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + ${s:-0}))
}

echo "== unit tests"
for t in $(find build/asan/tests -type f -perm -u+x 2>/dev/null | sort); do
  out="$log/unit.txt"
  if "$t" >"$out" 2>&1; then :; fi
  grep -E '^FAIL|ERROR|runtime error|Sanitizer' "$out" | head -20
  echo "  $(tail -1 "$out")  ($t)"
  tally "$out"
done

echo "== fuzz corpora (replayed)"
out="$log/fuzz.txt"
scripts/fuzz-replay.sh >"$out" 2>&1
grep -E '^FAIL|runtime error|Sanitizer|fuzz check failed' "$out" | head -20
echo "  $(tail -1 "$out")  (scripts/fuzz-replay.sh)"
tally "$out"

echo "== integration tests"
for t in tests/integration/[0-9]*.py; do
  [ -e "$t" ] || continue
  out="$log/int.txt"
  timeout 900 "$PY" "$t" --binary "$BIN" >"$out" 2>&1
  grep -E '^FAIL' "$out" | head -20
  echo "  $(tail -1 "$out")  ($t)"
  tally "$out"
done

echo "== shared contract checks"
if [ -f ../shared/checks/contract.py ]; then
  . tests/contract.conf
  out="$log/contract.txt"
  timeout 1800 "$PY" ../shared/checks/contract.py --binary "$BIN" --only "$ONLY" \
      --without "$WITHOUT" >"$out" 2>&1
  # checks of issues not built yet are excluded by name: they count as skipped
  excluded=$(grep -cE "^FAIL ($EXCLUDE)" "$out" || true)
  grep -E '^FAIL' "$out" | grep -vE "^FAIL ($EXCLUDE)" | head -40
  echo "  $(tail -1 "$out")  (contract.py --only '$ONLY'; $excluded excluded by name)"
  tally "$out"
  failed=$((failed - excluded)); skipped=$((skipped + excluded))
else
  echo "  ../shared/checks/contract.py not found (a clone without the shared checks): skipped"
  skipped=$((skipped + 1))
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
