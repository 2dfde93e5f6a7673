/* Thread churn: thousands of short-lived threads each leave some blocks
 * alive; memory must be reused, not piled up (peak RSS stays bounded), and
 * the survivors keep their contents. Allocator-agnostic; the bound is loose
 * (glibc peaks near 26 MB on a similar load). */
#include "check.h"
#include "alloc_test.h"

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

CHECK_MAIN(120,
    T(short_lived_threads_keep_rss_bounded),
    T(survivors_freed_by_main_are_reused))
