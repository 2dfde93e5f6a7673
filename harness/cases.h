/* Workloads as the harness sees them: the registry of every compiled-in
 * workload, and "cases" (a workload with its resolved, validated parameters
 * and thread count), which are what a run measures. */
#ifndef BENCH_CASES_H
#define BENCH_CASES_H

#include <stdbool.h>
#include <stddef.h>
#include "workload.h"

/* ---- Registry ---- */
size_t workload_count(void);
const struct bench_workload *workload_at(size_t index); /* sorted by name */
const struct bench_workload *workload_find(const char *name);
size_t workload_param_count(const struct bench_workload *w);

/* ---- Cases ---- */
struct bench_case {
    const struct bench_workload *workload;
    char *label;    /* as selected and as written in the CSV, e.g. "mixed_sizes:max_size=65536" */
    char **values;  /* one resolved value per parameter of the workload */
    int threads;
};

/* A "key=value" given with --param, applying to every selected workload that
 * has the key (or "workload.key=value" for one workload). */
struct param_override {
    char *workload; /* NULL: every workload that has the key */
    char *key;
    char *value;
    bool used;
};

/* Resolves a selection such as "mixed_sizes:max_size=65536:touch=all" into a
 * case (threads still unset). Values come from the selection, then the
 * --param overrides, then the --quick value, then the default. Exits with a
 * usage error on an unknown workload, an unknown key or a bad value. */
struct bench_case *case_resolve(const char *selection, struct param_override *overrides,
                                size_t override_count, bool quick);

/* Checks one value against its parameter's type and bounds; on failure writes
 * why into `why` and returns false. */
bool param_value_valid(const struct bench_param *p, const char *value, char *why,
                       size_t why_size);

/* "key=value;key=value" for the CSV and meta.json. */
char *case_params_string(const struct bench_case *c);

#endif
