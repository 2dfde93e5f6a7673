/* prog_python_threads: a real multi-threaded program. python3 runs
 * workloads/programs/threads.py with --threads threads (default 4) in a
 * ring: each builds `records` records (dicts with strings of up to a few
 * hundred bytes and lists of up to 60 items, many of them beyond pymalloc's
 * small-object pools, so from malloc) in batches it hands to the next
 * thread, which sums and frees them: blocks freed by another thread than
 * the one that allocated them, threads interleaved by the GIL. Timed as a
 * whole under the backend, output compared with glibc's (each thread's sums
 * do not depend on the interleaving), allocator verified inside
 * (harness/workload.h, "Real programs"). Parameters: records; threads with
 * --threads. */
#include <stdio.h>
#include "../harness/workload.h"

static const struct bench_param params[] = {
    {"records", "25000", "3000", 1, 100000000, NULL, "records each thread builds"},
    {0},
};

static int run(struct bench_ctx *ctx)
{
    char records[32], threads[16];
    snprintf(records, sizeof records, "%lld", bench_param_int(ctx, "records"));
    snprintf(threads, sizeof threads, "%d", bench_threads(ctx));
    const char *argv[] = {"python3", "@threads.py", records, threads, NULL};
    bench_program_run(ctx, &(struct bench_program){.argv = argv, .package = "python3"});
    return 0;
}

BENCH_WORKLOAD(prog_python_threads, .summary = "real program, multi-threaded: python3 threads handing records round a ring",
               .params = params, .threaded = true, .default_threads = 4, .suites = "programs", .tiny = "records=1000",
               .run = run);
