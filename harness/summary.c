/* summary.csv: medians, ranges, ratios to glibc and their bootstrap
 * intervals from results.csv; scores.csv: each backend's geometric mean of
 * its wall-time ratios to glibc; and the table printed at the end of a run. */
#include "summary.h"
#include "backends.h"
#include "csv.h"
#include "stats.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One backend x workload x threads: how each of its repetitions ended (the
 * status of the first row of each rep, in file order). */
struct cell {
    const char *backend, *workload;
    int threads;
    size_t reps;
    int *rep_ids;
    const char **rep_status;
};

/* One backend x workload x threads x metric: the values of its ok runs. */
struct group {
    const char *backend, *workload, *metric, *unit;
    int threads;
    size_t cell; /* index of its cell */
    double *values;
    size_t n;
    double median, min, max;
    char runs[256]; /* status counts of the cell, e.g. "ok=4;crashed=1" */
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double median_of(double *values, size_t n)
{
    if (n == 0)
        return NAN;
    qsort(values, n, sizeof *values, cmp_double);
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/* Known backends first, in the table's order; others after, by name. */
static int backend_rank(const char *name)
{
    const struct backend_kind *k = backend_kind_find(name);
    return k ? (int)(k - backend_kinds) : (int)backend_kind_count;
}

/* wall_ms first, then the other metrics by name; "run" (failed cells) last. */
static int metric_rank(const char *metric)
{
    if (strcmp(metric, "wall_ms") == 0)
        return 0;
    return strcmp(metric, "run") == 0 ? 2 : 1;
}

static int cmp_group(const void *a, const void *b)
{
    const struct group *x = a, *y = b;
    int c = strcmp(x->workload, y->workload);
    if (c)
        return c;
    if (x->threads != y->threads)
        return x->threads - y->threads;
    c = backend_rank(x->backend) - backend_rank(y->backend);
    if (c)
        return c;
    c = strcmp(x->backend, y->backend);
    if (c)
        return c;
    c = metric_rank(x->metric) - metric_rank(y->metric);
    return c ? c : strcmp(x->metric, y->metric);
}

/* The cell of row r, added to `cells` when new; the row's rep is recorded
 * with its status the first time the rep is seen. */
static size_t cell_of_row(struct cell **cells, size_t *count, const struct result_row *r)
{
    size_t c = 0;
    while (c < *count && !((*cells)[c].threads == r->threads &&
                           strcmp((*cells)[c].backend, r->backend) == 0 &&
                           strcmp((*cells)[c].workload, r->workload) == 0))
        c++;
    if (c == *count) {
        *cells = xrealloc(*cells, (*count + 1) * sizeof **cells);
        (*cells)[(*count)++] = (struct cell){.backend = r->backend, .workload = r->workload,
                                             .threads = r->threads};
    }
    struct cell *cell = &(*cells)[c];
    size_t k = 0;
    while (k < cell->reps && cell->rep_ids[k] != r->rep)
        k++;
    if (k == cell->reps) {
        cell->rep_ids = xrealloc(cell->rep_ids, (k + 1) * sizeof *cell->rep_ids);
        cell->rep_status = xrealloc(cell->rep_status, (k + 1) * sizeof *cell->rep_status);
        cell->rep_ids[k] = r->rep;
        cell->rep_status[k] = r->status;
        cell->reps++;
    }
    return c;
}

/* The cell's status counts ("ok=4;crashed=1", statuses in order of first
 * appearance); returns how many reps ended ok. */
static size_t cell_runs(const struct cell *cell, char *out, size_t size)
{
    const char *statuses[32];
    size_t counts[32], kinds = 0, ok_count = 0;
    for (size_t i = 0; i < cell->reps; i++) {
        size_t k = 0;
        while (k < kinds && strcmp(statuses[k], cell->rep_status[i]) != 0)
            k++;
        if (k == kinds && kinds < 32) {
            statuses[kinds] = cell->rep_status[i];
            counts[kinds++] = 0;
        }
        if (k < kinds)
            counts[k]++;
    }
    out[0] = '\0';
    for (size_t k = 0; k < kinds; k++) {
        size_t used = strlen(out);
        snprintf(out + used, size - used, "%s%s=%zu", k ? ";" : "", statuses[k], counts[k]);
        if (strcmp(statuses[k], "ok") == 0)
            ok_count = counts[k];
    }
    return ok_count;
}

static size_t build_groups(const struct result_row *rows, size_t n, struct group **out)
{
    struct group *groups = NULL;
    struct cell *cells = NULL;
    size_t count = 0, cell_count = 0;
    for (size_t i = 0; i < n; i++) {
        const struct result_row *r = &rows[i];
        size_t cell = cell_of_row(&cells, &cell_count, r);
        bool ok = strcmp(r->status, "ok") == 0;
        /* Failed cells keep one group under the metric "run". */
        const char *metric = ok ? r->metric : "run";
        const char *unit = ok ? r->unit : "";
        size_t g = 0;
        while (g < count && !(groups[g].cell == cell && strcmp(groups[g].metric, metric) == 0))
            g++;
        if (g == count) {
            groups = xrealloc(groups, (count + 1) * sizeof *groups);
            groups[count++] = (struct group){.backend = r->backend, .workload = r->workload,
                                             .metric = metric, .unit = unit,
                                             .threads = r->threads, .cell = cell};
        }
        char *end = NULL;
        double v = ok ? strtod(r->value, &end) : NAN;
        if (ok && end != r->value && !*end) {
            groups[g].values = xrealloc(groups[g].values, (groups[g].n + 1) * sizeof(double));
            groups[g].values[groups[g].n++] = v;
        }
    }
    /* A cell whose every run failed keeps its "run" group; a cell with some
     * ok runs reports through its metrics and the runs column. */
    size_t kept = 0;
    for (size_t g = 0; g < count; g++) {
        size_t ok_count = cell_runs(&cells[groups[g].cell], groups[g].runs, sizeof groups[g].runs);
        if (strcmp(groups[g].metric, "run") == 0 && ok_count > 0)
            continue;
        double *sorted = groups[g].values;
        groups[g].median = median_of(sorted, groups[g].n);
        groups[g].min = groups[g].n ? sorted[0] : NAN;
        groups[g].max = groups[g].n ? sorted[groups[g].n - 1] : NAN;
        groups[kept++] = groups[g];
    }
    for (size_t c = 0; c < cell_count; c++)
        free(cells[c].rep_ids), free(cells[c].rep_status);
    free(cells);
    qsort(groups, kept, sizeof *groups, cmp_group);
    *out = groups;
    return kept;
}

static const struct group *find_group(const struct group *groups, size_t n, const char *backend,
                                      const struct group *like)
{
    for (size_t g = 0; g < n; g++)
        if (strcmp(groups[g].backend, backend) == 0 &&
            strcmp(groups[g].workload, like->workload) == 0 &&
            groups[g].threads == like->threads && strcmp(groups[g].metric, like->metric) == 0)
            return &groups[g];
    return NULL;
}

static double ratio_vs_glibc(const struct group *groups, size_t n, const struct group *g)
{
    const struct group *base = find_group(groups, n, "glibc", g);
    if (!base || !g->n || !base->n || base->median == 0)
        return NAN;
    return g->median / base->median;
}

static void print_number(FILE *f, double v, bool last)
{
    char text[64] = "";
    if (!isnan(v))
        snprintf(text, sizeof text, "%.6g", v);
    csv_write_field(f, text, last);
}

/* A workload that reports a rate (ops_per_s) runs for a fixed time (larson,
 * random_churn): its wall time is only that duration, and the rate is what
 * differs between backends. The end-of-run table and the scores both go by
 * this. */
#define TIME_METRIC "wall_ms"
#define RATE_METRIC "ops_per_s"

/* Whether `backend` (any backend when NULL) reports a rate in g's cell. */
static bool cell_has_rate(const struct group *groups, size_t n, const char *backend,
                          const struct group *g)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(groups[i].metric, RATE_METRIC) == 0 && groups[i].n > 0 &&
            strcmp(groups[i].workload, g->workload) == 0 && groups[i].threads == g->threads &&
            (!backend || strcmp(groups[i].backend, backend) == 0))
            return true;
    return false;
}

