/* API semantics of malloc and friends, one test per fact, with glibc 2.36
 * as the reference. Allocator-agnostic: run it directly (glibc) or with
 * LD_PRELOAD=<library>. */
#include "check.h"
#include "alloc_test.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/resource.h>
#include <unistd.h>

#define BIG opaque((size_t)PTRDIFF_MAX + 1)

/* Hides a constant from the compiler's own size checks. */
static size_t opaque(size_t x)
{
    volatile size_t v = x;
    return v;
}

static const size_t sizes[] = {0,    1,    2,    7,     8,     9,     15,     16,     17,     24,   31,
                               32,   33,   48,   63,    64,    65,    100,    127,    128,    129,  200,
                               255,  256,  257,  500,   512,   1000,  1024,   1025,   2000,   4096, 4097,
                               8191, 8192, 8193, 16384, 30000, 65536, 100000, 131072, 131073, 262144,
                               1000000, 4u << 20, 5000000};
#define NSIZES (sizeof sizes / sizeof sizes[0])

static void malloc_results_are_16_byte_aligned(void)
{
    for (size_t i = 0; i < NSIZES; i++) {
        void *p = T_malloc(sizes[i]);
        CHECK_MSG(p != NULL && ((uintptr_t)p & 15) == 0, "size %zu -> %p", sizes[i], p);
        T_free(p);
    }
    void *keep[64];
    for (size_t n = 1; n <= 8; n++) {
        for (int i = 0; i < 64; i++) {
            keep[i] = T_malloc(n);
            CHECK_MSG(((uintptr_t)keep[i] & 15) == 0, "malloc(%zu) = %p", n, keep[i]);
        }
        for (int i = 0; i < 64; i++) T_free(keep[i]);
    }
}

static void malloc_zero_returns_unique_pointers(void)
{
    void *a = T_malloc(0), *b = T_malloc(0);
    CHECK(a != NULL && b != NULL && a != b);
    T_free(a);
    T_free(b);
}

static void usable_size_covers_request_and_is_writable(void)
{
    for (size_t i = 0; i < NSIZES; i++) {
        size_t n = sizes[i];
        unsigned char *p = T_malloc(n);
        unsigned char *q = T_malloc(n);   /* a neighbour that must stay intact */
        CHECK(p && q);
        size_t u = T_malloc_usable_size(p), uq = T_malloc_usable_size(q);
        CHECK_MSG(u >= n, "usable %zu < request %zu", u, n);
        t_fill(q, uq);
        memset(p, 0xA5, u);
        CHECK_MSG(t_check(q, uq), "writing usable size of %zu corrupted a neighbour", n);
        T_free(p);
        T_free(q);
    }
}

static void usable_size_of_null_is_zero(void)
{
    CHECK(T_malloc_usable_size(NULL) == 0);
}

static void malloc_above_ptrdiff_max_fails_with_enomem(void)
{
    errno = 0;
    CHECK(T_malloc(BIG) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(T_malloc(opaque(SIZE_MAX)) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(T_malloc(opaque(SIZE_MAX - 15)) == NULL && errno == ENOMEM);
}

static void calloc_memory_is_zero(void)
{
    for (size_t i = 0; i < NSIZES; i++) {
        unsigned char *p = T_calloc(1, sizes[i]);
        CHECK(p != NULL);
        for (size_t j = 0; j < sizes[i]; j++) CHECK_MSG(p[j] == 0, "calloc(%zu)[%zu] = %d", sizes[i], j, p[j]);
        T_free(p);
    }
}

static void calloc_memory_is_zero_when_reused(void)
{
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < NSIZES; i++) {
            size_t n = sizes[i];
            void *dirty[8];
            for (int k = 0; k < 8; k++) {
                dirty[k] = T_malloc(n);
                CHECK(dirty[k] != NULL);
                memset(dirty[k], 0xFF, T_malloc_usable_size(dirty[k]));
            }
            for (int k = 0; k < 8; k++) T_free(dirty[k]);
            for (int k = 0; k < 8; k++) {
                unsigned char *p = T_calloc(n, 1);
                CHECK(p != NULL);
                for (size_t j = 0; j < n; j++) CHECK_MSG(p[j] == 0, "reused calloc(%zu)[%zu] = %d", n, j, p[j]);
                dirty[k] = p;
            }
            for (int k = 0; k < 8; k++) T_free(dirty[k]);
        }
    }
}

