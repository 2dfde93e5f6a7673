/* sec_overflow_64: 64 bytes written past the end of a live 64-byte block,
 * among 16 live ones, then all of them freed: a whole neighbouring block (or
 * its header and the start of its data) overwritten. A canary after the
 * block or a checksummed header of the neighbour (scudo) is checked at the
 * frees; packed blocks without either hide it. Follow-up: 4096 mallocs of 64
 * bytes, checked for overlaps. */
#include "../harness/workload.h"

static void body(void)
{
    bench_misuse_overflow(64, 64, false);
}

static int run(struct bench_ctx *ctx) { return bench_misuse_run(ctx, body); }
BENCH_WORKLOAD(sec_overflow_64, .summary = "misuse: 64 bytes past a 64-byte block, then free",
               .suites = "security", .tiny = "", .run = run);
