/* sec_free_interior_medium: free(p + 4096) of a live 20000-byte block. Like
 * sec_free_interior, for a medium block: a page-based allocator that maps
 * the pointer to its page and rounds down to a block start (or trusts a
 * page boundary) must notice that p + 4096 is not one. Follow-up: 13 mallocs
 * of 20000 bytes, checked against each other and the live block. */
#include "../harness/workload.h"

static void body(void)
{
    char *p = malloc(20000);
    bench_misuse_keep(p, 20000);
    bench_misuse_mark(BENCH_MISUSE_NEXT, NULL);
    free(bench_misuse_hide(p + 4096));
    bench_misuse_mark(BENCH_MISUSE_AFTER, NULL);
    bench_misuse_churn(20000);
}

static int run(struct bench_ctx *ctx) { return bench_misuse_run(ctx, body); }
BENCH_WORKLOAD(sec_free_interior_medium,
               .summary = "misuse: free(p + 4096) of a live 20000-byte block",
               .suites = "security", .tiny = "", .run = run);
