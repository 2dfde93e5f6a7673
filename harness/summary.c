/* summary.csv (and summary.json): medians, ranges, ratios to the baseline
 * backend with their bootstrap intervals and a verdict, from results.csv;
 * summary_by_host.csv for runs merged from several machines; scores.csv:
 * each backend's geometric mean of its time ratios to the baseline; and the
 * table printed at the end of a run.
 *
 * A ratio is paired where it can be: a backend's value in one round divided
 * by the baseline's value in the same round of the same run (their samples
 * were interleaved, group.h), and the cell's ratio is the median of those
 * per-round ratios; a change of the machine's speed between rounds then
 * cancels out. Where fewer than two rounds pair up (a merge of runs without
 * common rounds), it is the ratio of the two medians. */
#include "summary.h"
#include "meta.h"
#include "table.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- The baseline ---- */

static bool has_backend(const struct table *t, const char *name)
{
    for (size_t g = 0; g < t->n; g++)
        if (strcmp(t->groups[g].backend, name) == 0 && t->groups[g].n > 0)
            return true;
    return false;
}

/* The asked-for baseline when the results have it; else glibc; else the
 * first backend in the table's order. Writes a note into `note` when the
 * choice is not the one asked for (or glibc when nothing was asked). */
static const char *choose_baseline(const struct table *t, const char *asked, char *note,
                                   size_t note_size)
{
    note[0] = '\0';
    if (asked && has_backend(t, asked))
        return asked;
    const char *best = NULL;
    if (has_backend(t, "glibc")) {
        best = "glibc";
    } else {
        for (size_t g = 0; g < t->n; g++)
            if (t->groups[g].n > 0 &&
                (!best || table_backend_rank(t->groups[g].backend) < table_backend_rank(best)))
                best = t->groups[g].backend;
    }
    if (best && asked && strcmp(asked, best) != 0)
        snprintf(note, note_size, "the baseline %s has no ok result here: ratios are to %s", asked,
                 best);
    else if (best && strcmp(best, "glibc") != 0)
        snprintf(note, note_size, "glibc is not in this run: ratios are to %s", best);
    return best;
}

/* ---- Ratios ---- */

/* A workload that reports a rate (ops_per_s) runs for a fixed time (larson,
 * random_churn): its wall time is only that duration, and the rate is what
 * differs between backends. The end-of-run table and the scores both go by
 * this. */
#define TIME_METRIC "wall_ms"
#define RATE_METRIC "ops_per_s"

/* Whether `backend` (any backend when NULL) reports a rate in g's cell. */
static bool cell_has_rate(struct table *t, const char *backend, const struct group *g)
{
    struct group probe = *g;
    probe.metric = RATE_METRIC;
    if (backend) {
        const struct group *r = table_find(t, backend, &probe);
        return r && r->n > 0;
    }
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->groups[i].metric, RATE_METRIC) == 0 && t->groups[i].n > 0 &&
            strcmp(t->groups[i].workload, g->workload) == 0 && t->groups[i].threads == g->threads)
            return true;
    return false;
}

/* A misuse case (harness/misuse.c) reports how the allocator reacted; its
 * wall time measures nothing. Its cells are no score cells, and the
 * end-of-run table shows `detected` for them. */
#define MISUSE_METRIC "detected"

static bool is_misuse_cell(struct table *t, const struct group *g)
{
    struct group probe = *g;
    probe.metric = MISUSE_METRIC;
    return table_find(t, g->backend, &probe) != NULL;
}

/* Metrics worth a line in the end-of-run table: the times, or the rate of a
 * fixed-duration workload; instructions when they were counted. */
static bool is_headline(struct table *t, const struct group *g)
{
    if (is_misuse_cell(t, g))
        return strcmp(g->metric, MISUSE_METRIC) == 0;
    if (strcmp(g->metric, RATE_METRIC) == 0 || strcmp(g->metric, "instructions") == 0)
        return true;
    if (strcmp(g->unit, "ms") != 0 || !strcmp(g->metric, "user_ms") || !strcmp(g->metric, "sys_ms"))
        return false;
    /* under callgrind the times are valgrind's, not the allocator's */
    struct group probe = *g;
    probe.metric = "instructions";
    return !cell_has_rate(t, NULL, g) && !table_find(t, g->backend, &probe);
}

/* ---- Writing ---- */

static void print_count(FILE *f, long long v, bool last)
{
    char text[32];
    snprintf(text, sizeof text, "%lld", v);
    csv_write_field(f, text, last);
}

static void print_number(FILE *f, double v, bool last)
{
    char text[64] = "";
    if (!isnan(v))
        snprintf(text, sizeof text, "%.10g", v);
    csv_write_field(f, text, last);
}

