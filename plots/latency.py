#!/usr/bin/env python3
"""Latency percentiles per workload x backend, from a `bench run --latency` run
(matplotlib).

Usage: latency.py RUN_DIR   -> RUN_DIR/latency.png and .svg

One panel per workload x threads x operation kind (malloc, free, free_remote,
realloc: the kinds that saw calls). In each, four groups of bars: p50, p99,
p99.9 and max latency in ns (log axis), one bar per backend in its palette
colour: the median over ok repetitions, with min-max over repetitions as a
line. The dashed line is the timer's resolution (the run's
timer_resolution_ns): a bar at it means "this fast or faster". A run made
without --latency has no such metrics: the script prints one
line, draws nothing and exits 0.
"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rundata  # noqa: E402

KINDS = ("malloc", "free", "free_remote", "realloc")
STATS = (("p50", "p50"), ("p99", "p99"), ("p999", "p99.9"), ("max", "max"))


def panels(run):
    """(workload, threads, kind) with at least one latency value, in cell order."""
    have = set()
    for r in run.results:
        m = r["metric"]
        if r["status"] == "ok" and m.endswith("_ns"):
            for k in KINDS:
                if m in (f"{k}_{s}_ns" for s, _ in STATS):
                    have.add((r["workload"], int(r["threads"]), k))
    cells = list(run.cells) + sorted({(w, t) for w, t, _ in have} - set(run.cells))
    return [(w, t, k) for w, t in cells for k in KINDS if (w, t, k) in have]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: latency.py RUN_DIR")
    run = rundata.Run(sys.argv[1])
    todo = panels(run)
    if not todo:
        print("latency.py: no latency metrics in this run (made without --latency); no figure")
        return 0
    import mplcommon
    from mplcommon import plt
    from matplotlib.ticker import LogLocator, FuncFormatter

    # backends with latency values anywhere, in palette order: the same slot in every panel
    with_data = {r["backend"] for r in run.results if r["status"] == "ok" and
                 any(r["metric"] == f"{k}_{s}_ns" for k in KINDS for s, _ in STATS)}
    backends = [b for b in run.backends if b in with_data]
    ncols = min(3, len(todo))
    nrows = math.ceil(len(todo) / ncols)
    nb = len(backends)
    width = 0.8 / nb
    fig, axes = plt.subplots(nrows, ncols, figsize=(max(8.0, max(4.6, 0.22 * nb * len(STATS) + 1.6) * ncols),
                                                    3.1 * nrows + 1.2), squeeze=False)
    shown = set()
    for k, (w, t, kind) in enumerate(todo):
        ax = axes[k // ncols][k % ncols]
        for i, b in enumerate(backends):
            xs, med, lo, hi = [], [], [], []
            for j, (s, _) in enumerate(STATS):
                reps = run.reps(b, w, t, f"{kind}_{s}_ns")
                reps = [v for v in reps if v > 0]
                if not reps:
                    continue
                reps.sort()
                n = len(reps)
                m = reps[n // 2] if n % 2 else (reps[n // 2 - 1] + reps[n // 2]) / 2
                xs.append(j - 0.4 + width * (i + 0.5))
                med.append(m)
                lo.append(m - reps[0])
                hi.append(reps[-1] - m)
            if not xs:
                continue
            colour = run.palette.colour[b]
            ax.bar(xs, med, width=width * 0.92, color=colour, edgecolor="#888888", linewidth=0.3,
                   label=b if b not in shown else None)
            ax.errorbar(xs, med, yerr=[lo, hi], fmt="none", ecolor="#888888", elinewidth=0.6,
                        capsize=0)
            shown.add(b)
        res = sorted(v for b in run.backends for v in run.reps(b, w, t, "timer_resolution_ns") if v > 0)
        if res:
            ax.axhline(res[len(res) // 2], color="#888888", linestyle="--", linewidth=0.8, zorder=0)
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(base=10))
        ax.yaxis.set_major_formatter(FuncFormatter(
            lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
        ax.set_xticks(range(len(STATS)))
        ax.set_xticklabels([label for _, label in STATS])
        ax.set_xlim(-0.5, len(STATS) - 0.5)
        ax.set_title(f"{run.label(w, t)}: {kind}", fontsize=10)
        ax.set_ylabel("latency per call (ns, log scale)")
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
    handles = [plt.Rectangle((0, 0), 1, 1, color=run.palette.colour[b]) for b in backends if b in shown]
    fig.legend(handles, [b for b in backends if b in shown], loc="lower center",
               ncol=min(len(handles), 8), frameon=False, bbox_to_anchor=(0.5, 0))
    mplcommon.finish_grid(fig, axes, len(todo),
                          "Latency per call, ns, lower is better (bar: median of repetitions, "
                          "line: min–max, dashed: timer resolution)", run.subtitle(), run.dir,
                          "latency", bottom=0.35)
    return 0


if __name__ == "__main__":
    sys.exit(main())
