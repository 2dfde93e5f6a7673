/* sec_uaf_write: a write after free into the data of a freed 64-byte block
 * (bytes 16 to 63, leaving the words where allocators keep links and keys),
 * before a later malloc hands the block out again. Only an allocator that
 * fills freed blocks and checks the fill when it reuses them (a
 * write-after-free check) can see it. Follow-up: 4096 mallocs of 64 bytes,
 * checked for overlaps. */
#include <string.h>
#include "../harness/workload.h"

static void body(void)
{
    bench_misuse_keep(malloc(64), 64); /* a neighbour in use: its page stays live */
    char *p = bench_misuse_hide(malloc(64));
    free(p);
    bench_misuse_mark(BENCH_MISUSE_NEXT, NULL);
    memset((char *)bench_misuse_hide(p) + 16, 0x41, 48);
    bench_misuse_mark(BENCH_MISUSE_AFTER, NULL);
    bench_misuse_churn(64);
}

static int run(struct bench_ctx *ctx) { return bench_misuse_run(ctx, body); }
BENCH_WORKLOAD(sec_uaf_write,
               .summary = "misuse: a freed 64-byte block's data written before it is reused",
               .suites = "security", .tiny = "", .run = run);
