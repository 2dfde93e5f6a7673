/* sec_free_stack: free() of an address on the caller's stack (a 256-byte
 * local array). An allocator that can tell its own memory from everything
 * else (a range check, a page map lookup) refuses it; one that trusts a
 * header or rounds down to a segment reads whatever lies there, and may
 * later hand the stack out as a block. Follow-up: 4096 mallocs of 64 bytes,
 * checked against each other and the array. */
#include "../harness/workload.h"

static void body(void)
{
    _Alignas(64) char local[256];
    bench_misuse_keep(local, sizeof local);
    bench_misuse_mark(BENCH_MISUSE_NEXT, NULL);
    free(bench_misuse_hide(local + 64));
    bench_misuse_mark(BENCH_MISUSE_AFTER, NULL);
    bench_misuse_churn(64);
}

static int run(struct bench_ctx *ctx) { return bench_misuse_run(ctx, body); }
BENCH_WORKLOAD(sec_free_stack, .summary = "misuse: free() of a stack address",
               .suites = "security", .tiny = "", .run = run);
