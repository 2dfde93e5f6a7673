/* A run's results grouped for statistics: one group per backend x workload
 * x threads x metric, each value tagged with the repetition it comes from
 * (run_id and rep, so that runs merged from several machines keep apart),
 * plus how each cell's repetitions ended. summary.c and compare.c read runs
 * through it. */
#ifndef BENCH_TABLE_H
#define BENCH_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include "csv.h"
#include "stats.h"

/* A string-keyed index (open addressing). */
struct index {
    char **keys;
    size_t *values;
    size_t capacity, count;
};
/* The value stored under key, or (size_t)-1 after inserting key with the
 * value `add` when it was absent (add == (size_t)-1: look up only). */
size_t index_get(struct index *ix, const char *key, size_t add);
void index_free(struct index *ix);

/* One repetition: a process of one run (run_id) and round (rep). */
struct rep_key {
    const char *run_id;
    int rep;
};
bool table_same_rep(struct rep_key a, struct rep_key b);

/* One backend x workload x threads x metric: the values of its ok runs. */
struct group {
    const char *backend, *workload, *metric, *unit;
    const char *params; /* the workload's parameters, every default spelled out */
    int threads;
    size_t cell; /* index of its cell */
    double *values;
    struct rep_key *keys; /* which repetition each value is */
    size_t n;
    double median, min, max;
    char runs[256]; /* status counts of the cell, e.g. "ok=4;crashed=1" */
};

/* One process's measured samples of one metric, by turn (samples.csv). */
struct turn_samples {
    int *turn;
    double *value;
    size_t n;
};

struct table {
    struct group *groups; /* sorted: workload, threads, backend, metric */
    size_t n;
    struct index by_key;
    const char *baseline; /* set by the caller */
    /* From samples.csv, when the run has one (table_add_samples):
     * "backend|workload|threads|metric|run_id|rep" -> the process's samples */
    struct index samples_by_key;
    struct turn_samples *samples;
    size_t sample_sets;
};

/* Groups the rows (those of `host` only, unless NULL); a cell none of whose
 * runs ended ok keeps one group with metric "run". Exits with a usage error
 * when the same measurement appears twice (two copies of one run
 * concatenated), which would count its repetitions twice. */
void table_build(const struct result_row *rows, size_t n, const char *host, const char *path,
                 struct table *t);
void table_free(struct table *t);
/* The group of `backend` in like's cell and metric, or NULL. */
const struct group *table_find(struct table *t, const char *backend, const struct group *like);

/* Known backends first, in the backend table's order; others after. */
int table_backend_rank(const char *name);

/* Reads the measured samples of RUN_DIR/samples.csv (those of `host` only,
 * unless NULL) into the table, when the file exists and has turns. */
void table_add_samples(struct table *t, const char *samples_path, const char *host);

/* g against the baseline's group b of the same cell: one ratio per
 * repetition both have (pairs, room for g->n), plus the two samples.
 * invert: b over g (a rate's time per operation). A repetition's ratio is
 * the median, over the turns in which both processes took a sample, of the
 * two samples' ratio (samples of a turn were taken side by side, so a
 * change of the machine's speed between turns cancels); without samples
 * with turns, the ratio of the two processes' values. */
struct ratio_sample table_ratio_cell(struct table *t, const struct group *g, const struct group *b,
                                     bool invert, double *pairs);

/* A group's ratio to the table's baseline with its 95% bootstrap interval
 * (NAN without one: a side with fewer than two repetitions) and a verdict:
 * lower, higher, same, baseline, or "". The summary reports it; the runner
 * asks it whether a cell needs more rounds (extend.h). */
struct table_ratio {
    double point, low, high;
    size_t pairs;
    const char *verdict;
};
struct table_ratio table_ratio(struct table *t, const struct group *g);
/* The verdict of an interval of a ratio: lower, higher, same, or "". */
const char *table_verdict(double low, double high);
/* The distinct hosts of the rows, in order of first appearance. */
size_t table_hosts(const struct result_row *rows, size_t n, const char ***out);

double median_of(double *values, size_t n); /* sorts values in place */

#endif
