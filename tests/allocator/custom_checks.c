/* Checks specific to customalloc, run by tests/test_alloc_custom.sh under
 * LD_PRELOAD=build/libcustomalloc.so: the marker symbol, memory going back to
 * the OS (decay purge within 2 s, malloc_trim at once), no system-call
 * thrash, mremap for large realloc, the large-block cache, heap reuse under
 * thread churn. Counters come from customalloc_stat(name).
 *
 * `alloc_custom_checks rss` only prints the process's RSS after one small
 * malloc (the script compares it with and without the preload). */
#include "check.h"
#include "alloc_test.h"

#include <pthread.h>
#include <time.h>

typedef unsigned long long (*stat_fn)(const char *);
static stat_fn stat_get;

static void need_customalloc(void)
{
    stat_get = (stat_fn)dlsym(RTLD_DEFAULT, "customalloc_stat");
    if (stat_get == NULL) CHECK_SKIP("not running under customalloc");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void malloc_resolves_into_customalloc(void)
{
    need_customalloc();
    const char *(*version)(void) = (const char *(*)(void))dlsym(RTLD_DEFAULT, "customalloc_version");
    CHECK(version && strncmp(version(), "customalloc ", 12) == 0);
    Dl_info a, b;
    CHECK(dladdr((void *)malloc, &a) && dladdr((void *)version, &b));
    CHECK_MSG(strcmp(a.dli_fname, b.dli_fname) == 0, "malloc in %s, marker in %s", a.dli_fname, b.dli_fname);
}

/* Frees 512 MiB of 64-byte objects; while the program keeps making an
 * occasional call, RSS must fall below 10% of the peak within 2 s. */
static void freed_small_memory_returns_to_os_within_2s(void)
{
    need_customalloc();
    size_t base = t_rss();
    void *head = NULL;
    size_t total = 0;
    while (total < ((size_t)512 << 20)) {
        void **p = malloc(64);
        CHECK(p);
        p[0] = head;
        p[1] = (void *)total;   /* touch */
        head = p;
        total += 64;
    }
    size_t peak = t_rss();
    CHECK(peak > base + ((size_t)400 << 20));
    while (head) {
        void **p = head;
        head = p[0];
        free(p);
    }
    double start = now_s();
    size_t rss = t_rss();
    while (rss - base > (peak - base) / 10 && now_s() - start < 2.0) {
        free(malloc(100));           /* the occasional call */
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
        rss = t_rss();
    }
    CHECK_MSG(rss - base <= (peak - base) / 10, "RSS still %zu MiB of a %zu MiB peak after %.1f s",
              (rss - base) >> 20, (peak - base) >> 20, now_s() - start);
}

/* After malloc_trim(0) nearly everything free is gone at once. */
static void malloc_trim_releases_at_once(void)
{
    need_customalloc();
    size_t base = t_rss();
    enum { N = 200000 };
    static void *ps[N];
    for (int i = 0; i < N; i++) {
        ps[i] = malloc(16 + (size_t)(i % 64) * 16);
        memset(ps[i], 1, 16);
    }
    void *big[8];
    for (int i = 0; i < 8; i++) {
        big[i] = malloc((size_t)4 << 20);
        memset(big[i], 1, (size_t)4 << 20);
    }
    size_t peak = t_rss();
    for (int i = 0; i < N; i++) free(ps[i]);
    for (int i = 0; i < 8; i++) free(big[i]);
    malloc_trim(0);
    size_t after = t_rss();
    CHECK_MSG(after <= base + ((size_t)2 << 20), "RSS %zu KiB above start after trim (peak %zu KiB above)",
              (after - base) / 1024, (peak - base) / 1024);
}

/* Medium blocks (some of which wait in the heap's block cache) come back
 * too when malloc_trim(0) is called. */
static void malloc_trim_releases_medium_blocks(void)
{
    need_customalloc();
    size_t base = t_rss();
    enum { N = 4000 };
    static void *ps[N];
    for (int i = 0; i < N; i++) {
        size_t n = 9000 + (size_t)(i % 50) * 2000;
        ps[i] = malloc(n);
        memset(ps[i], 1, n);
    }
    for (int i = 0; i < N; i++) free(ps[i]);
    malloc_trim(0);
    size_t after = t_rss();
    CHECK_MSG(after <= base + ((size_t)2 << 20), "RSS %zu KiB above start after trim", (after - base) / 1024);
}

/* Size classes: exact 16-byte steps to 128 bytes, at most 1/8 waste above
 * (also for blocks reused from the medium block cache). */
static void internal_waste_is_bounded(void)
{
    need_customalloc();
    for (int round = 0; round < 2; round++) {   /* the second round reuses cached blocks */
        for (size_t n = 1; n <= 131072; n += 1 + n / 61) {
            void *p = malloc(n);
            size_t u = malloc_usable_size(p);
            size_t limit = n <= 128 ? ((n + 15) & ~(size_t)15) : n + n / 8;
            CHECK_MSG(u >= n && u <= limit, "malloc(%zu): usable %zu, limit %zu", n, u, limit);
            free(p);
        }
    }
}

/* 100 x 4 KiB malloc then free, repeated: < 1 kernel call per 10,000 ops. */
static void no_syscall_thrash_on_batches(void)
{
    need_customalloc();
    void *ps[100];
    for (int i = 0; i < 100; i++) ps[i] = malloc(4096);   /* warm up */
    for (int i = 0; i < 100; i++) free(ps[i]);
    unsigned long long before = stat_get("os_calls");
    enum { ROUNDS = 10000 };
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < 100; i++) {
            ps[i] = malloc(4096);
            *(volatile char *)ps[i] = 1;
        }
        for (int i = 0; i < 100; i++) free(ps[i]);
    }
    unsigned long long calls = stat_get("os_calls") - before;
    CHECK_MSG(calls * 10000 < (unsigned long long)ROUNDS * 200, "%llu kernel calls for %d operations", calls, ROUNDS * 200);
}

