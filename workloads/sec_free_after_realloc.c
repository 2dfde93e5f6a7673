/* sec_free_after_realloc: a 32-byte block grown by realloc to 1 MiB (which
 * moves it: another size class, a mapping of its own), then freed through
 * the old pointer. realloc already freed the old block, so this is a double
 * free that the program cannot see in its own code. Follow-up: 4096 mallocs
 * of 32 bytes, checked for overlaps and against the moved block. */
#include "../harness/workload.h"

static void body(void)
{
    bench_misuse_keep(malloc(32), 32); /* a neighbour in use: its page stays live */
    char *p = bench_misuse_hide(malloc(32));
    char *moved = realloc(p, 1 << 20);
    bench_misuse_keep(moved, 1 << 20);
    bench_misuse_mark(BENCH_MISUSE_NEXT, NULL);
    free(bench_misuse_hide(p));
    bench_misuse_mark(BENCH_MISUSE_AFTER, NULL);
    bench_misuse_churn(32);
}

static int run(struct bench_ctx *ctx) { return bench_misuse_run(ctx, body); }
BENCH_WORKLOAD(sec_free_after_realloc,
               .summary = "misuse: free of the old pointer after realloc moved the block",
               .suites = "security", .tiny = "", .run = run);
