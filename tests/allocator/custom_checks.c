/* Checks specific to customalloc, run by tests/test_alloc_custom.sh under
 * LD_PRELOAD=build/libcustomalloc.so: the marker symbol, memory going back to
 * the OS (decay purge within 2 s, malloc_trim at once), no system-call
 * thrash, mremap for large realloc, the large-block cache, heap reuse under
 * thread churn. Counters come from customalloc_stat(name). (Misuse and
 * its detection: misuse.c.)
 *
 * `alloc_custom_checks rss` only prints the process's RSS after one small
 * malloc (the script compares it with and without the preload);
 * `alloc_custom_checks version` prints customalloc_version(). */
#include "check.h"
#include "alloc_test.h"

#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>
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

/* The replay of python's trace, in small: a vector grown by realloc past
 * 8 KiB (a large block carved at the start of the arena's free space, to
 * grow into) is freed, then a calloc(256 KiB) (carved at the other end) is
 * freed and made again. The free memory between the two is clean, so the
 * resident free bytes stay far below what the arena keeps, and no
 * iteration purges the block it is about to hand out again. */
static void large_calloc_loop_after_a_grown_block_makes_no_kernel_calls(void)
{
    need_customalloc();
    char *v = NULL;
    for (size_t n = 4096; n <= ((size_t)96 << 10); n += 4096) {
        v = realloc(v, n);
        CHECK(v);
        memset(v, 1, n);
    }
    free(v);
    free(calloc(1, (size_t)256 << 10));
    unsigned long long before = stat_get("os_calls");
    for (int i = 0; i < 1000; i++) {
        char *p = calloc(1, (size_t)256 << 10);
        CHECK(p && p[4096] == 0);
        p[4096] = 1;
        free(p);
    }
    unsigned long long calls = stat_get("os_calls") - before;
    CHECK_MSG(calls == 0, "%llu kernel calls for 1000 calloc/free pairs", calls);
}

/* A ring of LIVE large blocks of random sizes (1..32 MiB), each freed and
 * replaced in turn, one byte per page written: the workload of the `large`
 * benchmark. Calls step(i, live bytes) after each replacement. */
enum { RING_LIVE = 8, RING_STEPS = 400 };
static void large_ring(void (*step)(int i, size_t live))
{
    char *ring[RING_LIVE] = {0};
    size_t sizes[RING_LIVE] = {0}, live = 0;
    uint64_t rng = 42;
    for (int i = 0; i < RING_STEPS; i++) {
        int k = i % RING_LIVE;
        free(ring[k]);
        live -= sizes[k];
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        sizes[k] = ((size_t)1 << 20) + (size_t)(rng >> 33) % ((size_t)31 << 20);
        ring[k] = malloc(sizes[k]);
        CHECK(ring[k]);
        for (size_t j = 0; j < sizes[k]; j += 4096) ring[k][j] = 1;
        live += sizes[k];
        step(i, live);
    }
    for (int k = 0; k < RING_LIVE; k++) free(ring[k]);
}

static unsigned long long ring_calls;

static void count_calls_after_first_laps(int i, size_t live)
{
    (void)live;
    if (i == 4 * RING_LIVE - 1) ring_calls = stat_get("os_calls");
    if (i == RING_STEPS - 1) ring_calls = stat_get("os_calls") - ring_calls;
}

/* Once the ring has run its first laps, its mallocs and frees reuse each
 * other's memory: at most one kernel call (mmap, munmap, madvise, mremap)
 * per 100 of them. */
static void repeated_large_blocks_make_at_most_one_system_call_per_100(void)
{
    need_customalloc();
    large_ring(count_calls_after_first_laps);
    unsigned long long ops = 2ull * (RING_STEPS - 4 * RING_LIVE);
    CHECK_MSG(ring_calls * 100 <= ops, "%llu kernel calls for %llu large mallocs and frees", ring_calls, ops);
}

static size_t ring_base, ring_peak_live, ring_peak_rss;

static void note_rss(int i, size_t live)
{
    (void)i;
    size_t rss = t_rss() - ring_base;
    if (live > ring_peak_live) ring_peak_live = live;
    if (rss > ring_peak_rss) ring_peak_rss = rss;
}

/* The ring's resident memory stays within its peak of live bytes plus
 * 3/8 of it and 8 MiB: freed blocks are reused for any size, at page
 * granularity, and not purged in between (this ring: 1.29; glibc and
 * tcmalloc 1.20; 1.71 when blocks were separate mappings in a cache). */
static void repeated_large_blocks_keep_rss_within_live_plus_3_eighths(void)
{
    need_customalloc();
    ring_base = t_rss();
    large_ring(note_rss);
    CHECK_MSG(ring_peak_rss <= ring_peak_live + ring_peak_live / 8 * 3 + ((size_t)8 << 20),
              "peak RSS %zu MiB for a peak of %zu MiB live", ring_peak_rss >> 20, ring_peak_live >> 20);
}

