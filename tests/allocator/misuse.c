/* Misuse that customalloc detects, one fact each, run by
 * tests/test_alloc_custom.sh under LD_PRELOAD=build/libcustomalloc.so and
 * by tests/test_alloc_builds.sh under the hardened build
 * (build/libcustomalloc-hardened.so): every double free of a small or
 * medium block (also from another thread, also after the memory was
 * reused) and of a large block while its header lasts, every free of a
 * pointer that is not the start of a live block (unaligned, interior, one
 * past a block, the stack, static data, another mapping), realloc and
 * malloc_usable_size of such pointers, and writes into freed blocks that
 * would make malloc hand out a wild pointer; the hardened build also overflows past a block, writes
 * after free anywhere in a block, double frees after the memory was handed
 * out again, and frees one past a block. Each scenario runs in a child
 * process, which must die of SIGABRT after writing the message
 * "customalloc: <what>: <pointer>" exactly once (the message can differ
 * between the builds); a write into a freed large block or past a large
 * block's end faults at once in the hardened build (SIGSEGV). */
#include "check.h"
#include "alloc_test.h"

#include <pthread.h>
#include <stdbool.h>
#include <sys/mman.h>

static void need_customalloc(void)
{
    if (dlsym(RTLD_DEFAULT, "customalloc_stat") == NULL) CHECK_SKIP("not running under customalloc");
}

/* Which build runs: only the hardened one defines this marker. */
static bool hardened_build(void)
{
    return dlsym(RTLD_DEFAULT, "customalloc_hardened") != NULL;
}

/* The compiler must not see what these tests do with their pointers (it
 * would warn about the misuse, or optimise it away). */
static void *hide(void *p)
{
    void *volatile v = p;
    return v;
}

/* The scenario tells the parent which pointer the message must name. */
static void expect(const void *p)
{
    fprintf(stderr, "expect %p\n", p);
    fflush(stderr);
}

/* A pointer nobody can predict (a corrupted link, decoded): any. */
static void expect_any(void)
{
    fprintf(stderr, "expect any\n");
    fflush(stderr);
}

/* Runs scenario in a child with its stderr on a pipe and 10 s to finish.
 * The child must die of signal sig; for SIGABRT after writing
 * "customalloc: <what>: <pointer>" once, the pointer the scenario
 * announced. what NULL: this build does not catch the misuse (skipped). */
static void expect_death(void (*scenario)(void), int sig, const char *what)
{
    need_customalloc();
    if (what == NULL) CHECK_SKIP("the %s build does not catch this", hardened_build() ? "hardened" : "default");
    int fds[2];
    CHECK(pipe(fds) == 0);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        alarm(10);
        scenario();
        _exit(0);
    }
    close(fds[1]);
    char buf[1024];
    size_t len = 0;
    ssize_t r;
    while (len < sizeof buf - 1 && (r = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0) len += (size_t)r;
    buf[len] = '\0';
    close(fds[0]);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK_MSG(!(WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM), "hung (no end within 10 s)");
    CHECK_MSG(WIFSIGNALED(status) && WTERMSIG(status) == sig, "status %#x, not signal %d; stderr: %s", status, sig, buf);
    if (sig != SIGABRT) return;
    char want[128];
    void *expected = NULL;
    if (strncmp(buf, "expect any\n", 11) == 0) {
        snprintf(want, sizeof want, "customalloc: %s: 0x", what);
    } else {
        CHECK_MSG(sscanf(buf, "expect %p", &expected) == 1, "stderr: %s", buf);
        snprintf(want, sizeof want, "customalloc: %s: %p\n", what, expected);
    }
    const char *at = strstr(buf, want);
    CHECK_MSG(at != NULL, "want \"%s\" in: %s", want, buf);
    CHECK_MSG(strstr(at + 1, "customalloc:") == NULL, "more than one message: %s", buf);
}

/* ---------------------------------------------------------------------------
 * Double frees
 * ------------------------------------------------------------------------- */
/* Frees p twice, in a row. */
static void free_block_twice(void *p)
{
    expect(p);
    free(p);
    free(hide(p));
}

static void free_twice(void) { free_block_twice(malloc(64)); }
static void free_large_twice(void) { free_block_twice(malloc((size_t)1 << 20)); }

