/* sec_malloc_huge: malloc(SIZE_MAX / 2), more than any address space holds.
 * The answer must be NULL (`detected`: refused); an allocator whose size
 * arithmetic (rounding up, adding a header) wraps returns a small block the
 * program then writes far beyond: the follow-up writes its last byte
 * (corrupted state, then most likely a fault). */
#include <stdint.h>
#include "../harness/workload.h"

static void body(void)
{
    volatile size_t size = SIZE_MAX / 2; /* no compile-time warning */
    bench_misuse_mark(BENCH_MISUSE_NEXT, NULL);
    char *p = malloc(size);
    if (!p) {
        bench_misuse_mark(BENCH_MISUSE_REFUSED, "malloc returned NULL");
        bench_misuse_mark(BENCH_MISUSE_AFTER, NULL);
        return;
    }
    bench_misuse_mark(BENCH_MISUSE_SPREAD, "malloc(SIZE_MAX / 2) returned a block");
    bench_misuse_mark(BENCH_MISUSE_AFTER, NULL);
    p[size - 1] = 1;
}

static int run(struct bench_ctx *ctx) { return bench_misuse_run(ctx, body); }
BENCH_WORKLOAD(sec_malloc_huge, .summary = "misuse: malloc(SIZE_MAX / 2)",
               .suites = "security", .tiny = "", .run = run);