static void write_group_row(FILE *f, struct table *t, const struct group *s, const char *host)
{
    struct table_ratio r = table_ratio(t, s);
    if (host)
        csv_write_field(f, host, false);
    csv_write_field(f, s->backend, false);
    csv_write_field(f, s->workload, false);
    print_count(f, s->threads, false);
    csv_write_field(f, s->metric, false);
    csv_write_field(f, s->unit, false);
    print_count(f, (long long)s->n, false);
    print_number(f, s->median, false);
    print_number(f, s->min, false);
    print_number(f, s->max, false);
    csv_write_field(f, t->baseline, false);
    print_number(f, r.point, false);
    print_number(f, r.low, false);
    print_number(f, r.high, false);
    csv_write_field(f, r.verdict, false);
    if (isnan(r.point))
        csv_write_field(f, "", false);
    else
        print_count(f, (long long)r.pairs, false);
    csv_write_field(f, s->runs, true);
}

static void json_text(FILE *f, const char *key, const char *s, bool comma)
{
    fprintf(f, "\"%s\": \"", key);
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        if ((unsigned char)*s >= 0x20)
            fputc(*s, f);
    }
    fprintf(f, "\"%s", comma ? ", " : "");
}

static void json_number(FILE *f, const char *key, double v, bool comma)
{
    if (isnan(v))
        fprintf(f, "\"%s\": null%s", key, comma ? ", " : "");
    else
        fprintf(f, "\"%s\": %.10g%s", key, v, comma ? ", " : "");
}

/* summary.json: the rows of summary.csv as objects, for tools that read
 * JSON (numbers as numbers, missing values as null). */
static void write_json(FILE *f, struct table *t)
{
    fputs("{\"baseline\": ", f);
    if (t->baseline)
        fprintf(f, "\"%s\"", t->baseline);
    else
        fputs("null", f);
    fputs(", \"rows\": [\n", f);
    for (size_t g = 0; g < t->n; g++) {
        const struct group *s = &t->groups[g];
        struct table_ratio r = table_ratio(t, s);
        fputs("  {", f);
        json_text(f, "backend", s->backend, true);
        json_text(f, "workload", s->workload, true);
        fprintf(f, "\"threads\": %d, ", s->threads);
        json_text(f, "metric", s->metric, true);
        json_text(f, "unit", s->unit, true);
        fprintf(f, "\"n\": %zu, ", s->n);
        json_number(f, "median", s->median, true);
        json_number(f, "min", s->min, true);
        json_number(f, "max", s->max, true);
        json_number(f, "ratio", r.point, true);
        json_number(f, "ci_low", r.low, true);
        json_number(f, "ci_high", r.high, true);
        json_text(f, "verdict", r.verdict, true);
        fprintf(f, "\"pairs\": %zu, ", r.pairs);
        json_text(f, "runs", s->runs, false);
        fputs(g + 1 < t->n ? "},\n" : "}\n", f);
    }
    fputs("]}\n", f);
}

/* "12.3" style: ops/s figures run to millions, keep them to the column. */
static int format_value(char *text, size_t size, double v)
{
    return v >= 1e6   ? snprintf(text, size, "%.2fM", v / 1e6)
           : v >= 1e4 ? snprintf(text, size, "%.0f", v)
                      : snprintf(text, size, "%.2f", v);
}

