#!/usr/bin/env python3
"""The overall score of each backend with its interval (matplotlib).

Usage: scores.py RUN_DIR   -> RUN_DIR/scores.png and .svg

scores.csv's geometric mean of median wall-time ratios to glibc, one row per
backend, on a log axis (1 = glibc, left = faster), with the 95% bootstrap
interval as a bar and, at the right, the number and the cells it counts.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rundata  # noqa: E402
import mplcommon  # noqa: E402
from mplcommon import plt  # noqa: E402
from rundata import ok, fmt  # noqa: E402


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: scores.py RUN_DIR")
    run = rundata.Run(sys.argv[1])
    by_name = {r["backend"]: r for r in run.scores}
    rows = [by_name[b] for b in run.backends if b in by_name]
    if not any(ok(r["score"]) for r in rows):
        print("scores.py: scores.csv has no score (no glibc result?); no figure", file=sys.stderr)
        return 1
    rows.reverse()  # first backend at the top
    height = 1.9 + 0.45 * len(rows)
    fig, ax = plt.subplots(figsize=(9, height))
    lows, highs = [], []
    for y, r in enumerate(rows):
        colour = run.palette.colour[r["backend"]]
        lo, hi, s = r["ci_low"], r["ci_high"], r["score"]
        if not ok(s):  # every cell failed: said, not dropped
            ax.annotate(f"no score: no cell with an ok run ({int(r['cells'])}/{int(r['cells_total'])} cells)",
                        xy=(1.0, y), xycoords=("axes fraction", "data"), xytext=(6, 0),
                        textcoords="offset points", va="center", fontsize=9, color="#C00000")
            continue
        if ok(lo) and ok(hi):
            ax.errorbar([s], [y], xerr=[[max(s - lo, 0)], [max(hi - s, 0)]], fmt="none",
                        ecolor=colour, elinewidth=3, capsize=6, capthick=2)
            lows.append(lo)
            highs.append(hi)
        ax.plot([s], [y], "o", color=colour, markeredgecolor="#222222", markersize=8, zorder=3)
        lows.append(s)
        highs.append(s)
        cells = f"{int(r['cells'])}/{int(r['cells_total'])} cells"
        interval = f" [{fmt(lo)}–{fmt(hi)}]" if ok(lo) and ok(hi) and lo != hi else ""
        if not (ok(lo) and ok(hi)):
            interval = " (no interval: a cell has one repetition)"
        ax.annotate(f"{fmt(s)}{interval}, {cells}", xy=(1.0, y), xycoords=("axes fraction", "data"),
                    xytext=(6, 0), textcoords="offset points", va="center", fontsize=9)
    ax.axvline(1, color="#000000", linestyle="--", linewidth=0.8)
    ax.set_xscale("log")
    low, high = min(lows + [1]) / 1.4, max(highs + [1]) * 1.4
    ax.set_xlim(low, high)
    ticks = [t for t in (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 7, 10, 20, 50, 100)
             if low <= t <= high]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r["backend"] for r in rows])
    ax.set_ylim(-0.6, len(rows) - 0.4)
    rate = any(";1/" in r.get("metric", "") for r in rows)
    ax.set_xlabel("score: median wall time ÷ glibc's, geometric mean over cells\n" +
                  ("(time per operation where a workload reports ops/s)\n" if rate else "") +
                  "log scale; below 1 = faster than glibc")
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    mplcommon.titles(fig, "Overall score (dot) with its 95% bootstrap interval (bar)", run.subtitle())
    fig.tight_layout(rect=(0, 0, 0.74, 1 - 0.55 / height))
    mplcommon.save(fig, run.dir, "scores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
