/* Which cells still need rounds (extend.h). */
#include "extend.h"
#include "csv.h"
#include "plan.h"
#include "table.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void extend_parse_target(const char *text, double *pct, double *threaded_pct)
{
    char *end;
    double a = strtod(text, &end), b = a;
    if (*end == ',')
        b = strtod(end + 1, &end);
    if (*end || end == text || !(a > 0 && a <= 100) || !(b > 0 && b <= 100))
        usage_error("--target-ci expects a percentage in (0, 100], or two separated by a comma "
                    "(single-threaded,threaded), got '%s'",
                    text);
    *pct = a, *threaded_pct = b;
}

bool extend_case_eligible(const struct run_meta *m, size_t c)
{
    return m->measure == MEASURE_TIME && m->cases[c]->workload->repeatable &&
           m->plan->shard_count == 1 && m->reps >= 2 && m->max_reps > m->reps &&
           m->extend_time_s > 0;
}

/* The half-width of g's ratio interval in percent of the ratio (as
 * summary.csv has it: (ci_high - ci_low) / 2 / ratio), or NAN. */
static double half_width_pct(struct table *t, const struct group *g)
{
    struct table_ratio r = table_ratio(t, g);
    if (isnan(r.low) || isnan(r.high) || !(r.point > 0))
        return NAN;
    return (r.high - r.low) / 2 / r.point * 100;
}

size_t extend_measure(const char *run_dir, const struct run_meta *m,
                      struct backend *const *backends, size_t backend_count,
                      const bool *eligible, struct extend_cell *cells)
{
    char *path = xasprintf("%s/results.csv", run_dir);
    char *samples = xasprintf("%s/samples.csv", run_dir);
    struct result_row *rows;
    size_t n = results_load(path, &rows);
    struct table t;
    table_build(rows, n, NULL, path, &t);
    table_add_samples(&t, samples, NULL);
    t.baseline = m->baseline;
    size_t wide = 0;
    for (size_t c = 0; c < m->case_count; c++)
        for (size_t b = 0; b < backend_count; b++) {
            struct extend_cell *x = &cells[c * backend_count + b];
            const struct bench_case *bc = m->cases[c];
            x->wide = false, x->width = NAN, x->rounds = 0;
            x->target = bc->threads > 1 ? m->target_threaded_pct : m->target_pct;
            if (!eligible[c] || strcmp(backends[b]->name, m->baseline) == 0)
                continue;
            struct group like = {.workload = bc->label, .threads = bc->threads,
                                 .metric = "wall_ms"};
            const struct group *g = table_find(&t, backends[b]->name, &like);
            const struct group *base = table_find(&t, m->baseline, &like);
            if (!g || g->n == 0 || !base || base->n == 0)
                continue; /* it or the baseline failed: more rounds would not help */
            x->rounds = g->n;
            x->width = half_width_pct(&t, g);
            x->wide = isnan(x->width) || x->width > x->target;
            wide += x->wide;
        }
    table_free(&t);
    results_free(rows, n);
    free(path), free(samples);
    return wide;
}

/* A wide cell's way to its target: the rounds it still needs and their cost. */
struct route {
    size_t cell;
    double round_s, to_target_s;
};

static int by_cost(const void *x, const void *y)
{
    const struct route *a = x, *b = y;
    return (a->to_target_s > b->to_target_s) - (a->to_target_s < b->to_target_s);
}

static int by_round_cost(const void *x, const void *y)
{
    const struct route *a = x, *b = y;
    return (a->round_s > b->round_s) - (a->round_s < b->round_s);
}

size_t extend_pick(const struct run_meta *m, size_t backend_count,
                   const struct extend_cell *cells, const double *base_cost_s,
                   double seconds_left, bool *pick)
{
    size_t total = m->case_count * backend_count, count = 0, picked = 0;
    struct route *routes = xmalloc((total + 1) * sizeof *routes);
    for (size_t i = 0; i < total; i++) {
        pick[i] = false;
        const struct extend_cell *x = &cells[i];
        if (!x->wide || x->capped || x->rounds >= (size_t)m->max_reps)
            continue;
        double need = isnan(x->width) ? (double)x->rounds + 1
                                      : ceil((double)x->rounds * pow(x->width / x->target, 2));
        need = fmin(fmax(need, (double)x->rounds + 1), m->max_reps);
        double round_s = x->cost_s + base_cost_s[i / backend_count];
        routes[count++] = (struct route){i, round_s, (need - (double)x->rounds) * round_s};
    }
    qsort(routes, count, sizeof *routes, by_cost);
    double committed = 0;
    for (size_t k = 0; k < count; k++)
        if (committed + routes[k].to_target_s <= seconds_left) {
            committed += routes[k].to_target_s;
            pick[routes[k].cell] = true, picked++;
        }
    if (!picked) {
        qsort(routes, count, sizeof *routes, by_round_cost);
        for (size_t k = 0; k < count; k++)
            if (committed + routes[k].round_s <= seconds_left) {
                committed += routes[k].round_s;
                pick[routes[k].cell] = true, picked++;
            }
    }
    free(routes);
    return picked;
}
