/* Comparing two runs (compare.h). */
#include "compare.h"
#include "meta.h"
#include "table.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_THRESHOLD 0.02

/* One run as compared. */
struct side {
    const char *dir;
    char *path;
    struct result_row *rows;
    size_t n;
    struct table t;
};

/* One compared group. */
struct change {
    const struct group *a, *b;
    bool relative;   /* values divided by the machine's state of their round */
    size_t controls; /* the other backends that measured it */
    double a_median, b_median, point, low, high;
    size_t a_n, b_n;
    const char *verdict;
};

void compare_check_run(const char *dir)
{
    char *path = xasprintf("%s/results.csv", dir);
    if (access(path, R_OK) != 0)
        usage_error("%s is not a run directory (no readable results.csv)", dir);
    free(path);
}

static void load_side(const char *dir, struct side *s)
{
    compare_check_run(dir);
    s->dir = dir;
    s->path = xasprintf("%s/results.csv", dir);
    s->n = results_load(s->path, &s->rows);
    table_build(s->rows, s->n, NULL, s->path, &s->t);
    char *asked = meta_read_field(dir, "baseline");
    const char *pick = asked ? asked : "glibc";
    s->t.baseline = NULL;
    for (size_t g = 0; g < s->t.n && !s->t.baseline; g++)
        if (strcmp(s->t.groups[g].backend, pick) == 0 && s->t.groups[g].n > 0)
            s->t.baseline = s->t.groups[g].backend;
    free(asked);
}

static void free_side(struct side *s)
{
    table_free(&s->t);
    results_free(s->rows, s->n);
    free(s->path);
}

/* A rate (unit "ops/s", "requests/s", ...): higher is better. */
static bool higher_is_better(const struct group *g)
{
    size_t len = strlen(g->unit);
    return len >= 2 && strcmp(g->unit + len - 2, "/s") == 0;
}

/* Metrics compared by default: a cell's time (or its rate in a workload
 * that runs for a fixed time), and instructions when they were counted. */
static bool is_headline(struct side *s, const struct group *g)
{
    if (strcmp(g->metric, "instructions") == 0 || strcmp(g->metric, "ops_per_s") == 0)
        return true;
    if (strcmp(g->metric, "wall_ms") != 0)
        return false;
    struct group probe = *g;
    probe.metric = "ops_per_s";
    return !table_find(&s->t, g->backend, &probe);
}

/* ---- The machine's state, round by round ----
 * A backend's values are divided by how fast the machine was in the same
 * round, as the other backends of the same cell measured it: for each
 * control backend (every other backend with values in both runs), its value
 * in the round relative to its own median in run A (one scale for both
 * runs), and of those the median. A drift of the machine between the runs,
 * or from round to round, moves the controls too and cancels; one noisy
 * process among the controls does not move a median. */

struct controls {
    const struct group **a, **b; /* each control's group in run A and in run B */
    double *center;              /* its median log value in run A */
    size_t count;
};

static double median_log(const double *values, size_t n)
{
    double *logs = xmalloc((n + 1) * sizeof *logs);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (values[i] > 0)
            logs[k++] = log(values[i]);
    double m = k ? stats_median(logs, k) : NAN;
    free(logs);
    return m;
}

static void find_controls(struct side *a, struct side *b, const struct group *g,
                          struct controls *c)
{
    *c = (struct controls){0};
    for (size_t i = 0; i < a->t.n; i++) {
        const struct group *ca = &a->t.groups[i];
        if (strcmp(ca->backend, g->backend) == 0 || strcmp(ca->workload, g->workload) != 0 ||
            ca->threads != g->threads || strcmp(ca->metric, g->metric) != 0 || ca->n == 0)
            continue;
        const struct group *cb = table_find(&b->t, ca->backend, ca);
        double center = median_log(ca->values, ca->n);
        if (!cb || cb->n == 0 || isnan(center))
            continue;
        c->a = xrealloc(c->a, (c->count + 1) * sizeof *c->a);
        c->b = xrealloc(c->b, (c->count + 1) * sizeof *c->b);
        c->center = xrealloc(c->center, (c->count + 1) * sizeof *c->center);
        c->a[c->count] = ca, c->b[c->count] = cb, c->center[c->count] = center;
        c->count++;
    }
}

/* The machine's log speed in round `k` of a run (its controls' groups), or
 * NAN when no control has that round. */
