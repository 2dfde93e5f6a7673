/* sec_double_free: a small block (64 bytes) freed twice in a row. The
 * simplest double free: an allocator that keeps a per-block state (glibc's
 * tcache key, a header's state, a page's free bitmap) sees it; one that
 * only pushes the block on a free list links the block to itself, and the
 * follow-up (4096 mallocs of 64 bytes) then gets the same block twice. */
#include "../harness/workload.h"

static void body(void)
{
    bench_misuse_keep(malloc(64), 64); /* a neighbour in use: its page stays live */
    char *p = bench_misuse_hide(malloc(64));
    free(p);
    bench_misuse_mark(BENCH_MISUSE_NEXT, NULL);
    free(bench_misuse_hide(p));
    bench_misuse_mark(BENCH_MISUSE_AFTER, NULL);
    bench_misuse_churn(64);
}

static int run(struct bench_ctx *ctx) { return bench_misuse_run(ctx, body); }
BENCH_WORKLOAD(sec_double_free, .summary = "misuse: free(p); free(p) of a 64-byte block",
               .suites = "security", .tiny = "", .run = run);
