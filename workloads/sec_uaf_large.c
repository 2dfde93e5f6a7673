/* sec_uaf_large: a write after free into a freed 1 MiB block. An allocator
 * that unmaps large blocks at once makes the write fault at the misuse; one
 * that caches them (for speed) lets the write land in its cache, and the
 * next 1 MiB malloc returns the written memory. Follow-up: 4 mallocs of
 * 1 MiB, checked for overlaps. */
#include <string.h>
#include "../harness/workload.h"

static void body(void)
{
    char *p = bench_misuse_hide(malloc(1 << 20));
    free(p);
    bench_misuse_mark(BENCH_MISUSE_NEXT, NULL);
    memset(bench_misuse_hide(p), 0x41, 4096);
    bench_misuse_mark(BENCH_MISUSE_AFTER, NULL);
    bench_misuse_churn(1 << 20);
}

static int run(struct bench_ctx *ctx) { return bench_misuse_run(ctx, body); }
BENCH_WORKLOAD(sec_uaf_large, .summary = "misuse: a write into a freed 1 MiB block",
               .suites = "security", .tiny = "", .run = run);
