/* sec_free_static: free() of an address inside a static array (4 KiB in the
 * program's data segment, filled with a constant). Like sec_free_stack,
 * for memory that lies among the program's own mappings rather than apart
 * from them. Follow-up: 4096 mallocs of 64 bytes, checked against each other
 * and the array. */
#include "../harness/workload.h"

static _Alignas(4096) char area[4096];

static void body(void)
{
    bench_misuse_keep(area, sizeof area);
    bench_misuse_mark(BENCH_MISUSE_NEXT, NULL);
    free(bench_misuse_hide(area + 1024));
    bench_misuse_mark(BENCH_MISUSE_AFTER, NULL);
    bench_misuse_churn(64);
}

static int run(struct bench_ctx *ctx) { return bench_misuse_run(ctx, body); }
BENCH_WORKLOAD(sec_free_static, .summary = "misuse: free() of a static address",
               .suites = "security", .tiny = "", .run = run);
