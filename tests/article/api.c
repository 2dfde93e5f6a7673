/* API semantics of the malloc family, glibc 2.36 being the reference. Run by
 * tests/test_article.sh with LD_PRELOAD set to an article allocator build;
 * the first test checks that the preload really took. One test, one fact. */
#include "check.h"

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Sizes come through a volatile so the compiler cannot fold the calls. */
static volatile size_t huge = SIZE_MAX - 4096;
static volatile size_t over_ptrdiff = (size_t)PTRDIFF_MAX + 1;
static volatile size_t two_pow_33 = (size_t)1 << 33, two_pow_40 = (size_t)1 << 40;

static int aligned(const void *p, size_t a) { return ((uintptr_t)p & (a - 1)) == 0; }

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed + i * 7);
}

static int filled(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(seed + i * 7))
            return 0;
    return 1;
}

static void preload_is_articlealloc(void)
{
    const char *(*version)(void) =
        (const char *(*)(void))dlsym(RTLD_DEFAULT, "articlealloc_version");
    CHECK_MSG(version != NULL, "articlealloc_version not found: preload failed");
    CHECK(strncmp(version(), "articlealloc ", 13) == 0);
    Dl_info info;
    CHECK(dladdr((void *)malloc, &info) != 0);
    CHECK_MSG(strstr(info.dli_fname, "libarticlealloc") != NULL,
              "malloc resolves to %s", info.dli_fname);
}

static void malloc_every_size_is_16_aligned(void)
{
    for (size_t n = 0; n <= 5000; n++) {
        void *p = malloc(n);
        CHECK(p != NULL);
        CHECK_MSG(aligned(p, 16), "malloc(%zu) = %p", n, p);
        free(p);
    }
}

static void malloc_zero_is_unique_and_freeable(void)
{
    void *a = malloc(0), *b = malloc(0);
    CHECK(a != NULL && b != NULL && a != b);
    free(a);
    free(b);
}

static void usable_size_covers_request(void)
{
    for (size_t n = 1; n <= 300000; n = n * 3 / 2 + 1) {
        unsigned char *p = malloc(n);
        CHECK(p != NULL);
        size_t u = malloc_usable_size(p);
        CHECK_MSG(u >= n, "usable %zu < %zu", u, n);
        memset(p, 0xab, u);   /* all of it is ours to write */
        free(p);
    }
    CHECK(malloc_usable_size(NULL) == 0);
}

static void blocks_do_not_overlap(void)
{
    enum { N = 2000 };
    static unsigned char *p[N];
    for (unsigned i = 0; i < N; i++) {
        size_t n = 1 + (i * 37) % 3000;
        p[i] = malloc(n);
        CHECK(p[i] != NULL);
        fill(p[i], n, i);
    }
    for (unsigned i = 0; i < N; i++)
        CHECK(filled(p[i], 1 + (i * 37) % 3000, i));
    for (unsigned i = 0; i < N; i++)
        free(p[i]);
}