static void print_table(FILE *out, struct table *t, const char *note)
{
    if (t->n == 0) {
        fputs("(no finished runs)\n", out);
        return;
    }
    const char *backends[64];
    size_t nb = 0;
    for (size_t g = 0; g < t->n; g++) {
        size_t b = 0;
        while (b < nb && strcmp(backends[b], t->groups[g].backend) != 0)
            b++;
        if (b == nb && nb < 64)
            backends[nb++] = t->groups[g].backend;
    }
    /* groups are sorted by backend rank within a cell, so sort names alike */
    for (size_t i = 1; i < nb; i++)
        for (size_t j = i; j > 0 && table_backend_rank(backends[j]) < table_backend_rank(backends[j - 1]); j--) {
            const char *tmp = backends[j];
            backends[j] = backends[j - 1];
            backends[j - 1] = tmp;
        }

    if (note[0])
        fprintf(out, "note: %s\n", note);
    fprintf(out, "median (ratio to %s, +-half-width of its 95%% interval; '~': no measurable "
                 "difference, the interval holds 1)\n",
            t->baseline ? t->baseline : "nothing: no baseline");
    fprintf(out, "%-34s %-12s", "workload", "metric");
    for (size_t b = 0; b < nb; b++)
        fprintf(out, " %22s", backends[b]);
    fputc('\n', out);
    for (size_t g = 0; g < t->n; g++) {
        const struct group *row = &t->groups[g];
        /* one line per workload x threads x headline metric, and one for a
         * cell where no backend has an ok run */
        bool failed_line = strcmp(row->metric, "run") == 0;
        if (!failed_line && !is_headline(t, row))
            continue;
        bool seen = false;
        for (size_t e = 0; e < g && !seen; e++)
            seen = strcmp(t->groups[e].workload, row->workload) == 0 &&
                   t->groups[e].threads == row->threads &&
                   (strcmp(t->groups[e].metric, row->metric) == 0 ||
                    (failed_line && is_headline(t, &t->groups[e])));
        if (seen)
            continue;
        char label[128];
        if (row->threads > 1)
            snprintf(label, sizeof label, "%s x%d", row->workload, row->threads);
        else
            snprintf(label, sizeof label, "%s", row->workload);
        fprintf(out, "%-34s %-12s", label, failed_line ? "-" : row->metric);
        for (size_t b = 0; b < nb; b++) {
            const struct group *cell = failed_line ? NULL : table_find(t, backends[b], row);
            char text[256];
            if (cell && cell->n) {
                struct table_ratio r = table_ratio(t, cell);
                int len = format_value(text, sizeof text, cell->median);
                if (!isnan(r.point) && strcmp(r.verdict, "baseline") == 0)
                    snprintf(text + len, sizeof text - (size_t)len, " (1)");
                else if (!isnan(r.low))
                    snprintf(text + len, sizeof text - (size_t)len, " (%.2f+-%.0f%%)%s", r.point,
                             50 * (r.high - r.low) / r.point, strcmp(r.verdict, "same") ? " " : "~");
                else if (!isnan(r.point))
                    snprintf(text + len, sizeof text - (size_t)len, " (%.2f)", r.point);
            } else {
                /* no ok run: show why, from the cell's "run" group */
                struct group probe = *row;
                probe.metric = "run";
                const struct group *failed = table_find(t, backends[b], &probe);
                snprintf(text, sizeof text, "%s", failed ? failed->runs : "-");
                char *eq = strchr(text, '=');
                if (eq)
                    *eq = '\0';
            }
            fprintf(out, " %22s", text);
        }
        fputc('\n', out);
    }
}

/* ---- scores.csv ---- */

/* The baseline's group that scores a cell: its rate in a fixed-duration
 * workload, its instructions where they were counted (under callgrind the
 * times are valgrind's), else its time; false when `g` is not that group. */
static bool is_score_cell(struct table *t, const struct group *g, bool *rate)
{
    if (!t->baseline || strcmp(g->backend, t->baseline) != 0 || g->n == 0 ||
        is_misuse_cell(t, g))
        return false;
    *rate = cell_has_rate(t, t->baseline, g);
    struct group probe = *g;
    probe.metric = "instructions";
    const struct group *counted = table_find(t, t->baseline, &probe);
    const char *want = *rate ? RATE_METRIC : counted && counted->n ? "instructions" : TIME_METRIC;
    return strcmp(g->metric, want) == 0;
}

/* One line per backend: the geometric mean of its time ratios to the
 * baseline over every workload x threads cell where both have ok runs, the
 * bootstrap interval of that mean (all cells redrawn together), and the cells
 * it could not count. */
