/* Checking a merge's inputs against the plan they are shards of (shards.h). */
#include "shards.h"
#include "csv.h"
#include "meta.h"
#include "plan.h"
#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* At most this many missing or duplicated groups are listed one by one. */
#define LIST_MAX 20

/* What an input's meta.json says of its plan. */
struct input_plan {
    const char *dir;
    char *hash;
    int shard, shard_count; /* 0/0: not written by a run that knew plans */
};

static void input_plan_read(const char *dir, struct input_plan *p)
{
    *p = (struct input_plan){.dir = dir, .hash = meta_read_field(dir, "plan_hash")};
    char *shard = meta_read_field(dir, "plan_shard");
    if (shard && sscanf(shard, "%d/%d", &p->shard, &p->shard_count) != 2)
        p->shard = p->shard_count = 0;
    free(shard);
}

static bool is_shard(const struct input_plan *p)
{
    return p->hash && p->shard_count > 1;
}

/* ---- The plan's measured groups, from plan.csv ---- */

struct planned {
    int round, threads, shard;
    char *workload;
    char *backends; /* its backends column: a backend with a home suite is in some groups only */
};

struct plan_table {
    struct planned *groups;
    size_t count;
    char **backends; /* every backend of some measured group */
    size_t backend_count;
};


static void plan_table_load(const char *path, struct plan_table *t)
{
    FILE *f = fopen(path, "r");
    if (!f)
        usage_error("%s: cannot read the plan the shards were run from: %s", path, strerror(errno));
    enum { SHARD, ROUND, WORKLOAD, THREADS, BACKENDS, COLUMNS };
    static const char *const names[COLUMNS] = {"shard", "round", "workload", "threads", "backends"};
    int col[COLUMNS];
    size_t need = csv_find_columns(f, path, names, COLUMNS, col, PLAN_HEADER), n;
    char **fields;
    *t = (struct plan_table){0};
    while ((n = csv_read_record(f, &fields)) > 0) {
        if (n < need)
            usage_error("%s: a row of %zu fields, expected %zu or more", path, n, need);
        int round = atoi(fields[col[ROUND]]);
        if (round == 0)
            continue; /* warm-up groups write no rows (and may have the baseline alone) */
        char *names = xstrdup(fields[col[BACKENDS]]);
        for (char *save = NULL, *name = strtok_r(names, " ", &save); name;
             name = strtok_r(NULL, " ", &save)) {
            bool known = false;
            for (size_t b = 0; b < t->backend_count && !known; b++)
                known = strcmp(t->backends[b], name) == 0;
            if (known)
                continue;
            t->backends = xrealloc(t->backends, (t->backend_count + 1) * sizeof *t->backends);
            t->backends[t->backend_count++] = xstrdup(name);
        }
        free(names);
        t->groups = xrealloc(t->groups, (t->count + 1) * sizeof *t->groups);
        t->groups[t->count++] = (struct planned){.round = round,
                                                 .threads = atoi(fields[col[THREADS]]),
                                                 .shard = atoi(fields[col[SHARD]]),
                                                 .workload = xstrdup(fields[col[WORKLOAD]]),
                                                 .backends = xstrdup(fields[col[BACKENDS]])};
    }
    fclose(f);
}

static long find_group(const struct plan_table *t, int round, const char *workload, int threads)
{
    for (size_t g = 0; g < t->count; g++)
        if (t->groups[g].round == round && t->groups[g].threads == threads &&
            strcmp(t->groups[g].workload, workload) == 0)
            return (long)g;
    return -1;
}

static long find_backend(const struct plan_table *t, const char *name)
{
    for (size_t b = 0; b < t->backend_count; b++)
        if (strcmp(t->backends[b], name) == 0)
            return (long)b;
    return -1;
}

/* ---- Coverage ---- */

/* For every cell (measured group x backend): how many inputs hold it, and
 * the first and last of them. */
struct cover {
    unsigned count;
    size_t first, last;
};

static void cover_input(const struct plan_table *t, struct cover *cells, const char *dir,
                        size_t input)
{
    char *path = xasprintf("%s/results.csv", dir);
    struct result_row *rows;
    size_t n = results_load(path, &rows);
    long g = -1, b = -1;
    const struct result_row *prev = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct result_row *r = &rows[i];
        /* A process's rows come together, one per metric: look it up once. */
        if (!prev || r->rep != prev->rep || r->threads != prev->threads ||
            strcmp(r->workload, prev->workload) != 0 || strcmp(r->backend, prev->backend) != 0) {
            g = find_group(t, r->rep, r->workload, r->threads);
            b = find_backend(t, r->backend);
            if (g < 0 || b < 0 || !names_have(t->groups[g].backends, r->backend))
                usage_error("%s: %s %s x%d rep %d is not in the plan the shards were run from",
                            path, r->backend, r->workload, r->threads, r->rep);
            struct cover *c = &cells[(size_t)g * t->backend_count + (size_t)b];
            if (c->count == 0 || c->last != input) {
                if (c->count++ == 0)
                    c->first = input;
                c->last = input;
            }
        }
        prev = r;
    }
    results_free(rows, n);
    free(path);
}

