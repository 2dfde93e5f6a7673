/* large: big blocks, the path most allocators hand to mmap. A ring of `live`
 * blocks of random sizes between min_size and max_size (1..32 MiB); each
 * step checks and frees the oldest and allocates a new one. Every new block
 * is touched: one byte of the content pattern per 4 KiB page (touch=pages,
 * the default), or every byte (touch=all), so its pages are really faulted
 * in; the touched bytes are checked before the free. Stresses the cost of
 * mapping and unmapping (or caching) large blocks and the page faults that
 * follow; the harness's minor_faults and peak_rss_kib show which allocators
 * keep freed large blocks mapped. Design: the large-object tests of the
 * allocator literature (e.g. mimalloc-bench's "malloc-large", described as
 * 20 live blocks of 5..25 MiB), written from that description.
 * Parameters: steps, live, min_size, max_size, touch, seed. */
#include <stdlib.h>
#include <string.h>
#include "../harness/workload.h"

static const struct bench_param params[] = {
    {"steps", "100", "30", 1, 100000000, NULL, "blocks allocated (each frees the oldest)"},
    {"live", "20", "4", 1, 100000, NULL, "blocks alive at a time"},
    {"min_size", "1048576", NULL, 1, 1LL << 34, NULL, "smallest block, bytes"},
    {"max_size", "33554432", "8388608", 1, 1LL << 34, NULL, "largest block, bytes"},
    {"touch", "pages", NULL, 0, 0, "pages|all", "write one byte per 4 KiB page, or all"},
    {"seed", "42", NULL, 1, INT64_MAX, NULL, "PRNG seed"},
    {0},
};

#define PAGE 4096

struct block {
    unsigned char *p;
    size_t size;
};

static void touch(struct block b, bool all)
{
    if (all) {
        bench_fill(b.p, b.size);
        return;
    }
    for (size_t i = 0; i < b.size; i += PAGE)
        b.p[i] = bench_pattern_byte(b.p, b.size, i);
    b.p[b.size - 1] = bench_pattern_byte(b.p, b.size, b.size - 1);
}

static void check(struct bench_ctx *ctx, struct block b, bool all)
{
    if (all) {
        bench_verify(ctx, b.p, b.size, NULL);
        return;
    }
    for (size_t i = 0; i < b.size; i += PAGE)
        if (b.p[i] != bench_pattern_byte(b.p, b.size, i))
            bench_corrupt(ctx, "byte %zu of a %zu-byte block changed", i, b.size);
    if (b.p[b.size - 1] != bench_pattern_byte(b.p, b.size, b.size - 1))
        bench_corrupt(ctx, "the last byte of a %zu-byte block changed", b.size);
}

static int run(struct bench_ctx *ctx)
{
    long long steps = bench_param_int(ctx, "steps");
    size_t live = (size_t)bench_param_int(ctx, "live");
    uint64_t lo = (uint64_t)bench_param_int(ctx, "min_size");
    uint64_t hi = (uint64_t)bench_param_int(ctx, "max_size");
    bool all = strcmp(bench_param_str(ctx, "touch"), "all") == 0;
    uint64_t rng = (uint64_t)bench_param_int(ctx, "seed");
    if (lo > hi)
        bench_fail(ctx, "min_size is above max_size");
    struct block *ring = calloc(live, sizeof *ring);
    if (!ring)
        bench_fail(ctx, "cannot allocate a ring of %zu", live);
    struct bench_lat *lat = bench_lat_recorder(ctx);

    bench_region_begin(ctx);
    for (long long i = 0; i < steps; i++) {
        struct block *b = &ring[(size_t)i % live];
        if (b->p) {
            check(ctx, *b, all);
            bench_free(lat, b->p);
        }
        b->size = (size_t)bench_rand_range(&rng, lo, hi);
        b->p = bench_need(ctx, bench_malloc(lat, b->size), b->size);
        touch(*b, all);
    }
    for (size_t i = 0; i < live; i++)
        if (ring[i].p) {
            check(ctx, ring[i], all);
            bench_free(lat, ring[i].p);
        }
    bench_region_end(ctx);
    free(ring);
    return 0;
}

BENCH_WORKLOAD(large, .summary = "blocks of 1..32 MiB, 20 live at a time, every page touched (the mmap path)",
               .params = params, .repeatable = true, .suites = "library", .tiny = "steps=8:live=3:max_size=4194304",
               .run = run);