static void malloc_huge_fails_with_enomem(void)
{
    errno = 0;
    CHECK(malloc(huge) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(malloc(over_ptrdiff) == NULL && errno == ENOMEM);
}

static void free_null_is_a_no_op(void) { free(NULL); }

static void free_preserves_errno(void)
{
    void *small = malloc(32), *large = malloc(1 << 20);
    errno = 1234;
    free(small);
    CHECK(errno == 1234);
    free(large);
    CHECK(errno == 1234);
}

static void calloc_zeroes_reused_memory(void)
{
    for (size_t n = 1; n <= 200000; n = n * 2 + 3) {
        unsigned char *p = malloc(n);
        memset(p, 0xff, n);
        free(p);
        unsigned char *q = calloc(1, n);
        CHECK(q != NULL);
        for (size_t i = 0; i < n; i++)
            CHECK_MSG(q[i] == 0, "calloc(%zu) byte %zu", n, i);
        free(q);
    }
}

static void calloc_overflow_fails_with_enomem(void)
{
    errno = 0;
    CHECK(calloc(huge, 16) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(calloc(two_pow_33, two_pow_33) == NULL && errno == ENOMEM);
}

static void realloc_null_is_malloc(void)
{
    void *p = realloc(NULL, 100);
    CHECK(p != NULL && aligned(p, 16));
    free(p);
}

static void realloc_to_zero_frees_and_returns_null(void)
{
    void *p = malloc(100);
    CHECK(realloc(p, 0) == NULL);
}

static void realloc_shrink_is_in_place(void)
{
    /* The article's bug: shrinking allocated a new block with the old size. */
    size_t sizes[] = {64, 1000, 4096, 100000};
    for (unsigned i = 0; i < 4; i++) {
        unsigned char *p = malloc(sizes[i]);
        fill(p, sizes[i], i);
        unsigned char *q = realloc(p, sizes[i] / 2);
        CHECK_MSG(q == p, "realloc(%zu -> %zu) moved", sizes[i], sizes[i] / 2);
        CHECK(filled(q, sizes[i] / 2, i));
        free(q);
    }
}

static void realloc_grow_keeps_contents(void)
{
    size_t n = 10;
    unsigned char *p = malloc(n);
    fill(p, n, 3);
    while (n < 1000000) {
        size_t m = n * 3;
        p = realloc(p, m);
        CHECK(p != NULL && aligned(p, 16));
        CHECK(filled(p, n, 3));
        fill(p, m, 3);
        n = m;
    }
    free(p);
}

static void realloc_huge_fails_and_keeps_block(void)
{
    unsigned char *p = malloc(100);
    fill(p, 100, 9);
    errno = 0;
    CHECK(realloc(p, huge) == NULL && errno == ENOMEM);
    CHECK(filled(p, 100, 9));
    free(p);
}

static void reallocarray_overflow_fails_with_enomem(void)
{
    void *p = malloc(10);
    errno = 0;
    CHECK(reallocarray(p, two_pow_40, two_pow_40) == NULL && errno == ENOMEM);
    p = reallocarray(p, 100, 8);
    CHECK(p != NULL && malloc_usable_size(p) >= 800);
    free(p);
}

static void posix_memalign_every_power_of_two(void)
{
    for (size_t a = sizeof(void *); a <= ((size_t)1 << 22); a *= 2)
        for (size_t n = 0; n < 3000; n += 999) {
            void *p = (void *)1;
            CHECK(posix_memalign(&p, a, n) == 0);
            CHECK_MSG(aligned(p, a) && aligned(p, 16), "align %zu size %zu: %p", a, n, p);
            CHECK(malloc_usable_size(p) >= n);
            memset(p, 1, n);
            free(p);
        }
}

static void posix_memalign_rejects_bad_alignment(void)
{
    void *p = (void *)1;
    CHECK(posix_memalign(&p, 0, 10) == EINVAL);
    CHECK(posix_memalign(&p, 24, 10) == EINVAL);
    CHECK(posix_memalign(&p, 4, 10) == EINVAL);
    CHECK(posix_memalign(&p, sizeof(void *) * 3, 10) == EINVAL);
    CHECK(p == (void *)1);   /* untouched on failure */
    CHECK(posix_memalign(&p, 64, huge) == ENOMEM);
}

static void aligned_alloc_and_memalign_every_power_of_two(void)
{
    for (size_t a = 1; a <= ((size_t)1 << 22); a *= 2) {
        void *p = aligned_alloc(a, 100), *q = memalign(a, 5000);
        CHECK(p != NULL && q != NULL);
        CHECK(aligned(p, a) && aligned(p, 16) && aligned(q, a) && aligned(q, 16));
        memset(p, 2, 100);
        memset(q, 3, 5000);
        free(p);
        free(q);
    }
}

static void memalign_rounds_non_power_of_two_up(void)
{
    void *p = memalign(48, 10);   /* glibc 2.36 rounds the alignment to 64 */
    CHECK(p != NULL && aligned(p, 64));
    free(p);
    errno = 0;
    CHECK(memalign(SIZE_MAX / 2 + 2, 10) == NULL && errno == EINVAL);
}

static void realloc_of_aligned_block_keeps_contents(void)
{
    unsigned char *p = memalign(256, 100);
    fill(p, 100, 5);
    unsigned char *q = realloc(p, 50);
    CHECK(q == p);
    q = realloc(q, 10000);
    CHECK(q != NULL && filled(q, 50, 5));
    free(q);
}

static void valloc_and_pvalloc_are_page_aligned(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    void *v = valloc(10), *pv = pvalloc(10), *pz = pvalloc(0);
    CHECK(v && pv && pz);
    CHECK(aligned(v, page) && aligned(pv, page) && aligned(pz, page));
    CHECK(malloc_usable_size(pv) >= page);
    memset(pv, 4, page);
    free(v);
    free(pv);
    free(pz);
}

static void large_blocks_hold_their_contents(void)
{
    size_t n = (size_t)64 << 20;
    unsigned char *p = malloc(n);
    CHECK(p != NULL && aligned(p, 16));
    p[0] = 1;
    p[n - 1] = 2;
    CHECK(p[0] == 1 && p[n - 1] == 2);
    free(p);
}

static void trivial_members_work(void)
{
    /* Looked up by name: glibc 2.36 has no free_sized, and cfree is a
     * compatibility symbol that cannot be linked against. */
    void (*cfree_)(void *) = (void (*)(void *))dlsym(RTLD_DEFAULT, "cfree");
    void (*free_sized_)(void *, size_t) =
        (void (*)(void *, size_t))dlsym(RTLD_DEFAULT, "free_sized");
    void (*free_aligned_sized_)(void *, size_t, size_t) =
        (void (*)(void *, size_t, size_t))dlsym(RTLD_DEFAULT, "free_aligned_sized");
    CHECK(cfree_ && free_sized_ && free_aligned_sized_);
    free_sized_(malloc(10), 10);
    free_aligned_sized_(aligned_alloc(64, 64), 64, 64);
    cfree_(malloc(10));
    CHECK(malloc_trim(0) == 0 || malloc_trim(0) == 1);
    void *(*libc_malloc)(size_t) = (void *(*)(size_t))dlsym(RTLD_DEFAULT, "__libc_malloc");
    void (*libc_free)(void *) = (void (*)(void *))dlsym(RTLD_DEFAULT, "__libc_free");
    CHECK(libc_malloc == malloc && libc_free == free);
    libc_free(libc_malloc(10));
}

static void libc_strings_are_freeable(void)
{
    char *s = strdup("hello");
    char *t = NULL;
    CHECK(asprintf(&t, "%s %d", s, 42) > 0);
    CHECK(strcmp(t, "hello 42") == 0);
    free(s);
    free(t);
}

static void *hold_block(void *arg)
{
    (void)arg;
    unsigned char *p = malloc(300);
    fill(p, 300, 11);
    free(malloc(64));   /* gives the thread a cache to hand back at exit */
    return p;
}

static void blocks_of_exited_threads_stay_usable(void)
{
    for (int round = 0; round < 50; round++) {
        pthread_t t;
        void *p;
        CHECK(pthread_create(&t, NULL, hold_block, NULL) == 0);
        CHECK(pthread_join(t, &p) == 0);
        CHECK(filled(p, 300, 11));
        unsigned char *q = realloc(p, 600);
        CHECK(filled(q, 300, 11));
        free(q);
    }
}

static void *churn(void *arg)
{
    volatile int *stop = arg;
    while (!*stop)
        free(malloc(100));
    return NULL;
}

static void fork_while_other_threads_allocate(void)
{
    volatile int stop = 0;
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        CHECK(pthread_create(&t[i], NULL, churn, (void *)&stop) == 0);
    for (int i = 0; i < 100; i++) {
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            void *p = malloc(100), *q = malloc(5000);
            _exit(p && q ? 0 : 1);
        }
        int status;
        CHECK(waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    stop = 1;
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
}

CHECK_MAIN(30,
           T(preload_is_articlealloc),
           T(malloc_every_size_is_16_aligned),
           T(malloc_zero_is_unique_and_freeable),
           T(usable_size_covers_request),
           T(blocks_do_not_overlap),
           T(malloc_huge_fails_with_enomem),
           T(free_null_is_a_no_op),
           T(free_preserves_errno),
           T(calloc_zeroes_reused_memory),
           T(calloc_overflow_fails_with_enomem),
           T(realloc_null_is_malloc),
           T(realloc_to_zero_frees_and_returns_null),
           T(realloc_shrink_is_in_place),
           T(realloc_grow_keeps_contents),
           T(realloc_huge_fails_and_keeps_block),
           T(reallocarray_overflow_fails_with_enomem),
           T(posix_memalign_every_power_of_two),
           T(posix_memalign_rejects_bad_alignment),
           T(aligned_alloc_and_memalign_every_power_of_two),
           T(memalign_rounds_non_power_of_two_up),
           T(realloc_of_aligned_block_keeps_contents),
           T(valloc_and_pvalloc_are_page_aligned),
           T(large_blocks_hold_their_contents),
           T(trivial_members_work),
           T(libc_strings_are_freeable),
           T(blocks_of_exited_threads_stay_usable),
           T(fork_while_other_threads_allocate))
