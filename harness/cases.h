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

/* "workload:key=value:..." naming every parameter value: what the runner
 * passes to the measured child, and what tells two cases apart. */
char *case_full_selection(const struct bench_case *c);

/* ---- Planning a run ---- */

/* What the command line selected (options.h), to expand into cases. */
struct plan_request {
    const char *workloads; /* --workloads: selections, globs, name@threads */
    const char *suites;    /* --suite: suite names */
    const char *exclude;   /* --exclude: names or globs */
    const char *threads;   /* --threads */
    const char *const *params; /* every --param KEY=VALUE[,VALUE...] */
    size_t param_count;
    bool quick;
};

/* The cases of a run, in selection order: every selection (suites first,
 * then --workloads; DEFAULT_SUITE when neither is given), globs expanded,
 * exclusions dropped, one case per thread count of a threaded workload and
 * per value of a swept parameter. Cases that resolve to the same
 * configuration run once, and --threads given to a workload that is not
 * threaded is ignored, each said on stderr. Exits with a usage error on
 * anything it cannot resolve. */
struct bench_case **cases_plan(const struct plan_request *r, size_t *count);

#endif
