/* Real programs as workloads (bench_program_run in harness/workload.h): what
 * the measured child tells program.c about its run. Defined in child.c. */
#ifndef BENCH_PROGRAM_H
#define BENCH_PROGRAM_H

#include "workload.h"

const char *child_backend(const struct bench_ctx *ctx);
const char *child_run_dir(const struct bench_ctx *ctx);   /* NULL when not given */
const char *child_allocator_path(const struct bench_ctx *ctx);
const char *child_label(const struct bench_ctx *ctx);
/* Tells the runner to sample this pid's RSS for the timeline from now on. */
void child_report_sample_pid(struct bench_ctx *ctx, long pid);

/* The environment variable through which build/libbenchprobe.so learns the
 * file it appends "<pid>\t<exe>\t<library of malloc>\t<library of free>" to. */
#define PROBE_FILE_ENV "BENCH_PROBE_FILE"

#endif
