/* sec_double_free_delayed: a 64-byte block freed, then eight other blocks of
 * its size, then the first one again. The block is no longer at the head of
 * its free list, so a check that looks only at the last block freed (glibc's
 * fastbin "fasttop" test) misses it; a per-block state or a search of the
 * list finds it. Follow-up: 4096 mallocs of 64 bytes, checked for overlaps. */
#include "../harness/workload.h"

static void body(void)
{
    bench_misuse_keep(malloc(64), 64); /* a neighbour in use: its page stays live */
    char *p = bench_misuse_hide(malloc(64)), *other[8];
    for (int i = 0; i < 8; i++)
        other[i] = malloc(64);
    free(p);
    for (int i = 0; i < 8; i++)
        free(other[i]);
    bench_misuse_mark(BENCH_MISUSE_NEXT, NULL);
    free(bench_misuse_hide(p));
    bench_misuse_mark(BENCH_MISUSE_AFTER, NULL);
    bench_misuse_churn(64);
}

static int run(struct bench_ctx *ctx) { return bench_misuse_run(ctx, body); }
BENCH_WORKLOAD(sec_double_free_delayed,
               .summary = "misuse: double free of a 64-byte block after eight other frees",
               .suites = "security", .tiny = "", .run = run);
