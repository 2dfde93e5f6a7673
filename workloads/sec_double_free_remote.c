/* sec_double_free_remote: a 64-byte block freed twice by a thread that did
 * not allocate it. Both frees go to the owner's cross-thread list (a
 * remote-free list that the owner drains later): pushed twice, the list can
 * point to itself, and the owner's next drain spins or hands the block out
 * twice. Follow-up, on the owner: 4096 mallocs of 64 bytes (they drain the
 * list), checked for overlaps. A hang here is the outcome `timeout`. */
#include <pthread.h>
#include "../harness/workload.h"

static void *free_twice(void *p)
{
    free(bench_misuse_hide(p));
    bench_misuse_mark(BENCH_MISUSE_NEXT, NULL);
    free(bench_misuse_hide(p));
    bench_misuse_mark(BENCH_MISUSE_AFTER, NULL);
    return NULL;
}

static void body(void)
{
    bench_misuse_keep(malloc(64), 64); /* a neighbour in use: its page stays live */
    char *p = bench_misuse_hide(malloc(64));
    pthread_t t;
    if (pthread_create(&t, NULL, free_twice, p) != 0)
        return; /* no misuse: the run ends `error` */
    pthread_join(t, NULL);
    bench_misuse_churn(64);
}

static int run(struct bench_ctx *ctx) { return bench_misuse_run(ctx, body); }
BENCH_WORKLOAD(sec_double_free_remote,
               .summary = "misuse: another thread frees a 64-byte block twice",
               .suites = "security", .tiny = "", .run = run);
