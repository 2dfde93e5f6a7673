/* sec_free_foreign: free() of a pointer into memory the allocator never
 * gave out: a private 1 MiB mmap, as another allocator in the process
 * (a runtime's own heap, a memory pool) would hold, filled with data.
 * Follow-up: 4096 mallocs of 64 bytes, checked against each other and the
 * mapping (an allocator that took the pointer in may hand it out). */
#include "../harness/workload.h"

static void body(void)
{
    char *foreign = bench_misuse_foreign(1 << 20);
    bench_misuse_mark(BENCH_MISUSE_NEXT, NULL);
    free(bench_misuse_hide(foreign + 65536 + 64));
    bench_misuse_mark(BENCH_MISUSE_AFTER, NULL);
    bench_misuse_churn(64);
}

static int run(struct bench_ctx *ctx) { return bench_misuse_run(ctx, body); }
BENCH_WORKLOAD(sec_free_foreign, .summary = "misuse: free() of a pointer into a private mmap",
               .suites = "security", .tiny = "", .run = run);
