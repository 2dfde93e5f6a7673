/* sec_calloc_overflow: calloc(SIZE_MAX / 16 + 2, 16), whose byte count
 * wraps around to 16. calloc must check the multiplication and return NULL
 * (`detected`: refused); an allocator that multiplies blindly returns a
 * 16-byte block for an array the program believes is huge, and the
 * program's first 4 KiB of writes into it land on its neighbours (corrupted
 * state). Follow-up after such a block: 4096 mallocs of 64 bytes. */
#include <stdint.h>
#include <string.h>
#include "../harness/workload.h"

static void body(void)
{
    volatile size_t count = SIZE_MAX / 16 + 2; /* no compile-time warning */
    bench_misuse_mark(BENCH_MISUSE_NEXT, NULL);
    char *p = calloc(count, 16);
    if (!p) {
        bench_misuse_mark(BENCH_MISUSE_REFUSED, "calloc returned NULL");
        bench_misuse_mark(BENCH_MISUSE_AFTER, NULL);
        return;
    }
    bench_misuse_mark(BENCH_MISUSE_SPREAD, "calloc of a wrapped size returned a block");
    memset(p, 0x41, 4096);
    bench_misuse_mark(BENCH_MISUSE_AFTER, NULL);
    bench_misuse_churn(64);
}

static int run(struct bench_ctx *ctx) { return bench_misuse_run(ctx, body); }
BENCH_WORKLOAD(sec_calloc_overflow,
               .summary = "misuse: calloc(n, size) whose n * size wraps around",
               .suites = "security", .tiny = "", .run = run);
