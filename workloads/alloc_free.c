/* alloc_free: the article's first workload. One block at a time:
 * malloc, write one byte, free, repeated. Stresses the allocator's fast path
 * for a single size class with a block that ping-pongs.
 * Definition: the article's "1M alloc/free", with the size it leaves
 * open set to 64 bytes (1,000,000 x malloc(64)). */
#include <stdlib.h>
#include "../harness/workload.h"

static const struct bench_param params[] = {
    {"iterations", "1000000", "100000", 1, 1000000000, NULL, "malloc/free pairs"},
    {"size", "64", NULL, 1, 1 << 30, NULL, "bytes per malloc"},
    {0},
};

static int run(struct bench_ctx *ctx)
{
    long long iterations = bench_param_int(ctx, "iterations");
    size_t size = (size_t)bench_param_int(ctx, "size");
    struct bench_lat *lat = bench_lat_recorder(ctx); /* NULL without --latency */

    bench_region_begin(ctx);
    for (long long i = 0; i < iterations; i++) {
        char *p = bench_need(ctx, bench_malloc(lat, size), size);
        p[0] = (char)i;
        bench_free(lat, p);
    }
    bench_region_end(ctx);
    return 0;
}

BENCH_WORKLOAD(alloc_free, .summary = "malloc/write/free of one block, repeated",
               .params = params, .repeatable = true, .suites = "article", .tiny = "iterations=20000",
               .run = run);
