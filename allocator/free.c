/* free.c: free (the fast path) and everything behind it: frees into the
 * thread's own pages that need care (full page, aligned pointer, medium
 * block, page now empty, a block that looks free already), frees from
 * other threads (one CAS on the page's thread_free list), large blocks
 * (large.c), and every pointer that is not the start of a live block,
 * which aborts ("invalid free", "double free"). free never
 * changes errno. Part of the unit override.c compiles.
 *
 * The slow paths take (p, page), the order the fast path has them in
 * registers, so that its tail calls need no moves. */
#include "internal.h"

static void free_unmapped(void *p);
static void free_checked(void *p, ca_page_t *page);
static void free_slow(void *p, ca_page_t *slot);
static void free_emptied(ca_page_t *page);

/* free: the segment map (one byte) says whether p lies in one of our
 * segments at all (NULL, the stack, static data, another allocator's
 * memory do not; nor do large blocks); that branch is
 * predicted, so the descriptor of p's slice, computed from the address
 * alone (segment mask, slice index: no load on the way, see ca_slot_of), is
 * read at once. It is ours to touch without atomics when its tag is exactly
 * our thread pointer (a full page, one with aligned pointers, a medium page
 * and every other thread's page fail that one compare). p
 * must then be the start of one of its blocks (one multiply and one
 * compare, see ca_page_is_block) that does not start with the free mark
 * (one compare with a constant, see ca_block_looks_free); else
 * free_checked finds out what it is. The block goes straight back on the
 * list malloc pops from, so the next malloc of the class reuses the block
 * just freed, still in cache (LIFO, as a thread cache would): its link is
 * the old head, encoded. On a queue head `used` is a countdown that reaches
 * 0 only after 2^30 net frees, so a single block ping-ponging never leaves
 * this path. */
ca_fast void ca_free(void *p)
{
    if (unlikely(!ca_segmap_has(p))) {
        free_unmapped(p);
        return;
    }
    ca_page_t *page = ca_slot_of(p);
    if (likely(ca_tag_peek(page) == ca_thread_tp())) {
        if (likely(ca_page_is_block(page, p)) && likely(!ca_block_looks_free(p))) {
            if (unlikely(ca_page_push(page, p))) free_emptied(page);
            return;
        }
        free_checked(p, page);
        return;
    }
    free_slow(p, page);
}

/* The heap a dead thread with this thread's pointer left, taken over
 * because this thread frees into one of its pages (heap.c, heap_left_by).
 * Finding it maps nothing, so NULL means the heap table is broken: going on
 * would free into a page nobody owns (or, in ca_free, come back here). */
static ca_noinline ca_heap_t *adopt_heap(void)
{
    ca_heap_t *heap = ca_init_thread();
    if (heap == NULL) ca_os_fatal("cannot adopt the heap of this thread's pages", NULL);
    return heap;
}

/* A local free emptied a page (or ran a queue head's countdown out, see
 * page.c): a page that is not a head goes back to its segment now. (A
 * thread without a heap yet frees into a page of its own thread pointer
 * only when that page's heap was left by a dead thread with the same one:
 * it adopts that heap, see heap.c, heap_left_by.) */
static ca_noinline void free_emptied(ca_page_t *page)
{
    int saved = errno;   /* retiring the page may purge (free never changes errno) */
    ca_heap_t *heap = ca_tld.heap;
    if (unlikely(heap == NULL)) heap = adopt_heap();
    ca_page_now_empty(heap, page);
    ca_heap_tick(heap);
    errno = saved;
}

/* The block p frees, p being in a page in use: p must be the start of a
 * block or the aligned pointer handed out for one ("invalid free"), and the
 * block must not be free already ("double free"; a block that starts with
 * the mark is looked for on the lists; one that starts in a purged OS page
 * is lost, see page.c, sweeping). owner: the caller owns the page's
 * heap. */
ca_inline ca_block_t *free_block(void *p, const ca_page_t *page, bool owner)
{
    ca_block_t *b = likely(ca_page_is_block(page, p)) ? (ca_block_t *)p : ca_page_resolve(page, p);
    if (unlikely(b == NULL)) ca_os_fatal("invalid free", p);
    if (unlikely(ca_block_looks_free(b) || ca_page_lost(page, b)) && ca_mcache_is_free(page, b, owner))
        ca_os_fatal("double free", p);
    if (b != p) ((uintptr_t *)b)[1] = 0;   /* the aligned record: p is no longer valid */
    return b;
}

/* Push onto the owner's atomic list. The thread that turns the list from
 * empty to non-empty also puts the page on its heap's notify list, so the
 * owner finds pages with remote frees without scanning. The owner heap never
 * goes away (heaps are recycled, not freed), and a page cannot be retired
 * while this block is outstanding, so both pushes are safe without a lock.
 * The first push is acq_rel: when it finds the list empty it synchronises
 * with the owner's exchange that emptied it, which came after the owner read
 * page->notify_next, the field the second push writes. */
