/* sec_double_free_medium: a 20000-byte block freed twice in a row. Medium
 * sizes take other paths than small ones (glibc: no tcache, its unsorted
 * bin and chunk flags; page-based allocators: multi-block or dedicated
 * pages), and checks that cover the small path may be missing here.
 * Follow-up: 13 mallocs of 20000 bytes, checked for overlaps. */
#include "../harness/workload.h"

static void body(void)
{
    bench_misuse_keep(malloc(20000), 20000); /* a neighbour in use: its page stays live */
    char *p = bench_misuse_hide(malloc(20000));
    free(p);
    bench_misuse_mark(BENCH_MISUSE_NEXT, NULL);
    free(bench_misuse_hide(p));
    bench_misuse_mark(BENCH_MISUSE_AFTER, NULL);
    bench_misuse_churn(20000);
}

static int run(struct bench_ctx *ctx) { return bench_misuse_run(ctx, body); }
BENCH_WORKLOAD(sec_double_free_medium, .summary = "misuse: free(p); free(p) of a 20000-byte block",
               .suites = "security", .tiny = "", .run = run);
