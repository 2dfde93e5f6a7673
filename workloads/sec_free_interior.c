/* sec_free_interior: free(p + 16) of a live 64-byte block. An allocator that
 * finds a block's metadata from the pointer (a header in front, a size
 * class from the page) must check that the pointer is a block's start; one
 * that does not frees a block that starts in the middle of a live one, and a
 * later malloc hands out memory the owner still uses. Follow-up: 4096 mallocs
 * of 64 bytes, checked against each other and the live block. */
#include "../harness/workload.h"

static void body(void)
{
    char *p = malloc(64);
    bench_misuse_keep(p, 64);
    bench_misuse_mark(BENCH_MISUSE_NEXT, NULL);
    free(bench_misuse_hide(p + 16));
    bench_misuse_mark(BENCH_MISUSE_AFTER, NULL);
    bench_misuse_churn(64);
}

static int run(struct bench_ctx *ctx) { return bench_misuse_run(ctx, body); }
BENCH_WORKLOAD(sec_free_interior, .summary = "misuse: free(p + 16) of a live 64-byte block",
               .suites = "security", .tiny = "", .run = run);
