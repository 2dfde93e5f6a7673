#!/usr/bin/env bash
# The test runner behind `make test`. It runs every test script tests/test_*.sh
# and every test program build/tests/test_*, each of which prints one line per
# fact it checked:
#   PASS <name>            FAIL <name>: <why>            SKIP <name>: <why>
# and ends with the plain summary line "N passed, N failed, N skipped".
# A test file that exits non-zero without printing a FAIL line counts as one
# failure, so a crash can never pass silently.
#
# Usage: tests/run.sh [FILE...]   (default: all of them; with TEST_CLUSTER=1
# the cluster tests too)
set -u
cd "$(dirname "$0")/.." || exit 2

per_file_timeout=${TEST_FILE_TIMEOUT:-600}
if [ $# -gt 0 ]; then
    files=("$@")
else
    files=()
    for f in tests/test_*.sh build/tests/test_*; do
        [ -x "$f" ] && files+=("$f")
    done
    # TEST_CLUSTER=1 (.ci/run): also the tests that start a cluster's
    # daemons, tests/cluster_*.sh (`make test-cluster` runs them alone).
    if [ "${TEST_CLUSTER:-0}" = 1 ]; then
        for f in tests/cluster_*.sh; do
            [ -x "$f" ] && files+=("$f")
        done
    fi
fi

passed=0 failed=0 skipped=0
failures=()
for f in "${files[@]}"; do
    echo "== $f"
    out=$(mktemp)
    start=$(date +%s)
    timeout --kill-after=10 "$per_file_timeout" "$f" >"$out" 2>&1
    rc=$?
    cat "$out"
    p=$(grep -c '^PASS ' "$out"); fl=$(grep -c '^FAIL ' "$out"); s=$(grep -c '^SKIP ' "$out")
    passed=$((passed + p)); failed=$((failed + fl)); skipped=$((skipped + s))
    while IFS= read -r line; do failures+=("$f: $line"); done < <(grep '^FAIL ' "$out")
    if [ "$rc" -ne 0 ] && [ "$fl" -eq 0 ]; then
        failed=$((failed + 1))
        why="exited with status $rc"; [ "$rc" -eq 124 ] && why="timed out after ${per_file_timeout}s"
        failures+=("$f: FAIL $(basename "$f"): $why")
        echo "FAIL $(basename "$f"): $why"
    fi
    echo "-- $f: $p passed, $fl failed, $s skipped ($(( $(date +%s) - start ))s)"
    rm -f "$out"
done

if [ ${#failures[@]} -gt 0 ]; then
    echo
    echo "Failures:"
    printf '  %s\n' "${failures[@]}"
fi
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