static void scores_write(const char *run_dir, struct table *t)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fputs(SCORES_HEADER "\n", f);
    size_t total = 0; /* cells the baseline has, i.e. that can be scored at all */
    bool any_rate = false, any_time = false, any_count = false, rate;
    size_t largest = 1;
    for (size_t g = 0; g < t->n; g++) {
        if (is_score_cell(t, &t->groups[g], &rate)) {
            total++;
            any_rate |= rate;
            any_count |= strcmp(t->groups[g].metric, "instructions") == 0;
            any_time |= strcmp(t->groups[g].metric, TIME_METRIC) == 0;
        }
        largest = t->groups[g].n > largest ? t->groups[g].n : largest;
    }

    for (size_t b = 0; b < t->n && total > 0; b++) {
        const char *backend = t->groups[b].backend;
        bool seen = false; /* one line per backend, at its first group */
        for (size_t e = 0; e < b && !seen; e++)
            seen = strcmp(t->groups[e].backend, backend) == 0;
        if (seen)
            continue;
        struct ratio_sample *cells = xmalloc(total * sizeof *cells);
        double *ratios = xmalloc(total * sizeof *ratios);
        double *pairs = xmalloc(total * largest * sizeof *pairs);
        size_t counted = 0;
        bool spread = true; /* every counted cell has an interval */
        char *missing = xstrdup("");
        for (size_t g = 0; g < t->n; g++) {
            const struct group *base = &t->groups[g];
            if (!is_score_cell(t, base, &rate))
                continue;
            const struct group *mine = table_find(t, backend, base);
            if (mine && mine->n > 0 && mine->median > 0 && base->median > 0) {
                /* a rate is inverted: the baseline's over this backend's */
                cells[counted] = table_ratio_cell(t, mine, base, rate, pairs + counted * largest);
                ratios[counted] = stats_ratio_point(&cells[counted]);
                spread &= cells[counted].pairs_n >= 2 || (mine->n >= 2 && base->n >= 2);
                counted++;
            } else {
                char *more = xasprintf("%s%s%s x%d", missing, *missing ? ";" : "",
                                       base->workload, base->threads);
                free(missing);
                missing = more;
            }
        }
        double score = stats_geomean(ratios, counted), low = NAN, high = NAN;
        const char *verdict = "";
        if (strcmp(backend, t->baseline) == 0) {
            low = high = 1;
            verdict = "baseline";
        } else if (counted > 0 && spread) {
            char *key = xasprintf("score|%s", backend);
            stats_bootstrap_ratio(cells, counted, stats_cell_seed(STATS_SEED, key),
                                  STATS_RESAMPLES, STATS_LEVEL, &low, &high);
            free(key);
            verdict = table_verdict(low, high);
        }
        csv_write_field(f, backend, false);
        csv_write_field(f, t->baseline, false);
        char scored[64];
        snprintf(scored, sizeof scored, "%s%s%s%s%s", any_time ? TIME_METRIC : "",
                 any_time && any_count ? ";" : "", any_count ? "instructions" : "",
                 any_rate && (any_time || any_count) ? ";" : "", any_rate ? "1/" RATE_METRIC : "");
        csv_write_field(f, scored, false);
        print_count(f, (long long)counted, false);
        print_count(f, (long long)total, false);
        print_number(f, score, false);
        print_number(f, low, false);
        print_number(f, high, false);
        csv_write_field(f, verdict, false);
        print_count(f, STATS_RESAMPLES, false);
        print_count(f, STATS_SEED, false);
        csv_write_field(f, missing, true);
        free(missing), free(ratios), free(cells), free(pairs);
    }
    fclose(f);
    char *path = xasprintf("%s/scores.csv", run_dir);
    write_file_atomic(path, text);
    free(path);
    free(text);
}

/* ---- The whole summary ---- */

/* The rows of a table as CSV (with a host column first when host). */
static void table_rows(FILE *f, struct table *t, const char *host)
{
    for (size_t g = 0; g < t->n; g++)
        write_group_row(f, t, &t->groups[g], host);
}

static void write_text(const char *run_dir, const char *name, const char *text)
{
    char *path = xasprintf("%s/%s", run_dir, name);
    write_file_atomic(path, text);
    free(path);
}

void summary_write(const char *run_dir, const char *baseline, FILE *table)
{
    char *results_path = xasprintf("%s/results.csv", run_dir);
    struct result_row *rows;
    size_t n = results_load(results_path, &rows);
    struct table t;
    table_build(rows, n, NULL, results_path, &t);
    char *samples_path = xasprintf("%s/samples.csv", run_dir);
    table_add_samples(&t, samples_path, NULL);
    char *asked = baseline ? xstrdup(baseline) : meta_read_field(run_dir, "baseline");
    char note[256];
    t.baseline = choose_baseline(&t, asked, note, sizeof note);

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fputs(SUMMARY_HEADER "\n", f);
    table_rows(f, &t, NULL);
    fclose(f);
    write_text(run_dir, "summary.csv", text);
    free(text);
    f = open_memstream(&text, &len);
    write_json(f, &t);
    fclose(f);
    write_text(run_dir, "summary.json", text);
    free(text);
    scores_write(run_dir, &t);

    /* A merge of several machines: the same summary per host, each with its
     * own ratios (a host's backends against the same host's baseline). */
    const char **hosts;
    size_t host_count = table_hosts(rows, n, &hosts);
    if (host_count > 1) {
        f = open_memstream(&text, &len);
        fputs(SUMMARY_BY_HOST_HEADER "\n", f);
        for (size_t h = 0; h < host_count; h++) {
            struct table ht;
            table_build(rows, n, hosts[h], results_path, &ht);
            table_add_samples(&ht, samples_path, hosts[h]);
            char host_note[256];
            ht.baseline = choose_baseline(&ht, t.baseline, host_note, sizeof host_note);
            table_rows(f, &ht, hosts[h]);
            table_free(&ht);
        }
        fclose(f);
        write_text(run_dir, "summary_by_host.csv", text);
        free(text);
    }
    if (table)
        print_table(table, &t, note);
    free(hosts);
    table_free(&t);
    free(asked);
    results_free(rows, n);
    free(results_path);
    free(samples_path);
}
