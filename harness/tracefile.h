/* Where the replay workload (workloads/replay.c) finds a trace by its short
 * name: the traces that `make` unpacks from workloads/traces/NAME.trace.xz
 * into the build directory's traces/ folder. Part of the workload API for
 * that one workload; kept apart from workload.h while it is the only user. */
#ifndef BENCH_TRACEFILE_H
#define BENCH_TRACEFILE_H

#include "workload.h"

/* Absolute path of build/traces/NAME.trace (static buffer); ends the run
 * with status `error` when it is not there. */
const char *bench_trace_file(struct bench_ctx *ctx, const char *name);

#endif