static long minor_faults(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

/* Large blocks all freed and allocated again at once (a loop, a
 * benchmark's repetitions) find their memory resident: the second round
 * faults in at most 1/8 of its pages. */
static void large_blocks_freed_and_allocated_again_are_not_faulted_in_again(void)
{
    need_customalloc();
    enum { N = 8 };
    size_t size = (size_t)8 << 20;
    long faults[2];
    for (int round = 0; round < 2; round++) {
        char *p[N];
        long before = minor_faults();
        for (int i = 0; i < N; i++) {
            p[i] = malloc(size - (size_t)(i + round) * 12288);
            CHECK(p[i]);
            for (size_t j = 0; j < size - (size_t)(i + round) * 12288; j += 4096) p[i][j] = 1;
        }
        faults[round] = minor_faults() - before;
        for (int i = 0; i < N; i++) free(p[i]);
    }
    long pages = (long)(N * size / 4096);
    CHECK_MSG(faults[1] <= pages / 8, "%ld faults the first time, %ld the second (%ld pages)", faults[0], faults[1], pages);
}

/* A process that frees big blocks and goes idle gives their memory back at
 * the free (there may be no later call to do it): two 60 MiB blocks leave
 * at most 4 MiB resident. */
static void freed_blocks_above_32MiB_leave_no_memory_resident(void)
{
    need_customalloc();
    size_t base = t_rss(), size = (size_t)60 << 20;
    char *a = malloc(size), *b = malloc(size);
    CHECK(a && b);
    memset(a, 1, size);
    memset(b, 1, size);
    free(a);
    free(b);
    size_t rss = t_rss();
    CHECK_MSG(rss <= base + ((size_t)4 << 20), "%zu MiB resident after the frees", (rss - base) >> 20);
}

/* Memory the kernel will not purge (locked: mlockall) must still read as
 * zero where the allocator counts on it: a freed 40 MiB block is purged at
 * the free, and a calloc carved from it skips its memset. */
static void calloc_is_zero_under_mlockall(void)
{
    need_customalloc();
    if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0) CHECK_SKIP("mlockall refused (RLIMIT_MEMLOCK, no CAP_IPC_LOCK)");
    size_t size = (size_t)40 << 20, n = (size_t)8 << 20;
    unsigned char *a = malloc(size);
    CHECK(a);
    memset(a, 0xAA, size);
    free(a);
    unsigned char *b = calloc(1, n);
    CHECK(b);
    size_t nonzero = 0;
    for (size_t i = 0; i < n; i++) nonzero += b[i] != 0;
    CHECK_MSG(nonzero == 0, "%zu of %zu bytes not zero", nonzero, n);
    free(b);
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

/* The OS pages of [p, p + len) that are resident. */
static size_t resident_pages(void *p, size_t len)
{
    unsigned char v[512];
    size_t n = len / 4096;
    if (n > sizeof v || mincore(p, len, v) != 0) return 0;
    size_t r = 0;
    for (size_t i = 0; i < n; i++) r += v[i] & 1;
    return r;
}

/* A page's free list grows by the blocks that start in one OS page, so
 * handing out 33 KiB of 80-byte blocks makes at most one OS page more
 * resident than the blocks cover (lists that grew by doubling threaded,
 * and so touched, 64 KiB). */
static void a_free_list_grows_one_os_page_at_a_time(void)
{
    need_customalloc();
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    char thp[64] = "";
    if (f) {
        if (!fgets(thp, sizeof thp, f)) thp[0] = '\0';
        fclose(f);
    }
    if (strncmp(thp, "[always]", 8) == 0) CHECK_SKIP("transparent huge pages are always on");
    enum { N = 33 * 1024 / 80 };
    static char *b[N + 1];
    b[0] = malloc(80);
    char *slice = (char *)((uintptr_t)b[0] & ~(uintptr_t)(256 * 1024 - 1));
    size_t before = resident_pages(slice, 256 * 1024);
    for (int i = 1; i <= N; i++) {
        b[i] = malloc(80);
        if ((char *)((uintptr_t)b[i] & ~(uintptr_t)(256 * 1024 - 1)) != slice) CHECK_SKIP("the class's page was nearly full");
    }
    size_t grew = resident_pages(slice, 256 * 1024) - before;
    CHECK_MSG(grew <= (N * 80 + 4095) / 4096 + 1, "%zu OS pages more resident for %d blocks of 80 bytes", grew, N);
    for (int i = 0; i <= N; i++) free(b[i]);
}

/* A class above 1 KiB that has no page of its own yet takes a freed block
 * of a class up to 4 above (here 1664 bytes) instead of a page. */
static void a_lean_class_borrows_a_freed_larger_block(void)
{
    need_customalloc();
    char *a = malloc(1600), *b = malloc(1600);
    free(a);
    unsigned long long pages = stat_get("pages_init");
    char *q = malloc(1100);
    CHECK_MSG(malloc_usable_size(q) == 1664, "malloc(1100) got a block of %zu bytes", malloc_usable_size(q));
    CHECK(stat_get("pages_init") == pages);
    free(q);
    free(b);
}

/* Borrowing costs a slow path per malloc: a class that borrows all the
 * time (here every other malloc takes the block just freed by a class
 * above) stops after its budget and grows a page of its own. */
static void a_class_that_borrows_all_the_time_grows_its_own_page(void)
{
    need_customalloc();
    enum { N = 20000 };
    int own = 0;
    for (int i = 0; i < N; i++) {
        free(malloc(1300));
        char *q = malloc(1100);
        own += malloc_usable_size(q) == 1152;
        free(q);
    }
    CHECK_MSG(own >= N * 9 / 10, "%d of %d blocks came from the class's own page", own, N);
}

/* 64 MiB of 2000-byte blocks (class 2 KiB), of which a fixed random 90%
 * is freed (about 8 in 10 OS pages then hold only free blocks; no page
 * empties). Returns the RSS with all of them live. */
enum { SPARSE_N = 32768 };
static char *sparse[SPARSE_N];

static uint64_t sparse_rng(uint64_t *x)
{
    *x = *x * 6364136223846793005ull + 1442695040888963407ull;
    return *x >> 33;
}

static size_t make_sparse_pages(void)
{
    for (int i = 0; i < SPARSE_N; i++) {
        sparse[i] = malloc(2000);
        CHECK(sparse[i]);
        memset(sparse[i], i & 0xff, 2000);
    }
    size_t full = t_rss();
    uint64_t x = 7;
    for (int i = 0; i < SPARSE_N; i++) {
        if (sparse_rng(&x) % 10 == 0) continue;
        free(sparse[i]);
        sparse[i] = NULL;
    }
    return full;
}

/* Growth in another class after the 90% free: 32 MiB of 6000-byte blocks
 * take new segments, and the heap first purges the free OS pages inside
 * the sparse pages, so RSS stays within 4 MiB (one segment) of what it was
 * with all 64 MiB live (before: 33 MiB above it). */
static void growth_after_a_random_90_percent_free_stays_within_the_rss_before_it(void)
{
    need_customalloc();
    size_t full = make_sparse_pages();
    enum { M = 5600 };
    static char *grown[M];
    for (int i = 0; i < M; i++) {
        grown[i] = malloc(6000);
        CHECK(grown[i]);
        memset(grown[i], 0x5a, 6000);
    }
    size_t after = t_rss();
    CHECK_MSG(after <= full + ((size_t)4 << 20), "RSS %zu MiB after growing 32 MiB, %zu MiB with all 64 MiB live",
              after >> 20, full >> 20);
}

/* A sweep (malloc_trim runs one) takes the blocks in purged OS pages off
 * the lists; the blocks still live keep their contents, and the class
 * hands out every freed block's worth again without overlapping them. */
static void swept_pages_keep_live_blocks_and_hand_out_the_freed_ones_again(void)
{
    need_customalloc();
    make_sparse_pages();
    unsigned long long swept = stat_get("pages_swept");
    malloc_trim(0);
    CHECK_MSG(stat_get("pages_swept") > swept, "malloc_trim swept no page");
    for (int i = 0; i < SPARSE_N; i++) {
        if (sparse[i] == NULL) {
            sparse[i] = malloc(2000);
            CHECK(sparse[i]);
            memset(sparse[i], i & 0xff, 2000);
        }
    }
    for (int i = 0; i < SPARSE_N; i++)
        for (int j = 0; j < 2000; j += 199)
            CHECK_MSG((unsigned char)sparse[i][j] == (i & 0xff), "block %d byte %d is %d", i, j, sparse[i][j]);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "rss") == 0) {
        free(malloc(64));
        printf("%zu\n", t_rss());
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "version") == 0) {
        const char *(*version)(void) = (const char *(*)(void))dlsym(RTLD_DEFAULT, "customalloc_version");
        printf("%s\n", version ? version() : "not customalloc");
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
        T(large_calloc_loop_after_a_grown_block_makes_no_kernel_calls),
        T(repeated_large_blocks_make_at_most_one_system_call_per_100),
        T(repeated_large_blocks_keep_rss_within_live_plus_3_eighths),
        T(large_blocks_freed_and_allocated_again_are_not_faulted_in_again),
        T(freed_blocks_above_32MiB_leave_no_memory_resident),
        T(calloc_is_zero_under_mlockall),
        T(large_realloc_grows_with_mremap),
        T(exited_threads_heaps_are_adopted),
        T(calloc_of_fresh_memory_is_zero),
        T(medium_blocks_are_borrowed_by_smaller_classes_and_calloc_is_zero),
        T(growth_after_a_random_90_percent_free_stays_within_the_rss_before_it),
        T(swept_pages_keep_live_blocks_and_hand_out_the_freed_ones_again),
        T(a_free_list_grows_one_os_page_at_a_time),
        T(a_lean_class_borrows_a_freed_larger_block),
        T(a_class_that_borrows_all_the_time_grows_its_own_page),
    };
    setvbuf(stdout, NULL, _IOLBF, 0);
    return check_run(tests, sizeof tests / sizeof tests[0], 60);
}
