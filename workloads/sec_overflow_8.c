/* sec_overflow_8: eight bytes written past the end of a 64-byte block whose
 * neighbours were freed first, then the rest freed. In an allocator that
 * keeps its free list inside free blocks, the next block's first word is
 * its link: the overflow turns it into a wild pointer that a later malloc
 * follows (unless links are encoded or checked); with headers the word is
 * the next chunk's size or a slack word. Follow-up: 4096 mallocs of 64 bytes,
 * checked for overlaps. */
#include "../harness/workload.h"

static void body(void)
{
    bench_misuse_overflow(64, 8, true);
}

static int run(struct bench_ctx *ctx) { return bench_misuse_run(ctx, body); }
BENCH_WORKLOAD(sec_overflow_8,
               .summary = "misuse: 8 bytes past a 64-byte block into a free neighbour, then free",
               .suites = "security", .tiny = "", .run = run);