static void free_remote(void *p, ca_page_t *page)
{
    ca_heap_t *owner = atomic_load_explicit(&page->heap, memory_order_relaxed);
    ca_block_t *b = free_block(p, page, false);
    if (page->block_size > CA_MCACHE_MIN && unlikely(!ca_live_take_back(b))) ca_os_fatal("double free", p);
    uintptr_t old = atomic_load_explicit(&page->thread_free, memory_order_relaxed);
    do {
        b->link = ca_link_encode(page->key, old ? old : (uintptr_t)CA_REMOTE_END);
    } while (!atomic_compare_exchange_weak_explicit(&page->thread_free, &old, (uintptr_t)b,
                                                    memory_order_acq_rel, memory_order_relaxed));
    if (old == 0) {
        ca_page_t *top = atomic_load_explicit(&owner->notify, memory_order_relaxed);
        do {
            page->notify_next = top;
        } while (!atomic_compare_exchange_weak_explicit(&owner->notify, &top, page,
                                                        memory_order_release, memory_order_relaxed));
    }
    ca_heap_t *self = ca_tld.heap;
    if (self) self->st_remote_frees++;
}

/* A local free that needs the page itself: may retire the page, hence may
 * purge. */
static ca_noinline void free_local(ca_heap_t *heap, ca_page_t *page, ca_block_t *b)
{
    int saved = errno;
    ca_page_free_local(heap, page, b);
    ca_heap_tick(heap);
    errno = saved;
}

/* A free into a page tagged with this thread's pointer before the thread
 * has a heap: the heap was left by a dead thread with the same pointer;
 * adopt it (ca_init_thread finds it by that pointer), then free as its
 * owner. */
static ca_noinline void free_adopting(void *p)
{
    adopt_heap();
    ca_free(p);
}

/* The fast path's page, but p is not a block start, or it starts with the
 * free mark: invalid, a double free, or (rarely) a live block that starts
 * with the mark's byte, which is freed as usual. */
static ca_noinline void free_checked(void *p, ca_page_t *page)
{
    ca_heap_t *heap = ca_tld.heap;
    if (unlikely(heap == NULL)) {
        free_adopting(p);
        return;
    }
    ca_block_t *b = free_block(p, page, true);
    if (page->block_size > CA_MCACHE_MIN) {
        if (unlikely(!ca_live_is_out(b))) ca_os_fatal("double free", p);
        ca_live_back(b);
    }
    free_local(heap, page, b);
}

/* NULL, a large block, or not ours at all (large.c tells). */
static ca_noinline void free_unmapped(void *p)
{
    if (p == NULL) return;
    int saved = errno;
    ca_large_free(p);
    errno = saved;
}

/* Not our thread's page: a free page, or another thread's page (or an
 * abandoned heap's). */
static ca_noinline void free_not_local(void *p, ca_page_t *page)
{
    if (page->state != CA_PAGE_INUSE) ca_os_fatal("invalid free", p);
    free_remote(p, page);
}

/* Whether block p of an owned page (tag: its tag) may be free already, so
 * that free_checked must look: it starts with the mark or lies in a purged
 * OS page (ca_page_lost; only small pages are ever purged), or, in a medium
 * page, it is not out (ca_live_byte). A medium block is not read: the
 * block of a big heap is rarely in cache, and its read was the one load
 * such a free waited for. */
static inline bool free_may_be_free(uintptr_t tag, const ca_page_t *page, const void *p)
{
    if (tag & CA_TAG_MEDIUM) return !ca_live_is_out(p);
    return ca_block_looks_free(p) || ((tag & CA_TAG_PURGED) && ca_page_lost(page, p));
}

/* The owner's free into a medium queue head, which from now on takes fast
 * frees (ca_page_fast_frees; again for a block of its second slice, which
 * the fast path never sees: the same tag and flag). A call of its own, so
 * that free_slow makes tail calls only and needs no stack frame. */
static ca_noinline void free_into_head(void *p, ca_page_t *page)
{
    ca_assert(page->block_size > CA_MCACHE_MIN);
    ca_page_fast_frees(page);
    if (unlikely(ca_page_push(page, p))) free_emptied(page);
}

/* p lies in one of our segments, and its slice's descriptor (slot) is not
 * ours to take the fast path: p's page (the slot, or for a medium page's
 * second slice the slot before it: ca_page_of_slot, no header load) is ours
 * with a flag in its tag (full: back into its queue; medium: the block
 * cache; aligned pointers, purged OS pages: free_checked), or not ours.
 * The common case, a block start that does not look free, is told apart
 * as in the fast path (plus the lost test, which only a PURGED page needs:
 * the flag is set exactly while OS pages of it are purged), so that this
 * function makes no call but its tail calls; anything else is
 * free_checked's. */
static ca_noinline void free_slow(void *p, ca_page_t *slot)
{
    ca_page_t *page = ca_page_of_slot(slot);
    ca_assert(page == ca_page_of(p));
    uintptr_t tag = ca_tag_get(page);
    if (unlikely((tag & ~CA_TAG_FLAGS) != ca_thread_tp())) {
        free_not_local(p, page);
        return;
    }
    ca_heap_t *heap = ca_tld.heap;
    if (unlikely(heap == NULL || !ca_page_is_block(page, p) || free_may_be_free(tag, page, p))) {
        free_checked(p, page);
        return;
    }
    if (tag & CA_TAG_MEDIUM) {
        ca_live_back(p);
        if (likely(heap->queues[page->cls].first != page)) {
            if (likely(ca_mcache_push(heap, page->cls, p))) return;
            free_local(heap, page, p);
            return;
        }
    } else if (tag & CA_TAG_FLAGS) {
        free_local(heap, page, p);
        return;
    }
    /* a medium head: the first free into it, or p in its second slice */
    free_into_head(p, page);
}
