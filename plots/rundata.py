"""A run directory, read once for every figure and the report.

Standard library only, so that the gnuplot data step and report.md need no
matplotlib. Reads summary.csv, scores.csv, results.csv and meta.json (any
other file, such as timeline.csv, is left alone), the palette and the
article's figures; knows nothing about particular workloads beyond what the
CSVs say, so a new workload or metric shows up in generic form.
"""
import csv
import json
import math
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
RATE_METRIC = "ops_per_s"  # scored as time per operation (harness/summary.c)
FAILED_STATUSES = ("preload_failed", "crashed", "timeout", "missing", "corrupt", "error")


def number(text):
    """A float from a CSV field; NaN when empty or not a number."""
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def ok(x):
    return x is not None and not math.isnan(x)


def read_csv(path):
    """Rows of a CSV file as dicts; lines starting with '#' are comments."""
    with open(path, newline="") as f:
        lines = [line for line in f if not line.startswith("#")]
    return list(csv.DictReader(lines))


def higher_is_better(metric, unit):
    """Rates (ops/s, MiB/s, ...) are better high; times, memory, faults low."""
    text = (unit or "") + " " + (metric or "")
    return "/s" in text or "per_s" in text or "ops_s" in text or "throughput" in text


def fmt(x):
    """A number for a table: 3 significant digits; thousands with separators."""
    if not ok(x):
        return "–"
    if abs(x) >= 999.5:
        return f"{x:,.0f}"
    return f"{x:.3g}"


class Palette:
    """Backend colours from plots/palette.csv: named backends in the file's
    order, then the '*' colours for any other backend, sorted by name."""

    def __init__(self, backends, path=os.path.join(HERE, "palette.csv")):
        rows = read_csv(path)
        self.known = [(r["backend"], r["colour"]) for r in rows if r["backend"] != "*"]
        extras = [r["colour"] for r in rows if r["backend"] == "*"]
        names = dict(self.known)
        self.colour = {}
        for b in backends:
            if b in names:
                self.colour[b] = names[b]
        others = sorted(b for b in backends if b not in names)
        for i, b in enumerate(others):
            self.colour[b] = extras[i % len(extras)] if extras else "#777777"
        rank = {b: i for i, (b, _) in enumerate(self.known)}
        self.order = sorted(backends, key=lambda b: (rank.get(b, len(rank)), b))


