# What the test scripts share (sourced by tests/test_*.sh after they cd to
# the project's top directory): one line per fact, as tests/run.sh counts
# them, a scratch directory removed at exit, and checking how a command
# ends.
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }

# expect_exit NAME CODE COMMAND...: the command exits CODE and, when CODE is
# not 0, says something on stderr. Its output stays in $TMP/out and
# $TMP/err for the caller's further checks.
expect_exit() {
    local name=$1 code=$2; shift 2
    "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    if [ "$rc" -ne "$code" ]; then fail "$name" "exit $rc, expected $code: $(head -c 300 "$TMP/err")"; return 1; fi
    if [ "$code" -ne 0 ] && [ ! -s "$TMP/err" ]; then fail "$name" "no message on stderr"; return 1; fi
    pass "$name"
}

# expect_said NAME CODE PATTERN COMMAND...: as expect_exit, and stderr
# matches PATTERN (an extended regular expression; empty: anything).
expect_said() {
    local name=$1 code=$2 pattern=$3; shift 3
    "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    if [ "$rc" -ne "$code" ]; then fail "$name" "exit $rc, expected $code: $(head -c 300 "$TMP/err")"; return 1; fi
    if [ -n "$pattern" ] && ! grep -Eq -- "$pattern" "$TMP/err"; then fail "$name" "stderr: $(head -c 300 "$TMP/err")"; return 1; fi
    pass "$name"
}
