#!/usr/bin/env bash
# Tests of running beyond one machine (issue 13): `bench plan` (the same plan
# from the same flags, every group once, shards that partition it and warm
# up what they run, balance by cost, the run's validation), `bench run
# --shard`, `bench merge` of shards (complete, missing, duplicated, of
# different plans), cluster/parallel.sh over `--sshlogin :` and over an ssh
# stand-in with two "hosts", and cluster/slurm.sh's jobs as submitted (to an
# sbatch stand-in; tests/cluster_slurm.sh runs them on a real one-node Slurm
# cluster, `make test-cluster`). One line per fact.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
BENCH=build/bench
[ -x "$BENCH" ] || { echo "FAIL setup: run make first"; exit 1; }
. tests/cluster/lib.sh
# Small and quick: 5 cases, 2 backends, 1 rep; 5 measured groups.
RUN=(--quick --suite article --backends glibc,custom --quiet)

# plan.csv's rows as round,workload,threads (the group without its shard)
groups_of() { awk -F, -v r="${2:-}" 'NR>1 && (r=="" || ($3>0) == (r>0)) {print $3","$4","$5}' "$1"; }

# ---- bench plan ----
test_plan() {
    "$BENCH" plan "${RUN[@]}" --out "$TMP/p1.csv" 2>"$TMP/p1.err"
    "$BENCH" plan "${RUN[@]}" --out "$TMP/p2.csv" 2>"$TMP/p2.err"
    cmp -s "$TMP/p1.csv" "$TMP/p2.csv" && cmp -s "$TMP/p1.err" "$TMP/p2.err" &&
        pass same_flags_give_the_same_plan_and_hash || fail same_flags_give_the_same_plan_and_hash "$(diff "$TMP/p1.err" "$TMP/p2.err")"
    "$BENCH" plan "${RUN[@]}" --seed 2 --out "$TMP/p3.csv" 2>/dev/null
    [ "$(groups_of "$TMP/p1.csv" 1)" != "$(groups_of "$TMP/p3.csv" 1)" ] &&
        pass seed_shuffles_the_plan || fail seed_shuffles_the_plan "seed 1 and 2 give the same order"
    local rows rounds
    rows=$(groups_of "$TMP/p1.csv" | sort | uniq -d | wc -l)
    rounds=$(awk -F, 'NR>1 {print $3}' "$TMP/p1.csv" | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}')
    [ "$(groups_of "$TMP/p1.csv" | wc -l)" = 10 ] && [ "$rows" = 0 ] && [ "$rounds" = "0:5 1:5 " ] &&
        pass plan_lists_every_case_in_every_round_warmup_included || fail plan_lists_every_case_in_every_round_warmup_included "$rounds / $(wc -l <"$TMP/p1.csv") lines"
    "$BENCH" plan "${RUN[@]}" >"$TMP/p4.csv" 2>/dev/null
    cmp -s "$TMP/p1.csv" "$TMP/p4.csv" && pass plan_without_out_goes_to_stdout || fail plan_without_out_goes_to_stdout "$(head -2 "$TMP/p4.csv")"
}

