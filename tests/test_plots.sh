#!/usr/bin/env bash
# Tests of the statistics files and the figures and report (plots/): on the
# fixture run tests/fixtures/plots-run (synthetic: 7 backends, a thread sweep,
# a workload with an ops/s metric, preload_failed, crashed, timeout and
# missing runs, a cell within noise of the baseline, samples.csv with
# warm-up samples, measurement settings and calibration in meta.json, and a
# timeline.csv), summarize gives known, deterministic answers, render.sh
# draws valid PNG and SVG files with one colour per backend from
# plots/palette.csv, report.md holds every section, says which differences
# are measurable and how the run was measured, and a missing tool costs only
# its own figures; any backend can be the baseline, also without glibc in
# the run; `make compare` draws the comparison's figure into compare.md; a
# run of an older harness renders without its files being rewritten, and a
# committed run is rendered into a copy. On tests/fixtures/latency-run (a
# small `bench run --latency` run with its timeline.csv), latency.py and
# timeline.py draw valid figures, and without their data they draw nothing,
# quietly. One function per fact or group of facts.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
BENCH=build/bench
FIXTURE=tests/fixtures/plots-run
[ -x "$BENCH" ] || { echo "FAIL setup: run make first"; exit 1; }


# A python3 with matplotlib, as render.sh finds it; empty when there is none.
MPL_PY=""
for c in /usr/bin/python3 python3 python; do
    command -v "$c" >/dev/null 2>&1 && "$c" -c 'import matplotlib' 2>/dev/null && { MPL_PY=$c; break; }
done
HAVE_GNUPLOT=0; command -v gnuplot >/dev/null 2>&1 && HAVE_GNUPLOT=1

