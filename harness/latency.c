/* Per-operation latency: calibrated cycle counter and log-linear histograms.
 *
 * A sample is the number of counter ticks between two bench_ticks() reads
 * around one malloc/free/realloc. Each thread owns a recorder (no locks, no
 * sharing on the hot path) holding one histogram per kind: exact below 128
 * ticks, then 64 sub-buckets per power of two (under 1.6% error), plus the
 * exact maximum. At the end the recorders are merged; a percentile is the
 * midpoint of the bucket that holds it, minus the timer's own overhead,
 * converted to ns with the calibrated rate. */
#include "latency.h"
#include "util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define EXACT 128
#define SUB_BITS 6
#define SUB (1 << SUB_BITS)
#define BUCKETS (EXACT + (64 - 7) * SUB)

struct hist {
    uint64_t count, max;
    uint64_t bucket[BUCKETS];
};

struct bench_lat {
    struct hist h[BENCH_LAT_KINDS];
    struct bench_lat *next;
};

bool latency_requested;

static bool enabled;
static bool measuring = true; /* false during warm-up samples */
static double ns_per_tick = 1.0;
static double overhead_ticks;
static double resolution_ticks; /* the smallest non-zero step seen */
static struct bench_lat *recorders;
static pthread_mutex_t recorders_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const kind_names[BENCH_LAT_KINDS] = {
    [BENCH_LAT_MALLOC] = "malloc",
    [BENCH_LAT_FREE] = "free",
    [BENCH_LAT_FREE_REMOTE] = "free_remote",
    [BENCH_LAT_REALLOC] = "realloc",
};

/* ---- Buckets ---- */

static size_t bucket_of(uint64_t v)
{
    if (v < EXACT)
        return (size_t)v;
    int e = 63 - __builtin_clzll(v); /* >= 7 */
    size_t sub = (size_t)(v >> (e - SUB_BITS)) & (SUB - 1);
    return EXACT + (size_t)(e - 7) * SUB + sub;
}

/* The midpoint of a bucket's range of tick counts. */
static double bucket_mid(size_t b)
{
    if (b < EXACT)
        return (double)b;
    int e = (int)((b - EXACT) / SUB) + 7;
    uint64_t sub = (b - EXACT) % SUB;
    double width = (double)(1ull << (e - SUB_BITS));
    return (double)(1ull << e) + (double)sub * width + width / 2;
}

/* ---- The workload API ---- */

void latency_sample(bool measured)
{
    measuring = measured;
}

struct bench_lat *bench_lat_recorder(struct bench_ctx *ctx)
{
    (void)ctx;
    if (!enabled || !measuring)
        return NULL;
    /* mmap, not malloc: the recorders must not change the allocator's heap. */
    struct bench_lat *r = mmap(NULL, sizeof *r, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r == MAP_FAILED)
        bench_fail(ctx, "cannot map a latency recorder");
    pthread_mutex_lock(&recorders_lock);
    r->next = recorders;
    recorders = r;
    pthread_mutex_unlock(&recorders_lock);
    return r;
}

void bench_lat_add(struct bench_lat *r, enum bench_lat_kind kind, uint64_t ticks)
{
    struct hist *h = &r->h[kind];
    h->count++;
    h->bucket[bucket_of(ticks)]++;
    if (ticks > h->max)
        h->max = ticks;
}

/* ---- Calibration ---- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

void latency_enable(void)
{
    enabled = true;
    /* Rate: ticks against the monotonic clock over about 20 ms. */
    uint64_t n0 = now_ns(), t0 = bench_ticks(), n1;
    while ((n1 = now_ns()) - n0 < 20000000)
        ;
    uint64_t t1 = bench_ticks();
    ns_per_tick = t1 > t0 ? (double)(n1 - n0) / (double)(t1 - t0) : 1.0;
    /* Overhead: the median of 4095 back-to-back reads, so a sample of an
     * empty region measures about zero. */
    static uint64_t d[4095];
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
        uint64_t a = bench_ticks();
        uint64_t b = bench_ticks();
        d[i] = b - a;
    }
    qsort(d, sizeof d / sizeof d[0], sizeof d[0], cmp_u64);
    overhead_ticks = (double)d[sizeof d / sizeof d[0] / 2];
    resolution_ticks = 1;
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
        if (d[i] > 0) {
            resolution_ticks = (double)d[i];
            break;
        }
}

/* ---- Report ---- */

static double to_ns(double ticks)
{
    double t = ticks - overhead_ticks;
    return t > 0 ? t * ns_per_tick : 0;
}

static double percentile(const struct hist *h, double q)
{
    uint64_t rank = (uint64_t)(q * (double)h->count);
    if (rank >= h->count)
        rank = h->count - 1;
    uint64_t seen = 0;
    for (size_t b = 0; b < BUCKETS; b++) {
        seen += h->bucket[b];
        if (seen > rank) {
            /* Never above the exact maximum (the top bucket's midpoint may be). */
            double mid = bucket_mid(b);
            return mid > (double)h->max ? (double)h->max : mid;
        }
    }
    return (double)h->max;
}

void latency_report(struct bench_ctx *ctx)
{
    if (!enabled)
        return;
    static struct hist all[BENCH_LAT_KINDS]; /* static: too big for a stack frame */
    memset(all, 0, sizeof all);
    for (struct bench_lat *r = recorders; r; r = r->next)
        for (int k = 0; k < BENCH_LAT_KINDS; k++) {
            all[k].count += r->h[k].count;
            if (r->h[k].max > all[k].max)
                all[k].max = r->h[k].max;
            for (size_t b = 0; b < BUCKETS; b++)
                all[k].bucket[b] += r->h[k].bucket[b];
        }
    bench_metric(ctx, "timer_overhead_ns", overhead_ticks * ns_per_tick, "ns");
    /* The resolution: on some CPUs (AMD EPYC here) the counter advances in
     * steps of many ticks, so every sample is a multiple of about 10 ns. */
    bench_metric(ctx, "timer_resolution_ns", resolution_ticks * ns_per_tick, "ns");
    static const struct { const char *suffix; double q; } points[] = {
        {"p50", 0.50}, {"p90", 0.90}, {"p99", 0.99}, {"p999", 0.999}, {"p9999", 0.9999}};
    for (int k = 0; k < BENCH_LAT_KINDS; k++) {
        if (!all[k].count)
            continue;
        char name[64];
        for (size_t p = 0; p < sizeof points / sizeof points[0]; p++) {
            snprintf(name, sizeof name, "%s_%s_ns", kind_names[k], points[p].suffix);
            bench_metric(ctx, name, to_ns(percentile(&all[k], points[p].q)), "ns");
        }
        snprintf(name, sizeof name, "%s_max_ns", kind_names[k]);
        bench_metric(ctx, name, to_ns((double)all[k].max), "ns");
    }
}
