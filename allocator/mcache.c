/* mcache.c: medium blocks (classes above CA_MCACHE_MIN, 8 KiB): the heap's
 * block cache and the rule that they reuse memory before they grow, which
 * small classes above CA_REUSE_MIN (1 KiB) follow too while they are lean
 * (a page at most, of little use so far: a class of a few blocks costs a
 * page of its own in every thread, and its peak is its own).
 *
 * Their pages hold only 4-64 blocks, so with random frees nearly every
 * malloc found its page exhausted and nearly every free hit a full page.
 * Their pages carry the MEDIUM tag bit, so local frees take free's slow
 * path, which pushes the block onto a per-class stack in the heap (up to
 * CA_MCACHE_CLASS_BYTES per class, CA_MCACHE_TOTAL_BYTES per heap); malloc
 * of such a size pops it first (the push and the pop are inline functions
 * of internal.h, so that free's and malloc's paths make no call for
 * them; this file sets each list's cap). The exception is the class's
 * queue head once the owner freed into it: that page takes the fast
 * path's frees, as a small page does (page.c, ca_page_fast_frees), and
 * malloc pops its list when the cache's is empty. The blocks stay counted
 * as used by their pages; every FLUSH_MS,
 * at malloc_trim, at thread exit and when an abandoned heap is collected
 * they go back to their pages, so that emptied pages can be retired.
 *
 * Segregated classes each keep their own high-water mark of touched
 * blocks, so a medium malloc takes, in order: a cached block of its class
 * (or of the next class when that wastes at most 1/8); when the queue head
 * has no free block, a cached block of up to CA_BORROW_CLASSES classes above;
 * then (malloc's slow path) a freed block on a page of its class, the head's
 * or one behind it; then a freed block of those classes above; only then
 * does the class grow a page or take a fresh one (ca_page_find). A borrowed
 * block stays a block of its own page. Small classes borrow only from
 * small classes, from pages only (they have no cache). See DESIGN.md for
 * the measurements.
 *
 * A cached block's link is encoded with the heap's key (mkey), so that a
 * pop needs no look at the block's page; like every free block it starts
 * with CA_MARK, and the key its link decodes under tells which list it may
 * be on. This file also answers whether a block that starts with the mark
 * is really free (ca_mcache_is_free), as it knows every list a free block
 * can be on. */
#include "internal.h"

#define FLUSH_MS    (2 * CA_DECAY_MS)
#ifndef CA_BORROW_CLASSES
#define CA_BORROW_CLASSES 4            /* reuse a free block up to this many classes up */
#endif
#define REUSE_FOOTPRINT (32 * 1024)    /* a small class borrows while its blocks take less */
#define BORROW_BUDGET   1024           /* blocks a small class borrows per CA_DECAY_MS at most */

/* The page of a cached block of class c, or NULL when b is not one. */
static ca_page_t *page_of_cached(const ca_block_t *b, unsigned c)
{
    ca_page_t *page = ca_link_ok((uintptr_t)b) && ca_segmap_has(b) ? ca_page_of(b) : NULL;
    if (page == NULL || page->state != CA_PAGE_INUSE || page->cls != c ||
        !ca_page_is_block(page, b))
        return NULL;
    return page;
}

/* Each class's cap: CA_MCACHE_CLASS_BYTES over its size's power of two, in
 * blocks (class 0 is unused). */
#define MCAP(c) ((c) == 0 ? 0 : CA_MCACHE_CLASS_BYTES >> (31 - __builtin_clz(CA_CLASS_SIZE(c))))
#define MCAP8(c) MCAP(c), MCAP(c + 1), MCAP(c + 2), MCAP(c + 3), MCAP(c + 4), MCAP(c + 5), MCAP(c + 6), MCAP(c + 7)
static const uint32_t mcache_cap[CA_NCLASS] = {
    MCAP8(0),  MCAP8(8),  MCAP8(16), MCAP8(24), MCAP8(32), MCAP8(40),
    MCAP8(48), MCAP8(56), MCAP8(64), MCAP8(72), MCAP8(80), MCAP(88),
};
_Static_assert(CA_NCLASS == 89, "the table lists 89 classes");

/* The highest class cls borrows from: CA_BORROW_CLASSES up, within its
 * kind (a small class must not get a medium block: calloc clears small
 * blocks whole, but trusts a medium page's free_is_zero, which does not
 * describe a block from the block cache). */
