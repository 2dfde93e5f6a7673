#!/usr/bin/env bash
# Tests of the security suite (harness/misuse.c, workloads/sec_*.c,
# plots/security.py): the outcome classification on test shims whose
# behaviour is known (tests/shim/checking.c aborts on a double free,
# tests/shim/ignoring.c never frees) and on a test case whose reaction is
# known whatever the allocator (tests/workloads/misuse.c: a message, a fault,
# a crash afterwards, corrupted state, a hang, a death before the misuse);
# every misuse case ends ok under glibc with exactly one outcome, and is
# detected under the hardened build of the project's allocator; the suite
# holds every case and stays out of `full`; misuse cells are not scored; the
# table. One line per fact: PASS name / FAIL name: why / SKIP name: why.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
BENCH=build/bench
TBENCH=build/tests/bench-test # bench plus tests/workloads/ (test_misuse)
[ -x "$BENCH" ] && [ -x "$TBENCH" ] || { echo "FAIL setup: run make first"; exit 1; }

value() { awk -F, -v b="$2" -v w="$3" -v m="$4" '$1==b && $2==w && $5==m {print $6; exit}' "$1"; }
status_of() { awk -F, -v b="$2" -v w="$3" 'NR>1 && $1==b && $2==w {print $8; exit}' "$1"; }
# "detected=1 signal=6 ..." of one run, for messages
metrics_of() { awk -F, -v b="$2" -v w="$3" '$1==b && $2==w {printf "%s=%s ", $5, $6}' "$1" | head -c 300; }
# the one outcome metric that is 1, or "none" / "several"
outcome_of() {
    local o n=0 which=none
    for o in detected crashed_later silent timeout; do
        [ "$(value "$1" "$2" "$3" $o)" = 1 ] && { n=$((n + 1)); which=$o; }
    done
    [ $n -gt 1 ] && which=several
    echo $which
}
# FACT FILE BACKEND WORKLOAD OUTCOME [METRIC=VALUE...]: the run is ok, its
# outcome is OUTCOME and each named metric has its value
expect() {
    local fact=$1 f=$2 b=$3 w=$4 want=$5 kv got; shift 5
    got="$(status_of "$f" "$b" "$w")/$(outcome_of "$f" "$b" "$w")"
    for kv in "$@"; do got="$got ${kv%%=*}=$(value "$f" "$b" "$w" "${kv%%=*}")"; done
    local expected="ok/$want"; for kv in "$@"; do expected="$expected $kv"; done
    [ "$got" = "$expected" ] && pass "$fact" || fail "$fact" "got '$got', want '$expected'"
}

# ---- The shims ----
for s in checking ignoring; do
    cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -fPIC -shared -pthread \
        -o "$TMP/lib$s.so" "tests/shim/$s.c" 2>"$TMP/cc.err" || { echo "FAIL setup: shim $s: $(head -c 300 "$TMP/cc.err")"; exit 1; }
done

test_shims() {
    "$BENCH" run --reps 1 --backends "checking=$TMP/libchecking.so,ignoring=$TMP/libignoring.so" \
        --workloads sec_double_free,sec_double_free_delayed --out "$TMP/shims" >/dev/null 2>&1
    local f="$TMP/shims/results.csv"
    expect double_free_under_the_checking_shim_is_detected "$f" checking sec_double_free detected
    expect checking_shim_abort_is_signal_6_with_its_message "$f" checking sec_double_free detected signal=6 diagnostic=1
    expect delayed_double_free_under_the_checking_shim_is_detected "$f" checking sec_double_free_delayed detected
    grep -q "checking shim: double free of 0x" "$TMP"/shims/logs/checking.sec_double_free.t1.rep1.log &&
        pass the_allocators_message_is_in_the_log || fail the_allocators_message_is_in_the_log "$(grep misuse: "$TMP"/shims/logs/checking.sec_double_free.t1.rep1.log)"
    expect double_free_under_the_ignoring_shim_is_silent "$f" ignoring sec_double_free silent signal=0 diagnostic=0
    expect ignoring_shim_reuses_nothing_so_nothing_is_corrupted "$f" ignoring sec_double_free silent corrupted=0
}

# ---- Each way a grandchild can end (test_misuse, under glibc) ----
test_endings() {
    local acts="say fault crash_later spread hang die_in_setup" a list=""
    for a in $acts; do list="$list,test_misuse:act=$a"; done
    local start; start=$(date +%s)
    "$TBENCH" run --reps 1 --backends glibc --workloads "${list#,}" --out "$TMP/end" >/dev/null 2>&1
    local took=$(( $(date +%s) - start )) f="$TMP/end/results.csv"
    expect message_at_the_misuse_is_detected "$f" glibc test_misuse:act=say detected signal=0 diagnostic=1
    expect fault_at_the_misuse_is_detected "$f" glibc test_misuse:act=fault detected signal=11
    expect crash_after_the_misuse_is_crashed_later "$f" glibc test_misuse:act=crash_later crashed_later signal=11
    expect corrupted_state_seen_is_silent_and_corrupted "$f" glibc test_misuse:act=spread silent corrupted=1
    expect hang_is_timeout_and_the_run_stays_ok "$f" glibc test_misuse:act=hang timeout last_mark=1
    # a warm-up and a measured process, each grandchild killed after 2 s, far
    # inside the runner's own limit of 300 s per process
    [ "$took" -le 15 ] && pass hung_case_is_killed_at_the_time_limit || fail hung_case_is_killed_at_the_time_limit "the run took ${took}s"
    [ "$(status_of "$f" glibc test_misuse:act=die_in_setup)" = error ] &&
        grep -q "before its misuse (signal 11)" "$f" && pass death_before_the_misuse_is_an_error ||
        fail death_before_the_misuse_is_an_error "$(grep die_in_setup "$f" | head -2)"
}

