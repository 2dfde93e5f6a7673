/* heap.c: heaps. A thread gets a heap on its first allocation (init.c):
 * the one a dead thread left owning its thread pointer, else one a thread
 * abandoned at exit, else a new one. At thread exit its heap is abandoned
 * with all its pages, live blocks included, for the next new thread to
 * adopt, so short-lived threads reuse memory instead of piling it up. Heaps
 * are never freed: a pointer to one stays valid forever, which is what lets
 * other threads push remote frees to it without a lock. Also here:
 * housekeeping (decay purging, driven by the slow paths), collecting the
 * abandoned heaps, malloc_trim (also run when the kernel refuses a mapping),
 * and what fork does to heaps. */
#include "internal.h"

static pthread_mutex_t heaps_lock = PTHREAD_MUTEX_INITIALIZER;
static ca_heap_t *heaps_all;          /* every heap ever made */
static ca_heap_t *heaps_abandoned;    /* owned by no thread */

ca_counter_t ca_heaps_created, ca_heaps_adopted, ca_heaps_abandoned;

ca_heap_t *ca_heap_list(void)
{
    return heaps_all;
}

/* Rewrites the owner part of the tag of every page in use. */
void ca_heap_retag(ca_heap_t *heap, uintptr_t tp)
{
    for (ca_segment_t *seg = heap->segments; seg; seg = seg->all_next) {
        for (uint32_t i = 0; i < seg->npages; i++) {
            ca_page_t *p = ca_segment_page(seg, i);
            if (p->state != CA_PAGE_INUSE) continue;
            ca_tag_set(p, tp | (ca_tag_get(p) & CA_TAG_FLAGS));
        }
    }
}

/* A heap still owned by thread pointer tp. Thread pointers are unique among
 * live threads, so when a new thread finds one, its owner is dead: a thread
 * whose first allocation came in the last round of its TLS-key destructors
 * (after which ours never runs) dies owning its heap, and its pages keep
 * its thread pointer in their tags. The C library gives the next thread
 * that TLS block, so the tags are already that thread's: it takes the heap
 * over. Called with heaps_lock held (every store to heap->tp is made under
 * it, so the scan reads no value being written). */
static ca_heap_t *heap_left_by(uintptr_t tp)
{
    for (ca_heap_t *h = heaps_all; h; h = h->next_all)
        if (h->tp == tp) return h;
    return NULL;
}

/* The heap for the thread with thread pointer tp, now owned by it (its
 * pages not yet retagged: the caller installs it); NULL without memory. */
ca_heap_t *ca_heap_acquire(uintptr_t tp)
{
    pthread_mutex_lock(&heaps_lock);
    ca_heap_t *heap = heap_left_by(tp);
    if (heap == NULL && heaps_abandoned) {
        heap = heaps_abandoned;
        heaps_abandoned = heap->next_abandoned;
        heap->next_abandoned = NULL;
    }
    if (heap) heap->tp = tp;
    pthread_mutex_unlock(&heaps_lock);
    if (heap) {
        ca_count(ca_heaps_adopted, 1);
    } else {
        heap = ca_meta_alloc(sizeof(ca_heap_t));
        if (heap == NULL) return NULL;
        heap->tp = tp;
        heap->rng = ca_os_random();
        heap->mkey = ca_page_key(heap);
        ca_mcache_init(heap);
        pthread_mutex_lock(&heaps_lock);
        heap->next_all = heaps_all;
        heaps_all = heap;
        pthread_mutex_unlock(&heaps_lock);
        ca_count(ca_heaps_created, 1);
    }
    heap->now = ca_os_now_ms();
    return heap;
}

/* Thread exit: give back what is empty, hand the rest over to whoever comes
 * next (init.c then clears the thread's direct array). */
void ca_heap_abandon(ca_heap_t *heap)
{
    heap->now = ca_os_now_ms();
    ca_heap_collect(heap, true);
    heap->direct = NULL;
    ca_heap_retag(heap, 0);
    pthread_mutex_lock(&heaps_lock);
    heap->tp = 0;
    heap->next_abandoned = heaps_abandoned;
    heaps_abandoned = heap;
    pthread_mutex_unlock(&heaps_lock);
    ca_count(ca_heaps_abandoned, 1);
}

/* Takes in remote frees and, with release_heads, also gives the block cache
 * back and returns queue heads that hold nothing (thread exit, trim). */
