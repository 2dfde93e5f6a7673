/* Multithreaded stress with content checks. Every live block carries a
 * pattern derived from its own seed; the pattern is checked before the block
 * is freed, reallocated or passed on, so any overlap or corruption fails the
 * test. Run by tests/test_article.sh under LD_PRELOAD of an article build.
 * Parameters at the top; each test takes about a second on 2 cores. */
#include "check.h"

#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum {
    THREADS = 4,
    SLOTS = 400,            /* live blocks per thread */
    OPS = 60000,            /* operations per thread */
    EXCHANGE = 256,         /* blocks in flight between threads */
    CHURN_THREADS = 300,    /* short-lived threads in the churn test */
};

struct block {
    unsigned char *p;
    size_t size;
    uint32_t seed;
};

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void paint(struct block *b)
{
    for (size_t i = 0; i < b->size; i++)
        b->p[i] = (unsigned char)(b->seed + i * 131);
}

static int intact(const struct block *b, size_t upto)
{
    if (((uintptr_t)b->p & 15) != 0)
        return 0;
    for (size_t i = 0; i < upto; i++)
        if (b->p[i] != (unsigned char)(b->seed + i * 131))
            return 0;
    return 1;
}

/* Mostly small, straddling the 1 KiB mmap threshold, sometimes large. */
static size_t pick_size(uint64_t *s)
{
    uint64_t r = next(s);
    switch (r % 16) {
    case 0: return r >> 8 & 7;
    case 1: return 60000 + (r >> 8) % 80000;
    case 2: case 3: case 4: return 900 + (r >> 8) % 300;
    default: return 1 + (r >> 8) % 600;
    }
}

static void *allocate(uint64_t *s, size_t n)
{
    void *p = NULL;
    switch (next(s) % 6) {
    case 0: p = calloc(1, n); if (p) for (size_t i = 0; i < n; i++) if (((unsigned char *)p)[i]) abort(); break;
    case 1: p = memalign((size_t)16 << (next(s) % 8), n); break;
    case 2: if (posix_memalign(&p, 64, n) != 0) p = NULL; break;
    case 3: p = realloc(NULL, n); break;
    default: p = malloc(n); break;
    }
    return p;
}

static pthread_mutex_t exchange_lock = PTHREAD_MUTEX_INITIALIZER;
static struct block exchange[EXCHANGE];
static volatile int failed;

static void fail(const char *why)
{
    failed = 1;
    fprintf(stderr, "  stress: %s\n", why);
}

/* Swaps b with a random exchange slot: the block goes to whichever thread
 * takes that slot next, which checks and frees it. */
static void trade(struct block *b, uint64_t *s)
{
    unsigned k = (unsigned)(next(s) % EXCHANGE);
    pthread_mutex_lock(&exchange_lock);
    struct block got = exchange[k];
    exchange[k] = *b;
    pthread_mutex_unlock(&exchange_lock);
    *b = got;
    if (b->p != NULL && !intact(b, b->size))
        fail("block corrupted after crossing threads");
}

static void *worker(void *arg)
{
    uint64_t s = (uint64_t)(uintptr_t)arg * 0x9E3779B97F4A7C15ull + 1;
    struct block *slot = calloc(SLOTS, sizeof *slot);
    if (slot == NULL) {
        fail("calloc of the slot table failed");
        return NULL;
    }
    for (int op = 0; op < OPS && !failed; op++) {
        struct block *b = &slot[next(&s) % SLOTS];
        if (b->p == NULL) {
            b->size = pick_size(&s);
            b->seed = (uint32_t)next(&s);
            b->p = allocate(&s, b->size);
            if (b->p == NULL) { fail("allocation failed"); break; }
            if (malloc_usable_size(b->p) < b->size) { fail("usable size too small"); break; }
            paint(b);
            continue;
        }
        if (!intact(b, b->size)) { fail("block corrupted"); break; }
        switch (next(&s) % 4) {
        case 0: {   /* realloc: the kept prefix must survive, shrink or grow */
            size_t n = pick_size(&s);
            unsigned char *q = realloc(b->p, n);
            if (q == NULL && n != 0) { fail("realloc failed"); break; }
            b->p = q;
            size_t kept = n < b->size ? n : b->size;
            if (q != NULL && !intact(b, kept)) { fail("realloc lost contents"); break; }
            b->size = n;
            if (q != NULL) paint(b);
            break;
        }
        case 1:
            trade(b, &s);
            break;
        default:
            free(b->p);
            b->p = NULL;
        }
    }
    for (int i = 0; i < SLOTS; i++) {
        if (slot[i].p != NULL && !intact(&slot[i], slot[i].size))
            fail("block corrupted at the end");
        free(slot[i].p);
    }
    free(slot);
    return NULL;
}

static void drain_exchange(void)
{
    for (int k = 0; k < EXCHANGE; k++) {
        if (exchange[k].p != NULL && !intact(&exchange[k], exchange[k].size))
            fail("exchanged block corrupted");
        free(exchange[k].p);
        exchange[k].p = NULL;
    }
}

static void threads_with_every_api_and_cross_thread_frees(void)
{
    pthread_t t[THREADS];
    for (uintptr_t i = 0; i < THREADS; i++)
        CHECK(pthread_create(&t[i], NULL, worker, (void *)(i + 1)) == 0);
    for (int i = 0; i < THREADS; i++)
        CHECK(pthread_join(t[i], NULL) == 0);
    drain_exchange();
    CHECK(!failed);
}

/* Short-lived threads each leave blocks in the exchange; the blocks of the
 * exited threads are then checked, reallocated and freed by others. */
static void *short_life(void *arg)
{
    uint64_t s = (uint64_t)(uintptr_t)arg * 0x2545F4914F6CDD1Dull + 7;
    for (int i = 0; i < 40; i++) {
        struct block b = {.size = pick_size(&s), .seed = (uint32_t)next(&s)};
        b.p = allocate(&s, b.size);
        if (b.p == NULL) { fail("allocation failed"); return NULL; }
        paint(&b);
        trade(&b, &s);
        if (b.p != NULL && next(&s) % 2) {
            unsigned char *q = realloc(b.p, b.size + 100);
            if (q == NULL) { fail("realloc failed"); return NULL; }
            b.p = q;
        }
        free(b.p);
    }
    return NULL;
}

static void memory_of_exited_threads_is_reused_safely(void)
{
    for (uintptr_t i = 0; i < CHURN_THREADS; i += 2) {
        pthread_t a, b;
        CHECK(pthread_create(&a, NULL, short_life, (void *)(i + 1)) == 0);
        CHECK(pthread_create(&b, NULL, short_life, (void *)(i + 2)) == 0);
        pthread_join(a, NULL);
        pthread_join(b, NULL);
    }
    drain_exchange();
    CHECK(!failed);
}

CHECK_MAIN(60,
           T(threads_with_every_api_and_cross_thread_frees),
           T(memory_of_exited_threads_is_reused_safely))