static void free_twice_with_frees_between(void)
{
    char *p = malloc(64), *q = malloc(64), *r = malloc(64);
    expect(p);
    free(p);
    free(q);
    free(r);
    free(hide(p));
}

/* The memory was used for other sizes (and the same size) in between. */
static void free_twice_after_reuse(void)
{
    char *p = malloc(64);
    expect(p);
    free(p);
    void *other[4] = {malloc(200), malloc(48), malloc(5000), malloc(20000)};
    char *again = malloc(64);   /* most likely p itself */
    free(again);
    for (int i = 0; i < 4; i++) free(other[i]);
    free(hide(p));
}

/* A block of a full page (the free that takes the page out of full and the
 * second one both take the slow path). */
static void free_twice_on_a_full_page(void)
{
    enum { N = 20000 };
    static char *blocks[N];
    for (int i = 0; i < N; i++) blocks[i] = malloc(48);
    free_block_twice(blocks[10]);
}

/* Medium blocks: the first free goes onto the block's page, its class's
 * queue head, which takes the fast path's frees from then on. */
static void free_twice_medium(void) { free_block_twice(malloc(20000)); }

/* A medium block of a page behind the head (24 blocks of 20 KiB fill the
 * first page): the first free puts it in the heap's block cache. */
static void free_twice_medium_in_the_cache(void)
{
    enum { N = 64 };
    static char *blocks[N];
    for (int i = 0; i < N; i++) blocks[i] = malloc(20000);
    free_block_twice(blocks[0]);
}

/* A medium block handed out again by a head that took fast frees, then
 * freed twice after the page filled and left the head (so the cache's way
 * checks it again). */
static void free_twice_medium_after_its_page_left_the_head(void)
{
    enum { N = 64 };
    static char *blocks[N];
    free(malloc(20000));
    char *p = malloc(20000);
    for (int i = 0; i < N; i++) blocks[i] = malloc(20000);
    CHECK(blocks[N - 1] != NULL);
    free_block_twice(p);
}

/* Medium blocks the cache had no room for: back on their page's list. */
static void free_twice_medium_past_the_cache(void)
{
    enum { N = 200 };
    static char *blocks[N];
    for (int i = 0; i < N; i++) blocks[i] = malloc(20000);
    for (int i = 0; i < N; i++) free(blocks[i]);
    expect(blocks[N - 1]);
    free(hide(blocks[N - 1]));
}

static void free_twice_aligned(void) { free_block_twice(memalign(256, 100)); }

/* A block in an OS page that malloc_trim purged (its page is sparse: of 40
 * 2000-byte blocks in a row one is kept): its first word, where the mark
 * was, reads as zero now. */
static void free_twice_in_a_purged_os_page(void)
{
    enum { N = 4000 };
    static char *blocks[N];
    for (int i = 0; i < N; i++) blocks[i] = malloc(2000);
    for (int i = 0; i < N; i++)
        if (i % 40) free(blocks[i]);
    malloc_trim(0);
    expect(blocks[20]);
    free(hide(blocks[20]));
}

static void *free_list_of_blocks(void *arg)
{
    void **blocks = arg;
    for (int i = 0; blocks[i]; i++) free(blocks[i]);
    return NULL;
}

/* Frees the given blocks (NULL-terminated) from a second thread, in that
 * order, then allocates in this thread until its remote frees are taken in. */
static void free_from_another_thread(void **blocks)
{
    pthread_t t;
    CHECK(pthread_create(&t, NULL, free_list_of_blocks, blocks) == 0);
    pthread_join(t, NULL);
    for (int i = 0; i < 100000; i++) free(malloc(64));
    malloc_trim(0);
}

static void free_twice_from_another_thread(void)
{
    void *p = malloc(64);
    expect(p);
    void *blocks[] = {p, p, NULL};
    free_from_another_thread(blocks);
}

static void free_twice_from_another_thread_with_frees_between(void)
{
    void *p = malloc(64), *q = malloc(64), *r = malloc(64);
    expect(p);
    void *blocks[] = {p, q, r, p, NULL};
    free_from_another_thread(blocks);
}

/* Freed here, then freed again by another thread. */
static void free_here_then_elsewhere(size_t size)
{
    void *p = malloc(size);
    expect(p);
    free(p);
    void *blocks[] = {hide(p), NULL};
    free_from_another_thread(blocks);
}

