/* heap.c: process and thread life. A thread gets a heap on its first
 * allocation (adopting one a dead thread abandoned, else a new one); at
 * thread exit its heap is abandoned with all its pages, live blocks included,
 * for the next new thread to adopt, so short-lived threads reuse memory
 * instead of piling it up. Heaps are never freed: a pointer to one stays
 * valid forever, which is what lets other threads push remote frees to it
 * without a lock. Also here: fork handlers, housekeeping (decay purging),
 * malloc_trim, and the small allocator for our own metadata.
 *
 * Nothing on these paths calls libc's malloc or anything that might:
 * pthread_key_create and pthread_atfork do not allocate for the first
 * handful of keys and handlers, and pthread_setspecific (which may call
 * calloc for keys >= 32) runs after the heap is installed, so a nested call
 * simply uses it. */
#include "internal.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>

__thread ca_tld_t ca_tld __attribute__((tls_model("initial-exec"))) = {
    .direct = {[0 ... CA_DIRECT_COUNT - 1] = &ca_page_empty},
    .heap = NULL,
};

/* The page every direct entry points to when there is nothing to pop. */
ca_page_t ca_page_empty;

static pthread_mutex_t heaps_lock = PTHREAD_MUTEX_INITIALIZER;
static ca_heap_t *heaps_all;          /* every heap ever made */
static ca_heap_t *heaps_abandoned;    /* owned by no thread */
static pthread_key_t thread_key;
static _Atomic int process_state;     /* 0 not started, 1 running init, 2 done */

/* ---------------------------------------------------------------------------
 * Metadata: heap structs and small records, from their own mappings
 * ------------------------------------------------------------------------- */
static pthread_mutex_t meta_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t *meta_cur, *meta_end;

void *ca_meta_alloc(size_t size)
{
    size = ca_align_up(size, 64);
    pthread_mutex_lock(&meta_lock);
    if (meta_cur == NULL || (size_t)(meta_end - meta_cur) < size) {
        size_t chunk = size > 65536 ? ca_align_up(size, 65536) : 65536;
        uint8_t *m = ca_os_map(chunk);
        if (m == NULL) {
            pthread_mutex_unlock(&meta_lock);
            return NULL;
        }
        meta_cur = m;
        meta_end = m + chunk;
    }
    void *p = meta_cur;
    meta_cur += size;
    pthread_mutex_unlock(&meta_lock);
    return p;   /* fresh mapping: zero */
}

ca_heap_t *ca_heap_list(void)
{
    return heaps_all;
}

/* ---------------------------------------------------------------------------
 * Fork: take every lock before, release after (parent and child),
 * so a child of a multi-threaded process never inherits a held lock. Heaps of
 * threads that do not exist in the child stay owned by nobody usable; their
 * memory is not reused in the child, but nothing breaks.
 * ------------------------------------------------------------------------- */
static void heap_retag(ca_heap_t *heap, uintptr_t tp);

static void fork_prepare(void)
{
    pthread_mutex_lock(&heaps_lock);
    ca_segment_lock();
    ca_large_lock();
    pthread_mutex_lock(&meta_lock);
}

static void fork_parent(void)
{
    pthread_mutex_unlock(&meta_lock);
    ca_large_unlock();
    ca_segment_unlock();
    pthread_mutex_unlock(&heaps_lock);
}

/* The child has one thread, the one that forked and holds every lock: it
 * releases them just as the parent does. First it disowns the heaps of the
 * threads that did not come along: glibc may hand their stacks, and so their
 * thread pointers, to the child's new threads, which must not mistake those
 * pages for their own. The heaps are left unowned (not abandoned: their
 * owners may have stopped half-way through an update), so their memory is
 * not reused in the child; frees into them take the remote path. */
static void fork_child(void)
{
    ca_heap_t *mine = ca_tld.heap;
    for (ca_heap_t *h = heaps_all; h; h = h->next_all) {
        if (h == mine || h->tp == 0) continue;
        h->tp = 0;
        heap_retag(h, 0);
    }
    fork_parent();
}

/* ---------------------------------------------------------------------------
 * Process and thread start
 * ------------------------------------------------------------------------- */
static void thread_done(void *value);

static void process_init(void)
{
    int expected = 0;
    if (!atomic_compare_exchange_strong(&process_state, &expected, 1)) {
        /* Another thread is initialising: wait (it never allocates from
         * us while doing so, so this cannot deadlock on ourselves). A nested
         * call from this very thread sees state 1 and goes on. */
        return;
    }
    ca_os_page_size();
    const char *s = getenv("CUSTOMALLOC_STATS");
    ca_stats_enabled = s != NULL && s[0] != '\0' && s[0] != '0';
    if (ca_stats_enabled) ca_stats_fd = fcntl(2, F_DUPFD_CLOEXEC, 10);
    pthread_key_create(&thread_key, thread_done);
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    atomic_store(&process_state, 2);
}

__attribute__((constructor)) static void ca_process_ctor(void)
{
    process_init();
}

/* Rewrites the owner part of the tag of every page in use. */
static void heap_retag(ca_heap_t *heap, uintptr_t tp)
{
    for (ca_segment_t *seg = heap->segments; seg; seg = seg->all_next) {
        for (uint32_t i = 0; i < seg->npages; i++) {
            ca_page_t *p = ca_segment_page(seg, i);
            if (p->state != CA_PAGE_INUSE) continue;
            uintptr_t flags = atomic_load_explicit(&p->tag, memory_order_relaxed) & CA_TAG_FLAGS;
            ca_page_store_tag(p, tp | flags);
        }
    }
}

