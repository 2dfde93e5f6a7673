/* Multi-threaded stress: 32 threads allocate blocks of mixed sizes, fill
 * each with a pattern derived from its address and size, and hand them to
 * each other through a shared array of atomic slots; whoever takes a block
 * checks the pattern and frees it (often a remote free). Threads exit and are
 * recreated every round, so blocks outlive the threads that made them.
 * Allocator-agnostic. */
#include "check.h"
#include "alloc_test.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#if defined(__SANITIZE_THREAD__)
#define ITERS 6000
#define ROUNDS 2
#else
#define ITERS 40000
#define ROUNDS 4
#endif
#define THREADS 32
#define SLOTS 4096

typedef struct {
    size_t size;     /* whole block, header included */
} hdr_t;

static _Atomic(hdr_t *) slots[SLOTS];
static atomic_int failures;

static uint64_t rnd(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static size_t pick_size(uint64_t *x)
{
    uint64_t r = rnd(x) % 1000;
    if (r < 800) return 16 + rnd(x) % 496;          /* small */
    if (r < 985) return 512 + rnd(x) % 7680;        /* up to 8 KiB */
    if (r < 999) return 8192 + rnd(x) % 122880;     /* medium */
    return 131072 + rnd(x) % (1u << 20);            /* large */
}

static hdr_t *make_block(uint64_t *x)
{
    size_t n = pick_size(x);
    hdr_t *h;
    uint64_t how = rnd(x) % 16;
    if (how == 0) {
        h = T_calloc(1, n);
    } else if (how == 1) {
        h = T_memalign((size_t)32 << (rnd(x) % 6), n);
    } else if (how == 2) {
        h = T_malloc(n / 2 + 16);
        if (h) h = T_realloc(h, n);
    } else {
        h = T_malloc(n);
    }
    if (h == NULL) {
        atomic_fetch_add(&failures, 1);
        return NULL;
    }
    h->size = n;
    t_fill(h + 1, n - sizeof(hdr_t));
    return h;
}

static void drop_block(hdr_t *h)
{
    if (h == NULL) return;
    if (!t_check(h + 1, h->size - sizeof(hdr_t))) {
        fprintf(stderr, "  corrupted block %p of %zu bytes\n", (void *)h, h->size);
        atomic_fetch_add(&failures, 1);
    }
    T_free(h);
}

static void *worker(void *arg)
{
    uint64_t x = (uint64_t)(uintptr_t)arg * 0x9E3779B97F4A7C15ull + 1;
    hdr_t *local[64] = {0};
    for (int i = 0; i < ITERS; i++) {
        uint64_t r = rnd(&x);
        if (r % 4 == 0) {
            /* hand a block to whoever comes next */
            hdr_t *h = make_block(&x);
            hdr_t *old = atomic_exchange(&slots[rnd(&x) % SLOTS], h);
            drop_block(old);
        } else {
            unsigned k = (unsigned)(r >> 8) % 64;
            drop_block(local[k]);
            local[k] = make_block(&x);
        }
    }
    for (int k = 0; k < 64; k++) drop_block(local[k]);
    return NULL;
}

static void threads_exchange_blocks_and_contents_survive(void)
{
    for (int round = 0; round < ROUNDS; round++) {
        pthread_t t[THREADS];
        for (int i = 0; i < THREADS; i++)
            CHECK(pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(round * THREADS + i + 1)) == 0);
        for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
        CHECK_MSG(atomic_load(&failures) == 0, "%d failures in round %d", atomic_load(&failures), round);
    }
    for (int i = 0; i < SLOTS; i++) drop_block(atomic_exchange(&slots[i], NULL));
    CHECK(atomic_load(&failures) == 0);
}

/* One producer, one consumer: every block is freed by the other thread. */
#if defined(__SANITIZE_THREAD__)
#define PC_N 50000
#else
#define PC_N 200000
#endif
#define PC_RING 1024
static _Atomic(hdr_t *) ring[PC_RING];

static void *producer(void *arg)
{
    (void)arg;
    uint64_t x = 77;
    for (int i = 0; i < PC_N; i++) {
        size_t n = 16 + rnd(&x) % 200;
        hdr_t *h = T_malloc(n);
        h->size = n;
        t_fill(h + 1, n - sizeof(hdr_t));
        while (atomic_load_explicit(&ring[i % PC_RING], memory_order_acquire) != NULL) sched_yield();
        atomic_store_explicit(&ring[i % PC_RING], h, memory_order_release);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    for (int i = 0; i < PC_N; i++) {
        hdr_t *h;
        while ((h = atomic_exchange_explicit(&ring[i % PC_RING], NULL, memory_order_acq_rel)) == NULL) sched_yield();
        drop_block(h);
    }
    return NULL;
}

static void producer_consumer_blocks_survive_remote_free(void)
{
    pthread_t p, c;
    CHECK(pthread_create(&p, NULL, producer, NULL) == 0);
    CHECK(pthread_create(&c, NULL, consumer, NULL) == 0);
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    CHECK(atomic_load(&failures) == 0);
}

CHECK_MAIN(300,
    T(threads_exchange_blocks_and_contents_survive),
    T(producer_consumer_blocks_survive_remote_free))
