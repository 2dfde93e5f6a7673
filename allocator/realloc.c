/* realloc.c: realloc and reallocarray: a block keeps its place where its
 * class or its span allows, else it moves. Part of the unit override.c
 * compiles (after alloc.c and free.c, whose fast paths inline here).
 *
 * A page's block stays where it is when it shrinks (unless it would waste
 * more than 3/4 of itself, and at least 1 KiB) and when it grows within
 * its class; growing past its class it moves, with a copy: to a page of
 * the new class, or, from REALLOC_LARGE_MIN up, to a large block, whose
 * span then grows in place into the free span after it (large.c) and
 * moves by its pages rather than by a copy when it must. So a string or
 * a vector that keeps growing copies only up to REALLOC_LARGE_MIN, touches
 * no medium page of each class it passes through, and gives back what it
 * shrinks by. (Medium blocks of that size from malloc stay in pages:
 * they are the common case, and a page's block is cheaper to allocate.) A
 * large block shrinks in place (its tail going back), or moves back to a
 * page once it is below REALLOC_SMALL.
 *
 * Contents survive every transition by construction: a move copies (or
 * remaps) the old usable size, or the new size when smaller. */
#include "internal.h"

#define REALLOC_LARGE_MIN CA_SMALL_MAX          /* growing past this: a large block */
#define REALLOC_SMALL     (REALLOC_LARGE_MIN / 4)   /* a large block below this: a page's */

/* The block q (NULL: no memory, p untouched) gets p's contents; p goes. */
static void *realloc_move(void *p, size_t usable, size_t size, void *q)
{
    if (q == NULL) return NULL;
    memcpy(q, p, usable < size ? usable : size);
    ca_free(p);
    return q;
}

/* The large block p, resized; when the kernel refuses memory, what no live
 * heap holds is given back and it is tried once more (see ca_alloc_large). */
static void *realloc_large(void *p, size_t size)
{
    void *q = ca_large_resize(p, size);
    if (q != NULL) return q;
    ca_heap_release_unowned();
    return ca_large_resize(p, size);
}

void *ca_realloc(void *p, size_t size)
{
    if (p == NULL) return ca_malloc(size);
    if (size == 0) {
        ca_free(p);
        return NULL;
    }
    if (!ca_segmap_has(p)) {
        /* a large block: resized in its span (which checks p, and the
         * size), unless it is small now */
        if (likely(size >= REALLOC_SMALL)) return realloc_large(p, size);
        return realloc_move(p, ca_large_usable(p, "invalid realloc"), size, ca_malloc(size));
    }
    size_t usable = ca_alloc_usable(p, "invalid realloc");
    if (size > CA_MAX_REQUEST) {
        errno = ENOMEM;
        return NULL;
    }
    if (ca_realloc_keeps(usable, size)) return p;
    if (size <= usable) return realloc_move(p, usable, size, ca_malloc(size));   /* a shrink that wastes */
    return realloc_move(p, usable, size, size >= REALLOC_LARGE_MIN ? ca_alloc_large(size, 0, size) : ca_malloc(size));
}

void *ca_reallocarray(void *p, size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return ca_realloc(p, total);
}
