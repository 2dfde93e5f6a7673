#!/usr/bin/env python3
"""Every process, and every sample inside it, per workload x threads cell
(matplotlib).

Usage: distribution.py RUN_DIR [--stats DIR]   -> RUN_DIR/distribution.png and .svg

One panel per cell; in it, per backend, a box over its processes' values
(quartiles, whiskers to the extremes: the process is the unit of
repetition) and each process as a dot with a dark ring: its wall_ms (ops/s in
a workload that reports it, instructions where they were counted), the
median of its samples. Where the run has samples.csv, each process also gets
a column of its own beside the others, with its measured samples as small
dots and its warm-up samples as crosses (left out of its value), so that one
process that ran in a slow stretch of the machine shows as a column apart.
A backend with no ok run in a cell is named there with its status. A
panel's axis is logarithmic when its values span more than a factor of 20.
"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rundata  # noqa: E402
import mplcommon  # noqa: E402
from mplcommon import plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

SPAN = 0.6  # width a backend's processes share


def draw_backend(ax, i, colour, procs, samples, scale):
    """One backend's processes at x = i: box, samples, process values (one
    scatter call per kind of mark: a figure has hundreds of processes).
    Returns every value drawn."""
    values = [v * scale for _, v in procs]
    ax.boxplot([values], positions=[i], widths=SPAN, showfliers=False, patch_artist=True,
               medianprops={"color": "#222222"},
               boxprops={"facecolor": colour, "alpha": 0.25, "edgecolor": colour},
               whiskerprops={"color": colour}, capprops={"color": colour})
    n = len(procs)
    columns, measured, warm = [], ([], []), ([], [])
    for k, (key, _) in enumerate(procs):
        x = i - SPAN / 2 + SPAN * (k + 0.5) / n if n > 1 else i
        columns.append(x)
        own = samples.get(key, [])
        for j, (v, is_warm) in enumerate(own):
            xs, ys = warm if is_warm else measured
            xs.append(x if is_warm else x + ((j * 0.618) % 1 - 0.5) * SPAN / n * 0.5)
            ys.append(v * scale)
    if measured[0]:
        ax.scatter(*measured, s=5, color=colour, alpha=0.55, linewidth=0, zorder=2)
    if warm[0]:
        ax.scatter(*warm, s=14, marker="x", color="#777777", linewidth=0.8, zorder=2)
    ax.scatter(columns, values, s=26, color=colour, edgecolor="#222222", linewidth=0.9, zorder=3)
    return values + measured[1] + warm[1]


def main():
    run = rundata.run_from_argv(sys.argv, "distribution.py")
    cells = [c for c in run.cells
             if any(run.reps(b, c[0], c[1], run.time_metric(*c)[0]) for b in run.backends)]
    if not cells:
        print("distribution.py: no ok process with a time metric; no figure", file=sys.stderr)
        return 1
    samples = run.samples()
    ncols = min(3 if len(cells) <= 12 else 4, len(cells))
    nrows = math.ceil(len(cells) / ncols)
    nb = len(run.backends)
    fig, axes = plt.subplots(nrows, ncols, figsize=(max(4.2, 0.62 * nb + 1.4) * ncols, 3.3 * nrows + 1.1),
                             squeeze=False)
    for k, (w, t) in enumerate(cells):
        ax = axes[k // ncols][k % ncols]
        values = []
        metric, inverted = run.time_metric(w, t)
        scale = 1e-6 if inverted else 1  # millions of ops/s
        for i, b in enumerate(run.backends):
            procs = run.processes(b, w, t, metric)
            if procs:
                values += draw_backend(ax, i, run.palette.colour[b], procs,
                                       samples.get((b, w, t, metric), {}), scale)
            else:
                ax.text(i, 0.5, run.cell_status(b, w, t), transform=ax.get_xaxis_transform(), rotation=90,
                        ha="center", va="center", color="#C00000", fontsize=8)
        if values and max(values) / max(min(values), 1e-12) > 20:
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_xticks(range(nb))
        ax.set_xticklabels(run.backends, rotation=30, ha="right")
        ax.set_xlim(-0.6, nb - 0.4)
        ax.set_title(run.label(w, t), fontsize=10)
        unit = ("million ops/s, higher is better" if inverted else
                "instructions" if metric == rundata.COUNT_METRIC else "wall time (ms)")
        ax.set_ylabel(unit + (", log scale" if ax.get_yscale() == "log" else ""))
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
    what = "samples inside each process (small dots; ×: warm-up, left out), " if samples else ""
    mplcommon.finish_grid(fig, axes, len(cells),
                          "Every process (ringed dot: its value, the median of its samples; box: quartiles "
                          "over processes)\n" + (f"and the {what}one column per process" if samples else
                                                 "(this run has no samples.csv: processes only)"),
                          run.subtitle(), run.dir, "distribution")
    return 0


if __name__ == "__main__":
    sys.exit(main())
