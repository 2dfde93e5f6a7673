/* The plan of a run: every group it takes (one case in one round, under
 * every backend at once, as group.h runs it), in execution order, with its
 * expected cost and the shard of the run that takes it.
 *
 * A plan is a function of the command line alone (cases, backends, reps,
 * seed, shard count, and the earlier run given with --costs), never of the
 * machine or of how the run goes: so every machine handed the same flags
 * computes the same plan and runs exactly its own shard of it, without
 * talking to the others. Its hash names it in meta.json, and `bench merge`
 * checks shards against it (shards.h). plan.csv, in every run directory and
 * written by `bench plan`, is the plan as a table (README.md: "Clusters"). */
#ifndef BENCH_PLAN_H
#define BENCH_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct run_meta;
struct backend;
struct bench_case;

/* plan.csv: one row per group a shard runs, in execution order (by group,
 * then shard). `group` numbers the groups of the unsharded run; a warm-up
 * group (round 0) appears once for every shard that runs its case, since
 * every shard warms up the cases it measures. `backends` is space-separated:
 * every backend of the run, or the baseline alone where only it runs
 * (plan_group_baseline_only). */
#define PLAN_HEADER "group,shard,round,workload,threads,params,backends,cost_s"

struct plan_group {
    size_t id;         /* position in the unsharded order */
    int round;         /* 0: the warm-up round, whose rows are not written */
    size_t case_index; /* into run_meta.cases */
    int shard;         /* 1..shard_count */
    double cost_s;     /* expected seconds, every backend's process together */
};

struct run_plan {
    struct plan_group *groups; /* plan.csv's rows, in its order */
    size_t count;
    int shard, shard_count;    /* the shard this run takes; 1/1 unsharded */
    double *shard_cost_s;      /* each shard's expected seconds, [shard_count] */
    const char *costs_from;    /* the --costs run, or NULL: the model */
    char hash[17];             /* 64-bit FNV-1a of the canonical plan, hex */
};

/* Whether a run measures backend b on case c: a backend with home suites
 * (chosen by default) runs on their workloads alone. */
bool plan_backend_runs(const struct backend *b, const struct bench_case *c);

/* Whether group g runs under the baseline alone. A warm-up round decides
 * how many warm-up samples the measured processes of each backend take
 * (runner.c); a case that runs once per process (the real programs, the
 * fixed-duration workloads) has nothing to decide, so its warm-up group
 * only warms what every process reads (the program's files in the page
 * cache, the caches a program writes): one process does that for all. */
bool plan_group_baseline_only(const struct run_meta *m, const struct plan_group *g);

/* The same Fisher-Yates shuffle of order[0..n) on every machine (bench_rand
 * is xorshift): the plan's rounds, and the runner's extra rounds. */
void plan_shuffle(size_t *order, size_t n, uint64_t *rng);

/* Parses --shard's "I/N" (1 <= I <= N); a usage error otherwise. */
void plan_parse_shard(const char *text, int *shard, int *shard_count);

/* The plan of m's cases, backends, reps and seed, split into shard_count
 * shards balanced by expected cost; costs_dir (or NULL) is an earlier run
 * whose samples give the costs. Exits with a usage error when there are
 * more shards than measured groups or costs_dir is not a run. */
struct run_plan *plan_build(const struct run_meta *m, int shard, int shard_count,
                            const char *costs_dir);

/* The groups p->shard takes, warm-ups included. */
size_t plan_shard_group_count(const struct run_plan *p);

/* plan.csv. */
void plan_write_csv(FILE *f, const struct run_plan *p, const struct run_meta *m);

/* meta.json's "plan" object (after its key): hash, shard, groups, costs. */
void plan_write_json(FILE *f, const struct run_plan *p);

#endif