static void calloc_overflow_fails_with_enomem(void)
{
    errno = 0;
    CHECK(T_calloc(opaque(SIZE_MAX / 2), 3) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(T_calloc(opaque((size_t)1 << 33), (size_t)1 << 33) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(T_calloc(1, BIG) == NULL && errno == ENOMEM);
}

static void realloc_null_allocates(void)
{
    void *p = T_realloc(NULL, 100);
    CHECK(p != NULL && T_malloc_usable_size(p) >= 100);
    T_free(p);
}

static void realloc_to_zero_frees_and_returns_null(void)
{
    void *p = T_malloc(100);
    CHECK(T_realloc(p, 0) == NULL);
    void *big = T_malloc(1 << 20);
    CHECK(T_realloc(big, 0) == NULL);
}

static void realloc_shrinks_in_place(void)
{
    static const size_t from[] = {24, 100, 1000, 5000, 200000, 3000000};
    for (size_t i = 0; i < sizeof from / sizeof from[0]; i++) {
        unsigned char *p = T_malloc(from[i]);
        CHECK(p);
        t_fill(p, from[i] / 2);
        unsigned char *q = T_realloc(p, from[i] / 2);
        CHECK_MSG(q == p, "realloc(%zu -> %zu) moved", from[i], from[i] / 2);
        CHECK(t_check(q, from[i] / 2));
        T_free(q);
    }
}

static void realloc_grows_in_place_within_the_block(void)
{
    /* (below glibc's mmap threshold: glibc moves mmapped chunks) */
    for (size_t i = 0; i < NSIZES && sizes[i] <= 100000; i++) {
        unsigned char *p = T_malloc(sizes[i]);
        size_t u = T_malloc_usable_size(p);
        CHECK_MSG(T_realloc(p, u) == p, "realloc(%zu-byte block, usable %zu) moved", sizes[i], u);
        T_free(p);
    }
}

static void realloc_keeps_contents_across_every_size_class(void)
{
    /* grow from 1 byte to 8 MiB in small steps, then shrink back */
    size_t n = 1;
    unsigned char *p = T_malloc(n);
    CHECK(p);
    p[0] = 0x5A;
    size_t prev = n;
    while (n < ((size_t)8 << 20)) {
        size_t next = n + n / 7 + 1;
        unsigned char *q = T_realloc(p, next);
        CHECK(q);
        for (size_t j = 0; j < prev; j++) CHECK_MSG(q[j] == (unsigned char)(j * 7 + 0x5A), "grow %zu->%zu at %zu", n, next, j);
        for (size_t j = prev; j < next; j++) q[j] = (unsigned char)(j * 7 + 0x5A);
        p = q;
        prev = n = next;
    }
    while (n > 1) {
        size_t next = n - n / 5 - 1;
        unsigned char *q = T_realloc(p, next);
        CHECK(q);
        for (size_t j = 0; j < next; j++) CHECK_MSG(q[j] == (unsigned char)(j * 7 + 0x5A), "shrink %zu->%zu at %zu", n, next, j);
        p = q;
        n = next;
    }
    T_free(p);
}

static void realloc_failure_keeps_the_block(void)
{
    unsigned char *p = T_malloc(100);
    t_fill(p, 100);
    errno = 0;
    CHECK(T_realloc(p, BIG) == NULL && errno == ENOMEM);
    CHECK(t_check(p, 100));
    T_free(p);
}

static void reallocarray_overflow_fails_with_enomem(void)
{
    void *p = T_malloc(16);
    errno = 0;
    CHECK(T_reallocarray(p, opaque(SIZE_MAX / 2), 3) == NULL && errno == ENOMEM);
    void *q = T_reallocarray(p, 10, 100);
    CHECK(q != NULL && T_malloc_usable_size(q) >= 1000);
    T_free(q);
}

static void check_aligned(void *p, size_t align, size_t size, const char *what)
{
    CHECK_MSG(p != NULL, "%s(%zu, %zu) failed", what, align, size);
    CHECK_MSG(((uintptr_t)p & (align - 1)) == 0, "%s(%zu, %zu) = %p", what, align, size, p);
    CHECK_MSG(T_malloc_usable_size(p) >= size, "%s usable %zu < %zu", what, T_malloc_usable_size(p), size);
    memset(p, 0x3C, size);
}

static const size_t align_sizes[] = {1, 24, 100, 4000, 70000, 300000};

static void posix_memalign_honours_every_power_of_two_to_1_gib(void)
{
    for (size_t a = sizeof(void *); a <= ((size_t)1 << 30); a <<= 1) {
        for (size_t i = 0; i < sizeof align_sizes / sizeof align_sizes[0]; i++) {
            void *p = NULL;
            CHECK(T_posix_memalign(&p, a, align_sizes[i]) == 0);
            check_aligned(p, a, align_sizes[i], "posix_memalign");
            T_free(p);
        }
    }
}

static void posix_memalign_rejects_bad_alignment_with_einval(void)
{
    static const size_t bad[] = {0, 1, 2, 4, 12, 24, 48, 100, 4097};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        void *p = (void *)0x1234;
        CHECK_MSG(T_posix_memalign(&p, bad[i], 16) == EINVAL, "alignment %zu", bad[i]);
        CHECK_MSG(p == (void *)0x1234, "pointer changed for alignment %zu", bad[i]);
    }
}

static void posix_memalign_failure_returns_enomem_and_keeps_pointer(void)
{
    void *p = (void *)0x1234;
    CHECK(T_posix_memalign(&p, 64, BIG) == ENOMEM);
    CHECK(p == (void *)0x1234);
}

static void aligned_alloc_honours_every_power_of_two_to_1_gib(void)
{
    for (size_t a = 1; a <= ((size_t)1 << 30); a <<= 1) {
        for (size_t i = 0; i < sizeof align_sizes / sizeof align_sizes[0]; i++) {
            void *p = T_aligned_alloc(a, align_sizes[i]);
            check_aligned(p, a < 16 ? 16 : a, align_sizes[i], "aligned_alloc");
            T_free(p);
        }
    }
}

static void memalign_honours_every_power_of_two_to_1_gib(void)
{
    for (size_t a = 1; a <= ((size_t)1 << 30); a <<= 1) {
        for (size_t i = 0; i < sizeof align_sizes / sizeof align_sizes[0]; i++) {
            void *p = T_memalign(a, align_sizes[i]);
            check_aligned(p, a < 16 ? 16 : a, align_sizes[i], "memalign");
            T_free(p);
        }
    }
}

static void aligned_blocks_realloc_and_free_correctly(void)
{
    /* interior pointers of over-allocated blocks: realloc and free by others */
    void *ps[200];
    for (int i = 0; i < 200; i++) {
        size_t a = (size_t)32 << (i % 10);
        ps[i] = T_memalign(a, 40 + (size_t)i * 3);
        check_aligned(ps[i], a, 40 + (size_t)i * 3, "memalign");
        t_fill(ps[i], 40 + (size_t)i * 3);
    }
    for (int i = 0; i < 200; i += 2) {
        CHECK(t_check(ps[i], 40 + (size_t)i * 3));
        unsigned char *q = T_realloc(ps[i], 5000);
        CHECK(q != NULL);
        for (size_t j = 0; j < 40 + (size_t)i * 3; j++) CHECK(q[j] == t_pattern(ps[i], 40 + (size_t)i * 3, j));
        ps[i] = q;
    }
    for (int i = 0; i < 200; i++) T_free(ps[i]);
}

/* Size 0 with an alignment above 16 is a block of its own: many of them
 * kept live are distinct, and each one's usable bytes are its alone. */
static void aligned_size_zero_blocks_are_distinct_blocks(void)
{
    enum { N = 128 };
    static void *ps[N];
    for (int api = 0; api < 3; api++) {
        for (size_t a = 32; a <= 4096; a <<= 1) {
            for (int i = 0; i < N; i++) {
                if (api == 0) CHECK(T_posix_memalign(&ps[i], a, 0) == 0);
                else ps[i] = api == 1 ? T_aligned_alloc(a, 0) : T_memalign(a, 0);
                CHECK_MSG(ps[i] != NULL && ((uintptr_t)ps[i] & (a - 1)) == 0, "api %d align %zu: %p", api, a, ps[i]);
                for (int j = 0; j < i; j++)
                    CHECK_MSG(ps[j] != ps[i], "api %d align %zu: block %d handed out again as %d (%p)", api, a, j, i, ps[i]);
                t_fill(ps[i], T_malloc_usable_size(ps[i]));
            }
            for (int i = 0; i < N; i++)
                CHECK_MSG(t_check(ps[i], T_malloc_usable_size(ps[i])), "api %d align %zu: block %d overwritten", api, a, i);
            for (int i = 0; i < N; i++) T_free(ps[i]);
        }
    }
}

/* A block aligned to 64 KiB or more grown by realloc has room for the new
 * size (such blocks can be smaller than the large-block threshold). */
static void realloc_of_a_largely_aligned_block_grows_with_room(void)
{
    static const size_t sizes[][2] = {{70000, 120000}, {100, 131072}, {4000, 65536}, {70000, 200000}};
    for (size_t a = 65536; a <= ((size_t)1 << 20); a <<= 1) {
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            size_t n = sizes[i][0], m = sizes[i][1];
            void *p = NULL;
            CHECK(T_posix_memalign(&p, a, n) == 0);
            t_fill(p, n);
            unsigned char *q = T_realloc(p, m);
            CHECK(q != NULL);
            CHECK_MSG(T_malloc_usable_size(q) >= m, "align %zu, %zu -> %zu bytes: usable %zu", a, n, m,
                      T_malloc_usable_size(q));
            for (size_t j = 0; j < n; j++) CHECK(q[j] == t_pattern(p, n, j));
            memset(q, 0x5A, m);
            T_free(q);
        }
    }
}