test_plan_shards() {
    "$BENCH" plan "${RUN[@]}" --shard 1/4 --out "$TMP/s4.csv" 2>/dev/null
    diff <(groups_of "$TMP/p1.csv" 1) <(groups_of "$TMP/s4.csv" 1) >/dev/null &&
        pass shards_take_every_measured_group_once_in_the_same_order || fail shards_take_every_measured_group_once_in_the_same_order "$(diff <(groups_of "$TMP/p1.csv" 1) <(groups_of "$TMP/s4.csv" 1) | head -3)"
    [ "$(awk -F, 'NR>1 && $3>0 {print $2}' "$TMP/s4.csv" | sort -u | tr '\n' ' ')" = "1 2 3 4 " ] &&
        pass every_shard_has_groups || fail every_shard_has_groups "$(cut -d, -f2,3 "$TMP/s4.csv" | tr '\n' ' ')"
    local s ok=1
    for s in 1 2 3 4; do
        [ "$(awk -F, -v s=$s 'NR>1 && $2==s && $3==0 {print $4"@"$5}' "$TMP/s4.csv" | sort)" = \
          "$(awk -F, -v s=$s 'NR>1 && $2==s && $3>0 {print $4"@"$5}' "$TMP/s4.csv" | sort -u)" ] || ok=0
    done
    [ "$ok" = 1 ] && pass each_shard_warms_up_exactly_the_cases_it_measures || fail each_shard_warms_up_exactly_the_cases_it_measures "$(cut -d, -f2-5 "$TMP/s4.csv" | tr '\n' ' ')"
    [ "$(awk -F, 'NR>2 && $1+0 < p {bad=1} NR>1 {p=$1+0} END {print bad+0}' "$TMP/s4.csv")" = 0 ] &&
        pass warmup_rows_come_first_in_group_order || fail warmup_rows_come_first_in_group_order "$(cut -d, -f1-3 "$TMP/s4.csv" | tr '\n' ' ')"
    expect_said more_shards_than_groups_refused 2 "at most 5 shards" "$BENCH" plan "${RUN[@]}" --shard 1/6
    expect_said bad_shard_refused 2 "I/N" "$BENCH" plan "${RUN[@]}" --shard 5/4
    expect_said plan_validates_like_run 2 "nosuch" "$BENCH" plan --workloads nosuch
    expect_said plan_out_must_be_a_file 2 "directory" "$BENCH" plan "${RUN[@]}" --out "$TMP"
    expect_said run_validates_the_shard 2 "I/N" "$BENCH" run "${RUN[@]}" --shard 0/4 --out "$TMP/never"
    [ ! -e "$TMP/never" ] && pass bad_shard_writes_nothing || fail bad_shard_writes_nothing "$(ls "$TMP/never")"
}

# A run whose samples say alloc_free takes 10 s a process: its two rounds
# go to different shards, the cheap groups fill in around them.
test_costs() {
    mkdir -p "$TMP/costs"
    { echo "backend,workload,threads,rep,sample,warmup,metric,value,unit,t_ms,run_id,host"
      for b in glibc custom; do
          echo "$b,alloc_free,1,1,0,1,wall_ms,5000,ms,1,x,h"
          echo "$b,alloc_free,1,1,1,0,wall_ms,5000,ms,2,x,h"
      done; } >"$TMP/costs/samples.csv"
    "$BENCH" plan "${RUN[@]}" --reps 2 --shard 1/2 --costs "$TMP/costs" --out "$TMP/c.csv" 2>/dev/null
    [ "$(awk -F, 'NR>1 && $3>0 && $4=="alloc_free" {print $2}' "$TMP/c.csv" | sort | tr '\n' ' ')" = "1 2 " ] &&
        pass costly_groups_go_to_different_shards || fail costly_groups_go_to_different_shards "$(grep alloc_free "$TMP/c.csv")"
    grep -q "alloc_free,1,iterations=100000;size=64,glibc custom,20.100" "$TMP/c.csv" &&
        pass costs_come_from_the_earlier_run || fail costs_come_from_the_earlier_run "$(grep alloc_free "$TMP/c.csv" | head -2)"
    "$BENCH" plan "${RUN[@]}" --reps 2 --shard 1/2 --out "$TMP/c0.csv" 2>/dev/null
    ! cmp -s "$TMP/c.csv" "$TMP/c0.csv" &&
        pass costs_change_the_plan || fail costs_change_the_plan "same plan with and without --costs"
    expect_said costs_must_be_a_run 2 "samples.csv" "$BENCH" plan "${RUN[@]}" --costs "$TMP/p1.csv"
}

