/* alloc.c: allocation past the fast path (sizes above the direct array,
 * exhausted pages, the first call of a thread), calloc, realloc, aligned
 * allocation and usable size. */
#include "internal.h"

#include <stdint.h>

#define CA_MAX_REQUEST ((size_t)PTRDIFF_MAX)

/* ---------------------------------------------------------------------------
 * malloc
 * ------------------------------------------------------------------------- */

/* Sizes above the direct array, or a direct entry with nothing to pop. */
void *ca_malloc_generic(size_t size)
{
    ca_heap_t *heap = ca_tld.heap;
    if (likely(heap != NULL && size <= CA_MEDIUM_MAX)) {
        unsigned cls = ca_size_class(size);
        if (size > CA_MCACHE_MIN) {
            /* the class's own cached blocks, else the next class's when
             * that still wastes at most 1/8 of the request: memory already
             * in use serves before a page does (less fragmentation) */
            unsigned c = cls;
            ca_block_t *b = heap->mcache[c];
            if (b == NULL && c + 1 < CA_NCLASS && ca_class_size(c + 1) <= size + size / 8) b = heap->mcache[++c];
            ca_page_t *head = heap->queues[cls].first;
            if (b == NULL && (head == NULL || (head->free == NULL && head->local_free == NULL))) {
                /* nothing of the class's own: borrow a cached block up to
                 * CA_BORROW_CLASSES above before the slow path */
                unsigned top = cls + CA_BORROW_CLASSES;
                if (top >= CA_NCLASS) top = CA_NCLASS - 1;
                for (c = cls + 1; c <= top && (b = heap->mcache[c]) == NULL; c++) {
                }
            }
            if (b != NULL) {
                heap->mcache[c] = b->next;
                heap->mcount[c]--;
                heap->mcache_bytes -= ca_class_size(c);
                return b;
            }
        }
        ca_page_t *page = heap->queues[cls].first;
        if (page != NULL) {
            ca_block_t *b = page->free;
            if (b != NULL) {
                page->free = b->next;
                page->used++;
                return b;
            }
        }
    }
    return ca_malloc_slow(size);
}

void *ca_malloc_slow(size_t size)
{
    return ca_malloc_slow_ex(size, true);
}

/* A medium block of a class up to CA_BORROW_CLASSES above cls, from memory
 * already in use (the block cache when cached_ok, else a page's free lists),
 * or NULL. */
static void *borrow_medium(ca_heap_t *heap, unsigned cls, bool cached_ok)
{
    unsigned top = cls + CA_BORROW_CLASSES;
    if (top >= CA_NCLASS) top = CA_NCLASS - 1;
    for (unsigned c = cls + 1; c <= top; c++) {
        ca_block_t *b = heap->mcache[c];
        if (b != NULL && cached_ok) {
            heap->mcache[c] = b->next;
            heap->mcount[c]--;
            heap->mcache_bytes -= ca_class_size(c);
            return b;
        }
        ca_page_t *page = ca_heap_find_page_used(heap, c);
        if (page != NULL) {
            b = page->free;
            page->free = b->next;
            page->used++;
            return b;
        }
    }
    return NULL;
}

void *ca_malloc_slow_ex(size_t size, bool cached_ok)
{
    ca_heap_t *heap = ca_tld.heap;
    if (unlikely(heap == NULL)) {
        heap = ca_heap_thread_init();
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
        return ca_large_alloc(size, 0);
    }
    heap->st_slow++;
    ca_heap_tick(heap);
    if (atomic_load_explicit(&heap->notify, memory_order_relaxed) != NULL) ca_heap_drain_notify(heap);
    unsigned cls = ca_size_class(size);
    ca_page_t *page = NULL;
    if (size > CA_MCACHE_MIN) {
        /* medium: a free block of this class, else of a class a little
         * larger, before the class grows into memory not yet in use */
        page = ca_heap_find_page_used(heap, cls);
        if (page == NULL) {
            void *b = borrow_medium(heap, cls, cached_ok);
            if (b != NULL) return b;
        }
    }
    if (page == NULL) page = ca_heap_find_page(heap, cls);
    if (unlikely(page == NULL)) {
        errno = ENOMEM;
        return NULL;
    }
    ca_block_t *b = page->free;
    page->free = b->next;
    page->used++;
    return b;
}

static inline void *ca_malloc_internal(size_t size)
{
    return ca_malloc_fast(size);
}

/* ---------------------------------------------------------------------------
 * Usable size
 * ------------------------------------------------------------------------- */
size_t ca_usable_size(const void *p)
{
    if (p == NULL) return 0;
    ca_segment_t *seg = ca_segment_of(p);
    if ((const void *)seg == p) {
        size_t size = 0;
        return ca_huge_lookup(p, &size) ? size : 0;
    }
    if (seg->kind == CA_SEG_LARGE) return seg->map_size - (size_t)((const uint8_t *)p - (uint8_t *)seg);
    ca_page_t *page = ca_page_of(p);
    if (!atomic_load_explicit(&page->has_aligned, memory_order_relaxed)) return page->block_size;
    const uint8_t *block = (const uint8_t *)ca_block_start(page, p);
    return page->block_size - (size_t)((const uint8_t *)p - block);
}

