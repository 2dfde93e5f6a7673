/* override.c: the exported symbols, and nothing else. Each is a thin wrapper
 * over alloc.c; glibc's __libc_* names are aliases of them, because programs
 * and libraries call those directly too. Everything not listed here is
 * hidden (-fvisibility=hidden). */
#include "article.h"

#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))
#define ALIAS(name) \
    __attribute__((alias(#name), copy(name), visibility("default")))

EXPORT const char *articlealloc_version(void)
{
#ifdef ARTICLE_BIN_LOCKS
    return "articlealloc 1.0 (per-bin locks)";
#else
    return "articlealloc 1.0 (global lock)";
#endif
}

EXPORT void *malloc(size_t size) { return ar_malloc(size); }
EXPORT void free(void *p) { ar_free(p); }
EXPORT void *calloc(size_t n, size_t size) { return ar_calloc(n, size); }
EXPORT void *realloc(void *p, size_t size) { return ar_realloc(p, size); }
EXPORT size_t malloc_usable_size(void *p) { return ar_usable_size(p); }
EXPORT void *memalign(size_t align, size_t size) { return ar_memalign(align, size); }

EXPORT void *reallocarray(void *p, size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    return ar_realloc(p, bytes);
}

/* glibc 2.36: aligned_alloc is memalign (no alignment check before 2.38). */
EXPORT void *aligned_alloc(size_t align, size_t size)
{
    return ar_memalign(align, size);
}

EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
    if (align == 0 || align % sizeof(void *) != 0 || (align & (align - 1)) != 0)
        return EINVAL;
    void *p = ar_memalign(align, size);
    if (p == NULL)
        return ENOMEM;
    *out = p;
    return 0;
}

EXPORT void *valloc(size_t size) { return ar_memalign(ar_os_page_size(), size); }

EXPORT void *pvalloc(size_t size)
{
    size_t page = ar_os_page_size();
    if (size > AR_MAX_REQUEST) {
        errno = ENOMEM;
        return NULL;
    }
    size_t rounded = size == 0 ? page : (size + page - 1) & ~(page - 1);
    return ar_memalign(page, rounded);
}

/* Trivial members of the family: nothing to trim, sizes are not needed. */
EXPORT int malloc_trim(size_t pad) { (void)pad; return 0; }
void cfree(void *p);
EXPORT void cfree(void *p) { ar_free(p); }
void free_sized(void *p, size_t size);
EXPORT void free_sized(void *p, size_t size) { (void)size; ar_free(p); }
void free_aligned_sized(void *p, size_t align, size_t size);
EXPORT void free_aligned_sized(void *p, size_t align, size_t size)
{
    (void)align;
    (void)size;
    ar_free(p);
}

void *__libc_malloc(size_t size) ALIAS(malloc);
void __libc_free(void *p) ALIAS(free);
void *__libc_calloc(size_t n, size_t size) ALIAS(calloc);
void *__libc_realloc(void *p, size_t size) ALIAS(realloc);
void *__libc_memalign(size_t align, size_t size) ALIAS(memalign);
void *__libc_valloc(size_t size) ALIAS(valloc);
void *__libc_pvalloc(size_t size) ALIAS(pvalloc);
