#!/usr/bin/env bash
# Tests of the workload library (issue 5): every workload runs in a tiny
# configuration and ends ok; its content checks turn an allocator that
# corrupts memory into status `corrupt`; --latency adds ordered percentiles;
# timeline.csv is written; real programs are verified and output-compared,
# and each way a program can end has its status; suites select workloads.
# One line per fact: PASS name / FAIL name: why / SKIP name: why.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
BENCH=build/bench
TBENCH=build/tests/bench-test   # bench plus the test workloads of tests/workloads/
[ -x "$BENCH" ] && [ -x "$TBENCH" ] && [ -f build/libbenchprobe.so ] || { echo "FAIL setup: run make first"; exit 1; }

rows() { awk -F, -v b="$2" -v w="$3" -v m="$4" '$1==b && $2==w && $5==m' "$1"; }
value() { rows "$@" | head -1 | cut -d, -f6; }
status_of() { awk -F, -v b="$2" -v w="$3" 'NR>1 && $1==b && $2==w {print $8; exit}' "$1"; }

# Tiny configurations, each running in well under a second: every
# workload declares its own (`.tiny` in its registration; `bench list --tiny`).
mapfile -t TINY < <("$BENCH" list --tiny | grep -v ' (no tiny form)$')
# The real programs: the suite `programs`, from the workloads' registrations.
suite_members() { "$BENCH" list | awk '/^Suites/,/^Backends/' | grep -A1 "^  $1 " | tail -1 | tr ' ' '\n' | sed 's/@.*//' | grep -v '^$'; }
mapfile -t PROGRAMS < <(suite_members programs)
SERVERS=" prog_redis prog_memcached "
NAMES=(); for t in "${TINY[@]}"; do NAMES+=("${t%%:*}"); done
tiny_of() { local t; for t in "${TINY[@]}"; do [ "${t%%:*}" = "$1" ] && echo "$t"; done; }
join() { local IFS=,; echo "$*"; }

# ---- Every workload runs and ends ok under glibc ----
"$BENCH" run --quick --reps 1 --backends glibc --workloads "$(join "${TINY[@]}")" --out "$TMP/ok" >"$TMP/ok.out" 2>&1
ok_rc=$?
R="$TMP/ok/results.csv"
test_each_workload_ok() {
    local t w st
    for t in "${TINY[@]}"; do
        w=${t%%:*}; st=$(status_of "$R" glibc "$t")
        [ "$st" = ok ] && [ -n "$(value "$R" glibc "$t" wall_ms)" ] && pass "${w}_runs_ok_under_glibc" ||
            fail "${w}_runs_ok_under_glibc" "status '$st': $(rows "$R" glibc "$t" run | cut -d, -f10 | head -c 300)"
    done
    [ "$ok_rc" -eq 0 ] && pass tiny_run_exits_0 || fail tiny_run_exits_0 "exit $ok_rc"
}

test_every_workload_file_is_tested() {
    local without; without=$("$BENCH" list --tiny | grep ' (no tiny form)$' | cut -d' ' -f1 | tr '\n' ' ')
    [ -z "$without" ] && pass every_workload_declares_a_tiny_form || fail every_workload_declares_a_tiny_form "none for: $without"
    [ "${#TINY[@]}" = "$(ls workloads/*.c | wc -l)" ] && pass every_workload_file_is_registered_and_tested ||
        fail every_workload_file_is_registered_and_tested "${#TINY[@]} tiny forms for $(ls workloads/*.c | wc -l) files"
}

