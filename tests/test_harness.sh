#!/usr/bin/env bash
# Tests of the harness (build/bench): flags and parameters are validated,
# every installed backend is verified inside the measured child, each kind of
# failure is recorded with its status while the rest of the matrix carries on,
# and the CSV files follow their schema. One function per fact.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
BENCH=build/bench
TBENCH=build/tests/bench-test   # bench plus the misbehaving test workloads
[ -x "$BENCH" ] && [ -x "$TBENCH" ] || { echo "FAIL setup: run make first"; exit 1; }

# csv_field FILE BACKEND WORKLOAD METRIC COLUMN: one column of the first matching row
csv_rows() { awk -F, -v b="$2" -v w="$3" -v m="$4" '$1==b && $2==w && $5==m' "$1"; }
summary_field() { # FILE BACKEND WORKLOAD METRIC COLUMN-NAME
    awk -F, -v b="$2" -v w="$3" -v m="$4" -v col="$5" '
        NR==1 { for (i=1;i<=NF;i++) idx[$i]=i; next }
        $1==b && $2==w && $4==m { print $idx[col]; exit }' "$1"
}

# ---- Usage errors: exit 2, a message, nothing written ----
test_help() { "$BENCH" --help | grep -q -- "--backends" && pass help_lists_flags || fail help_lists_flags "no --backends in --help"; }
test_unknown_flag() { expect_exit unknown_flag_exits_2 2 "$BENCH" run --frobnicate 1 --out "$TMP/u1" && [ ! -e "$TMP/u1" ] || fail unknown_flag_writes_nothing "$TMP/u1 exists"; }
test_unknown_backend() { expect_exit unknown_backend_exits_2 2 "$BENCH" run --backends glibc,nosuchalloc --out "$TMP/u2"; }
test_unknown_workload() { expect_exit unknown_workload_exits_2 2 "$BENCH" run --workloads nosuchwork --out "$TMP/u3"; }
test_bad_param_value() { expect_exit non_numeric_param_exits_2 2 "$BENCH" run --workloads alloc_free --param iterations=lots --out "$TMP/u4"; }
test_param_out_of_range() { expect_exit param_below_minimum_exits_2 2 "$BENCH" run --workloads alloc_free --param iterations=0 --out "$TMP/u5"; }
test_unknown_param() { expect_exit unknown_param_exits_2 2 "$BENCH" run --workloads alloc_free --param colour=red --out "$TMP/u6"; }
test_bad_choice() { expect_exit bad_choice_exits_2 2 "$BENCH" run --workloads mixed_sizes:touch=some --out "$TMP/u7"; }
test_bad_reps() { expect_exit zero_reps_exits_2 2 "$BENCH" run --reps 0 --out "$TMP/u8"; }
test_out_not_empty() {
    mkdir -p "$TMP/full" && echo keep >"$TMP/full/results.csv"
    expect_exit nonempty_out_exits_2 2 "$BENCH" run --quick --backends glibc --workloads alloc_free --out "$TMP/full"
    [ "$(cat "$TMP/full/results.csv")" = keep ] && pass nonempty_out_is_not_touched || fail nonempty_out_is_not_touched "results.csv changed"
}
test_run_all_bad_flag() {
    local before; before=$(ls results 2>/dev/null | wc -l)
    expect_exit run_all_unknown_flag_exits_2 2 ./run_all.sh --no-such-flag
    [ "$(ls results 2>/dev/null | wc -l)" = "$before" ] && pass run_all_bad_flag_writes_nothing || fail run_all_bad_flag_writes_nothing "results/ changed"
}

# ---- Backends are verified inside the child ----
test_backend_detection() {
    local b lib
    for b in glibc jemalloc mimalloc tcmalloc tcmalloc-full tbbmalloc scudo custom article; do
        if ! "$BENCH" list | grep -E "^  $b " | grep -vq "not found"; then
            echo "SKIP backend_${b}_verified: library not installed or not built"; continue
        fi
        "$BENCH" run --quick --reps 1 --backends "$b" --workloads alloc_free --out "$TMP/det-$b" >/dev/null 2>&1
        local status; status=$(awk -F, 'NR>1 {print $8; exit}' "$TMP/det-$b/results.csv")
        case $b in glibc) lib=libc.so.6 ;; jemalloc) lib=libjemalloc ;; mimalloc) lib=libmimalloc ;;
                   tcmalloc) lib=libtcmalloc_minimal ;; tcmalloc-full) lib=libtcmalloc.so ;; tbbmalloc) lib=libtbbmalloc_proxy ;;
                   scudo) lib=libclang_rt.scudo_standalone ;; custom) lib=libcustomalloc ;; article) lib=libarticlealloc ;; esac
        local verified version
        verified=$(grep -A4 "\"name\": \"$b\"" "$TMP/det-$b/meta.json" | sed -n 's/.*"verified_path": "\(.*\)",/\1/p')
        version=$(grep -A4 "\"name\": \"$b\"" "$TMP/det-$b/meta.json" | sed -n 's/.*"version": "\(.*\)",/\1/p')
        if [ "$status" = ok ] && [[ "$verified" == *"$lib"* ]] && [ -n "$version" ]; then
            pass "backend_${b}_verified"
        else
            fail "backend_${b}_verified" "status=$status verified_path=$verified version=$version"
        fi
    done
}

