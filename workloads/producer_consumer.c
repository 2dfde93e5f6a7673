/* producer_consumer: memory that crosses threads. Producer threads only
 * allocate and fill blocks; consumer threads only check and free the blocks
 * they receive, so every free is a remote free (of a block another thread
 * allocated), and the producers' allocations can only be served from memory
 * that comes back from other threads. Stresses remote-free handling
 * (per-thread heaps that must take memory back, or a global lock).
 * Design: the xmalloc-test of the allocator literature (a set of threads
 * that only allocate feeding a set that only frees), as described in the
 * mimalloc and snmalloc papers; default 1 producer -> 1 consumer, 1M x 64 B
 * (the usual cross-thread benchmark's shape).
 * Each producer deals its blocks round-robin to the consumers over one
 * single-producer/single-consumer ring per pair (the ring itself is a fixed
 * array allocated before the timed region, so only the workload's blocks go
 * through the allocator).
 * Parameters: count (blocks in all), size, producers, consumers, ring.
 * Latency: producers record malloc, consumers free_remote. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include "../harness/workload.h"

static const struct bench_param params[] = {
    {"count", "1000000", "100000", 1, 1000000000, NULL, "blocks produced in all"},
    {"size", "64", NULL, 1, 1 << 20, NULL, "bytes per block"},
    {"producers", "1", NULL, 1, 64, NULL, "threads that only allocate"},
    {"consumers", "1", NULL, 1, 64, NULL, "threads that only free"},
    {"ring", "1024", NULL, 2, 1 << 20, NULL, "slots of each producer->consumer ring"},
    {0},
};

struct ring {
    _Alignas(64) _Atomic size_t head; /* written by the producer */
    _Alignas(64) _Atomic size_t tail; /* written by the consumer */
    _Alignas(64) void **slot;
};

struct shared {
    struct bench_ctx *ctx;
    long long count;
    size_t size, slots;
    int producers, consumers;
    struct ring *rings; /* [producer * consumers + consumer] */
};

struct worker {
    struct shared *sh;
    bool producer;
    int index; /* among the producers, or among the consumers */
};

/* Blocks producer p makes: its share of count. */
static long long share(const struct shared *sh, int p, int of)
{
    return sh->count / of + (p < sh->count % of);
}

static void *producer(void *arg)
{
    struct worker *w = arg;
    struct shared *sh = w->sh;
    struct bench_lat *lat = bench_lat_recorder(sh->ctx);
    long long n = share(sh, w->index, sh->producers);
    for (long long i = 0; i < n; i++) {
        char *p = bench_need(sh->ctx, bench_malloc(lat, sh->size), sh->size);
        bench_fill(p, sh->size);
        struct ring *r = &sh->rings[w->index * sh->consumers + (int)(i % sh->consumers)];
        size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
        while (head - atomic_load_explicit(&r->tail, memory_order_acquire) == sh->slots)
            sched_yield(); /* full: let the consumer run (2 cores, maybe fewer) */
        r->slot[head % sh->slots] = p;
        atomic_store_explicit(&r->head, head + 1, memory_order_release);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    struct worker *w = arg;
    struct shared *sh = w->sh;
    struct bench_lat *lat = bench_lat_recorder(sh->ctx);
    /* Consumer c receives every consumers-th block of each producer. */
    long long remaining = 0;
    for (int p = 0; p < sh->producers; p++) {
        long long n = share(sh, p, sh->producers);
        remaining += n / sh->consumers + (w->index < n % sh->consumers);
    }
    while (remaining > 0) {
        int got = 0;
        for (int p = 0; p < sh->producers; p++) {
            struct ring *r = &sh->rings[p * sh->consumers + w->index];
            size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
            size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
            for (; tail != head; tail++, got++) {
                char *b = r->slot[tail % sh->slots];
                bench_verify(sh->ctx, b, sh->size, "on its way to the consumer");
                bench_free_remote(lat, b);
                remaining--;
            }
            atomic_store_explicit(&r->tail, tail, memory_order_release);
        }
        if (!got)
            sched_yield(); /* empty: let a producer run */
    }
    return NULL;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    return w->producer ? producer(arg) : consumer(arg);
}

static int run(struct bench_ctx *ctx)
{
    struct shared sh = {
        .ctx = ctx,
        .count = bench_param_int(ctx, "count"),
        .size = (size_t)bench_param_int(ctx, "size"),
        .slots = (size_t)bench_param_int(ctx, "ring"),
        .producers = (int)bench_param_int(ctx, "producers"),
        .consumers = (int)bench_param_int(ctx, "consumers"),
    };
    int pairs = sh.producers * sh.consumers, threads = sh.producers + sh.consumers;
    sh.rings = aligned_alloc(64, sizeof *sh.rings * (size_t)pairs);
    if (!sh.rings)
        bench_fail(ctx, "cannot allocate %d rings", pairs);
    for (int i = 0; i < pairs; i++) {
        atomic_init(&sh.rings[i].head, 0);
        atomic_init(&sh.rings[i].tail, 0);
        sh.rings[i].slot = calloc(sh.slots, sizeof(void *));
        if (!sh.rings[i].slot)
            bench_fail(ctx, "cannot allocate a ring of %zu slots", sh.slots);
    }
    struct worker workers[threads];
    for (int t = 0; t < threads; t++) {
        bool is_producer = t < sh.producers;
        workers[t] = (struct worker){&sh, is_producer, is_producer ? t : t - sh.producers};
    }

    bench_region_begin(ctx);
    bench_run_threads(ctx, threads, worker_main, workers, sizeof workers[0]);
    bench_region_end(ctx);

    for (int i = 0; i < pairs; i++)
        free(sh.rings[i].slot);
    free(sh.rings);
    return 0;
}

BENCH_WORKLOAD(producer_consumer,
               .summary = "producers only malloc, consumers only free what they receive (xmalloc-test)",
               .params = params, .repeatable = true, .suites = "library", .tiny = "count=20000",
               .run = run);
