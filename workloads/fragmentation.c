/* fragmentation: how much memory an allocator keeps after a heap has been
 * shot full of holes. Phase 1 allocates about total_mib MiB in blocks of
 * uniform random sizes (min_size..max_size), each filled with the content
 * pattern; phase 2 checks and frees a random free_percent % of them; phase 3
 * allocates half as many bytes again in sizes that do not fit the holes
 * (max_size+1 .. 4*max_size), then everything is checked and freed. After
 * each phase the resident set is read (/proc/self/statm) and reported with
 * the live bytes: rss_alloc_kib, rss_freed_kib, rss_realloc_kib, the
 * live_*_kib beside them, and rss_per_live_freed / rss_per_live_realloc (RSS
 * divided by live bytes: 1 is perfect, 10 after a 90% free means nothing was
 * given back). The harness adds peak_rss_kib; timeline.csv draws the curve.
 * Stresses returning memory to the system (trimming, purging, decay) and
 * reusing holes for other sizes. Design: the fragmentation experiments of
 * Wilson and Johnstone ("The memory fragmentation problem: solved?", ISMM
 * 1998) and the common measurement of the memory held after a mass free,
 * written from their descriptions. Parameters: total_mib, free_percent, min_size,
 * max_size, seed. */
#include <stdio.h>
#include <stdlib.h>
#include "../harness/workload.h"

static const struct bench_param params[] = {
    {"total_mib", "256", "32", 1, 65536, NULL, "bytes allocated in phase 1, MiB"},
    {"free_percent", "90", NULL, 0, 100, NULL, "share of phase 1's blocks freed in phase 2"},
    {"min_size", "16", NULL, 1, 1 << 30, NULL, "smallest block of phase 1, bytes"},
    {"max_size", "4096", NULL, 1, 1 << 28, NULL, "largest block of phase 1 (phase 3 uses max+1..4*max)"},
    {"seed", "42", NULL, 1, INT64_MAX, NULL, "PRNG seed"},
    {0},
};

struct block {
    char *p;
    size_t size;
};

struct heap {
    struct bench_ctx *ctx;
    struct bench_lat *lat;
    struct block *b;
    size_t count, capacity;
    uint64_t live;
};

static void add(struct heap *h, size_t size)
{
    if (h->count == h->capacity)
        bench_fail(h->ctx, "more blocks than planned (%zu)", h->capacity);
    char *p = bench_need(h->ctx, bench_malloc(h->lat, size), size);
    bench_fill(p, size);
    h->b[h->count++] = (struct block){p, size};
    h->live += size;
}

static void drop(struct heap *h, size_t i)
{
    bench_verify(h->ctx, h->b[i].p, h->b[i].size, NULL);
    bench_free(h->lat, h->b[i].p);
    h->live -= h->b[i].size;
    h->b[i] = h->b[--h->count]; /* order does not matter */
}

static void phase_report(struct bench_ctx *ctx, const char *name, const struct heap *h)
{
    char metric[64];
    long long rss = bench_rss_kib();
    snprintf(metric, sizeof metric, "rss_%s_kib", name);
    bench_metric(ctx, metric, (double)rss, "KiB");
    snprintf(metric, sizeof metric, "live_%s_kib", name);
    bench_metric(ctx, metric, (double)h->live / 1024, "KiB");
}

static int run(struct bench_ctx *ctx)
{
    uint64_t total = (uint64_t)bench_param_int(ctx, "total_mib") << 20;
    uint64_t free_percent = (uint64_t)bench_param_int(ctx, "free_percent");
    uint64_t lo = (uint64_t)bench_param_int(ctx, "min_size");
    uint64_t hi = (uint64_t)bench_param_int(ctx, "max_size");
    uint64_t rng = (uint64_t)bench_param_int(ctx, "seed");
    if (lo > hi)
        bench_fail(ctx, "min_size is above max_size");
    /* Enough slots for phase 1 and phase 3 together. */
    struct heap h = {.ctx = ctx, .lat = bench_lat_recorder(ctx),
                     .capacity = (size_t)(total / lo + total / (hi + 1) + 16)};
    h.b = calloc(h.capacity, sizeof *h.b);
    if (!h.b)
        bench_fail(ctx, "cannot allocate %zu block records", h.capacity);

    bench_region_begin(ctx);
    while (h.live < total)
        add(&h, (size_t)bench_rand_range(&rng, lo, hi));
    phase_report(ctx, "alloc", &h);

    size_t to_free = (size_t)((uint64_t)h.count * free_percent / 100);
    for (size_t k = 0; k < to_free; k++)
        drop(&h, (size_t)(bench_rand(&rng) % h.count));
    phase_report(ctx, "freed", &h);
    double per_live_freed = h.live ? (double)bench_rss_kib() * 1024 / (double)h.live : 0;

    uint64_t target = h.live + total / 2;
    while (h.live < target)
        add(&h, (size_t)bench_rand_range(&rng, hi + 1, 4 * hi));
    phase_report(ctx, "realloc", &h);
    double per_live_realloc = (double)bench_rss_kib() * 1024 / (double)h.live;

    while (h.count)
        drop(&h, h.count - 1);
    bench_region_end(ctx);

    bench_metric(ctx, "rss_per_live_freed", per_live_freed, "ratio");
    bench_metric(ctx, "rss_per_live_realloc", per_live_realloc, "ratio");
    phase_report(ctx, "end", &h);
    free(h.b);
    return 0;
}

BENCH_WORKLOAD(fragmentation, .summary = "allocate ~256 MiB mixed sizes, free a random 90%, allocate other sizes; RSS after each phase",
               .params = params, .suites = "library", .tiny = "total_mib=24",
               .run = run);
