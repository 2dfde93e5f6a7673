/* heap.c: the shared heap. It owns the coarse bins (LIFO lists of free blocks
 * of varied sizes, searched first-fit), the bump region new blocks are carved
 * from, the lock(s) protecting both, and the fork handlers that keep those
 * locks usable in a child.
 *
 * Two builds come from this one file, as in the article:
 *   default              one global lock protects everything shared;
 *   -DARTICLE_BIN_LOCKS  one lock per bin, one for the bump region and one for
 *                        the pool of thread caches.
 * The code always asks for "the lock of bin b" or "the lock of the top"; with
 * one global lock those are the same mutex, and ar_heap_alloc is written so it
 * never takes a mutex it already holds. No code path holds two locks at once,
 * so there is no lock order to respect. */
#include "article.h"

#include <pthread.h>
#include <stdatomic.h>

/* Coarse on purpose: three bins a factor 4 apart, so a bin's blocks differ in
 * size by up to 4x and a request may get a much larger block (poor fit).
 * Anything above the last bin is "large" and gets a mapping of its own. */
const size_t ar_bin_limit[AR_NBINS] = {64, 256, AR_MMAP_THRESHOLD};
_Static_assert(AR_MMAP_THRESHOLD > 256 && AR_MMAP_THRESHOLD % AR_ALIGN == 0 &&
                   AR_MMAP_THRESHOLD <= AR_SEGMENT_SIZE / 4,
               "the last bin must lie above the second and fit a segment");

struct bin {
    pthread_mutex_t lock;   /* used by the per-bin-lock build only */
    struct ar_free *head;
    size_t          count;
} __attribute__((aligned(64)));   /* per-bin locks must not share a line */

#define BIN_INIT {.lock = PTHREAD_MUTEX_INITIALIZER, .head = NULL, .count = 0}
static struct bin bins[AR_NBINS] = {BIN_INIT, BIN_INIT, BIN_INIT};

/* The bump region: [ptr, end) of the newest segment. The tail of an older
 * segment too short for a request is abandoned (under 1 KiB per 4 MiB). */
static struct {
    pthread_mutex_t lock;   /* used by the per-bin-lock build only */
    char *ptr, *end;
} top = {.lock = PTHREAD_MUTEX_INITIALIZER, .ptr = NULL, .end = NULL};

/* ------------------------------------------------------------------ locks */

#ifdef ARTICLE_BIN_LOCKS
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t *bin_lock(unsigned b) { return &bins[b].lock; }
static pthread_mutex_t *top_lock(void) { return &top.lock; }
static pthread_mutex_t *pool_lock_ptr(void) { return &pool_lock; }
#else
static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t *bin_lock(unsigned b) { (void)b; return &global_lock; }
static pthread_mutex_t *top_lock(void) { return &global_lock; }
static pthread_mutex_t *pool_lock_ptr(void) { return &global_lock; }
#endif

static void lock(pthread_mutex_t *m)
{
    if (pthread_mutex_lock(m) != 0)
        ar_os_fatal("pthread_mutex_lock failed");
}

static void unlock(pthread_mutex_t *m) { pthread_mutex_unlock(m); }

void ar_pool_lock(void) { lock(pool_lock_ptr()); }
void ar_pool_unlock(void) { unlock(pool_lock_ptr()); }

/* Every distinct lock, each once: what fork must hold. */
static unsigned all_locks(pthread_mutex_t *out[AR_NBINS + 2])
{
#ifdef ARTICLE_BIN_LOCKS
    unsigned n = 0;
    out[n++] = pool_lock_ptr();
    for (unsigned b = 0; b < AR_NBINS; b++)
        out[n++] = bin_lock(b);
    out[n++] = top_lock();
    return n;
#else
    out[0] = &global_lock;
    return 1;
#endif
}

/* fork() in a threaded program copies only the calling thread: a lock held by
 * another thread at that moment would stay held forever in the child. So the
 * parent takes every lock before forking and both sides release them after
 * (the child re-initialises them, as its copy has no other owner). */
static void fork_prepare(void)
{
    pthread_mutex_t *locks[AR_NBINS + 2];
    unsigned n = all_locks(locks);
    for (unsigned i = 0; i < n; i++)
        lock(locks[i]);
}