test_fake_preload() {
    local libz; libz=$(ls /usr/lib/*/libz.so.1 /lib/*/libz.so.1 2>/dev/null | head -1)
    [ -n "$libz" ] || { echo "SKIP fake_library_is_preload_failed: no libz.so.1"; return; }
    "$BENCH" run --quick --backends "glibc,fake=$libz" --workloads alloc_free --out "$TMP/fake" >/dev/null 2>&1
    local rc=$?
    local rows; rows=$(csv_rows "$TMP/fake/results.csv" fake alloc_free run)
    [[ "$rows" == *preload_failed* ]] && pass fake_library_is_preload_failed || fail fake_library_is_preload_failed "rows: $rows"
    [ -z "$(csv_rows "$TMP/fake/results.csv" fake alloc_free wall_ms)" ] && pass preload_failed_records_no_timing || fail preload_failed_records_no_timing "a wall_ms row exists"
    [ "$rc" -ne 0 ] && pass preload_failed_exits_nonzero || fail preload_failed_exits_nonzero "exit 0"
    [ -n "$(csv_rows "$TMP/fake/results.csv" glibc alloc_free wall_ms)" ] && pass preload_failed_others_still_run || fail preload_failed_others_still_run "no glibc row"
}

test_missing_library() {
    expect_exit missing_user_library_exits_2 2 "$BENCH" run --quick --backends "glibc,ghost=/nonexistent/libghost.so" --workloads alloc_free --out "$TMP/ghost"
    grep -q "no such file" "$TMP/err" && [ ! -e "$TMP/ghost" ] && pass missing_user_library_is_named_before_running || fail missing_user_library_is_named_before_running "$(cat "$TMP/err")"
    expect_exit directory_as_library_exits_2 2 "$BENCH" run --quick --backends "glibc,dir=/usr/lib" --workloads alloc_free --out "$TMP/dir"
    expect_exit builtin_name_for_a_library_exits_2 2 "$BENCH" run --quick --backends "glibc=build/tests/libdelay.so" --workloads alloc_free --out "$TMP/bi"
    grep -q "built-in backend" "$TMP/err" && pass builtin_name_reuse_is_explained || fail builtin_name_reuse_is_explained "$(cat "$TMP/err")"
    "$BENCH" run --quick --backends "slow=build/tests/libdelay.so:version=delayalloc_version" --workloads alloc_free --out "$TMP/ver" >/dev/null 2>&1
    grep -q '"version": "a delay around libc.so.6"' "$TMP/ver/meta.json" && pass user_library_names_its_version_function || fail user_library_names_its_version_function "$(grep -A4 '"name": "slow"' "$TMP/ver/meta.json")"
    expect_exit unknown_version_function_is_preload_failed 1 "$BENCH" run --quick --backends "slow=build/tests/libdelay.so:version=no_such_fn" --workloads alloc_free --out "$TMP/ver2"
}

