#!/usr/bin/env python3
"""Speed against memory, one point per backend per workload, relative to
the baseline (matplotlib).

Usage: speed_memory.py RUN_DIR [--stats DIR]   -> RUN_DIR/speed_memory.png and .svg

One panel per workload x threads cell, and a first panel over all cells. In
a cell's panel each backend is a point: x its peak RSS (a real program's own
peak where it reports one) divided by the baseline's, y its cost (median
wall time, time per operation, or instructions) divided by the baseline's,
both from summary.csv with their 95% intervals as bars, both on log axes;
the baseline sits at (1, 1). Down and left is better on both. A filled point
is measurably faster or slower than the baseline, an open one is not. The
dashed staircase is the Pareto front: the backends no other backend beats
on both time and memory at once. The first panel places each backend at the
geometric means of its two ratios over the cells where it has both (no
interval: an average of cells, not the bootstrapped score of scores.csv).
"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rundata  # noqa: E402
from rundata import ok  # noqa: E402


def points(run, w, t):
    """{backend: (time Ratio, memory summary row)} where both exist."""
    out = {}
    for b in run.backends:
        tr, mem = run.time_ratio(b, w, t), run.memory_row(b, w, t)
        if tr and mem and ok(tr.point) and ok(mem["ratio"]) and tr.point > 0 and mem["ratio"] > 0:
            out[b] = (tr, mem)
    return out


def pareto(xy):
    """The names on the Pareto front of {name: (x, y)} (lower is better on
    both), sorted by x."""
    front = [n for n, (x, y) in xy.items()
             if not any((x2 <= x and y2 <= y) and (x2 < x or y2 < y) for x2, y2 in xy.values())]
    return sorted(front, key=lambda n: xy[n])


def geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))


def main():
    run = rundata.run_from_argv(sys.argv, "speed_memory.py")
    base = run.baseline
    cells = [(w, t) for w, t in run.cells if len(points(run, w, t)) >= 2]
    if not base or not cells:
        print("speed_memory.py: no cell with a time and a memory ratio for two backends; no figure")
        return 0
    import mplcommon
    from mplcommon import plt
    from matplotlib.lines import Line2D

    # the first panel: geometric means over each backend's cells
    per_backend = {}
    for w, t in cells:
        for b, (tr, mem) in points(run, w, t).items():
            per_backend.setdefault(b, []).append((mem["ratio"], tr.point))
    panels = [("all cells: geometric mean of each backend's ratios",
               {b: (geomean([x for x, _ in v]), geomean([y for _, y in v]), None, None, True, len(v))
                for b, v in per_backend.items()})]
    for w, t in cells:
        panels.append((run.label(w, t), {
            b: (mem["ratio"], tr.point, (mem["ci_low"], mem["ci_high"]), (tr.low, tr.high),
                tr.verdict in ("lower", "higher", "baseline"), None)
            for b, (tr, mem) in points(run, w, t).items()}))

    ncols = min(3, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols + 0.4, 3.9 * nrows + 1.5), squeeze=False)
    most = max(len(v) for v in per_backend.values())
    for k, (title, pts) in enumerate(panels):
        ax = axes[k // ncols][k % ncols]
        for b, (x, y, xci, yci, measurable, count) in pts.items():
            colour = run.palette.colour[b]
            if xci and yci:
                err = lambda v, ci: [[max(v - ci[0], 0) if ok(ci[0]) else 0],  # noqa: E731
                                     [max(ci[1] - v, 0) if ok(ci[1]) else 0]]
                ax.errorbar([x], [y], xerr=err(x, xci), yerr=err(y, yci), fmt="none",
                            ecolor=colour, elinewidth=1, alpha=0.7, zorder=2)
            marker = "*" if b == base else "o"
            ax.scatter([x], [y], s=90 if b == base else 40, marker=marker, zorder=3,
                       color=colour if measurable else "white", edgecolor=colour if not measurable else "#222222",
                       linewidth=1.6 if not measurable else 0.6)
            if count is not None and count < most:
                ax.annotate(f"{count}/{most} cells", (x, y), xytext=(4, 4), textcoords="offset points",
                            fontsize=7, color="#444444")
        xy = {b: (p[0], p[1]) for b, p in pts.items()}
        xs = [v[0] for v in xy.values()] + [1]
        ys = [v[1] for v in xy.values()] + [1]
        xlim = (min(xs) / 1.25, max(xs) * 1.25)
        ylim = (min(ys) / 1.25, max(ys) * 1.25)
        # the front as a staircase from the top edge to the right edge, so
        # that a front of one backend still shows as a corner
        front = pareto(xy)
        fx = [xy[front[0]][0]] + [xy[b][0] for b in front] + [xlim[1]]
        fy = [ylim[1]] + [xy[b][1] for b in front] + [xy[front[-1]][1]]
        ax.plot(fx, fy, drawstyle="steps-post", color="#555555", linestyle="--", linewidth=1, zorder=1)
        ax.axhline(1, color="#000000", linewidth=0.6, linestyle=":")
        ax.axvline(1, color="#000000", linewidth=0.6, linestyle=":")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        mplcommon.log_ticks(ax.xaxis, *xlim)
        mplcommon.log_ticks(ax.yaxis, *ylim)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(f"peak RSS ÷ {base}'s (log)")
        ax.set_ylabel(f"{'instructions' if run.mode == 'instructions' else 'time'} ÷ {base}'s (log)")
        ax.grid(color="#eeeeee", linewidth=0.6)
        ax.set_axisbelow(True)
    shown = [b for b in run.backends if b in per_backend]
    handles = [Line2D([0], [0], marker="*" if b == base else "o", linestyle="", markersize=8,
                      markerfacecolor=run.palette.colour[b], markeredgecolor="#222222") for b in shown]
    handles.append(Line2D([0], [0], color="#555555", linestyle="--", linewidth=1))
    fig.legend(handles, [f"{b} (baseline)" if b == base else b for b in shown] + ["Pareto front"],
               loc="lower center", ncol=min(len(handles), 8), frameon=False, bbox_to_anchor=(0.5, 0))
    mplcommon.finish_grid(fig, axes, len(panels),
                          f"Speed against memory, relative to {base}: down and left is better on both\n"
                          "(bars: 95% intervals; open point: no measurable time difference; "
                          "dashed: the Pareto front)", run.subtitle(), run.dir, "speed_memory", bottom=0.4)
    return 0


if __name__ == "__main__":
    sys.exit(main())
