/* Differential fuzzer: random sequences of malloc, calloc, realloc,
 * posix_memalign, aligned_alloc, memalign, free and malloc_usable_size
 * (sizes from 0 through the small, medium and large classes, alignments up
 * to 8 MiB), checked against a shadow model of what any correct malloc must
 * do: every block has the alignment asked for and at least the usable size
 * asked for, overlaps no other live block, keeps a content pattern of its
 * own (written over all its usable bytes) until it is freed, keeps its
 * usable size; realloc keeps the common prefix; calloc memory is zero.
 *
 * Two runs: one thread (exactly reproducible from the seed), and threads
 * that hand blocks to each other (so frees and reallocs are often remote)
 * and end and are replaced each round (so blocks outlive the thread that
 * made them). Every failure names the seed, the thread and the index of the
 * operation; a crash does too (signal handler).
 *
 *   build/tests/test_alloc_fuzz [--seed N] [--ops N]
 *   (or ALLOC_FUZZ_SEED, ALLOC_FUZZ_OPS; the default is a bounded run for
 *   make test, the same seed every time)
 *
 * Allocator-agnostic: run it directly (glibc) or with LD_PRELOAD. */
#include "check.h"
#include "alloc_test.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>

#if defined(__SANITIZE_THREAD__)
#define DEFAULT_OPS 20000
#elif defined(__SANITIZE_ADDRESS__)
#define DEFAULT_OPS 40000
#else
#define DEFAULT_OPS 150000
#endif
#define SLOTS 512          /* live blocks per thread at most */
#define THREADS 4
#define ROUNDS 3
#define EXCHANGE (THREADS * SLOTS)

typedef struct {
    unsigned char *p;      /* NULL: empty slot */
    size_t size;           /* bytes asked for */
    size_t usable;         /* malloc_usable_size when allocated */
    uint64_t tag;          /* the content pattern's key */
} block_t;

typedef struct {
    uint64_t rng;
    unsigned thread;       /* 0 single-threaded; 1.. in the threaded run */
    uint64_t op;           /* index of the operation under way */
    const char *what;      /* and its name and arguments, for the reports */
    size_t arg1, arg2;
    block_t slots[SLOTS];
} fuzzer_t;

static uint64_t seed = 1;
static uint64_t total_ops = DEFAULT_OPS;
static __thread fuzzer_t *current;

/* ---------------------------------------------------------------------------
 * Reports
 * ------------------------------------------------------------------------- */
static void report_where(const fuzzer_t *f)
{
    fprintf(stderr, "  fuzz: seed %" PRIu64 ", thread %u, operation %" PRIu64 ": %s(%zu, %zu)\n", seed, f->thread,
            f->op, f->what, f->arg1, f->arg2);
    fprintf(stderr, "  rerun: build/tests/test_alloc_fuzz --seed %" PRIu64 " --ops %" PRIu64 "\n", seed, total_ops);
}

__attribute__((format(printf, 2, 3), noreturn)) static void fail(const fuzzer_t *f, const char *fmt, ...)
{
    report_where(f);
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "  fuzz: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    _exit(1);
}

static void put_str(char *buf, size_t *n, const char *s)
{
    while (*s && *n < 250) buf[(*n)++] = *s++;
}