# ---- Configured backends: a base plus environment settings ----
test_configured_backends() {
    "$TBENCH" run --quick --backends "glibc,set=glibc+BENCH_TEST_SETTING=42" --workloads test_env --out "$TMP/env" >/dev/null 2>&1
    local f="$TMP/env/results.csv"
    [ "$(csv_rows "$f" set test_env bench_test_setting | cut -d, -f6)" = 42 ] && pass configured_setting_reaches_the_child ||
        fail configured_setting_reaches_the_child "$(csv_rows "$f" set test_env bench_test_setting)"
    [ "$(csv_rows "$f" glibc test_env bench_test_setting | cut -d, -f6)" = -1 ] && pass configured_setting_stays_with_its_backend ||
        fail configured_setting_stays_with_its_backend "$(csv_rows "$f" glibc test_env bench_test_setting)"
    grep -A8 '"name": "set"' "$TMP/env/meta.json" | tr -d '\n ' | grep -q '"base":"glibc","settings":{"BENCH_TEST_SETTING":"42"}' &&
        pass configured_backend_recorded_in_meta || fail configured_backend_recorded_in_meta "$(grep -A8 '"name": "set"' "$TMP/env/meta.json")"
    if "$BENCH" list | grep -E "^  jemalloc " | grep -q "not found"; then
        echo "SKIP jemalloc_bg_runs_jemalloc_with_background_thread: libjemalloc2 not installed"; return
    fi
    "$TBENCH" run --quick --backends jemalloc,jemalloc-bg --workloads test_env --out "$TMP/bg" >/dev/null 2>&1
    [ "$(csv_rows "$TMP/bg/results.csv" jemalloc-bg test_env jemalloc_background_thread | cut -d, -f6)" = 1 ] &&
        [ "$(csv_rows "$TMP/bg/results.csv" jemalloc test_env jemalloc_background_thread | cut -d, -f6)" = 0 ] &&
        pass jemalloc_bg_runs_jemalloc_with_background_thread ||
        fail jemalloc_bg_runs_jemalloc_with_background_thread "$(grep background "$TMP/bg/results.csv")"
}
test_bad_configuration() {
    expect_exit configured_setting_without_equals_exits_2 2 "$BENCH" run --backends "x=glibc+NOVALUE" --out "$TMP/c1" &&
        grep -q "not ENV=VALUE" "$TMP/err" && [ ! -e "$TMP/c1" ] || fail configured_setting_without_equals_says_why "$(cat "$TMP/err")"
    expect_exit configured_empty_name_exits_2 2 "$BENCH" run --backends "=glibc+A=1" --out "$TMP/c2"
    expect_exit configured_unknown_base_exits_2 2 "$BENCH" run --backends "x=nosuchbase+A=1" --out "$TMP/c3" &&
        grep -q "unknown base backend 'nosuchbase'" "$TMP/err" || fail configured_unknown_base_says_why "$(cat "$TMP/err")"
}

