/* sec_overflow_1: an off-by-one write: one byte past the end of a live
 * 24-byte block, among 16 live ones, and then all of them freed. Where the
 * allocator keeps a header after the block (glibc: the next chunk's size
 * field sits right after 24 usable bytes) the byte changes metadata that
 * the frees then trust; where blocks are packed by size class it lands in
 * the next block's data or in padding, and no allocator can see it.
 * Follow-up: 4096 mallocs of 24 bytes, checked for overlaps. */
#include "../harness/workload.h"

static void body(void)
{
    bench_misuse_overflow(24, 1, false);
}

static int run(struct bench_ctx *ctx) { return bench_misuse_run(ctx, body); }
BENCH_WORKLOAD(sec_overflow_1, .summary = "misuse: 1 byte past a 24-byte block, then free",
               .suites = "security", .tiny = "", .run = run);
