/* The plan of a run (plan.h): the shuffled rounds, the expected cost of each
 * group, and the split into shards. */
#include "plan.h"
#include "csv.h"
#include "meta.h"
#include "suites.h"
#include "util.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ---- Expected cost ----
 * Only the ratios between groups matter for the balance; the seconds are
 * shown so that a user can size a job's time limit. The model: a process
 * costs PROCESS_START_S (fork, exec, the preload check) plus its samples; a
 * sample lasts the case's duration_ms parameter where it has one, else
 * PROGRAM_SAMPLE_S for a workload that runs once per process (the real
 * programs) and LIBRARY_SAMPLE_S for one that repeats; a repeatable process
 * takes its warm-up samples and then --samples samples or --min-time of
 * them, a warm-up round's process one sample. With --costs, each backend's
 * samples in the earlier run replace the guesses. */
#define PROCESS_START_S 0.05
#define PROGRAM_SAMPLE_S 1.0
#define LIBRARY_SAMPLE_S 0.01

/* What an earlier run's samples.csv says of one backend in one case. */
struct cost_entry {
    char *backend, *workload;
    int threads;
    double total_ms; /* wall_ms of every sample, warm-up samples included */
    long samples, processes;
};

struct costs {
    struct cost_entry *entries;
    size_t count;
};

static struct cost_entry *cost_find(const struct costs *k, const char *backend,
                                    const char *workload, int threads)
{
    for (size_t i = 0; k && i < k->count; i++) {
        struct cost_entry *e = &k->entries[i];
        if (e->threads == threads && strcmp(e->backend, backend) == 0 &&
            strcmp(e->workload, workload) == 0)
            return e;
    }
    return NULL;
}

static void costs_load(const char *dir, struct costs *k)
{
    char *path = xasprintf("%s/samples.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        usage_error("--costs %s: no readable samples.csv (give a run directory)", dir);
    enum { BACKEND, WORKLOAD, THREADS, SAMPLE, METRIC, VALUE, COLUMNS };
    static const char *const names[COLUMNS] = {"backend", "workload", "threads",
                                               "sample",  "metric",   "value"};
    int col[COLUMNS];
    size_t need = csv_find_columns(f, path, names, COLUMNS, col, SAMPLES_HEADER), n;
    char **fields;
    while ((n = csv_read_record(f, &fields)) > 0) {
        if (n < need || strcmp(fields[col[METRIC]], "wall_ms") != 0)
            continue;
        const char *backend = fields[col[BACKEND]], *workload = fields[col[WORKLOAD]];
        int threads = atoi(fields[col[THREADS]]);
        struct cost_entry *e = cost_find(k, backend, workload, threads);
        if (!e) {
            k->entries = xrealloc(k->entries, (k->count + 1) * sizeof *k->entries);
            e = &k->entries[k->count++];
            *e = (struct cost_entry){.backend = xstrdup(backend), .workload = xstrdup(workload),
                                     .threads = threads};
        }
        e->total_ms += atof(fields[col[VALUE]]);
        e->samples++;
        e->processes += strcmp(fields[col[SAMPLE]], "0") == 0;
    }
    fclose(f);
    free(path);
}

static void costs_free(struct costs *k)
{
    for (size_t i = 0; i < k->count; i++)
        free(k->entries[i].backend), free(k->entries[i].workload);
    free(k->entries);
}

static double model_sample_s(const struct bench_case *c)
{
    const struct bench_workload *w = c->workload;
    for (size_t i = 0; w->params && w->params[i].name; i++)
        if (strcmp(w->params[i].name, "duration_ms") == 0)
            return atof(c->values[i]) / 1000;
    return w->repeatable ? LIBRARY_SAMPLE_S : PROGRAM_SAMPLE_S;
}

/* Expected seconds of one backend's process of case c. */
static double process_s(const struct run_meta *m, const struct costs *k, const char *backend,
                        const struct bench_case *c, bool warmup_round)
{
    const struct cost_entry *e = cost_find(k, backend, c->label, c->threads);
    double sample_s = e && e->samples ? e->total_ms / (double)e->samples / 1000 : model_sample_s(c);
    if (warmup_round || !c->workload->repeatable)
        return PROCESS_START_S + sample_s;
    if (e && e->processes)
        return PROCESS_START_S + e->total_ms / (double)e->processes / 1000;
    double measured = m->fixed_samples ? m->fixed_samples * sample_s
                                       : fmax(m->min_time_ms / 1000, sample_s);
    return PROCESS_START_S + m->warmup_samples * sample_s + measured;
}

bool plan_backend_runs(const struct backend *b, const struct bench_case *c)
{
    if (!b->home_suites)
        return true;
    char *names = xstrdup(b->home_suites);
    bool runs = false;
    for (char *save = NULL, *name = strtok_r(names, " ", &save); name && !runs;
         name = strtok_r(NULL, " ", &save))
        runs = suite_has_workload(name, c->workload);
    free(names);
    return runs;
}

static bool baseline_only(const struct bench_case *c, bool warmup_round)
{
    return warmup_round && !c->workload->repeatable;
}

bool plan_group_baseline_only(const struct run_meta *m, const struct plan_group *g)
{
    return baseline_only(m->cases[g->case_index], g->round == 0);
}

static double group_cost_s(const struct run_meta *m, const struct costs *k,
                           const struct bench_case *c, bool warmup_round)
{
    if (baseline_only(c, warmup_round))
        return process_s(m, k, m->baseline, c, true);
    double sum = 0;
    for (size_t b = 0; b < m->backend_count; b++)
        if (plan_backend_runs(m->backends[b], c))
            sum += process_s(m, k, m->backends[b]->name, c, warmup_round);
    return sum;
}

/* ---- Order and shards ---- */

void plan_parse_shard(const char *text, int *shard, int *shard_count)
{
    long long i, n;
    const char *slash = strchr(text, '/');
    char *left = slash ? xasprintf("%.*s", (int)(slash - text), text) : NULL;
    bool ok = left && parse_ll(left, &i) && parse_ll(slash + 1, &n) && n >= 1 && n <= 100000 &&
              i >= 1 && i <= n;
    free(left);
    if (!ok)
        usage_error("--shard expects I/N with 1 <= I <= N (e.g. 2/4), got '%s'", text);
    *shard = (int)i;
    *shard_count = (int)n;
}

void plan_shuffle(size_t *order, size_t n, uint64_t *rng)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(bench_rand(rng) % i);
        size_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
}

