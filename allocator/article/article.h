/* article.h: the data types and internal interfaces of the article allocator,
 * shared by its files. It is the contract between the layers:
 *
 *   override.c  the exported malloc family and its __libc_* aliases, nothing else
 *   alloc.c     what each call means: sizes to bins, headers, realloc, alignment
 *   cache.c     the thread-local cache of freed blocks, per thread, per bin
 *   heap.c      the shared heap: coarse bins, the bump region, the lock(s), fork
 *   os.c        the only place that talks to the kernel (mmap, munmap, abort)
 *
 * The picture (see README.md for why it is shaped this way):
 *
 *     thread A cache            thread B cache
 *     bin0: o-o-o (<= 64)       bin0: o
 *     bin1: o-o   (<= 256)      bin1: o-o-o-o
 *     bin2: o     (<= 1024)     bin2:
 *        | free() pushes here; when a bin holds AR_CACHE_CAP blocks they are
 *        | handed back in one go (one lock), see cache.c
 *        v
 *     shared heap (heap.c), behind ONE global lock (or one lock per bin)
 *     bin0 ... bin2: singly linked LIFO lists of free blocks of varied sizes,
 *                    searched first-fit by every malloc
 *     top:           bump pointer into a 4 MiB segment from mmap
 *
 *     requests above the last bin (AR_MMAP_THRESHOLD, 1 KiB): one mmap each,
 *     munmap on free.
 *
 * Every block, wherever it lives, starts with a 16-byte header:
 *
 *     [ size | flags bin magic ][ payload ...               ]
 *     ^ header (16 bytes)       ^ pointer returned, 16-aligned
 *
 * Invariants:
 * - every payload is 16-byte aligned, and header.size is a multiple of 16;
 * - a block in a bin's list (shared or cached) has AR_FREE set and the size
 *   range of that bin: ar_bin_limit[bin-1] < size <= ar_bin_limit[bin];
 * - a block's size never changes (no splitting, no coalescing: the article's
 *   "poor fit" is kept on purpose);
 * - a free block's first payload word links it into its list.
 */
#ifndef ARTICLE_H
#define ARTICLE_H

#include <stddef.h>
#include <stdint.h>

#define AR_ALIGN          16u
#define AR_HEADER_SIZE    16u
#define AR_NBINS          3u
/* Larger blocks get one mmap each. The article does not give its threshold;
 * "above the last coarse bin" is the simplest reading, and README.md shows
 * the mixed-sizes figure with this at 128 KiB instead. */
#ifndef AR_MMAP_THRESHOLD
#define AR_MMAP_THRESHOLD 1024u
#endif
#define AR_CACHE_CAP      64u              /* cached frees per bin per thread */
#define AR_SEGMENT_SIZE   (4u << 20)       /* the shared heap grows by this */
#define AR_MAGIC          0xA271C1E5u

/* Larger requests fail with ENOMEM before any size arithmetic can overflow. */
#define AR_MAX_REQUEST    ((size_t)PTRDIFF_MAX - (size_t)(1u << 24))

enum ar_flags {
    AR_FREE    = 1u, /* in a bin's list (shared or cached) */
    AR_MMAPPED = 2u, /* a mapping of its own: size is the payload length */
    AR_ALIGNED = 4u, /* an alias header: size is the offset back to the real payload */
};

struct ar_header {
    size_t   size;   /* payload bytes (or the offset, for AR_ALIGNED) */
    uint16_t flags;
    uint16_t bin;
    uint32_t magic;
};

/* A free block, seen through its payload. */
struct ar_free {
    struct ar_free *next;
};

/* Invariants, checked in a debug build (-DARTICLE_DEBUG), free otherwise. */
#ifdef ARTICLE_DEBUG
#define ar_assert(cond) \
    ((cond) ? (void)0 : ar_os_fatal("assertion failed: " #cond " (" __FILE__ ")"))
#else
#define ar_assert(cond) ((void)0)
#endif

static inline struct ar_header *ar_header_of(void *payload)
{
    return (struct ar_header *)((char *)payload - AR_HEADER_SIZE);
}

/* Upper size limit (payload bytes) of each coarse bin. */
extern const size_t ar_bin_limit[AR_NBINS];

/* The per-thread cache: freed blocks of this thread, per bin. */
struct ar_cache {
    struct ar_free *head[AR_NBINS];
    struct ar_free *tail[AR_NBINS];
    uint32_t        count[AR_NBINS];
    struct ar_cache *next_in_pool;
};

/* ---- os.c ---- */
void *ar_os_map(size_t len);            /* NULL on failure */
void  ar_os_unmap(void *p, size_t len);
size_t ar_os_page_size(void);
_Noreturn void ar_os_fatal(const char *msg);

/* ---- heap.c ---- */
/* Registers the fork handlers; cheap after the first call. */
void  ar_heap_init(void);
/* A block with payload >= need (a multiple of 16) from bin `bin`: first fit in
 * the shared list, else (after handing back own's cached frees of that bin)
 * fresh from the bump region. own may be NULL. NULL when out of memory. */
void *ar_heap_alloc(size_t need, unsigned bin, struct ar_cache *own);
/* Puts a list of free blocks (head..tail, n of them) into shared bin `bin`. */
void  ar_heap_give(unsigned bin, struct ar_free *head, struct ar_free *tail,
                   size_t n);
void  ar_pool_lock(void);
void  ar_pool_unlock(void);

/* ---- cache.c ---- */
/* The calling thread's cache if it has a live one, else NULL. */
struct ar_cache *ar_cache_mine(void);
/* Takes a freed block of bin `bin` into the calling thread's cache. */
void  ar_cache_put(void *payload, unsigned bin);

/* ---- alloc.c ---- */
void  *ar_malloc(size_t size);
void   ar_free(void *p);
void  *ar_calloc(size_t n, size_t size);
void  *ar_realloc(void *p, size_t size);
void  *ar_memalign(size_t align, size_t size);
size_t ar_usable_size(void *p);

#endif
