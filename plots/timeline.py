#!/usr/bin/env python3
"""Resident set over time, one line per backend, per workload x threads cell
(matplotlib).

Usage: timeline.py RUN_DIR   -> RUN_DIR/timeline.png and .svg

Reads timeline.csv (backend,workload,threads,rep,t_ms,rss_kib: the measured
process's RSS sampled every 10 ms). One panel per cell; in it one line per
backend, in its palette colour, RSS in MiB against time since the process
started in ms. Each backend shows one repetition, so the lines stay readable:
the one with the median wall time (ops_per_s in a workload that reports it;
the lower middle one of an even count) among its ok repetitions that have
samples, else its first repetition with samples; the legend names it. A run
without timeline.csv, or with an empty one, gets no figure: the script prints
one line and exits 0.
"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rundata  # noqa: E402


def read_timeline(run):
    """{(backend, workload, threads, rep): [(t_ms, rss_kib), ...]} sorted by time."""
    path = os.path.join(run.dir, "timeline.csv")
    if not os.path.exists(path):
        return {}
    series = {}
    for r in rundata.read_csv(path):
        try:
            key = (r["backend"], r["workload"], int(r["threads"]), int(r["rep"]))
            t, rss = float(r["t_ms"]), float(r["rss_kib"])
        except (KeyError, TypeError, ValueError):
            continue
        series.setdefault(key, []).append((t, rss))
    for s in series.values():
        s.sort()
    return series


def chosen_rep(run, series, b, w, t):
    """The repetition drawn for backend b in cell (w, t), or None."""
    have = sorted(rep for (bb, ww, tt, rep) in series if (bb, ww, tt) == (b, w, t))
    if not have:
        return None
    metric, _ = run.time_metric(w, t)
    timed = []
    for r in run.results:
        if (r["backend"], r["workload"], r["metric"], r["status"]) == (b, w, metric, "ok") and \
                int(r["threads"]) == t and int(r["rep"]) in have:
            v = rundata.number(r["value"])
            if rundata.ok(v):
                timed.append((v, int(r["rep"])))
    if not timed:
        return have[0]
    timed.sort()
    return timed[(len(timed) - 1) // 2][1]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: timeline.py RUN_DIR")
    run = rundata.Run(sys.argv[1])
    series = read_timeline(run)
    if not series:
        print("timeline.py: no timeline.csv samples in this run; no figure")
        return 0
    import mplcommon
    from mplcommon import plt

    backends = run.palette.order
    present = {(w, t) for (_, w, t, _) in series}
    cells = [c for c in run.cells if c in present] + sorted(present - set(run.cells))
    ncols = min(3, len(cells))
    nrows = math.ceil(len(cells) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(max(9.0, 5.2 * ncols), 3.2 * nrows + 1.1), squeeze=False)
    for k, (w, t) in enumerate(cells):
        ax = axes[k // ncols][k % ncols]
        for b in backends:
            rep = chosen_rep(run, series, b, w, t)
            if rep is None:
                continue
            pts = series[(b, w, t, rep)]
            ax.plot([p[0] for p in pts], [p[1] / 1024 for p in pts], color=run.palette.colour[b],
                    linewidth=1.4, marker="o" if len(pts) < 4 else None, markersize=3,
                    label=f"{b} (rep {rep})")
        ax.set_title(run.label(w, t), fontsize=10)
        ax.set_xlabel("time since start (ms)")
        ax.set_ylabel("RSS (MiB)")
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        ax.grid(color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.legend(fontsize=7, frameon=False, loc="best")
    mplcommon.finish_grid(fig, axes, len(cells),
                          "Resident set over time: one repetition per backend, its median-wall-time "
                          "one (legend), sampled every 10 ms", run.subtitle(), run.dir, "timeline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