static unsigned borrow_top(unsigned cls)
{
    unsigned top = cls + CA_BORROW_CLASSES;
    unsigned last = cls <= ca_size_class(CA_SMALL_MAX) ? ca_size_class(CA_SMALL_MAX) : CA_NCLASS - 1;
    return top < last ? top : last;
}

/* Before malloc's slow path, when the class's own cached blocks are gone
 * (malloc pops those itself): the next class's when that still wastes at
 * most 1/8 of the request (memory already in use serves before a page
 * does), else, when the queue head has nothing to hand out either, a cached
 * block of a class up to CA_BORROW_CLASSES above. NULL: none. */
void *ca_mcache_malloc(ca_heap_t *heap, unsigned cls, size_t size)
{
    if (cls + 1 < CA_NCLASS && heap->mcache[cls + 1].head && ca_class_size(cls + 1) <= size + size / 8)
        return ca_mcache_pop(heap, cls + 1);
    ca_page_t *head = heap->queues[cls].first;
    if (head != NULL && (head->free_link != CA_LIST_END || head->local_free != CA_LIST_END)) return NULL;
    for (unsigned c = cls + 1; c <= borrow_top(cls); c++)
        if (heap->mcache[c].head) return ca_mcache_pop(heap, c);
    return NULL;
}

/* Whether a small class (above CA_REUSE_MIN) is lean in this heap: at
 * most one page, whose blocks so far take less than REUSE_FOOTPRINT. Only
 * lean small classes borrow and lend. A borrowing class takes the slow
 * path on every malloc its own page cannot serve, and one that gets all it
 * needs elsewhere never grows out of being lean: with busy classes lending
 * too, mixed_sizes took 45% more slow mallocs (7% more instructions). */
static bool small_class_lean(const ca_heap_t *heap, unsigned cls)
{
    const ca_page_t *head = heap->queues[cls].first;
    if (heap->npages[cls] == 0) return true;
    return heap->npages[cls] == 1 && head != NULL && (size_t)head->reserved * head->block_size < REUSE_FOOTPRINT;
}

/* A block class c lends to a class below: a cached one (medium classes,
 * when cached_ok) or a freed block of its pages; a small class lends only
 * while it is lean itself. */
static void *lend(ca_heap_t *heap, unsigned c, bool cached_ok)
{
    if (cached_ok && heap->mcache[c].head) return ca_mcache_pop(heap, c);
    if (ca_class_size(c) <= CA_SMALL_MAX && !small_class_lean(heap, c)) return NULL;
    ca_page_t *page = ca_page_find_used(heap, c);
    return page != NULL ? ca_page_pop(page) : NULL;
}

/* malloc's slow path, for a size above CA_REUSE_MIN: a freed block on a
 * page of this class, else one of a class up to CA_BORROW_CLASSES above
 * (from the cache only when cached_ok: calloc wants blocks whose page knows
 * whether they are zero). NULL: the class has to grow. A small class
 * borrows only while it is lean, and at most BORROW_BUDGET blocks per
 * CA_DECAY_MS: that bounds what borrowing costs a class that keeps doing
 * it (a loop that frees a 1300-byte block and mallocs 1100 bytes took
 * twice the time), while a class of a few blocks at a time, which
 * borrows when it has more out than usual, borrows far less. */
void *ca_mcache_reuse(ca_heap_t *heap, unsigned cls, bool cached_ok)
{
    bool small = ca_class_size(cls) <= CA_SMALL_MAX;
    if (small && !small_class_lean(heap, cls)) return NULL;
    ca_page_t *page = ca_page_find_used(heap, cls);
    if (page != NULL) return ca_page_pop(page);
    if (small && heap->borrowed[cls] >= BORROW_BUDGET) return NULL;
    for (unsigned c = cls + 1; c <= borrow_top(cls); c++) {
        void *b = lend(heap, c, cached_ok);
        if (b == NULL) continue;
        if (small) heap->borrowed[cls]++;
        return b;
    }
    return NULL;
}

/* ca_medium_class: entry k is the class of sizes 1024k+1 .. 1024(k+1),
 * ca_size_class's formula as a constant expression. */
