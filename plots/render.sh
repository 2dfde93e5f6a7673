#!/usr/bin/env bash
# Re-renders a run's figures and report.md from its CSV files; runs nothing
# and never rewrites the run's CSV files.
#
# Usage: plots/render.sh [--in-place] RUN_DIR     (also: make plots RUN=RUN_DIR)
#
# A run directory with files committed to git (results/reference) is
# rendered into a copy, build/render/<its name>/, so that rendering never
# dirties the work tree (the PNGs would differ with another gnuplot or
# matplotlib); --in-place renders into it all the same (to refresh the
# committed figures on purpose).
#
# Which tool draws which figure: plots/README.md. gnuplot (Debian package
# gnuplot-nox) draws the ratio bars per workload, the overview, peak RSS and
# thread scaling; matplotlib (python3-matplotlib, with the interpreter that
# has it) draws every other figure, one script each (MPL_FIGURES below).
# Either tool missing: a message naming the package, and the other's figures
# are still made. report.md needs only python3. A run summarised by an older
# harness (summary.csv without a verdict column) is summarised afresh by
# build/bench summarize into a scratch directory, which the figures and the
# report then read. Exit status: 0 when the report was written and at least
# one figure was drawn; 1 otherwise.
# Environment: GNUPLOT (the gnuplot command, default gnuplot); PLOT_PYTHONS
# (the interpreters to try, default "$PYTHON /usr/bin/python3 python3 python").
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")

in_place=0
[ "${1:-}" = "--in-place" ] && { in_place=1; shift; }
if [ $# -ne 1 ] || [ ! -d "$1" ]; then
    echo "usage: plots/render.sh [--in-place] RUN_DIR (a run directory holding summary.csv)" >&2
    exit 2
fi
run_dir=$(cd "$1" && pwd)
if [ ! -f "$run_dir/summary.csv" ]; then
    echo "render.sh: $run_dir has no summary.csv (is it a run directory?)" >&2
    exit 2
fi
if [ "$in_place" -eq 0 ] && [ -n "$(git -C "$run_dir" ls-files -- . 2>/dev/null | head -1)" ]; then
    copy="$root/build/render/$(basename "$run_dir")"
    echo "render.sh: $1 holds files committed to git: rendering a copy in $copy (--in-place: into $1)"
    rm -rf "$copy" && mkdir -p "$copy" && cp -R "$run_dir"/. "$copy"/ || exit 1
    run_dir=$copy
fi

drawn=0
failed=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A run summarised by an older harness: its statistics are recomputed from
# results.csv into the scratch directory (nothing is rerun, nothing in the
# run directory is rewritten), and every script reads them from there.
stats=()
if ! head -1 "$run_dir/summary.csv" | grep -q verdict || [ ! -f "$run_dir/scores.csv" ]; then
    if [ -x "$root/build/bench" ] && [ -f "$run_dir/results.csv" ]; then
        echo "render.sh: summary.csv is from an older harness: recomputing the statistics with build/bench summarize (into a scratch copy)"
        mkdir -p "$work/stats"
        cp "$run_dir/results.csv" "$work/stats/"
        [ -f "$run_dir/meta.json" ] && cp "$run_dir/meta.json" "$work/stats/"
        if "$root/build/bench" summarize "$work/stats" >/dev/null; then
            stats=(--stats "$work/stats")
        else
            echo "render.sh: build/bench summarize failed" >&2
            exit 1
        fi
    else
        echo "render.sh: summary.csv is from an older harness and build/bench is not built (run make)" >&2
        exit 1
    fi
fi

# ---- Interpreters: any python3 for the data and the report; the one that
# has matplotlib for its figures (pyenv or venv pythons often lack it) ----
py=""
mpl_py=""
for candidate in ${PLOT_PYTHONS:-${PYTHON:-} /usr/bin/python3 python3 python}; do
    command -v "$candidate" >/dev/null 2>&1 || continue
    "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 6))' 2>/dev/null || continue
    [ -z "$py" ] && py=$candidate
    if [ -z "$mpl_py" ] && "$candidate" -c 'import matplotlib' 2>/dev/null; then
        mpl_py=$candidate
        break
    fi
done
if [ -z "$py" ]; then
    echo "render.sh: no python3 found; install the Debian package python3 (figures and report need it)" >&2
    exit 1
fi

# Figures of an earlier render go first, so that report.md never shows a stale
# one (only the names this script draws; nothing else is touched).
# plots/NAME.py draws NAME.png (and NAME_*.png, as latency_cdf.png) with SVGs
MPL_FIGURES="distribution scores speed_memory latency timeline sweep"
for f in "$run_dir"/{ratio,scaling}_*.{png,svg} "$run_dir"/{overview,peak_rss}.{png,svg}; do
    [ -f "$f" ] && rm -f "$f"
done
for name in $MPL_FIGURES; do rm -f "$run_dir/$name".{png,svg} "$run_dir/$name"_*.{png,svg}; done

# ---- gnuplot figures ----
gnuplot=${GNUPLOT:-gnuplot}
if command -v "$gnuplot" >/dev/null 2>&1; then
    if drivers=$("$py" "$here/prepare_gnuplot.py" "$work" "$run_dir" "${stats[@]}"); then
        for driver in $drivers; do
            name=$(basename "$driver" .gp)
            if "$gnuplot" "$driver" 2>"$work/$name.err"; then
                drawn=$((drawn + 1))
            else
                failed=$((failed + 1))
                echo "render.sh: gnuplot could not draw $name:" >&2
                sed 's/^/  /' "$work/$name.err" >&2
            fi
        done
    else
        echo "render.sh: could not tabulate the run for gnuplot (see above)" >&2
        failed=$((failed + 1))
    fi
else
    echo "render.sh: gnuplot not found: install the Debian package gnuplot-nox for the" >&2
    echo "render.sh: ratio, overview, peak RSS and thread-scaling figures; going on without them" >&2
fi

# ---- matplotlib figures ----
if [ -n "$mpl_py" ]; then
    for script in $MPL_FIGURES; do
        if MPLCONFIGDIR="$work/mpl" "$mpl_py" "$here/$script.py" "$run_dir" "${stats[@]}"; then
            # a script draws nothing (exit 0) when the run lacks its data
            for f in "$run_dir/$script".png "$run_dir/$script"_*.png; do
                [ -f "$f" ] && drawn=$((drawn + 1))
            done
        else
            failed=$((failed + 1))
            echo "render.sh: $script.py drew nothing (see above)" >&2
        fi
    done
else
    echo "render.sh: no python3 with matplotlib: install the Debian package python3-matplotlib" >&2
    echo "render.sh: (used through /usr/bin/python3) for the $(echo $MPL_FIGURES | sed 's/ /, /g') figures; going on without them" >&2
fi

# ---- report.md ----
if ! "$py" "$here/report.py" "$run_dir" "${stats[@]}"; then
    echo "render.sh: report.md could not be written" >&2
    exit 1
fi
echo "render.sh: $drawn figure(s) drawn (PNG and SVG)$([ "$failed" -gt 0 ] && echo ", $failed failed"); report: $run_dir/report.md"
[ "$drawn" -gt 0 ]