/* Large blocks freed and allocated again come from the cache. */
static void large_blocks_are_reused_without_syscalls(void)
{
    need_customalloc();
    free(malloc((size_t)1 << 20));
    unsigned long long before = stat_get("os_calls");
    for (int i = 0; i < 10000; i++) {
        char *p = malloc(((size_t)1 << 20) - (size_t)(i % 7) * 4096);
        p[0] = 1;
        free(p);
    }
    unsigned long long calls = stat_get("os_calls") - before;
    CHECK_MSG(calls < 10, "%llu kernel calls for 10000 large malloc/free pairs", calls);
}

/* Growing a large block uses mremap, and the contents move with it. */
static void large_realloc_grows_with_mremap(void)
{
    need_customalloc();
    size_t n = (size_t)64 << 20;
    unsigned char *p = malloc(n);
    CHECK(p);
    t_fill(p, 1 << 20);
    unsigned long long before = stat_get("mremap_calls");
    unsigned char *q = realloc(p, n * 4);
    CHECK(q);
    CHECK(stat_get("mremap_calls") > before);
    for (size_t i = 0; i < (1 << 20); i++) CHECK(q[i] == t_pattern(p, 1 << 20, i));
    free(q);
}

static void *few_allocs(void *arg)
{
    (void)arg;
    void *p = malloc(100);
    free(malloc(5000));
    return p;
}

/* Heaps of exited threads are adopted by new threads, not created anew. */
static void exited_threads_heaps_are_adopted(void)
{
    need_customalloc();
    unsigned long long created = stat_get("heaps_created");
    for (int i = 0; i < 500; i++) {
        pthread_t t;
        CHECK(pthread_create(&t, NULL, few_allocs, NULL) == 0);
        void *ret;
        pthread_join(t, &ret);
        free(ret);
    }
    unsigned long long made = stat_get("heaps_created") - created;
    CHECK_MSG(made <= 4, "%llu heaps created for 500 sequential threads", made);
}

static void calloc_of_fresh_memory_is_zero(void)
{
    need_customalloc();
    for (int i = 0; i < 2000; i++) {
        size_t n = 1000 + (size_t)i * 61;
        unsigned char *p = calloc(1, n);
        for (size_t j = 0; j < n; j += 97) CHECK(p[j] == 0);
        CHECK(p[n - 1] == 0);
        memset(p, 0xEE, n);
        if (i % 3) free(p);
    }
}

/* Freed medium blocks serve requests of a class a little smaller (up to 4
 * classes down) before that class grows; calloc still gets zeroes from
 * those dirty blocks, whether they come from the block cache or a page. */
static void medium_blocks_are_borrowed_by_smaller_classes_and_calloc_is_zero(void)
{
    need_customalloc();
    enum { N = 400 };
    static unsigned char *big[N];
    for (int i = 0; i < N; i++) {
        big[i] = malloc(20000);     /* class 20 KiB */
        CHECK(big[i]);
        memset(big[i], 0xEE, 20000);
    }
    /* every other block, so that the pages stay in use (an emptied page
     * goes back to its segment, its blocks with it) */
    for (int i = 1; i < N; i += 2) free(big[i]);
    enum { M = N / 2 - 20 };
    static unsigned char *small[M];
    int borrowed = 0;
    for (int i = 0; i < M; i++) {
        size_t n = 16900 + (size_t)(i % 7) * 10;   /* class 18 KiB */
        unsigned char *p = i % 2 ? calloc(1, n) : malloc(n);
        CHECK(p);
        if (i % 2)
            for (size_t j = 0; j < n; j++) CHECK_MSG(p[j] == 0, "calloc(%zu)[%zu] = %d", n, j, p[j]);
        CHECK(malloc_usable_size(p) >= n);
        if (malloc_usable_size(p) == 20480) borrowed++;
        memset(p, 0xDD, n);
        small[i] = p;
    }
    CHECK_MSG(borrowed >= M * 9 / 10, "%d of %d blocks reused a freed 20 KiB block", borrowed, M);
    for (int i = 0; i < M; i++) free(small[i]);
    for (int i = 0; i < N; i += 2) free(big[i]);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "rss") == 0) {
        free(malloc(64));
        printf("%zu\n", t_rss());
        return 0;
    }
    static const struct check_test tests[] = {
        T(malloc_resolves_into_customalloc),
        T(freed_small_memory_returns_to_os_within_2s),
        T(malloc_trim_releases_at_once),
        T(malloc_trim_releases_medium_blocks),
        T(internal_waste_is_bounded),
        T(no_syscall_thrash_on_batches),
        T(large_blocks_are_reused_without_syscalls),
        T(large_realloc_grows_with_mremap),
        T(exited_threads_heaps_are_adopted),
        T(calloc_of_fresh_memory_is_zero),
        T(medium_blocks_are_borrowed_by_smaller_classes_and_calloc_is_zero),
    };
    setvbuf(stdout, NULL, _IOLBF, 0);
    return check_run(tests, sizeof tests / sizeof tests[0], 60);
}