test_metrics() {
    local w u
    for w in larson random_churn; do
        u=$(rows "$R" glibc "$(tiny_of $w)" ops_per_s | cut -d, -f7)
        [ "$u" = ops/s ] && awk "BEGIN{exit !($(value "$R" glibc "$(tiny_of $w)" ops_per_s) > 0)}" &&
            pass "${w}_reports_ops_per_s" || fail "${w}_reports_ops_per_s" "unit '$u'"
    done
    local f; f=$(tiny_of fragmentation); local m all=1
    for m in rss_alloc_kib rss_freed_kib rss_realloc_kib live_freed_kib rss_per_live_freed rss_per_live_realloc; do
        [ -n "$(value "$R" glibc "$f" $m)" ] || { all=0; fail fragmentation_reports_rss_per_phase "no $m"; break; }
    done
    [ $all = 1 ] && pass fragmentation_reports_rss_per_phase
    # 90% of the blocks freed: at least 5x as much resident as live (nothing is given back that soon)
    awk "BEGIN{exit !($(value "$R" glibc "$f" rss_per_live_freed) > 1)}" && pass fragmentation_rss_per_live_above_1 ||
        fail fragmentation_rss_per_live_above_1 "$(value "$R" glibc "$f" rss_per_live_freed)"
    local s n; s=$(tiny_of size_sweep)
    n=$(awk -F, -v w="$s" '$2==w && $5 ~ /^ns_per_pair_[0-9]+$/ && $7=="ns"' "$R" | wc -l)
    [ "$n" -eq 27 ] && [ -n "$(value "$R" glibc "$s" ns_per_pair_8)" ] && [ -n "$(value "$R" glibc "$s" ns_per_pair_49152)" ] &&
        [ -n "$(value "$R" glibc "$s" ns_per_pair_65536)" ] && pass size_sweep_one_metric_per_size_8_to_65536 ||
        fail size_sweep_one_metric_per_size_8_to_65536 "$n ns_per_pair_* rows"
    for m in grow1_ms shrink1_ms double_ms; do
        [ -n "$(value "$R" glibc "$(tiny_of realloc_growth)" $m)" ] || { fail realloc_growth_reports_phases "no $m"; return; }
    done; pass realloc_growth_reports_phases
    [ -z "$(awk -F, '$5 ~ /_p50_ns$/' "$R")" ] && pass no_latency_metrics_without_the_flag || fail no_latency_metrics_without_the_flag "p50 rows present"
}

# ---- Timeline ----
test_timeline() {
    local T="$TMP/ok/timeline.csv"
    [ "$(head -1 "$T")" = "backend,workload,threads,rep,t_ms,rss_kib" ] && pass timeline_header_exact || fail timeline_header_exact "$(head -1 "$T" 2>&1)"
    # random_churn runs a fixed 30 ms: samples at 10 and 20 ms at least.
    local w; w=$(tiny_of random_churn)
    local n; n=$(awk -F, -v w="$w" '$1=="glibc" && $2==w && $4==1 && $6>0' "$T" | wc -l)
    [ "$n" -ge 2 ] && pass timeline_samples_a_run_every_10ms || fail timeline_samples_a_run_every_10ms "$n rows for $w"
    w=$(tiny_of fragmentation)
    awk -F, -v w="$w" '$2==w {print $6}' "$T" | sort -n | tail -1 | awk '{exit !($1 > 8192)}' &&
        pass timeline_sees_fragmentation_memory || fail timeline_sees_fragmentation_memory "max rss below 8 MiB"
    awk -F, 'NR>1 { k=$1","$2","$3","$4; if (k in last && $5 < last[k]) bad=1; last[k]=$5 } END {exit bad}' "$T" &&
        pass timeline_time_never_goes_back || fail timeline_time_never_goes_back "t_ms decreases within a run"
    local g; g=$(tiny_of prog_gcc)
    awk -F, -v w="$g" '$2==w {print $6}' "$T" | sort -n | tail -1 | awk '{exit !($1 > 10000)}' &&
        pass timeline_follows_a_program_and_its_children || fail timeline_follows_a_program_and_its_children "gcc+cc1 under 10 MB"
}

# ---- Real programs ----
test_programs() {
    local w p
    for w in "${PROGRAMS[@]}"; do
        p=$(value "$R" glibc "$(tiny_of $w)" program_processes)
        [ -n "$p" ] && [ "${p%.*}" -ge 1 ] && pass "${w}_allocator_verified_inside" || fail "${w}_allocator_verified_inside" "program_processes '$p'"
        case $SERVERS in *" $w "*) continue ;; esac   # a server's output is its rates: no reference
        ls "$TMP/ok/programs/${w}"_*glibc-reference.out >/dev/null 2>&1 && pass "${w}_output_kept_as_reference" ||
            fail "${w}_output_kept_as_reference" "no reference in programs/"
    done
    p=$(value "$R" glibc "$(tiny_of prog_gcc)" program_processes)
    [ "${p%.*}" -ge 2 ] && pass gcc_driver_and_cc1_both_verified || fail gcc_driver_and_cc1_both_verified "$p processes"
    # Under another allocator: verified inside, output equal to glibc's.
    local b=""; for x in jemalloc mimalloc tcmalloc; do "$BENCH" list | grep -E "^  $x " | grep -vq "not found" && { b=$x; break; }; done
    if [ -z "$b" ]; then skip programs_under_another_allocator "no jemalloc, mimalloc or tcmalloc"; return; fi
    "$BENCH" run --quick --reps 1 --backends glibc,$b --workloads "$(tiny_of prog_python),$(tiny_of prog_gcc)" --out "$TMP/prog" >/dev/null 2>&1
    for w in prog_python prog_gcc; do
        [ "$(status_of "$TMP/prog/results.csv" $b "$(tiny_of $w)")" = ok ] && pass "${w}_ok_under_${b}_same_output_as_glibc" ||
            fail "${w}_ok_under_${b}_same_output_as_glibc" "$(rows "$TMP/prog/results.csv" $b "$(tiny_of $w)" run)"
    done
}