#define KCLS_S(k) ((k) * 1024u + 1023u)
#define KCLS_B(k) (31u - (unsigned)__builtin_clz(KCLS_S(k)))
#define KCLS(k) (9u + (KCLS_B(k) - 7u) * 8u + ((KCLS_S(k) >> (KCLS_B(k) - 3u)) & 7u))
#define KCLS8(k) KCLS(k), KCLS(k + 1), KCLS(k + 2), KCLS(k + 3), KCLS(k + 4), KCLS(k + 5), KCLS(k + 6), KCLS(k + 7)
#define KCLS32(k) KCLS8(k), KCLS8(k + 8), KCLS8(k + 16), KCLS8(k + 24)
const uint8_t ca_medium_class[CA_MEDIUM_MAX >> 10] = {KCLS32(0), KCLS32(32), KCLS32(64), KCLS32(96)};
_Static_assert(CA_MEDIUM_MAX >> 10 == 128, "the table lists 128 KiB");

/* A new heap's cache: empty, each list with its cap. */
void ca_mcache_init(ca_heap_t *heap)
{
    for (size_t k = CA_MCACHE_MIN >> 10; k < CA_MEDIUM_MAX >> 10; k++)
        ca_assert(ca_medium_class[k] == ca_size_class(k * 1024 + 1) &&
                  ca_medium_class[k] == ca_size_class(k * 1024 + 1024));
    for (unsigned c = 1; c < CA_NCLASS; c++)
        heap->mcache[c] = (ca_mlist_t){NULL, mcache_cap[c], (uint32_t)ca_class_size(c)};
}

/* Gives every cached block back to its page. */
void ca_mcache_flush(ca_heap_t *heap)
{
    for (unsigned c = 1; c < CA_NCLASS; c++) {
        ca_block_t *b = heap->mcache[c].head;
        heap->mcache[c].head = NULL;
        heap->mcache[c].room = mcache_cap[c];
        while (b) {
            ca_page_t *page = page_of_cached(b, c);
            if (unlikely(page == NULL)) ca_os_fatal("corrupted free list", b);
            ca_block_t *next = (ca_block_t *)ca_link_decode(heap->mkey, b->link);
            ca_page_free_local(heap, page, b);
            b = next;
        }
    }
    heap->mcache_bytes = 0;
}

/* Housekeeping: the cache must not keep memory forever. */
void ca_mcache_decay(ca_heap_t *heap)
{
    if (heap->now - heap->borrowed_since >= CA_DECAY_MS) {
        heap->borrowed_since = heap->now;
        memset(heap->borrowed, 0, sizeof heap->borrowed);
    }
    if (heap->mcache_bytes != 0 && heap->now - heap->mcache_flushed_at >= FLUSH_MS) {
        heap->mcache_flushed_at = heap->now;
        ca_mcache_flush(heap);
    }
}

/* Whether block b of page is free: b starts in a purged OS page of a
 * swept page (ca_page_lost), or b starts with a valid link of the
 * page's (then it must be on one of the page's lists) or of its heap's
 * block cache (then it must be cached). owner: the caller owns the page's
 * heap; otherwise the look races with the owner (see page.c, list_holds)
 * and may miss a block, but never finds one that is not free. */
__attribute__((no_sanitize("thread"))) bool ca_mcache_is_free(const ca_page_t *page, const ca_block_t *b, bool owner)
{
    if (ca_page_lost(page, b)) return true;
    if (!ca_block_looks_free(b)) return false;
    if (ca_block_marked(page->key, b) && ca_page_holds(page, b, owner)) return true;
    ca_heap_t *heap = atomic_load_explicit(&page->heap, memory_order_relaxed);
    if (heap == NULL || page->block_size <= CA_MCACHE_MIN || !ca_block_marked(heap->mkey, b)) return false;
    unsigned n = 0;
    for (const ca_block_t *x = (const ca_block_t *)ca_peek_word(&heap->mcache[page->cls].head); x != NULL;
         x = (const ca_block_t *)ca_link_decode(heap->mkey, ca_peek_word(&x->link))) {
        if (page_of_cached(x, page->cls) == NULL || ++n > CA_MCACHE_CLASS_BYTES / CA_MCACHE_MIN) {
            if (owner) ca_os_fatal("corrupted free list", x);
            return false;
        }
        if (x == b) return true;
    }
    return false;
}
