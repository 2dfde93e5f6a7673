/* alloc.c: what each call means. Turns a request into a bin (or a mapping of
 * its own), checks headers on the way back in, and builds realloc, calloc and
 * aligned allocation on top of plain malloc and free. */
#include "article.h"

#include <errno.h>
#include <string.h>

/* ------------------------------------------------------------- helpers */

static size_t round_up(size_t n, size_t to) { return (n + to - 1) & ~(to - 1); }

static unsigned bin_of(size_t need)
{
    unsigned b = 0;
    while (need > ar_bin_limit[b])
        b++;
    return b;
}

/* The header of a pointer handed back to us; aborts on a pointer we did not
 * hand out (or one whose header was overwritten). */
static struct ar_header *checked_header(void *p)
{
    struct ar_header *h = ar_header_of(p);
    if (((uintptr_t)p & (AR_ALIGN - 1)) != 0 || h->magic != AR_MAGIC)
        ar_os_fatal("free()/realloc(): invalid pointer");
    return h;
}

/* The block that owns p: p itself, or for an aligned allocation the block it
 * was cut from (*offset is then the distance back to it). */
static struct ar_header *owning_header(void **p, size_t *offset)
{
    struct ar_header *h = checked_header(*p);
    *offset = 0;
    if (h->flags & AR_ALIGNED) {
        *offset = h->size;
        *p = (char *)*p - h->size;
        h = checked_header(*p);
    }
    return h;
}

/* Large requests: one mapping each, returned to the kernel on free. */
static void *map_large(size_t need)
{
    size_t len = round_up(need + AR_HEADER_SIZE, ar_os_page_size());
    struct ar_header *h = ar_os_map(len);
    if (h == NULL)
        return NULL;
    h->size = len - AR_HEADER_SIZE;
    h->flags = AR_MMAPPED;
    h->bin = 0;
    h->magic = AR_MAGIC;
    return h + 1;
}

/* ---------------------------------------------------------- the calls */

void *ar_malloc(size_t size)
{
    ar_heap_init();   /* first call only: fork handlers, before any lock is used */
    if (size > AR_MAX_REQUEST) {
        errno = ENOMEM;
        return NULL;
    }
    size_t need = size < AR_ALIGN ? AR_ALIGN : round_up(size, AR_ALIGN);
    void *p = need > AR_MMAP_THRESHOLD
                  ? map_large(need)
                  : ar_heap_alloc(need, bin_of(need), ar_cache_mine());
    if (p == NULL)
        errno = ENOMEM;
    return p;
}

void ar_free(void *p)
{
    if (p == NULL)
        return;
    size_t offset;
    struct ar_header *h = owning_header(&p, &offset);
    if (h->flags & AR_FREE)
        ar_os_fatal("free(): double free detected");
    if (h->flags & AR_MMAPPED) {
        int saved_errno = errno;   /* free never changes errno */
        ar_os_unmap(h, h->size + AR_HEADER_SIZE);
        errno = saved_errno;
    } else {
        h->flags = AR_FREE;
        ar_cache_put(p, h->bin);   /* keeps errno itself */
    }
}

size_t ar_usable_size(void *p)
{
    if (p == NULL)
        return 0;
    size_t offset;
    struct ar_header *h = owning_header(&p, &offset);
    return h->size - offset;
}

void *ar_calloc(size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = ar_malloc(bytes);
    if (p == NULL)
        return NULL;
    struct ar_header *h = ar_header_of(p);
    if (!(h->flags & AR_MMAPPED))   /* a fresh mapping is already zero */
        memset(p, 0, h->size);
    return p;
}

void *ar_realloc(void *p, size_t size)
{
    if (p == NULL)
        return ar_malloc(size);
    if (size == 0) {               /* glibc: frees and returns NULL */
        ar_free(p);
        return NULL;
    }
    size_t usable = ar_usable_size(p);
    /* The article's bug lived here: a shrinking realloc allocated a new block
     * with the OLD size and later corrupted memory. A block that is already
     * large enough is simply kept: shrinking is done in place. */
    if (size <= usable)
        return p;
    void *q = ar_malloc(size);
    if (q == NULL)                 /* errno is ENOMEM; p is untouched */
        return NULL;
    memcpy(q, p, usable);
    ar_free(p);
    return q;
}

/* glibc's memalign: alignments up to 16 are plain malloc; one that is not a
 * power of two is rounded up to one; above SIZE_MAX/2+1 it is EINVAL. The
 * block is over-allocated and a second, aliasing header placed just before
 * the aligned address tells free() how far back the real block starts. */
void *ar_memalign(size_t align, size_t size)
{
    if (align <= AR_ALIGN)
        return ar_malloc(size);
    if (align > SIZE_MAX / 2 + 1) {
        errno = EINVAL;
        return NULL;
    }
    if ((align & (align - 1)) != 0) {
        size_t a = 2 * AR_ALIGN;
        while (a < align)
            a <<= 1;
        align = a;
    }
    if (size > AR_MAX_REQUEST || align - AR_ALIGN > AR_MAX_REQUEST - size) {
        errno = ENOMEM;
        return NULL;
    }
    /* raw is 16-aligned, so the aligned address is at most align-16 past it. */
    char *raw = ar_malloc(size + align - AR_ALIGN);
    if (raw == NULL)
        return NULL;
    char *a = (char *)round_up((uintptr_t)raw, align);
    if (a == raw)
        return raw;
    struct ar_header *h = ar_header_of(a);
    h->size = (size_t)(a - raw);
    h->flags = AR_ALIGNED;
    h->bin = 0;
    h->magic = AR_MAGIC;
    return a;
}
