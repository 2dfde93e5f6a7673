/* sec_usable_size_foreign: malloc_usable_size() of a pointer into a private
 * 1 MiB mmap filled with data (memory the allocator never gave out). The
 * right answer is 0 or a stop; a size read from whatever lies in front of
 * the pointer is one a program would trust and write up to. Outcome: 0 is
 * `detected` (refused); a fault or an abort at the call is `detected`; any
 * other size is corrupted state (`silent`, corrupted 1). */
#include <malloc.h>
#include <stdio.h>
#include "../harness/workload.h"

static void body(void)
{
    char *foreign = bench_misuse_foreign(1 << 20);
    bench_misuse_mark(BENCH_MISUSE_NEXT, NULL);
    size_t size = malloc_usable_size(bench_misuse_hide(foreign + 65536 + 64));
    char what[64];
    snprintf(what, sizeof what, "malloc_usable_size said %zu", size);
    bench_misuse_mark(size ? BENCH_MISUSE_SPREAD : BENCH_MISUSE_REFUSED, what);
    bench_misuse_mark(BENCH_MISUSE_AFTER, NULL);
}

static int run(struct bench_ctx *ctx) { return bench_misuse_run(ctx, body); }
BENCH_WORKLOAD(sec_usable_size_foreign,
               .summary = "misuse: malloc_usable_size() of a pointer into a private mmap",
               .suites = "security", .tiny = "", .run = run);
