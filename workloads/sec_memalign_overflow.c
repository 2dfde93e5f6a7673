/* sec_memalign_overflow: posix_memalign with alignment 4096 and size
 * SIZE_MAX - 4000: size plus the alignment's slack wraps around. The answer
 * must be ENOMEM (`detected`: refused); an allocator that adds before it
 * checks returns a small block, and the follow-up's 64 KiB of writes into it
 * land on other memory (corrupted state). Then 4096 mallocs of 64 bytes. */
#include <stdint.h>
#include <string.h>
#include "../harness/workload.h"

static void body(void)
{
    void *p = NULL;
    volatile size_t size = SIZE_MAX - 4000; /* no compile-time warning */
    bench_misuse_mark(BENCH_MISUSE_NEXT, NULL);
    if (posix_memalign(&p, 4096, size) != 0 || !p) {
        bench_misuse_mark(BENCH_MISUSE_REFUSED, "posix_memalign failed");
        bench_misuse_mark(BENCH_MISUSE_AFTER, NULL);
        return;
    }
    bench_misuse_mark(BENCH_MISUSE_SPREAD, "posix_memalign of a wrapping size returned a block");
    memset(p, 0x41, 65536);
    bench_misuse_mark(BENCH_MISUSE_AFTER, NULL);
    bench_misuse_churn(64);
}

static int run(struct bench_ctx *ctx) { return bench_misuse_run(ctx, body); }
BENCH_WORKLOAD(sec_memalign_overflow, .summary = "misuse: posix_memalign(4096, SIZE_MAX - 4000)",
               .suites = "security", .tiny = "", .run = run);
