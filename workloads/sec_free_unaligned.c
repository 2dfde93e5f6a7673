/* sec_free_unaligned: free(p + 1) of a live 64-byte block. No block starts
 * at an odd address, so the cheapest check there is (the pointer's
 * alignment) catches it; without it, the header read in front of p + 1 is
 * the block's own data shifted by a byte. Follow-up: 4096 mallocs of 64
 * bytes, checked against each other and the live block. */
#include "../harness/workload.h"

static void body(void)
{
    char *p = malloc(64);
    bench_misuse_keep(p, 64);
    bench_misuse_mark(BENCH_MISUSE_NEXT, NULL);
    free(bench_misuse_hide(p + 1));
    bench_misuse_mark(BENCH_MISUSE_AFTER, NULL);
    bench_misuse_churn(64);
}

static int run(struct bench_ctx *ctx) { return bench_misuse_run(ctx, body); }
BENCH_WORKLOAD(sec_free_unaligned, .summary = "misuse: free(p + 1) of a live 64-byte block",
               .suites = "security", .tiny = "", .run = run);