/* Freed by another thread (waiting on the remote-free list), then here. */
static void free_elsewhere_then_here(size_t size)
{
    void *p = malloc(size);
    expect(p);
    void *blocks[] = {p, NULL};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, free_list_of_blocks, blocks) == 0);
    pthread_join(t, NULL);
    free(hide(p));
}

static void free_here_then_in_another_thread(void) { free_here_then_elsewhere(64); }
static void free_in_another_thread_then_here(void) { free_elsewhere_then_here(64); }
/* Medium blocks: a free marks the block back (ca_live_byte) without
 * reading it, the other thread's with an atomic exchange, so these two
 * cross the two kinds of check. */
static void free_medium_here_then_in_another_thread(void) { free_here_then_elsewhere(20000); }
static void free_medium_in_another_thread_then_here(void) { free_elsewhere_then_here(20000); }

/* Freed by another thread, taken in by this one (a malloc of the class
 * drains the remote frees), then freed here again. */
static void free_medium_in_another_thread_taken_in_then_here(void)
{
    void *p = malloc(20000);
    expect(p);
    void *blocks[] = {p, NULL};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, free_list_of_blocks, blocks) == 0);
    pthread_join(t, NULL);
    void *more[64];
    for (int i = 0; i < 64; i++) more[i] = malloc(20000);   /* past the cache: the slow path drains */
    free(hide(p));
    for (int i = 0; i < 64; i++) free(more[i]);
}

/* Medium, with other blocks of the class freed in between. */
static void free_twice_medium_with_frees_between(void)
{
    char *p = malloc(20000), *q = malloc(20000), *r = malloc(20000);
    expect(p);
    free(p);
    free(q);
    free(r);
    free(hide(p));
}

/* ---------------------------------------------------------------------------
 * Frees of pointers that are not the start of a live block
 * ------------------------------------------------------------------------- */
/* Frees off bytes into a block of `size` bytes. */
static void free_into_block(size_t size, size_t off)
{
    char *p = malloc(size);
    expect(p + off);
    free(hide(p + off));
}

static void free_unaligned(void) { free_into_block(64, 1); }
static void free_interior_power_of_two_class(void) { free_into_block(64, 16); }
static void free_interior_other_class(void) { free_into_block(48, 32); }
static void free_interior_medium(void) { free_into_block(20000, 4096); }
static void free_interior_large(void) { free_into_block((size_t)1 << 20, 16); }
static void free_interior_large_far(void) { free_into_block((size_t)1 << 20, 512 << 10); }

/* A 256 KiB page of 48-byte blocks ends 16 bytes after its last block:
 * "one past" that block points into no block at all. */
static void free_one_past_the_last_block(void)
{
    enum { N = 20000 };
    static char *blocks[N];
    for (int i = 0; i < N; i++) {
        blocks[i] = malloc(48);
        if (((uintptr_t)blocks[i] & 0x3ffff) == 262144 - 16 - 48) {
            expect(blocks[i] + 48);
            free(hide(blocks[i] + 48));
        }
    }
    CHECK_MSG(0, "no block found at the end of a page");
}

/* An aligned block's pointer is valid, no other pointer into its block. */
static void free_interior_aligned(void)
{
    char *p = NULL;
    for (int i = 0; i < 100 && (p == NULL || ((uintptr_t)p & 4095) == 0); i++) p = memalign(512, 700);
    expect(p + 16);
    free(hide(p + 16));
}

static void free_stack(void)
{
    char local[64];
    memset(local, 0, sizeof local);
    expect(local);
    free(hide(local));
}

static char static_data[64];

static void free_static(void)
{
    expect(static_data);
    free(hide(static_data));
}

static void free_string_literal(void)
{
    const char *s = "a literal";
    expect(s);
    free(hide((void *)s));
}

/* Memory of another allocator: a mapping of its own. */
static void free_foreign_mapping(void)
{
    char *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    expect(m + 64);
    free(hide(m + 64));
}

/* ---------------------------------------------------------------------------
 * realloc and malloc_usable_size of such pointers
 * ------------------------------------------------------------------------- */
static void realloc_interior(void)
{
    char *p = malloc(64);
    expect(p + 16);
    void *q = realloc(hide(p + 16), 100);
    (void)q;
}

