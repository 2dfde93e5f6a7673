/* sec_double_free_large: a 1 MiB block freed twice in a row. Large blocks
 * are usually mapped on their own and unmapped or cached on free: the
 * second free reads a header that is gone (a fault at the misuse) or that a
 * cache still holds (the block cached twice). Follow-up: 4 mallocs of 1 MiB,
 * checked for overlaps. */
#include "../harness/workload.h"

static void body(void)
{
    char *p = bench_misuse_hide(malloc(1 << 20));
    free(p);
    bench_misuse_mark(BENCH_MISUSE_NEXT, NULL);
    free(bench_misuse_hide(p));
    bench_misuse_mark(BENCH_MISUSE_AFTER, NULL);
    bench_misuse_churn(1 << 20);
}

static int run(struct bench_ctx *ctx) { return bench_misuse_run(ctx, body); }
BENCH_WORKLOAD(sec_double_free_large, .summary = "misuse: free(p); free(p) of a 1 MiB block",
               .suites = "security", .tiny = "", .run = run);