/* Metrics worth a line in the end-of-run table: the times, or the rate of a
 * fixed-duration workload. */
static bool is_headline(const struct group *groups, size_t n, const struct group *g)
{
    if (strcmp(g->metric, RATE_METRIC) == 0)
        return true;
    if (strcmp(g->unit, "ms") != 0 || !strcmp(g->metric, "user_ms") || !strcmp(g->metric, "sys_ms"))
        return false;
    return !cell_has_rate(groups, n, NULL, g);
}

static void print_table(FILE *out, const struct group *groups, size_t n)
{
    if (n == 0) {
        fputs("(no finished runs)\n", out);
        return;
    }
    const char *backends[64];
    size_t nb = 0;
    for (size_t g = 0; g < n; g++) {
        size_t b = 0;
        while (b < nb && strcmp(backends[b], groups[g].backend) != 0)
            b++;
        if (b == nb && nb < 64)
            backends[nb++] = groups[g].backend;
    }
    /* groups are sorted by backend rank within a cell, so sort names alike */
    for (size_t i = 1; i < nb; i++)
        for (size_t j = i; j > 0 && backend_rank(backends[j]) < backend_rank(backends[j - 1]); j--) {
            const char *t = backends[j];
            backends[j] = backends[j - 1];
            backends[j - 1] = t;
        }

    fprintf(out, "%-34s %-9s", "median (ratio to glibc)", "metric");
    for (size_t b = 0; b < nb; b++)
        fprintf(out, " %16s", backends[b]);
    fputc('\n', out);
    for (size_t g = 0; g < n; g++) {
        const struct group *row = &groups[g];
        /* one line per workload x threads x headline metric, on its first group */
        if (!is_headline(groups, n, row))
            continue;
        bool seen = false;
        for (size_t e = 0; e < g && !seen; e++)
            seen = strcmp(groups[e].workload, row->workload) == 0 &&
                   groups[e].threads == row->threads && strcmp(groups[e].metric, row->metric) == 0;
        if (seen)
            continue;
        char label[128];
        if (row->threads > 1)
            snprintf(label, sizeof label, "%s x%d", row->workload, row->threads);
        else
            snprintf(label, sizeof label, "%s", row->workload);
        fprintf(out, "%-34s %-9s", label, row->metric);
        for (size_t b = 0; b < nb; b++) {
            const struct group *cell = find_group(groups, n, backends[b], row);
            char text[256];
            if (cell && cell->n) {
                double r = ratio_vs_glibc(groups, n, cell);
                /* ops/s figures run to millions: keep them to the column */
                int len = cell->median >= 1e6   ? snprintf(text, sizeof text, "%.2fM", cell->median / 1e6)
                          : cell->median >= 1e4 ? snprintf(text, sizeof text, "%.0f", cell->median)
                                                : snprintf(text, sizeof text, "%.2f", cell->median);
                if (!isnan(r))
                    snprintf(text + len, sizeof text - (size_t)len, " (%.2f)", r);
            } else {
                /* no ok run: show why, from the cell's "run" group */
                struct group probe = *row;
                probe.metric = "run";
                const struct group *failed = find_group(groups, n, backends[b], &probe);
                snprintf(text, sizeof text, "%s", failed ? failed->runs : "-");
                char *eq = strchr(text, '=');
                if (eq)
                    *eq = '\0';
            }
            fprintf(out, " %16s", text);
        }
        fputc('\n', out);
    }
}