# Every real program ends ok under the project's allocator too (the tiny run above is glibc's).
test_programs_under_custom() {
    local list=() w st
    for w in "${PROGRAMS[@]}"; do list+=("$(tiny_of $w)"); done
    "$BENCH" run --quick --reps 1 --backends custom --workloads "$(join "${list[@]}")" --out "$TMP/custom" >/dev/null 2>&1
    for w in "${PROGRAMS[@]}"; do
        st=$(status_of "$TMP/custom/results.csv" custom "$(tiny_of $w)")
        [ "$st" = ok ] && pass "${w}_runs_ok_under_custom" ||
            fail "${w}_runs_ok_under_custom" "status '$st': $(rows "$TMP/custom/results.csv" custom "$(tiny_of $w)" run | cut -d, -f10 | head -c 300)"
    done
}

test_server_metrics() {
    local r; r=$(tiny_of prog_redis)
    local c bad=""
    for c in set get lpush lpop lrange_100; do
        awk "BEGIN{exit !($(value "$R" glibc "$r" requests_per_s_$c) > 0)}" 2>/dev/null || bad="$bad $c"
    done
    [ -z "$bad" ] && [ "$(rows "$R" glibc "$r" requests_per_s_get | cut -d, -f7)" = requests/s ] &&
        pass redis_reports_requests_per_s_per_command || fail redis_reports_requests_per_s_per_command "missing:$bad"
    local m; m=$(tiny_of prog_memcached)
    awk "BEGIN{exit !($(value "$R" glibc "$m" ops_per_s) > 0)}" 2>/dev/null && [ "$(value "$R" glibc "$m" get_misses)" = 0 ] &&
        pass memcached_reports_ops_per_s || fail memcached_reports_ops_per_s "$(rows "$R" glibc "$m" ops_per_s)"
}

