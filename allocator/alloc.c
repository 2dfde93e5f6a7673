/* alloc.c: malloc (the fast path and what is behind it), calloc, aligned
 * allocation, usable size. Part of the unit override.c compiles (so that
 * the exported symbols can be aliases of these functions and the fast
 * paths inline into calloc and realloc).
 *
 * Semantics follow glibc 2.36 wherever the peers disagree: every result is
 * 16-byte aligned, realloc(p, 0) frees and returns NULL, overflow and sizes
 * above PTRDIFF_MAX fail with ENOMEM. */
#include "internal.h"

/* ---------------------------------------------------------------------------
 * malloc
 * ------------------------------------------------------------------------- */
static void *alloc_generic(size_t size);

/* malloc: one bound check, one TLS-indexed load, pop. The page the direct
 * entry points to is a queue head, whose `used` is not a count while it is
 * one (page.c), so the pop does not count. The first block of a page's list
 * is always valid (free put it there after its checks, or an earlier pop
 * checked it); what is checked is its link, before it becomes the head: it
 * must decode to a user address (one compare with 2^47). That refuses a
 * link changed by a write into the freed block (see ca_link_encode), and
 * it ends the list: the end block's link decodes above the bound. Whatever
 * fails (no heap yet, an exhausted page, a bad link) falls to the generic
 * path, which tells them apart. */
ca_fast void *ca_malloc(size_t size)
{
    if (likely(size <= CA_DIRECT_MAX)) {
        ca_page_t *page = ca_tld.direct[(size + 15) >> 4];
        ca_block_t *b = page->free_link;
        uintptr_t next = ca_link_decode(page->key, b->link);
        if (likely(next < ca_link_bound)) return ca_page_take(page, b, next);
    }
    return alloc_generic(size);
}

/* A large block (large.c; room: see ca_large_alloc). When the kernel
 * refuses the arena more address space, what no live heap holds (the
 * caches, the empty pages of abandoned heaps, the arena's free spans) is
 * given back and the call is made once more: memory the program freed
 * must stay usable under an address-space limit. */
void *ca_alloc_large(size_t size, size_t align, size_t room)
{
    void *p = ca_large_alloc(size, align, room);
    if (p != NULL) return p;
    ca_heap_release_unowned();
    return ca_large_alloc(size, align, room);
}

/* Past the fast path: no heap yet, sizes above the direct array, an empty
 * head page; cached_ok false: not from the (dirty) medium block cache. */
static ca_noinline void *alloc_slow(size_t size, bool cached_ok)
{
    ca_heap_t *heap = ca_tld.heap;
    if (unlikely(heap == NULL)) {
        /* A thread past its exit destructor must not take a heap again: it
         * could die owning it (the C library runs a bounded number of
         * destructor rounds, and ours may have had its last one). What it
         * still allocates gets a mapping of its own, which any thread can
         * free. */
        if (ca_tld.exiting) return ca_alloc_large(size, 0, 0);
        heap = ca_init_thread();
        if (heap == NULL) {
            errno = ENOMEM;
            return NULL;
        }
    }
    if (size > CA_MEDIUM_MAX) {
        if (size > CA_MAX_REQUEST) {
            errno = ENOMEM;
            return NULL;
        }
        return ca_alloc_large(size, 0, 0);
    }
    heap->st_slow++;
    ca_heap_tick(heap);
    if (atomic_load_explicit(&heap->notify, memory_order_relaxed) != NULL) ca_page_drain_notify(heap);
    unsigned cls = ca_size_class(size);
    if (size > CA_REUSE_MIN) {
        void *b = ca_mcache_reuse(heap, cls, cached_ok);
        if (b != NULL) return b;
    }
    ca_page_t *page = ca_page_find(heap, cls);
    if (unlikely(page == NULL)) {
        ca_heap_release_unowned();   /* see ca_alloc_large */
        page = ca_page_find(heap, cls);
        if (page == NULL) {
            errno = ENOMEM;
            return NULL;
        }
    }
    return ca_page_pop(page);
}

/* alloc_generic's size of class cls, past its first look (heap and
 * bound checked): the medium block cache's other options, the queue head
 * (whose pop aborts on a bad link), else the slow path. */
static ca_noinline void *alloc_class(ca_heap_t *heap, unsigned cls, size_t size)
{
    if (size > CA_MCACHE_MIN) {
        void *b = ca_mcache_malloc(heap, cls, size);
        if (b != NULL) return b;
    }
    ca_page_t *page = heap->queues[cls].first;
    if (page != NULL && page->free_link != CA_LIST_END) return ca_page_pop(page);
    return alloc_slow(size, true);
}

/* Sizes above the direct array, or a direct entry whose head link failed
 * malloc's check: a medium size pops its class's list of the block cache
 * when it holds a block, else its queue head's free list when that has one
 * (blocks freed into the head, see ca_page_fast_frees); both pops make no
 * call, so they save no registers. Anything else is alloc_class's. */
static ca_noinline void *alloc_generic(size_t size)
{
    ca_heap_t *heap = ca_tld.heap;
    if (likely(heap != NULL && size <= CA_MEDIUM_MAX)) {
        if (size <= CA_MCACHE_MIN) return alloc_class(heap, ca_size_class(size), size);
        unsigned cls = ca_medium_size_class(size);
        if (likely(heap->mcache[cls].head != NULL)) return ca_mcache_pop(heap, cls);
        ca_page_t *head = heap->queues[cls].first;
        if (head != NULL && head->free_link != CA_LIST_END) return ca_page_pop(head);
        return alloc_class(heap, cls, size);
    }
    return alloc_slow(size, true);
}

