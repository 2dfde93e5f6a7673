/* The runner: the process that is not measured. It plans the matrix of
 * backends x cases x repetitions, runs each measurement in a fresh child
 * process with that backend preloaded, enforces the time limit, classifies
 * how the child ended, and appends every finished row to results.csv. */
#ifndef BENCH_RUNNER_H
#define BENCH_RUNNER_H

#include "meta.h"

struct run_config {
    struct run_meta meta;  /* backends, cases (threads set), reps, seed, ... */
    const char *run_dir;   /* created by the caller, empty */
    const char *latest_link; /* symlink to update at the end, or NULL */
    bool quiet;              /* no progress lines */
};

/* Runs the whole matrix; returns the harness's exit status (0 when every run
 * ended ok). */
int runner_run(struct run_config *cfg);

#endif