/* The 95% bootstrap interval of a group's ratio of medians to glibc; glibc's
 * own ratio is 1 by definition, so its interval is [1, 1]. No interval when
 * either side has fewer than 2 repetitions: one value cannot show spread. */
static void ratio_interval(const struct group *groups, size_t n, const struct group *g,
                           double *low, double *high)
{
    *low = *high = NAN;
    const struct group *base = find_group(groups, n, "glibc", g);
    if (!base || !g->n || !base->n || base->median == 0)
        return;
    if (base == g) {
        *low = *high = 1;
        return;
    }
    if (g->n < 2 || base->n < 2)
        return;
    char *key = xasprintf("%s|%s|%d|%s", g->backend, g->workload, g->threads, g->metric);
    struct ratio_sample cell = {g->values, g->n, base->values, base->n};
    stats_bootstrap_ratio(&cell, 1, stats_cell_seed(STATS_SEED, key), STATS_RESAMPLES,
                          STATS_LEVEL, low, high);
    free(key);
}

/* ---- scores.csv ---- */

/* glibc's group that scores a cell (its time, or its rate in a
 * fixed-duration workload), or false when `g` is not one. */
static bool is_score_cell(const struct group *groups, size_t n, const struct group *g,
                          bool *rate)
{
    if (strcmp(g->backend, "glibc") != 0 || g->n == 0)
        return false;
    *rate = cell_has_rate(groups, n, "glibc", g);
    return strcmp(g->metric, *rate ? RATE_METRIC : TIME_METRIC) == 0;
}

/* One line per backend: the geometric mean of its time ratios to glibc over
 * every workload x threads cell where both have ok runs, the bootstrap
 * interval of that mean (all cells redrawn together), and the cells it could
 * not count. */
