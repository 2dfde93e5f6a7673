/* cache.c: the thread-local cache in front of the shared heap. A thread's
 * free() pushes the block onto its own list for the block's bin, with no
 * lock; when that list reaches AR_CACHE_CAP blocks the whole list is handed to
 * the shared bin in one splice under one lock. malloc() does not pop from
 * here: it asks the shared heap (heap.c), which takes this thread's cached
 * blocks back only when the shared bin cannot serve it. README.md explains
 * why the article's figures point to this shape.
 *
 * Thread exit: a pthread key destructor hands every cached block back and
 * parks the cache in a pool for the next thread; frees that still arrive on
 * that thread afterwards (later destructors) go straight to the shared bins.
 * The thread-local pointer uses the initial-exec TLS model: dynamic TLS could
 * call malloc to grow its tables. */
#include "article.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

static __thread struct ar_cache *tls_cache
    __attribute__((tls_model("initial-exec")));

/* Where tls_cache points once the thread's cache has been handed back. */
static struct ar_cache exited;

/* Caches of exited threads, ready for reuse; under ar_pool_lock. */
static struct ar_cache *pool;
static pthread_key_t exit_key;
static int exit_key_state;   /* 0: not tried, 1: made, -1: failed */

#define CACHES_PER_MAP 256u

struct ar_cache *ar_cache_mine(void)
{
    struct ar_cache *c = tls_cache;
    return c == &exited ? NULL : c;
}

static void hand_back(struct ar_cache *c, unsigned b)
{
    ar_heap_give(b, c->head[b], c->tail[b], c->count[b]);
    c->head[b] = c->tail[b] = NULL;
    c->count[b] = 0;
}

static void thread_exit(void *arg)
{
    struct ar_cache *c = arg;
    for (unsigned b = 0; b < AR_NBINS; b++)
        if (c->count[b] != 0)
            hand_back(c, b);
    tls_cache = &exited;
    ar_pool_lock();
    c->next_in_pool = pool;
    pool = c;
    ar_pool_unlock();
}

static struct ar_cache *cache_create(void)
{
    ar_pool_lock();
    if (exit_key_state == 0)   /* pthread_key_create does not allocate */
        exit_key_state = pthread_key_create(&exit_key, thread_exit) == 0 ? 1 : -1;
    struct ar_cache *c = pool;
    if (c == NULL) {
        /* Caches come from their own mapping, never from the heap they
         * front, so creating one cannot recurse into malloc. */
        c = ar_os_map(CACHES_PER_MAP * sizeof *c);
        if (c != NULL)
            for (unsigned i = 1; i < CACHES_PER_MAP; i++) {
                c[i].next_in_pool = pool;
                pool = &c[i];
            }
    } else {
        pool = c->next_in_pool;
    }
    int have_key = exit_key_state == 1;
    ar_pool_unlock();
    if (c == NULL)
        return NULL;
    memset(c, 0, sizeof *c);
    tls_cache = c;
    /* Installed first: pthread_setspecific calls calloc for keys >= 32, and
     * that nested call must find a finished cache. */
    if (have_key)
        pthread_setspecific(exit_key, c);
    return c;
}

void ar_cache_put(void *payload, unsigned b)
{
    struct ar_free *f = payload;
    struct ar_cache *c = tls_cache;
    if (c == NULL) {
        int saved_errno = errno;   /* free never changes errno */
        c = cache_create();
        errno = saved_errno;
    }
    if (c == NULL || c == &exited) {
        f->next = NULL;
        ar_heap_give(b, f, f, 1);
        return;
    }
    ar_assert(b < AR_NBINS && c->count[b] < AR_CACHE_CAP);
    f->next = c->head[b];
    if (c->count[b] == 0)
        c->tail[b] = f;
    c->head[b] = f;
    if (++c->count[b] == AR_CACHE_CAP)
        hand_back(c, b);
}
