/* cache_thrash: active false sharing. Every thread repeatedly allocates a
 * small block, writes into it many times and frees it. Nothing is shared by
 * the program, but an allocator that serves several threads' small blocks
 * from one cache line (one shared heap, or a free list handed between
 * threads) makes their writes contend for that line across cores. The time
 * is the whole loop.
 * Design: Hoard's cache-thrash test (Berger et al., ASPLOS 2000), from its
 * description. Every block is filled with the content pattern by its writes
 * and checked before it is freed.
 * Parameters: objects (allocate/write/free rounds per thread), writes (byte
 * writes per object), size (bytes per object). */
#include <pthread.h>
#include <stdlib.h>
#include "../harness/workload.h"

static const struct bench_param params[] = {
    {"objects", "2000", "200", 1, 100000000, NULL, "allocate/write/free rounds per thread"},
    {"writes", "5000", "1000", 1, 1000000000, NULL, "byte writes into each object"},
    {"size", "8", NULL, 1, 4096, NULL, "bytes per object"},
    {0},
};

struct job {
    struct bench_ctx *ctx;
    long long objects, writes;
    size_t size;
};

static void *thread_main(void *arg)
{
    struct job *j = arg;
    struct bench_lat *lat = bench_lat_recorder(j->ctx);
    for (long long i = 0; i < j->objects; i++) {
        char *p = bench_need(j->ctx, bench_malloc(lat, j->size), j->size);
        /* volatile: every write reaches the cache line */
        volatile unsigned char *v = (volatile unsigned char *)p;
        size_t k = 0;
        for (long long w = 0; w < j->writes; w++) {
            v[k] = bench_pattern_byte(p, j->size, k);
            if (++k == j->size)
                k = 0;
        }
        bench_verify(j->ctx, p, j->size, NULL);
        bench_free(lat, p);
    }
    return NULL;
}

static int run(struct bench_ctx *ctx)
{
    int threads = bench_threads(ctx);
    struct job jobs[threads];
    long long writes = bench_param_int(ctx, "writes");
    size_t size = (size_t)bench_param_int(ctx, "size");
    for (int t = 0; t < threads; t++)
        jobs[t] = (struct job){.ctx = ctx, .objects = bench_param_int(ctx, "objects"),
                               .writes = writes < (long long)size ? (long long)size : writes,
                               .size = size};

    bench_region_begin(ctx);
    bench_run_threads(ctx, threads, thread_main, jobs, sizeof jobs[0]);
    bench_region_end(ctx);
    return 0;
}

BENCH_WORKLOAD(cache_thrash, .summary = "active false sharing: each thread mallocs, writes and frees small blocks (Hoard)",
               .params = params, .threaded = true, .default_threads = 2, .repeatable = true, .suites = "library", .tiny = "objects=100:writes=200",
               .run = run);