static void valloc_and_pvalloc_are_page_aligned(void)
{
    size_t ps = (size_t)sysconf(_SC_PAGESIZE);
    void *p = T_valloc(100);
    check_aligned(p, ps, 100, "valloc");
    T_free(p);
    p = T_pvalloc(100);
    check_aligned(p, ps, 100, "pvalloc");
    T_free(p);
    p = T_pvalloc(0);
    check_aligned(p, ps, 0, "pvalloc");
    T_free(p);
}

static void memalign_rounds_odd_alignment_up(void)
{
    void *p = T_memalign(48, 100);   /* glibc: rounded to 64 */
    check_aligned(p, 64, 100, "memalign");
    T_free(p);
}

static void free_null_is_a_no_op(void)
{
    T_free(NULL);
}

static void free_preserves_errno(void)
{
    static const size_t ns[] = {16, 5000, 100000, 3u << 20, 50u << 20};
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        void *p = T_malloc(ns[i]);
        errno = EEXIST;
        T_free(p);
        CHECK_MSG(errno == EEXIST, "free of %zu bytes changed errno to %d", ns[i], errno);
    }
    void *a = T_memalign((size_t)64 << 20, 100);
    errno = EEXIST;
    T_free(a);
    CHECK(errno == EEXIST);
    errno = EEXIST;
    T_free(NULL);
    CHECK(errno == EEXIST);
}