static void put_u64(char *buf, size_t *n, uint64_t v)
{
    char d[24];
    int k = 0;
    do {
        d[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (k > 0 && *n < 250) buf[(*n)++] = d[--k];
}

/* A crash inside the allocator: say where, with async-signal-safe calls only. */
static void on_crash(int sig)
{
    char buf[256];
    size_t n = 0;
    put_str(buf, &n, "  fuzz: seed ");
    put_u64(buf, &n, seed);
    if (current) {
        put_str(buf, &n, ", thread ");
        put_u64(buf, &n, current->thread);
        put_str(buf, &n, ", operation ");
        put_u64(buf, &n, current->op);
        put_str(buf, &n, ": ");
        put_str(buf, &n, current->what);
        put_str(buf, &n, "(");
        put_u64(buf, &n, current->arg1);
        put_str(buf, &n, ", ");
        put_u64(buf, &n, current->arg2);
        put_str(buf, &n, ")");
    }
    put_str(buf, &n, ": signal ");
    put_u64(buf, &n, (uint64_t)sig);
    buf[n++] = '\n';
    ssize_t w = write(2, buf, n);
    (void)w;
    signal(sig, SIG_DFL);
    raise(sig);
}

static void begin(fuzzer_t *f, const char *what, size_t a, size_t b)
{
    f->what = what;
    f->arg1 = a;
    f->arg2 = b;
}

/* ---------------------------------------------------------------------------
 * Random choices
 * ------------------------------------------------------------------------- */
static uint64_t rnd(fuzzer_t *f)
{
    uint64_t x = (f->rng += 0x9E3779B97F4A7C15ull);   /* splitmix64 */
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static size_t between(fuzzer_t *f, size_t lo, size_t hi)
{
    return lo + (size_t)(rnd(f) % (hi - lo + 1));
}

/* Sizes at and around the class and mapping boundaries allocators have. */
static const size_t edge_sizes[] = {0,    1,     15,    16,    17,     127,    128,    129,    4095,
                                    4096, 4097,  8191,  8192,  8193,   65535,  65536,  65552,  131071,
                                    131072, 131073, 262144};
static const size_t big_edge_sizes[] = {1 << 20, (4 << 20) - 4096, 4 << 20, (4 << 20) + 1};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Mostly small, some medium, a few large, a very few of several MiB (each
 * of those costs as much filling and checking as thousands of small ones). */
static size_t pick_size(fuzzer_t *f)
{
    if (rnd(f) % 8 == 0) return edge_sizes[rnd(f) % COUNT(edge_sizes)];
    uint64_t r = rnd(f) % 10000;
    if (r < 600) return 0;
    if (r < 5000) return between(f, 1, 128);
    if (r < 7500) return between(f, 129, 1024);
    if (r < 8800) return between(f, 1025, 8192);
    if (r < 9880) return between(f, 8193, 131072);
    if (r < 9990) return between(f, 131073, (size_t)1 << 20);
    if (r < 9995) return big_edge_sizes[rnd(f) % COUNT(big_edge_sizes)];
    return between(f, (size_t)1 << 20, (size_t)8 << 20);
}

/* A power of two from 2^min_shift: up to 1 MiB mostly, up to 8 MiB rarely. */
static size_t pick_align(fuzzer_t *f, unsigned min_shift)
{
    unsigned top = rnd(f) % 20 == 0 ? 23 : 20;
    return (size_t)1 << between(f, min_shift, top);
}

/* ---------------------------------------------------------------------------
 * Content pattern: word i of a block with key `tag` is pat(tag, i), bytes
 * little-endian; independent of the address, so it survives a moving realloc.
 * ------------------------------------------------------------------------- */
static inline uint64_t pat(uint64_t tag, size_t i)
{
    uint64_t x = tag ^ (i * 0xD6E8FEB86659FD93ull);
    x = (x ^ (x >> 32)) * 0xD6E8FEB86659FD93ull;
    return x ^ (x >> 32);
}

static inline unsigned char pat_byte(uint64_t tag, size_t off)
{
    return (unsigned char)(pat(tag, off / 8) >> (8 * (off % 8)));
}

static void fill(unsigned char *p, uint64_t tag, size_t from, size_t to)
{
    size_t off = from;
    for (; off < to && off % 8; off++) p[off] = pat_byte(tag, off);
    for (; off + 8 <= to; off += 8) {
        uint64_t w = pat(tag, off / 8);
        memcpy(p + off, &w, 8);
    }
    for (; off < to; off++) p[off] = pat_byte(tag, off);
}

/* Offset of the first byte in [from, to) that is not the pattern, or `to`. */
static size_t first_mismatch(const unsigned char *p, uint64_t tag, size_t from, size_t to)
{
    size_t off = from;
    for (; off < to && off % 8; off++)
        if (p[off] != pat_byte(tag, off)) return off;
    for (; off + 8 <= to; off += 8) {
        uint64_t w;
        memcpy(&w, p + off, 8);
        if (w != pat(tag, off / 8)) break;
    }
    for (; off < to; off++)
        if (p[off] != pat_byte(tag, off)) return off;
    return to;
}

static void check_contents(fuzzer_t *f, const block_t *b, size_t upto)
{
    size_t bad = first_mismatch(b->p, b->tag, 0, upto);
    if (bad != upto)
        fail(f, "block %p (%zu bytes asked, %zu usable) overwritten at offset %zu", (void *)b->p, b->size, b->usable,
             bad);
}

/* ---------------------------------------------------------------------------
 * Live blocks of all threads, as address ranges sorted by start
 * [p, p + max(usable, 1)): a new block must overlap none.
 * ------------------------------------------------------------------------- */
typedef struct {
    uintptr_t lo, hi;
} range_t;

static range_t ranges[THREADS * SLOTS + EXCHANGE];
static size_t nranges;
static pthread_mutex_t ranges_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t range_pos(uintptr_t lo)
{
    size_t a = 0, b = nranges;
    while (a < b) {
        size_t m = (a + b) / 2;
        if (ranges[m].lo < lo) a = m + 1;
        else b = m;
    }
    return a;
}

static void range_add(fuzzer_t *f, const block_t *b)
{
    uintptr_t lo = (uintptr_t)b->p, hi = lo + (b->usable ? b->usable : 1);
    pthread_mutex_lock(&ranges_lock);
    size_t i = range_pos(lo);
    const range_t *clash = i > 0 && ranges[i - 1].hi > lo ? &ranges[i - 1] : i < nranges && ranges[i].lo < hi ? &ranges[i] : NULL;
    if (clash)
        fail(f, "new block %p..%p (%zu bytes asked) overlaps the live block %p..%p", (void *)lo, (void *)hi, b->size,
             (void *)clash->lo, (void *)clash->hi);
    memmove(&ranges[i + 1], &ranges[i], (nranges - i) * sizeof ranges[0]);
    ranges[i] = (range_t){lo, hi};
    nranges++;
    pthread_mutex_unlock(&ranges_lock);
}

static void range_remove(fuzzer_t *f, const block_t *b)
{
    pthread_mutex_lock(&ranges_lock);
    size_t i = range_pos((uintptr_t)b->p);
    if (i == nranges || ranges[i].lo != (uintptr_t)b->p) fail(f, "model: block %p not in the live set", (void *)b->p);
    memmove(&ranges[i], &ranges[i + 1], (nranges - i - 1) * sizeof ranges[0]);
    nranges--;
    pthread_mutex_unlock(&ranges_lock);
}

/* ---------------------------------------------------------------------------
 * Operations
 * ------------------------------------------------------------------------- */

/* A block just returned for `size` bytes at alignment `align` (0: none
 * asked): check it, enter it, fill it from byte `keep` on (the bytes before
 * already hold the pattern). Every block is aligned for any object that
 * fits in it: 16 bytes, 8 for sizes below 16 (peers such as jemalloc use
 * that; glibc and customalloc give 16 always, which alloc_api checks). */
static void accept(fuzzer_t *f, block_t *b, void *p, size_t size, size_t align, size_t keep)
{
    size_t fundamental = size < 16 ? 8 : 16;
    if (align < fundamental) align = fundamental;
    if (p == NULL) fail(f, "returned NULL (errno %d)", errno);
    if ((uintptr_t)p & (align - 1)) fail(f, "returned %p, not aligned to %zu", p, align);
    size_t usable = T_malloc_usable_size(p);
    if (usable < size) fail(f, "returned %p with usable size %zu < %zu asked", p, usable, size);
    *b = (block_t){p, size, usable, b->tag};
    range_add(f, b);
    fill(b->p, b->tag, keep, usable);
}

static void do_alloc(fuzzer_t *f, block_t *b)
{
    size_t size = pick_size(f);
    b->tag = rnd(f);
    uint64_t how = rnd(f) % 16;
    if (how < 6) {
        begin(f, "malloc", size, 0);
        accept(f, b, T_malloc(size), size, 0, 0);
    } else if (how < 9) {
        size_t m = between(f, 1, 16), n = size / m;
        begin(f, "calloc", n, m);
        unsigned char *p = T_calloc(n, m);
        for (size_t i = 0; p && i < n * m; i++)
            if (p[i] != 0) fail(f, "calloc memory %p not zero at offset %zu", (void *)p, i);
        accept(f, b, p, n * m, 0, 0);
    } else if (how < 10) {
        begin(f, "realloc(NULL)", size, 0);
        accept(f, b, T_realloc(NULL, size), size, 0, 0);
    } else if (how < 12) {
        size_t align = pick_align(f, 3);
        begin(f, "posix_memalign", align, size);
        void *p = NULL;
        int rc = T_posix_memalign(&p, align, size);
        if (rc != 0) fail(f, "failed with %d", rc);
        accept(f, b, p, size, align, 0);
    } else if (how < 14) {
        size_t align = pick_align(f, 0);
        begin(f, "aligned_alloc", align, size);
        accept(f, b, T_aligned_alloc(align, size), size, align, 0);
    } else {
        size_t align = pick_align(f, 0);
        begin(f, "memalign", align, size);
        accept(f, b, T_memalign(align, size), size, align, 0);
    }
}

static void do_free(fuzzer_t *f, block_t *b)
{
    begin(f, "free", b->size, b->usable);
    check_contents(f, b, b->usable);
    range_remove(f, b);
    T_free(b->p);
    b->p = NULL;
}

static void do_realloc(fuzzer_t *f, block_t *b)
{
    size_t size = rnd(f) % 2 ? pick_size(f) : b->size / 2 + (size_t)(rnd(f) % (b->size * 3 / 2 + 2));
    begin(f, "realloc", b->size, size);
    check_contents(f, b, b->usable);
    range_remove(f, b);
    void *p = T_realloc(b->p, size);
    if (size == 0 && p == NULL) {   /* glibc: realloc(p, 0) frees */
        b->p = NULL;
        return;
    }
    size_t keep = b->size < size ? b->size : size;
    size_t bad = p ? first_mismatch(p, b->tag, 0, keep) : keep;
    if (bad != keep) fail(f, "realloc to %p lost the contents at offset %zu of %zu kept", p, bad, keep);
    accept(f, b, p, size, 0, keep);
}

static void do_check(fuzzer_t *f, block_t *b)
{
    begin(f, "malloc_usable_size", b->size, b->usable);
    size_t usable = T_malloc_usable_size(b->p);
    if (usable != b->usable) fail(f, "usable size of %p changed from %zu to %zu", (void *)b->p, b->usable, usable);
    check_contents(f, b, b->usable);
}

/* The threaded run's hand-over between threads (and rounds). */
static block_t exchange[EXCHANGE];
static size_t nexchange;
static pthread_mutex_t exchange_lock = PTHREAD_MUTEX_INITIALIZER;

static void give(block_t *b)
{
    pthread_mutex_lock(&exchange_lock);
    if (nexchange < EXCHANGE) {
        exchange[nexchange++] = *b;
        b->p = NULL;
    }
    pthread_mutex_unlock(&exchange_lock);
}

static void take(fuzzer_t *f, block_t *b)
{
    pthread_mutex_lock(&exchange_lock);
    if (nexchange > 0) {
        size_t i = (size_t)(rnd(f) % nexchange);
        *b = exchange[i];
        exchange[i] = exchange[--nexchange];
    }
    pthread_mutex_unlock(&exchange_lock);
}

/* One operation on a random slot: an empty one gets a block (in the
 * threaded run often one from another thread), a live one is freed,
 * reallocated, checked, or (threaded) handed over. */
static void step(fuzzer_t *f, bool threaded)
{
    block_t *b = &f->slots[rnd(f) % SLOTS];
    uint64_t r = rnd(f) % 100;
    if (b->p == NULL) {
        if (threaded && r < 30) take(f, b);
        if (b->p == NULL) do_alloc(f, b);
        return;
    }
    if (threaded && r < 15) give(b);
    else if (r < 55) do_free(f, b);
    else if (r < 85) do_realloc(f, b);
    else do_check(f, b);
}

static void run(fuzzer_t *f, uint64_t ops, bool threaded)
{
    current = f;
    for (uint64_t i = 0; i < ops; i++, f->op++) step(f, threaded);
}

static void free_all(fuzzer_t *f, block_t *blocks, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (blocks[i].p) do_free(f, &blocks[i]);
}

static void install_crash_handlers(void)
{
    signal(SIGSEGV, on_crash);
    signal(SIGBUS, on_crash);
    signal(SIGABRT, on_crash);
    signal(SIGALRM, on_crash);
}

/* ---------------------------------------------------------------------------
 * The two runs
 * ------------------------------------------------------------------------- */
static void fuzz_one_thread_matches_the_model(void)
{
    install_crash_handlers();
    static fuzzer_t f;
    f.rng = seed;
    run(&f, total_ops, false);
    free_all(&f, f.slots, SLOTS);
}

static void *fuzz_thread(void *arg)
{
    fuzzer_t *f = arg;
    run(f, total_ops / (THREADS * ROUNDS), true);
    /* what is still live goes to the next round's threads */
    for (size_t i = 0; i < SLOTS; i++)
        if (f->slots[i].p) give(&f->slots[i]);
    return NULL;
}

static void fuzz_threads_handing_blocks_over_match_the_model(void)
{
    install_crash_handlers();
    static fuzzer_t fs[THREADS];
    for (unsigned t = 0; t < THREADS; t++) {
        fs[t].rng = seed * (t + 2) + t;
        fs[t].thread = t + 1;
    }
    for (int r = 0; r < ROUNDS; r++) {
        pthread_t th[THREADS];
        for (unsigned t = 0; t < THREADS; t++) CHECK(pthread_create(&th[t], NULL, fuzz_thread, &fs[t]) == 0);
        for (unsigned t = 0; t < THREADS; t++) pthread_join(th[t], NULL);
    }
    static fuzzer_t main_f;
    current = &main_f;
    free_all(&main_f, exchange, nexchange);
    for (unsigned t = 0; t < THREADS; t++) free_all(&main_f, fs[t].slots, SLOTS);
}

static uint64_t parse_u64(const char *what, const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *s == '\0' || *end != '\0' || *s == '-') {
        fprintf(stderr, "test_alloc_fuzz: %s must be a non-negative integer, got '%s'\n", what, s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    const char *s;
    if ((s = getenv("ALLOC_FUZZ_SEED")) != NULL) seed = parse_u64("ALLOC_FUZZ_SEED", s);
    if ((s = getenv("ALLOC_FUZZ_OPS")) != NULL) total_ops = parse_u64("ALLOC_FUZZ_OPS", s);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            seed = parse_u64("--seed", argv[++i]);
        } else if (strcmp(argv[i], "--ops") == 0 && i + 1 < argc) {
            total_ops = parse_u64("--ops", argv[++i]);
        } else {
            fprintf(stderr, "usage: %s [--seed N] [--ops N]\n", argv[0]);
            return 2;
        }
    }
    fprintf(stderr, "  fuzz: seed %" PRIu64 ", %" PRIu64 " operations per run\n", seed, total_ops);
    static const struct check_test tests[] = {
        T(fuzz_one_thread_matches_the_model),
        T(fuzz_threads_handing_blocks_over_match_the_model),
    };
    setvbuf(stdout, NULL, _IOLBF, 0);
    return check_run(tests, sizeof tests / sizeof tests[0], (unsigned)(60 + total_ops / 5000));
}