static void heap_install(ca_heap_t *heap)
{
    uintptr_t tp = ca_thread_tp();
    heap->tp = tp;
    heap->direct = ca_tld.direct;
    /* Every page of an adopted heap becomes ours. */
    heap_retag(heap, tp);
    ca_tld.heap = heap;
    for (unsigned c = 1; c <= CA_DIRECT_CLASS_MAX; c++) ca_heap_set_direct(heap, c);
}

ca_heap_t *ca_heap_thread_init(void)
{
    if (atomic_load_explicit(&process_state, memory_order_acquire) == 0) process_init();
    ca_heap_t *heap = NULL;
    pthread_mutex_lock(&heaps_lock);
    if (heaps_abandoned) {
        heap = heaps_abandoned;
        heaps_abandoned = heap->next_abandoned;
        heap->next_abandoned = NULL;
    }
    pthread_mutex_unlock(&heaps_lock);
    if (heap) {
        ca_stat_add(heaps_adopted, 1);
    } else {
        heap = ca_meta_alloc(sizeof(ca_heap_t));
        if (heap == NULL) return NULL;
        pthread_mutex_lock(&heaps_lock);
        heap->next_all = heaps_all;
        heaps_all = heap;
        pthread_mutex_unlock(&heaps_lock);
        ca_stat_add(heaps_created, 1);
    }
    heap->now = ca_os_now_ms();
    heap_install(heap);
    if (atomic_load_explicit(&process_state, memory_order_acquire) == 2)
        pthread_setspecific(thread_key, heap);
    return heap;
}

/* Thread exit (key destructor): give back what is empty, hand the rest over
 * to whoever comes next. Frees that arrive after this (other destructors)
 * find pages with no owner and take the remote path. */
static void heap_abandon(ca_heap_t *heap)
{
    heap->now = ca_os_now_ms();
    ca_heap_collect(heap, true);
    heap->direct = NULL;
    heap->tp = 0;
    heap_retag(heap, 0);
    ca_tld.heap = NULL;
    for (unsigned d = 0; d < CA_DIRECT_COUNT; d++) ca_tld.direct[d] = &ca_page_empty;
    pthread_mutex_lock(&heaps_lock);
    heap->next_abandoned = heaps_abandoned;
    heaps_abandoned = heap;
    pthread_mutex_unlock(&heaps_lock);
    ca_stat_add(heaps_abandoned, 1);
}

static void thread_done(void *value)
{
    ca_heap_t *heap = value;
    if (heap != NULL && heap == ca_tld.heap) heap_abandon(heap);
}

/* ---------------------------------------------------------------------------
 * Housekeeping: decay purging, driven by the slow paths
 * ------------------------------------------------------------------------- */

/* Collects abandoned heaps: remote frees that arrived since their thread
 * died, empty pages, purging. A heap taken off the list is ours alone. */
static void collect_abandoned(bool force)
{
    ca_heap_t *list;
    if (force) {
        pthread_mutex_lock(&heaps_lock);
    } else if (pthread_mutex_trylock(&heaps_lock) != 0) {
        return;
    }
    list = heaps_abandoned;
    heaps_abandoned = NULL;
    pthread_mutex_unlock(&heaps_lock);
    if (list == NULL) return;
    ca_heap_t *last = list;
    for (ca_heap_t *h = list; h; h = h->next_abandoned) {
        h->now = ca_os_now_ms();
        ca_heap_collect(h, true);
        ca_heap_purge(h, force);
        last = h;
    }
    pthread_mutex_lock(&heaps_lock);
    last->next_abandoned = heaps_abandoned;
    heaps_abandoned = list;
    pthread_mutex_unlock(&heaps_lock);
}

void ca_housekeeping(ca_heap_t *heap)
{
    heap->now = ca_os_now_ms();
    /* The block cache must not keep memory forever: hand it back to the
     * pages now and then, so that emptied pages can be retired and purged. */
    if (heap->mcache_bytes != 0 && heap->now - heap->mcache_flushed_at >= 2 * CA_DECAY_MS) {
        heap->mcache_flushed_at = heap->now;
        ca_heap_flush_mcache(heap);
    }
    if (heap->dirty_since != 0 && heap->now - heap->dirty_since >= CA_DECAY_MS) ca_heap_purge(heap, false);
    static _Atomic uint64_t last_global;
    uint64_t last = atomic_load_explicit(&last_global, memory_order_relaxed);
    if (heap->now - last >= CA_DECAY_MS / 2 &&
        atomic_compare_exchange_strong(&last_global, &last, heap->now)) {
        ca_segment_cache_collect(false);
        ca_large_cache_collect(false);
        collect_abandoned(false);
    }
}

void ca_heap_tick(ca_heap_t *heap)
{
    if (++heap->ticks >= 64) {
        heap->ticks = 0;
        ca_housekeeping(heap);
    }
}

/* malloc_trim(0): everything free goes back to the OS now. Other live
 * threads' heaps are theirs to touch; each of them holds at most
 * CA_HEAP_DIRTY_MAX unpurged bytes and decays on its own. */
int ca_trim(void)
{
    uint64_t before = atomic_load(&ca_stats.purged_bytes) + atomic_load(&ca_stats.munmap_calls);
    ca_heap_t *heap = ca_tld.heap;
    if (heap) {
        heap->now = ca_os_now_ms();
        ca_heap_collect(heap, true);
        ca_heap_purge(heap, true);
    }
    collect_abandoned(true);
    ca_segment_cache_collect(true);
    ca_large_cache_collect(true);
    return atomic_load(&ca_stats.purged_bytes) + atomic_load(&ca_stats.munmap_calls) != before;
}
