#!/usr/bin/env bash
# Tests of the command line (issue 12): what a new user types first. Flags
# are one table shared by bench and run_all.sh; usage errors name what is
# wrong; --out is forgiving about parents and strict about contents;
# selections take globs, exclusions, several suites, name@threads and
# parameter sweeps; duplicates run once and say so; Ctrl-C during
# run_all.sh keeps the summary. One line per fact.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
BENCH=build/bench
[ -x "$BENCH" ] || { echo "FAIL setup: run make first"; exit 1; }

labels() { awk -F, 'NR>1 && $5=="wall_ms" {print $2 "@" $3}' "$1/results.csv" | sort -u | tr '\n' ' '; }
quick() { "$BENCH" run --quick --backends glibc "$@" >"$TMP/q.out" 2>"$TMP/q.err"; }

# ---- Usage errors ----
expect_said unknown_option_is_named 2 "unknown option '--frobnicate'" "$BENCH" run --frobnicate 1 --out "$TMP/u1"
expect_said flag_without_value_says_so 2 "--reps needs a value" "$BENCH" run --reps
expect_said list_rejects_arguments 2 "list takes no arguments" "$BENCH" list --json
expect_said version_prints 0 "" "$BENCH" --version
grep -q '^bench (malloc-bench) ' "$TMP/out" && pass version_names_the_build || fail version_names_the_build "$(cat "$TMP/out")"
expect_said contradicting_params_exit_2 2 "min_size=5000 is above max_size=100" "$BENCH" run --workloads mixed_sizes:min_size=5000:max_size=100 --out "$TMP/u2"
[ ! -e "$TMP/u2" ] && pass contradicting_params_write_nothing || fail contradicting_params_write_nothing "$TMP/u2 exists"
expect_said unknown_suite_lists_known 2 "known: article" "$BENCH" run --suite nosuch
expect_said glob_matching_nothing_exits_2 2 "matches no workload" "$BENCH" run --workloads 'zz*'
expect_said threads_on_unthreaded_at_is_refused 2 "not threaded" "$BENCH" run --workloads alloc_free@2

# ---- --out ----
test_out() {
    quick --workloads alloc_free --out "$TMP/deep/a/b" && [ -f "$TMP/deep/a/b/results.csv" ] &&
        pass out_creates_missing_parents || fail out_creates_missing_parents "$(cat "$TMP/q.err")"
    mkdir -p "$TMP/elsewhere"
    (cd "$TMP/elsewhere" && "$OLDPWD/$BENCH" run --quick --backends glibc --workloads alloc_free --out rel >"$TMP/rel.out" 2>&1)
    grep -q -- "-> $TMP/elsewhere/rel\$" "$TMP/rel.out" && pass relative_out_prints_its_real_path || fail relative_out_prints_its_real_path "$(head -1 "$TMP/rel.out")"
    mkdir -p "$TMP/ro" && chmod 555 "$TMP/ro"
    if [ "$(id -u)" -eq 0 ]; then
        # root writes anywhere; a file where the directory should be is as bad
        : >"$TMP/file"
        expect_said out_that_is_a_file_exits_2 2 "out" "$BENCH" run --quick --backends glibc --workloads alloc_free --out "$TMP/file"
    else
        expect_said read_only_out_exits_2_before_running 2 "not writable" "$BENCH" run --quick --backends glibc --workloads alloc_free --out "$TMP/ro"
        [ ! -s "$TMP/out" ] && pass read_only_out_prints_no_header || fail read_only_out_prints_no_header "$(cat "$TMP/out")"
    fi
}

# ---- Selections ----
test_selection() {
    quick --workloads 'mixed*' --out "$TMP/glob"
    [ "$(labels "$TMP/glob")" = "mixed_sizes@1 " ] && pass glob_selects_matching_workloads || fail glob_selects_matching_workloads "$(labels "$TMP/glob")"
    quick --suite article --exclude 'mixed*,multithread' --out "$TMP/ex"
    [ "$(labels "$TMP/ex")" = "alloc_free@1 batch@1 " ] && pass exclude_drops_workloads || fail exclude_drops_workloads "$(labels "$TMP/ex")"
    quick --suite article --workloads size_sweep:pairs=100 --exclude 'mixed*,multithread' --out "$TMP/both"
    [ "$(labels "$TMP/both")" = "alloc_free@1 batch@1 size_sweep:pairs=100@1 " ] && pass suite_and_workloads_together || fail suite_and_workloads_together "$(labels "$TMP/both")"
    quick --workloads multithread@1,2,alloc_free --param multithread.iterations=1000 --out "$TMP/at"
    [ "$(labels "$TMP/at")" = "alloc_free@1 multithread@1 multithread@2 " ] && pass name_at_threads_selects_thread_counts || fail name_at_threads_selects_thread_counts "$(labels "$TMP/at")"
}

test_sweep() {
    quick --workloads alloc_free --param size=16,1024,256 --out "$TMP/sw"
    [ "$(labels "$TMP/sw")" = "alloc_free:size=1024@1 alloc_free:size=16@1 alloc_free:size=256@1 " ] &&
        pass param_list_sweeps || fail param_list_sweeps "$(labels "$TMP/sw")"
    [ "$(awk -F, 'NR>1 && $4=="wall_ms" {print $2}' "$TMP/sw/summary.csv" | tr '\n' ' ')" = "alloc_free:size=16 alloc_free:size=256 alloc_free:size=1024 " ] &&
        pass sweep_sorts_numerically || fail sweep_sorts_numerically "$(awk -F, 'NR>1 && $4=="wall_ms" {print $2}' "$TMP/sw/summary.csv" | tr '\n' ' ')"
}

