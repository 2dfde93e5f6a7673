#!/usr/bin/env python3
"""Every repetition of every backend, per workload x threads cell (matplotlib).

Usage: distribution.py RUN_DIR   -> RUN_DIR/distribution.png and .svg

One panel per cell; in it, per backend, a box (quartiles, whiskers to the
extremes) and each repetition's wall_ms (ops_per_s in a workload that
reports it: those run for a fixed time) as a dot, so a single slow repetition
shows as what it is. A backend with no ok run in a cell is named there with its
status. The panels' axes are logarithmic when a cell's values span more than
a factor of 20, so one slow backend does not flatten the others.
"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rundata  # noqa: E402
import mplcommon  # noqa: E402
from mplcommon import plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: distribution.py RUN_DIR")
    run = rundata.Run(sys.argv[1])
    # each cell on its time metric: wall_ms, or ops_per_s where reported
    cells = [c for c in run.cells
             if any(run.reps(b, c[0], c[1], run.time_metric(*c)[0]) for b in run.backends)]
    if not cells:
        print("distribution.py: no ok wall_ms repetitions; no figure", file=sys.stderr)
        return 1
    ncols = min(3 if len(cells) <= 12 else 4, len(cells))
    nrows = math.ceil(len(cells) / ncols)
    nb = len(run.backends)
    fig, axes = plt.subplots(nrows, ncols, figsize=(max(4.2, 0.62 * nb + 1.4) * ncols, 3.3 * nrows + 0.9),
                             squeeze=False)
    for k, (w, t) in enumerate(cells):
        ax = axes[k // ncols][k % ncols]
        values = []
        metric, inverted = run.time_metric(w, t)
        for i, b in enumerate(run.backends):
            reps = run.reps(b, w, t, metric)
            if inverted:
                reps = [v / 1e6 for v in reps]  # millions of ops/s
            colour = run.palette.colour[b]
            if reps:
                values += reps
                ax.boxplot([reps], positions=[i], widths=0.6, showfliers=False,
                           patch_artist=True, medianprops={"color": "#222222"},
                           boxprops={"facecolor": colour, "alpha": 0.35, "edgecolor": colour},
                           whiskerprops={"color": colour}, capprops={"color": colour})
                jitter = [((j * 0.618) % 1 - 0.5) * 0.3 for j in range(len(reps))]
                ax.scatter([i + d for d in jitter], reps, s=16, color=colour,
                           edgecolor="#222222", linewidth=0.4, zorder=3)
            else:
                status = run.cell_status(b, w, t)
                ax.text(i, 0.5, status, transform=ax.get_xaxis_transform(), rotation=90,
                        ha="center", va="center", color="#C00000", fontsize=8)
        if values and max(values) / max(min(values), 1e-12) > 20:
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_xticks(range(nb))
        ax.set_xticklabels(run.backends, rotation=30, ha="right")
        ax.set_xlim(-0.6, nb - 0.4)
        ax.set_title(run.label(w, t), fontsize=10)
        ax.set_ylabel(("million ops/s, higher is better" if inverted else "wall time (ms)") +
                      (", log scale" if ax.get_yscale() == "log" else ""))
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
    mplcommon.finish_grid(fig, axes, len(cells),
                          "Every repetition: wall time (or ops/s where reported) per workload "
                          "and backend (dots: repetitions; boxes: quartiles)", run.subtitle(),
                          run.dir, "distribution", top=0.55)
    return 0


if __name__ == "__main__":
    sys.exit(main())
