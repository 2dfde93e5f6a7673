/* multithread: the article's fourth workload. Every thread runs its own
 * malloc/free loop over a window of live blocks of random small sizes; no
 * memory crosses threads. Stresses per-thread caching and any shared state
 * (locks, shared free lists). Definition: the article's "8 threads", with
 * what it leaves open set to 8 threads x 1,000,000 x malloc(16..512), a
 * window of 64. The timed region includes thread
 * start and join. With more threads than cores the threads are
 * oversubscribed: the time then also measures how the allocator behaves when
 * a thread is descheduled in the middle of an operation. */
#include <pthread.h>
#include <stdlib.h>
#include "../harness/workload.h"

static const struct bench_param params[] = {
    {"iterations", "1000000", "100000", 1, 1000000000, NULL, "malloc/free steps per thread"},
    {"window", "64", NULL, 1, 1 << 20, NULL, "live blocks per thread"},
    {"min_size", "16", NULL, 1, 1 << 30, NULL, "smallest block, bytes"},
    {"max_size", "512", NULL, 1, 1 << 30, NULL, "largest block, bytes"},
    {"seed", "42", NULL, 1, INT64_MAX, NULL, "PRNG seed (thread i uses seed + i)"},
    {0},
};

struct thread_job {
    struct bench_ctx *ctx;
    long long iterations;
    size_t window;
    uint64_t min_size, max_size, seed;
};

static void *thread_main(void *arg)
{
    struct thread_job *job = arg;
    uint64_t rng = job->seed;
    char **live = calloc(job->window, sizeof *live);
    if (!live)
        bench_fail(job->ctx, "cannot allocate a window of %zu", job->window);
    struct bench_lat *lat = bench_lat_recorder(job->ctx); /* NULL without --latency */
    for (long long i = 0; i < job->iterations; i++) {
        size_t slot = (size_t)i % job->window;
        if (live[slot])
            bench_free(lat, live[slot]);
        size_t size = (size_t)bench_rand_range(&rng, job->min_size, job->max_size);
        live[slot] = bench_need(job->ctx, bench_malloc(lat, size), size);
        live[slot][0] = (char)i;
    }
    for (size_t slot = 0; slot < job->window; slot++)
        free(live[slot]);
    free(live);
    return NULL;
}

static int run(struct bench_ctx *ctx)
{
    int threads = bench_threads(ctx);
    struct thread_job jobs[threads];
    for (int t = 0; t < threads; t++)
        jobs[t] = (struct thread_job){
            .ctx = ctx,
            .iterations = bench_param_int(ctx, "iterations"),
            .window = (size_t)bench_param_int(ctx, "window"),
            .min_size = (uint64_t)bench_param_int(ctx, "min_size"),
            .max_size = (uint64_t)bench_param_int(ctx, "max_size"),
            .seed = (uint64_t)bench_param_int(ctx, "seed") + (uint64_t)t,
        };
    if (jobs[0].min_size > jobs[0].max_size)
        bench_fail(ctx, "min_size is above max_size");

    bench_region_begin(ctx);
    bench_run_threads(ctx, threads, thread_main, jobs, sizeof jobs[0]);
    bench_region_end(ctx);
    return 0;
}

BENCH_WORKLOAD(multithread, .summary = "each thread mallocs/frees random small sizes in a window of live blocks",
               .params = params, .threaded = true, .default_threads = 8, .repeatable = true, .suites = "article full@1,2,4,8", .tiny = "iterations=5000",
               .run = run);
