/* override.c: the exported symbols, and nothing else. Semantics follow glibc
 * 2.36 wherever the peers disagree (see ../shared/ANCHORS.md): every result is
 * 16-byte aligned, realloc(p, 0) frees and returns NULL, overflow and sizes
 * above PTRDIFF_MAX fail with ENOMEM, free keeps errno.
 *
 * Built with -DCUSTOMALLOC_PREFIX the same sources export ca_malloc, ca_free,
 * ... instead and interpose nothing (the sanitizer builds of the tests).
 * Like every malloc, these functions are not async-signal-safe. */
#include "internal.h"

#include <stdint.h>

#ifdef CUSTOMALLOC_PREFIX
#define CA_NAME(n) ca_##n
#else
#define CA_NAME(n) n
#endif
#define CA_API __attribute__((visibility("default")))

CA_API void *CA_NAME(malloc)(size_t size);
CA_API void CA_NAME(free)(void *p);
CA_API void *CA_NAME(calloc)(size_t n, size_t size);
CA_API void *CA_NAME(realloc)(void *p, size_t size);
CA_API void *CA_NAME(reallocarray)(void *p, size_t n, size_t size);
CA_API int CA_NAME(posix_memalign)(void **out, size_t align, size_t size);
CA_API void *CA_NAME(aligned_alloc)(size_t align, size_t size);
CA_API void *CA_NAME(memalign)(size_t align, size_t size);
CA_API void *CA_NAME(valloc)(size_t size);
CA_API void *CA_NAME(pvalloc)(size_t size);
CA_API size_t CA_NAME(malloc_usable_size)(void *p);
CA_API void CA_NAME(cfree)(void *p);
CA_API void CA_NAME(free_sized)(void *p, size_t size);
CA_API void CA_NAME(free_aligned_sized)(void *p, size_t align, size_t size);
CA_API int CA_NAME(malloc_trim)(size_t pad);
CA_API const char *customalloc_version(void);
CA_API unsigned long long customalloc_stat(const char *name);

void *CA_NAME(malloc)(size_t size)
{
    return ca_malloc_fast(size);
}

void CA_NAME(free)(void *p)
{
    ca_free_fast(p);
}

void *CA_NAME(calloc)(size_t n, size_t size)
{
    return ca_do_calloc(n, size);
}

void *CA_NAME(realloc)(void *p, size_t size)
{
    return ca_do_realloc(p, size);
}

void *CA_NAME(reallocarray)(void *p, size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return ca_do_realloc(p, total);
}

static inline bool is_pow2(size_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

int CA_NAME(posix_memalign)(void **out, size_t align, size_t size)
{
    if (align % sizeof(void *) != 0 || !is_pow2(align)) return EINVAL;
    void *p = ca_alloc_aligned(align, size);
    if (p == NULL) return ENOMEM;
    *out = p;
    return 0;
}

/* glibc: an alignment that is not a power of two is rounded up to one. */
void *CA_NAME(memalign)(size_t align, size_t size)
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
    return ca_alloc_aligned(align, size);
}

/* glibc 2.36 treats aligned_alloc exactly like memalign. */
void *CA_NAME(aligned_alloc)(size_t align, size_t size)
{
    return CA_NAME(memalign)(align, size);
}

void *CA_NAME(valloc)(size_t size)
{
    return ca_alloc_aligned(ca_os_page_size(), size);
}

void *CA_NAME(pvalloc)(size_t size)
{
    size_t ps = ca_os_page_size();
    if (size > SIZE_MAX - ps) {
        errno = ENOMEM;
        return NULL;
    }
    size_t rounded = size == 0 ? ps : ca_align_up(size, ps);
    return ca_alloc_aligned(ps, rounded);
}

size_t CA_NAME(malloc_usable_size)(void *p)
{
    return ca_usable_size(p);
}

void CA_NAME(cfree)(void *p)
{
    ca_free_fast(p);
}

void CA_NAME(free_sized)(void *p, size_t size)
{
    (void)size;
    ca_free_fast(p);
}

void CA_NAME(free_aligned_sized)(void *p, size_t align, size_t size)
{
    (void)align;
    (void)size;
    ca_free_fast(p);
}

int CA_NAME(malloc_trim)(size_t pad)
{
    (void)pad;
    return ca_trim();
}

const char *customalloc_version(void)
{
    return CA_VERSION;
}

unsigned long long customalloc_stat(const char *name)
{
    return ca_stat_get(name);
}

#ifndef CUSTOMALLOC_PREFIX
/* glibc's internal names: libc itself and some programs call these. */
#define CA_ALIAS(name, target) \
    CA_API __typeof__(target) name __attribute__((alias(#target)))
CA_ALIAS(__libc_malloc, malloc);
CA_ALIAS(__libc_free, free);
CA_ALIAS(__libc_calloc, calloc);
CA_ALIAS(__libc_realloc, realloc);
CA_ALIAS(__libc_memalign, memalign);
CA_ALIAS(__libc_valloc, valloc);
CA_ALIAS(__libc_pvalloc, pvalloc);
CA_ALIAS(__posix_memalign, posix_memalign);
#endif