/* Lists the groups where some backend's cell holds `count` inputs
 * (0: missing; 2 or more: duplicated); returns how many cells. */
static size_t report(const struct plan_table *t, const struct cover *cells,
                     const struct input_plan *in, bool duplicated)
{
    size_t found = 0, listed = 0;
    for (size_t g = 0; g < t->count; g++) {
        char *names = NULL;
        const struct cover *where = NULL;
        for (size_t b = 0; b < t->backend_count; b++) {
            const struct cover *c = &cells[g * t->backend_count + b];
            if ((duplicated ? c->count < 2 : c->count != 0) ||
                !names_have(t->groups[g].backends, t->backends[b]))
                continue;
            append_name(&names, t->backends[b]);
            where = c;
            found++;
        }
        if (!names)
            continue;
        const struct planned *p = &t->groups[g];
        if (listed++ < LIST_MAX) {
            if (duplicated)
                fprintf(stderr, "bench: merge: round %d of %s x%d (shard %d) is in %s and in %s: %s\n",
                        p->round, p->workload, p->threads, p->shard, in[where->first].dir,
                        in[where->last].dir, names);
            else
                fprintf(stderr, "bench: merge: missing: round %d of %s x%d (shard %d): %s\n",
                        p->round, p->workload, p->threads, p->shard, names);
        }
        free(names);
    }
    if (listed > LIST_MAX)
        fprintf(stderr, "bench: merge: ... and %zu more group(s)\n", listed - LIST_MAX);
    return found;
}

/* Says which shards of N none of the inputs is. */
static void report_absent_shards(const struct input_plan *in, size_t count, int shards)
{
    for (int s = 1; s <= shards; s++) {
        bool given = false;
        for (size_t i = 0; i < count && !given; i++)
            given = in[i].shard == s;
        if (!given)
            fprintf(stderr, "bench: merge: shard %d/%d is not among the runs given\n", s, shards);
    }
}

void shards_check(const char *const *dirs, size_t count, bool pool, struct shards_check *out)
{
    *out = (struct shards_check){0};
    struct input_plan *in = xmalloc(count * sizeof *in);
    const struct input_plan *shard = NULL, *other = NULL;
    for (size_t i = 0; i < count; i++) {
        input_plan_read(dirs[i], &in[i]);
        if (is_shard(&in[i]) && !shard)
            shard = &in[i];
    }
    for (size_t i = 0; i < count && shard && !other; i++)
        if (!in[i].hash || strcmp(in[i].hash, shard->hash) != 0)
            other = &in[i];
    bool same_plan = count > 0 && in[0].hash && (!shard || !other);
    for (size_t i = 1; i < count && same_plan; i++)
        same_plan = in[i].hash && strcmp(in[i].hash, in[0].hash) == 0;
    if (other && !pool)
        usage_error("%s is shard %d/%d of plan %s, but %s is %s%s: shards of one plan are run "
                    "with the same flags, seed, --costs and shard count; --pool merges them "
                    "anyway, unchecked",
                    shard->dir, shard->shard, shard->shard_count, shard->hash, other->dir,
                    other->hash ? "of plan " : "no run of a plan", other->hash ? other->hash : "");
    if (same_plan) {
        out->plan_hash = xstrdup(in[0].hash);
        out->plan_csv = xasprintf("%s/plan.csv", in[0].dir);
    }
    if (shard && !other) {
        out->shard_count = shard->shard_count;
        struct plan_table t;
        plan_table_load(out->plan_csv, &t);
        struct cover *cells = calloc(t.count * t.backend_count + 1, sizeof *cells);
        for (size_t g = 0; g < t.count; g++)
            for (size_t b = 0; b < t.backend_count; b++)
                out->cells += names_have(t.groups[g].backends, t.backends[b]);
        for (size_t i = 0; i < count; i++)
            cover_input(&t, cells, dirs[i], i);
        size_t duplicated = report(&t, cells, in, true);
        if (duplicated && !pool)
            usage_error("%zu measurement(s) are in two runs given (a shard run twice?): merging "
                        "would count them twice; --pool merges them anyway",
                        duplicated);
        out->missing = report(&t, cells, in, false);
        if (out->missing)
            report_absent_shards(in, count, out->shard_count);
        free(cells);
        for (size_t g = 0; g < t.count; g++)
            free(t.groups[g].workload), free(t.groups[g].backends);
        for (size_t b = 0; b < t.backend_count; b++)
            free(t.backends[b]);
        free(t.groups), free(t.backends);
    }
    for (size_t i = 0; i < count; i++)
        free(in[i].hash);
    free(in);
}
