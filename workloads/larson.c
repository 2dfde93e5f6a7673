/* larson: a server simulation. Each of T worker lineages owns an array of
 * slots holding blocks of random sizes; a step checks the block in a random
 * slot, frees it and allocates a new one of a random size (8..1000 B), filled
 * with the content pattern. After `round_steps` steps the thread starts a new
 * thread that inherits its array and exits, as a server's short-lived
 * request threads hand their objects on: most frees in a new thread are of
 * blocks an earlier (often exited) thread allocated. Runs for a fixed
 * duration and reports steps per second (metric ops_per_s, one step = one
 * free + one malloc). Stresses remote frees, memory of exited threads, and
 * thread creation under load.
 * Design: Larson and Krishnan's server benchmark ("Memory allocation for
 * long-running server applications", ISMM 1998), as described there and in
 * the Hoard and mimalloc papers. Frees of a block allocated by the current
 * thread are timed as `free`, the others as `free_remote` (--latency).
 * Parameters: duration_ms, slots, round_steps, min_size, max_size, seed. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include "../harness/workload.h"

static const struct bench_param params[] = {
    {"duration_ms", "500", "50", 1, 3600000, NULL, "how long the lineages run"},
    {"slots", "1000", NULL, 1, 10000000, NULL, "blocks in each lineage's array"},
    {"round_steps", "20000", "5000", 1, 1000000000, NULL, "steps before a thread hands its array to a new thread"},
    {"min_size", "8", NULL, 1, 1 << 30, NULL, "smallest block, bytes"},
    {"max_size", "1000", NULL, 1, 1 << 30, NULL, "largest block, bytes"},
    {"seed", "42", NULL, 1, INT64_MAX, NULL, "PRNG seed (lineage i uses seed + i)"},
    {0},
};

struct slot {
    char *p;
    size_t size;
    unsigned generation; /* the thread generation that allocated it */
};

struct lineage {
    struct bench_ctx *ctx;
    struct slot *slots;
    size_t nslots;
    uint64_t min_size, max_size, rng, deadline_ns;
    long long round_steps, steps;
    unsigned generation;
    pthread_t previous; /* joined by the next thread */
    bool has_previous;
};

static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static int running;

static void *round_main(void *arg)
{
    struct lineage *l = arg;
    if (l->has_previous)
        pthread_join(l->previous, NULL);
    struct bench_lat *lat = bench_lat_recorder(l->ctx);
    unsigned gen = ++l->generation;
    bool over = false;
    for (long long i = 0; i < l->round_steps; i++) {
        if ((i & 255) == 0 && bench_now_ns() >= l->deadline_ns) {
            over = true;
            break;
        }
        struct slot *s = &l->slots[bench_rand(&l->rng) % l->nslots];
        bench_verify(l->ctx, s->p, s->size, NULL);
        bench_free_kind(lat, s->p, s->generation == gen ? BENCH_LAT_FREE : BENCH_LAT_FREE_REMOTE);
        s->size = (size_t)bench_rand_range(&l->rng, l->min_size, l->max_size);
        s->p = bench_need(l->ctx, bench_malloc(lat, s->size), s->size);
        bench_fill(s->p, s->size);
        s->generation = gen;
        l->steps++;
    }
    if (!over) {
        /* Hand the array on to a new thread, which joins this one. */
        l->previous = pthread_self();
        l->has_previous = true;
        pthread_t next;
        if (pthread_create(&next, NULL, round_main, l) == 0)
            return NULL;
        bench_fail(l->ctx, "pthread_create failed");
    }
    pthread_detach(pthread_self());
    pthread_mutex_lock(&done_lock);
    if (--running == 0)
        pthread_cond_signal(&done_cond);
    pthread_mutex_unlock(&done_lock);
    return NULL;
}

static int run(struct bench_ctx *ctx)
{
    int threads = bench_threads(ctx);
    uint64_t duration_ns = (uint64_t)bench_param_int(ctx, "duration_ms") * 1000000ull;
    struct lineage lineages[threads];
    for (int t = 0; t < threads; t++) {
        struct lineage *l = &lineages[t];
        *l = (struct lineage){
            .ctx = ctx,
            .nslots = (size_t)bench_param_int(ctx, "slots"),
            .min_size = (uint64_t)bench_param_int(ctx, "min_size"),
            .max_size = (uint64_t)bench_param_int(ctx, "max_size"),
            .rng = (uint64_t)bench_param_int(ctx, "seed") + (uint64_t)t,
            .round_steps = bench_param_int(ctx, "round_steps"),
        };
        if (l->min_size > l->max_size)
            bench_fail(ctx, "min_size is above max_size");
        l->slots = calloc(l->nslots, sizeof *l->slots);
        if (!l->slots)
            bench_fail(ctx, "cannot allocate %zu slots", l->nslots);
        /* Filled by the main thread: the first round's frees are remote too. */
        for (size_t s = 0; s < l->nslots; s++) {
            l->slots[s].size = (size_t)bench_rand_range(&l->rng, l->min_size, l->max_size);
            l->slots[s].p = bench_need(ctx, malloc(l->slots[s].size), l->slots[s].size);
            bench_fill(l->slots[s].p, l->slots[s].size);
        }
    }

    running = threads;
    bench_region_begin(ctx);
    uint64_t t0 = bench_now_ns();
    for (int t = 0; t < threads; t++) {
        lineages[t].deadline_ns = t0 + duration_ns;
        pthread_t id;
        if (pthread_create(&id, NULL, round_main, &lineages[t]) != 0)
            bench_fail(ctx, "pthread_create failed for lineage %d", t);
    }
    pthread_mutex_lock(&done_lock);
    while (running > 0)
        pthread_cond_wait(&done_cond, &done_lock);
    pthread_mutex_unlock(&done_lock);
    uint64_t t1 = bench_now_ns();
    bench_region_end(ctx);

    long long steps = 0, rounds = 0;
    for (int t = 0; t < threads; t++) {
        struct lineage *l = &lineages[t];
        steps += l->steps;
        rounds += l->generation;
        for (size_t s = 0; s < l->nslots; s++) {
            bench_verify(ctx, l->slots[s].p, l->slots[s].size, NULL);
            free(l->slots[s].p);
        }
        free(l->slots);
    }
    bench_metric(ctx, "ops_per_s", (double)steps / ((double)(t1 - t0) / 1e9), "ops/s");
    bench_metric(ctx, "threads_started", (double)rounds, "count");
    return 0;
}

BENCH_WORKLOAD(larson, .summary = "server simulation: random free+malloc, arrays handed to new threads (fixed time)",
               .params = params, .threaded = true, .default_threads = 2, .suites = "library", .tiny = "duration_ms=30:slots=200:round_steps=2000",
               .run = run);