static void realloc_freed(void)
{
    char *p = malloc(64);
    expect(p);
    free(p);
    void *q = realloc(hide(p), 100);
    (void)q;
}

static void realloc_stack(void)
{
    char local[64];
    expect(local);
    void *q = realloc(hide(local), 100);
    (void)q;
}

static void usable_size_interior(void)
{
    char *p = malloc(20000);
    expect(p + 64);
    printf("%zu\n", malloc_usable_size(hide(p + 64)));
}

static void usable_size_freed(void)
{
    char *p = malloc(64);
    expect(p);
    free(p);
    printf("%zu\n", malloc_usable_size(hide(p)));
}

static void usable_size_static(void)
{
    expect(static_data);
    printf("%zu\n", malloc_usable_size(hide(static_data)));
}

/* ---------------------------------------------------------------------------
 * Writes into freed blocks: malloc never hands out the pointer they forge
 * ------------------------------------------------------------------------- */

/* A write after free of a pointer-sized value (here, a pointer to a live
 * block: what an attack would write). */
static void write_after_free(void)
{
    char *p = malloc(64), *victim = malloc(64);
    free(p);
    memcpy(hide(p), &victim, sizeof victim);
    expect_any();
    for (int i = 0; i < 4; i++) (void)hide(malloc(64));
    malloc_trim(0);   /* the hardened build: the quarantine lets the block go */
}

/* A one-byte overflow from a live block into the freed block after it. */
static void one_byte_overflow_into_a_freed_block(void)
{
    char *blocks[8];
    for (int i = 0; i < 8; i++) blocks[i] = malloc(64);
    for (int i = 0; i + 1 < 8; i++) {
        if (blocks[i + 1] == blocks[i] + 64) {
            free(blocks[i + 1]);
            char *p = hide(blocks[i]);
            p[64] ^= 0x5a;
            expect_any();
            for (int k = 0; k < 4; k++) (void)hide(malloc(64));
        }
    }
    CHECK_MSG(0, "no two adjacent blocks");
}

/* The same in the medium block cache. */
static void write_after_free_medium(void)
{
    char *p = malloc(20000), *q = malloc(20000);
    free(q);
    free(p);
    memset(hide(p), 0x41, 8);
    expect_any();
    for (int i = 0; i < 4; i++) (void)hide(malloc(20000));
    malloc_trim(0);
}

/* A block freed by another thread and written to before its owner takes
 * the remote frees in. */
static void write_after_remote_free(void)
{
    void *p = malloc(64), *q = malloc(64);
    void *blocks[] = {q, p, NULL};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, free_list_of_blocks, blocks) == 0);
    pthread_join(t, NULL);
    memset(hide(p), 0x41, 8);
    expect_any();
    for (int i = 0; i < 100000; i++) free(malloc(64));
    malloc_trim(0);
}

/* ---------------------------------------------------------------------------
 * What only the hardened build catches
 * ------------------------------------------------------------------------- */
/* Writes `by` bytes past the end of a live block of `size` bytes, then
 * frees it. */
static void overflow_then_free(size_t size, size_t by, unsigned char byte)
{
    unsigned char *p = malloc(size);
    expect(p);
    memset(hide(p + size), byte, by);
    free(p);
}

/* The classic off-by-one: a string's terminating zero one byte too far. */
static void overflow_by_a_zero_byte(void) { overflow_then_free(24, 1, 0); }
static void overflow_by_64_bytes(void) { overflow_then_free(64, 64, 0x41); }
static void overflow_of_a_medium_block(void) { overflow_then_free(20000, 8, 0x41); }
static void overflow_of_a_large_block(void) { overflow_then_free((size_t)1 << 20, 1, 0x41); }

/* realloc checks the block it is given as free does. */
static void overflow_then_realloc(void)
{
    unsigned char *p = malloc(24);
    expect(p);
    ((unsigned char *)hide(p))[24] = 0;
    void *q = realloc(hide(p), 1000);
    (void)q;
}

/* Bytes 16 to 63 of a freed 64-byte block: no allocator's link is there. */
static void write_after_free_into_the_data(void)
{
    char *p = malloc(64);
    expect(p);
    free(p);
    memset((char *)hide(p) + 16, 0x41, 48);
    malloc_trim(0);
}