# The ways a server can end, with a stand-in server (tests/workloads/programs.c).
test_server_endings() {
    "$TBENCH" run --reps 1 --timeout 30 --backends glibc,"set=build/libcustomalloc.so+BENCH_TEST_SETTING=1" \
        --workloads test_server_dies,test_server_exit3,test_server_leaves,test_server_client_fails,test_server_ok \
        --out "$TMP/srv" >/dev/null 2>&1
    local f="$TMP/srv/results.csv" d port pid
    d=$(rows "$f" glibc test_server_dies run)
    [[ "$d" == *crashed*"signal 11"*"during the run"* ]] && pass server_dying_mid_run_is_crashed || fail server_dying_mid_run_is_crashed "$d"
    port=$(sed -n 's/.*port \([0-9]*\)).*/\1/p' <<<"$d" | head -1); pid=$(sed -n 's/.*(pid \([0-9]*\),.*/\1/p' <<<"$d" | head -1)
    if [ -z "$port" ] || (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        fail server_port_free_after_crash "port '$port' still accepts"
    else pass server_port_free_after_crash; fi
    [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null && pass server_gone_after_crash || fail server_gone_after_crash "pid '$pid' alive"
    [[ "$(rows "$f" glibc test_server_exit3 run)" == *error*"status 3 when stopped"* ]] && pass server_exit_status_checked ||
        fail server_exit_status_checked "$(rows "$f" glibc test_server_exit3 run)"
    [[ "$(rows "$f" glibc test_server_leaves run)" == *error*"still running"* ]] && pass server_leftover_process_is_error ||
        fail server_leftover_process_is_error "$(rows "$f" glibc test_server_leaves run)"
    [[ "$(rows "$f" glibc test_server_client_fails run)" == *error*"load client"*"status 4"* ]] && pass server_client_failure_is_error ||
        fail server_client_failure_is_error "$(rows "$f" glibc test_server_client_fails run)"
    # Its client fails if it sees the backend's preload or settings.
    [ "$(status_of "$f" set test_server_ok)" = ok ] && pass server_client_runs_without_the_backend ||
        fail server_client_runs_without_the_backend "$(rows "$f" set test_server_ok run)"
}

test_program_endings() {
    "$TBENCH" run --reps 1 --backends glibc --workloads test_prog_missing,test_prog_fails,test_prog_crashes,test_prog_changes,alloc_free \
        --out "$TMP/end" >/dev/null 2>&1
    local rc=$? f="$TMP/end/results.csv"
    [[ "$(rows "$f" glibc test_prog_missing run)" == *missing*"not installed"* ]] && pass program_not_installed_is_missing || fail program_not_installed_is_missing "$(rows "$f" glibc test_prog_missing run)"
    [[ "$(rows "$f" glibc test_prog_fails run)" == *error*"status 3"* ]] && pass program_exit_status_is_error || fail program_exit_status_is_error "$(rows "$f" glibc test_prog_fails run)"
    [[ "$(rows "$f" glibc test_prog_crashes run)" == *crashed*"signal 11"* ]] && pass program_killed_is_crashed || fail program_killed_is_crashed "$(rows "$f" glibc test_prog_crashes run)"
    [[ "$(rows "$f" glibc test_prog_changes run)" == *corrupt*"differs from its output under glibc"* ]] && pass program_output_mismatch_is_corrupt || fail program_output_mismatch_is_corrupt "$(rows "$f" glibc test_prog_changes run)"
    [ "$(status_of "$f" glibc alloc_free)" = ok ] && [ "$rc" -eq 1 ] && pass program_failures_do_not_stop_the_matrix || fail program_failures_do_not_stop_the_matrix "rc=$rc"
}

# ---- Content checks catch a corrupting allocator ----
test_corruption() {
    if ! cc -std=c11 -O2 -Wall -Wextra -Werror -fPIC -shared -pthread -o "$TMP/libcorrupting.so" tests/shim/corrupting.c 2>"$TMP/cc.err"; then
        fail corrupting_shim_builds "$(head -c 300 "$TMP/cc.err")"; return
    fi
    local shim="corrupting=$TMP/libcorrupting.so" w list=()
    for w in producer_consumer larson cache_scratch thread_churn random_churn realloc_growth large fragmentation replay; do list+=("$(tiny_of $w)"); done
    "$BENCH" run --quick --reps 1 --backends "$shim" --workloads "alloc_free,$(join "${list[@]}")" --out "$TMP/bad" >/dev/null 2>&1
    local f="$TMP/bad/results.csv"
    # alloc_free keeps no data: the shim leaves the harness itself alone.
    [ "$(status_of "$f" corrupting alloc_free)" = ok ] && pass corrupting_shim_leaves_the_harness_alone || fail corrupting_shim_leaves_the_harness_alone "$(rows "$f" corrupting alloc_free run)"
    local t st
    for t in "${list[@]}"; do
        st=$(status_of "$f" corrupting "$t")
        [ "$st" = corrupt ] && [ -z "$(rows "$f" corrupting "$t" wall_ms)" ] && pass "${t%%:*}_content_check_catches_corruption" ||
            fail "${t%%:*}_content_check_catches_corruption" "status '$st' $(rows "$f" corrupting "$t" run | cut -d, -f10)"
    done
    # cache_thrash keeps each block only between its malloc and free, with no
    # allocator call in between; an allocator that hands overlapping memory
    # to two threads is caught when both threads write at once (the shim
    # pairs their mallocs; on a machine with one free core they may not).
    BENCH_CORRUPT_MODE=overlap "$BENCH" run --quick --reps 1 --backends "$shim" --threads 2 \
        --workloads cache_thrash:objects=5000:writes=5000 --out "$TMP/bad2" >/dev/null 2>&1
    st=$(status_of "$TMP/bad2/results.csv" corrupting cache_thrash:objects=5000:writes=5000)
    if [ "$st" = corrupt ]; then pass cache_thrash_content_check_catches_overlap
    elif [ "$st" = ok ]; then skip cache_thrash_content_check_catches_overlap "the two threads never wrote at once ($(rows "$TMP/bad2/results.csv" corrupting cache_thrash:objects=5000:writes=5000 wall_ms | cut -d, -f3,6,9))"
    else fail cache_thrash_content_check_catches_overlap "status '$st'"; fi
}

# ---- Latency ----
test_latency() {
    "$BENCH" run --quick --reps 1 --latency --backends glibc \
        --workloads "$(tiny_of producer_consumer),$(tiny_of larson),$(tiny_of realloc_growth),$(tiny_of size_sweep)" \
        --out "$TMP/lat" >/dev/null 2>&1
    local f="$TMP/lat/results.csv" w k bad=""
    check_kind() { # WORKLOAD KIND: four percentiles present, in order
        local p50 p99 p999 max
        p50=$(value "$f" glibc "$1" "$2_p50_ns"); p99=$(value "$f" glibc "$1" "$2_p99_ns")
        p999=$(value "$f" glibc "$1" "$2_p999_ns"); max=$(value "$f" glibc "$1" "$2_max_ns")
        [ -n "$p50" ] && [ -n "$p99" ] && [ -n "$p999" ] && [ -n "$max" ] &&
            awk "BEGIN{exit !(0 <= $p50 && $p50 <= $p99 && $p99 <= $p999 && $p999 <= $max)}"
    }
    check_kind "$(tiny_of size_sweep)" malloc && check_kind "$(tiny_of size_sweep)" free && pass latency_malloc_and_free_percentiles_ordered ||
        fail latency_malloc_and_free_percentiles_ordered "$(awk -F, '$5 ~ /_ns$/ {print $5"="$6}' "$f" | grep -v ns_per | head -8 | tr '\n' ' ')"
    check_kind "$(tiny_of producer_consumer)" malloc && check_kind "$(tiny_of producer_consumer)" free_remote &&
        [ -z "$(value "$f" glibc "$(tiny_of producer_consumer)" free_p50_ns)" ] && pass latency_remote_frees_reported_as_free_remote ||
        fail latency_remote_frees_reported_as_free_remote "producer_consumer rows"
    check_kind "$(tiny_of larson)" free && check_kind "$(tiny_of larson)" free_remote && pass latency_local_and_remote_frees_apart ||
        fail latency_local_and_remote_frees_apart "larson rows"
    check_kind "$(tiny_of realloc_growth)" realloc && pass latency_realloc_percentiles || fail latency_realloc_percentiles "realloc_growth rows"
    [ -n "$(value "$f" glibc "$(tiny_of size_sweep)" timer_overhead_ns)" ] && [ -n "$(value "$f" glibc "$(tiny_of size_sweep)" timer_resolution_ns)" ] &&
        pass latency_reports_timer_overhead_and_resolution || fail latency_reports_timer_overhead_and_resolution "no timer_* rows"
    [ "$(rows "$f" glibc "$(tiny_of size_sweep)" malloc_p99_ns | cut -d, -f7)" = ns ] && pass latency_unit_is_ns || fail latency_unit_is_ns "unit"
    ./run_all.sh --help | grep -q -- --latency && pass run_all_has_latency_flag || fail run_all_has_latency_flag "not in --help"
}

# ---- Suites ----
test_suites() {
    local out; out=$("$BENCH" list)
    local w s missing="" all_suites
    all_suites=$(awk '/^Suites/,/^Backends/' <<<"$out")
    for w in "${NAMES[@]}"; do
        grep -qE "(^| )$w([:@ ]|\$)" <<<"$all_suites" || missing="$missing $w"
    done
    [ -z "$missing" ] && pass every_workload_is_in_a_suite || fail every_workload_is_in_a_suite "in none:$missing"
    missing=""
    for s in article library programs; do
        for w in $(suite_members "$s"); do suite_members full | grep -qx "$w" || missing="$missing $w"; done
    done
    [ -z "$missing" ] && pass suite_full_unites_article_library_programs || fail suite_full_unites_article_library_programs "missing:$missing"
    grep -q "multithread@1,2,4,8" <<<"$(suite_members full | tr '\n' ' ') $(awk '/^  full /{getline; print}' <<<"$out")" && pass suite_full_sweeps_multithread || fail suite_full_sweeps_multithread "not in bench list"
    grep -q "random_churn@1,2,4,8" <<<"$out" && pass suite_runs_random_churn_at_1_2_4_8_threads || fail suite_runs_random_churn_at_1_2_4_8_threads "not in bench list"
    "$BENCH" run --suite nosuch --out "$TMP/s1" >/dev/null 2>"$TMP/s1.err"
    [ $? -eq 2 ] && grep -q "unknown suite" "$TMP/s1.err" && [ ! -e "$TMP/s1" ] && pass unknown_suite_exits_2 || fail unknown_suite_exits_2 "$(cat "$TMP/s1.err")"
    "$BENCH" run --workloads "producer_consumer:count=0" --out "$TMP/s3" >/dev/null 2>&1
    [ $? -eq 2 ] && pass new_workload_params_validated || fail new_workload_params_validated "count=0 accepted"
}

test_each_workload_ok
test_every_workload_file_is_tested
test_metrics
test_timeline
test_programs
test_programs_under_custom
test_server_metrics
test_server_endings
test_program_endings
test_corruption
test_latency
test_suites
