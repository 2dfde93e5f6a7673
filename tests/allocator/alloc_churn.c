/* Thread churn: thousands of short-lived threads each leave some blocks
 * alive; memory must be reused, not piled up (peak RSS stays bounded), and
 * the survivors keep their contents; also when the threads allocate in
 * every round of their TLS-key destructors, the last one included.
 * Allocator-agnostic; the bounds are loose (glibc peaks near 26 MB on a
 * similar load). */
#include "check.h"
#include "alloc_test.h"

#include <limits.h>
#include <pthread.h>

#define THREADS 4000
#define PER_THREAD 256
#define KEEP_EVERY 128

static void *survivors[THREADS * (PER_THREAD / KEEP_EVERY)];
static size_t survivor_size[THREADS * (PER_THREAD / KEEP_EVERY)];

static void *short_lived(void *arg)
{
    size_t id = (size_t)(uintptr_t)arg;
    void *ps[PER_THREAD];
    for (int i = 0; i < PER_THREAD; i++) {
        size_t n = 32 + (id * 7 + (size_t)i * 13) % 480;
        ps[i] = T_malloc(n);
        if (ps[i] == NULL) return NULL;
        if (i % KEEP_EVERY == 0) {
            size_t s = id * (PER_THREAD / KEEP_EVERY) + (size_t)i / KEEP_EVERY;
            t_fill(ps[i], n);
            survivors[s] = ps[i];
            survivor_size[s] = n;
        } else {
            memset(ps[i], 0x77, n);
        }
    }
    for (int i = 0; i < PER_THREAD; i++)
        if (i % KEEP_EVERY != 0) T_free(ps[i]);
    return NULL;
}

static void run_churn(size_t first, size_t count)
{
    for (size_t i = first; i < first + count; i += 4) {
        pthread_t t[4];
        for (int k = 0; k < 4; k++) CHECK(pthread_create(&t[k], NULL, short_lived, (void *)(uintptr_t)(i + (size_t)k)) == 0);
        for (int k = 0; k < 4; k++) pthread_join(t[k], NULL);
    }
}

static void short_lived_threads_keep_rss_bounded(void)
{
    size_t before = t_rss();
    run_churn(0, THREADS);
    size_t after = t_rss();
    for (size_t s = 0; s < sizeof survivors / sizeof survivors[0]; s++)
        CHECK_MSG(survivors[s] && t_check(survivors[s], survivor_size[s]), "survivor %zu lost", s);
    CHECK_MSG(after < before + ((size_t)48 << 20), "RSS grew by %zu KiB over %d threads", (after - before) / 1024, THREADS);
    for (size_t s = 0; s < sizeof survivors / sizeof survivors[0]; s++) T_free(survivors[s]);
}

static void survivors_freed_by_main_are_reused(void)
{
    run_churn(0, THREADS / 2);
    size_t mid = t_rss();
    for (size_t s = 0; s < THREADS / 2 * (PER_THREAD / KEEP_EVERY); s++) {
        CHECK(t_check(survivors[s], survivor_size[s]));
        T_free(survivors[s]);
    }
    run_churn(THREADS / 2, THREADS / 2);
    size_t end = t_rss();
    CHECK_MSG(end < mid + ((size_t)16 << 20), "RSS grew by %zu KiB after survivors were freed", (end - mid) / 1024);
}

/* Threads whose TLS-key destructor allocates, re-arming itself up to the
 * last round the C library runs: in every round (the thread allocated
 * before), or only in the last one (its very first allocation). The next
 * thread (often with the same stack and thread pointer) frees what the
 * previous one allocated there, first thing. */
#define EXIT_THREADS 2000
static pthread_key_t exit_key;
static int exit_every_round;
static void *exit_blocks[PTHREAD_DESTRUCTOR_ITERATIONS];

static size_t exit_size(size_t round)
{
    return round * 6000;   /* small, then medium (cached) sizes */
}

static void allocate_in_destructor_rounds(void *value)
{
    uintptr_t round = (uintptr_t)value;   /* 1 .. PTHREAD_DESTRUCTOR_ITERATIONS */
    if (exit_every_round || round == PTHREAD_DESTRUCTOR_ITERATIONS) {
        void *p = T_malloc(exit_size(round));
        if (p) t_fill(p, exit_size(round));
        exit_blocks[round - 1] = p;
    }
    if (round < PTHREAD_DESTRUCTOR_ITERATIONS) pthread_setspecific(exit_key, (void *)(round + 1));
}

static void *allocates_at_exit(void *arg)
{
    (void)arg;
    for (int r = 0; r < PTHREAD_DESTRUCTOR_ITERATIONS; r++) {
        void *p = exit_blocks[r];
        if (p == NULL) continue;
        if (!t_check(p, exit_size((size_t)r + 1))) return (void *)1;
        T_free(p);
        exit_blocks[r] = NULL;
    }
    if (exit_every_round) {
        void *ps[64];
        for (int i = 0; i < 64; i++) ps[i] = T_malloc(32 + (size_t)i * 8);
        for (int i = 0; i < 64; i++) T_free(ps[i]);
    }
    pthread_setspecific(exit_key, (void *)1);
    return NULL;
}

static void run_threads_allocating_at_exit(void)
{
    CHECK(pthread_key_create(&exit_key, allocate_in_destructor_rounds) == 0);
    size_t before = t_rss();
    for (int i = 0; i < EXIT_THREADS; i++) {
        pthread_t t;
        CHECK(pthread_create(&t, NULL, allocates_at_exit, NULL) == 0);
        void *ret = NULL;
        pthread_join(t, &ret);
        CHECK_MSG(ret == NULL, "thread %d: a block allocated in a destructor round lost its contents", i);
    }
    size_t after = t_rss();
    CHECK_MSG(after < before + ((size_t)32 << 20), "RSS grew by %zu KiB over %d threads", (after - before) / 1024,
              EXIT_THREADS);
}

static void threads_allocating_in_every_destructor_round_leave_nothing_broken(void)
{
    exit_every_round = 1;
    run_threads_allocating_at_exit();
}

static void threads_first_allocating_in_their_last_destructor_round_leave_nothing_broken(void)
{
    exit_every_round = 0;
    run_threads_allocating_at_exit();
}

CHECK_MAIN(120,
    T(short_lived_threads_keep_rss_bounded),
    T(survivors_freed_by_main_are_reused),
    T(threads_allocating_in_every_destructor_round_leave_nothing_broken),
    T(threads_first_allocating_in_their_last_destructor_round_leave_nothing_broken))