static void cfree_and_sized_frees_release_blocks(void)
{
    void (*cf)(void *) = (void (*)(void *))T_LOOKUP(cfree);
    void (*fs)(void *, size_t) = (void (*)(void *, size_t))T_LOOKUP(free_sized);
    void (*fas)(void *, size_t, size_t) = (void (*)(void *, size_t, size_t))T_LOOKUP(free_aligned_sized);
    if (!cf || !fs || !fas) CHECK_SKIP("cfree/free_sized/free_aligned_sized not provided by this malloc");
    for (int i = 0; i < 1000; i++) {
        cf(T_malloc(100));
        fs(T_malloc(200), 200);
        fas(T_aligned_alloc(256, 512), 256, 512);
    }
}

static void malloc_trim_keeps_memory_usable(void)
{
    void *keep[1000];
    for (int i = 0; i < 1000; i++) keep[i] = T_malloc(64 + (size_t)i);
    for (int i = 0; i < 1000; i += 2) T_free(keep[i]);
    T_malloc_trim(0);
    for (int i = 1; i < 1000; i += 2) memset(keep[i], 1, 64 + (size_t)i);
    for (int i = 1; i < 1000; i += 2) T_free(keep[i]);
    void *p = T_malloc(100);
    CHECK(p != NULL);
    T_free(p);
}