/* Longest processing time first: the dearest group goes first, each to the
 * shard that would finish it soonest. A shard pays a case's warm-up group
 * the first time it takes one of the case's groups, which keeps a case's
 * rounds together where loads allow. Ties go to the earlier group and the
 * lower shard, so the split is the same everywhere. */
static int by_cost_desc(const void *a, const void *b)
{
    const struct plan_group *x = *(const struct plan_group *const *)a;
    const struct plan_group *y = *(const struct plan_group *const *)b;
    if (x->cost_s != y->cost_s)
        return x->cost_s > y->cost_s ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static void assign_shards(struct plan_group *groups, size_t count, size_t case_count,
                          const double *warmup_s, int shards, double *load, bool *has)
{
    struct plan_group **dear = xmalloc(count * sizeof *dear);
    size_t n = 0;
    for (size_t g = 0; g < count; g++)
        if (groups[g].round > 0)
            dear[n++] = &groups[g];
    qsort(dear, n, sizeof *dear, by_cost_desc);
    for (size_t i = 0; i < n; i++) {
        struct plan_group *g = dear[i];
        int best = 0;
        double best_end = INFINITY;
        for (int s = 0; s < shards; s++) {
            bool warm = has[(size_t)s * case_count + g->case_index];
            double end = load[s] + g->cost_s + (warm ? 0 : warmup_s[g->case_index]);
            if (end < best_end)
                best = s, best_end = end;
        }
        load[best] = best_end;
        has[(size_t)best * case_count + g->case_index] = true;
        g->shard = best + 1;
    }
    free(dear);
}

/* The canonical text the hash is taken of: the settings that change what a
 * row means, then plan.csv. */
static void plan_hash(struct run_plan *p, const struct run_meta *m)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fprintf(f, "measure=%d min_time_ms=%g samples=%d warmup_samples=%d max_samples=%d "
               "interleave=%d latency=%d timeout_s=%d\n",
            (int)m->measure, m->min_time_ms, m->fixed_samples, m->warmup_samples, m->max_samples,
            m->interleave, (int)m->latency, m->timeout_s);
    plan_write_csv(f, p, m);
    fclose(f);
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)text[i]) * 0x100000001b3ull;
    snprintf(p->hash, sizeof p->hash, "%016llx", (unsigned long long)h);
    free(text);
}

