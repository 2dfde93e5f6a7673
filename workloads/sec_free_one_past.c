/* sec_free_one_past: free(p + 64) of a live 64-byte block, with a second
 * live 64-byte block allocated right after it. In a size-class allocator
 * one past the end is often the next block's start: the free then releases
 * the neighbour while its owner uses it, and no check of the pointer alone
 * can tell (only a header or a gap between blocks can). Follow-up: 4096
 * mallocs of 64 bytes, checked against each other and both live blocks. */
#include "../harness/workload.h"

static void body(void)
{
    char *p = malloc(64), *next = malloc(64);
    bench_misuse_keep(p, 64);
    bench_misuse_keep(next, 64);
    bench_misuse_mark(BENCH_MISUSE_NEXT, NULL);
    free(bench_misuse_hide(p + 64));
    bench_misuse_mark(BENCH_MISUSE_AFTER, NULL);
    bench_misuse_churn(64);
}

static int run(struct bench_ctx *ctx) { return bench_misuse_run(ctx, body); }
BENCH_WORKLOAD(sec_free_one_past,
               .summary = "misuse: free(p + 64), one past the end of a live 64-byte block",
               .suites = "security", .tiny = "", .run = run);
