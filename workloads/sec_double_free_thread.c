/* sec_double_free_thread: a 64-byte block freed by the thread that
 * allocated it, then again by another thread. The second free takes the
 * allocator's cross-thread path (a remote-free list, another arena's lock),
 * which often checks less than the local one. Follow-up, on the first
 * thread: 4096 mallocs of 64 bytes, checked for overlaps. */
#include <pthread.h>
#include "../harness/workload.h"

static void *free_it(void *p)
{
    free(bench_misuse_hide(p));
    return NULL;
}

static void body(void)
{
    bench_misuse_keep(malloc(64), 64); /* a neighbour in use: its page stays live */
    char *p = bench_misuse_hide(malloc(64));
    free(p);
    pthread_t t;
    bench_misuse_mark(BENCH_MISUSE_NEXT, NULL);
    if (pthread_create(&t, NULL, free_it, p) == 0)
        pthread_join(t, NULL);
    bench_misuse_mark(BENCH_MISUSE_AFTER, NULL);
    bench_misuse_churn(64);
}

static int run(struct bench_ctx *ctx) { return bench_misuse_run(ctx, body); }
BENCH_WORKLOAD(sec_double_free_thread,
               .summary = "misuse: a 64-byte block freed by its thread, then by another",
               .suites = "security", .tiny = "", .run = run);