static double machine_state(const struct group *const *groups, const double *center, size_t n,
                            struct rep_key k)
{
    double *dev = xmalloc((n + 1) * sizeof *dev);
    size_t m = 0;
    for (size_t c = 0; c < n; c++)
        for (size_t i = 0; i < groups[c]->n; i++)
            if (table_same_rep(groups[c]->keys[i], k) && groups[c]->values[i] > 0) {
                dev[m++] = log(groups[c]->values[i]) - center[c];
                break;
            }
    double state = m ? stats_median(dev, m) : NAN;
    free(dev);
    return state;
}

/* The fewest controls the machine's state is taken from. The state is
 * their median, which one control that changed between the runs does not
 * move only when there are three or more: with one, a backend that got 3x
 * slower made the other look 3x faster ("improved"), as its slowdown was
 * read as the machine's. */
#define MIN_CONTROLS 3

/* g's values as compared: divided by the machine's state of their round
 * (relative: true), or raw when asked or when there are too few controls. */
static size_t compared_values(const struct group *g, const struct group *const *controls,
                              const double *center, size_t n_controls, bool raw, double *out,
                              bool *relative)
{
    *relative = !raw && n_controls >= MIN_CONTROLS;
    size_t k = 0;
    for (size_t i = 0; i < g->n; i++) {
        if (!*relative) {
            out[k++] = g->values[i];
            continue;
        }
        double state = machine_state(controls, center, n_controls, g->keys[i]);
        if (!isnan(state) && g->values[i] > 0)
            out[k++] = exp(log(g->values[i]) - state);
    }
    return k;
}

static const char *verdict_of(double point, double low, double high, double threshold,
                              bool higher_better)
{
    if (isnan(low) || isnan(high))
        return "";
    if (low <= 1 && high >= 1)
        return "no change";
    if (fabs(log(point)) < log(1 + threshold))
        return "within noise";
    return (point > 1) == higher_better ? "improved" : "regressed";
}

/* The intervals of a comparison of `cells` cells: each at 95%, or (the
 * default) at 1 - 5%/cells, so that all of them hold at once with 95%
 * (Bonferroni): an A/A comparison then flags any cell at all in at most 5%
 * of pairs of runs, where 95% per cell would flag about one cell in twenty.
 * Enough resamples for ten draws in each tail, up to MAX_RESAMPLES: the
 * time grows with cells x resamples, and past 200 cells (--all-metrics)
 * the far tails are then estimates from fewer draws. */
#define MAX_RESAMPLES 20000
struct family {
    double level;
    int resamples;
};

static struct family family_of(size_t cells, bool per_cell)
{
    double level = per_cell || cells < 2 ? STATS_LEVEL : 1 - (1 - STATS_LEVEL) / (double)cells;
    double tail = (1 - level) / 2;
    return (struct family){level, (int)fmin(fmax(STATS_RESAMPLES, ceil(10 / tail)), MAX_RESAMPLES)};
}

static void compare_group(struct side *a, struct side *b, const struct group *ga,
                          const struct group *gb, const struct compare_options *opt,
                          struct family fam, struct change *c)
{
    struct controls ctl;
    find_controls(a, b, ga, &ctl);
    double *va = xmalloc((ga->n + 1) * sizeof *va), *vb = xmalloc((gb->n + 1) * sizeof *vb);
    bool relative;
    size_t na = compared_values(ga, ctl.a, ctl.center, ctl.count, opt->raw, va, &relative);
    size_t nb = compared_values(gb, ctl.b, ctl.center, ctl.count, opt->raw, vb, &relative);
    *c = (struct change){.a = ga, .b = gb, .relative = relative, .controls = ctl.count,
                         .a_n = na, .b_n = nb, .a_median = ga->median, .b_median = gb->median,
                         .low = NAN, .high = NAN, .verdict = ""};
    struct ratio_sample cell = {.num = vb, .num_n = nb, .den = va, .den_n = na};
    c->point = stats_ratio_point(&cell);
    if (na >= 2 && nb >= 2) {
        char *key = xasprintf("compare|%s|%s|%d|%s", ga->backend, ga->workload, ga->threads,
                              ga->metric);
        stats_bootstrap_ratio(&cell, 1, stats_cell_seed(STATS_SEED, key), fam.resamples,
                              fam.level, &c->low, &c->high);
        free(key);
    }
    c->verdict = verdict_of(c->point, c->low, c->high,
                            opt->threshold > 0 ? opt->threshold : DEFAULT_THRESHOLD,
                            higher_is_better(ga));
    free(va), free(vb), free(ctl.a), free(ctl.b), free(ctl.center);
}

