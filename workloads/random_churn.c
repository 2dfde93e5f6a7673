/* random_churn: a fixed-duration random replacement loop per thread. Each
 * thread keeps a working set of `slots` blocks and, per step, checks and
 * frees the block in a random slot and allocates a new one whose size is
 * drawn from an inverse-square distribution between min_size and max_size
 * (4 B .. 32 KiB: most blocks are tiny, a few are large), filled with the
 * content pattern. Reports steps per second over all threads (ops_per_s;
 * one step = one free + one malloc). Threads share nothing. Run at 1, 2, 4
 * and 8 threads (the suites do), it shows how per-thread caches and the
 * shared parts of an allocator hold up as threads are added.
 * Design: glibc's benchtests/bench-malloc-thread (a per-thread working set
 * of 1024 blocks, sizes 4..32768 with density proportional to 1/size^2, run
 * for a fixed time), from its description. Sizes come from a table of
 * 65536 draws made before the timed region.
 * Parameters: duration_ms, slots, min_size, max_size, seed. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include "../harness/workload.h"

static const struct bench_param params[] = {
    {"duration_ms", "250", "50", 1, 3600000, NULL, "how long every thread runs"},
    {"slots", "1024", NULL, 1, 10000000, NULL, "working set of each thread, blocks"},
    {"min_size", "4", NULL, 1, 1 << 30, NULL, "smallest block, bytes"},
    {"max_size", "32768", NULL, 1, 1 << 30, NULL, "largest block, bytes"},
    {"seed", "42", NULL, 1, INT64_MAX, NULL, "PRNG seed (thread i uses seed + i)"},
    {0},
};

#define SIZE_TABLE 65536

struct job {
    struct bench_ctx *ctx;
    const uint32_t *sizes;
    size_t nslots;
    uint64_t rng, deadline_ns;
    long long steps;
};

static void *thread_main(void *arg)
{
    struct job *j = arg;
    struct bench_lat *lat = bench_lat_recorder(j->ctx);
    char **p = calloc(j->nslots, sizeof *p);
    size_t *size = calloc(j->nslots, sizeof *size);
    if (!p || !size)
        bench_fail(j->ctx, "cannot allocate a working set of %zu", j->nslots);
    long long steps = 0;
    for (;;) {
        if ((steps & 255) == 0 && bench_now_ns() >= j->deadline_ns)
            break;
        uint64_t r = bench_rand(&j->rng);
        size_t s = (size_t)(r % j->nslots);
        if (p[s]) {
            bench_verify(j->ctx, p[s], size[s], NULL);
            bench_free(lat, p[s]);
        }
        size[s] = j->sizes[(r >> 32) % SIZE_TABLE];
        p[s] = bench_need(j->ctx, bench_malloc(lat, size[s]), size[s]);
        bench_fill(p[s], size[s]);
        steps++;
    }
    for (size_t s = 0; s < j->nslots; s++)
        if (p[s]) {
            bench_verify(j->ctx, p[s], size[s], NULL);
            free(p[s]);
        }
    free(p);
    free(size);
    j->steps = steps;
    return NULL;
}

static int run(struct bench_ctx *ctx)
{
    int threads = bench_threads(ctx);
    double lo = (double)bench_param_int(ctx, "min_size");
    double hi = (double)bench_param_int(ctx, "max_size");
    if (lo > hi)
        bench_fail(ctx, "min_size is above max_size");
    /* Inverse transform of the density c/x^2 on [lo, hi]:
     * x = 1 / (1/lo - u (1/lo - 1/hi)). */
    uint32_t *sizes = malloc(SIZE_TABLE * sizeof *sizes);
    if (!sizes)
        bench_fail(ctx, "cannot allocate the size table");
    uint64_t rng = (uint64_t)bench_param_int(ctx, "seed");
    for (size_t i = 0; i < SIZE_TABLE; i++) {
        double u = (double)(bench_rand(&rng) >> 11) / 9007199254740992.0;
        double x = 1.0 / (1.0 / lo - u * (1.0 / lo - 1.0 / hi));
        sizes[i] = (uint32_t)fmin(hi, fmax(lo, floor(x)));
    }
    struct job jobs[threads];
    uint64_t duration_ns = (uint64_t)bench_param_int(ctx, "duration_ms") * 1000000ull;

    bench_region_begin(ctx);
    uint64_t t0 = bench_now_ns();
    for (int t = 0; t < threads; t++) {
        jobs[t] = (struct job){.ctx = ctx, .sizes = sizes,
                               .nslots = (size_t)bench_param_int(ctx, "slots"),
                               .rng = (uint64_t)bench_param_int(ctx, "seed") + 1 + (uint64_t)t,
                               .deadline_ns = t0 + duration_ns};
    }
    bench_run_threads(ctx, threads, thread_main, jobs, sizeof jobs[0]);
    long long steps = 0;
    for (int t = 0; t < threads; t++)
        steps += jobs[t].steps;
    uint64_t t1 = bench_now_ns();
    bench_region_end(ctx);
    free(sizes);
    bench_metric(ctx, "ops_per_s", (double)steps / ((double)(t1 - t0) / 1e9), "ops/s");
    return 0;
}

BENCH_WORKLOAD(random_churn, .summary = "fixed time: each thread replaces random blocks of a 1024-block working set, sizes ~1/x^2 in 4..32768 (glibc bench-malloc-thread)",
               .params = params, .threaded = true, .default_threads = 1, .suites = "library@1,2,4,8", .tiny = "duration_ms=30",
               .run = run);