void ca_heap_collect(ca_heap_t *heap, bool release_heads)
{
    ca_page_drain_notify(heap);
    if (!release_heads) return;
    ca_mcache_flush(heap);
    ca_page_release_heads(heap);
}

/* ---------------------------------------------------------------------------
 * Housekeeping: decay purging, driven by the slow paths
 * ------------------------------------------------------------------------- */

/* Collects abandoned heaps: remote frees that arrived since their thread
 * died, empty pages, purging. A heap taken off the list is ours alone. */
static void collect_abandoned(bool force)
{
    ca_heap_t *list;
    if (!ca_lock_unless_busy(&heaps_lock, force))
        return;
    list = heaps_abandoned;
    heaps_abandoned = NULL;
    pthread_mutex_unlock(&heaps_lock);
    if (list == NULL) return;
    ca_heap_t *last = list;
    for (ca_heap_t *h = list; h; h = h->next_abandoned) {
        h->now = ca_os_now_ms();
        ca_heap_collect(h, true);
        ca_segment_purge(h, force);
        last = h;
    }
    pthread_mutex_lock(&heaps_lock);
    last->next_abandoned = heaps_abandoned;
    heaps_abandoned = list;
    pthread_mutex_unlock(&heaps_lock);
}

static void housekeeping(ca_heap_t *heap)
{
    heap->now = ca_os_now_ms();
#ifdef CA_DEBUG
    ca_page_check_heap(heap);
#endif
    ca_mcache_decay(heap);
    if (heap->dirty_since != 0 && heap->now - heap->dirty_since >= CA_DECAY_MS) ca_segment_purge(heap, false);
    static _Atomic uint64_t last_global;
    uint64_t last = atomic_load_explicit(&last_global, memory_order_relaxed);
    if (heap->now - last >= CA_DECAY_MS / 2 &&
        atomic_compare_exchange_strong(&last_global, &last, heap->now)) {
        ca_cache_collect(&ca_segment_cache, false);
        ca_large_collect(false);
        collect_abandoned(false);
    }
}

void ca_heap_tick(ca_heap_t *heap)
{
    if (++heap->ticks >= 64) {
        heap->ticks = 0;
        housekeeping(heap);
    }
}

/* Gives back to the kernel, now, what no live thread's heap holds: the
 * empty pages of abandoned heaps, the empty-segment cache, the large
 * arena's free spans.
 * Called by trim and when the kernel refuses a mapping (memory the program
 * freed must stay usable under an address-space limit). */
void ca_heap_release_unowned(void)
{
    collect_abandoned(true);
    ca_cache_collect(&ca_segment_cache, true);
    ca_large_collect(true);
}

/* malloc_trim(0), heap the caller's (or NULL): everything free goes back
 * to the kernel now. Other live
 * threads' heaps are theirs to touch; each of them holds at most
 * CA_HEAP_DIRTY_MAX unpurged bytes and decays on its own. Returns whether
 * anything was given back. */
int ca_heap_trim(ca_heap_t *heap)
{
    uint64_t before = atomic_load(&ca_os_counters.purged_bytes) + atomic_load(&ca_os_counters.munmap_calls);
    if (heap) {
        heap->now = ca_os_now_ms();
        ca_heap_collect(heap, true);
        ca_page_sweep(heap, SIZE_MAX);
        ca_segment_purge(heap, true);
    }
    ca_heap_release_unowned();
    return atomic_load(&ca_os_counters.purged_bytes) + atomic_load(&ca_os_counters.munmap_calls) != before;
}

/* ---------------------------------------------------------------------------
 * Fork (init.c takes every lock in order around it)
 * ------------------------------------------------------------------------- */
void ca_heap_fork_prepare(void) { pthread_mutex_lock(&heaps_lock); }
void ca_heap_fork_parent(void) { pthread_mutex_unlock(&heaps_lock); }

/* The child has one thread, the one that forked (its heap: mine). It
 * disowns the heaps of
 * the threads that did not come along: glibc may hand their stacks, and so
 * their thread pointers, to the child's new threads, which must not mistake
 * those pages for their own. The heaps are left unowned (not abandoned:
 * their owners may have stopped half-way through an update), so their
 * memory is not reused in the child; frees into them take the remote path. */
void ca_heap_fork_child(ca_heap_t *mine)
{
    for (ca_heap_t *h = heaps_all; h; h = h->next_all) {
        if (h == mine || h->tp == 0) continue;
        h->tp = 0;
        ca_heap_retag(h, 0);
    }
    pthread_mutex_unlock(&heaps_lock);
}
