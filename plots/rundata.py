"""A run directory, read once for every figure and the report.

Standard library only, so that the gnuplot data step and report.md need no
matplotlib. Reads summary.csv, scores.csv, results.csv, samples.csv (on
demand) and meta.json, the palette and the article's figures; knows nothing
about particular workloads beyond what the CSVs say, so a new workload or
metric shows up in generic form. Every ratio, interval and verdict comes from
summary.csv and scores.csv as the harness computed them (paired where it
could, to the run's baseline backend): nothing here recomputes a statistic.

A run summarised by an older harness (summary.csv without `verdict`) is read
from a fresh summary that plots/render.sh writes into a scratch directory
(`--stats DIR`), so rendering never rewrites a run's own CSV files.
"""
import csv
import json
import math
import os
import re
import sys
from collections import namedtuple

HERE = os.path.dirname(os.path.abspath(__file__))
RATE_METRIC = "ops_per_s"  # fixed-duration workloads: compared as time per operation
COUNT_METRIC = "instructions"  # --measure instructions: exact, the headline where counted
MEMORY_METRICS = ("program_peak_rss_kib", "peak_rss_kib")  # a real program's own peak first

# A backend's cost against the baseline in one cell, in "lower is better"
# terms: point, interval, the harness's verdict (lower = faster, higher =
# slower, same, baseline, ''), the cell's median, its summary row.
Ratio = namedtuple("Ratio", "point low high verdict median row")


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


def half_width(point, low, high):
    """The 95% interval's half-width as a percentage of its ratio (the
    end-of-run table's '+-N%'); NaN without an interval."""
    if not (ok(point) and ok(low) and ok(high)) or point <= 0:
        return math.nan
    return 50 * (high - low) / point


def difference(verdict, pairs_word=("faster", "slower")):
    """A verdict in words. Never 'faster' for an interval that holds 1."""
    return {"baseline": "the baseline",
            "same": "no measurable difference",
            "lower": pairs_word[0],
            "higher": pairs_word[1]}.get(verdict, "no interval")


def metric_words(metric, unit):
    """How 'lower' and 'higher' read for a metric: faster/slower for costs
    (times, instructions), the other way round for rates, plain otherwise."""
    if higher_is_better(metric, unit):
        return "slower", "faster"
    if unit in ("ms", "ns", "s") or metric == COUNT_METRIC:
        return "faster", "slower"
    if unit == "KiB":
        return "less memory", "more memory"
    return "lower", "higher"


def median(values):
    v = sorted(values)
    n = len(v)
    if not n:
        return math.nan
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


class Palette:
    """Backend colours from plots/palette.csv: named backends in the file's
    order, then the '*' colours for any other backend, sorted by name."""

    def __init__(self, backends, path=os.path.join(HERE, "palette.csv")):
        rows = read_csv(path)
        known = [(r["backend"], r["colour"]) for r in rows if r["backend"] != "*"]
        extras = [r["colour"] for r in rows if r["backend"] == "*"]
        names = dict(known)
        self.colour = {b: names[b] for b in backends if b in names}
        others = sorted(b for b in backends if b not in names)
        for i, b in enumerate(others):
            self.colour[b] = extras[i % len(extras)] if extras else "#777777"
        rank = {b: i for i, (b, _) in enumerate(known)}
        self.order = sorted(backends, key=lambda b: (rank.get(b, len(rank)), b))