class Run:
    def __init__(self, run_dir):
        self.dir = run_dir
        self.summary = read_csv(os.path.join(run_dir, "summary.csv"))
        for r in self.summary:
            r["threads"] = int(r["threads"])
            for k in ("n", "median", "min", "max", "ratio_vs_glibc", "ci_low", "ci_high"):
                r[k] = number(r.get(k))
        scores_path = os.path.join(run_dir, "scores.csv")
        self.scores = read_csv(scores_path) if os.path.exists(scores_path) else []
        for r in self.scores:
            for k in ("score", "ci_low", "ci_high", "cells", "cells_total"):
                r[k] = number(r.get(k))
        results_path = os.path.join(run_dir, "results.csv")
        self.results = read_csv(results_path) if os.path.exists(results_path) else []
        meta_path = os.path.join(run_dir, "meta.json")
        try:
            with open(meta_path) as f:
                self.meta = json.load(f)
        except (OSError, ValueError):
            self.meta = {}

        backends = {r["backend"] for r in self.summary} | {r["backend"] for r in self.results}
        self.palette = Palette(backends)
        self.backends = self.palette.order
        # workload x threads cells, in summary.csv's order (it is sorted)
        self.cells = []
        for r in self.summary:
            key = (r["workload"], r["threads"])
            if key not in self.cells:
                self.cells.append(key)
        threads_seen = {}
        for w, t in self.cells:
            threads_seen.setdefault(w, set()).add(t)
        self.threaded = {w for w, ts in threads_seen.items() if ts != {1}}
        self.workloads = list(dict.fromkeys(w for w, _ in self.cells))
        self.threads_of = {w: sorted(ts) for w, ts in threads_seen.items()}

    # ---- lookups ----
    def row(self, backend, workload, threads, metric):
        for r in self.summary:
            if (r["backend"], r["workload"], r["threads"], r["metric"]) == (
                backend, workload, threads, metric):
                return r
        return None

    def failed_row(self, backend, workload, threads):
        """The 'run' row of a cell none of whose runs ended ok."""
        return self.row(backend, workload, threads, "run")

    def metrics(self, workload, threads):
        """Metrics of a cell: wall_ms first, then others in summary order."""
        seen = []
        for r in self.summary:
            if (r["workload"], r["threads"]) == (workload, threads) and r["metric"] != "run":
                if r["metric"] not in seen:
                    seen.append(r["metric"])
        natural = lambda m: [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", m)]  # noqa: E731
        return sorted(seen, key=lambda m: (m != "wall_ms", natural(m)))

    def time_metric(self, workload, threads):
        """The metric a cell's speed is compared on: ops_per_s in workloads
        that report a rate (they run for a fixed time, so their wall time
        says little), as time per operation; else wall_ms. Returns (metric,
        inverted)."""
        if any(r["metric"] == RATE_METRIC and (r["workload"], r["threads"]) == (workload, threads)
               for r in self.summary):
            return RATE_METRIC, True
        return "wall_ms", False

    def time_ratio(self, backend, workload, threads):
        """(ratio, ci_low, ci_high, median, row) of a backend's time against
        glibc's in a cell: the wall_ms ratio, or 1/(the ops_per_s ratio);
        None when the backend has no ok run there."""
        metric, inverted = self.time_metric(workload, threads)
        r = self.row(backend, workload, threads, metric)
        if not r:
            return None
        if not inverted:
            return r["ratio_vs_glibc"], r["ci_low"], r["ci_high"], r["median"], r
        inv = lambda x: 1 / x if ok(x) and x > 0 else math.nan  # noqa: E731
        return inv(r["ratio_vs_glibc"]), inv(r["ci_high"]), inv(r["ci_low"]), r["median"], r

    def label(self, workload, threads):
        return f"{workload} ×{threads}" if workload in self.threaded else workload

    def slug(self, workload, threads):
        s = re.sub(r"[^A-Za-z0-9_.-]+", "_", workload).strip("_")
        return f"{s}_x{threads}" if workload in self.threaded else s

    def reps(self, backend, workload, threads, metric):
        """Every ok repetition's value of a cell's metric, in rep order."""
        out = []
        for r in self.results:
            if (r["backend"] == backend and r["workload"] == workload and
                    int(r["threads"]) == threads and r["metric"] == metric and
                    r["status"] == "ok"):
                v = number(r["value"])
                if ok(v):
                    out.append(v)
        return out

    def params(self, workload, threads):
        """The parameters of a cell (from its first results.csv row)."""
        for r in self.results:
            if r["workload"] == workload and int(r["threads"]) == threads and r.get("params"):
                return dict(kv.split("=", 1) for kv in r["params"].split(";") if "=" in kv)
        return {}

    def failures(self):
        """results.csv rows of runs that did not end ok (one per rep)."""
        return [r for r in self.results if r["status"] != "ok"]

    def cell_status(self, backend, workload, threads):
        """'' when the cell has ok runs, else the first failed status."""
        if self.row(backend, workload, threads, "wall_ms") or \
                self.row(backend, workload, threads, RATE_METRIC):
            return ""
        f = self.failed_row(backend, workload, threads)
        if f:
            return f["runs"].split("=")[0]
        return "not run"

    # ---- the environment, for subtitles and the report ----
    def subtitle(self):
        m = self.meta.get("machine", {})
        cpu = m.get("cpu_model") or "unknown CPU"
        cores = m.get("cores_online")
        parts = [cpu + (f", {cores} cores" if cores else "")]
        if m.get("kernel"):
            parts.append(m["kernel"].replace("Linux ", "Linux "))
        if m.get("glibc_version"):
            parts.append(f"glibc {m['glibc_version']}")
        date = (self.meta.get("start_time") or "")[:10] or "date unknown"
        parts.append(f"run {date}")
        return " · ".join(parts)


def load_article_figures(path=os.path.join(HERE, "article_figures.csv")):
    rows = read_csv(path)
    for r in rows:
        for k in ("glibc_ms", "article_ms", "ratio"):
            r[k] = number(r[k])
        r["threads"] = int(r["threads"])
    return rows


def find_python_candidates():
    return ["/usr/bin/python3", "python3", "python"]
