/* sec_double_free_reused: a 64-byte block freed, handed out again by the next
 * malloc of its size (most allocators reuse the last block freed at once),
 * and then freed through the old pointer while the new owner still uses it.
 * To a per-block state this free looks valid, so only an allocator that
 * delays reuse (a quarantine, randomised free lists) can see a second free
 * of a free block. Otherwise the new owner's block is freed under it: the
 * follow-up's mallocs (4096 of 64 bytes) return memory inside it. */
#include "../harness/workload.h"

static void body(void)
{
    char *p = bench_misuse_hide(malloc(64));
    free(p);
    bench_misuse_keep(malloc(64), 64); /* the new owner */
    bench_misuse_mark(BENCH_MISUSE_NEXT, NULL);
    free(bench_misuse_hide(p));
    bench_misuse_mark(BENCH_MISUSE_AFTER, NULL);
    bench_misuse_churn(64);
}

static int run(struct bench_ctx *ctx) { return bench_misuse_run(ctx, body); }
BENCH_WORKLOAD(sec_double_free_reused,
               .summary = "misuse: double free of a 64-byte block after a malloc reused it",
               .suites = "security", .tiny = "", .run = run);