/* Largest effect first. */
static int by_effect(const void *x, const void *y)
{
    const struct change *a = x, *b = y;
    double ea = isnan(a->point) ? -1 : fabs(log(a->point));
    double eb = isnan(b->point) ? -1 : fabs(log(b->point));
    return (eb > ea) - (eb < ea);
}

static void format_number(char *out, size_t size, double v)
{
    if (isnan(v))
        snprintf(out, size, "-");
    else
        snprintf(out, size, "%.4g", v);
}

/* Adds "backend workload xT metric" to *list (with both parameter sets
 * when b is given: the cell's parameters differ between the runs). */
static void append_cell(char **list, const struct group *a, const struct group *b)
{
    char *more = b ? xasprintf("%s%s%s %s x%d %s (A: %s; B: %s)", *list, **list ? "; " : "",
                               a->backend, a->workload, a->threads, a->metric, a->params,
                               b->params)
                   : xasprintf("%s%s%s %s x%d %s", *list, **list ? "; " : "", a->backend,
                               a->workload, a->threads, a->metric);
    free(*list);
    *list = more;
}

static void write_outputs(const char *out_dir, const struct side *a, const struct side *b,
                          const struct change *changes, size_t n, double threshold,
                          double level, size_t regressed, size_t improved,
                          const char *only_one, const char *differ)
{
    char *csv = NULL, *md = NULL;
    size_t csv_len = 0, md_len = 0;
    FILE *c = open_memstream(&csv, &csv_len), *m = open_memstream(&md, &md_len);
    fputs("backend,workload,threads,metric,unit,basis,a_n,a_median,b_n,b_median,change,ci_low,"
          "ci_high,verdict,threshold,level\n",
          c);
    fprintf(m, "# Comparison: %s against %s\n\n", b->dir, a->dir);
    char level_text[160];
    if (level > STATS_LEVEL)
        snprintf(level_text, sizeof level_text,
                 "%.4g%% bootstrap interval (so that the %zu intervals hold all at once with "
                 "95%%: Bonferroni; --per-cell for 95%% each)",
                 level * 100, n);
    else
        snprintf(level_text, sizeof level_text, "95%% bootstrap interval");
    fprintf(m, "Change is B/A: below 1 a time went down (or a rate), with its %s "
               "over each run's repetitions. A backend's values are first divided "
               "round by round by the machine's speed in that round as the other backends of "
               "the cell measured it (basis \"relative to N other backends\": the median of "
               "their values relative to their own medians in run A), so a drift of the "
               "machine between the runs cancels and a backend that did not change shows no "
               "change; \"raw\" where fewer than %d other backends measured the cell (the "
               "median of one or two would read a change of one of them as the machine's), or "
               "with --raw: a drift of the machine between the runs then shows as a change. "
               "Verdicts: "
               "\"no change\" when the interval holds 1; \"within noise\" when it does not "
               "but the change is under the noise threshold of %.0f%%; otherwise \"improved\" "
               "or \"regressed\".\n\n",
            level_text, MIN_CONTROLS, threshold * 100);
    fprintf(m, "**%zu regressed, %zu improved** (of %zu compared).\n\n", regressed, improved, n);
    fputs("| backend | workload | threads | metric | basis | A median | B median | change | "
          "interval | verdict |\n|---|---|---|---|---|---|---|---|---|---|\n",
          m);
    for (size_t i = 0; i < n; i++) {
        const struct change *x = &changes[i];
        char basis[128], am[32], bm[32], ch[32], lo[32], hi[32];
        if (x->relative)
            snprintf(basis, sizeof basis, "relative to %zu other backend%s", x->controls,
                     x->controls == 1 ? "" : "s");
        else
            snprintf(basis, sizeof basis, "raw");
        format_number(am, sizeof am, x->a_median);
        format_number(bm, sizeof bm, x->b_median);
        format_number(ch, sizeof ch, x->point);
        format_number(lo, sizeof lo, x->low);
        format_number(hi, sizeof hi, x->high);
        csv_write_field(c, x->a->backend, false);
        csv_write_field(c, x->a->workload, false);
        fprintf(c, "%d,", x->a->threads);
        csv_write_field(c, x->a->metric, false);
        csv_write_field(c, x->a->unit, false);
        csv_write_field(c, basis, false);
        fprintf(c, "%zu,%s,%zu,%s,%s,%s,%s,", x->a_n, am, x->b_n, bm, ch, lo, hi);
        csv_write_field(c, x->verdict, false);
        fprintf(c, "%g,%.6g\n", threshold, level);
        fprintf(m, "| %s | %s | %d | %s | %s | %s | %s | %s | %s–%s | %s%s |\n", x->a->backend,
                x->a->workload, x->a->threads, x->a->metric, basis, am, bm, ch, lo, hi,
                x->verdict[0] ? x->verdict : "(one repetition)", "");
    }
    if (only_one[0])
        fprintf(m, "\nIn one run only (not compared): %s.\n", only_one);
    if (differ[0])
        fprintf(m, "\nNot compared, the workload's parameters differ between the runs: %s.\n",
                differ);
    fclose(c);
    fclose(m);
    char *csv_path = xasprintf("%s/compare.csv", out_dir), *md_path = xasprintf("%s/compare.md", out_dir);
    write_file_atomic(csv_path, csv);
    write_file_atomic(md_path, md);
    fputs(md, stdout);
    printf("\nWritten: %s, %s\n", md_path, csv_path);
    free(csv_path), free(md_path), free(csv), free(md);
}

