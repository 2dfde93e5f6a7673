/* page.c: a page's free lists and the heap's page queues.
 *
 * Per size class the heap keeps a queue of pages that may have free blocks;
 * its head is the page malloc allocates from (and what the thread's direct
 * array points to). Pages with nothing left leave the queue (they are in no
 * list at all, marked by the FULL tag bit, so moving them costs no writes to
 * neighbours) and
 * come back when a block is freed into them. The queue head carries a +1 bias
 * in `used`, so that it never looks empty: a block that ping-pongs on the
 * head page costs nothing extra, and a page that empties while it is not the
 * head is retired at once (given back to its segment). */
#include "internal.h"


/* ---------------------------------------------------------------------------
 * Queues
 * ------------------------------------------------------------------------- */
void ca_heap_set_direct(ca_heap_t *heap, unsigned cls)
{
    if (heap->direct == NULL || cls > CA_DIRECT_CLASS_MAX) return;
    ca_page_t *page = heap->queues[cls].first;
    if (page == NULL) page = &ca_page_empty;
    size_t lo = cls == 1 ? 0 : ca_class_size(cls - 1) / 16 + 1;
    size_t hi = ca_class_size(cls) / 16;
    for (size_t d = lo; d <= hi; d++) heap->direct[d] = page;
}

static void pq_append(ca_heap_t *heap, ca_pageq_t *q, ca_page_t *page)
{
    page->next = NULL;
    page->prev = q->last;
    if (q->last) {
        q->last->next = page;
        q->last = page;
    } else {
        q->first = q->last = page;
        page->used++;                          /* head bias */
        ca_heap_set_direct(heap, page->cls);
    }
}

static void pq_remove(ca_heap_t *heap, ca_pageq_t *q, ca_page_t *page)
{
    bool head = q->first == page;
    if (page->prev) page->prev->next = page->next;
    else q->first = page->next;
    if (page->next) page->next->prev = page->prev;
    else q->last = page->prev;
    page->next = page->prev = NULL;
    if (head) {
        page->used--;                          /* drop the bias */
        if (q->first) q->first->used++;        /* the new head takes it */
        ca_heap_set_direct(heap, page->cls);
    }
}

static void tag_set(ca_page_t *page, uintptr_t tag)
{
    ca_page_store_tag(page, tag);
}

static uintptr_t tag_get(const ca_page_t *page)
{
    return atomic_load_explicit(&page->tag, memory_order_relaxed);
}

/* ---------------------------------------------------------------------------
 * Pages
 * ------------------------------------------------------------------------- */

/* Threads the next run of never-used blocks onto the (empty) free list. A
 * page grows by one OS page first, then doubles, up to CA_EXTEND_BYTES at a
 * time: memory that is never asked for is never touched (a class used for
 * three blocks costs 4 KiB, not a whole page), and a busy class still takes
 * the slow path only a few times per page. */
static void page_extend(ca_page_t *page)
{
    ca_assert(page->free == NULL && page->reserved < page->capacity);
    uint32_t bsize = page->block_size;
    uint32_t n = page->capacity - page->reserved;
    uint32_t bytes = page->reserved ? page->reserved * bsize : 4096;
    if (bytes > CA_EXTEND_BYTES) bytes = CA_EXTEND_BYTES;
    uint32_t max = bytes / bsize;
    if (max == 0) max = 1;
    if (n > max) n = max;
    uint8_t *first = page->start + (size_t)page->reserved * bsize;
    uint8_t *p = first;
    for (uint32_t i = 1; i < n; i++, p += bsize) ((ca_block_t *)p)->next = (ca_block_t *)(p + bsize);
    ((ca_block_t *)p)->next = NULL;
    page->free = (ca_block_t *)first;
    page->reserved += n;
    page->free_is_zero = page->tail_zero;
}

static ca_page_t *page_fresh(ca_heap_t *heap, unsigned cls)
{
    size_t bsize = ca_class_size(cls);
    ca_page_t *page = ca_segment_page_alloc(heap, bsize <= CA_SMALL_MAX ? CA_SEG_SMALL : CA_SEG_MEDIUM);
    if (page == NULL) return NULL;
    page->block_size = (uint32_t)bsize;
    page->cls = (uint8_t)cls;
    page->capacity = (uint32_t)(page->area / bsize);
    page->reserved = 0;
    page->used = 0;
    page->free = page->local_free = NULL;
    page->notify_next = NULL;
    atomic_store_explicit(&page->thread_free, 0, memory_order_relaxed);
    atomic_store_explicit(&page->has_aligned, 0, memory_order_relaxed);
    atomic_store_explicit(&page->heap, heap, memory_order_relaxed);
    if (bsize > CA_SMALL_MAX) {
        /* the mirrors of the other slices (see ca_slot_of) */
        for (unsigned k = 1; k < CA_MEDIUM_STRIDE; k++) {
            page[k].cls = page->cls;
            page[k].block_size = page->block_size;
            page[k].start = page->start;
        }
    }
    tag_set(page, heap->tp | (bsize > CA_MCACHE_MIN ? CA_TAG_MEDIUM : 0));
    heap->st_pages_init++;
    page_extend(page);
    pq_append(heap, &heap->queues[cls], page);
    return page;
}

/* Makes `free` non-empty from the blocks the owner got back (its local
 * frees are collected here); false when the page has none. */
static bool page_has_freed_blocks(ca_page_t *page)
{
    if (page->free) return true;
    if (!page->local_free) return false;
    page->free = page->local_free;
    page->local_free = NULL;
    page->free_is_zero = 0;
    return true;
}