test_duplicates() {
    quick --workloads multithread --threads 1,1 --param iterations=1000 --out "$TMP/d1"
    [ "$(labels "$TMP/d1")" = "multithread@1 " ] && grep -q "twice" "$TMP/q.err" && pass duplicate_threads_run_once_and_say_so || fail duplicate_threads_run_once_and_say_so "$(labels "$TMP/d1") / $(cat "$TMP/q.err")"
    quick --workloads mixed_sizes,mixed_sizes:max_size=4096 --out "$TMP/d2"
    [ "$(labels "$TMP/d2")" = "mixed_sizes@1 " ] && grep -q "same configuration" "$TMP/q.err" && pass same_configuration_runs_once_and_says_so || fail same_configuration_runs_once_and_says_so "$(labels "$TMP/d2") / $(cat "$TMP/q.err")"
    quick --workloads alloc_free --threads 4 --out "$TMP/d3"
    grep -q "alloc_free is not threaded" "$TMP/q.err" && pass threads_on_unthreaded_workload_is_said || fail threads_on_unthreaded_workload_is_said "$(cat "$TMP/q.err")"
}

# ---- Output streams ----
test_streams() {
    quick --workloads alloc_free --out "$TMP/st"
    grep -q '^\[' "$TMP/q.out" && fail progress_goes_to_stderr "progress on stdout" || pass progress_goes_to_stderr
    grep -q '^\[' "$TMP/q.err" && pass progress_lines_on_stderr || fail progress_lines_on_stderr "none"
    "$BENCH" run --quick --quiet --backends glibc --workloads alloc_free --out "$TMP/qt" >"$TMP/qt.out" 2>"$TMP/qt.err"
    ! grep -q '^\[' "$TMP/qt.err" && grep -q 'alloc_free' "$TMP/qt.out" && pass quiet_has_no_progress_but_the_table || fail quiet_has_no_progress_but_the_table "$(cat "$TMP/qt.err")"
    [ "$(grep -c '^Results:' "$TMP/q.out")" = 1 ] && pass results_said_once || fail results_said_once "$(grep -c Results "$TMP/q.out")"
}

# ---- run_all.sh passes bench's flags through ----
test_run_all() {
    ./run_all.sh --no-install --no-plots --quick --backends glibc --workloads alloc_free --seed 7 \
        --param iterations=5000 --timeout 60 --out "$TMP/ra" >"$TMP/ra.out" 2>&1
    grep -q '"seed": 7' "$TMP/ra/meta.json" && grep -q 'iterations=5000' "$TMP/ra/results.csv" &&
        pass run_all_passes_bench_flags_through || fail run_all_passes_bench_flags_through "$(tail -3 "$TMP/ra.out")"
    ./run_all.sh --help >"$TMP/help" 2>&1
    grep -q -- '--min-time' "$TMP/help" && grep -q -- '--no-plots' "$TMP/help" && pass run_all_help_lists_bench_flags || fail run_all_help_lists_bench_flags "$(head -5 "$TMP/help")"
    # Ctrl-C from a terminal reaches the whole process group
    setsid ./run_all.sh --no-install --backends glibc --workloads alloc_free --reps 50 --out "$TMP/int" >"$TMP/int.out" 2>&1 &
    local pid=$!
    for _ in $(seq 150); do grep -q "rep 2" "$TMP/int.out" 2>/dev/null && break; sleep 0.1; done
    kill -INT -- -"$pid"; wait "$pid"; local rc=$?
    [ "$rc" -eq 130 ] && pass run_all_interrupted_exits_130 || fail run_all_interrupted_exits_130 "exit $rc"
    [ -s "$TMP/int/summary.csv" ] && [ -s "$TMP/int/scores.csv" ] && grep -q '"interrupted": true' "$TMP/int/meta.json" &&
        pass run_all_interrupted_keeps_summary || fail run_all_interrupted_keeps_summary "$(ls "$TMP/int")"
    [ -s "$TMP/int/report.md" ] && pass run_all_interrupted_draws_what_finished || fail run_all_interrupted_draws_what_finished "no report"
}

# ---- The end-of-run table ----
test_table() {
    build/tests/bench-test run --quick --backends glibc --workloads alloc_free,test_abort --out "$TMP/tb" >"$TMP/tb.out" 2>/dev/null
    grep -Eq '^test_abort +- +crashed' "$TMP/tb.out" && pass table_shows_cells_where_every_backend_failed || fail table_shows_cells_where_every_backend_failed "$(tail -4 "$TMP/tb.out")"
}

test_preload_failed_once() {
    local libz; libz=$(ls /usr/lib/*/libz.so.1 /lib/*/libz.so.1 2>/dev/null | head -1)
    [ -n "$libz" ] || { echo "SKIP preload_failed_is_said_once: no libz.so.1"; return; }
    "$BENCH" run --quick --reps 3 --backends "glibc,fake=$libz" --workloads alloc_free,batch --out "$TMP/pf" >"$TMP/pf.out" 2>"$TMP/pf.err"
    [ "$(grep -c 'preload' "$TMP/pf.err")" = 1 ] && pass preload_failed_is_said_once || fail preload_failed_is_said_once "$(grep preload "$TMP/pf.err" | head -3)"
    [ "$(awk -F, '$1=="fake" && $8=="preload_failed"' "$TMP/pf/results.csv" | wc -l)" = 6 ] &&
        pass preload_failed_recorded_for_every_run || fail preload_failed_recorded_for_every_run "$(grep -c '^fake' "$TMP/pf/results.csv") rows"
}

test_out; test_table; test_preload_failed_once; test_selection; test_sweep; test_duplicates; test_streams; test_run_all
