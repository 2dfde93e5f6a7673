/* batch: the article's second workload. Allocate many blocks of one size
 * into an array, then free them all; the alloc and free phases are timed
 * separately (metrics alloc_ms and free_ms), as the article reports them.
 * Stresses carving fresh memory and returning a whole batch.
 * Definition: the article's batch alloc and batch free, with the counts it
 * leaves open set to 100,000 x malloc(64). */
#include <stdlib.h>
#include "../harness/workload.h"

static const struct bench_param params[] = {
    {"count", "100000", "20000", 1, 100000000, NULL, "blocks in the batch"},
    {"size", "64", NULL, 1, 1 << 20, NULL, "bytes per block"},
    {0},
};

static int run(struct bench_ctx *ctx)
{
    size_t count = (size_t)bench_param_int(ctx, "count");
    size_t size = (size_t)bench_param_int(ctx, "size");
    char **blocks = calloc(count, sizeof *blocks);
    if (!blocks)
        bench_fail(ctx, "cannot allocate the array of %zu pointers", count);
    struct bench_lat *lat = bench_lat_recorder(ctx); /* NULL without --latency */

    bench_region_begin(ctx);
    uint64_t t0 = bench_now_ns();
    for (size_t i = 0; i < count; i++) {
        blocks[i] = bench_need(ctx, bench_malloc(lat, size), size);
        blocks[i][0] = (char)i;
    }
    uint64_t t1 = bench_now_ns();
    for (size_t i = 0; i < count; i++)
        bench_free(lat, blocks[i]);
    uint64_t t2 = bench_now_ns();
    bench_region_end(ctx);

    bench_metric(ctx, "alloc_ms", (double)(t1 - t0) / 1e6, "ms");
    bench_metric(ctx, "free_ms", (double)(t2 - t1) / 1e6, "ms");
    free(blocks);
    return 0;
}

BENCH_WORKLOAD(batch, .summary = "allocate a batch of blocks, then free them all",
               .params = params, .repeatable = true, .suites = "article", .tiny = "count=5000",
               .run = run);
