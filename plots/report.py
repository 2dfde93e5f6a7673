#!/usr/bin/env python3
"""Writes RUN_DIR/report.md from the run's CSV files and meta.json
(standard library only).

Usage: report.py RUN_DIR [--stats DIR]

Sections: environment, how it was measured (settings, samples per process,
the machine's noise from the calibration loops, hardware counters), scores,
the article-reproduction table (plots/article_figures.csv), one table per
workload x threads cell (every metric the run has, so new workloads and
metrics need no change here), thread scaling, memory, speed against
memory, distributions, failed runs (every one, never dropped, with their
logs), and how to read it all. Every ratio is to the run's baseline backend
and says whether it differs measurably from it. Figures are embedded when
their PNG is in the directory. The text depends only on the CSV files and
the PNGs present, so rendering the same run twice writes the same report.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rundata  # noqa: E402
import security  # noqa: E402
from rundata import fmt, ok  # noqa: E402

CHECKED = ("article", "custom")  # the backends the article's table reads


def cell_text(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(cell_text(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def ratio_text(point, low, high, verdict):
    """'0.60 [0.53–0.92]'; '–' without a ratio; '1' for the baseline."""
    if not ok(point):
        return "–"
    if verdict == "baseline":
        return "1"
    text = f"{point:.2f}"
    if ok(low) and ok(high):
        text += f" [{low:.2f}–{high:.2f}]"
    return text


def width_text(point, low, high):
    """The interval's half-width, '±3%'; '–' without one."""
    w = rundata.half_width(point, low, high)
    return f"±{w:.0f}%" if ok(w) and w >= 1 else (f"±{w:.1f}%" if ok(w) else "–")


EXTRA_ROUNDS_ENDED = {
    "narrow": "every cell that could have them is within the target",
    "budget": "the budget could not pay for more",
    "max_reps": "the cells still wider reached --max-reps",
    "interrupted": "the run was interrupted",
    "no baseline": "the baseline had no ok result to pair with",
}


def extra_rounds_text(x):
    """meta.json's measurement.extra_rounds, in words."""
    if not x:
        return "none (a run of an older harness)"
    target = f"±{x.get('target_pct', 0):g}% (threaded ±{x.get('target_threaded_pct', 0):g}%)"
    ended = x.get("ended")
    if not x.get("budget_s") or ended == "not asked":
        return "none asked for (--extend-time 0, or --reps given alone)"
    if ended == "no eligible cell":
        return ("none: no cell could have them (only the cells of workloads that take samples, "
                "in an unsharded time run of 2 rounds or more, below --max-reps)")
    why = EXTRA_ROUNDS_ENDED.get(ended, ended or "?")
    still = x.get("still_wide")
    still_text = f"; {still} cell(s) still wider than {target}" if still else ""
    if not x.get("groups"):
        return f"none: {why}{still_text}"
    return (f"{x['groups']} group(s) in {x.get('spent_s', 0):.0f} s of {x['budget_s']} s for the cells "
            f"of sampled workloads wider than {target}, up to {x.get('max_reps', '?')} rounds in all "
            f"(the n column counts them); they ended because {why}{still_text}")


def suites_text(names):
    """'article security' -> "the article and security suites' workloads"."""
    parts = names.split()
    if len(parts) == 1:
        return f"the {parts[0]} suite's workloads"
    return f"the {', '.join(parts[:-1])} and {parts[-1]} suites' workloads"


def spread_text(c):
    """One calibration loop's figures, for the measurement table."""
    if not c or not c.get("p10"):
        return "not recorded"
    return (f"median {c['median']:.3g} ms, p90/p10 = {c['p90'] / c['p10']:.2f}, "
            f"min–max {c['min']:.3g}–{c['max']:.3g} ms ({c.get('probes', '?')} probes)")


