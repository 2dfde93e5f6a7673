#!/usr/bin/env python3
"""Writes RUN_DIR/report.md from the run's CSV files and meta.json
(standard library only).

Usage: report.py RUN_DIR

Sections: environment, scores, the article-reproduction table
(plots/article_figures.csv), one table per workload x threads cell (every
metric the run has, so new workloads and metrics need no change here), thread
scaling, memory, distributions, failed runs (every one, never dropped), and
how to read it all. Figures are embedded when their PNG is in the directory.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rundata  # noqa: E402
from rundata import fmt, ok  # noqa: E402


def cell_text(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(cell_text(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def ratio_text(r):
    """'0.60 [0.53–0.92]' from a summary row; '' without a ratio."""
    if not r or not ok(r["ratio_vs_glibc"]):
        return "–"
    text = f"{r['ratio_vs_glibc']:.2f}"
    if ok(r["ci_low"]) and ok(r["ci_high"]) and r["backend"] != "glibc":
        text += f" [{r['ci_low']:.2f}–{r['ci_high']:.2f}]"
    return text


class Report:
    def __init__(self, run):
        self.run = run
        self.out = []

    def w(self, *lines):
        self.out.extend(lines)

    def figure(self, name, alt):
        """Embeds NAME.png when it was drawn; says so when it was not."""
        if os.path.exists(os.path.join(self.run.dir, f"{name}.png")):
            svg = f" ([SVG]({name}.svg))" if os.path.exists(os.path.join(self.run.dir, f"{name}.svg")) else ""
            self.w(f"![{alt}]({name}.png){svg}", "")
        else:
            self.w(f"*(figure {name}.png was not drawn: see the output of plots/render.sh)*", "")

    def section_if_drawn(self, name, heading, alt, caption):
        """A section for a figure that only some runs have (e.g. --latency)."""
        if os.path.exists(os.path.join(self.run.dir, f"{name}.png")):
            self.w(f"## {heading}", "", caption, "")
            self.figure(name, alt)

    # ---- sections ----
    def header(self):
        run, meta = self.run, self.run.meta
        self.w(f"# Allocator comparison: run {meta.get('run_id', os.path.basename(run.dir))}", "",
               f"{run.subtitle()}. Written by `plots/render.sh` from this directory's CSV files; "
               "`make plots RUN=<this directory>` rewrites it and every figure without rerunning "
               "anything. Column meanings: the project README.", "")
        flags = []
        if meta.get("quick"):
            flags.append("**quick run** (reduced sizes, one repetition: a smoke test, not a measurement)")
        if meta.get("interrupted"):
            flags.append("**interrupted**: only the runs that finished are here")
        if flags:
            self.w("> " + "; ".join(flags), "")

    def environment(self):
        meta = self.run.meta
        m, b = meta.get("machine", {}), meta.get("build", {})
        mem = m.get("memory_kib")
        rows = [
            ("CPU", f"{m.get('cpu_model', '?')}, {m.get('cores_online', '?')} cores online"),
            ("memory", f"{mem / 1048576:.1f} GiB" if isinstance(mem, (int, float)) else "?"),
            ("kernel", m.get("kernel", "?")),
            ("glibc", m.get("glibc_version", "?")),
            ("transparent huge pages", f"{m.get('transparent_hugepages')} (defrag {m.get('transparent_hugepages_defrag')})"),
            ("CPU governor", m.get("cpu_governor") or "not readable"),
            ("compiler", b.get("compiler", "?")),
            ("commit", f"{(b.get('git_commit') or '?')[:12]}{' (uncommitted changes)' if b.get('git_dirty') else ''}"),
            ("command", " ".join(meta.get("command_line", [])) or "?"),
            ("repetitions", f"{meta.get('reps', '?')} after {meta.get('warmup_rounds', '?')} warm-up round(s), "
                            f"order shuffled with seed {meta.get('seed', '?')}"),
            ("time", f"{meta.get('start_time', '?')} to {meta.get('end_time') or '?'}"),
        ]
        self.w("## Environment", "", table(["", ""], rows), "")
        backends = meta.get("backends", [])
        if backends:
            self.w(table(["backend", "version", "library verified inside the child"],
                         [(x.get("name"), x.get("version") or "–",
                           x.get("verified_path") or (f"missing: {x['missing']}" if x.get("missing") else "–"))
                          for x in backends]), "")

    def scores(self):
        run = self.run
        self.w("## Overall scores", "")
        rows = []
        by_name = {r["backend"]: r for r in run.scores}
        for b in run.backends:
            r = by_name.get(b)
            if not r:
                continue
            interval = f"{fmt(r['ci_low'])}–{fmt(r['ci_high'])}" if ok(r["ci_low"]) else "–"
            if b == "glibc":
                interval = "(the reference)"
            rows.append((b, fmt(r["score"]), interval,
                         f"{int(r['cells'])} of {int(r['cells_total'])}",
                         r.get("not_counted") or ""))
        if not rows:
            self.w("No scores: scores.csv is missing or the run has no glibc result to compare with.", "")
            return
        self.w("Each backend's geometric mean, over every workload × threads cell, of its median "
               "wall time divided by glibc's (in workloads that report ops/s: its time per "
               "operation divided by glibc's) (`scores.csv`): below 1 is faster than glibc on a "
               "typical workload of this run; the interval is a 95% bootstrap interval. A score over "
               "fewer cells than the others (a backend that failed somewhere) is not comparable.", "")
        self.w(table(["backend", "score", "95% interval", "cells counted", "not counted"], rows), "")
        self.figure("scores", "overall score per backend with its interval")
        self.figure("overview", "every workload: median wall time relative to glibc")

    def article(self):
        run = self.run
        self.w("## The article's table, reproduced", "",
               "The article (`../shared/ARTICLE.md`) gives milliseconds on an unnamed machine, so "
               "only ratios to glibc compare. Its figures come from `plots/article_figures.csv`. "
               "`article` is the article's design rebuilt (reference backend); `custom` is this "
               "project's allocator. Ratios are median time ÷ glibc's median in this run, with the "
               "95% bootstrap interval.", "")
        rows = []
        for fig in rundata.load_article_figures():
            cell = self.article_cell(fig)
            measured = {}
            for b in ("article", "custom"):
                r = run.row(b, cell, fig["threads"], fig["metric"]) if cell else None
                measured[b] = r
            where = f"`{cell}`" + (f" ×{fig['threads']}" if fig["threads"] > 1 else "") + \
                f" {fig['metric']}" if cell else "not in this run"
            rows.append((fig["row"], fmt(fig["glibc_ms"]), fmt(fig["article_ms"]), fmt(fig["ratio"]),
                         where, ratio_text(measured["article"]) if cell else "–",
                         ratio_text(measured["custom"]) if cell else "–",
                         self.reading(fig, cell, measured)))
        self.w(table(["article row", "article: glibc ms", "article: its allocator ms",
                      "article ratio", "measured as", "`article` ratio here",
                      "`custom` ratio here", "reading"], rows), "")

    def article_cell(self, fig):
        """The run's workload selection for an article row: the exact label,
        else the first selection of that workload, at the row's threads."""
        labels = [w for w, t in self.run.cells if t == fig["threads"]]
        if fig["workload"] in labels:
            return fig["workload"]
        for w in labels:
            if w.split(":")[0] == fig["workload"]:
                return w
        return None

    def reading(self, fig, cell, measured):
        if not cell:
            return "not measured: the run has no such workload"
        parts = []
        for b in ("article", "custom"):
            r = measured[b]
            if not r or not ok(r["ratio_vs_glibc"]):
                status = self.run.cell_status(b, cell, fig["threads"])
                if b in self.run.backends:
                    parts.append(f"`{b}` has no result ({status or 'no glibc result'})")
                continue
            if b == "article":  # the rebuilt design: does it reproduce the article?
                parts.append(f"`{b}` {self.compare(fig['ratio'], r)}")
            else:  # the project's allocator: where does it stand against both?
                parts.append(f"`{b}` {self.standing(fig['ratio'], r)}")
        return "; ".join(parts) if parts else "neither backend in this run"

    @staticmethod
    def standing(article_ratio, r):
        m, lo, hi = r["ratio_vs_glibc"], r["ci_low"], r["ci_high"]
        than_article = "better" if m < article_ratio else "worse"
        if ok(lo) and ok(hi) and lo <= 1 <= hi:
            where = f"on par with glibc ({m:.2f}; its interval holds 1)"
        else:
            where = f"{'faster' if m < 1 else 'slower'} than glibc ({m:.2f})"
        return f"is {where}: a {than_article} ratio than the article's allocator had ({article_ratio:g})"

    @staticmethod
    def compare(article_ratio, r):
        m, lo, hi = r["ratio_vs_glibc"], r["ci_low"], r["ci_high"]
        side = lambda x: "slower" if x > 1 else "faster"  # noqa: E731
        if ok(lo) and ok(hi) and lo <= 1 <= hi:
            return (f"is not clearly different from glibc ({m:.2f}; its interval holds 1), "
                    f"where the article's was {side(article_ratio)} ({article_ratio:g})")
        if (m > 1) != (article_ratio > 1):
            return (f"does not reproduce it: {side(m)} than glibc ({m:.2f}), "
                    f"where the article's was {side(article_ratio)} ({article_ratio:g})")
        if 0.5 <= m / article_ratio <= 2:
            return f"reproduces it: {side(m)} than glibc, {m:.2f} against {article_ratio:g}"
        gap = "larger" if abs(m - 1) > abs(article_ratio - 1) else "smaller"
        return f"goes the same way ({side(m)}) with a {gap} gap: {m:.2f} against {article_ratio:g}"

    def workloads(self):
        run = self.run
        self.w("## Per workload", "",
               "Median over the `ok` repetitions, their min–max, the ratio of medians to glibc's "
               "with its 95% bootstrap interval, and the peak resident set. `runs` counts how each "
               "repetition ended.", "")
        for workload, threads in run.cells:
            self.w(f"### {run.label(workload, threads)}", "")
            params = run.params(workload, threads)
            if params:
                self.w("Parameters: " + ", ".join(f"`{k}={v}`" for k, v in params.items()) + ".", "")
            metric, inverted = run.time_metric(workload, threads)
            if inverted:
                self.w(f"This workload reports `{metric}` (it runs for a fixed time, so its wall time "
                       "says little): the table compares that rate, higher is better; the figure and "
                       "the score use time per operation, its inverse.", "")
            unit = "ops/s" if inverted else "ms"
            rows = []
            for b in run.backends:
                r = run.row(b, workload, threads, metric)
                rss = run.row(b, workload, threads, "peak_rss_kib")
                if r:
                    rows.append((b, fmt(r["median"]), f"{fmt(r['min'])}–{fmt(r['max'])}", ratio_text(r),
                                 fmt(rss["median"] / 1024) if rss and ok(rss["median"]) else "–", r["runs"]))
                else:
                    f = run.failed_row(b, workload, threads)
                    if f:
                        rows.append((b, "–", "–", "–", "–", f"**{f['runs']}**"))
            if rows:
                self.w(table(["backend", f"median {unit}", f"min–max {unit}",
                              "ratio to glibc [95% CI]" + (" (higher is better)" if inverted else ""),
                              "peak RSS MiB", "runs"], rows), "")
            self.figure(f"ratio_{run.slug(workload, threads)}",
                        f"{run.label(workload, threads)}: time relative to glibc")
            self.other_metrics(workload, threads, metric)

    def other_metrics(self, workload, threads, shown):
        """Every other metric of the cell, generic: median (ratio) per backend."""
        run = self.run
        metrics = [m for m in run.metrics(workload, threads) if m not in (shown, "peak_rss_kib")]
        if not metrics:
            return
        backends = [b for b in run.backends if any(run.row(b, workload, threads, m) for m in metrics)]
        rows = []
        for m in metrics:
            unit = next((r["unit"] for b in backends for r in [run.row(b, workload, threads, m)] if r), "")
            better = "higher" if rundata.higher_is_better(m, unit) else "lower"
            cells = []
            for b in backends:
                r = run.row(b, workload, threads, m)
                if not r:
                    cells.append("–")
                elif ok(r["ratio_vs_glibc"]) and b != "glibc":
                    cells.append(f"{fmt(r['median'])} ({r['ratio_vs_glibc']:.2f})")
                else:
                    cells.append(fmt(r["median"]))
            rows.append([f"{m} ({unit}; {better} is better)"] + cells)
        self.w("Other metrics, median (ratio to glibc):", "",
               table(["metric"] + backends, rows), "")

    def scaling(self):
        run = self.run
        swept = [w for w in run.workloads if len(run.threads_of[w]) > 1]
        self.w("## Thread scaling", "")
        if not swept:
            self.w("This run has no workload at several thread counts (`./run_all.sh` runs "
                   "`multithread` at 1, 2, 4 and 8 threads by default).", "")
            return
        cores = run.meta.get("machine", {}).get("cores_online")
        self.w("Operations per second of wall time, all threads together, median with min–max. "
               f"This machine has {cores or '?'} cores: beyond that, threads take turns, and a flat "
               "line is the best an allocator can do; a falling one means it loses time to "
               "contention or to threads preempted while holding a lock.", "")
        for w in swept:
            self.figure(f"scaling_{run.slug(w, run.threads_of[w][0]).rsplit('_x', 1)[0]}",
                        f"{w}: throughput against threads")

    def memory_and_spread(self):
        self.w("## Memory", "",
               "Peak resident set of the measured process over its whole life (VmHWM), median "
               "over repetitions, min–max as error bars.", "")
        self.figure("peak_rss", "peak RSS per workload and backend")
        self.w("## Every repetition", "",
               "Each dot is one repetition's wall time; boxes span the quartiles. A lone dot far "
               "from its group is a noisy repetition, which the median ignores.", "")
        self.figure("distribution", "wall time of every repetition")
        self.section_if_drawn(
            "timeline", "Memory over time", "RSS over time per workload and backend",
            "Resident set (MiB) against time since the process started, one line per "
            "backend (its median-wall-time repetition, named in the legend): the height is "
            "memory held, a rising line is growth, a step down is memory returned to the OS.")
        self.section_if_drawn(
            "latency", "Latency per call", "latency percentiles per workload and backend",
            "Per workload and operation, p50, p99, p99.9 and max time of one call in ns "
            "(log axis; bar: median over repetitions, line: min–max; dashed: timer "
            "resolution): p50 is the usual call, the tail groups show the rare slow ones.")

    def failures(self):
        run = self.run
        failed = run.failures()
        self.w("## Runs that did not end ok", "")
        if not failed:
            self.w("None: every run ended `ok`.", "")
            return
        self.w(f"{len(failed)} run(s) did not end `ok`; they carry no timing and are left out "
               "of medians, ratios and scores (a cell none of whose runs ended ok has no ratio).", "")
        # one line per backend x cell x status, naming its repetitions
        groups = {}
        for r in failed:
            key = (r["backend"], r["workload"], r["threads"], r["status"])
            g = groups.setdefault(key, {"reps": [], "details": []})
            g["reps"].append(r["rep"])
            if r.get("detail") and r["detail"] not in g["details"]:
                g["details"].append(r["detail"])
        rows = [(b, w, t, f"**{st}**", ",".join(g["reps"]), "; ".join(g["details"]))
                for (b, w, t, st), g in groups.items()]
        self.w(table(["backend", "workload", "threads", "status", "reps", "detail"], rows), "")

    def how_to_read(self):
        self.w("## How to read this", "",
               "- Ratios are this backend's median divided by glibc's median in the same run: "
               "0.5 is twice as fast as glibc, 2 twice as slow. Bars on the ratio figures start at 1 "
               "(glibc) and the axes are logarithmic, so 2× faster and 2× slower look alike.",
               "- The interval in brackets and the error bars are 95% percentile-bootstrap "
               "intervals (2000 resamples of both backends' repetitions, fixed seed). With few "
               "repetitions they are coarse; an interval that contains 1 means no clear difference.",
               "- Times are of the timed region only; process start and allocator initialisation "
               "are excluded. Absolute times depend on the machine: compare ratios.",
               "- On a machine with fewer cores than threads, the thread figures measure behaviour "
               "under preemption, not parallel speed-up (README, \"Reading an 8-thread figure\").",
               "")

    def write(self):
        self.header()
        self.environment()
        self.scores()
        self.article()
        self.workloads()
        self.scaling()
        self.memory_and_spread()
        self.failures()
        self.how_to_read()
        path = os.path.join(self.run.dir, "report.md")
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write("\n".join(self.out).rstrip() + "\n")
        os.replace(tmp, path)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: report.py RUN_DIR")
    Report(rundata.Run(sys.argv[1])).write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
