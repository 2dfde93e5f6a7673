/* realloc_growth: buffers grown and shrunk with realloc, the way strings and
 * vectors are. Three patterns per round: a string grown by one byte at a time
 * from 1 B to max_size and shrunk back the same way (each step writes the new
 * byte), and a vector grown by doubling from 1 B to max_size and halved back.
 * Stresses in-place growth, the size-class boundaries a block crosses, the
 * copy when it must move, and (above the mmap threshold) mremap. The
 * article's allocator has a realloc path of its own; this is its workload.
 * Content: realloc moves a block, so the pattern cannot depend on the address
 * (as bench_fill's does); byte i holds a byte derived from i alone, cheap
 * enough to write and check byte by byte. After every step the bytes around the old end are checked, and at
 * each power of two the whole buffer (so every byte is checked about twice in
 * a growth, and the check stays linear); any change is `corrupt`.
 * Metrics: grow1_ms (the +1 growth), shrink1_ms, double_ms (doubling and
 * halving, repeated `doublings` times). Parameters: max_size, rounds,
 * doublings. --latency times every realloc. */
#include <stdlib.h>
#include "../harness/workload.h"

static const struct bench_param params[] = {
    {"max_size", "1048576", "65536", 2, 1LL << 30, NULL, "largest size, bytes"},
    {"rounds", "1", "1", 1, 1000000, NULL, "repetitions of all three patterns in one sample"},
    {"doublings", "50", "10", 1, 100000000, NULL, "double/halve cycles per round"},
    {0},
};

/* The address-free content pattern of this workload: no two bytes within
 * 256 of each other are equal, and the higher bits of i perturb it, so a
 * buffer copied short or shifted fails the check. */
static inline unsigned char byte_at(size_t i)
{
    return (unsigned char)(i ^ (i >> 8) ^ (i >> 16) ^ 0x5a);
}

static void check_range(struct bench_ctx *ctx, const unsigned char *p, size_t from, size_t to,
                        const char *when)
{
    for (size_t i = from; i < to; i++)
        if (p[i] != byte_at(i))
            bench_corrupt(ctx, "byte %zu of a %zu-byte buffer changed %s", i, to, when);
}

static unsigned char *resize(struct bench_ctx *ctx, struct bench_lat *lat, unsigned char *p,
                             size_t size)
{
    return bench_need(ctx, bench_realloc(lat, p, size), size);
}

static bool power_of_two(size_t n)
{
    return (n & (n - 1)) == 0;
}

static int run(struct bench_ctx *ctx)
{
    size_t max = (size_t)bench_param_int(ctx, "max_size");
    long long rounds = bench_param_int(ctx, "rounds");
    long long doublings = bench_param_int(ctx, "doublings");
    struct bench_lat *lat = bench_lat_recorder(ctx);
    uint64_t grow_ns = 0, shrink_ns = 0, double_ns = 0;

    bench_region_begin(ctx);
    for (long long r = 0; r < rounds; r++) {
        /* A string: +1 byte at a time, then -1. */
        uint64_t t0 = bench_now_ns();
        unsigned char *s = NULL;
        for (size_t n = 1; n <= max; n++) {
            s = resize(ctx, lat, s, n);
            s[n - 1] = byte_at(n - 1);
            if (power_of_two(n))
                check_range(ctx, s, 0, n, "while growing by one byte");
            else
                check_range(ctx, s, n > 17 ? n - 17 : 0, n, "while growing by one byte");
        }
        uint64_t t1 = bench_now_ns();
        for (size_t n = max; n >= 1; n--) {
            s = resize(ctx, lat, s, n);
            if (power_of_two(n))
                check_range(ctx, s, 0, n, "while shrinking by one byte");
            else
                check_range(ctx, s, n > 16 ? n - 16 : 0, n, "while shrinking by one byte");
        }
        free(s);
        uint64_t t2 = bench_now_ns();
        /* A vector: doubled to max, halved back, each new half written. */
        for (long long d = 0; d < doublings; d++) {
            unsigned char *v = resize(ctx, lat, NULL, 1);
            v[0] = byte_at(0);
            size_t n = 1;
            while (n * 2 <= max) {
                v = resize(ctx, lat, v, n * 2);
                check_range(ctx, v, 0, n, "after doubling");
                for (size_t i = n; i < 2 * n; i++)
                    v[i] = byte_at(i);
                n *= 2;
            }
            while (n > 1) {
                n /= 2;
                v = resize(ctx, lat, v, n);
                check_range(ctx, v, n / 2, n, "after halving");
            }
            check_range(ctx, v, 0, 1, "after halving");
            free(v);
        }
        uint64_t t3 = bench_now_ns();
        grow_ns += t1 - t0, shrink_ns += t2 - t1, double_ns += t3 - t2;
    }
    bench_region_end(ctx);

    bench_metric(ctx, "grow1_ms", (double)grow_ns / 1e6, "ms");
    bench_metric(ctx, "shrink1_ms", (double)shrink_ns / 1e6, "ms");
    bench_metric(ctx, "double_ms", (double)double_ns / 1e6, "ms");
    return 0;
}

BENCH_WORKLOAD(realloc_growth, .summary = "strings grown/shrunk by one byte and vectors by doubling, 1 B..1 MiB, contents checked",
               .params = params, .repeatable = true, .suites = "library", .tiny = "max_size=16384:doublings=2",
               .run = run);