class Report:
    def __init__(self, run):
        self.run = run
        self.base = run.baseline
        self.out = []

    def w(self, *lines):
        self.out.extend(lines)

    def figure(self, name, alt):
        """Embeds NAME.png when it was drawn; says so when it was not."""
        if os.path.exists(os.path.join(self.run.dir, f"{name}.png")):
            self.w(f"![{alt}]({name}.png)", "")
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
               "anything. Every figure is also an SVG of the same name beside its PNG. Column "
               "meanings: the project README.", "")
        flags = []
        if meta.get("quick"):
            reps = meta.get("reps")
            count = f"{reps} repetition{'s' if reps != 1 else ''}" if isinstance(reps, int) else "few repetitions"
            flags.append(f"**quick run** (reduced sizes, {count}: a smoke test, not a measurement)")
        if meta.get("interrupted"):
            flags.append("**interrupted**: only the runs that finished are here")
        if run.stats_dir:
            flags.append("summary.csv was written by an older harness: the statistics here were "
                         "recomputed from results.csv by this render (the run's own files are unchanged)")
        if flags:
            self.w("> " + "; ".join(flags), "")

    def environment(self):
        meta = self.run.meta
        merged = meta.get("merged_from")
        if merged:
            self.w("## Environment", "",
                   f"This run merges {len(merged)} runs (`bench merge`); each keeps its run_id and "
                   "host in the CSV files, and `summary_by_host.csv` (when the hosts differ) has the "
                   "summary of each host alone." + (
                       f" They are {meta['plan_shards']} shards of one plan ({meta.get('plan_hash')}): "
                       f"{meta.get('plan_measurements_missing', 0)} of {meta.get('plan_measurements', '?')} "
                       "measurements missing." if meta.get("plan_shards") else ""), "",
                   table(["run", "host", "started", "commit"],
                         [(x.get("run_id"), x.get("host"), x.get("start_time"), (x.get("git_commit") or "?")[:12])
                          for x in merged]), "")
            return
        m, b = meta.get("machine", {}), meta.get("build", {})
        mem = m.get("memory_kib")
        rows = [
            ("host", meta.get("host") or "?"),
            ("CPU", f"{m.get('cpu_model', '?')}, {m.get('cores_online', '?')} cores online"
                    + (f", {m['cpu_mhz']} MHz" if m.get("cpu_mhz") else "")),
            ("memory", f"{mem / 1048576:.1f} GiB" if isinstance(mem, (int, float)) else "?"),
            ("kernel", m.get("kernel", "?")),
            ("glibc", m.get("glibc_version", "?")),
            ("transparent huge pages", f"{m.get('transparent_hugepages')} (defrag {m.get('transparent_hugepages_defrag')})"),
            ("CPU governor", m.get("cpu_governor") or "not readable"),
            ("load average", f"{m.get('load_average_start') or '?'} at the start, "
                             f"{m.get('load_average_end') or '?'} at the end"),
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
            self.w(table(["backend", "version", "library verified inside the child", "ran on"],
                         [(x.get("name"), x.get("version") or "–",
                           x.get("verified_path") or (f"missing: {x['missing']}" if x.get("missing") else "–"),
                           suites_text(x["home_suites"]) if x.get("home_suites") else "every workload")
                          for x in backends]), "")
            homed = [x for x in backends if x.get("home_suites")]
            if homed:
                self.w("A backend that ran on some suites' workloads only was chosen by default for "
                       "those (name it with `--backends` to run it everywhere); its score counts those "
                       "cells alone and is not comparable with the others'.", "")

    def samples_text(self):
        """Measured samples per process over the whole run, from results.csv."""
        run = self.run
        counts = [n for b in run.backends for w, t in run.cells for n in run.samples_per_process(b, w, t)]
        if not counts:
            return "–"
        lo, hi, med = min(counts), max(counts), rundata.median(counts)
        if lo == hi:
            return f"{lo} in every process"
        return f"median {med:g}, {lo}–{hi} (a process samples until its minimum time is reached)"

    def measurement(self):
        ms = self.run.measurement
        self.w("## How it was measured", "")
        if not ms:
            self.w("meta.json records no measurement settings (a run of an older harness, or a "
                   "merge: see each merged run's own report). Ratios are to "
                   f"`{self.base or 'nothing'}`; samples per process (results.csv): "
                   f"{self.samples_text()}.", "")
            return
        mode = ms.get("mode") or "time"
        if mode == "instructions":
            mode_text = ("instructions: each process ran under valgrind's callgrind, which counts "
                         "the instructions of the timed region exactly and repeatably; valgrind runs "
                         "one thread at a time, so threaded workloads are serialised, and times and "
                         "peak RSS are valgrind's")
        else:
            mode_text = "time: wall-clock time of each workload's timed region"
        if ms.get("fixed_samples"):
            length = f"exactly {ms['fixed_samples']} measured samples per process"
        else:
            length = (f"samples until they add up to {ms.get('min_time_ms', '?')} ms per process "
                      f"(at most {ms.get('max_samples', '?')})")
        interleave = {"samples": "samples: the backends' processes of a case run side by side and take "
                                 "their samples in turns, so they see the same machine",
                      "processes": "processes: one process at a time"}.get(ms.get("interleave"),
                                                                              ms.get("interleave") or "?")
        baseline = f"`{self.base}`" if self.base else "none"
        if ms.get("baseline_note"):
            baseline += f" ({ms['baseline_note']})"
        rows = [("mode", mode_text),
                ("length of a process", length),
                ("measured samples per process", self.samples_text()),
                ("warm-up samples per process", f"{ms.get('warmup_samples', '?')} (recorded, left out of its value)"),
                ("interleave", interleave),
                ("extra rounds", extra_rounds_text(ms.get("extra_rounds"))),
                ("baseline (every ratio is to it)", baseline)]
        if ms.get("hardware_counters"):
            rows.append(("hardware counters", "recorded (hw_* metrics)"))
        else:
            rows.append(("hardware counters", "none recorded"
                         + (f" ({ms['hardware_counters_note']})" if ms.get("hardware_counters_note") else "")
                         + ": this run has no hw_* metric (none is shown as zero)"))
        cal = ms.get("calibration") or {}
        rows.append(("noise: ALU loop", spread_text(cal.get("alu_ms"))))
        rows.append(("noise: memory loop", spread_text(cal.get("memory_ms"))))
        self.w(table(["", ""], rows), "",
               "How noisy was the machine: between groups of processes the runner times two fixed "
               "loops, one of arithmetic, one of memory accesses. A spread (p90/p10) near 1.00 is a "
               "quiet machine; a memory loop spread well above the ALU loop's means the host's memory "
               "speed changed during the run (other tenants of a shared machine). The paired ratios "
               "below cancel such changes where the backends took their samples side by side; raw "
               "times do not.", "")

    def scores(self):
        run, base = self.run, self.base
        self.w("## Overall scores", "")
        rows = []
        by_name = {r["backend"]: r for r in run.scores}
        homes = {x.get("name"): x.get("home_suites") for x in run.meta.get("backends", []) if x.get("home_suites")}
        for b in run.backends:
            r = by_name.get(b)
            if not r:
                continue
            if b == base:
                rows.append((b, "1", "(the baseline)", "–", "the baseline",
                             f"{int(r['cells'])} of {int(r['cells_total'])}", ""))
                continue
            interval = f"{fmt(r['ci_low'])}–{fmt(r['ci_high'])}" if ok(r["ci_low"]) else "–"
            rows.append((b, fmt(r["score"]), interval, width_text(r["score"], r["ci_low"], r["ci_high"]),
                         rundata.difference(r.get("verdict")) if ok(r["score"]) else "no score",
                         f"{int(r['cells'])} of {int(r['cells_total'])}",
                         f"not run outside {suites_text(homes[b])}" if b in homes and r.get("not_counted")
                         else r.get("not_counted") or ""))
        if not rows:
            self.w("No scores: scores.csv is missing or the run has no baseline result to compare with.", "")
            return
        metric = next((r.get("metric") for r in run.scores if r.get("metric")), "wall_ms")
        what = ("instructions" if metric.startswith(rundata.COUNT_METRIC) else "median wall time")
        self.w(f"Each backend's geometric mean, over every workload × threads cell, of its {what} "
               f"divided by {base}'s (in workloads that report ops/s: its time per operation) "
               f"(`scores.csv`, metric `{metric}`): below 1 is faster than {base} on a typical workload "
               "of this run. The interval is a 95% bootstrap interval; \"no measurable difference\" "
               f"means it holds 1, whatever the score's own value. A score over fewer cells than the "
               "others (a backend that failed somewhere) is not comparable.", "")
        self.w(table(["backend", "score", "95% interval", "±", f"difference to {base}", "cells counted",
                      "not counted"], rows), "")
        self.figure("scores", "overall score per backend with its interval")
        self.figure("overview", f"every workload: cost relative to {base}")

    def article(self):
        run = self.run
        self.w("## The article's table, reproduced", "",
               "The article is a blog post by the author of a small malloc replacement, who measured "
               "it against glibc's malloc on four workloads. Its figures, as published (milliseconds "
               "on a machine it does not name, with few parameters), are in "
               "`plots/article_figures.csv`; only ratios to glibc compare across machines. `article` "
               "is the article's design rebuilt (`allocator/article/`); `custom` is this project's "
               "allocator.", "")
        present = [b for b in CHECKED if b in run.backends]
        if not present:
            self.w("Not reproduced: this run has neither the `article` nor the `custom` backend "
                   "(`./run_all.sh --suite article` runs both).", "")
            return
        if self.base != "glibc":
            why = ("glibc is not in this run" if "glibc" not in run.backends else
                   f"this run's ratios are to `{self.base}` (`build/bench summarize RUN --baseline glibc` "
                   "recomputes them to glibc)")
            self.w(f"Not reproduced: the article's ratios are to glibc, and {why}.", "")
            return
        self.w("Ratios here are to glibc in this run, with their 95% bootstrap interval.", "")
        rows = []
        for fig in rundata.load_article_figures():
            cell = self.article_cell(fig)
            measured = {b: run.row(b, cell, fig["threads"], fig["metric"]) if cell else None for b in CHECKED}
            where = f"`{cell}`" + (f" ×{fig['threads']}" if fig["threads"] > 1 else "") + \
                f" {fig['metric']}" if cell else "not in this run"
            rows.append([fig["row"], fmt(fig["glibc_ms"]), fmt(fig["article_ms"]), fmt(fig["ratio"]), where] +
                        [self.row_ratio(measured[b]) for b in present] +
                        [self.reading(fig, cell, measured)])
        self.w(table(["article row", "article: glibc ms", "article: its allocator ms", "article ratio",
                      "measured as"] + [f"`{b}` ratio here" for b in present] + ["reading"], rows), "")

    @staticmethod
    def row_ratio(r):
        return ratio_text(r["ratio"], r["ci_low"], r["ci_high"], r["verdict"]) if r else "–"

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
        for b in CHECKED:
            r = measured[b]
            if not r or not ok(r["ratio"]):
                if b in self.run.backends:
                    status = self.run.cell_status(b, cell, fig["threads"])
                    parts.append(f"`{b}` has no result ({status or 'no glibc result'})")
                continue
            if b == "article":  # the rebuilt design: does it reproduce the article?
                parts.append(f"`{b}` {self.compare(fig['ratio'], r)}")
            else:  # the project's allocator: where does it stand against both?
                parts.append(f"`{b}` {self.standing(fig['ratio'], r)}")
        return "; ".join(parts)

    @staticmethod
    def standing(article_ratio, r):
        m = r["ratio"]
        than_article = "better" if m < article_ratio else "worse"
        if r["verdict"] == "same":
            where = f"shows no measurable difference from glibc ({m:.2f}; its interval holds 1)"
        elif r["verdict"] in ("lower", "higher"):
            where = f"is {'faster' if m < 1 else 'slower'} than glibc ({m:.2f})"
        else:
            where = f"measures {m:.2f} against glibc (no interval)"
        return f"{where}: a {than_article} ratio than the article's allocator had ({article_ratio:g})"

    @staticmethod
    def compare(article_ratio, r):
        m = r["ratio"]
        side = lambda x: "slower" if x > 1 else "faster"  # noqa: E731
        if r["verdict"] == "same":
            return (f"shows no measurable difference from glibc ({m:.2f}; its interval holds 1), "
                    f"where the article's was {side(article_ratio)} ({article_ratio:g})")
        if (m > 1) != (article_ratio > 1):
            return (f"does not reproduce it: {side(m)} than glibc ({m:.2f}), "
                    f"where the article's was {side(article_ratio)} ({article_ratio:g})")
        if 0.5 <= m / article_ratio <= 2:
            return f"reproduces it: {side(m)} than glibc, {m:.2f} against {article_ratio:g}"
        gap = "larger" if abs(m - 1) > abs(article_ratio - 1) else "smaller"
        return f"goes the same way ({side(m)}) with a {gap} gap: {m:.2f} against {article_ratio:g}"

    def workloads(self):
        run, base = self.run, self.base
        self.w("## Per workload", "",
               "Median over the `ok` processes (each process's value is the median of its measured "
               f"samples), their min–max, the measured samples per process, the ratio to {base} with "
               "its 95% bootstrap interval and the interval's half-width, whether the difference to "
               f"{base} is measurable (\"no measurable difference\": the interval holds 1), and the peak "
               "resident set. `runs` counts how each process ended.", "")
        for workload, threads in run.cells:
            if "detected" in run.cell_metrics.get((workload, threads), set()):
                continue  # a misuse case: its outcome is in the security table, its time means nothing
            self.w(f"### {run.label(workload, threads)}", "")
            params = run.params(workload, threads)
            if params:
                self.w("Parameters: " + ", ".join(f"`{k}={v}`" for k, v in params.items()) + ".", "")
            metric, inverted = run.time_metric(workload, threads)
            if inverted:
                self.w(f"This workload reports `{metric}` (it runs for a fixed time, so its wall time "
                       "says little): the table compares that rate, higher is better; the figure and "
                       "the score use time per operation, its inverse.", "")
            unit = "ops/s" if inverted else ("instructions" if metric == rundata.COUNT_METRIC else "ms")
            rows = []
            for b in run.backends:
                r = run.row(b, workload, threads, metric)
                rss = run.memory_row(b, workload, threads)
                if r:
                    counts = run.samples_per_process(b, workload, threads)
                    samples = (f"{min(counts)}" if counts and min(counts) == max(counts) else
                               f"{min(counts)}–{max(counts)}" if counts else "–")
                    words = rundata.metric_words(metric, r["unit"])
                    rows.append((b, fmt(r["median"]), f"{fmt(r['min'])}–{fmt(r['max'])}", samples,
                                 ratio_text(r["ratio"], r["ci_low"], r["ci_high"], r["verdict"]),
                                 width_text(r["ratio"], r["ci_low"], r["ci_high"]) if b != base else "–",
                                 rundata.difference(r["verdict"], words) if ok(r["ratio"]) else "no ratio",
                                 fmt(rss["median"] / 1024) if rss and ok(rss["median"]) else "–", r["runs"]))
                else:
                    f = run.failed_row(b, workload, threads)
                    if f:
                        rows.append((b, "–", "–", "–", "–", "–", "–", "–", f"**{f['runs']}**"))
            if rows:
                self.w(table(["backend", f"median {unit}", f"min–max {unit}", "samples/process",
                              f"ratio to {base} [95% CI]" + (" (higher is better)" if inverted else ""),
                              "±", f"difference to {base}", "peak RSS MiB", "runs"], rows), "")
            self.figure(f"ratio_{run.slug(workload, threads)}",
                        f"{run.label(workload, threads)}: cost relative to {base}")
            self.other_metrics(workload, threads, metric)

    def other_metrics(self, workload, threads, shown):
        """Every other metric of the cell, generic: median (ratio; '~' when
        the ratio's interval holds 1) per backend."""
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
                elif ok(r["ratio"]) and r["verdict"] != "baseline":
                    cells.append(f"{fmt(r['median'])} ({r['ratio']:.2f}{'~' if r['verdict'] == 'same' else ''})")
                else:
                    cells.append(fmt(r["median"]))
            rows.append([f"{m} ({unit}; {better} is better)"] + cells)
        self.w(f"Other metrics, median (ratio to {self.base}; ~: no measurable difference):", "",
               table(["metric"] + backends, rows), "")

    def scaling(self):
        run = self.run
        swept = [w for w in run.workloads if len(run.threads_of[w]) > 1]
        self.w("## Thread scaling", "")
        if run.mode == "instructions":
            self.w("Not drawn: with `--measure instructions` valgrind runs one thread at a time.", "")
            return
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
        base = self.base
        self.w("## Memory", "",
               "Peak resident set of the measured process over its whole life (VmHWM), median "
               "over processes, min–max as error bars.", "")
        self.figure("peak_rss", "peak RSS per workload and backend")
        self.section_if_drawn(
            "speed_memory", "Speed against memory", "time against peak RSS, relative to the baseline",
            f"One point per backend per workload: peak RSS ÷ {base}'s across, cost ÷ {base}'s up, "
            "both on log axes with their 95% intervals; down and left is better on both, and the "
            "dashed staircase is the Pareto front (no backend beats one on it at both at once). The "
            "first panel puts each backend at the geometric means of its ratios over the cells.")
        self.section_if_drawn(
            "sweep", "Parameter sweeps", "cost against the swept parameter",
            "Each panel is one sweep (`--param KEY=V1,V2,...`, or `size_sweep`'s sizes): the "
            "cell's cost against the parameter's value, one line per backend through its medians "
            f"with min–max bars; {base}'s line is dashed. Where two lines cross, which backend is "
            "faster depends on the parameter.")
        self.w("## Every process and sample", "",
               "Each ringed dot is one process's value (the median of its samples); boxes span the "
               "processes' quartiles. Where the run kept samples.csv, each process has its own column "
               "of small dots, its measured samples (crosses: warm-up samples, left out): a process "
               "whose column sits apart ran in a slower stretch of the machine, which the median of "
               "processes ignores.", "")
        self.figure("distribution", "every process and its samples")
        self.section_if_drawn(
            "timeline", "Memory over time", "RSS over time per workload and backend",
            "Resident set (MiB) against time since the process started, one line per "
            "backend (its median-time process, named in the legend): the height is memory "
            "held, a rising line is growth, a step down is memory returned to the OS. A process "
            "shorter than the sampling period has one point or none (the legend and the panel say so).")
        self.section_if_drawn(
            "latency", "Latency per call", "latency percentiles per workload and backend",
            "Per workload and operation, p50, p99, p99.9 and max time of one call in ns "
            "(log axis; bar: median over processes, line: min–max; red dashed: timer "
            "resolution): p50 is the usual call, the tail groups show the rare slow ones.")
        if os.path.exists(os.path.join(self.run.dir, "latency_cdf.png")):
            self.w("The same percentiles as a distribution with its tail stretched (each step right "
                   "is ten times rarer), one line per backend:", "")
            self.figure("latency_cdf", "latency by percentile per workload and backend")

    def failures(self):
        run = self.run
        failed = run.failures()
        self.w("## Runs that did not end ok", "")
        if not failed:
            self.w("None: every run ended `ok`.", "")
            return
        self.w(f"{len(failed)} run(s) did not end `ok`; they carry no timing and are left out "
               "of medians, ratios and scores (a cell none of whose runs ended ok has no ratio). A "
               "process's standard output and error are kept in `logs/` when it wrote any "
               "(`logs/BACKEND.WORKLOAD.tTHREADS.repN.log`); the reps column links them.", "")
        # one line per backend x cell x status, naming its repetitions
        groups = {}
        for r in failed:
            key = (r["backend"], r["workload"], r["threads"], r["status"])
            g = groups.setdefault(key, {"reps": [], "details": []})
            g["reps"].append(self.log_link(r))
            if r.get("detail") and r["detail"] not in g["details"]:
                g["details"].append(r["detail"])
        rows = [(b, w, t, f"**{st}**", ", ".join(g["reps"]), "; ".join(g["details"]))
                for (b, w, t, st), g in groups.items()]
        self.w(table(["backend", "workload", "threads", "status", "reps", "detail"], rows), "")

    def log_link(self, r):
        """A failed repetition's number, linked to its log when there is one
        (the name harness/runner.c gives it)."""
        label = "".join("_" if c in "/: " else c for c in r["workload"])
        name = f"logs/{r['backend']}.{label}.t{r['threads']}.rep{r['rep']}.log"
        if os.path.exists(os.path.join(self.run.dir, name)):
            return f"[{r['rep']}]({name})"
        return r["rep"]

    def how_to_read(self):
        base = self.base
        self.w("## How to read this", "",
               f"- Ratios are a backend's value divided by {base}'s in the same run, paired where "
               f"they could be: the median over rounds of its value ÷ {base}'s in the same round, "
               "whose samples were taken side by side. 0.5 is twice as fast, 2 twice as slow. Bars on "
               f"the ratio figures start at 1 ({base}) and the axes are logarithmic, so 2× faster and "
               "2× slower look alike.",
               "- The interval in brackets and the error bars are 95% bootstrap intervals (2000 "
               "resamples, fixed seed); ± is their half-width as a share of the ratio. An interval "
               "that holds 1 is \"no measurable difference\", however far its ratio is from 1: "
               "such a backend is never called faster or slower here. With few repetitions the "
               "intervals are coarse.",
               "- Times are of the timed region only; process start and allocator initialisation "
               "are excluded. Absolute times depend on the machine: compare ratios.",
               "- On a machine with fewer cores than threads, the thread figures measure behaviour "
               "under preemption, not parallel speed-up (README, \"Reading an 8-thread figure\").",
               "")

    def write(self):
        self.header()
        self.environment()
        self.measurement()
        self.scores()
        self.article()
        self.workloads()
        self.scaling()
        self.memory_and_spread()
        self.failures()
        self.w(*security.write(self.run))
        self.how_to_read()
        path = os.path.join(self.run.dir, "report.md")
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write("\n".join(self.out).rstrip() + "\n")
        os.replace(tmp, path)


def main():
    run = rundata.run_from_argv(sys.argv, "report.py")
    Report(run).write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