/* ---------------------------------------------------------------------------
 * Usable size
 * ------------------------------------------------------------------------- */
/* The usable size of the live block p (a large block or a page's block);
 * anything that is not the start of a live block (or the aligned pointer
 * handed out for one) aborts: "invalid <what>". */
size_t ca_alloc_usable(void *p, const char *what)
{
    if (!ca_segmap_has(p)) return ca_large_usable(p, what);
    ca_page_t *page = ca_page_of(p);
    ca_block_t *b = page->state == CA_PAGE_INUSE ? ca_page_resolve(page, p) : NULL;
    if (b == NULL || ca_mcache_is_free(page, b, atomic_load_explicit(&page->heap, memory_order_relaxed) == ca_tld.heap))
        ca_os_fatal(what, p);
    return page->block_size - (size_t)((uint8_t *)p - (uint8_t *)b);
}

size_t ca_malloc_usable_size(void *p)
{
    if (p == NULL) return 0;
    return ca_alloc_usable(p, "invalid malloc_usable_size");
}

/* ---------------------------------------------------------------------------
 * calloc
 * ------------------------------------------------------------------------- */

/* Whether a block just allocated for more than CA_MCACHE_MIN bytes (a
 * medium or large one) is known to be zero past its first word. Only
 * medium pages keep free_is_zero exact (a page whose frees take the fast
 * path, which pushes onto the free list without clearing it, has it 0:
 * page.c); small blocks are simply cleared, without asking. */
static bool calloc_fresh_zero(void *p)
{
    if (!ca_segmap_has(p)) return ca_large_zero(p);
    ca_page_t *page = ca_page_of(p);
    return page->block_size > CA_MCACHE_MIN && page->free_is_zero;
}

void *ca_calloc(size_t n, size_t size)
{
    size_t total;
    if (unlikely(__builtin_mul_overflow(n, size, &total))) {
        errno = ENOMEM;
        return NULL;
    }
    void *p;
    if (total > CA_MCACHE_MIN && total <= CA_MEDIUM_MAX) {
        /* the medium block cache holds dirty blocks: take those knowingly */
        ca_heap_t *heap = ca_tld.heap;
        unsigned cls = ca_medium_size_class(total);
        if (heap != NULL && heap->mcache[cls].head != NULL) return memset(ca_mcache_pop(heap, cls), 0, total);
        p = alloc_slow(total, false);
    } else {
        p = ca_malloc(total);
    }
    if (p == NULL) return NULL;
    /* The free_is_zero flag describes the list the block was just popped
     * from; nothing ran in between that could change it. */
    if (total > CA_MCACHE_MIN && calloc_fresh_zero(p))
        memset(p, 0, sizeof(ca_block_t));
    else
        memset(p, 0, total);
    return p;
}

/* ---------------------------------------------------------------------------
 * Aligned allocation
 * ------------------------------------------------------------------------- */

/* align is a power of two here. */
static void *alloc_aligned(size_t align, size_t size)
{
    if (align <= 16) return ca_malloc(size);
    if (size > CA_MAX_REQUEST || align > CA_MAX_REQUEST) {
        errno = ENOMEM;
        return NULL;
    }
    /* At least one byte: the aligned address of an over-allocated block of
     * size + align - 16 bytes may lie at its very end, which for size 0 is
     * the first byte of the next block (a live block handed out twice). */
    if (size == 0) size = 1;
    /* (an exiting thread's blocks are large ones, see alloc_slow) */
    if (size <= CA_MEDIUM_MAX && align <= CA_MEDIUM_MAX / 2 && size + align - 16 <= CA_MEDIUM_MAX &&
        !ca_tld.exiting) {
        /* Blocks of a power-of-two class are often aligned already. */
        void *p = ca_malloc(size);
        if (p == NULL || ((uintptr_t)p & (align - 1)) == 0) return p;
        ca_free(p);
        p = ca_malloc(size + align - 16);
        if (p == NULL) return NULL;
        uintptr_t a = ca_align_up((uintptr_t)p, align);
        if (a != (uintptr_t)p) ca_page_set_aligned(ca_page_of(p), p, (void *)a);
        return (void *)a;
    }
    return ca_alloc_large(size, align, 0);
}

static inline bool is_pow2(size_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

int ca_posix_memalign(void **out, size_t align, size_t size)
{
    if (align % sizeof(void *) != 0 || !is_pow2(align)) return EINVAL;
    void *p = alloc_aligned(align, size);
    if (p == NULL) return ENOMEM;
    *out = p;
    return 0;
}

/* memalign and aligned_alloc (glibc 2.36 treats them alike): an alignment
 * that is not a power of two is rounded up to one. */
void *ca_memalign(size_t align, size_t size)
{
    if (align > SIZE_MAX / 2 + 1) {
        errno = EINVAL;
        return NULL;
    }
    if (!is_pow2(align)) {
        size_t a = 16;
        while (a < align) a <<= 1;
        align = a;
    }
    return alloc_aligned(align, size);
}

void *ca_valloc(size_t size)
{
    return alloc_aligned(ca_os_page_size(), size);
}

void *ca_pvalloc(size_t size)
{
    size_t ps = ca_os_page_size();
    if (size > SIZE_MAX - ps) {
        errno = ENOMEM;
        return NULL;
    }
    size_t rounded = size == 0 ? ps : ca_align_up(size, ps);
    return alloc_aligned(ps, rounded);
}