/* The block leaves the quarantine when later frees need its place. */
static void write_after_free_seen_when_the_quarantine_lets_go(void)
{
    char *p = malloc(64);
    expect(p);
    free(p);
    ((char *)hide(p))[40] = 1;
    for (int i = 0; i < 10000; i++) free(malloc(64));
}

/* Or at exit, for the blocks still waiting. */
static void write_after_free_seen_at_exit(void)
{
    char *p = malloc(64);
    expect(p);
    free(p);
    ((char *)hide(p))[40] = 1;
    exit(0);
}

/* The next malloc of the size has been served (by another block: the freed
 * one waits) before the second free. */
static void free_twice_after_the_size_was_allocated_again(void)
{
    char *p = malloc(64);
    expect(p);
    free(p);
    void *q = malloc(64);
    (void)hide(q);
    free(hide(p));
}

/* One past a live block is inside its tail, not the next block's start. */
static void free_one_past_a_block(void)
{
    char *p = malloc(64), *next = malloc(64);
    (void)hide(next);
    expect(p + 64);
    free(hide(p + 64));
}

static void write_after_free_of_a_large_block(void)
{
    char *p = malloc((size_t)1 << 20);
    free(p);
    memset(hide(p), 0x41, 4096);
}

/* Two pages past the end of a large block: the guard page is hit first. */
static void linear_overflow_of_a_large_block(void)
{
    size_t n = (size_t)1 << 20;
    volatile char *end = hide((char *)malloc(n) + n);   /* (volatile: the stores are the point) */
    for (size_t i = 0; i < 2 * 4096; i++) end[i] = 0x41;
}

/* A scenario and the message each build aborts with (NULL: it does not
 * catch it, or not this way: skipped). */
#define MISUSE_BY(name, plain, hardened) \
    static void name##_aborts(void) { expect_death(name, SIGABRT, hardened_build() ? hardened : plain); }
#define MISUSE(name, what) MISUSE_BY(name, what, what)
/* What only the hardened build catches, by a fault at the misuse. */
#define MISUSE_FAULTS(name) \
    static void name##_faults(void) { expect_death(name, SIGSEGV, hardened_build() ? "" : NULL); }
MISUSE(free_twice, "double free")
MISUSE(free_twice_with_frees_between, "double free")
MISUSE(free_twice_after_reuse, "double free")
MISUSE(free_twice_on_a_full_page, "double free")
MISUSE(free_twice_medium, "double free")
MISUSE(free_twice_medium_in_the_cache, "double free")
MISUSE(free_twice_medium_after_its_page_left_the_head, "double free")
MISUSE(free_twice_medium_past_the_cache, "double free")
MISUSE(free_twice_aligned, "double free")
MISUSE_BY(free_twice_in_a_purged_os_page, "double free", "invalid free")   /* (out of the quarantine: as documented) */
MISUSE(free_twice_from_another_thread, "double free")
MISUSE(free_twice_from_another_thread_with_frees_between, "double free")
MISUSE(free_here_then_in_another_thread, "double free")
MISUSE(free_in_another_thread_then_here, "double free")
MISUSE(free_medium_here_then_in_another_thread, "double free")
MISUSE(free_medium_in_another_thread_then_here, "double free")
MISUSE(free_medium_in_another_thread_taken_in_then_here, "double free")
MISUSE(free_twice_medium_with_frees_between, "double free")
MISUSE(free_unaligned, "invalid free")
MISUSE(free_interior_power_of_two_class, "invalid free")
MISUSE(free_interior_other_class, "invalid free")
MISUSE(free_interior_medium, "invalid free")
MISUSE(free_interior_large, "invalid free")
MISUSE(free_interior_large_far, "invalid free")
MISUSE_BY(free_one_past_the_last_block, "invalid free", NULL)   /* (the hardened build's blocks are longer) */
MISUSE(free_interior_aligned, "invalid free")
MISUSE(free_stack, "invalid free")
MISUSE(free_static, "invalid free")
MISUSE(free_string_literal, "invalid free")
MISUSE(free_foreign_mapping, "invalid free")
MISUSE(free_large_twice, "double free")
MISUSE(realloc_interior, "invalid realloc")
MISUSE(realloc_freed, "invalid realloc")
MISUSE(realloc_stack, "invalid realloc")
MISUSE(usable_size_interior, "invalid malloc_usable_size")
MISUSE(usable_size_freed, "invalid malloc_usable_size")
MISUSE(usable_size_static, "invalid malloc_usable_size")
MISUSE_BY(write_after_free, "corrupted free list", "write after free")
MISUSE_BY(one_byte_overflow_into_a_freed_block, "corrupted free list", NULL)   /* (the tail is in between) */
MISUSE_BY(write_after_free_medium, "corrupted free list", "write after free")
MISUSE_BY(write_after_remote_free, "corrupted free list", "write after free")
MISUSE_BY(overflow_by_a_zero_byte, NULL, "heap overflow")
MISUSE_BY(overflow_by_64_bytes, NULL, "heap overflow")
MISUSE_BY(overflow_of_a_medium_block, NULL, "heap overflow")
MISUSE_BY(overflow_of_a_large_block, NULL, "heap overflow")
MISUSE_BY(overflow_then_realloc, NULL, "heap overflow")
MISUSE_BY(write_after_free_into_the_data, NULL, "write after free")
MISUSE_BY(write_after_free_seen_when_the_quarantine_lets_go, NULL, "write after free")
MISUSE_BY(write_after_free_seen_at_exit, NULL, "write after free")
MISUSE_BY(free_twice_after_the_size_was_allocated_again, NULL, "double free")
MISUSE_BY(free_one_past_a_block, NULL, "invalid free")
MISUSE_FAULTS(write_after_free_of_a_large_block)
MISUSE_FAULTS(linear_overflow_of_a_large_block)

