#!/usr/bin/env python3
"""The figure of a comparison between two runs (matplotlib).

Usage: compare.py DIR [NAME_A NAME_B]
       (also: make compare A=RUN_A B=RUN_B, which runs bench compare first)

Reads DIR/compare.csv (written by `bench compare RUN_A RUN_B`) and draws
DIR/compare.png and .svg: one row per backend x workload x threads (and
metric, where the file compares several in one cell), its change B/A as a
dot with its interval (at the level compare.csv gives) as a bar, on a log
axis with 1 marked, coloured by the verdict (regressed, improved, within
noise, no change, or none without an interval). A "raw" row (no other backend measured the machine, or
--raw) is drawn open and named so. Rows go from the largest change at the
top to the smallest. Then inserts the figure into DIR/compare.md after its tally line,
once (a second run leaves it as it is). NAME_A and NAME_B label the runs.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rundata  # noqa: E402
from rundata import ok  # noqa: E402

COLOURS = {"regressed": "#C00000", "improved": "#009E73", "within noise": "#56B4E9",
           "no change": "#777777", "": "#BBBBBB"}
LEGEND = (("regressed", "regressed"), ("improved", "improved"),
          ("within noise", "within noise (under the threshold)"),
          ("no change", "no change (interval holds 1)"), ("", "no interval"))
FIGURE_LINE = "![change B/A per cell with its interval](compare.png)"


def row_label(r, several_metrics):
    threads = f" ×{r['threads']}" if r["threads"] != "1" else ""
    metric = f" {r['metric']}" if several_metrics else ""
    raw = "  (raw)" if r["raw"] else ""
    return f"{r['backend']} · {r['workload']}{threads}{metric}{raw}"


def draw(rows, out_dir, names):
    import mplcommon
    from mplcommon import plt
    from matplotlib.lines import Line2D

    cells = {}
    for r in rows:
        cells.setdefault((r["backend"], r["workload"], r["threads"]), set()).add(r["metric"])
    several = any(len(m) > 1 for m in cells.values())
    rows = sorted(rows, key=lambda r: r["change"] if ok(r["change"]) else 0)  # largest at the top
    height = 1.9 + 0.24 * len(rows)
    fig, ax = plt.subplots(figsize=(10, height))
    lows, highs = [1.0], [1.0]
    for y, r in enumerate(rows):
        colour = COLOURS.get(r["verdict"], COLOURS[""])
        c, lo, hi = r["change"], r["ci_low"], r["ci_high"]
        if not ok(c):
            continue
        if ok(lo) and ok(hi):
            ax.errorbar([c], [y], xerr=[[max(c - lo, 0)], [max(hi - c, 0)]], fmt="none",
                        ecolor=colour, elinewidth=2.2, capsize=3)
            lows.append(lo)
            highs.append(hi)
        ax.plot([c], [y], "o", color="white" if r["raw"] else colour,
                markeredgecolor=colour if r["raw"] else "#222222",
                markeredgewidth=1.8 if r["raw"] else 0.5, markersize=6, zorder=3)
        lows.append(c)
        highs.append(c)
    ax.axvline(1, color="#000000", linestyle="--", linewidth=0.8)
    ax.set_xscale("log")
    low, high = min(lows) / 1.15, max(highs) * 1.15
    ax.set_xlim(low, high)
    mplcommon.log_ticks(ax.xaxis, low, high)
    if len(ax.get_xticks()) < 3:  # a narrow range: ticks every few percent
        ticks = [t / 100 for t in range(50, 201, 5) if low <= t / 100 <= high]
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"{t:g}" for t in ticks])
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([row_label(r, several) for r in rows], fontsize=8)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlabel("change B/A (log scale; 1: the same; below 1 a value went down: faster for "
                  "times, slower for rates)")
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    seen = {r["verdict"] for r in rows}
    handles = [Line2D([0], [0], marker="o", linestyle="", markersize=7, markerfacecolor=COLOURS[v],
                      markeredgecolor="#222222") for v, _ in LEGEND if v in seen]
    texts = [text for v, text in LEGEND if v in seen]
    if any(r["raw"] for r in rows):
        handles.append(Line2D([0], [0], marker="o", linestyle="", markersize=7, markerfacecolor="white",
                              markeredgecolor="#777777", markeredgewidth=1.8))
        texts.append("open: raw values (no other\nbackend measured the machine)")
    ax.legend(handles, texts, loc="upper left",
              bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
    subtitle = f"A: {names[0]} · B: {names[1]}" if names else os.path.abspath(out_dir)
    level = rundata.number(rows[0].get("level")) if rows else None
    pct = f"{level * 100:.4g}%" if ok(level) else "95%"
    title = f"Change from run A to run B per cell (dot) with its {pct} bootstrap interval (bar)"
    mplcommon.titles(fig, title, subtitle)
    fig.subplots_adjust(left=0.36, right=0.74, top=1 - mplcommon.title_room(title) / height, bottom=0.75 / height)
    mplcommon.save(fig, out_dir, "compare")


def insert_figure(out_dir):
    """Puts the figure into compare.md after the tally line ('**N regressed,
    ...'), or at the end when there is none; never twice."""
    path = os.path.join(out_dir, "compare.md")
    if not os.path.exists(path):
        return
    with open(path) as f:
        lines = f.read().split("\n")
    if FIGURE_LINE in lines:
        return
    at = next((i + 1 for i, line in enumerate(lines) if line.startswith("**")), len(lines))
    lines[at:at] = ["", FIGURE_LINE]
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines))
    os.replace(tmp, path)


def main():
    args = sys.argv[1:]
    if len(args) not in (1, 3):
        sys.exit("usage: compare.py DIR [NAME_A NAME_B]  (DIR holds compare.csv from bench compare)")
    out_dir = args[0]
    path = os.path.join(out_dir, "compare.csv")
    if not os.path.exists(path):
        sys.exit(f"compare.py: {path} not found: run `build/bench compare RUN_A RUN_B` first")
    rows = rundata.read_csv(path)
    for r in rows:
        for k in ("change", "ci_low", "ci_high"):
            r[k] = rundata.number(r.get(k))
        r["raw"] = r.get("basis") == "raw"
    if not any(ok(r["change"]) for r in rows):
        print("compare.py: compare.csv has no change to draw; no figure")
        return 0
    draw(rows, out_dir, args[1:] or None)
    insert_figure(out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
