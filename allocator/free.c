/* free.c: everything free does past its fast path (internal.h): frees into
 * the thread's own pages that need care (full page, interior pointer, page
 * now empty), frees from other threads (one CAS on the page's thread_free
 * list), large blocks, and blocks aligned to 4 MiB or more. free never
 * changes errno. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void invalid_free(const void *p)
{
    char buf[96];
    int n = snprintf(buf, sizeof buf, "customalloc: free(): invalid pointer %p\n", p);
    if (n > 0) {
        ssize_t w = write(2, buf, (size_t)n);
        (void)w;
    }
    abort();
}

/* A local free emptied a page that is not a queue head (heads carry a bias
 * and never reach 0 here): give it back to its segment now. */
void ca_page_emptied(ca_page_t *page)
{
    ca_heap_t *heap = ca_tld.heap;
    ca_page_retire(heap, page);
    ca_heap_tick(heap);
}

/* Push onto the owner's atomic list. The thread that turns the list from
 * empty to non-empty also puts the page on its heap's notify list, so the
 * owner finds pages with remote frees without scanning. The owner heap never
 * goes away (heaps are recycled, not freed), and a page cannot be retired
 * while this block is outstanding, so both pushes are safe without a lock.
 * The first push is acq_rel: when it finds the list empty it synchronises
 * with the owner's exchange that emptied it, which came after the owner read
 * page->notify_next, the field the second push writes. */
static void free_remote(ca_page_t *page, void *p)
{
    if (atomic_load_explicit(&page->has_aligned, memory_order_relaxed)) p = ca_block_start(page, p);
    ca_block_t *b = (ca_block_t *)p;
    uintptr_t old = atomic_load_explicit(&page->thread_free, memory_order_relaxed);
    do {
        b->next = (ca_block_t *)old;
    } while (!atomic_compare_exchange_weak_explicit(&page->thread_free, &old, (uintptr_t)b,
                                                    memory_order_acq_rel, memory_order_relaxed));
    if (old == 0) {
        ca_heap_t *owner = atomic_load_explicit(&page->heap, memory_order_relaxed);
        ca_page_t *top = atomic_load_explicit(&owner->notify, memory_order_relaxed);
        do {
            page->notify_next = top;
        } while (!atomic_compare_exchange_weak_explicit(&owner->notify, &top, page,
                                                        memory_order_release, memory_order_relaxed));
    }
    ca_heap_t *self = ca_tld.heap;
    if (self) self->st_remote_frees++;
}

/* A local free that needs the page itself (full page, cache full, small
 * page with interior pointers): may retire the page, hence may purge. */
__attribute__((noinline)) static void free_local_page(ca_heap_t *heap, ca_page_t *page, ca_block_t *b)
{
    int saved = errno;
    ca_page_free_local(heap, page, b);
    ca_heap_tick(heap);
    errno = saved;
}

__attribute__((noinline)) static void free_not_local(ca_page_t *page, void *p)
{
    ca_segment_t *seg = ca_segment_of(p);
    if (seg->kind == CA_SEG_LARGE) {
        if (p != (uint8_t *)seg + seg->large_off) invalid_free(p);
        int saved = errno;
        ca_large_free(seg);
        errno = saved;
        return;
    }
    if (page->state != CA_PAGE_INUSE) invalid_free(p);
    free_remote(page, p);
}

/* slot is the descriptor of p's slice (ca_slot_of): the page itself, or for
 * a medium page a mirror with its tag, class, size and start, so that caching
 * a medium block touches no more memory than the fast path did. Shaped so
 * that this common case is a leaf with no stack frame; everything else is a
 * tail call and uses the real page. */
void ca_free_slow(ca_page_t *slot, void *p)
{
    uintptr_t tag = atomic_load_explicit(&slot->tag, memory_order_relaxed);
    if (unlikely((tag & ~CA_TAG_FLAGS) != ca_thread_tp())) {
        free_not_local(ca_page_of(p), p);
        return;
    }
    /* Our own page: full, holding interior pointers, or cached class. */
    ca_heap_t *heap = ca_tld.heap;
    if (tag & CA_TAG_ALIGNED) p = ca_block_start(slot, p);
    ca_block_t *b = (ca_block_t *)p;
    if (tag & CA_TAG_MEDIUM) {
        /* Pages of these classes hold few blocks, so with random frees they
         * would flip between full and not on almost every call; a short
         * per-class stack of freed blocks (about CA_MCACHE_BYTES) serves the
         * next malloc of the class without touching the page. The blocks
         * still count as used by their page. */
        unsigned cls = slot->cls;
        uint32_t bsize = slot->block_size;
        unsigned cap = CA_MCACHE_BYTES >> (31 - __builtin_clz(bsize));
        if (likely(heap->mcount[cls] < cap && heap->mcache_bytes < CA_MCACHE_TOTAL)) {
            b->next = heap->mcache[cls];
            heap->mcache[cls] = b;
            heap->mcount[cls]++;
            heap->mcache_bytes += bsize;
            return;
        }
    }
    free_local_page(heap, ca_page_of(p), b);
}

/* p is NULL or a multiple of the segment size (only blocks aligned to 4 MiB
 * or more are; every other block sits after a segment header). */
void ca_free_special(void *p)
{
    if (p == NULL) return;
    int saved = errno;
    if (!ca_huge_free(p)) invalid_free(p);
    errno = saved;
}