fresh() { rm -rf "$TMP/$1"; mkdir -p "$TMP/$1"; cp "$FIXTURE"/*.csv "$FIXTURE"/meta.json "$TMP/$1/"; echo "$TMP/$1"; }
# column COLUMN of the summary row BACKEND,WORKLOAD,THREADS,METRIC
field() { # FILE BACKEND WORKLOAD THREADS METRIC COLUMN
    awk -F, -v b="$2" -v w="$3" -v t="$4" -v m="$5" -v col="$6" '
        NR==1 { for (i=1;i<=NF;i++) idx[$i]=i; next }
        $1==b && $2==w && $3==t && $4==m { print $idx[col]; exit }' "$1"
}
score_field() { awk -F, -v b="$2" -v col="$3" 'NR==1 { for (i=1;i<=NF;i++) idx[$i]=i; next } $1==b { print $idx[col]; exit }' "$1"; }
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] && [ "$(stat -c %s "$1")" -gt 2000 ]; }
is_svg() {
    head -c 200 "$1" | grep -q '<?xml' && grep -q '<svg' "$1" || return 1
    local py; py=$(command -v python3 || command -v /usr/bin/python3) || return 0
    "$py" -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$1" 2>/dev/null
}
valid_figures() { # DIR NAME...: every NAME.png and NAME.svg valid; prints the bad ones
    local d=$1 f bad=""; shift
    for f in "$@"; do is_png "$d/$f.png" && is_svg "$d/$f.svg" || bad="$bad $f"; done
    echo "$bad"
}
# a summarised copy of the fixture without some backends' rows: DIR NAME REGEX [summarize args]
without_backends() {
    local d="$TMP/$1" re=$2; shift 2
    rm -rf "$d"; mkdir -p "$d"; cp "$FIXTURE/meta.json" "$d/"
    for f in results.csv samples.csv; do awk -F, -v re="$re" 'NR==1 || $1 !~ re' "$FIXTURE/$f" >"$d/$f"; done
    "$BENCH" summarize "$d" "$@" >/dev/null
    echo "$d"
}

# ---- Statistics through bench summarize ----
test_summarize_fixture() {
    local d; d=$(fresh stats)
    "$BENCH" summarize "$d" >/dev/null || { fail summarize_fixture "bench summarize failed"; return; }
    cmp -s "$d/summary.csv" "$FIXTURE/summary.csv" && pass summary_csv_is_deterministic ||
        fail summary_csv_is_deterministic "differs from the committed fixture: $(diff "$d/summary.csv" "$FIXTURE/summary.csv" | head -3)"
    cmp -s "$d/scores.csv" "$FIXTURE/scores.csv" && pass scores_csv_is_deterministic ||
        fail scores_csv_is_deterministic "$(diff "$d/scores.csv" "$FIXTURE/scores.csv" | head -3)"
    [ "$(head -1 "$d/summary.csv")" = "backend,workload,threads,metric,unit,n,median,min,max,baseline,ratio,ci_low,ci_high,verdict,pairs,runs" ] &&
        pass summary_header_has_baseline_interval_and_verdict || fail summary_header_has_baseline_interval_and_verdict "$(head -1 "$d/summary.csv")"
    # every interval holds its ratio; the baseline's is [1, 1]
    local bad; bad=$(awk -F, 'NR>1 && $12!="" { if ($13=="" || $12>$11+1e-9 || $13<$11-1e-9) print }' "$d/summary.csv" | head -2)
    [ -z "$bad" ] && pass every_interval_holds_its_ratio || fail every_interval_holds_its_ratio "$bad"
    [ "$(field "$d/summary.csv" glibc alloc_free 1 wall_ms ci_low),$(field "$d/summary.csv" glibc alloc_free 1 wall_ms ci_high),$(field "$d/summary.csv" glibc alloc_free 1 wall_ms verdict)" = "1,1,baseline" ] &&
        pass baseline_interval_is_exactly_one || fail baseline_interval_is_exactly_one "$(grep '^glibc,alloc_free,1,wall_ms' "$d/summary.csv")"
    [ "$(field "$d/summary.csv" custom alloc_free 1 wall_ms verdict)" = same ] &&
        pass fixture_has_a_cell_within_noise || fail fixture_has_a_cell_within_noise "$(grep '^custom,alloc_free,1,wall_ms' "$d/summary.csv")"
    # the score is the geometric mean of the cells' time ratios (1/ratio of ops_per_s where reported)
    local want got
    want=$(awk -F, '$1=="jemalloc" && $11!="" && $4=="ops_per_s" { r[$2 FS $3]=1/$11; rate[$2 FS $3]=1 }
                    $1=="jemalloc" && $11!="" && $4=="wall_ms" { w[$2 FS $3]=$11 }
                    END { for (k in w) if (!(k in rate)) r[k]=w[k]
                          for (k in r) { s+=log(r[k]); n++ } printf "%.5f", exp(s/n) }' "$d/summary.csv")
    got=$(score_field "$d/scores.csv" jemalloc score)
    awk -v a="$want" -v b="$got" 'BEGIN { exit !(a-b < 1e-4 && b-a < 1e-4) }' && pass score_is_geomean_of_time_ratios || fail score_is_geomean_of_time_ratios "want $want got $got"
    [ "$(score_field "$d/scores.csv" glibc score)" = 1 ] && pass baseline_score_is_one || fail baseline_score_is_one "$(score_field "$d/scores.csv" glibc score)"
    [ "$(score_field "$d/scores.csv" tcmalloc cells)/$(score_field "$d/scores.csv" tcmalloc cells_total)/$(score_field "$d/scores.csv" tcmalloc not_counted)" = "7/8/churn_rate x1" ] &&
        pass score_names_uncounted_cells || fail score_names_uncounted_cells "$(grep ^tcmalloc "$d/scores.csv")"
    [ -z "$(score_field "$d/scores.csv" mine score)" ] && [ "$(score_field "$d/scores.csv" mine cells)" = 0 ] &&
        pass score_empty_for_backend_without_ok_runs || fail score_empty_for_backend_without_ok_runs "$(grep ^mine "$d/scores.csv")"
}

# ---- Figures and report ----
GNUPLOT_FIGS="overview peak_rss scaling_multithread ratio_alloc_free ratio_batch ratio_mixed_sizes ratio_churn_rate ratio_multithread_x1 ratio_multithread_x8"
MPL_FIGS="distribution scores speed_memory"

test_render_fixture() {
    local d; d=$(fresh full)
    mkdir -p "$d/logs" && echo "segfault at 0" >"$d/logs/custom.mixed_sizes.t1.rep2.log"
    plots/render.sh "$d" >"$TMP/render.out" 2>&1
    local rc=$?
    [ "$rc" -eq 0 ] && pass render_exits_0 || fail render_exits_0 "exit $rc: $(tail -3 "$TMP/render.out")"
    local bad
    if [ "$HAVE_GNUPLOT" -eq 1 ]; then
        # shellcheck disable=SC2086
        bad=$(valid_figures "$d" $GNUPLOT_FIGS)
        [ -z "$bad" ] && pass gnuplot_figures_are_valid_png_and_svg || fail gnuplot_figures_are_valid_png_and_svg "bad or missing:$bad"
    else
        skip gnuplot_figures_are_valid_png_and_svg "gnuplot not installed (gnuplot-nox)"
    fi
    if [ -n "$MPL_PY" ]; then
        # shellcheck disable=SC2086
        bad=$(valid_figures "$d" $MPL_FIGS)
        [ -z "$bad" ] && pass matplotlib_figures_are_valid_png_and_svg || fail matplotlib_figures_are_valid_png_and_svg "bad or missing:$bad"
    else
        skip matplotlib_figures_are_valid_png_and_svg "no python3 with matplotlib (python3-matplotlib)"
    fi
    # one colour per backend, from plots/palette.csv, in both tools' figures
    local colour; colour=$(awk -F, '$1=="jemalloc" { print tolower($2) }' plots/palette.csv)
    if [ "$HAVE_GNUPLOT" -eq 1 ] && [ -n "$MPL_PY" ]; then
        # gnuplot's SVG writes rgb(230, 159, 0), matplotlib's #e69f00
        local rgb; rgb=$(printf 'rgb( *%d, *%d, *%d)' "0x${colour:1:2}" "0x${colour:3:2}" "0x${colour:5:2}")
        grep -q "$rgb" "$d/overview.svg" && grep -qi "$colour" "$d/distribution.svg" &&
            pass palette_colour_in_both_tools || fail palette_colour_in_both_tools "$colour ($rgb) not in overview.svg and distribution.svg"
        # a user-named backend ("mine") gets the palette's first '*' colour, not yellow
        local first; first=$(awk -F, '$1=="*" { print tolower($2); exit }' plots/palette.csv)
        rgb=$(printf 'rgb( *%d, *%d, *%d)' "0x${first:1:2}" "0x${first:3:2}" "0x${first:5:2}")
        if grep -q 'rgb( *240, *228, *66)' "$d/overview.svg"; then
            fail user_backend_colour_is_dark "yellow in overview.svg"
        elif grep -q "$rgb" "$d/overview.svg"; then
            pass user_backend_colour_is_dark
        else
            fail user_backend_colour_is_dark "$first ($rgb) not in overview.svg"
        fi
    else
        skip palette_colour_in_both_tools "needs both gnuplot and matplotlib"
    fi
    if [ "$HAVE_GNUPLOT" -eq 1 ]; then
        grep -q "Fixture CPU 9000" "$d/overview.svg" && grep -q "2026-01-02" "$d/overview.svg" &&
            pass subtitle_names_machine_and_date || fail subtitle_names_machine_and_date "not in overview.svg"
        grep -q "relative to glibc" "$d/ratio_alloc_free.svg" && grep -q "no measurable difference" "$d/ratio_alloc_free.svg" &&
            pass ratio_figure_names_baseline_and_verdict || fail ratio_figure_names_baseline_and_verdict "not in ratio_alloc_free.svg"
    else
        skip subtitle_names_machine_and_date "no gnuplot"
    fi

    local r="$d/report.md"
    [ -s "$r" ] || { fail report_written "no report.md"; return; }
    grep -q "^| article row " "$r" && grep -q "^| batch alloc | 3.4 | 1.46 | 0.43 " "$r" && grep -q "^| 8 threads | 57 | 791 | 13.9 | \`multithread\` ×8" "$r" &&
        pass report_has_article_table || fail report_has_article_table "$(grep -A3 'article row' "$r" | head -4)"
    [ "$(grep -c '^| \(alloc + free\|batch alloc\|batch free\|mixed sizes\|8 threads\)' "$r")" = 5 ] &&
        pass article_table_has_five_rows || fail article_table_has_five_rows "$(grep -c '^| ' "$r")"
    grep '^| batch alloc' "$r" | grep -q '`custom`' && grep '^| batch alloc' "$r" | grep -q '`article`' &&
        pass article_rows_read_custom_and_article || fail article_rows_read_custom_and_article "$(grep '^| batch alloc' "$r")"
    grep '^| 8 threads' "$r" | grep -q 'timeout' && pass article_row_says_why_unmeasured || fail article_row_says_why_unmeasured "$(grep '^| 8 threads' "$r")"
    grep '^| alloc + free' "$r" | grep -q '`custom` shows no measurable difference from glibc' &&
        pass article_reading_says_no_measurable_difference || fail article_reading_says_no_measurable_difference "$(grep '^| alloc + free' "$r")"
    local s missing_status=""
    for s in preload_failed crashed timeout missing; do grep -q "^| .* | \*\*$s\*\* |" "$r" || missing_status="$missing_status $s"; done
    [ -z "$missing_status" ] && pass report_lists_every_failed_run || fail report_lists_every_failed_run "not listed:$missing_status"
    # every failed repetition is named: the reps column of the failed-runs table adds up
    local listed; listed=$(grep '| \*\*\(preload_failed\|crashed\|timeout\|missing\)\*\* |' "$r" | awk -F'|' '{ n += split($6, a, ",") } END { print n + 0 }')
    [ "$listed" = "$(awk -F, 'NR>1 && $8!="ok"' "$d/results.csv" | wc -l)" ] &&
        pass report_drops_no_failed_run || fail report_drops_no_failed_run "count differs"
    grep -q '| \*\*crashed\*\* | \[2\](logs/custom.mixed_sizes.t1.rep2.log) |' "$r" &&
        pass failed_run_links_its_log || fail failed_run_links_its_log "$(grep crashed "$r")"
    grep -q "^### churn_rate" "$r" && grep -q "This workload reports \`ops_per_s\`" "$r" && grep -q "| median ops/s |" "$r" &&
        grep -q "user_ms (ms; lower is better)" "$r" &&
        pass report_shows_unknown_workload_and_metric || fail report_shows_unknown_workload_and_metric "no churn_rate section"
    grep -q "^## Overall scores" "$r" && grep -q "^| jemalloc | 0.7 | 0.687–0.724 | ±3% | faster | 8 of 8 |" "$r" &&
        pass report_has_scores || fail report_has_scores "$(grep -A6 'Overall scores' "$r" | tail -2)"
    grep -q "^| CPU | Fixture CPU 9000, 2 cores online, 2596 MHz |" "$r" && pass report_has_environment || fail report_has_environment "no CPU row"
    # each cell says whether it differs measurably from the baseline, with the interval's width
    local row; row=$(grep '^| custom | 10 |' "$r" | head -1)
    echo "$row" | grep -q '| 1.01 \[0.96–1.05\] | ±4% | no measurable difference |' && ! echo "$row" | grep -q faster &&
        pass cell_within_noise_is_no_measurable_difference || fail cell_within_noise_is_no_measurable_difference "$row"
    grep -q '^| mimalloc | 4.92 | .* | ±4% | faster |' "$r" &&
        pass measurable_cell_says_faster_with_width || fail measurable_cell_says_faster_with_width "$(grep '^| mimalloc | 4.92' "$r")"
    # how it was measured: settings from meta.json, samples from results.csv, calibration
    grep -q '^| mode | time: ' "$r" && grep -q '^| interleave | samples: ' "$r" &&
        grep -q '^| length of a process | samples until they add up to 200 ms per process' "$r" &&
        grep -q '^| measured samples per process | median 3, 1–3 ' "$r" &&
        pass report_prints_measurement_settings || fail report_prints_measurement_settings "$(grep -A10 '^## How it was measured' "$r")"
    grep -q '^| noise: ALU loop | median 0.463 ms, p90/p10 = 1.05,' "$r" && grep -q '^| noise: memory loop | median 0.245 ms, p90/p10 = 1.60,' "$r" &&
        pass report_prints_calibration_spreads || fail report_prints_calibration_spreads "$(grep noise "$r")"
    [ "$(grep -c 'perf_event_open' "$r")" = 1 ] && ! grep -q '^| hw_' "$r" &&
        pass hardware_counters_unavailable_said_once || fail hardware_counters_unavailable_said_once "$(grep -c perf_event_open "$r") mentions"
    grep -q 'samples/process' "$r" && grep '^| glibc | 10.2 |' "$r" | grep -q '| 3 |' &&
        pass cell_table_has_samples_per_process || fail cell_table_has_samples_per_process "$(grep '^| glibc | 10.2' "$r")"
    local missing_img="" img
    for img in $(grep -o '([a-z_0-9]*\.png)' "$r" | tr -d '()'); do [ -f "$d/$img" ] || missing_img="$missing_img $img"; done
    [ -z "$missing_img" ] && grep -q '!\[.*\](overview.png)' "$r" && grep -q '!\[.*\](speed_memory.png)' "$r" &&
        pass report_embeds_drawn_figures || fail report_embeds_drawn_figures "missing:$missing_img"
    ! grep -q '\.svg' "$r" && pass report_links_no_svg || fail report_links_no_svg "$(grep -m1 '\.svg' "$r")"
    ! grep -q 'shared/' "$r" && ! grep -rq '\.\./shared' plots/ && pass no_shared_path_in_report_or_plots ||
        fail no_shared_path_in_report_or_plots "$(grep -m1 'shared/' "$r"; grep -rl '\.\./shared' plots/)"
    [ -f "$d/timeline.csv" ] && pass timeline_csv_is_left_alone || fail timeline_csv_is_left_alone "timeline.csv gone"
}

test_render_is_repeatable() { # on the directory test_render_fixture rendered
    local d="$TMP/full"
    cp "$d/report.md" "$TMP/report.first"
    (cd "$d" && md5sum ./*.png) >"$TMP/png.first"
    plots/render.sh "$d" >/dev/null 2>&1
    cmp -s "$d/report.md" "$TMP/report.first" && pass rerender_gives_same_report || fail rerender_gives_same_report "report.md changed"
    (cd "$d" && md5sum ./*.png) | cmp -s - "$TMP/png.first" && pass rerender_gives_same_pngs ||
        fail rerender_gives_same_pngs "$( (cd "$d" && md5sum ./*.png) | diff - "$TMP/png.first" | head -2)"
}

test_sweep_figure() {
    local d="$TMP/sweep-live"
    build/bench run --quick --reps 2 --backends glibc,custom --workloads alloc_free:iterations=2000 \
        --param size=16,64,256,1024 --out "$d" >/dev/null 2>&1
    MPLCONFIGDIR="$TMP/mpl" "$MPL_PY" plots/sweep.py "$d" >/dev/null 2>&1
    is_png "$d/sweep.png" && is_svg "$d/sweep.svg" && grep -q 'against size' "$d/sweep.svg" &&
        pass sweep_figure_draws_a_param_sweep || fail sweep_figure_draws_a_param_sweep "no valid sweep.png in $d"
    d=$(fresh nosweep)  # the fixture sweeps nothing
    local out; out=$(MPLCONFIGDIR="$TMP/mpl" "$MPL_PY" plots/sweep.py "$d" 2>&1)
    [ -z "$out" ] && [ ! -e "$d/sweep.png" ] && pass sweep_without_sweep_is_silent || fail sweep_without_sweep_is_silent "$out"
}

test_speed_memory_pareto() { # lower is better on both axes; a point beaten on both is off the front
    local front
    front=$(cd plots && python3 -c 'import speed_memory as s
print(",".join(s.pareto({"a": (1, 1), "b": (0.5, 2), "c": (2, 2), "d": (1, 1.5)})))')
    [ "$front" = b,a ] && pass speed_memory_pareto_front || fail speed_memory_pareto_front "front: $front"
}

test_quick_run_says_its_reps() {
    local d; d=$(fresh quick)
    sed -i 's/"quick": false/"quick": true/' "$d/meta.json"
    python3 plots/report.py "$d" >/dev/null 2>&1
    grep -q '\*\*quick run\*\* (reduced sizes, 3 repetitions:' "$d/report.md" && ! grep -q 'one repetition' "$d/report.md" &&
        pass quick_run_says_its_repetitions || fail quick_run_says_its_repetitions "$(grep -m1 quick "$d/report.md")"
}

test_article_table_needs_its_backends() {
    local d; d=$(without_backends noarticle '^(article|custom)$')
    python3 plots/report.py "$d" >/dev/null 2>&1
    grep -q 'Not reproduced: this run has neither the `article` nor the `custom` backend' "$d/report.md" &&
        ! grep -q '^| article row' "$d/report.md" &&
        pass article_table_absent_without_article_or_custom || fail article_table_absent_without_article_or_custom "$(grep -A3 "article's table" "$d/report.md")"
}

# A backend with home suites (meta.json's home_suites): the backends table
# says where it ran, its score row says why cells are missing.
test_home_suite_in_report() {
    local d; d=$(without_backends homed '^article$')
    grep '^article,' "$FIXTURE/results.csv" | grep -v '^article,churn_rate,' >>"$d/results.csv"
    grep '^article,' "$FIXTURE/samples.csv" | grep -v '^article,churn_rate,' >>"$d/samples.csv"
    python3 - "$d/meta.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
for b in m["backends"]:
    if b["name"] == "article":
        b["home_suites"] = "article security"
json.dump(m, open(sys.argv[1], "w"), indent=2)
PY
    "$BENCH" summarize "$d" >/dev/null && python3 plots/report.py "$d" >/dev/null 2>&1
    grep -E '^\| article \|' "$d/report.md" | grep -q "the article and security suites' workloads" &&
        grep -E '^\| glibc \|' "$d/report.md" | grep -q "every workload" &&
        pass report_says_where_a_homed_backend_ran || fail report_says_where_a_homed_backend_ran "$(grep -E '^\| (article|glibc) \|' "$d/report.md" | head -3)"
    grep -E '^\| article \|' "$d/report.md" | grep -q "not run outside the article and security suites' workloads" &&
        pass homed_backend_score_says_why_cells_are_missing || fail homed_backend_score_says_why_cells_are_missing "$(grep -E '^\| article \|' "$d/report.md")"
}

# --baseline jemalloc on a run without glibc: scores, figures and words all to jemalloc
test_baseline_without_glibc() {
    local d; d=$(without_backends noglibc '^glibc$' --baseline jemalloc)
    [ "$(score_field "$d/scores.csv" jemalloc baseline)" = jemalloc ] && [ -n "$(score_field "$d/scores.csv" mimalloc score)" ] &&
        [ "$(score_field "$d/scores.csv" jemalloc verdict)" = baseline ] &&
        pass baseline_jemalloc_gives_scores || fail baseline_jemalloc_gives_scores "$(cat "$d/scores.csv")"
    plots/render.sh "$d" >"$TMP/nog.out" 2>&1 || { fail baseline_jemalloc_renders "$(tail -3 "$TMP/nog.out")"; return; }
    local r="$d/report.md" want="scores overview ratio_alloc_free speed_memory distribution" bad="" f
    for f in $want; do [ -f "$d/$f.png" ] || bad="$bad $f"; done
    [ -z "$bad" ] && pass baseline_jemalloc_draws_figures || fail baseline_jemalloc_draws_figures "missing:$bad"
    grep -q '^| jemalloc | 1 | (the baseline) |' "$r" && grep -q 'ratio to jemalloc \[95% CI\]' "$r" &&
        ! grep -q 'ratio to glibc\|than glibc\|difference to glibc\|÷ glibc' "$r" &&
        pass baseline_jemalloc_report_names_it || fail baseline_jemalloc_report_names_it "$(grep -m2 'ratio to glibc\|than glibc\|difference to glibc\|÷ glibc' "$r")"
    grep -q "Not reproduced: the article's ratios are to glibc, and glibc is not in this run" "$r" &&
        pass article_table_needs_glibc_baseline || fail article_table_needs_glibc_baseline "$(grep -A2 "article's table" "$r" | tail -1)"
    if [ "$HAVE_GNUPLOT" -eq 1 ]; then
        grep -q 'relative to jemalloc' "$d/overview.svg" && grep -q 'jemalloc (baseline)' "$d/ratio_alloc_free.svg" &&
            ! grep -q 'glibc.s' "$d/overview.svg" &&
            pass baseline_jemalloc_in_figure_labels || fail baseline_jemalloc_in_figure_labels "labels"
    else
        skip baseline_jemalloc_in_figure_labels "no gnuplot"
    fi
}

# --measure instructions: the cells are compared on instructions, not wall_ms
test_instructions_mode_headline() {
    local d; d=$(fresh ins)
    awk -F, -v OFS=, 'NR>1 && $5=="wall_ms" && $2=="alloc_free" { print; $5="instructions"; $6=$6*1e6; $7="count" } { print }' \
        "$FIXTURE/results.csv" >"$d/results.csv"
    sed -i 's/"mode": "time"/"mode": "instructions"/' "$d/meta.json"
    "$BENCH" summarize "$d" >/dev/null && python3 plots/report.py "$d" >/dev/null 2>&1
    mkdir -p "$TMP/ins-work" && python3 plots/prepare_gnuplot.py "$TMP/ins-work" "$d" >/dev/null 2>&1
    grep -q '^| backend | median instructions | min–max instructions |' "$d/report.md" &&
        grep -q '^| mode | instructions: ' "$d/report.md" &&
        grep -q 'TITLE = "alloc_free: instructions relative to glibc"' "$TMP/ins-work/ratio_alloc_free.gp" &&
        grep -q 'TITLE = "batch: median wall time relative to glibc"' "$TMP/ins-work/ratio_batch.gp" &&
        pass instructions_are_the_headline_where_counted || fail instructions_are_the_headline_where_counted "$(grep -m1 '| median' "$d/report.md")"
}

test_without_gnuplot() {
    local d; d=$(fresh nognuplot)
    GNUPLOT=/nonexistent/gnuplot plots/render.sh "$d" >"$TMP/ng.out" 2>&1
    local rc=$?
    grep -q "gnuplot-nox" "$TMP/ng.out" && pass missing_gnuplot_names_package || fail missing_gnuplot_names_package "$(head -3 "$TMP/ng.out")"
    if [ -n "$MPL_PY" ]; then
        [ "$rc" -eq 0 ] && [ -f "$d/distribution.png" ] && [ ! -f "$d/overview.png" ] && [ -s "$d/report.md" ] &&
            pass missing_gnuplot_keeps_matplotlib_figures || fail missing_gnuplot_keeps_matplotlib_figures "rc=$rc"
    else
        skip missing_gnuplot_keeps_matplotlib_figures "no matplotlib either"
    fi
    grep -q "overview.png was not drawn" "$d/report.md" && pass report_says_which_figure_is_missing || fail report_says_which_figure_is_missing "no note"
}

test_without_matplotlib() {
    local d; d=$(fresh nompl)
    # a python3 whose `import matplotlib` fails
    mkdir -p "$TMP/nompl-lib" "$TMP/bin"
    echo 'raise ImportError("no matplotlib here")' >"$TMP/nompl-lib/matplotlib.py"
    local real; real=$(command -v python3 || echo /usr/bin/python3)
    printf '#!/bin/sh\nPYTHONPATH=%s exec %s "$@"\n' "$TMP/nompl-lib" "$real" >"$TMP/bin/py-nompl"
    chmod +x "$TMP/bin/py-nompl"
    PLOT_PYTHONS="$TMP/bin/py-nompl" plots/render.sh "$d" >"$TMP/nm.out" 2>&1
    local rc=$?
    grep -q "python3-matplotlib" "$TMP/nm.out" && pass missing_matplotlib_names_package || fail missing_matplotlib_names_package "$(head -3 "$TMP/nm.out")"
    if [ "$HAVE_GNUPLOT" -eq 1 ]; then
        [ "$rc" -eq 0 ] && [ -f "$d/overview.png" ] && [ ! -f "$d/distribution.png" ] && [ -s "$d/report.md" ] &&
            pass missing_matplotlib_keeps_gnuplot_figures || fail missing_matplotlib_keeps_gnuplot_figures "rc=$rc"
    else
        skip missing_matplotlib_keeps_gnuplot_figures "no gnuplot either"
    fi
}

test_nothing_drawable() {
    # every run failed: no figure can be drawn, the report still lists them
    local d="$TMP/allfailed"; mkdir -p "$d"
    { head -1 "$FIXTURE/results.csv"; awk -F, 'NR>1 && $8!="ok"' "$FIXTURE/results.csv"; } >"$d/results.csv"
    cp "$FIXTURE/meta.json" "$d/"
    "$BENCH" summarize "$d" >/dev/null
    plots/render.sh "$d" >"$TMP/af.out" 2>&1
    local rc=$?
    [ "$rc" -eq 1 ] && pass nothing_drawable_exits_1 || fail nothing_drawable_exits_1 "exit $rc"
    grep -q '| \*\*crashed\*\* |' "$d/report.md" 2>/dev/null && pass all_failed_run_still_reports || fail all_failed_run_still_reports "no report"
}

test_usage() {
    plots/render.sh >/dev/null 2>&1; [ $? -eq 2 ] && pass render_without_dir_exits_2 || fail render_without_dir_exits_2 "wrong exit"
    plots/render.sh "$TMP/nonexistent" >/dev/null 2>&1; [ $? -eq 2 ] && pass render_bad_dir_exits_2 || fail render_bad_dir_exits_2 "wrong exit"
    make -s plots >/dev/null 2>&1; [ $? -ne 0 ] && pass make_plots_needs_run || fail make_plots_needs_run "exit 0 without RUN"
}

test_old_schema_run() {
    # a run of an older harness (results.csv without samples, run_id, host;
    # summary.csv with ratio_vs_glibc): rendered from statistics recomputed
    # in a scratch copy, its own files unchanged
    local d="$TMP/old"; rm -rf "$d"; mkdir -p "$d"
    python3 -c 'import csv, sys
out = csv.writer(sys.stdout, lineterminator="\n")
for row in csv.reader(open(sys.argv[1])):
    out.writerow(row[:10])' "$FIXTURE/results.csv" >"$d/results.csv"
    echo "backend,workload,threads,metric,unit,n,median,min,max,ratio_vs_glibc,ci_low,ci_high,runs" >"$d/summary.csv"
    cp "$FIXTURE/meta.json" "$d/"
    (cd "$d" && md5sum results.csv summary.csv meta.json) >"$TMP/old.sums"
    make -s plots RUN="$d" >"$TMP/old.out" 2>&1 && [ -s "$d/report.md" ] && pass make_plots_renders_run ||
        fail make_plots_renders_run "$(tail -2 "$TMP/old.out")"
    (cd "$d" && md5sum -c --quiet "$TMP/old.sums") >/dev/null 2>&1 && [ ! -e "$d/scores.csv" ] &&
        pass old_run_files_are_not_rewritten || fail old_run_files_are_not_rewritten "changed: $(cd "$d" && md5sum -c "$TMP/old.sums" 2>&1 | grep -v OK)"
    grep -q 'recomputed from results.csv by this render' "$d/report.md" && grep -q '^| jemalloc | 6.78 | .* | 0.66 \[' "$d/report.md" &&
        pass old_run_renders_with_intervals || fail old_run_renders_with_intervals "$(tail -2 "$TMP/old.out")"
}

test_committed_run_renders_into_a_copy() {
    # the fixture is committed: rendering it leaves the tree as it was
    local before; before=$(git status --porcelain -- "$FIXTURE")
    plots/render.sh "$FIXTURE" >"$TMP/ci.out" 2>&1
    [ "$(git status --porcelain -- "$FIXTURE")" = "$before" ] && [ -s build/render/plots-run/report.md ] &&
        grep -q 'rendering a copy in' "$TMP/ci.out" &&
        pass committed_run_renders_into_a_copy || fail committed_run_renders_into_a_copy "$(git status --porcelain -- "$FIXTURE" | head -3)"
}

# ---- make compare: bench compare, then the figure into compare.md ----
test_compare() {
    local a b; a=$(fresh cmp-a); b=$(fresh cmp-b)
    # B: custom 30% slower everywhere (its values and its samples)
    for f in results.csv samples.csv; do
        awk -F, -v OFS=, '$1=="custom" && ($5=="wall_ms" || $7=="wall_ms") {
            if (FILENAME ~ /samples/) $8=$8*1.3; else $6=$6*1.3 } { print }' "$a/$f" >"$b/$f"
    done
    make -s compare A="$a" B="$b" >"$TMP/cmp.out" 2>&1
    local rc=$?  # make fails (status 2) when bench compare found a regression
    [ "$rc" -ne 0 ] && grep -q '^custom,alloc_free,1,wall_ms,.*,regressed,[0-9.]*,[0-9.]*$' "$b/compare.csv" &&
        pass compare_flags_slowed_backend || fail compare_flags_slowed_backend "rc=$rc: $(grep '^custom,alloc_free' "$b/compare.csv")"
    if [ -n "$MPL_PY" ]; then
        is_png "$b/compare.png" && is_svg "$b/compare.svg" && pass compare_figure_is_valid_png_and_svg ||
            fail compare_figure_is_valid_png_and_svg "$(tail -3 "$TMP/cmp.out")"
        grep -q '#c00000' "$b/compare.svg" && pass compare_figure_colours_regressions ||
            fail compare_figure_colours_regressions "no regressed colour in compare.svg"
        MPLCONFIGDIR="$TMP/mpl" "$MPL_PY" plots/compare.py "$b" >/dev/null 2>&1
        [ "$(grep -c '^!\[.*\](compare.png)$' "$b/compare.md")" = 1 ] && [ "$(grep -n 'compare.png' "$b/compare.md" | cut -d: -f1)" -lt "$(grep -n '^| backend' "$b/compare.md" | cut -d: -f1)" ] &&
            pass compare_md_embeds_figure_once || fail compare_md_embeds_figure_once "$(grep -c 'compare.png' "$b/compare.md") times"
    else
        skip compare_figure_is_valid_png_and_svg "no python3 with matplotlib"
    fi
    make -s compare A="$a" B="$a" >/dev/null 2>&1
    rc=$?
    [ "$rc" -eq 0 ] && ! grep -q 'regressed\|improved' "$a/compare.csv" && pass compare_a_a_flags_nothing || fail compare_a_a_flags_nothing "rc=$rc"
    make -s compare A="$a" >/dev/null 2>&1; [ $? -eq 2 ] && pass make_compare_needs_a_and_b || fail make_compare_needs_a_and_b "wrong exit"
}

# ---- Latency percentiles and RSS over time (matplotlib) ----
LAT_FIXTURE=tests/fixtures/latency-run  # bench run --latency, 3 backends x 2 workloads x 2 reps, with timeline.csv
test_latency_and_timeline() {
    if [ -z "$MPL_PY" ]; then
        skip latency_and_timeline_figures "no python3 with matplotlib (python3-matplotlib)"; return
    fi
    local d="$TMP/lat"; rm -rf "$d"; mkdir -p "$d"; cp "$LAT_FIXTURE"/* "$d/"
    local f out rc
    for f in latency timeline; do
        out=$(MPLCONFIGDIR="$TMP/mpl" "$MPL_PY" "plots/$f.py" "$d" 2>&1); rc=$?
        [ "$rc" -eq 0 ] && is_png "$d/$f.png" && is_svg "$d/$f.svg" &&
            pass "${f}_figure_is_valid_png_and_svg" || fail "${f}_figure_is_valid_png_and_svg" "rc=$rc: $(echo "$out" | tail -2)"
    done
    is_png "$d/latency_cdf.png" && is_svg "$d/latency_cdf.svg" && grep -q 'p99.9' "$d/latency_cdf.svg" &&
        pass latency_cdf_figure_is_valid_png_and_svg || fail latency_cdf_figure_is_valid_png_and_svg "no valid latency_cdf"
    # the timer's resolution is drawn in red and named in the legend
    grep -qi 'c00000' "$d/latency.svg" && grep -q 'timer resolution' "$d/latency.svg" &&
        pass latency_timer_resolution_is_visible || fail latency_timer_resolution_is_visible "no red line named in latency.svg"
    local colour; colour=$(awk -F, '$1=="jemalloc" { print tolower($2) }' plots/palette.csv)
    grep -qi "$colour" "$d/latency.svg" && grep -qi "$colour" "$d/timeline.svg" &&
        pass latency_and_timeline_use_palette || fail latency_and_timeline_use_palette "$colour not in latency.svg and timeline.svg"
    # the existing fixture's two timeline samples are enough for a figure too;
    # backends of a cell without samples are named, not dropped
    d=$(fresh tl2)
    MPLCONFIGDIR="$TMP/mpl" "$MPL_PY" plots/timeline.py "$d" >/dev/null 2>&1 && is_png "$d/timeline.png" && is_svg "$d/timeline.svg" &&
        pass timeline_draws_fixture_samples || fail timeline_draws_fixture_samples "no valid timeline.png from $FIXTURE"
    grep -q 'no samples: jemalloc' "$d/timeline.svg" && grep -q '2 samples' "$d/timeline.svg" &&
        pass timeline_names_unsampled_backends || fail timeline_names_unsampled_backends "not in timeline.svg"
    # no latency metrics (the fixture run was made without --latency): silent, exit 0, no file
    d=$(fresh nolat)
    out=$(MPLCONFIGDIR="$TMP/mpl" "$MPL_PY" plots/latency.py "$d" 2>&1); rc=$?
    [ "$rc" -eq 0 ] && [ -z "$out" ] && [ ! -e "$d/latency.png" ] && [ ! -e "$d/latency.svg" ] &&
        pass latency_without_metrics_is_quiet_noop || fail latency_without_metrics_is_quiet_noop "rc=$rc, output: $out"
    # no timeline.csv, then a header-only one: one line, exit 0, no file
    rm -f "$d/timeline.csv"
    out=$(MPLCONFIGDIR="$TMP/mpl" "$MPL_PY" plots/timeline.py "$d" 2>&1); rc=$?
    [ "$rc" -eq 0 ] && [ "$(printf '%s\n' "$out" | grep -c .)" = 1 ] && [ ! -e "$d/timeline.png" ] && [ ! -e "$d/timeline.svg" ] &&
        pass timeline_without_file_is_quiet_noop || fail timeline_without_file_is_quiet_noop "rc=$rc, output: $out"
    head -1 "$FIXTURE/timeline.csv" >"$d/timeline.csv"
    out=$(MPLCONFIGDIR="$TMP/mpl" "$MPL_PY" plots/timeline.py "$d" 2>&1); rc=$?
    [ "$rc" -eq 0 ] && [ "$(printf '%s\n' "$out" | grep -c .)" = 1 ] && [ ! -e "$d/timeline.png" ] &&
        pass timeline_with_empty_file_is_quiet_noop || fail timeline_with_empty_file_is_quiet_noop "rc=$rc, output: $out"
    # render.sh: a stale latency/timeline figure goes, and report.md embeds only what was drawn
    touch "$d/latency.png" "$d/latency.svg" "$d/latency_cdf.png" "$d/timeline.png"
    plots/render.sh "$d" >/dev/null 2>&1
    [ ! -e "$d/latency.png" ] && [ ! -e "$d/latency.svg" ] && [ ! -e "$d/latency_cdf.png" ] && [ ! -e "$d/timeline.png" ] &&
        ! grep -q 'latency\.png\|latency_cdf\.png\|timeline\.png\|^## Latency per call\|^## Memory over time' "$d/report.md" &&
        pass render_drops_stale_latency_and_timeline || fail render_drops_stale_latency_and_timeline "stale file or report section left"
    d="$TMP/latr"; rm -rf "$d"; mkdir -p "$d"; cp "$LAT_FIXTURE"/* "$d/"
    plots/render.sh "$d" >/dev/null 2>&1
    grep -q '^## Latency per call' "$d/report.md" && grep -q '!\[.*\](latency.png)' "$d/report.md" &&
        grep -q '!\[.*\](latency_cdf.png)' "$d/report.md" &&
        grep -q '^## Memory over time' "$d/report.md" && grep -q '!\[.*\](timeline.png)' "$d/report.md" &&
        [ -f "$d/latency.png" ] && [ -f "$d/latency_cdf.png" ] && [ -f "$d/timeline.png" ] &&
        pass report_embeds_latency_and_timeline || fail report_embeds_latency_and_timeline "$(grep -c 'latency\|timeline' "$d/report.md") mentions"
}

test_run_all_sweeps_threads() {
    ./run_all.sh --help | grep -q "1,2,4,8" &&
        pass run_all_sweeps_threads_by_default || fail run_all_sweeps_threads_by_default "no default sweep"
}

test_summarize_fixture; test_render_fixture; test_render_is_repeatable; test_speed_memory_pareto; test_sweep_figure
test_quick_run_says_its_reps; test_article_table_needs_its_backends; test_home_suite_in_report; test_baseline_without_glibc
test_instructions_mode_headline
test_without_gnuplot; test_without_matplotlib; test_nothing_drawable; test_usage; test_old_schema_run
test_committed_run_renders_into_a_copy; test_compare; test_run_all_sweeps_threads; test_latency_and_timeline