# ---- bench run --shard, bench merge ----
test_shards_and_merge() {
    "$BENCH" run "${RUN[@]}" --out "$TMP/one" >/dev/null 2>&1
    local hash; hash=$("$BENCH" plan "${RUN[@]}" --shard 1/4 2>&1 >/dev/null | sed -n 's/^bench: plan \([0-9a-f]*\):.*/\1/p')
    local s ok=1 own=1
    for s in 1 2 3 4; do
        "$BENCH" run "${RUN[@]}" --shard "$s/4" --out "$TMP/sh/shard-$s" >/dev/null 2>&1
        grep -q "\"plan_hash\": \"$hash\"" "$TMP/sh/shard-$s/meta.json" && grep -q "\"plan_shard\": \"$s/4\"" "$TMP/sh/shard-$s/meta.json" || ok=0
        [ "$(awk -F, 'NR>1 {print $4","$2","$3}' "$TMP/sh/shard-$s/results.csv" | sort -u)" = \
          "$(awk -F, -v s=$s 'NR>1 && $2==s && $3>0 {print $3","$4","$5}' "$TMP/sh/shard-$s/plan.csv" | sort -u)" ] || own=0
    done
    [ -n "$hash" ] && [ "$ok" = 1 ] && pass shard_meta_names_its_plan_and_shard || fail shard_meta_names_its_plan_and_shard "hash '$hash': $(grep plan_ "$TMP/sh/shard-1/meta.json")"
    [ "$own" = 1 ] && pass shard_runs_only_its_own_groups || fail shard_runs_only_its_own_groups "$(cut -d, -f1-4 "$TMP/sh/shard-1/results.csv" | sort -u | head -5)"
    [ "$(cat "$TMP"/sh/shard-*/results.csv | awk -F, 'NR>1 && $1!="backend" {print $12}' | sort -u | wc -l)" = 4 ] &&
        pass every_shard_has_its_own_run_id || fail every_shard_has_its_own_run_id "$(cut -d, -f12 "$TMP"/sh/shard-*/results.csv | sort -u)"
    expect_said merge_of_all_shards_says_complete 0 "" "$BENCH" merge "$TMP"/sh/shard-* --out "$TMP/m"
    grep -q "exactly once" "$TMP/out" && pass merge_says_the_plan_is_covered || fail merge_says_the_plan_is_covered "$(head -3 "$TMP/out")"
    same_as_one_run merged_shards_equal_one_process_run "$TMP/m" "$TMP/one"
    grep -q '"plan_measurements_missing": 0' "$TMP/m/meta.json" && cmp -s "$TMP/m/plan.csv" "$TMP/sh/shard-1/plan.csv" &&
        pass merged_run_names_its_plan || fail merged_run_names_its_plan "$(grep plan "$TMP/m/meta.json")"
    local missing; missing=$(awk -F, 'NR>1 && $3>0 {print $2}' "$TMP/sh/shard-1/plan.csv" | sort -u | sed -n 3p)
    expect_said merge_lists_what_is_missing 1 "missing: round 1" "$BENCH" merge $(ls -d "$TMP"/sh/shard-* | grep -v "shard-$missing") --out "$TMP/m3"
    grep -q "shard $missing/4 is not among" "$TMP/err" && [ -f "$TMP/m3/summary.csv" ] &&
        pass merge_names_the_absent_shard_and_merges_the_rest || fail merge_names_the_absent_shard_and_merges_the_rest "$(cat "$TMP/err")"
    cp -r "$TMP/sh/shard-2" "$TMP/again"
    sed -i 's/"run_id": "shard-2"/"run_id": "again"/' "$TMP/again/meta.json"
    sed -i 's/,shard-2,/,again,/' "$TMP/again/results.csv"
    expect_said merge_refuses_a_shard_given_twice 2 "in two runs" "$BENCH" merge "$TMP"/sh/shard-* "$TMP/again" --out "$TMP/m4"
    "$BENCH" run "${RUN[@]}" --seed 9 --shard 1/4 --out "$TMP/other" >/dev/null 2>&1
    expect_said merge_refuses_shards_of_different_plans 2 "of plan" "$BENCH" merge "$TMP/sh/shard-2" "$TMP/other" --out "$TMP/m5"
    expect_said merge_pools_different_plans_when_told 0 "" "$BENCH" merge "$TMP/sh/shard-2" "$TMP/other" --pool --out "$TMP/m6"
    expect_said merge_refuses_a_shard_beside_a_whole_run 2 "of plan" "$BENCH" merge "$TMP/sh/shard-2" "$TMP/one" --out "$TMP/m7"
}

