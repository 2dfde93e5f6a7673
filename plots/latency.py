#!/usr/bin/env python3
"""Latency per call, per workload x backend, from a `bench run --latency` run
(matplotlib): two figures of the same numbers.

Usage: latency.py RUN_DIR [--stats DIR]
       -> RUN_DIR/latency.png and latency_cdf.png (and .svg)

One panel per workload x threads x operation kind (malloc, free, free_remote,
realloc: the kinds that saw calls), one colour per backend (palette).
- latency.png: groups of bars, p50, p90, p99, p99.9, p99.99 and max latency in ns
  (log axis): the median over ok processes, min-max over processes as a line.
- latency_cdf.png: the same percentiles as a distribution with its tail
  stretched (x: percentile on a log scale of 1/(1 - p), so that each step
  right is ten times rarer; y: ns, log), one line per backend through its
  medians, the band min-max over processes. It is drawn through the
  percentiles the harness records, not a full histogram.
In both, the red dashed line is the timer's resolution (the run's
timer_resolution_ns): a value at it means "this fast or faster". A run made
without --latency has no such metrics: the script prints one line, draws
nothing and exits 0.
"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rundata  # noqa: E402

KINDS = ("malloc", "free", "free_remote", "realloc")
STATS = (("p50", "p50", 0.5), ("p90", "p90", 0.9), ("p99", "p99", 0.99), ("p999", "p99.9", 0.999),
         ("p9999", "p99.99", 0.9999), ("max", "max", None))
RESOLUTION_COLOUR = "#C00000"


def panels(run):
    """(workload, threads, kind) with at least one latency value, in cell order."""
    names = {f"{k}_{s}_ns": k for k in KINDS for s, _, _ in STATS}
    have = {(r["workload"], int(r["threads"]), names[r["metric"]])
            for r in run.results if r["status"] == "ok" and r["metric"] in names}
    cells = list(run.cells) + sorted({(w, t) for w, t, _ in have} - set(run.cells))
    return [(w, t, k) for w, t in cells for k in KINDS if (w, t, k) in have]


def percentiles(run, b, w, t, kind):
    """[(index into STATS, median, min, max)] over b's ok processes."""
    out = []
    for j, (s, _, _) in enumerate(STATS):
        reps = [v for v in run.reps(b, w, t, f"{kind}_{s}_ns") if v > 0]
        if reps:
            out.append((j, rundata.median(reps), min(reps), max(reps)))
    return out


def resolution(run, w, t):
    res = [v for b in run.backends for v in run.reps(b, w, t, "timer_resolution_ns") if v > 0]
    return rundata.median(res) if res else None


def tail_x(j):
    """Position of STATS[j] on the stretched-tail axis: -log10(1 - p); max
    one decade past the last percentile."""
    p = STATS[j][2]
    return -math.log10(1 - p) if p is not None else -math.log10(1 - STATS[j - 1][2]) + 1


def main():
    run = rundata.run_from_argv(sys.argv, "latency.py")
    todo = panels(run)
    if not todo:
        return 0  # a run made without --latency: nothing to draw, nothing to say
    import mplcommon
    from mplcommon import plt
    from matplotlib.ticker import LogLocator, FuncFormatter
    from matplotlib.lines import Line2D

    # backends with latency values anywhere, in palette order: the same slot in every panel
    data = {(b, w, t, k): percentiles(run, b, w, t, k) for b in run.backends for w, t, k in todo}
    backends = [b for b in run.backends if any(data[(b, w, t, k)] for w, t, k in todo)]
    ncols = min(3, len(todo))
    nrows = math.ceil(len(todo) / ncols)
    nb = len(backends)
    width = 0.8 / nb
    ns_format = FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}")
    for name in ("latency", "latency_cdf"):
        fig, axes = plt.subplots(nrows, ncols, squeeze=False, figsize=(
            max(8.0, max(4.6, 0.22 * nb * len(STATS) + 1.6) * ncols), 3.1 * nrows + 1.3))
        for k, (w, t, kind) in enumerate(todo):
            ax = axes[k // ncols][k % ncols]
            for i, b in enumerate(backends):
                pts = data[(b, w, t, kind)]
                if not pts:
                    continue
                colour = run.palette.colour[b]
                med = [m for _, m, _, _ in pts]
                if name == "latency":
                    xs = [j - 0.4 + width * (i + 0.5) for j, _, _, _ in pts]
                    ax.bar(xs, med, width=width * 0.92, color=colour, edgecolor="#888888", linewidth=0.3)
                    ax.errorbar(xs, med, yerr=[[m - lo for _, m, lo, _ in pts], [hi - m for _, m, _, hi in pts]],
                                fmt="none", ecolor="#888888", elinewidth=0.6, capsize=0)
                else:
                    xs = [tail_x(j) for j, _, _, _ in pts]
                    ax.fill_between(xs, [lo for _, _, lo, _ in pts], [hi for _, _, _, hi in pts],
                                    color=colour, alpha=0.18, linewidth=0)
                    ax.plot(xs, med, color=colour, linewidth=1.6, marker="o", markersize=3.5)
            res = resolution(run, w, t)
            if res:
                ax.axhline(res, color=RESOLUTION_COLOUR, linestyle="--", linewidth=1.1, zorder=5)
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(LogLocator(base=10))
            ax.yaxis.set_major_formatter(ns_format)
            if name == "latency":
                ax.set_xticks(range(len(STATS)))
                ax.set_xlim(-0.5, len(STATS) - 0.5)
                ax.set_xlabel("")
            else:
                ax.set_xticks([tail_x(j) for j in range(len(STATS))])
                ax.set_xlim(0, tail_x(len(STATS) - 1) + 0.3)
                ax.set_xlabel("percentile (each step right: ten times rarer)")
                ax.grid(axis="x", color="#eeeeee", linewidth=0.6)
            ax.set_xticklabels([label for _, label, _ in STATS])
            ax.set_title(f"{run.label(w, t)}: {kind}", fontsize=10)
            ax.set_ylabel("latency per call (ns, log scale)")
            ax.grid(axis="y", color="#dddddd", linewidth=0.6)
            ax.set_axisbelow(True)
        handles = [plt.Rectangle((0, 0), 1, 1, color=run.palette.colour[b]) for b in backends]
        handles.append(Line2D([0], [0], color=RESOLUTION_COLOUR, linestyle="--", linewidth=1.1))
        fig.legend(handles, backends + ["timer resolution"], loc="lower center",
                   ncol=min(len(handles), 8), frameon=False, bbox_to_anchor=(0.5, 0))
        title = ("Latency per call, ns, lower is better (bar: median over processes, line: min–max)"
                 if name == "latency" else
                 "Latency by percentile, the tail stretched (line: median over processes, band: min–max)")
        mplcommon.finish_grid(fig, axes, len(todo), title, run.subtitle(), run.dir, name, bottom=0.4)
    return 0


if __name__ == "__main__":
    sys.exit(main())