static void many_blocks_are_distinct_and_keep_contents(void)
{
    enum { N = 50000 };
    static void *ps[N];
    static size_t ns[N];
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < N; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        ns[i] = (x % 8 == 0) ? x % 70000 : x % 600;
        ps[i] = T_malloc(ns[i]);
        CHECK(ps[i] != NULL);
        t_fill(ps[i], ns[i]);
    }
    for (int i = 0; i < N; i += 3) {
        CHECK(t_check(ps[i], ns[i]));
        T_free(ps[i]);
        ps[i] = NULL;
    }
    for (int i = 0; i < N; i += 3) {
        ns[i] = (size_t)i % 3000;
        ps[i] = T_malloc(ns[i]);
        t_fill(ps[i], ns[i]);
    }
    for (int i = 0; i < N; i++) {
        CHECK_MSG(t_check(ps[i], ns[i]), "block %d of %zu bytes corrupted", i, ns[i]);
        T_free(ps[i]);
    }
}

static void large_blocks_cycle_keep_contents(void)
{
    /* 20 live blocks of 5..25 MiB allocated and freed in a loop */
    void *ps[20] = {0};
    size_t ns[20] = {0};
    uint64_t x = 12345;
    for (int round = 0; round < 200; round++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        int i = (int)(x % 20);
        if (ps[i]) {
            unsigned char *c = ps[i];
            CHECK(c[0] == (unsigned char)ns[i] && c[ns[i] - 1] == (unsigned char)(ns[i] >> 8));
            T_free(ps[i]);
        }
        ns[i] = ((size_t)5 << 20) + (x % ((size_t)20 << 20));
        ps[i] = T_malloc(ns[i]);
        CHECK(ps[i] != NULL);
        ((unsigned char *)ps[i])[0] = (unsigned char)ns[i];
        ((unsigned char *)ps[i])[ns[i] - 1] = (unsigned char)(ns[i] >> 8);
    }
    for (int i = 0; i < 20; i++) T_free(ps[i]);
}

/* Blocks of `size` bytes, chained through their first word, until malloc
 * fails (or `cap` of them); returns how many. */
static size_t chain_until_failure(void **head, size_t size, size_t cap)
{
    size_t n = 0;
    *head = NULL;
    void **p;
    while (n < cap && (p = T_malloc(size)) != NULL) {
        p[0] = *head;
        *head = p;
        n++;
    }
    return n;
}

static void free_chain(void *head)
{
    while (head) {
        void *next = *(void **)head;
        T_free(head);
        head = next;
    }
}

/* Under an address-space limit (ulimit -v), memory freed is usable again:
 * after small blocks, then big ones, were allocated until malloc failed and
 * freed, as many small blocks fit as the first time (cached mappings must
 * not keep the space). Whether freed small blocks can serve big ones is not
 * asked (a simple allocator may keep them for small requests). */
