#!/usr/bin/env bash
# Re-renders a run's figures and report.md from its CSV files; runs nothing.
#
# Usage: plots/render.sh RUN_DIR     (also: make plots RUN=RUN_DIR)
#
# gnuplot (Debian package gnuplot-nox) draws the ratio bars per workload, the
# overview, peak RSS and thread scaling; matplotlib (python3-matplotlib, with
# the interpreter that has it) draws the distribution of repetitions, the
# scores, the latency percentiles (runs made with --latency) and RSS over time
# (runs with a timeline.csv). Either tool missing: a message naming the package, and the other's
# figures are still made. report.md needs only python3. Exit status: 0 when
# the report was written and at least one figure was drawn; 1 otherwise.
# Environment: GNUPLOT (the gnuplot command, default gnuplot); PLOT_PYTHONS
# (the interpreters to try, default "$PYTHON /usr/bin/python3 python3 python").
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
    echo "usage: plots/render.sh RUN_DIR (a run directory holding summary.csv)" >&2
    exit 2
fi
run_dir=$(cd "$1" && pwd)
if [ ! -f "$run_dir/summary.csv" ]; then
    echo "render.sh: $run_dir has no summary.csv (is it a run directory?)" >&2
    exit 2
fi

# A run summarised before the intervals existed: recompute its summary.csv and
# scores.csv from results.csv (statistics only; nothing is rerun).
if ! head -1 "$run_dir/summary.csv" | grep -q ci_low || [ ! -f "$run_dir/scores.csv" ]; then
    if [ -x "$root/build/bench" ] && [ -f "$run_dir/results.csv" ]; then
        echo "render.sh: recomputing summary.csv and scores.csv with build/bench summarize"
        "$root/build/bench" summarize "$run_dir" >/dev/null ||
            echo "render.sh: build/bench summarize failed; figures without intervals" >&2
    else
        echo "render.sh: summary.csv has no intervals and build/bench is not built (run make)" >&2
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
    fi
done
if [ -z "$py" ]; then
    echo "render.sh: no python3 found; install the Debian package python3 (figures and report need it)" >&2
    exit 1
fi

# Figures of an earlier render go first, so that report.md never shows a stale
# one (only the names this script draws; nothing else is touched).
for f in "$run_dir"/ratio_*.png "$run_dir"/ratio_*.svg "$run_dir"/scaling_*.png \
         "$run_dir"/scaling_*.svg "$run_dir"/{overview,peak_rss,distribution,scores,latency,timeline}.{png,svg}; do
    [ -f "$f" ] && rm -f "$f"
done

drawn=0
failed=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ---- gnuplot figures ----
gnuplot=${GNUPLOT:-gnuplot}
if command -v "$gnuplot" >/dev/null 2>&1; then
    if drivers=$("$py" "$here/prepare_gnuplot.py" "$run_dir" "$work"); then
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
    for script in distribution scores latency timeline; do
        if MPLCONFIGDIR="$work/mpl" "$mpl_py" "$here/$script.py" "$run_dir"; then
            # latency.py and timeline.py draw nothing (exit 0) without their data
            [ -f "$run_dir/$script.png" ] && drawn=$((drawn + 1))
        else
            failed=$((failed + 1))
            echo "render.sh: $script.py drew nothing (see above)" >&2
        fi
    done
else
    echo "render.sh: no python3 with matplotlib: install the Debian package python3-matplotlib" >&2
    echo "render.sh: (used through /usr/bin/python3) for the distribution, score, latency and timeline figures; going on without them" >&2
fi

# ---- report.md ----
if ! "$py" "$here/report.py" "$run_dir"; then
    echo "render.sh: report.md could not be written" >&2
    exit 1
fi
echo "render.sh: $drawn figure(s) drawn (PNG and SVG)$([ "$failed" -gt 0 ] && echo ", $failed failed"); report: $run_dir/report.md"
[ "$drawn" -gt 0 ]
