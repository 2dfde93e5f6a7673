#!/usr/bin/env python3
"""The overall score of each backend with its interval (matplotlib).

Usage: scores.py RUN_DIR [--stats DIR]   -> RUN_DIR/scores.png and .svg

scores.csv's geometric mean, over the cells, of each backend's time ratio
to the run's baseline backend, one row per backend, on a log axis (1 = the
baseline, left = faster), with the 95% bootstrap interval as a bar and, at
the right, the number, its interval, the verdict in words and the cells it
counts. A score whose interval holds 1 is drawn open: no measurable
difference.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rundata  # noqa: E402
import mplcommon  # noqa: E402
from mplcommon import plt  # noqa: E402
from rundata import ok, fmt  # noqa: E402


def metric_words(metric):
    """What scores.csv's metric column scored, in words."""
    parts = metric.split(";")
    words = {"wall_ms": "median wall time", rundata.COUNT_METRIC: "instructions",
             "1/" + rundata.RATE_METRIC: "time per operation where a workload reports ops/s"}
    head = words.get(parts[0], parts[0])
    rest = [words.get(p, p) for p in parts[1:]]
    return head + (f" ({'; '.join(rest)})" if rest else "")


def main():
    run = rundata.run_from_argv(sys.argv, "scores.py")
    base = run.baseline
    by_name = {r["backend"]: r for r in run.scores}
    rows = [by_name[b] for b in run.backends if b in by_name]
    if not any(ok(r["score"]) for r in rows):
        print("scores.py: scores.csv has no score (no baseline result?); no figure", file=sys.stderr)
        return 1
    rows.reverse()  # first backend at the top
    height = 2.4 + 0.45 * len(rows)
    fig, ax = plt.subplots(figsize=(10, height))
    lows, highs = [], []
    for y, r in enumerate(rows):
        colour = run.palette.colour[r["backend"]]
        lo, hi, s = r["ci_low"], r["ci_high"], r["score"]
        cells = f"{int(r['cells'])}/{int(r['cells_total'])} cells"
        if not ok(s):  # every cell failed: said, not dropped
            ax.annotate(f"no score: no cell with an ok run ({cells})",
                        xy=(1.0, y), xycoords=("axes fraction", "data"), xytext=(6, 0),
                        textcoords="offset points", va="center", fontsize=9, color="#C00000")
            continue
        if ok(lo) and ok(hi):
            ax.errorbar([s], [y], xerr=[[max(s - lo, 0)], [max(hi - s, 0)]], fmt="none",
                        ecolor=colour, elinewidth=3, capsize=6, capthick=2)
            lows.append(lo)
            highs.append(hi)
        measurable = r.get("verdict") in ("lower", "higher", "baseline")
        ax.plot([s], [y], "o", color=colour if measurable else "white", markeredgecolor=colour if not measurable else "#222222",
                markeredgewidth=1 if measurable else 2, markersize=8, zorder=3)
        lows.append(s)
        highs.append(s)
        if r["backend"] == base:
            text = f"1: the baseline, {cells}"
        elif ok(lo) and ok(hi):
            text = f"{fmt(s)} [{fmt(lo)}–{fmt(hi)}] {rundata.difference(r.get('verdict'))}, {cells}"
        else:
            text = f"{fmt(s)} (no interval: a cell has one process), {cells}"
        ax.annotate(text, xy=(1.0, y), xycoords=("axes fraction", "data"),
                    xytext=(6, 0), textcoords="offset points", va="center", fontsize=9)
    ax.axvline(1, color="#000000", linestyle="--", linewidth=0.8)
    ax.set_xscale("log")
    low, high = min(lows + [1]) / 1.4, max(highs + [1]) * 1.4
    ax.set_xlim(low, high)
    mplcommon.log_ticks(ax.xaxis, low, high)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r["backend"] for r in rows])
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_xlabel(f"score: {metric_words(rows[0].get('metric', 'wall_ms'))} ÷ {base}'s,\n"
                  f"geometric mean over cells; log scale, below 1 = faster than {base}")
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    title = "Overall score (dot) with its 95% bootstrap interval (bar); open dot: no measurable difference"
    mplcommon.titles(fig, title, run.subtitle())
    # the labels at the right take the last 40% of the width; the x label
    # below the axis keeps its own inch (it was cut when squeezed)
    fig.subplots_adjust(left=0.12, right=0.58, top=1 - mplcommon.title_room(title) / height, bottom=1.05 / height)
    mplcommon.save(fig, run.dir, "scores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