/* A page with nothing to hand out and no room to grow leaves its queue; the
 * FULL tag sends the next free into it to the slow path, which brings it back. */
static void page_leave_as_full(ca_heap_t *heap, ca_pageq_t *q, ca_page_t *page)
{
    pq_remove(heap, q, page);
    tag_set(page, tag_get(page) | CA_TAG_FULL);
}

/* The page to allocate a block of class `cls` from, with `free` non-empty:
 * the queue head after collecting its local frees or growing it; heads with
 * nothing left leave the queue as full; a fresh page when the queue runs out. */
ca_page_t *ca_heap_find_page(ca_heap_t *heap, unsigned cls)
{
    ca_pageq_t *q = &heap->queues[cls];
    ca_page_t *page;
    while ((page = q->first) != NULL) {
        if (page_has_freed_blocks(page)) return page;
        if (page->reserved < page->capacity) {
            page_extend(page);
            return page;
        }
        page_leave_as_full(heap, q, page);
    }
    return page_fresh(heap, cls);
}

/* Like ca_heap_find_page, but only blocks already handed out once (free or
 * local_free lists): NULL where the class would have to grow a page or take
 * a fresh one, i.e. touch memory not yet in use. */
ca_page_t *ca_heap_find_page_used(ca_heap_t *heap, unsigned cls)
{
    ca_pageq_t *q = &heap->queues[cls];
    ca_page_t *page;
    while ((page = q->first) != NULL) {
        if (page_has_freed_blocks(page)) return page;
        if (page->reserved < page->capacity) break;
        page_leave_as_full(heap, q, page);
    }
    if (page == NULL) return NULL;
    /* The head could grow; the pages behind it got blocks back (or were
     * emptied by earlier calls: those leave as full, paying for the scan). */
    for (ca_page_t *p = page->next; p != NULL;) {
        ca_page_t *next = p->next;
        if (page_has_freed_blocks(p)) return p;
        if (p->reserved == p->capacity) page_leave_as_full(heap, q, p);
        p = next;
    }
    return NULL;
}

/* Retires an empty page that is not a queue head. */
void ca_page_retire(ca_heap_t *heap, ca_page_t *page)
{
    ca_assert(page->used == 0 && heap->queues[page->cls].first != page);
    pq_remove(heap, &heap->queues[page->cls], page);
    ca_segment_page_free(heap, page);
}

/* A block was freed into a full page: back into its queue. */
void ca_page_unfull(ca_heap_t *heap, ca_page_t *page)
{
    tag_set(page, tag_get(page) & ~CA_TAG_FULL);
    pq_append(heap, &heap->queues[page->cls], page);
    if (page->used == 0) ca_page_retire(heap, page);
}

void ca_page_set_aligned(ca_page_t *page)
{
    if (atomic_load_explicit(&page->has_aligned, memory_order_relaxed)) return;
    atomic_store_explicit(&page->has_aligned, 1, memory_order_relaxed);
    tag_set(page, tag_get(page) | CA_TAG_ALIGNED);
}

/* Takes in the blocks other threads freed. A page is on the notify list
 * exactly while its thread_free list is non-empty (the thread that makes it
 * non-empty pushes the page), so each page is visited once per batch. */
void ca_heap_drain_notify(ca_heap_t *heap)
{
    ca_page_t *page = atomic_exchange_explicit(&heap->notify, NULL, memory_order_acquire);
    while (page) {
        ca_page_t *next = page->notify_next;   /* read before the exchange below */
        ca_block_t *list = (ca_block_t *)atomic_exchange_explicit(&page->thread_free, 0, memory_order_acq_rel);
        if (list) {
            uint32_t n = 1;
            ca_block_t *tail = list;
            while (tail->next) {
                tail = tail->next;
                n++;
            }
            tail->next = page->local_free;
            page->local_free = list;
            page->used -= n;
            if (tag_get(page) & CA_TAG_FULL)
                ca_page_unfull(heap, page);
            else if (page->used == 0)
                ca_page_retire(heap, page);
        }
        page = next;
    }
}

/* The owner frees block b (a block start) of its page. */
void ca_page_free_local(ca_heap_t *heap, ca_page_t *page, ca_block_t *b)
{
    b->next = page->local_free;
    page->local_free = b;
    page->used--;
    if (tag_get(page) & CA_TAG_FULL)
        ca_page_unfull(heap, page);
    else if (page->used == 0)
        ca_page_retire(heap, page);
}

/* Gives the blocks of the medium block cache back to their pages. */
void ca_heap_flush_mcache(ca_heap_t *heap)
{
    for (unsigned c = 1; c < CA_NCLASS; c++) {
        ca_block_t *b = heap->mcache[c];
        heap->mcache[c] = NULL;
        heap->mcount[c] = 0;
        heap->mcache_bytes = 0;
        while (b) {
            ca_block_t *next = b->next;
            ca_page_free_local(heap, ca_page_of(b), b);
            b = next;
        }
    }
}

/* Drains remote frees and, with release_heads, also gives back queue heads
 * that hold nothing but the bias (thread exit, malloc_trim). */
void ca_heap_collect(ca_heap_t *heap, bool release_heads)
{
    ca_heap_drain_notify(heap);
    if (!release_heads) return;
    ca_heap_flush_mcache(heap);
    for (unsigned c = 1; c < CA_NCLASS; c++) {
        ca_pageq_t *q = &heap->queues[c];
        ca_page_t *page;
        while ((page = q->first) != NULL && page->used == 1 &&
               atomic_load_explicit(&page->thread_free, memory_order_relaxed) == 0) {
            pq_remove(heap, q, page);
            ca_segment_page_free(heap, page);
        }
    }
}
