/* sec_realloc_freed: realloc(p, 128) of a 64-byte block already freed.
 * realloc reads the block's size and may free it again after copying, so a
 * state check in free catches it there; without one the freed block is
 * both on a free list and copied from, and may be handed out twice. A NULL
 * (with 64 bytes to spare, no shortage of memory) is a refusal: `detected`.
 * Follow-up: the new block filled, then 4096 mallocs of 64 bytes checked
 * against each other and it. */
#include "../harness/workload.h"

static void body(void)
{
    bench_misuse_keep(malloc(64), 64); /* a neighbour in use: its page stays live */
    char *p = bench_misuse_hide(malloc(64));
    free(p);
    bench_misuse_mark(BENCH_MISUSE_NEXT, NULL);
    char *q = realloc(bench_misuse_hide(p), 128);
    if (!q)
        bench_misuse_mark(BENCH_MISUSE_REFUSED, "realloc returned NULL");
    bench_misuse_mark(BENCH_MISUSE_AFTER, NULL);
    if (!q)
        return;
    bench_misuse_keep(q, 128);
    bench_misuse_churn(64);
}

static int run(struct bench_ctx *ctx) { return bench_misuse_run(ctx, body); }
BENCH_WORKLOAD(sec_realloc_freed, .summary = "misuse: realloc() of a freed 64-byte block",
               .suites = "security", .tiny = "", .run = run);
