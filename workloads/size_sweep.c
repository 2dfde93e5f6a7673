/* size_sweep: the cost of a malloc/free pair as a function of size. For
 * each size from min_size to max_size, at the powers of two and the
 * midpoints between them (8, 12, 16, 24, 32, ..., 49152, 65536), runs
 * `pairs` steps over a small window of live blocks of that size: free the
 * oldest, malloc a new one, write its first and last byte. Reports one
 * metric per size, ns_per_pair_<size> (ns), for a cost-by-size plot: the
 * steps show where size classes, thread caches and the paths for bigger
 * blocks begin. The window (default 8) keeps a few blocks alive, so an
 * allocator that returns a page when its last block is freed is not
 * measured on that alone (a single ping-ponging block makes such an
 * allocator look several times slower than it is).
 * Design: glibc's benchtests/bench-malloc-simple (fixed-size alloc/free
 * loops at several sizes), from its description. Parameters: pairs, window,
 * min_size, max_size. --latency times every call over all sizes. */
#include <stdio.h>
#include <stdlib.h>
#include "../harness/workload.h"

static const struct bench_param params[] = {
    {"pairs", "20000", "5000", 1, 1000000000, NULL, "malloc/free pairs per size"},
    {"window", "8", NULL, 1, 1 << 20, NULL, "blocks of the size alive at a time"},
    {"min_size", "8", NULL, 1, 1LL << 30, NULL, "smallest size, bytes"},
    {"max_size", "65536", NULL, 1, 1LL << 30, NULL, "largest size, bytes"},
    {0},
};

static int run(struct bench_ctx *ctx)
{
    long long pairs = bench_param_int(ctx, "pairs");
    size_t window = (size_t)bench_param_int(ctx, "window");
    size_t lo = (size_t)bench_param_int(ctx, "min_size");
    size_t hi = (size_t)bench_param_int(ctx, "max_size");
    if (lo > hi)
        bench_fail(ctx, "min_size is above max_size");
    /* The sizes: every 2^k and 3*2^(k-1) within [lo, hi]. */
    size_t sizes[128], n = 0;
    for (size_t p = 1; p <= hi && n + 2 <= sizeof sizes / sizeof sizes[0]; p *= 2) {
        if (p >= lo)
            sizes[n++] = p;
        if (p >= 2 && p + p / 2 >= lo && p + p / 2 <= hi)
            sizes[n++] = p + p / 2;
        if (p > hi / 2)
            break;
    }
    if (n == 0)
        bench_fail(ctx, "no power of two or midpoint lies in %zu..%zu", lo, hi);
    char **live = calloc(window, sizeof *live);
    double *ns = calloc(n, sizeof *ns);
    if (!live || !ns)
        bench_fail(ctx, "cannot allocate the window");
    struct bench_lat *lat = bench_lat_recorder(ctx);

    bench_region_begin(ctx);
    for (size_t k = 0; k < n; k++) {
        size_t size = sizes[k];
        uint64_t t0 = bench_now_ns();
        for (long long i = 0; i < pairs; i++) {
            size_t slot = (size_t)i % window;
            bench_free(lat, live[slot]);
            char *p = bench_need(ctx, bench_malloc(lat, size), size);
            p[0] = (char)i;
            p[size - 1] = (char)i;
            live[slot] = p;
        }
        for (size_t slot = 0; slot < window; slot++) {
            free(live[slot]);
            live[slot] = NULL;
        }
        ns[k] = (double)(bench_now_ns() - t0) / (double)pairs;
    }
    bench_region_end(ctx);

    for (size_t k = 0; k < n; k++) {
        char name[64];
        snprintf(name, sizeof name, "ns_per_pair_%zu", sizes[k]);
        bench_metric(ctx, name, ns[k], "ns");
    }
    free(live);
    free(ns);
    return 0;
}

BENCH_WORKLOAD(size_sweep, .summary = "malloc/free pairs at each size 8 B..64 KiB (powers of two and midpoints); ns per pair by size",
               .params = params, .repeatable = true, .suites = "library", .tiny = "pairs=1000",
               .run = run);