CHECK_MAIN(60,
    T(free_twice_aborts),
    T(free_twice_with_frees_between_aborts),
    T(free_twice_after_reuse_aborts),
    T(free_twice_on_a_full_page_aborts),
    T(free_twice_medium_aborts),
    T(free_twice_medium_in_the_cache_aborts),
    T(free_twice_medium_after_its_page_left_the_head_aborts),
    T(free_twice_medium_past_the_cache_aborts),
    T(free_twice_aligned_aborts),
    T(free_twice_in_a_purged_os_page_aborts),
    T(free_twice_from_another_thread_aborts),
    T(free_twice_from_another_thread_with_frees_between_aborts),
    T(free_here_then_in_another_thread_aborts),
    T(free_in_another_thread_then_here_aborts),
    T(free_medium_here_then_in_another_thread_aborts),
    T(free_medium_in_another_thread_then_here_aborts),
    T(free_medium_in_another_thread_taken_in_then_here_aborts),
    T(free_twice_medium_with_frees_between_aborts),
    T(free_unaligned_aborts),
    T(free_interior_power_of_two_class_aborts),
    T(free_interior_other_class_aborts),
    T(free_interior_medium_aborts),
    T(free_interior_large_aborts),
    T(free_interior_large_far_aborts),
    T(free_one_past_the_last_block_aborts),
    T(free_interior_aligned_aborts),
    T(free_stack_aborts),
    T(free_static_aborts),
    T(free_string_literal_aborts),
    T(free_foreign_mapping_aborts),
    T(free_large_twice_aborts),
    T(realloc_interior_aborts),
    T(realloc_freed_aborts),
    T(realloc_stack_aborts),
    T(usable_size_interior_aborts),
    T(usable_size_freed_aborts),
    T(usable_size_static_aborts),
    T(write_after_free_aborts),
    T(one_byte_overflow_into_a_freed_block_aborts),
    T(write_after_free_medium_aborts),
    T(write_after_remote_free_aborts),
    T(overflow_by_a_zero_byte_aborts),
    T(overflow_by_64_bytes_aborts),
    T(overflow_of_a_medium_block_aborts),
    T(overflow_of_a_large_block_aborts),
    T(overflow_then_realloc_aborts),
    T(write_after_free_into_the_data_aborts),
    T(write_after_free_seen_when_the_quarantine_lets_go_aborts),
    T(write_after_free_seen_at_exit_aborts),
    T(free_twice_after_the_size_was_allocated_again_aborts),
    T(free_one_past_a_block_aborts),
    T(write_after_free_of_a_large_block_faults),
    T(linear_overflow_of_a_large_block_faults))
