#!/usr/bin/env bash
# Tests of the statistics files and the figures and report (plots/): on the
# fixture run tests/fixtures/plots-run (synthetic: 7 backends, a thread sweep,
# a workload with an ops/s metric, and preload_failed, crashed, timeout and
# missing runs, plus a timeline.csv), summarize gives known, deterministic
# answers, render.sh draws valid PNG and SVG files with one colour per backend
# from plots/palette.csv, report.md holds every section, and a missing tool
# costs only its own figures; on tests/fixtures/latency-run (a small
# `bench run --latency` run with its timeline.csv), latency.py and timeline.py
# draw valid figures, and without their data they draw nothing, quietly. One
# function per fact.
set -u
cd "$(dirname "$0")/.." || exit 1
BENCH=build/bench
FIXTURE=tests/fixtures/plots-run
[ -x "$BENCH" ] || { echo "FAIL setup: run make first"; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }

# A python3 with matplotlib, as render.sh finds it; empty when there is none.
MPL_PY=""
for c in /usr/bin/python3 python3 python; do
    command -v "$c" >/dev/null 2>&1 && "$c" -c 'import matplotlib' 2>/dev/null && { MPL_PY=$c; break; }
done
HAVE_GNUPLOT=0; command -v gnuplot >/dev/null 2>&1 && HAVE_GNUPLOT=1

