/* mixed_sizes: the article's third workload. A random walk over a fixed set
 * of slots: an occupied slot is freed, an empty one gets a block of a uniform
 * random size. Stresses size-class fit, reuse of freed memory of other sizes,
 * and fragmentation. Definition: the article's "mixed sizes", with what it
 * leaves open set to 1,000,000 steps, 10,000 slots, sizes 16..4096 (the
 * variant max_size=65536 is run by default too). */
#include <stdlib.h>
#include <string.h>
#include "../harness/workload.h"

static const struct bench_param params[] = {
    {"steps", "1000000", "200000", 1, 1000000000, NULL, "slot visits"},
    {"slots", "10000", NULL, 1, 100000000, NULL, "number of slots"},
    {"min_size", "16", NULL, 1, 1LL << 30, NULL, "smallest block, bytes"},
    {"max_size", "4096", NULL, 1, 1LL << 30, NULL, "largest block, bytes"},
    {"touch", "first", NULL, 0, 0, "first|all", "write the first byte or the whole block"},
    {"seed", "42", NULL, 1, INT64_MAX, NULL, "PRNG seed"},
    {0},
};

static int run(struct bench_ctx *ctx)
{
    long long steps = bench_param_int(ctx, "steps");
    size_t nslots = (size_t)bench_param_int(ctx, "slots");
    uint64_t min_size = (uint64_t)bench_param_int(ctx, "min_size");
    uint64_t max_size = (uint64_t)bench_param_int(ctx, "max_size");
    int touch_all = strcmp(bench_param_str(ctx, "touch"), "all") == 0;
    uint64_t rng = (uint64_t)bench_param_int(ctx, "seed");
    if (min_size > max_size)
        bench_fail(ctx, "min_size %llu is above max_size %llu",
                   (unsigned long long)min_size, (unsigned long long)max_size);
    char **slots = calloc(nslots, sizeof *slots);
    if (!slots)
        bench_fail(ctx, "cannot allocate %zu slots", nslots);
    struct bench_lat *lat = bench_lat_recorder(ctx); /* NULL without --latency */

    bench_region_begin(ctx);
    for (long long i = 0; i < steps; i++) {
        size_t s = (size_t)(bench_rand(&rng) % nslots);
        if (slots[s]) {
            bench_free(lat, slots[s]);
            slots[s] = NULL;
            continue;
        }
        size_t size = (size_t)bench_rand_range(&rng, min_size, max_size);
        char *p = bench_need(ctx, bench_malloc(lat, size), size);
        if (touch_all)
            memset(p, (int)i, size);
        else
            p[0] = (char)i;
        slots[s] = p;
    }
    bench_region_end(ctx);

    for (size_t s = 0; s < nslots; s++)
        free(slots[s]);
    free(slots);
    return 0;
}

BENCH_WORKLOAD(mixed_sizes, .summary = "random frees and mallocs of uniform random sizes over fixed slots",
               .params = params, .repeatable = true, .suites = "article article:max_size=65536", .tiny = "steps=20000",
               .run = run);
