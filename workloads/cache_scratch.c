/* cache_scratch: passive false sharing. The main thread allocates one small
 * block per thread, back to back, so an allocator is likely to put them on
 * one cache line, and hands block t to thread t. Each thread frees the block
 * it was given (after checking the content pattern the main thread wrote
 * into it), then repeatedly allocates a block of the same size, writes
 * into it many times and frees it. An allocator that gives a thread back the
 * memory it just freed (a line it shares with the other threads' blocks)
 * makes every write contend for that line across cores; one that keeps
 * per-thread memory apart does not. The time is the whole write loop.
 * Design: Hoard's cache-scratch test (Berger et al., "Hoard: a scalable
 * memory allocator for multithreaded applications", ASPLOS 2000), from its
 * description. Every block is filled with the content pattern by its writes
 * and checked before it is freed.
 * Parameters: objects (allocate/write/free rounds per thread), writes (byte
 * writes per object), size (bytes per object). On a 2-core machine only two
 * threads share a line at any moment; the effect is real but bounded. */
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
    char *given; /* allocated by the main thread, maybe sharing a line */
    long long objects, writes;
    size_t size;
};

/* Writes the content pattern into p, byte by byte, `writes` times in all:
 * volatile, so every write reaches the cache line. */
static void write_object(char *p, size_t size, long long writes)
{
    volatile unsigned char *v = (volatile unsigned char *)p;
    size_t k = 0;
    for (long long w = 0; w < writes; w++) {
        v[k] = bench_pattern_byte(p, size, k);
        if (++k == size)
            k = 0;
    }
}

static void check_and_free(struct job *j, struct bench_lat *lat, char *p, bool remote)
{
    bench_verify(j->ctx, p, j->size, NULL);
    bench_free_kind(lat, p, remote ? BENCH_LAT_FREE_REMOTE : BENCH_LAT_FREE);
}

static void *thread_main(void *arg)
{
    struct job *j = arg;
    struct bench_lat *lat = bench_lat_recorder(j->ctx);
    bench_verify(j->ctx, j->given, j->size, "on its way to the thread"); /* as the main thread filled it */
    write_object(j->given, j->size, j->writes);
    check_and_free(j, lat, j->given, true);
    for (long long i = 0; i < j->objects; i++) {
        char *p = bench_need(j->ctx, bench_malloc(lat, j->size), j->size);
        write_object(p, j->size, j->writes < (long long)j->size ? (long long)j->size : j->writes);
        check_and_free(j, lat, p, false);
    }
    return NULL;
}

static int run(struct bench_ctx *ctx)
{
    int threads = bench_threads(ctx);
    struct job jobs[threads];
    size_t size = (size_t)bench_param_int(ctx, "size");
    long long writes = bench_param_int(ctx, "writes");
    if (writes < (long long)size)
        writes = (long long)size; /* every byte is written at least once */
    for (int t = 0; t < threads; t++) {
        jobs[t] = (struct job){.ctx = ctx, .objects = bench_param_int(ctx, "objects"),
                               .writes = writes, .size = size};
        jobs[t].given = bench_need(ctx, malloc(size), size); /* back to back: likely one cache line */
        bench_fill(jobs[t].given, size);
    }

    bench_region_begin(ctx);
    bench_run_threads(ctx, threads, thread_main, jobs, sizeof jobs[0]);
    bench_region_end(ctx);
    return 0;
}

BENCH_WORKLOAD(cache_scratch, .summary = "passive false sharing: threads reuse small blocks the main thread placed side by side (Hoard)",
               .params = params, .threaded = true, .default_threads = 2, .repeatable = true, .suites = "library", .tiny = "objects=100:writes=200",
               .run = run);