fresh() { rm -rf "$TMP/$1"; mkdir -p "$TMP/$1"; cp "$FIXTURE"/*.csv "$FIXTURE"/meta.json "$TMP/$1/"; echo "$TMP/$1"; }
# column VALUE of the summary row BACKEND,WORKLOAD,THREADS,METRIC
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

# ---- Statistics through bench summarize ----
test_summarize_fixture() {
    local d; d=$(fresh stats)
    "$BENCH" summarize "$d" >/dev/null || { fail summarize_fixture "bench summarize failed"; return; }
    cmp -s "$d/summary.csv" "$FIXTURE/summary.csv" && pass summary_csv_is_deterministic ||
        fail summary_csv_is_deterministic "differs from the committed fixture: $(diff "$d/summary.csv" "$FIXTURE/summary.csv" | head -3)"
    cmp -s "$d/scores.csv" "$FIXTURE/scores.csv" && pass scores_csv_is_deterministic ||
        fail scores_csv_is_deterministic "$(diff "$d/scores.csv" "$FIXTURE/scores.csv" | head -3)"
    [ "$(head -1 "$d/summary.csv")" = "backend,workload,threads,metric,unit,n,median,min,max,ratio_vs_glibc,ci_low,ci_high,runs" ] &&
        pass summary_header_has_interval_after_ratio || fail summary_header_has_interval_after_ratio "$(head -1 "$d/summary.csv")"
    # every interval holds its ratio, glibc's is [1, 1]
    local bad; bad=$(awk -F, 'NR>1 && $10!="" { if ($11=="" || $12=="" || $11>$10+1e-9 || $12<$10-1e-9) print }' "$d/summary.csv" | head -2)
    [ -z "$bad" ] && pass every_interval_holds_its_ratio || fail every_interval_holds_its_ratio "$bad"
    [ "$(field "$d/summary.csv" glibc alloc_free 1 wall_ms ci_low),$(field "$d/summary.csv" glibc alloc_free 1 wall_ms ci_high)" = "1,1" ] &&
        pass glibc_interval_is_exactly_one || fail glibc_interval_is_exactly_one "$(field "$d/summary.csv" glibc alloc_free 1 wall_ms ci_low)"
    # the score is the geometric mean of the cells' wall_ms ratios
    local want got
    want=$(awk -F, '$1=="jemalloc" && $4=="wall_ms" && $10!="" { s+=log($10); n++ } END { printf "%.5f", exp(s/n) }' "$d/summary.csv")
    got=$(score_field "$d/scores.csv" jemalloc score)
    awk -v a="$want" -v b="$got" 'BEGIN { exit !(a-b < 1e-5 && b-a < 1e-5) }' && pass score_is_geomean_of_wall_ratios || fail score_is_geomean_of_wall_ratios "want $want got $got"
    [ "$(score_field "$d/scores.csv" glibc score)" = 1 ] && pass glibc_score_is_one || fail glibc_score_is_one "$(score_field "$d/scores.csv" glibc score)"
    [ "$(score_field "$d/scores.csv" tcmalloc cells)/$(score_field "$d/scores.csv" tcmalloc cells_total)/$(score_field "$d/scores.csv" tcmalloc not_counted)" = "7/8/churn_rate x1" ] &&
        pass score_names_uncounted_cells || fail score_names_uncounted_cells "$(grep ^tcmalloc "$d/scores.csv")"
    [ -z "$(score_field "$d/scores.csv" mine score)" ] && [ "$(score_field "$d/scores.csv" mine cells)" = 0 ] &&
        pass score_empty_for_backend_without_ok_runs || fail score_empty_for_backend_without_ok_runs "$(grep ^mine "$d/scores.csv")"
}

# ---- Figures and report ----
GNUPLOT_FIGS="overview peak_rss scaling_multithread ratio_alloc_free ratio_batch ratio_mixed_sizes ratio_churn_rate ratio_multithread_x1 ratio_multithread_x8"
MPL_FIGS="distribution scores"

test_render_fixture() {
    local d; d=$(fresh full)
    plots/render.sh "$d" >"$TMP/render.out" 2>&1
    local rc=$?
    [ "$rc" -eq 0 ] && pass render_exits_0 || fail render_exits_0 "exit $rc: $(tail -3 "$TMP/render.out")"
    local f bad=""
    if [ "$HAVE_GNUPLOT" -eq 1 ]; then
        for f in $GNUPLOT_FIGS; do is_png "$d/$f.png" && is_svg "$d/$f.svg" || bad="$bad $f"; done
        [ -z "$bad" ] && pass gnuplot_figures_are_valid_png_and_svg || fail gnuplot_figures_are_valid_png_and_svg "bad or missing:$bad"
    else
        skip gnuplot_figures_are_valid_png_and_svg "gnuplot not installed (gnuplot-nox)"
    fi
    bad=""
    if [ -n "$MPL_PY" ]; then
        for f in $MPL_FIGS; do is_png "$d/$f.png" && is_svg "$d/$f.svg" || bad="$bad $f"; done
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
    else
        skip palette_colour_in_both_tools "needs both gnuplot and matplotlib"
    fi
    grep -q "Fixture CPU 9000" "$d/overview.svg" 2>/dev/null && grep -q "2026-01-02" "$d/overview.svg" &&
        pass subtitle_names_machine_and_date || { [ "$HAVE_GNUPLOT" -eq 1 ] && fail subtitle_names_machine_and_date "not in overview.svg" || skip subtitle_names_machine_and_date "no gnuplot"; }

    local r="$d/report.md"
    [ -s "$r" ] || { fail report_written "no report.md"; return; }
    grep -q "^| article row " "$r" && grep -q "^| batch alloc | 3.4 | 1.46 | 0.43 " "$r" && grep -q "^| 8 threads | 57 | 791 | 13.9 | \`multithread\` ×8" "$r" &&
        pass report_has_article_table || fail report_has_article_table "$(grep -A3 'article row' "$r" | head -4)"
    [ "$(grep -c '^| \(alloc + free\|batch alloc\|batch free\|mixed sizes\|8 threads\)' "$r")" = 5 ] &&
        pass article_table_has_five_rows || fail article_table_has_five_rows "$(grep -c '^| ' "$r")"
    grep '^| batch alloc' "$r" | grep -q '`custom`' && grep '^| batch alloc' "$r" | grep -q '`article`' &&
        pass article_rows_read_custom_and_article || fail article_rows_read_custom_and_article "$(grep '^| batch alloc' "$r")"
    grep '^| 8 threads' "$r" | grep -q 'timeout' && pass article_row_says_why_unmeasured || fail article_row_says_why_unmeasured "$(grep '^| 8 threads' "$r")"
    local s missing_status=""
    for s in preload_failed crashed timeout missing; do grep -q "^| .* | \*\*$s\*\* |" "$r" || missing_status="$missing_status $s"; done
    [ -z "$missing_status" ] && pass report_lists_every_failed_run || fail report_lists_every_failed_run "not listed:$missing_status"
    # every failed repetition is named: the reps column of the failed-runs table adds up
    local listed; listed=$(grep '| \*\*\(preload_failed\|crashed\|timeout\|missing\)\*\* |' "$r" | awk -F'|' '{ n += split($6, a, ",") } END { print n + 0 }')
    [ "$listed" = "$(awk -F, 'NR>1 && $8!="ok"' "$d/results.csv" | wc -l)" ] &&
        pass report_drops_no_failed_run || fail report_drops_no_failed_run "count differs"
    grep -q "^### churn_rate" "$r" && grep -q "This workload reports \`ops_per_s\`" "$r" && grep -q "| median ops/s |" "$r" &&
        grep -q "user_ms (ms; lower is better)" "$r" &&
        pass report_shows_unknown_workload_and_metric || fail report_shows_unknown_workload_and_metric "no churn_rate section"
    grep -q "^## Overall scores" "$r" && grep -q "^| jemalloc | 0.699 | 0.683–0.726 | 8 of 8 |" "$r" &&
        pass report_has_scores || fail report_has_scores "$(grep -A4 'Overall scores' "$r" | tail -2)"
    grep -q "^| CPU | Fixture CPU 9000, 2 cores online |" "$r" && pass report_has_environment || fail report_has_environment "no CPU row"
    local missing_img="" img
    for img in $(grep -o '([a-z_0-9]*\.png)' "$r" | tr -d '()'); do [ -f "$d/$img" ] || missing_img="$missing_img $img"; done
    [ -z "$missing_img" ] && grep -q '!\[.*\](overview.png)' "$r" && pass report_embeds_drawn_figures || fail report_embeds_drawn_figures "missing:$missing_img"
    [ -f "$d/timeline.csv" ] && pass timeline_csv_is_left_alone || fail timeline_csv_is_left_alone "timeline.csv gone"
}

test_render_is_repeatable() { # on the directory test_render_fixture rendered
    local d="$TMP/full"
    cp "$d/report.md" "$TMP/report.first"
    plots/render.sh "$d" >/dev/null 2>&1
    cmp -s "$d/report.md" "$TMP/report.first" && pass rerender_gives_same_report || fail rerender_gives_same_report "report.md changed"
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
    local d; d=$(fresh make)
    make -s plots RUN="$d" >/dev/null 2>&1 && [ -s "$d/report.md" ] && pass make_plots_renders_run || fail make_plots_renders_run "no report.md"
}

test_old_summary_is_recomputed() {
    # a run summarised before ci_low existed gets its statistics recomputed
    local d; d=$(fresh old)
    cut -d, -f1-10,13 "$d/summary.csv" >"$d/s" && mv "$d/s" "$d/summary.csv" && rm "$d/scores.csv"
    plots/render.sh "$d" >/dev/null 2>&1
    head -1 "$d/summary.csv" | grep -q ci_low && [ -s "$d/scores.csv" ] && pass old_run_gets_intervals || fail old_run_gets_intervals "$(head -1 "$d/summary.csv")"
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
    local colour; colour=$(awk -F, '$1=="jemalloc" { print tolower($2) }' plots/palette.csv)
    grep -qi "$colour" "$d/latency.svg" && grep -qi "$colour" "$d/timeline.svg" &&
        pass latency_and_timeline_use_palette || fail latency_and_timeline_use_palette "$colour not in latency.svg and timeline.svg"
    # the existing fixture's two timeline samples are enough for a figure too
    d=$(fresh tl2)
    MPLCONFIGDIR="$TMP/mpl" "$MPL_PY" plots/timeline.py "$d" >/dev/null 2>&1 && is_png "$d/timeline.png" && is_svg "$d/timeline.svg" &&
        pass timeline_draws_fixture_samples || fail timeline_draws_fixture_samples "no valid timeline.png from $FIXTURE"
    # no latency metrics (the fixture run was made without --latency): one line, exit 0, no file
    d=$(fresh nolat)
    out=$(MPLCONFIGDIR="$TMP/mpl" "$MPL_PY" plots/latency.py "$d" 2>&1); rc=$?
    [ "$rc" -eq 0 ] && [ "$(printf '%s\n' "$out" | grep -c .)" = 1 ] && [ ! -e "$d/latency.png" ] && [ ! -e "$d/latency.svg" ] &&
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
    touch "$d/latency.png" "$d/latency.svg" "$d/timeline.png"
    plots/render.sh "$d" >/dev/null 2>&1
    [ ! -e "$d/latency.png" ] && [ ! -e "$d/latency.svg" ] && [ ! -e "$d/timeline.png" ] &&
        ! grep -q 'latency\.png\|timeline\.png\|^## Latency per call\|^## Memory over time' "$d/report.md" &&
        pass render_drops_stale_latency_and_timeline || fail render_drops_stale_latency_and_timeline "stale file or report section left"
    d="$TMP/latr"; rm -rf "$d"; mkdir -p "$d"; cp "$LAT_FIXTURE"/* "$d/"
    plots/render.sh "$d" >/dev/null 2>&1
    grep -q '^## Latency per call' "$d/report.md" && grep -q '!\[.*\](latency.png)' "$d/report.md" &&
        grep -q '^## Memory over time' "$d/report.md" && grep -q '!\[.*\](timeline.png)' "$d/report.md" &&
        [ -f "$d/latency.png" ] && [ -f "$d/timeline.png" ] &&
        pass report_embeds_latency_and_timeline || fail report_embeds_latency_and_timeline "$(grep -c 'latency\|timeline' "$d/report.md") mentions"
}

test_run_all_sweeps_threads() {
    ./run_all.sh --help | grep -q "1,2,4,8" &&
        pass run_all_sweeps_threads_by_default || fail run_all_sweeps_threads_by_default "no default sweep"
}

test_summarize_fixture; test_render_fixture; test_render_is_repeatable; test_without_gnuplot
test_without_matplotlib; test_nothing_drawable; test_usage; test_old_summary_is_recomputed
test_run_all_sweeps_threads; test_latency_and_timeline