# ---- A backend with home suites (article: chosen by default, it runs on
# the article suite's workloads and the misuse cases alone) ----
ARTICLE_SUITE=" alloc_free batch mixed_sizes mixed_sizes:max_size=65536 multithread "
test_home_suite() {
    "$BENCH" plan --quick --suite full --out "$TMP/h1.csv" 2>/dev/null
    local with without
    with=$(awk -F, 'NR>1 && $3>0 && $7 ~ /(^| )article( |$)/ {print $4}' "$TMP/h1.csv" | sort -u | tr '\n' ' ')
    without=$(awk -F, 'NR>1 && $3>0 && $7 !~ /(^| )article( |$)/ {print $4}' "$TMP/h1.csv" | sort -u | tr '\n' ' ')
    local w stray=""
    for w in $with; do [[ "$ARTICLE_SUITE" == *" $w "* ]] || stray="$stray $w"; done
    [ -n "$with" ] && [ -z "$stray" ] && pass default_article_runs_on_the_article_workloads_alone || fail default_article_runs_on_the_article_workloads_alone "also on:$stray"
    [[ "$without" == *prog_perl* ]] && [[ "$without" != *alloc_free* ]] &&
        pass default_article_is_left_out_of_the_other_groups || fail default_article_is_left_out_of_the_other_groups "without article: $without"
    "$BENCH" plan --quick --workloads size_sweep --backends glibc,article --out "$TMP/h2.csv" 2>/dev/null
    grep -q ",glibc article," "$TMP/h2.csv" && pass named_article_runs_everywhere || fail named_article_runs_everywhere "$(sed -n 2p "$TMP/h2.csv")"
    "$BENCH" list | grep -E "^  article " | grep -q "by default only on the workloads of: article security" &&
        pass list_says_where_article_runs_by_default || fail list_says_where_article_runs_by_default "$("$BENCH" list | grep -E '^  article ')"
    "$BENCH" plan --quick --suite programs --out "$TMP/h3.csv" 2>/dev/null
    ! grep -q "article" "$TMP/h3.csv" && pass default_article_is_left_out_of_a_run_without_its_workloads || fail default_article_is_left_out_of_a_run_without_its_workloads "$(grep -m1 article "$TMP/h3.csv")"
    "$BENCH" plan --quick --suite programs --baseline article --out "$TMP/h5.csv" 2>/dev/null
    [ "$(awk -F, 'NR>1 && $3>0 && $7 ~ /(^| )article( |$)/' "$TMP/h5.csv" | wc -l)" = "$(awk -F, 'NR>1 && $3>0' "$TMP/h5.csv" | wc -l)" ] &&
        [ -n "$(awk -F, 'NR>1 && $3>0' "$TMP/h5.csv")" ] &&
        pass article_as_baseline_runs_everywhere || fail article_as_baseline_runs_everywhere "$(sed -n 2,3p "$TMP/h5.csv")"
    "$BENCH" plan --quick --suite security --out "$TMP/h4.csv" 2>/dev/null
    [ "$(awk -F, 'NR>1 && $3>0 && $7 !~ /(^| )article( |$)/' "$TMP/h4.csv" | wc -l)" = 0 ] &&
        pass default_article_runs_on_every_misuse_case || fail default_article_runs_on_every_misuse_case "$(awk -F, 'NR>1 && $7 !~ /article/' "$TMP/h4.csv" | head -2)"
    # shards of such a run merge complete: the plan's rows say who runs where
    local hr=(--quick --workloads alloc_free,size_sweep --quiet)
    "$BENCH" run "${hr[@]}" --shard 1/2 --out "$TMP/hs/1" >/dev/null 2>&1
    "$BENCH" run "${hr[@]}" --shard 2/2 --out "$TMP/hs/2" >/dev/null 2>&1
    [ "$(awk -F, 'NR>1 && $1=="article" {print $2}' "$TMP"/hs/*/results.csv | sort -u)" = alloc_free ] &&
        pass home_backend_has_rows_on_its_suite_alone || fail home_backend_has_rows_on_its_suite_alone "$(awk -F, '$1=="article" {print $2}' "$TMP"/hs/*/results.csv | sort -u)"
    "$BENCH" merge "$TMP"/hs/1 "$TMP"/hs/2 --out "$TMP/hm" >"$TMP/hm.out" 2>&1
    grep -q "exactly once" "$TMP/hm.out" && pass merge_of_shards_with_a_home_backend_is_complete || fail merge_of_shards_with_a_home_backend_is_complete "$(head -3 "$TMP/hm.out")"
}

