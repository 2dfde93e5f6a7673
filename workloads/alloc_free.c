/* alloc_free: the article's first workload. One block at a time:
 * malloc, write one byte, free, repeated. Stresses the allocator's fast path
 * for a single size class with a block that ping-pongs.
 * Definition: ../shared/ANCHORS.md (1,000,000 x malloc(64)). */
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

    bench_region_begin(ctx);
    for (long long i = 0; i < iterations; i++) {
        char *p = malloc(size);
        if (!p)
            bench_fail(ctx, "malloc(%zu) returned NULL", size);
        p[0] = (char)i;
        free(p);
    }
    bench_region_end(ctx);
    return 0;
}

BENCH_WORKLOAD(alloc_free, .summary = "malloc/write/free of one block, repeated",
               .params = params, .run = run);
