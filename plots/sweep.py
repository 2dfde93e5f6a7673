#!/usr/bin/env python3
"""Parameter sweeps: a metric against the swept parameter, one line per
backend (matplotlib).

Usage: sweep.py RUN_DIR [--stats DIR]   -> RUN_DIR/sweep.png and .svg

A sweep is what `bench run --param KEY=V1,V2,...` makes: cases of one
workload whose labels differ only in one numeric parameter (at least three
values, the same threads). One panel per sweep: x the parameter's value, y
the cell's headline cost (median wall time, time per operation for a
fixed-duration workload, or instructions), one line per backend through its
medians with min-max bars, log axes when the values span more than 10x. The
`size_sweep` workload, which sweeps sizes inside one process (its metrics
ns_per_pair_<size>), gets a panel of the same kind. The baseline's line is
drawn dashed; where the lines of two backends cross, their ranking depends
on the parameter.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rundata  # noqa: E402
from rundata import ok  # noqa: E402

PAIR_METRIC = re.compile(r"^ns_per_pair_(\d+)$")


def parse(label):
    """('workload', {key: value}) of a case label "name:key=value:..."."""
    name, *pairs = label.split(":")
    return name, dict(p.split("=", 1) for p in pairs if "=" in p)


def number(text):
    try:
        return float(text)
    except ValueError:
        return None


def label_sweeps(run):
    """[(title, [(x, workload, threads)])]: cases of one workload and thread
    count whose labels differ in exactly one numeric parameter."""
    groups = {}
    for w, t in run.cells:
        name, params = parse(w)
        for key, value in params.items():
            x = number(value)
            if x is None:
                continue
            rest = tuple(sorted((k, v) for k, v in params.items() if k != key))
            groups.setdefault((name, t, key, rest), []).append((x, w, t))
    out = []
    for (name, t, key, rest), members in groups.items():
        if len({x for x, _, _ in members}) >= 3:
            fixed = "".join(f":{k}={v}" for k, v in rest)
            threads = f" x{t}" if name in run.threaded or t > 1 else ""
            out.append((f"{name}{fixed}{threads}: against {key}", sorted(members)))
    return out


def size_sweeps(run):
    """[(title, [(size, workload, threads, metric)])] of the cells that report
    ns_per_pair_<size> metrics."""
    out = []
    for w, t in run.cells:
        members = sorted((int(m.group(1)), w, t, metric) for metric in run.metrics(w, t)
                         for m in [PAIR_METRIC.match(metric)] if m)
        if len(members) >= 3:
            out.append((f"{run.label(w, t)}: ns per malloc/free pair against size (bytes)", members))
    return out


def series(run, b, members, metric_of):
    """(xs, medians, lows, highs) of backend b over the sweep's members."""
    xs, ys, lo, hi = [], [], [], []
    for member in members:
        x, w, t = member[:3]
        r = run.row(b, w, t, metric_of(member))
        if r and ok(r["median"]):
            xs.append(x)
            ys.append(r["median"])
            lo.append(r["median"] - r["min"] if ok(r["min"]) else 0)
            hi.append(r["max"] - r["median"] if ok(r["max"]) else 0)
    return xs, ys, lo, hi


def main():
    run = rundata.run_from_argv(sys.argv, "sweep.py")
    panels = [(title, members, lambda m: run.time_metric(m[1], m[2])[0], None)
              for title, members in label_sweeps(run)]
    panels += [(title, members, lambda m: m[3], "ns per malloc/free pair")
               for title, members in size_sweeps(run)]
    if not panels:
        return 0  # no sweep in this run: nothing to draw, nothing to say
    import mplcommon
    from mplcommon import plt

    cols = 1 if len(panels) == 1 else 2
    rows = (len(panels) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(6.4 * cols, 3.6 * rows + 1.2), squeeze=False)
    for ax, (title, members, metric_of, ylabel) in zip([a for row in axes for a in row], panels):
        every_y = []
        for b in run.backends:
            xs, ys, lo, hi = series(run, b, members, metric_of)
            if not xs:
                continue
            every_y += ys
            ax.errorbar(xs, ys, yerr=[lo, hi], label=b, color=run.palette.colour[b],
                        marker="o", markersize=3.5, capsize=2, linewidth=1.3,
                        linestyle="--" if b == run.baseline else "-")
        xs_all = [m[0] for m in members]
        if max(xs_all) > 10 * max(min(xs_all), 1e-12):
            ax.set_xscale("log")
        if every_y and min(every_y) > 0 and max(every_y) > 10 * min(every_y):
            ax.set_yscale("log")
        first = members[0]
        metric = metric_of(first)
        unit = (run.row(run.baseline, first[1], first[2], metric) or {}).get("unit") or "median"
        ax.set_ylabel(f"{ylabel or metric} ({unit}), min–max bars")
        ax.set_title(title, fontsize=9)
        ax.grid(True, alpha=0.3, which="both")
        ax.legend(fontsize=7, frameon=False)
    mplcommon.finish_grid(fig, axes, len(panels), "Parameter sweeps: cost against the swept parameter",
                          run.subtitle(), run.dir, "sweep")
    return 0


if __name__ == "__main__":
    sys.exit(main())