# ---- GNU parallel ----
test_parallel() {
    if ! command -v parallel >/dev/null; then
        skip parallel_runs_the_shards "GNU parallel is not installed (Debian package parallel; tests/packages.txt)"
        return
    fi
    # parallel keeps a cache in ~/.parallel: the test's own home
    export HOME="$TMP/home"
    mkdir -p "$HOME"
    cluster/parallel.sh --hosts : --shards 4 --no-plots --out "$TMP/pl" "${RUN[@]}" >"$TMP/pl.out" 2>&1
    local rc=$?
    [ "$rc" = 0 ] && pass parallel_local_exits_0 || fail parallel_local_exits_0 "exit $rc: $(tail -5 "$TMP/pl.out")"
    same_as_one_run parallel_local_equals_one_process_run "$TMP/pl/merged" "$TMP/one"
    [ "$(ls -d "$TMP"/pl/*-shard-* | wc -l)" = 4 ] && [ -z "$(ls "$TMP/pl" | grep -v -e '-shard-[1-4]$' -e '^merged$' -e '^plan.csv$')" ] &&
        pass parallel_leaves_shards_merged_and_plan || fail parallel_leaves_shards_merged_and_plan "$(ls "$TMP/pl")"
    # Without rsync a remote host is refused before anything runs.
    mkdir -p "$TMP/norsync"
    for t in bash dirname basename grep tr parallel; do ln -sf "$(command -v "$t")" "$TMP/norsync/$t"; done
    PATH="$TMP/norsync" cluster/parallel.sh --hosts hostA --shards 2 --out "$TMP/pn" "${RUN[@]}" >"$TMP/pn.out" 2>&1
    rc=$?
    [ "$rc" = 2 ] && grep -q 'rsync not found' "$TMP/pn.out" && [ ! -e "$TMP/pn" ] &&
        pass parallel_without_rsync_refused_early || fail parallel_without_rsync_refused_early "exit $rc: $(head -3 "$TMP/pn.out")"
    if ! command -v rsync >/dev/null; then
        skip parallel_over_ssh "rsync is not installed (Debian package rsync; tests/packages.txt)"
        return
    fi
    # Two "hosts" reached through the ssh stand-in: the bundle (with the
    # --costs run) goes out, the shards come back, nothing stays behind.
    export FAKE_SSH_ROOT="$TMP/hosts"
    mkdir -p "$FAKE_SSH_ROOT"
    cluster/parallel.sh --hosts hostA,hostB --ssh "$PWD/tests/cluster/fake_ssh" --shards 4 --no-plots \
        --out "$TMP/pr" "${RUN[@]}" --costs "$TMP/costs" >"$TMP/pr.out" 2>&1
    rc=$?
    local hash; hash=$("$BENCH" plan "${RUN[@]}" --costs "$TMP/costs" --shard 1/4 2>&1 >/dev/null | sed -n 's/^bench: plan \([0-9a-f]*\):.*/\1/p')
    grep -q "\"plan_hash\": \"$hash\"" "$TMP"/pr/*-shard-1/meta.json &&
        pass costs_run_travels_with_the_bundle || fail costs_run_travels_with_the_bundle "plan $hash here, $(grep plan_hash "$TMP"/pr/*-shard-1/meta.json) there"
    [ "$rc" = 0 ] && pass parallel_over_ssh_exits_0 || fail parallel_over_ssh_exits_0 "exit $rc: $(tail -5 "$TMP/pr.out")"
    same_as_one_run parallel_over_ssh_equals_one_process_run "$TMP/pr/merged" "$TMP/one"
    [ "$(sort -u "$FAKE_SSH_ROOT/hosts.log" | tr '\n' ' ')" = "hostA hostB " ] &&
        pass parallel_uses_every_host || fail parallel_uses_every_host "$(sort -u "$FAKE_SSH_ROOT/hosts.log" | tr '\n' ' ')"
    [ -z "$(find "$FAKE_SSH_ROOT"/hostA "$FAKE_SSH_ROOT"/hostB -mindepth 1 -not -path '*/.parallel*' | head -3)" ] &&
        pass parallel_leaves_nothing_on_the_hosts || fail parallel_leaves_nothing_on_the_hosts "$(find "$FAKE_SSH_ROOT"/host? -mindepth 1 | head -5)"
    grep -q "\"git_commit\": \"$(git rev-parse HEAD 2>/dev/null)\"" "$TMP"/pr/*-shard-1/meta.json &&
        pass shipped_copy_records_its_commit || fail shipped_copy_records_its_commit "$(grep git_ "$TMP"/pr/*-shard-1/meta.json)"
    expect_said parallel_checks_flags_before_sending 2 "nosuch" cluster/parallel.sh --hosts : --shards 2 --out "$TMP/pbad" --workloads nosuch
}

# ---- Slurm: the jobs as submitted ----
test_slurm_submission() {
    mkdir -p "$TMP/bin"
    ln -s "$PWD/tests/cluster/fake_sbatch" "$TMP/bin/sbatch"
    export FAKE_SBATCH_LOG="$TMP/sbatch.log"
    PATH="$TMP/bin:$PATH" cluster/slurm.sh --shards 4 --out "$TMP/sl" "${RUN[@]}" -- --partition=p1 --time=10 >"$TMP/sl.out" 2>&1
    local rc=$?
    [ "$rc" = 0 ] && [ "$(wc -l <"$FAKE_SBATCH_LOG")" = 2 ] && pass slurm_submits_two_jobs || fail slurm_submits_two_jobs "exit $rc, $(cat "$FAKE_SBATCH_LOG" "$TMP/sl.out" | head -5)"
    grep -q -- '^#SBATCH --array=1-4$' "$TMP/sl/shard.sbatch" && grep -q -- '^#SBATCH --exclusive$' "$TMP/sl/shard.sbatch" &&
        grep -q -- '--shard "$SLURM_ARRAY_TASK_ID/4"' "$TMP/sl/shard.sbatch" &&
        pass slurm_array_has_one_exclusive_task_per_shard || fail slurm_array_has_one_exclusive_task_per_shard "$(cat "$TMP/sl/shard.sbatch")"
    sed -n 2p "$FAKE_SBATCH_LOG" | grep -q -- "--dependency=afterany:101 .*--partition=p1 --time=10 .*merge.sbatch" &&
        sed -n 1p "$FAKE_SBATCH_LOG" | grep -q -- "--partition=p1 --time=10 .*shard.sbatch" &&
        pass slurm_merge_waits_for_the_array_and_both_get_the_options || fail slurm_merge_waits_for_the_array_and_both_get_the_options "$(cat "$FAKE_SBATCH_LOG")"
    rm -f "$FAKE_SBATCH_LOG"
    PATH="$TMP/bin:$PATH" cluster/slurm.sh --shards 4 --out "$TMP/sl2" --workloads nosuch >"$TMP/sl2.out" 2>&1
    rc=$?
    [ "$rc" = 2 ] && [ ! -e "$FAKE_SBATCH_LOG" ] && grep -q nosuch "$TMP/sl2.out" &&
        pass slurm_checks_flags_before_submitting || fail slurm_checks_flags_before_submitting "exit $rc: $(cat "$TMP/sl2.out")"
}

test_plan; test_plan_shards; test_costs; test_shards_and_merge; test_home_suite; test_parallel; test_slurm_submission
