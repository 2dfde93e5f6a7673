/* sec_double_free_interleaved: free(a); free(b); free(a) of 64-byte blocks,
 * after seven other blocks of the size filled the thread's cache. The
 * classic "dup" pattern: a check of the list head passes (b is on top), so
 * an allocator that checks only that (glibc's fastbins, once its 7-entry
 * tcache is full) puts a on its list twice, and two later mallocs return
 * the same block. Follow-up: 4096 mallocs of 64 bytes, checked for overlaps. */
#include "../harness/workload.h"

static void body(void)
{
    bench_misuse_keep(malloc(64), 64); /* a neighbour in use: its page stays live */
    char *cache[7], *a = bench_misuse_hide(malloc(64)), *b = malloc(64);
    for (int i = 0; i < 7; i++)
        cache[i] = malloc(64);
    for (int i = 0; i < 7; i++)
        free(cache[i]);
    free(a);
    free(b);
    bench_misuse_mark(BENCH_MISUSE_NEXT, NULL);
    free(bench_misuse_hide(a));
    bench_misuse_mark(BENCH_MISUSE_AFTER, NULL);
    bench_misuse_churn(64);
}

static int run(struct bench_ctx *ctx) { return bench_misuse_run(ctx, body); }
BENCH_WORKLOAD(sec_double_free_interleaved,
               .summary = "misuse: free(a); free(b); free(a) after the thread cache filled",
               .suites = "security", .tiny = "", .run = run);