static void scores_write(const char *run_dir, const struct group *groups, size_t n)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fputs(SCORES_HEADER "\n", f);
    size_t total = 0; /* cells glibc has, i.e. that can be scored at all */
    bool any_rate = false, rate;
    for (size_t g = 0; g < n; g++)
        if (is_score_cell(groups, n, &groups[g], &rate)) {
            total++;
            any_rate |= rate;
        }

    for (size_t b = 0; b < n && total > 0; b++) {
        const char *backend = groups[b].backend;
        bool seen = false; /* one line per backend, at its first group */
        for (size_t e = 0; e < b && !seen; e++)
            seen = strcmp(groups[e].backend, backend) == 0;
        if (seen)
            continue;
        struct ratio_sample *cells = xmalloc(total * sizeof *cells);
        double *ratios = xmalloc(total * sizeof *ratios);
        size_t counted = 0;
        bool spread = true; /* every counted cell has 2+ reps on both sides */
        char *missing = xstrdup("");
        for (size_t g = 0; g < n; g++) {
            const struct group *base = &groups[g];
            if (!is_score_cell(groups, n, base, &rate))
                continue;
            const struct group *mine = find_group(groups, n, backend, base);
            if (mine && mine->n > 0 && mine->median > 0 && base->median > 0) {
                /* a rate is inverted: glibc's over this backend's */
                cells[counted] = rate ? (struct ratio_sample){base->values, base->n,
                                                              mine->values, mine->n}
                                      : (struct ratio_sample){mine->values, mine->n,
                                                              base->values, base->n};
                ratios[counted++] = rate ? base->median / mine->median
                                         : mine->median / base->median;
                spread &= mine->n >= 2 && base->n >= 2;
            } else {
                char *more = xasprintf("%s%s%s x%d", missing, *missing ? ";" : "",
                                       base->workload, base->threads);
                free(missing);
                missing = more;
            }
        }
        double score = stats_geomean(ratios, counted), low = NAN, high = NAN;
        if (strcmp(backend, "glibc") == 0) {
            low = high = 1;
        } else if (counted > 0 && spread) {
            char *key = xasprintf("score|%s", backend);
            stats_bootstrap_ratio(cells, counted, stats_cell_seed(STATS_SEED, key),
                                  STATS_RESAMPLES, STATS_LEVEL, &low, &high);
            free(key);
        }
        char number[32];
        csv_write_field(f, backend, false);
        csv_write_field(f, any_rate ? TIME_METRIC ";1/" RATE_METRIC : TIME_METRIC, false);
        snprintf(number, sizeof number, "%zu", counted);
        csv_write_field(f, number, false);
        snprintf(number, sizeof number, "%zu", total);
        csv_write_field(f, number, false);
        print_number(f, score, false);
        print_number(f, low, false);
        print_number(f, high, false);
        snprintf(number, sizeof number, "%d", STATS_RESAMPLES);
        csv_write_field(f, number, false);
        snprintf(number, sizeof number, "%u", STATS_SEED);
        csv_write_field(f, number, false);
        csv_write_field(f, missing, true);
        free(missing);
        free(ratios);
        free(cells);
    }
    fclose(f);
    char *path = xasprintf("%s/scores.csv", run_dir);
    write_file_atomic(path, text);
    free(path);
    free(text);
}

void summary_write(const char *run_dir, FILE *table)
{
    char *results_path = xasprintf("%s/results.csv", run_dir);
    struct result_row *rows;
    size_t n = results_load(results_path, &rows);
    struct group *groups;
    size_t ng = build_groups(rows, n, &groups);

    char *text = NULL;
    size_t text_len = 0;
    FILE *f = open_memstream(&text, &text_len);
    fputs(SUMMARY_HEADER "\n", f);
    for (size_t g = 0; g < ng; g++) {
        const struct group *s = &groups[g];
        char threads[16], count[32];
        snprintf(threads, sizeof threads, "%d", s->threads);
        snprintf(count, sizeof count, "%zu", s->n);
        double low, high;
        ratio_interval(groups, ng, s, &low, &high);
        csv_write_field(f, s->backend, false);
        csv_write_field(f, s->workload, false);
        csv_write_field(f, threads, false);
        csv_write_field(f, s->metric, false);
        csv_write_field(f, s->unit, false);
        csv_write_field(f, count, false);
        print_number(f, s->median, false);
        print_number(f, s->min, false);
        print_number(f, s->max, false);
        print_number(f, ratio_vs_glibc(groups, ng, s), false);
        print_number(f, low, false);
        print_number(f, high, false);
        csv_write_field(f, s->runs, true);
    }
    fclose(f);
    char *summary_path = xasprintf("%s/summary.csv", run_dir);
    write_file_atomic(summary_path, text);
    scores_write(run_dir, groups, ng);
    if (table)
        print_table(table, groups, ng);
    free(text);
    free(summary_path);
    free(results_path);
}
