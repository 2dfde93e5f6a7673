/* sec_uaf_reused: a 64-byte block freed, the next malloc of its size given
 * to a new owner who fills it, and then a write through the old pointer.
 * No allocator call lies between reuse and write, so none can catch it;
 * what differs is whether the block was handed out again at once (LIFO
 * reuse: the write lands in the new owner's data) or later (a quarantine,
 * randomised free lists: it lands in free memory). Follow-up: the new
 * owner's block checked, then 4096 mallocs of 64 bytes against it. */
#include <string.h>
#include "../harness/workload.h"

static void body(void)
{
    char *p = bench_misuse_hide(malloc(64));
    free(p);
    bench_misuse_keep(malloc(64), 64); /* the new owner */
    bench_misuse_mark(BENCH_MISUSE_NEXT, NULL);
    memset((char *)bench_misuse_hide(p) + 16, 0x41, 16);
    bench_misuse_mark(BENCH_MISUSE_AFTER, NULL);
    bench_misuse_churn(64);
}

static int run(struct bench_ctx *ctx) { return bench_misuse_run(ctx, body); }
BENCH_WORKLOAD(sec_uaf_reused,
               .summary = "misuse: a write through a stale pointer after its block was reused",
               .suites = "security", .tiny = "", .run = run);
