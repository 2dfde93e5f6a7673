#!/usr/bin/env python3
"""Resident set over time, one line per backend, per workload x threads cell
(matplotlib).

Usage: timeline.py RUN_DIR [--stats DIR]   -> RUN_DIR/timeline.png and .svg

Reads timeline.csv (backend,workload,threads,rep,t_ms,rss_kib: the measured
process's RSS sampled every 10 ms). One panel per cell; in it one line per
backend, in its palette colour, RSS in MiB against time since the process
started in ms. Each backend shows one process, so the lines stay readable:
the one with the median time metric (the lower middle one of an even count)
among its ok processes that have samples, else its first process with
samples; the legend names it, with its sample count when it has fewer than
four (a process shorter than the sampling period has one point or none).
A backend of the cell without any sample is named in the panel, not
dropped. When one backend's process ran over five times longer than
another's, the time axis is linear for the first sampling period and
logarithmic after it, so the long run does not flatten the short ones. A run
without timeline.csv, or with an empty one, gets no figure: the script
prints one line and exits 0.
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
    timed = sorted((v, rep) for (_, rep), v in run.processes(b, w, t, run.time_metric(w, t)[0])
                   if rep in have)
    return timed[(len(timed) - 1) // 2][1] if timed else have[0]


PERIOD_MS = 10  # harness/timeline.h TIMELINE_PERIOD_MS


def main():
    run = rundata.run_from_argv(sys.argv, "timeline.py")
    series = read_timeline(run)
    if not series:
        print("timeline.py: no timeline.csv samples in this run; no figure")
        return 0
    import mplcommon
    from mplcommon import plt
    from matplotlib.ticker import FuncFormatter

    backends = run.palette.order
    present = {(w, t) for (_, w, t, _) in series}
    cells = [c for c in run.cells if c in present] + sorted(present - set(run.cells))
    ncols = min(3, len(cells))
    nrows = math.ceil(len(cells) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(max(9.0, 5.2 * ncols), 3.2 * nrows + 1.1), squeeze=False)
    for k, (w, t) in enumerate(cells):
        ax = axes[k // ncols][k % ncols]
        unsampled, ends = [], []
        for b in backends:
            rep = chosen_rep(run, series, b, w, t)
            if rep is None:
                status = run.cell_status(b, w, t)
                if status != "not run":
                    unsampled.append(b + (f" ({status})" if status else ""))
                continue
            pts = series[(b, w, t, rep)]
            few = f", {len(pts)} sample{'s' if len(pts) > 1 else ''}" if len(pts) < 4 else ""
            ax.plot([p[0] for p in pts], [p[1] / 1024 for p in pts], color=run.palette.colour[b],
                    linewidth=1.4, marker="o" if len(pts) < 4 else None, markersize=4,
                    label=f"{b} (rep {rep}{few})")
            ends.append(max(pts[-1][0], PERIOD_MS))
        if unsampled:
            ax.text(0.99, 0.02, "no samples: " + ", ".join(unsampled), transform=ax.transAxes,
                    ha="right", va="bottom", fontsize=7, color="#C00000")
        ax.set_title(run.label(w, t), fontsize=10)
        if ends and max(ends) > 5 * min(ends):
            ax.set_xscale("symlog", linthresh=PERIOD_MS, linscale=0.5)
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.set_xlabel(f"time since start (ms; linear to {PERIOD_MS}, log beyond)")
        else:
            ax.set_xlabel("time since start (ms)")
        ax.set_ylabel("RSS (MiB)")
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        ax.grid(color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.legend(fontsize=7, frameon=False, loc="best")
    mplcommon.finish_grid(fig, axes, len(cells),
                          "Resident set over time: one process per backend, its median-time one "
                          f"(legend), sampled every {PERIOD_MS} ms", run.subtitle(), run.dir, "timeline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
