/* Workloads that misbehave on purpose, compiled only into build/tests/bench-test
 * so the harness tests can check how each kind of failure is recorded. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "../../harness/workload.h"

static const struct bench_param no_params[] = {{0}};

static int run_abort(struct bench_ctx *ctx)
{
    bench_region_begin(ctx);
    fputs("test_abort: aborting now\n", stderr);
    abort();
    return 0;
}
BENCH_WORKLOAD(test_abort, .summary = "aborts inside its timed region", .params = no_params,
               .run = run_abort);

static int run_hang(struct bench_ctx *ctx)
{
    bench_region_begin(ctx);
    for (;;)
        pause();
    return 0;
}
BENCH_WORKLOAD(test_hang, .summary = "never finishes", .params = no_params, .run = run_hang);

static int run_corrupt(struct bench_ctx *ctx)
{
    bench_region_begin(ctx);
    char *p = malloc(32);
    bench_fill(p, 32);
    p[7] ^= 1; /* what a corrupting allocator would do */
    size_t bad = bench_check(p, 32);
    if (bad != 32)
        bench_corrupt(ctx, "byte %zu of a 32-byte block changed", bad);
    bench_region_end(ctx);
    return 0;
}
BENCH_WORKLOAD(test_corrupt, .summary = "finds a corrupted block", .params = no_params,
               .run = run_corrupt);

static void crash_now(void)
{
    raise(SIGSEGV);
}
static int run_crash_at_exit(struct bench_ctx *ctx)
{
    bench_region_begin(ctx);
    bench_region_end(ctx);
    atexit(crash_now);
    return 0;
}
BENCH_WORKLOAD(test_crash_at_exit, .summary = "finishes, then crashes in an exit handler",
               .params = no_params, .run = run_crash_at_exit);