int compare_runs(const char *dir_a, const char *dir_b, const struct compare_options *opt,
                 const char *out_dir)
{
    struct side a = {0}, b = {0};
    load_side(dir_a, &a);
    load_side(dir_b, &b);
    double threshold = opt->threshold > 0 ? opt->threshold : DEFAULT_THRESHOLD;
    struct change *changes = xmalloc((a.t.n + 1) * sizeof *changes);
    size_t n = 0, regressed = 0, improved = 0;
    char *only_one = xstrdup(""), *differ = xstrdup("");
    /* first the cells both runs have (their count sets the intervals' level) */
    for (size_t g = 0; g < a.t.n; g++) {
        const struct group *ga = &a.t.groups[g];
        if (strcmp(ga->metric, "run") == 0 || ga->n == 0 ||
            !(opt->all_metrics || is_headline(&a, ga)))
            continue;
        const struct group *gb = table_find(&b.t, ga->backend, ga);
        if (!gb || gb->n == 0) {
            append_cell(&only_one, ga, NULL);
            continue;
        }
        /* a workload's defaults changed between the builds: another workload */
        if (strcmp(ga->params, gb->params) != 0) {
            append_cell(&differ, ga, gb);
            continue;
        }
        changes[n++] = (struct change){.a = ga, .b = gb};
    }
    struct family fam = family_of(n, opt->per_cell);
    for (size_t i = 0; i < n; i++) {
        compare_group(&a, &b, changes[i].a, changes[i].b, opt, fam, &changes[i]);
        regressed += strcmp(changes[i].verdict, "regressed") == 0;
        improved += strcmp(changes[i].verdict, "improved") == 0;
    }
    qsort(changes, n, sizeof *changes, by_effect);
    write_outputs(out_dir, &a, &b, changes, n, threshold, fam.level, regressed, improved,
                  only_one, differ);
    if (regressed)
        fprintf(stderr, "bench compare: %zu regressed beyond the noise threshold of %.0f%%\n",
                regressed, threshold * 100);
    free(only_one), free(differ), free(changes);
    free_side(&a), free_side(&b);
    return regressed ? 1 : 0;
}

int compare_command(int argc, char **argv)
{
    const char *runs[2] = {NULL, NULL}, *out = NULL;
    struct compare_options opt = {0};
    size_t positional = 0;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--raw") == 0) {
            opt.raw = true;
        } else if (strcmp(arg, "--all-metrics") == 0) {
            opt.all_metrics = true;
        } else if (strcmp(arg, "--per-cell") == 0) {
            opt.per_cell = true;
        } else if (strcmp(arg, "--threshold") == 0 || strcmp(arg, "--out") == 0) {
            if (i + 1 >= argc)
                usage_error("%s needs a value", arg);
            const char *v = argv[++i];
            if (strcmp(arg, "--out") == 0) {
                out = v;
                continue;
            }
            char *end;
            double pct = strtod(v, &end);
            if (end == v || *end || !(pct > 0 && pct < 100))
                usage_error("--threshold expects a percentage between 0 and 100, got '%s'", v);
            opt.threshold = pct / 100;
        } else if (strncmp(arg, "--", 2) == 0) {
            usage_error("compare: unknown option '%s'", arg);
        } else if (positional < 2) {
            runs[positional++] = arg;
        } else {
            usage_error("compare expects two run directories, got a third: '%s'", arg);
        }
    }
    if (positional != 2)
        usage_error("compare expects two run directories: bench compare RUN_A RUN_B");
    compare_check_run(runs[0]);
    compare_check_run(runs[1]);
    if (out && access(out, W_OK) != 0)
        usage_error("--out %s: not a writable directory", out);
    return compare_runs(runs[0], runs[1], &opt, out ? out : runs[1]);
}