class Run:
    def __init__(self, run_dir, stats_dir=None):
        self.dir = run_dir
        self.stats_dir = stats_dir  # set: the statistics are not the run's own summary.csv
        stats = stats_dir or run_dir
        self.summary = read_csv(os.path.join(stats, "summary.csv"))
        if self.summary and "verdict" not in self.summary[0]:
            raise SystemExit(f"{stats}/summary.csv is in an older schema (no verdict column): "
                             "plots/render.sh recomputes it, or run build/bench summarize")
        self.by_key = {}
        for r in self.summary:
            r["threads"] = int(r["threads"])
            for k in ("n", "median", "min", "max", "ratio", "ci_low", "ci_high", "pairs"):
                r[k] = number(r.get(k))
            self.by_key[(r["backend"], r["workload"], r["threads"], r["metric"])] = r
        scores_path = os.path.join(stats, "scores.csv")
        self.scores = read_csv(scores_path) if os.path.exists(scores_path) else []
        for r in self.scores:
            for k in ("score", "ci_low", "ci_high", "cells", "cells_total"):
                r[k] = number(r.get(k))
        results_path = os.path.join(run_dir, "results.csv")
        self.results = read_csv(results_path) if os.path.exists(results_path) else []
        try:
            with open(os.path.join(run_dir, "meta.json")) as f:
                self.meta = json.load(f)
        except (OSError, ValueError):
            self.meta = {}
        self.measurement = self.meta.get("measurement") or {}
        self.mode = self.measurement.get("mode") or "time"
        self._samples = None

        # the backend every ratio is to: summary.csv says, else meta.json
        self.baseline = next((r["baseline"] for r in self.summary if r.get("baseline")), None) or \
            self.measurement.get("baseline") or self.meta.get("baseline")
        backends = {r["backend"] for r in self.summary} | {r["backend"] for r in self.results}
        self.palette = Palette(backends)
        self.backends = self.palette.order
        # workload x threads cells, in summary.csv's order (it is sorted)
        self.cells = list(dict.fromkeys((r["workload"], r["threads"]) for r in self.summary))
        self.cell_metrics = {}
        for r in self.summary:
            self.cell_metrics.setdefault((r["workload"], r["threads"]), set()).add(r["metric"])
        threads_seen = {}
        for w, t in self.cells:
            threads_seen.setdefault(w, set()).add(t)
        self.threaded = {w for w, ts in threads_seen.items() if ts != {1}}
        self.workloads = list(dict.fromkeys(w for w, _ in self.cells))
        self.threads_of = {w: sorted(ts) for w, ts in threads_seen.items()}

    # ---- lookups ----
    def row(self, backend, workload, threads, metric):
        return self.by_key.get((backend, workload, threads, metric))

    def failed_row(self, backend, workload, threads):
        """The 'run' row of a cell none of whose runs ended ok."""
        return self.row(backend, workload, threads, "run")

    def metrics(self, workload, threads):
        """Metrics of a cell: wall_ms first, then others in natural order."""
        seen = self.cell_metrics.get((workload, threads), set()) - {"run"}
        natural = lambda m: [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", m)]  # noqa: E731
        return sorted(seen, key=lambda m: (m != "wall_ms", natural(m)))

    def time_metric(self, workload, threads):
        """The metric a cell's speed is compared on, and whether it is a rate
        (compared inverted, as time per operation): ops_per_s in workloads
        that report a rate (they run for a fixed time, so their wall time
        says little); instructions where they were counted (--measure
        instructions: exact, where wall time is valgrind's); else wall_ms."""
        have = self.cell_metrics.get((workload, threads), set())
        if RATE_METRIC in have:
            return RATE_METRIC, True
        if COUNT_METRIC in have:
            return COUNT_METRIC, False
        return "wall_ms", False

    def time_words(self, workload, threads):
        """What the compared quantity is called in labels."""
        metric, inverted = self.time_metric(workload, threads)
        if inverted:
            return "time per operation"
        return "instructions" if metric == COUNT_METRIC else "median wall time"

    def time_ratio(self, backend, workload, threads):
        """A backend's cost against the baseline in a cell (Ratio): the
        ratio of its time metric, or 1/(the ops_per_s ratio), with interval
        and verdict turned alike; None when the backend has no ok run there."""
        metric, inverted = self.time_metric(workload, threads)
        r = self.row(backend, workload, threads, metric)
        if not r:
            return None
        if not inverted:
            return Ratio(r["ratio"], r["ci_low"], r["ci_high"], r["verdict"], r["median"], r)
        inv = lambda x: 1 / x if ok(x) and x > 0 else math.nan  # noqa: E731
        verdict = {"lower": "higher", "higher": "lower"}.get(r["verdict"], r["verdict"])
        return Ratio(inv(r["ratio"]), inv(r["ci_high"]), inv(r["ci_low"]), verdict, r["median"], r)

    def memory_row(self, backend, workload, threads):
        """The cell's peak-memory summary row (a real program's own where it
        reports one), or None."""
        for m in MEMORY_METRICS:
            r = self.row(backend, workload, threads, m)
            if r:
                return r
        return None

    def label(self, workload, threads):
        return f"{workload} ×{threads}" if workload in self.threaded else workload

    def slug(self, workload, threads):
        s = re.sub(r"[^A-Za-z0-9_.-]+", "_", workload).strip("_")
        return f"{s}_x{threads}" if workload in self.threaded else s

    def _ok_rows(self, backend, workload, threads, metric):
        for r in self.results:
            if (r["backend"] == backend and r["workload"] == workload and r["metric"] == metric
                    and r["status"] == "ok" and int(r["threads"]) == threads):
                yield r

    def processes(self, backend, workload, threads, metric):
        """Every ok process of a cell with its value of a metric, in file
        order: [((run_id, rep), value)] (the key samples() uses)."""
        out = []
        for r in self._ok_rows(backend, workload, threads, metric):
            v = number(r["value"])
            if ok(v):
                out.append(((r.get("run_id") or "", int(r["rep"])), v))
        return out

    def reps(self, backend, workload, threads, metric):
        """Every ok process's value of a cell's metric, in file order."""
        return [v for _, v in self.processes(backend, workload, threads, metric)]

    def samples_per_process(self, backend, workload, threads):
        """How many measured samples each ok process of a cell took (the
        samples column of results.csv; a file written before it existed
        counts one per process)."""
        metric, _ = self.time_metric(workload, threads)
        return [int(number(r.get("samples")) if ok(number(r.get("samples"))) else 1)
                for r in self._ok_rows(backend, workload, threads, metric)]

    def samples(self):
        """samples.csv's time metrics: {(backend, workload, threads, metric):
        {(run_id, rep): [(value, warmup), ...]}}; {} without the file."""
        if self._samples is None:
            self._samples = {}
            path = os.path.join(self.dir, "samples.csv")
            wanted = {"wall_ms", RATE_METRIC, COUNT_METRIC}
            if os.path.exists(path):
                with open(path, newline="") as f:
                    for r in csv.DictReader(f):
                        if r["metric"] not in wanted:
                            continue
                        v = number(r["value"])
                        if not ok(v):
                            continue
                        key = (r["backend"], r["workload"], int(r["threads"]), r["metric"])
                        proc = (r.get("run_id") or "", int(r["rep"]))
                        self._samples.setdefault(key, {}).setdefault(proc, []).append(
                            (v, r.get("warmup") == "1"))
        return self._samples

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
        if self.row(backend, workload, threads, self.time_metric(workload, threads)[0]):
            return ""
        f = self.failed_row(backend, workload, threads)
        if f:
            return f["runs"].split("=")[0]
        return "not run"

    # ---- the environment, for subtitles and the report ----
    def subtitle(self):
        m = self.meta.get("machine", {})
        cpu = m.get("cpu_model") or ("several machines" if self.meta.get("merged_from") else "unknown CPU")
        cores = m.get("cores_online")
        parts = [cpu + (f", {cores} cores" if cores else "")]
        if m.get("kernel"):
            parts.append(m["kernel"])
        if m.get("glibc_version"):
            parts.append(f"glibc {m['glibc_version']}")
        date = (self.meta.get("start_time") or self.meta.get("merged_at") or "")[:10] or "date unknown"
        parts.append(f"run {date}")
        if self.mode == "instructions":
            parts.append("instructions counted (callgrind)")
        return " · ".join(parts)


def run_from_argv(argv, usage):
    """The Run a figure script is asked for: `NAME.py RUN_DIR [--stats DIR]`."""
    args = argv[1:]
    stats = None
    if len(args) == 3 and args[1] == "--stats":
        stats = args[2]
        args = args[:1]
    if len(args) != 1 or not os.path.isdir(args[0]):
        sys.exit(f"usage: {usage} RUN_DIR [--stats DIR]  (DIR: where summary.csv and scores.csv are, "
                 "default RUN_DIR)")
    return Run(args[0], stats)


def load_article_figures(path=os.path.join(HERE, "article_figures.csv")):
    rows = read_csv(path)
    for r in rows:
        for k in ("glibc_ms", "article_ms", "ratio"):
            r[k] = number(r[k])
        r["threads"] = int(r["threads"])
    return rows