static void memory_freed_under_an_address_space_limit_is_usable_again(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    CHECK(f);
    unsigned long vm_pages = 0;
    CHECK(fscanf(f, "%lu", &vm_pages) == 1);
    fclose(f);
    struct rlimit rl = {.rlim_cur = vm_pages * 4096ul + ((size_t)192 << 20), .rlim_max = RLIM_INFINITY};
    CHECK(setrlimit(RLIMIT_AS, &rl) == 0);
    void *head;
    size_t first = chain_until_failure(&head, 64, (size_t)8 << 20);
    CHECK(first > 1000 && first < ((size_t)8 << 20));
    free_chain(head);
    for (size_t big = (size_t)1 << 20; big <= ((size_t)16 << 20); big <<= 2) {
        chain_until_failure(&head, big, 1000);
        free_chain(head);
    }
    size_t again = chain_until_failure(&head, 64, (size_t)8 << 20);
    free_chain(head);
    CHECK_MSG(again >= first - first / 20, "%zu small blocks the first time, %zu after big blocks were freed", first, again);
}

static void *thread_first_call_is_free(void *arg)
{
    T_free(arg);                /* a thread's very first call: free of a foreign block */
    void *p = T_malloc(32);
    T_free(p);
    return p;
}

static void first_call_of_a_thread_may_be_free(void)
{
    pthread_t t;
    void *block = T_malloc(48);
    CHECK(pthread_create(&t, NULL, thread_first_call_is_free, block) == 0);
    void *ret = NULL;
    pthread_join(t, &ret);
    CHECK(ret != NULL);
}

#ifndef CA_TEST_PREFIXED
static void libc_allocating_functions_free_through_malloc(void)
{
    char *s = strdup("hello");
    CHECK(s && strcmp(s, "hello") == 0);
    free(s);
    char *a = NULL;
    CHECK(asprintf(&a, "%d-%s", 42, "x") > 0 && strcmp(a, "42-x") == 0);
    free(a);
    char *r = realpath("/", NULL);
    CHECK(r && strcmp(r, "/") == 0);
    free(r);
    FILE *f = fopen("/proc/self/status", "r");
    CHECK(f);
    char *line = NULL;
    size_t cap = 0;
    CHECK(getline(&line, &cap, f) > 0);
    free(line);
    fclose(f);
}
#else
static void libc_allocating_functions_free_through_malloc(void)
{
    CHECK_SKIP("the prefixed build does not replace libc's malloc");
}
#endif

CHECK_MAIN(60,
    T(malloc_results_are_16_byte_aligned),
    T(malloc_zero_returns_unique_pointers),
    T(usable_size_covers_request_and_is_writable),
    T(usable_size_of_null_is_zero),
    T(malloc_above_ptrdiff_max_fails_with_enomem),
    T(calloc_memory_is_zero),
    T(calloc_memory_is_zero_when_reused),
    T(calloc_overflow_fails_with_enomem),
    T(realloc_null_allocates),
    T(realloc_to_zero_frees_and_returns_null),
    T(realloc_shrinks_in_place),
    T(realloc_grows_in_place_within_the_block),
    T(realloc_keeps_contents_across_every_size_class),
    T(realloc_failure_keeps_the_block),
    T(reallocarray_overflow_fails_with_enomem),
    T(posix_memalign_honours_every_power_of_two_to_1_gib),
    T(posix_memalign_rejects_bad_alignment_with_einval),
    T(posix_memalign_failure_returns_enomem_and_keeps_pointer),
    T(aligned_alloc_honours_every_power_of_two_to_1_gib),
    T(memalign_honours_every_power_of_two_to_1_gib),
    T(aligned_blocks_realloc_and_free_correctly),
    T(aligned_size_zero_blocks_are_distinct_blocks),
    T(realloc_of_a_largely_aligned_block_grows_with_room),
    T(valloc_and_pvalloc_are_page_aligned),
    T(memalign_rounds_odd_alignment_up),
    T(free_null_is_a_no_op),
    T(free_preserves_errno),
    T(cfree_and_sized_frees_release_blocks),
    T(malloc_trim_keeps_memory_usable),
    T(many_blocks_are_distinct_and_keep_contents),
    T(large_blocks_cycle_keep_contents),
    T(memory_freed_under_an_address_space_limit_is_usable_again),
    T(first_call_of_a_thread_may_be_free),
    T(libc_allocating_functions_free_through_malloc))