# ---- Failures are classified, the matrix carries on ----
test_crash_timeout_corrupt() {
    "$TBENCH" run --quick --backends glibc --timeout 2 \
        --workloads alloc_free,test_abort,test_hang,test_corrupt,test_crash_at_exit,batch \
        --out "$TMP/fail" >"$TMP/fail.out" 2>&1
    local rc=$? f="$TMP/fail/results.csv"
    [[ "$(csv_rows "$f" glibc test_abort run)" == *crashed*"signal 6"* ]] && pass abort_is_crashed_with_signal || fail abort_is_crashed_with_signal "$(csv_rows "$f" glibc test_abort run)"
    [[ "$(csv_rows "$f" glibc test_hang run)" == *timeout* ]] && pass hang_is_timeout || fail hang_is_timeout "$(csv_rows "$f" glibc test_hang run)"
    [[ "$(csv_rows "$f" glibc test_corrupt run)" == *corrupt*"byte 7"* ]] && pass content_check_is_corrupt || fail content_check_is_corrupt "$(csv_rows "$f" glibc test_corrupt run)"
    [[ "$(csv_rows "$f" glibc test_crash_at_exit run)" == *crashed* ]] && pass crash_at_exit_is_crashed || fail crash_at_exit_is_crashed "$(csv_rows "$f" glibc test_crash_at_exit run)"
    [ -n "$(csv_rows "$f" glibc alloc_free wall_ms)" ] && [ -n "$(csv_rows "$f" glibc batch free_ms)" ] && pass failures_do_not_stop_the_matrix || fail failures_do_not_stop_the_matrix "ok workloads missing"
    [ "$rc" -eq 1 ] && pass failed_runs_exit_1 || fail failed_runs_exit_1 "exit $rc"
    [[ "$(summary_field "$TMP/fail/summary.csv" glibc test_hang run runs)" == "timeout=1" ]] && pass summary_lists_failed_cells || fail summary_lists_failed_cells "$(cat "$TMP/fail/summary.csv")"
    cat "$TMP"/fail/logs/*test_abort* 2>/dev/null | grep -q "aborting now" && pass crashed_run_keeps_its_log || fail crashed_run_keeps_its_log "no log"
}

# ---- Output schema and parameters ----
test_schema_and_params() {
    "$BENCH" run --quick --reps 2 --backends glibc --workloads alloc_free,batch --param alloc_free.iterations=1234 --out "$TMP/s" >"$TMP/s.out" 2>&1
    [ "$(head -1 "$TMP/s/results.csv" | cut -d, -f1-8)" = "backend,workload,threads,rep,metric,value,unit,status" ] && pass results_header_exact || fail results_header_exact "$(head -1 "$TMP/s/results.csv")"
    [ "$(head -1 "$TMP/s/summary.csv")" = "backend,workload,threads,metric,unit,n,median,min,max,baseline,ratio,ci_low,ci_high,verdict,pairs,runs" ] && pass summary_header_exact || fail summary_header_exact "$(head -1 "$TMP/s/summary.csv")"
    local m; for m in wall_ms user_ms sys_ms peak_rss_kib minor_faults; do
        [ "$(csv_rows "$TMP/s/results.csv" glibc alloc_free $m | wc -l)" = 2 ] || { fail every_run_has_core_metrics "$m"; return; }
    done; pass every_run_has_core_metrics
    [ -n "$(csv_rows "$TMP/s/results.csv" glibc batch alloc_ms)" ] && [ -n "$(csv_rows "$TMP/s/results.csv" glibc batch free_ms)" ] && pass batch_reports_both_phases || fail batch_reports_both_phases "no alloc_ms/free_ms"
    # the params column (9) only: a measured value of batch's may hold the digits 1234
    awk -F, '$1=="glibc" && $2=="alloc_free" && $9 ~ /iterations=1234/ {found=1} END {exit !found}' "$TMP/s/results.csv" &&
        ! awk -F, '$1=="glibc" && $2=="batch" && $9 ~ /1234/ {found=1} END {exit !found}' "$TMP/s/results.csv" && pass param_applies_to_named_workload_and_is_recorded || fail param_applies_to_named_workload_and_is_recorded "params column"
    grep -q '"seed": 1' "$TMP/s/meta.json" && grep -q '"glibc_version"' "$TMP/s/meta.json" && grep -q '"command_line"' "$TMP/s/meta.json" && grep -q '"end_time": "2' "$TMP/s/meta.json" && pass meta_json_records_run || fail meta_json_records_run "$(head -c 400 "$TMP/s/meta.json")"
    grep -q '^\[ *1/' "$TMP/s.out" && grep -q 'glibc alloc_free rep 1: [0-9.]* ms' "$TMP/s.out" && pass progress_line_per_run || fail progress_line_per_run "$(head -3 "$TMP/s.out")"
    grep -q 'glibc alloc_free warm-up: [0-9][0-9.]* ms' "$TMP/s.out" && pass warmup_progress_shows_its_sample_time || fail warmup_progress_shows_its_sample_time "$(grep warm-up "$TMP/s.out" | head -2)"
    cp "$TMP/s/summary.csv" "$TMP/s/summary.first"
    "$BENCH" summarize "$TMP/s" >/dev/null && cmp -s "$TMP/s/summary.csv" "$TMP/s/summary.first" && pass summarize_recomputes_same_summary || fail summarize_recomputes_same_summary "differs"
}

test_summary_fixture() {
    mkdir -p "$TMP/fx" && cp tests/fixtures/results-basic.csv "$TMP/fx/results.csv"
    "$BENCH" summarize "$TMP/fx" >/dev/null || { fail summary_fixture_runs "summarize failed"; return; }
    local s="$TMP/fx/summary.csv"
    [ "$(summary_field "$s" glibc alloc_free wall_ms median)" = 11 ] && pass summary_median_odd || fail summary_median_odd "$(summary_field "$s" glibc alloc_free wall_ms median)"
    [ "$(summary_field "$s" custom alloc_free wall_ms median)" = 6 ] && pass summary_median_skips_failed_reps || fail summary_median_skips_failed_reps "$(summary_field "$s" custom alloc_free wall_ms median)"
    [ "$(summary_field "$s" custom alloc_free wall_ms min)/$(summary_field "$s" custom alloc_free wall_ms max)/$(summary_field "$s" custom alloc_free wall_ms n)" = 5/7/3 ] && pass summary_min_max_n || fail summary_min_max_n "row: $(grep '^custom,alloc_free,1,wall_ms' "$s")"
    # custom's reps 1 and 2 pair with glibc's (5/10, 7/12); its rep 4 has no partner
    [ "$(summary_field "$s" custom alloc_free wall_ms ratio)/$(summary_field "$s" custom alloc_free wall_ms pairs)" = 0.5416666667/2 ] && pass summary_ratio_is_median_of_paired_rounds || fail summary_ratio_is_median_of_paired_rounds "$(summary_field "$s" custom alloc_free wall_ms ratio)"
    [ "$(summary_field "$s" custom alloc_free peak_rss_kib ratio)/$(summary_field "$s" custom alloc_free peak_rss_kib pairs)" = 0.5/0 ] && pass summary_unpaired_ratio_of_medians || fail summary_unpaired_ratio_of_medians "$(grep '^custom,alloc_free,1,peak' "$s")"
    [ "$(summary_field "$s" custom alloc_free wall_ms runs)" = "ok=3;crashed=1" ] && pass summary_counts_statuses_per_rep || fail summary_counts_statuses_per_rep "$(summary_field "$s" custom alloc_free wall_ms runs)"
    [ "$(summary_field "$s" jemalloc alloc_free run runs)" = "missing=2" ] && pass summary_keeps_missing_backend || fail summary_keeps_missing_backend "$(cat "$s")"
    [ -z "$(summary_field "$s" mimalloc multithread wall_ms ratio)" ] && pass summary_no_ratio_without_baseline_cell || fail summary_no_ratio_without_baseline_cell "ratio present"
    [ "$(summary_field "$s" glibc alloc_free wall_ms baseline)/$(summary_field "$s" glibc alloc_free wall_ms verdict)" = glibc/baseline ] && pass summary_names_its_baseline || fail summary_names_its_baseline "$(grep '^glibc,alloc_free,1,wall' "$s")"
    [ "$(summary_field "$s" custom alloc_free peak_rss_kib median)" = 1000 ] && pass summary_single_value_metric || fail summary_single_value_metric "peak rss"
}

test_bad_results_file() {
    mkdir -p "$TMP/bad" && echo "a,b,c" >"$TMP/bad/results.csv"
    expect_exit summarize_rejects_wrong_header 2 "$BENCH" summarize "$TMP/bad"
}

test_interrupt_keeps_rows() {
    "$TBENCH" run --backends glibc --reps 20 --workloads alloc_free,test_hang --timeout 1 --out "$TMP/int" >"$TMP/int.out" 2>&1 &
    local pid=$!
    for _ in $(seq 100); do grep -q "alloc_free rep 2" "$TMP/int.out" 2>/dev/null && break; sleep 0.1; done
    sleep 0.5; kill -INT $pid; wait $pid; local rc=$?
    [ "$rc" -eq 130 ] && [ -n "$(csv_rows "$TMP/int/results.csv" glibc alloc_free wall_ms)" ] && [ -s "$TMP/int/summary.csv" ] &&
        grep -q '"interrupted": true' "$TMP/int/meta.json" && pass interrupt_keeps_finished_rows || fail interrupt_keeps_finished_rows "rc=$rc"
}

test_binary_replaced_mid_run() {
    mkdir -p "$TMP/copy" && cp "$BENCH" "$TMP/copy/bench"
    "$TMP/copy/bench" run --backends glibc --reps 20 --workloads alloc_free:iterations=3000000 --out "$TMP/moved" >"$TMP/moved.out" 2>&1 &
    local pid=$!
    for _ in $(seq 200); do grep -q "warm-up" "$TMP/moved.out" 2>/dev/null && break; sleep 0.02; done
    rm -f "$TMP/copy/bench"   # what a rebuild does to the old binary
    wait $pid; local rc=$?
    [ "$rc" -eq 0 ] && [ "$(csv_rows "$TMP/moved/results.csv" glibc alloc_free:iterations=3000000 wall_ms | wc -l)" = 20 ] &&
        pass binary_replaced_mid_run_still_runs || fail binary_replaced_mid_run_still_runs "rc=$rc $(tail -3 "$TMP/moved.out")"
}

test_help; test_unknown_flag; test_unknown_backend; test_unknown_workload; test_bad_param_value
test_param_out_of_range; test_unknown_param; test_bad_choice; test_bad_reps; test_out_not_empty
test_run_all_bad_flag; test_backend_detection; test_fake_preload; test_missing_library
test_configured_backends; test_bad_configuration
test_crash_timeout_corrupt; test_schema_and_params; test_summary_fixture; test_bad_results_file
test_interrupt_keeps_rows; test_binary_replaced_mid_run