struct run_plan *plan_build(const struct run_meta *m, int shard, int shard_count,
                            const char *costs_dir)
{
    struct costs k = {0};
    if (costs_dir)
        costs_load(costs_dir, &k);
    size_t cases = m->case_count, rounds = (size_t)m->reps + 1;
    if ((size_t)shard_count > cases * (size_t)m->reps)
        usage_error("--shard %d/%d: the plan has %zu measured groups (cases x reps), so at most "
                    "%zu shards",
                    shard, shard_count, cases * (size_t)m->reps, cases * (size_t)m->reps);
    double *warmup_s = xmalloc(cases * sizeof *warmup_s), *measured_s = xmalloc(cases * sizeof *measured_s);
    for (size_t c = 0; c < cases; c++) {
        warmup_s[c] = group_cost_s(m, &k, m->cases[c], true);
        measured_s[c] = group_cost_s(m, &k, m->cases[c], false);
    }
    costs_free(&k);

    /* Every round reshuffles the previous round's order. The order has a
     * generator of its own, seeded by --seed: the turns inside a group draw
     * from the runner's, whose draws depend on how many samples each process
     * took, so sharing it would make the order depend on the machine. */
    struct plan_group *all = xmalloc(cases * rounds * sizeof *all);
    size_t *order = xmalloc(cases * sizeof *order);
    for (size_t c = 0; c < cases; c++)
        order[c] = c;
    uint64_t rng = m->seed ? m->seed : 1;
    for (size_t r = 0; r < rounds; r++) {
        plan_shuffle(order, cases, &rng);
        for (size_t i = 0; i < cases; i++)
            all[r * cases + i] = (struct plan_group){
                .id = r * cases + i, .round = (int)r, .case_index = order[i], .shard = 1,
                .cost_s = r ? measured_s[order[i]] : warmup_s[order[i]]};
    }

    struct run_plan *p = xmalloc(sizeof *p);
    *p = (struct run_plan){.shard = shard, .shard_count = shard_count, .costs_from = costs_dir};
    p->shard_cost_s = calloc((size_t)shard_count, sizeof *p->shard_cost_s);
    bool *has = calloc((size_t)shard_count * cases + 1, sizeof *has);
    assign_shards(all, cases * rounds, cases, warmup_s, shard_count, p->shard_cost_s, has);

    /* plan.csv's rows: a warm-up group once for each shard that runs its case. */
    p->groups = xmalloc(cases * (rounds + (size_t)shard_count) * sizeof *p->groups);
    for (size_t g = 0; g < cases * rounds; g++) {
        if (all[g].round > 0) {
            p->groups[p->count++] = all[g];
            continue;
        }
        for (int s = 0; s < shard_count; s++)
            if (has[(size_t)s * cases + all[g].case_index]) {
                p->groups[p->count] = all[g];
                p->groups[p->count++].shard = s + 1;
            }
    }
    plan_hash(p, m);
    free(all), free(order), free(has), free(warmup_s), free(measured_s);
    return p;
}

size_t plan_shard_group_count(const struct run_plan *p)
{
    size_t n = 0;
    for (size_t g = 0; g < p->count; g++)
        n += p->groups[g].shard == p->shard;
    return n;
}

/* ---- Writing ---- */

/* The backends of case c's groups, space-separated. */
static char *case_backends(const struct run_meta *m, const struct bench_case *c)
{
    char *backends = xstrdup("");
    for (size_t b = 0; b < m->backend_count; b++) {
        if (!plan_backend_runs(m->backends[b], c))
            continue;
        char *next = xasprintf("%s%s%s", backends, *backends ? " " : "", m->backends[b]->name);
        free(backends);
        backends = next;
    }
    return backends;
}

void plan_write_csv(FILE *f, const struct run_plan *p, const struct run_meta *m)
{
    fprintf(f, "%s\n", PLAN_HEADER);
    for (size_t g = 0; g < p->count; g++) {
        const struct plan_group *x = &p->groups[g];
        const struct bench_case *c = m->cases[x->case_index];
        char *params = case_params_string(c), *backends = case_backends(m, c);
        fprintf(f, "%zu,%d,%d,", x->id, x->shard, x->round);
        csv_write_field(f, c->label, false);
        fprintf(f, "%d,", c->threads);
        csv_write_field(f, params, false);
        csv_write_field(f, plan_group_baseline_only(m, x) ? m->baseline : backends, false);
        fprintf(f, "%.3f\n", x->cost_s);
        free(params), free(backends);
    }
}

void plan_write_json(FILE *f, const struct run_plan *p)
{
    fputs("{\n    \"plan_hash\": ", f);
    meta_json_string(f, p->hash);
    fprintf(f, ",\n    \"plan_shard\": \"%d/%d\",\n", p->shard, p->shard_count);
    fprintf(f, "    \"groups\": %zu,\n    \"groups_in_plan\": %zu,\n", plan_shard_group_count(p),
            p->count);
    fprintf(f, "    \"expected_s\": %.1f,\n    \"costs_from\": ", p->shard_cost_s[p->shard - 1]);
    meta_json_string(f, p->costs_from);
    fputs("\n  }", f);
}