static void fork_parent(void)
{
    pthread_mutex_t *locks[AR_NBINS + 2];
    unsigned n = all_locks(locks);
    for (unsigned i = n; i-- > 0;)
        unlock(locks[i]);
}

static void fork_child(void)
{
    pthread_mutex_t *locks[AR_NBINS + 2];
    unsigned n = all_locks(locks);
    for (unsigned i = 0; i < n; i++)
        pthread_mutex_init(locks[i], NULL);
}

/* ------------------------------------------------------------------- init */

static atomic_int init_claimed, init_done;

/* Everything shared is statically initialised, so the heap works before this
 * runs; it only registers the fork handlers. The first call comes before any
 * second thread can exist (pthread_create itself allocates), and the claim
 * flag makes a re-entrant call (were pthread_atfork ever to allocate) return
 * at once instead of deadlocking. */
void ar_heap_init(void)
{
    if (atomic_load_explicit(&init_done, memory_order_acquire))
        return;
    int expected = 0;
    if (!atomic_compare_exchange_strong(&init_claimed, &expected, 1))
        return;
    (void)ar_os_page_size();
    if (pthread_atfork(fork_prepare, fork_parent, fork_child) != 0)
        ar_os_fatal("pthread_atfork failed");
    atomic_store_explicit(&init_done, 1, memory_order_release);
}

/* ------------------------------------------------------------- the bins */

/* First fit: the first block in the list that is large enough, however much
 * larger (poor fit). Blocks too small for the request are walked past every
 * time; with mixed sizes that walk averages ~7 blocks, a small cost next to
 * the mmap of every request above the last bin. Caller holds the bin's lock. */
static void *take_fit(struct bin *bin, size_t need)
{
    for (struct ar_free **link = &bin->head; *link != NULL;
         link = &(*link)->next) {
        struct ar_free *f = *link;
        struct ar_header *h = ar_header_of(f);
        ar_assert(h->magic == AR_MAGIC && h->flags == AR_FREE);
        ar_assert(h->size % AR_ALIGN == 0 && h->size <= ar_bin_limit[h->bin]);
        if (h->size >= need) {
            *link = f->next;
            bin->count--;
            h->flags = 0;
            return f;
        }
    }
    return NULL;
}

static void splice(struct bin *bin, struct ar_free *head, struct ar_free *tail,
                   size_t n)
{
    ar_assert(n != 0 && tail->next == NULL);
    tail->next = bin->head;
    bin->head = head;
    bin->count += n;
}

/* A new block of exactly `need` payload bytes from the bump region. Caller
 * holds the top's lock. */
static void *carve(size_t need, unsigned b)
{
    size_t len = AR_HEADER_SIZE + need;
    if ((size_t)(top.end - top.ptr) < len) {
        char *seg = ar_os_map(AR_SEGMENT_SIZE);
        if (seg == NULL)
            return NULL;
        top.ptr = seg;
        top.end = seg + AR_SEGMENT_SIZE;
    }
    struct ar_header *h = (struct ar_header *)top.ptr;
    top.ptr += len;
    h->size = need;
    h->flags = 0;
    h->bin = (uint16_t)b;
    h->magic = AR_MAGIC;
    return h + 1;
}

void *ar_heap_alloc(size_t need, unsigned b, struct ar_cache *own)
{
    struct bin *bin = &bins[b];
    pthread_mutex_t *bl = bin_lock(b);
    lock(bl);
    void *p = take_fit(bin, need);
    if (p == NULL && own != NULL && own->count[b] != 0) {
        /* Before growing the heap, give this thread's cached frees of the bin
         * back, so a thread that frees and mallocs in turn reuses its blocks
         * instead of carving new ones. */
        splice(bin, own->head[b], own->tail[b], own->count[b]);
        own->head[b] = own->tail[b] = NULL;
        own->count[b] = 0;
        p = take_fit(bin, need);
    }
    if (p != NULL) {
        unlock(bl);
        return p;
    }
    pthread_mutex_t *tl = top_lock();
    if (tl != bl) {
        unlock(bl);
        lock(tl);
    }
    p = carve(need, b);
    unlock(tl);
    return p;
}

void ar_heap_give(unsigned b, struct ar_free *head, struct ar_free *tail,
                  size_t n)
{
    pthread_mutex_t *bl = bin_lock(b);
    lock(bl);
    splice(&bins[b], head, tail, n);
    unlock(bl);
}