# ---- Every misuse case under glibc: ok, exactly one outcome ----
CASES=$(for f in workloads/sec_*.c; do basename "$f" .c; done)
test_every_case_under_glibc() {
    "$BENCH" run --reps 1 --backends glibc --suite security --out "$TMP/glibc" >/dev/null 2>&1
    local f="$TMP/glibc/results.csv" w o st
    for w in $CASES; do
        st=$(status_of "$f" glibc "$w"); o=$(outcome_of "$f" glibc "$w")
        [ "$st" = ok ] && [ "$o" != none ] && [ "$o" != several ] && pass "${w}_ok_with_one_outcome_under_glibc" ||
            fail "${w}_ok_with_one_outcome_under_glibc" "status '$st', outcome '$o': $(metrics_of "$f" glibc "$w")"
    done
    expect huge_malloc_refused_by_glibc_is_detected "$f" glibc sec_malloc_huge detected refused=1
}

# ---- The hardened build catches every case (more than any peer) ----
test_every_case_under_custom_hardened() {
    local lib=build/libcustomalloc-hardened.so
    [ -f "$lib" ] || { fail every_case_detected_under_custom_hardened "$lib not built"; return; }
    "$BENCH" run --reps 1 --backends custom-hardened --suite security --out "$TMP/hardened" >/dev/null 2>&1
    local f="$TMP/hardened/results.csv" w missed=""
    for w in $CASES; do
        [ "$(status_of "$f" custom-hardened "$w")/$(outcome_of "$f" custom-hardened "$w")" = ok/detected ] ||
            missed="$missed $w ($(status_of "$f" custom-hardened "$w") $(outcome_of "$f" custom-hardened "$w"))"
    done
    [ -z "$missed" ] && pass every_case_detected_under_custom_hardened || fail every_case_detected_under_custom_hardened "not detected:$missed"
    grep -q '"version": "customalloc [0-9.]* (hardened)"' "$TMP/hardened/meta.json" &&
        pass custom_hardened_verified_as_the_hardened_build || fail custom_hardened_verified_as_the_hardened_build "$(grep -o '"version": "[^"]*"' "$TMP/hardened/meta.json")"
}

# ---- The suite ----
test_suite() {
    local listed missing="" w n
    listed=$("$BENCH" list | awk '/^Suites/,/^Backends/' | grep -A1 '^  security ' | tail -1)
    for w in $CASES; do grep -qw "$w" <<<"$listed" || missing="$missing $w"; done
    [ -z "$missing" ] && pass security_suite_has_every_misuse_case || fail security_suite_has_every_misuse_case "missing:$missing"
    n=$(wc -w <<<"$CASES")
    [ "$n" -ge 20 ] && pass at_least_20_misuse_cases || fail at_least_20_misuse_cases "$n"
    "$BENCH" list | awk '/^Suites/,/^Backends/' | grep -A1 '^  full ' | tail -1 | grep -q 'sec_' &&
        fail security_cases_are_not_in_full "full lists a sec_ case" || pass security_cases_are_not_in_full
    # without --backends the suite runs the hardened build too, and only it does
    # (in its measured groups: a case that runs once per process warms up under the baseline alone)
    "$BENCH" plan --suite security | awk -F, 'NR>1 && $3>0 {print $7; exit}' | grep -qw custom-hardened &&
        pass security_suite_runs_custom_hardened_by_default || fail security_suite_runs_custom_hardened_by_default "$("$BENCH" plan --suite security | awk -F, 'NR>1 && $3>0' | head -1)"
    "$BENCH" plan --suite article | awk -F, 'NR==2 {print $7}' | grep -qw custom-hardened &&
        fail other_suites_run_custom_hardened_only_when_named "$("$BENCH" plan --suite article | sed -n 2p)" ||
        pass other_suites_run_custom_hardened_only_when_named
}

# ---- Scores and the table ----
test_scores_and_table() {
    "$BENCH" run --reps 1 --backends "glibc,ignoring=$TMP/libignoring.so" \
        --workloads sec_double_free,alloc_free:iterations=1000 --out "$TMP/mix" >/dev/null 2>&1
    local total; total=$(awk -F, 'NR==2 {print $5}' "$TMP/mix/scores.csv")
    [ "$total" = 1 ] && pass misuse_cells_are_not_scored || fail misuse_cells_are_not_scored "cells_total '$total' (want 1: alloc_free only)"
    python3 plots/security.py "$TMP/shims" 2>"$TMP/py.err" || { fail security_md_written "$(head -c 300 "$TMP/py.err")"; return; }
    local md="$TMP/shims/security.md"
    grep -q '^| `sec_double_free` | detected (SIGABRT) | silent |$' "$md" &&
        pass security_table_one_row_per_case_one_column_per_backend || fail security_table_one_row_per_case_one_column_per_backend "$(grep sec_double_free "$md")"
    grep -q '^| checking | 2 of 2 |' "$md" && grep -q '^| ignoring | 0 of 2 |' "$md" &&
        pass security_counts_detected_of_n_per_backend || fail security_counts_detected_of_n_per_backend "$(grep -E '^\| (checking|ignoring) ' "$md")"
    python3 plots/report.py "$TMP/mix" 2>/dev/null && grep -q '^## Misuse cases' "$TMP/mix/report.md" &&
        pass report_md_has_the_security_section || fail report_md_has_the_security_section "no section in report.md"
}

test_shims
test_endings
test_every_case_under_glibc
test_every_case_under_custom_hardened
test_suite
test_scores_and_table
