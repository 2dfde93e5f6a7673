/* thread_churn: short-lived threads, created and joined in waves. Each
 * thread allocates `objects` blocks of random small sizes, filled with the
 * content pattern; it checks and frees most of them itself, checks and frees
 * the blocks the previous wave left behind, and leaves one block in
 * `keep_every` for the next wave. Stresses what an allocator does when a
 * thread exits with memory in its caches (given back, orphaned, or kept per
 * thread), remote frees of blocks whose owner has exited, and thread start
 * costs; the harness's peak_rss_kib shows the memory this leaves behind.
 * Design: the thread-churn tests of the allocator literature (e.g. thousands
 * of short-lived threads each leaving 1/128 of its objects alive), written
 * from that description.
 * Parameters: waves, objects (per thread), keep_every, min_size, max_size,
 * seed; threads per wave with --threads. */
#include <pthread.h>
#include <stdlib.h>
#include "../harness/workload.h"

static const struct bench_param params[] = {
    {"waves", "250", "20", 1, 1000000, NULL, "waves of threads, created then joined"},
    {"objects", "2000", "500", 1, 100000000, NULL, "blocks each thread allocates"},
    {"keep_every", "128", NULL, 1, 1000000, NULL, "one block in this many is left for the next wave"},
    {"min_size", "16", NULL, 1, 1 << 30, NULL, "smallest block, bytes"},
    {"max_size", "256", NULL, 1, 1 << 30, NULL, "largest block, bytes"},
    {"seed", "42", NULL, 1, INT64_MAX, NULL, "PRNG seed"},
    {0},
};

struct block {
    char *p;
    size_t size;
};

struct job {
    struct bench_ctx *ctx;
    long long objects, keep_every;
    uint64_t min_size, max_size, rng;
    struct block *inherited, *kept; /* the previous wave's blocks, this wave's */
    size_t inherited_count, kept_count;
    struct block *own;              /* scratch array, allocated before the region */
};

static void check_and_free(struct job *j, struct bench_lat *lat, struct block b, bool remote)
{
    bench_verify(j->ctx, b.p, b.size, NULL);
    bench_free_kind(lat, b.p, remote ? BENCH_LAT_FREE_REMOTE : BENCH_LAT_FREE);
}

static void *thread_main(void *arg)
{
    struct job *j = arg;
    struct bench_lat *lat = bench_lat_recorder(j->ctx);
    for (long long i = 0; i < j->objects; i++) {
        size_t size = (size_t)bench_rand_range(&j->rng, j->min_size, j->max_size);
        char *p = bench_need(j->ctx, bench_malloc(lat, size), size);
        bench_fill(p, size);
        j->own[i] = (struct block){p, size};
    }
    for (size_t i = 0; i < j->inherited_count; i++)
        check_and_free(j, lat, j->inherited[i], true);
    j->kept_count = 0;
    for (long long i = 0; i < j->objects; i++) {
        if (i % j->keep_every == 0)
            j->kept[j->kept_count++] = j->own[i];
        else
            check_and_free(j, lat, j->own[i], false);
    }
    return NULL;
}

static int run(struct bench_ctx *ctx)
{
    int threads = bench_threads(ctx);
    long long waves = bench_param_int(ctx, "waves");
    long long objects = bench_param_int(ctx, "objects");
    long long keep_every = bench_param_int(ctx, "keep_every");
    size_t keep_max = (size_t)(objects / keep_every + 1);
    struct job jobs[threads];
    /* Two sets of kept arrays, swapped each wave: the arrays are the
     * harness's bookkeeping and stay outside the timed region. */
    struct block *kept[2][threads];
    for (int t = 0; t < threads; t++) {
        jobs[t] = (struct job){
            .ctx = ctx, .objects = objects, .keep_every = keep_every,
            .min_size = (uint64_t)bench_param_int(ctx, "min_size"),
            .max_size = (uint64_t)bench_param_int(ctx, "max_size"),
            .rng = (uint64_t)bench_param_int(ctx, "seed") + (uint64_t)t,
            .own = calloc((size_t)objects, sizeof(struct block)),
        };
        kept[0][t] = calloc(keep_max, sizeof(struct block));
        kept[1][t] = calloc(keep_max, sizeof(struct block));
        if (!jobs[t].own || !kept[0][t] || !kept[1][t])
            bench_fail(ctx, "cannot allocate the bookkeeping arrays");
    }
    if (jobs[0].min_size > jobs[0].max_size)
        bench_fail(ctx, "min_size is above max_size");

    bench_region_begin(ctx);
    for (long long w = 0; w < waves; w++) {
        for (int t = 0; t < threads; t++) {
            /* Thread t inherits what thread t+1 of the previous wave kept. */
            struct job *prev = &jobs[(t + 1) % threads];
            jobs[t].inherited = w ? kept[(w + 1) % 2][(t + 1) % threads] : NULL;
            jobs[t].inherited_count = w ? prev->kept_count : 0;
        }
        for (int t = 0; t < threads; t++)
            jobs[t].kept = kept[w % 2][t];
        /* inherited_count was read from the previous wave's kept_count above,
         * before any thread of this wave overwrites it. */
        bench_run_threads(ctx, threads, thread_main, jobs, sizeof jobs[0]);
    }
    bench_region_end(ctx);

    for (int t = 0; t < threads; t++) {
        for (size_t i = 0; i < jobs[t].kept_count; i++) {
            struct block b = jobs[t].kept[i];
            bench_verify(ctx, b.p, b.size, NULL);
            free(b.p);
        }
        free(jobs[t].own), free(kept[0][t]), free(kept[1][t]);
    }
    bench_metric(ctx, "threads_started", (double)(waves * threads), "count");
    return 0;
}

BENCH_WORKLOAD(thread_churn, .summary = "waves of short-lived threads; each leaves some blocks for the next wave",
               .params = params, .threaded = true, .default_threads = 4, .repeatable = true, .suites = "library", .tiny = "waves=5:objects=200",
               .run = run);
