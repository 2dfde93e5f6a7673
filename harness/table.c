/* A run's results grouped for statistics (table.h). */
#include "table.h"
#include "backends.h"
#include "util.h"

#include <stdio.h>

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- A string-keyed index (open addressing), for cells and groups ---- */


static uint64_t hash_text(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* The value stored under key, or (size_t)-1 after inserting key with the
 * value `add` when it was absent (add == (size_t)-1: look up only). */
size_t index_get(struct index *ix, const char *key, size_t add)
{
    if (ix->count * 2 >= ix->capacity && add != (size_t)-1) {
        struct index bigger = {.capacity = ix->capacity ? ix->capacity * 2 : 256};
        bigger.keys = calloc(bigger.capacity, sizeof *bigger.keys);
        bigger.values = calloc(bigger.capacity, sizeof *bigger.values);
        for (size_t i = 0; i < ix->capacity; i++)
            if (ix->keys[i])
                index_get(&bigger, ix->keys[i], ix->values[i]);
        for (size_t i = 0; i < ix->capacity; i++)
            free(ix->keys[i]);
        free(ix->keys), free(ix->values);
        *ix = bigger;
    }
    if (!ix->capacity)
        return (size_t)-1;
    for (size_t i = hash_text(key) & (ix->capacity - 1);; i = (i + 1) & (ix->capacity - 1)) {
        if (!ix->keys[i]) {
            if (add != (size_t)-1) {
                ix->keys[i] = xstrdup(key);
                ix->values[i] = add;
                ix->count++;
            }
            return (size_t)-1;
        }
        if (strcmp(ix->keys[i], key) == 0)
            return ix->values[i];
    }
}

void index_free(struct index *ix)
{
    for (size_t i = 0; i < ix->capacity; i++)
        free(ix->keys[i]);
    free(ix->keys), free(ix->values);
    *ix = (struct index){0};
}

/* ---- Cells and groups ---- */


/* One backend x workload x threads: how each of its repetitions ended (the
 * status of the first row of each rep, in file order). */
struct cell {
    const char *backend, *workload;
    int threads;
    size_t reps;
    struct rep_key *rep_ids;
    const char **rep_status;
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
int table_backend_rank(const char *name)
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

/* strcmp, but runs of digits compare as numbers, so that a parameter sweep
 * sorts size=16 < size=256 < size=1024. */
static int natural_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            char *ea, *eb;
            unsigned long long x = strtoull(a, &ea, 10), y = strtoull(b, &eb, 10);
            if (x != y)
                return x < y ? -1 : 1;
            a = ea, b = eb;
            continue;
        }
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        a++, b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

static int cmp_group(const void *a, const void *b)
{
    const struct group *x = a, *y = b;
    int c = natural_cmp(x->workload, y->workload);
    if (c)
        return c;
    if (x->threads != y->threads)
        return x->threads - y->threads;
    c = table_backend_rank(x->backend) - table_backend_rank(y->backend);
    if (c)
        return c;
    c = strcmp(x->backend, y->backend);
    if (c)
        return c;
    c = metric_rank(x->metric) - metric_rank(y->metric);
    return c ? c : strcmp(x->metric, y->metric);
}

static char *group_key(const char *backend, const char *workload, int threads, const char *metric)
{
    return xasprintf("%s|%s|%d|%s", backend, workload, threads, metric);
}

bool table_same_rep(struct rep_key a, struct rep_key b)
{
    return a.rep == b.rep && strcmp(a.run_id, b.run_id) == 0;
}

/* Records the row's rep in its cell, with its status, the first time it is
 * seen. */
static void tally_rep(struct cell *cell, const struct result_row *r)
{
    struct rep_key key = {r->run_id, r->rep};
    for (size_t k = 0; k < cell->reps; k++)
        if (table_same_rep(cell->rep_ids[k], key))
            return;
    cell->rep_ids = xrealloc(cell->rep_ids, (cell->reps + 1) * sizeof *cell->rep_ids);
    cell->rep_status = xrealloc(cell->rep_status, (cell->reps + 1) * sizeof *cell->rep_status);
    cell->rep_ids[cell->reps] = key;
    cell->rep_status[cell->reps] = r->status;
    cell->reps++;
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

/* Groups the rows (those of `host` only, unless NULL). Exits with a usage
 * error when the same measurement appears twice (two copies of one run
 * concatenated): that would count its repetitions twice. */
void table_build(const struct result_row *rows, size_t n, const char *host,
                        const char *path, struct table *t)
{
    struct group *groups = NULL;
    struct cell *cells = NULL;
    size_t count = 0, cap = 0, cell_count = 0;
    struct index cell_ix = {0}, group_ix = {0}, seen = {0};
    for (size_t i = 0; i < n; i++) {
        const struct result_row *r = &rows[i];
        if (host && strcmp(r->host, host) != 0)
            continue;
        char *ck = xasprintf("%s|%s|%d", r->backend, r->workload, r->threads);
        size_t cell = index_get(&cell_ix, ck, (size_t)-1);
        if (cell == (size_t)-1) {
            cells = xrealloc(cells, (cell_count + 1) * sizeof *cells);
            cells[cell_count] = (struct cell){.backend = r->backend, .workload = r->workload,
                                              .threads = r->threads};
            index_get(&cell_ix, ck, cell_count);
            cell = cell_count++;
        }
        free(ck);
        tally_rep(&cells[cell], r);
        bool ok = strcmp(r->status, "ok") == 0;
        /* Failed cells keep one group under the metric "run". */
        const char *metric = ok ? r->metric : "run";
        char *gk = group_key(r->backend, r->workload, r->threads, metric);
        size_t g = index_get(&group_ix, gk, (size_t)-1);
        if (g == (size_t)-1) {
            if (count == cap) {
                cap = cap ? cap * 2 : 256;
                groups = xrealloc(groups, cap * sizeof *groups);
            }
            groups[count] = (struct group){.backend = r->backend, .workload = r->workload,
                                           .metric = metric, .unit = ok ? r->unit : "",
                                           .params = r->params, .threads = r->threads,
                                           .cell = cell};
            index_get(&group_ix, gk, count);
            g = count++;
        }
        char *dup = xasprintf("%s|%s|%d", gk, r->run_id, r->rep);
        if (ok && index_get(&seen, dup, 1) != (size_t)-1)
            usage_error("%s holds %s of %s %s x%d rep %d%s%s twice: the same run copied in "
                        "twice? (merge runs with `bench merge`)",
                        path, r->metric, r->backend, r->workload, r->threads, r->rep,
                        r->run_id[0] ? " of run " : "", r->run_id);
        free(dup);
        free(gk);
        char *end = NULL;
        double v = ok ? strtod(r->value, &end) : NAN;
        if (ok && end != r->value && !*end) {
            struct group *gr = &groups[g];
            gr->values = xrealloc(gr->values, (gr->n + 1) * sizeof *gr->values);
            gr->keys = xrealloc(gr->keys, (gr->n + 1) * sizeof *gr->keys);
            gr->values[gr->n] = v;
            gr->keys[gr->n++] = (struct rep_key){r->run_id, r->rep};
        }
    }
    /* A cell whose every run failed keeps its "run" group; a cell with some
     * ok runs reports through its metrics and the runs column. */
    size_t kept = 0;
    for (size_t g = 0; g < count; g++) {
        size_t ok_count = cell_runs(&cells[groups[g].cell], groups[g].runs, sizeof groups[g].runs);
        if (strcmp(groups[g].metric, "run") == 0 && ok_count > 0)
            continue;
        double *sorted = xmalloc((groups[g].n + 1) * sizeof *sorted);
        memcpy(sorted, groups[g].values, groups[g].n * sizeof *sorted);
        groups[g].median = median_of(sorted, groups[g].n);
        groups[g].min = groups[g].n ? sorted[0] : NAN;
        groups[g].max = groups[g].n ? sorted[groups[g].n - 1] : NAN;
        free(sorted);
        groups[kept++] = groups[g];
    }
    for (size_t c = 0; c < cell_count; c++)
        free(cells[c].rep_ids), free(cells[c].rep_status);
    free(cells);
    index_free(&cell_ix), index_free(&group_ix), index_free(&seen);
    qsort(groups, kept, sizeof *groups, cmp_group);
    *t = (struct table){.groups = groups, .n = kept};
    for (size_t g = 0; g < kept; g++) {
        char *gk = group_key(groups[g].backend, groups[g].workload, groups[g].threads,
                             groups[g].metric);
        index_get(&t->by_key, gk, g);
        free(gk);
    }
}

void table_free(struct table *t)
{
    for (size_t g = 0; g < t->n; g++)
        free(t->groups[g].values), free(t->groups[g].keys);
    free(t->groups);
    index_free(&t->by_key);
    for (size_t i = 0; i < t->sample_sets; i++)
        free(t->samples[i].turn), free(t->samples[i].value);
    free(t->samples);
    index_free(&t->samples_by_key);
}

const struct group *table_find(struct table *t, const char *backend, const struct group *like)
{
    char *key = group_key(backend, like->workload, like->threads, like->metric);
    size_t g = index_get(&t->by_key, key, (size_t)-1);
    free(key);
    return g == (size_t)-1 ? NULL : &t->groups[g];
}


/* The cell of g against the baseline's group b: the per-rep ratios where
 * both have the same repetition, else the two samples. `invert` takes the
 * ratio the other way (baseline over g: a rate's time per operation).
 * pairs must hold room for g->n values. */
void table_add_samples(struct table *t, const char *samples_path, const char *host)
{
    FILE *f = fopen(samples_path, "r");
    if (!f)
        return;
    char **fields;
    size_t n = csv_read_record(f, &fields);
    static const char *const names[] = {"backend", "workload", "threads", "rep", "turn",
                                        "warmup", "metric", "value", "run_id", "host"};
    enum { BACKEND, WORKLOAD, THREADS, REP, TURN, WARMUP, METRIC, VALUE, RUN_ID, HOST, COLUMNS };
    int col[COLUMNS];
    size_t need = 0;
    for (int i = 0; i < COLUMNS; i++) {
        col[i] = csv_column(fields, n, names[i]);
        if (col[i] < 0) { /* an older samples.csv, without turns */
            fclose(f);
            return;
        }
        need = (size_t)col[i] + 1 > need ? (size_t)col[i] + 1 : need;
    }
    while ((n = csv_read_record(f, &fields)) > 0) {
        if (n < need || strcmp(fields[col[WARMUP]], "0") != 0 || atoi(fields[col[TURN]]) < 0 ||
            (host && strcmp(fields[col[HOST]], host) != 0))
            continue;
        char *key = xasprintf("%s|%s|%s|%s|%s|%s", fields[col[BACKEND]], fields[col[WORKLOAD]],
                              fields[col[THREADS]], fields[col[METRIC]], fields[col[RUN_ID]],
                              fields[col[REP]]);
        size_t k = index_get(&t->samples_by_key, key, (size_t)-1);
        if (k == (size_t)-1) {
            t->samples = xrealloc(t->samples, (t->sample_sets + 1) * sizeof *t->samples);
            t->samples[t->sample_sets] = (struct turn_samples){0};
            index_get(&t->samples_by_key, key, t->sample_sets);
            k = t->sample_sets++;
        }
        free(key);
        struct turn_samples *ts = &t->samples[k];
        ts->turn = xrealloc(ts->turn, (ts->n + 1) * sizeof *ts->turn);
        ts->value = xrealloc(ts->value, (ts->n + 1) * sizeof *ts->value);
        ts->turn[ts->n] = atoi(fields[col[TURN]]);
        ts->value[ts->n++] = strtod(fields[col[VALUE]], NULL);
    }
    fclose(f);
}

static const struct turn_samples *samples_of(struct table *t, const struct group *g,
                                             struct rep_key k)
{
    if (!t->sample_sets)
        return NULL;
    char *key = xasprintf("%s|%s|%d|%s|%s|%d", g->backend, g->workload, g->threads, g->metric,
                          k.run_id, k.rep);
    size_t i = index_get(&t->samples_by_key, key, (size_t)-1);
    free(key);
    return i == (size_t)-1 ? NULL : &t->samples[i];
}

/* The median over the turns both sets have of x/y (y/x when invert), or NAN
 * when no turn is common. */
static double turn_paired_ratio(const struct turn_samples *x, const struct turn_samples *y,
                                bool invert)
{
    double *r = xmalloc((x->n + 1) * sizeof *r);
    size_t n = 0;
    for (size_t i = 0; i < x->n; i++)
        for (size_t j = 0; j < y->n; j++)
            if (x->turn[i] == y->turn[j]) {
                if (x->value[i] > 0 && y->value[j] > 0)
                    r[n++] = invert ? y->value[j] / x->value[i] : x->value[i] / y->value[j];
                break;
            }
    double m = n ? stats_median(r, n) : NAN;
    free(r);
    return m;
}

struct ratio_sample table_ratio_cell(struct table *t, const struct group *g, const struct group *b,
                                     bool invert, double *pairs)
{
    size_t n = 0;
    for (size_t i = 0; i < g->n; i++)
        for (size_t j = 0; j < b->n; j++)
            if (table_same_rep(g->keys[i], b->keys[j]) && g->values[i] > 0 && b->values[j] > 0) {
                const struct turn_samples *gs = samples_of(t, g, g->keys[i]),
                                          *bs = samples_of(t, b, b->keys[j]);
                double r = gs && bs ? turn_paired_ratio(gs, bs, invert) : NAN;
                pairs[n++] = !isnan(r) ? r
                             : invert  ? b->values[j] / g->values[i]
                                       : g->values[i] / b->values[j];
                break;
            }
    const struct group *num = invert ? b : g, *den = invert ? g : b;
    return (struct ratio_sample){.num = num->values, .num_n = num->n, .den = den->values,
                                 .den_n = den->n, .pairs = pairs, .pairs_n = n};
}

/* The distinct hosts of the rows, in order of first appearance. */
size_t table_hosts(const struct result_row *rows, size_t n, const char ***out)
{
    const char **hosts = NULL;
    size_t count = 0;
    struct index ix = {0};
    for (size_t i = 0; i < n; i++)
        if (index_get(&ix, rows[i].host, count) == (size_t)-1) {
            hosts = xrealloc(hosts, (count + 1) * sizeof *hosts);
            hosts[count++] = rows[i].host;
        }
    index_free(&ix);
    *out = hosts;
    return count;
}

const char *table_verdict(double low, double high)
{
    if (isnan(low) || isnan(high))
        return "";
    return high < 1 ? "lower" : low > 1 ? "higher" : "same";
}

struct table_ratio table_ratio(struct table *t, const struct group *g)
{
    struct table_ratio r = {NAN, NAN, NAN, 0, ""};
    const struct group *base = t->baseline ? table_find(t, t->baseline, g) : NULL;
    if (!base || !g->n || !base->n || !(base->median > 0))
        return r;
    if (base == g)
        return (struct table_ratio){1, 1, 1, g->n, "baseline"};
    double *pairs = xmalloc((g->n + 1) * sizeof *pairs);
    struct ratio_sample cell = table_ratio_cell(t, g, base, false, pairs);
    r.point = stats_ratio_point(&cell);
    r.pairs = cell.pairs_n;
    /* No interval when a side has fewer than 2 repetitions: one value
     * cannot show spread. */
    if ((cell.pairs_n >= 2 || (g->n >= 2 && base->n >= 2))) {
        char *key = xasprintf("%s|%s|%d|%s", g->backend, g->workload, g->threads, g->metric);
        stats_bootstrap_ratio(&cell, 1, stats_cell_seed(STATS_SEED, key), STATS_RESAMPLES,
                              STATS_LEVEL, &r.low, &r.high);
        free(key);
    }
    r.verdict = table_verdict(r.low, r.high);
    free(pairs);
    return r;
}
