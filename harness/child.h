/* The measured process: started by the runner with LD_PRELOAD already set,
 * it proves which allocator runs, then runs one sample of the workload each
 * time the runner asks, and reports on a pipe. The runner writes commands on
 * the control pipe, one per line:
 *   sample 1 | sample 0     run the workload once (0: a warm-up sample)
 *   stop                    (or end of file) finish and exit
 * and the child answers on the report pipe (tab-separated lines):
 *   allocator  <path> <version>      after verification
 *   ready                            verified, waiting for commands
 *   sample     <index> <1|0>         a sample begins (1: measured)
 *   metric     <name> <value> <unit> of the current sample; after "stop",
 *                                    of the whole process (peak_rss_kib, ...)
 *   sample_end <index>
 *   status     <ok|preload_failed|corrupt|error|missing|...> <detail>
 *   sample_pid <pid>   (the process whose RSS the timeline follows from now)
 * Only the runner reads it. Everything outside a sample (exec, verification,
 * waiting for the next command) is outside every measurement. */
#ifndef BENCH_CHILD_H
#define BENCH_CHILD_H

/* The hidden subcommand the runner execs: `bench __child ...`. */
#define CHILD_SUBCOMMAND "__child"

/* Exit codes of the child that carry meaning for the runner. */
enum { CHILD_EXIT_OK = 0, CHILD_EXIT_FAILED = 3 };

#include <stddef.h>

/* What the runner tells a child on its command line. One table in child.c
 * writes these as arguments (child_argv, in the runner) and reads them back
 * (child_main), so the two sides cannot drift apart. */
struct child_args {
    const char *backend;
    const char *library;   /* NULL: no preload (the C library) */
    const char *selection; /* every parameter value: "workload:key=value:..." */
    const char *run_dir;
    const char *callgrind_dir; /* NULL unless counting instructions */
    long long threads, report_fd, control_fd;
    long long latency, perf; /* 1: asked for */
};

#define CHILD_MAX_ARGS 24

/* Appends `bench __child` arguments for `a` to argv (after argv[0]), using
 * `numbers` for the digits; returns the new argument count. argv needs room
 * for CHILD_MAX_ARGS more entries. */
int child_argv(const struct child_args *a, char **argv, int argc, char numbers[][24]);

/* Entry point for `bench __child ARGS`. Never returns. */
_Noreturn void child_main(int argc, char **argv);

#endif