/* ---------------------------------------------------------------------------
 * calloc
 * ------------------------------------------------------------------------- */

/* Whether a block just allocated is known to be zero past its first word.
 * Only medium pages keep free_is_zero exact (their local frees never take the
 * fast path, which pushes onto `free` without clearing it); small blocks are
 * simply cleared. */
static bool fresh_zero(void *p)
{
    ca_segment_t *seg = ca_segment_of(p);
    if ((void *)seg == p) return true;              /* huge aligned: fresh mmap */
    /* A fresh mapping reads as zero; below 1 MiB it is touched anyway (the
     * caller is about to use it), above that left to fault in lazily. */
    if (seg->kind == CA_SEG_LARGE) return seg->large_zero && seg->map_size > ((size_t)1 << 20);
    ca_page_t *page = ca_page_of(p);
    return page->block_size > CA_MCACHE_MIN && page->free_is_zero;
}

void *ca_do_calloc(size_t n, size_t size)
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
        unsigned cls = ca_size_class(total);
        ca_block_t *b = heap ? heap->mcache[cls] : NULL;
        if (b != NULL) {
            heap->mcache[cls] = b->next;
            heap->mcount[cls]--;
            heap->mcache_bytes -= ca_class_size(cls);
            return memset(b, 0, total);
        }
        p = ca_malloc_slow_ex(total, false);
    } else {
        p = ca_malloc_internal(total);
    }
    if (p == NULL) return NULL;
    /* The free_is_zero flag describes the list the block was just popped
     * from; nothing ran in between that could change it. */
    if (total > 64 && fresh_zero(p))
        memset(p, 0, sizeof(ca_block_t));
    else
        memset(p, 0, total);
    return p;
}

/* ---------------------------------------------------------------------------
 * realloc
 * ------------------------------------------------------------------------- */
static void *realloc_move(void *p, size_t old_usable, size_t size)
{
    void *q = ca_malloc_internal(size);
    if (q == NULL) return NULL;
    memcpy(q, p, old_usable < size ? old_usable : size);
    ca_free_fast(p);
    return q;
}

void *ca_do_realloc(void *p, size_t size)
{
    if (p == NULL) return ca_malloc_internal(size);
    if (size == 0) {
        ca_free_fast(p);
        return NULL;
    }
    if (size > CA_MAX_REQUEST) {
        errno = ENOMEM;
        return NULL;
    }
    ca_segment_t *seg = ca_segment_of(p);
    if ((void *)seg == p) {
        size_t usable = 0;
        ca_huge_lookup(p, &usable);
        if (size <= usable) return p;
        return realloc_move(p, usable, size);
    }
    if (seg->kind == CA_SEG_LARGE) {
        if (size > CA_MEDIUM_MAX) return ca_large_realloc(seg, p, size);
        /* shrinking a large block to a page size: in place unless it would
         * waste more than 3/4 of the block */
        size_t usable = ca_usable_size(p);
        if (size >= usable / 4) return p;
        return realloc_move(p, usable, size);
    }
    size_t usable = ca_usable_size(p);
    /* Shrink and grow-within-the-block stay in place; only a block that
     * would waste more than 3/4 of itself (and at least 1 KiB) moves down. */
    if (size <= usable) {
        if (usable <= 1024 || size >= usable / 4) return p;
    }
    return realloc_move(p, usable, size);
}

/* ---------------------------------------------------------------------------
 * Aligned allocation (align is a power of two here)
 * ------------------------------------------------------------------------- */
void *ca_alloc_aligned(size_t align, size_t size)
{
    if (align <= 16) return ca_malloc_internal(size);
    if (size > CA_MAX_REQUEST || align > CA_MAX_REQUEST) {
        errno = ENOMEM;
        return NULL;
    }
    if (align >= CA_SEG_SIZE) return ca_huge_aligned_alloc(size, align);
    if (size <= CA_MEDIUM_MAX && align <= CA_MEDIUM_MAX / 2 && size + align - 16 <= CA_MEDIUM_MAX) {
        /* Blocks of a power-of-two class are often aligned already. */
        void *p = ca_malloc_internal(size);
        if (p == NULL || ((uintptr_t)p & (align - 1)) == 0) return p;
        ca_free_fast(p);
        p = ca_malloc_internal(size + align - 16);
        if (p == NULL) return NULL;
        uintptr_t a = ca_align_up((uintptr_t)p, align);
        if (a != (uintptr_t)p) ca_page_set_aligned(ca_page_of(p));
        return (void *)a;
    }
    return ca_large_alloc(size, align);
}
