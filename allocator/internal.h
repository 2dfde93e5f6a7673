/* customalloc: the types every layer shares, the constants that shape the
 * memory, and the two fast paths (malloc and free), which are inlined into
 * override.c so that the exported symbols carry no extra call.
 *
 * Layers (one file each): os.c (the only file that talks to the kernel),
 * segment.c (4 MiB aligned segments cut into pages), page.c (a page's free
 * lists and the heap's page queues), alloc.c (malloc slow paths, calloc,
 * realloc, aligned allocation), free.c (local and remote frees), large.c
 * (directly mapped blocks and their cache), heap.c (process and thread start,
 * thread exit, fork, trim), stats.c (counters and the exit report),
 * override.c (the exported symbols, and nothing else). See DESIGN.md. */
#ifndef CA_INTERNAL_H
#define CA_INTERNAL_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CA_VERSION "customalloc 0.1.0"

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define ca_inline   static inline __attribute__((always_inline))
#define ca_hidden   __attribute__((visibility("hidden")))

#ifdef CA_DEBUG
#include <assert.h>
#define ca_assert(c) assert(c)
#else
#define ca_assert(c) ((void)0)
#endif

/* ---------------------------------------------------------------------------
 * Geometry
 * ------------------------------------------------------------------------- */
#define CA_SEG_SHIFT    22                          /* 4 MiB segments */
#define CA_SEG_SIZE     ((size_t)1 << CA_SEG_SHIFT)
#define CA_SEG_MASK     (CA_SEG_SIZE - 1)
#define CA_SLICE_SHIFT  18                          /* 256 KiB slices */
#define CA_SLICE_SIZE   ((size_t)1 << CA_SLICE_SHIFT)
#define CA_SLICES       (CA_SEG_SIZE / CA_SLICE_SIZE) /* 16 */
#define CA_SMALL_PAGE   CA_SLICE_SIZE               /* small pages: 1 slice */
#define CA_MEDIUM_STRIDE 2                          /* medium pages: 2 slices, 512 KiB */
#define CA_MEDIUM_PAGE  (CA_MEDIUM_STRIDE * CA_SLICE_SIZE)
#define CA_SMALL_MAX    (8 * 1024)                  /* blocks <= 8 KiB: small page */
#define CA_MEDIUM_MAX   (128 * 1024)                /* blocks <= 128 KiB: medium page */
#define CA_DIRECT_MAX   4096                        /* sizes served by the direct array */
#define CA_DIRECT_COUNT (CA_DIRECT_MAX / 16 + 1)    /* 257 entries, index (size+15)/16 */
#define CA_DIRECT_CLASS_MAX ca_size_class(CA_DIRECT_MAX)
#define CA_NCLASS       89                          /* class 0 unused; 88 = 128 KiB */
#define CA_EXTEND_BYTES (64 * 1024)                 /* free list grows by this much */

/* Memory return policy (milliseconds, bytes). */
#define CA_DECAY_MS          1000      /* free pages purged after this idle time */
#define CA_HEAP_DIRTY_MAX    (32u << 20) /* a heap purges at once above this */
#define CA_SEG_CACHE_COUNT   8         /* empty segments kept mapped */
#define CA_SEG_CACHE_DIRTY   (8u << 20) /* of which at most this much unpurged */
#define CA_LARGE_CACHE_COUNT 16
#define CA_LARGE_CACHE_BYTES ((size_t)128 << 20)
#define CA_LARGE_DECAY_MS    2000

/* page->tag low bits (the rest is the owner thread's thread pointer). */
#define CA_TAG_FULL    ((uintptr_t)1)   /* page is full: in no queue */
#define CA_TAG_ALIGNED ((uintptr_t)2)   /* page handed out interior pointers */
#define CA_TAG_MEDIUM  ((uintptr_t)4)   /* medium page: local frees go to the block cache */
#define CA_TAG_FLAGS   (CA_TAG_FULL | CA_TAG_ALIGNED | CA_TAG_MEDIUM)
#define CA_MCACHE_BYTES (1024 * 1024)    /* per cached class, blocks cached in the heap */
#define CA_MCACHE_MIN   (8 * 1024)      /* classes above this use the block cache */
#define CA_MCACHE_TOTAL (16u << 20)     /* all classes together, per heap */
#ifndef CA_BORROW_CLASSES
#define CA_BORROW_CLASSES 4              /* medium: reuse a free block up to this many classes up */
#endif

enum { CA_SEG_SMALL = 0, CA_SEG_MEDIUM = 1, CA_SEG_LARGE = 2 };
enum { CA_PAGE_FREE_CLEAN = 0, CA_PAGE_FREE_DIRTY = 1, CA_PAGE_INUSE = 2 };

/* ---------------------------------------------------------------------------
 * Types
 * ------------------------------------------------------------------------- */
typedef struct ca_block_s {
    struct ca_block_s *next;
} ca_block_t;

struct ca_heap_s;

/* A page: a run of equal-sized blocks. The first cache line holds what the
 * owner touches on every malloc/free; the second what other threads touch, so
 * that remote frees do not keep stealing the owner's line. */
typedef struct __attribute__((aligned(64))) ca_page_s {
    ca_block_t *free;             /* malloc pops here; the owner's fast frees push here */
    ca_block_t *local_free;       /* collected remote frees, the owner's slow-path frees */
    _Atomic(uintptr_t) tag;       /* owner thread pointer | CA_TAG_* ; 0 when unowned */
    uint32_t used;                /* blocks handed out (+1 while queue head) */
    uint32_t block_size;
    uint8_t *start;               /* first block */
    struct ca_page_s *next;       /* queue / segment free stack */
    struct ca_page_s *prev;
    uint8_t cls;
    uint8_t state;                /* CA_PAGE_* */
    uint8_t free_is_zero;         /* medium pages: blocks on `free` are zero past the link */
    uint8_t tail_zero;            /* blocks past `reserved` are zero */
    uint32_t area;                /* bytes of the page's memory */
    /* --- second cache line: slow-path fields and what other threads touch --- */
    uint32_t capacity;            /* blocks that fit */
    uint32_t reserved;            /* blocks already threaded on a list */
    _Atomic(uintptr_t) thread_free;    /* remote frees (atomic push) */
    struct ca_page_s *notify_next;     /* link in heap->notify */
    struct ca_heap_s *_Atomic heap;    /* owner heap while in use */
    _Atomic(uint8_t) has_aligned;      /* interior pointers were handed out */
    uint64_t retire_time;              /* when it became free (ms) */
} ca_page_t;
_Static_assert(sizeof(ca_page_t) == 128, "page descriptors are 128 bytes");
_Static_assert(offsetof(ca_page_t, area) < 64, "free's fields share the first line");

/* A segment: CA_SEG_SIZE-aligned; its header holds the page descriptors, one
 * slot per 256 KiB slice. A small page is one slice (slot i); a medium page is
 * 2 slices and uses the slot of its first one (slot 2j). The page of a block
 * is at byte offset ((p >> 11) & slot_mask) in pages[]: slot_mask is 15 << 7
 * for small segments, 14 << 7 for medium ones and 0 for large blocks. The
 * free fast path uses 15 << 7 always (no header load): for a small page that
 * is the page; for the other slices of a medium page and for large blocks it
 * is an unused, zeroed slot whose tag never matches, and the slow path looks
 * at the header. */
typedef struct ca_segment_s {
    uintptr_t slot_mask;          /* offset 0 */
    uint8_t kind;                 /* CA_SEG_* */
    uint8_t in_avail;
    uint8_t large_zero;           /* large: memory known zero at allocation */
    uint32_t npages;
    uint32_t stride;              /* slots per page: 1 small, 8 medium */
    uint32_t nfree;               /* pages on free_pages */
    struct ca_heap_s *heap;       /* owner (small/medium); NULL for large */
    ca_page_t *free_pages;
    struct ca_segment_s *next, *prev;  /* heap->avail[kind] */
    struct ca_segment_s *all_next, *all_prev;  /* heap->segments */
    size_t map_size;              /* bytes mapped from the segment start */
    size_t large_off;             /* large: offset of the block */
    ca_page_t pages[];            /* CA_SLICES slots (1 for large) */
} ca_segment_t;

#define CA_PAGE_SHIFT_IN_SLOT (CA_SLICE_SHIFT - 7)   /* 128-byte descriptors */
#define CA_SLOT_MASK_SMALL  ((uintptr_t)(CA_SLICES - 1) << 7)
#define CA_SLOT_MASK_MEDIUM ((uintptr_t)(CA_SLICES - CA_MEDIUM_STRIDE) << 7)

typedef struct {
    ca_page_t *first, *last;
} ca_pageq_t;

/* A heap: owned by one thread at a time (or abandoned, owned by none). */
typedef struct ca_heap_s {
    ca_pageq_t queues[CA_NCLASS];      /* head = page malloc allocates from */
    ca_block_t *mcache[CA_NCLASS];     /* medium classes: recently freed blocks */
    uint16_t mcount[CA_NCLASS];
    size_t mcache_bytes;
    uint64_t mcache_flushed_at;        /* housekeeping flushes it every 2 s */
    ca_page_t **direct;                /* owner's TLS direct array, or NULL */
    uintptr_t tp;                      /* owner thread pointer, 0 if abandoned */
    _Atomic(ca_page_t *) notify;       /* pages that got remote frees */
    ca_segment_t *avail[2];            /* segments with free pages, per kind */
    ca_segment_t *segments;            /* every segment the heap owns */
    size_t dirty_bytes;                /* free, unpurged page bytes */
    uint64_t now;                      /* coarse clock, refreshed on ticks */
    uint64_t dirty_since;              /* oldest unpurged free page, 0 if none */
    uint32_t ticks;
    struct ca_heap_s *next_abandoned;
    struct ca_heap_s *next_all;
    /* statistics (owner only) */
    uint64_t st_pages_init, st_pages_retired, st_slow, st_remote_frees, st_segments;
} ca_heap_t;

/* Thread-local data: the direct size->page array (so malloc needs one TLS
 * load) and the heap. Initial-exec TLS only: dynamic TLS could call malloc. */
typedef struct {
    ca_page_t *direct[CA_DIRECT_COUNT];
    ca_heap_t *heap;
} ca_tld_t;

extern __thread ca_tld_t ca_tld __attribute__((tls_model("initial-exec"))) ca_hidden;
extern ca_page_t ca_page_empty ca_hidden;

/* ---------------------------------------------------------------------------
 * Size classes: exact 16-byte steps to 128, then 8 per doubling (<= 12.5%).
 * ------------------------------------------------------------------------- */
ca_inline unsigned ca_size_class(size_t size)
{
    if (size <= 128) {
        unsigned c = (unsigned)((size + 15) >> 4);
        return c ? c : 1;
    }
    size_t s = size - 1;
    unsigned b = 63u - (unsigned)__builtin_clzl(s);   /* >= 7 */
    return 9u + (b - 7u) * 8u + (unsigned)((s >> (b - 3u)) & 7u);
}

ca_inline size_t ca_class_size(unsigned c)
{
    if (c <= 8) return (size_t)c * 16;
    unsigned j = c - 9, b = 7 + j / 8;
    return ((size_t)1 << b) + ((size_t)(j % 8 + 1) << (b - 3));
}

/* ---------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------- */
ca_inline uintptr_t ca_thread_tp(void)
{
#if defined(__x86_64__)
    uintptr_t tp;
    __asm__("mov %%fs:0, %0" : "=r"(tp));
    return tp;
#else
    return (uintptr_t)__builtin_thread_pointer();
#endif
}

/* The free fast path's read of page->tag. Other threads may be storing it
 * (full flag) at the same time; any torn or stale value is either our own
 * thread pointer (only we ever store that) or not, so a plain load is enough
 * and lets the compiler fold it into the compare. Sanitizer builds use a
 * relaxed atomic load so that TSan sees no race. */
ca_inline uintptr_t ca_tag_peek(const ca_page_t *page)
{
#if defined(__SANITIZE_THREAD__) || defined(CUSTOMALLOC_PREFIX)
    return atomic_load_explicit(&page->tag, memory_order_relaxed);
#else
    return *(const uintptr_t *)&page->tag;
#endif
}

ca_inline ca_segment_t *ca_segment_of(const void *p)
{
    return (ca_segment_t *)((uintptr_t)p & ~(uintptr_t)CA_SEG_MASK);
}

ca_inline ca_page_t *ca_page_of(const void *p)
{
    ca_segment_t *seg = ca_segment_of(p);
    return (ca_page_t *)((uint8_t *)seg->pages + (((uintptr_t)p >> CA_PAGE_SHIFT_IN_SLOT) & seg->slot_mask));
}

/* The descriptor of p's slice, from the address alone (what the free fast
 * path reads): the page itself for a small page; for a medium page's other
 * slices a mirror that carries the page's tag, class, block size and start
 * (enough for free's slow path to cache the block without touching the
 * page); zeroed for large blocks. */
ca_inline ca_page_t *ca_slot_of(const void *p)
{
    return (ca_page_t *)((uint8_t *)ca_segment_of(p)->pages + (((uintptr_t)p >> CA_PAGE_SHIFT_IN_SLOT) & CA_SLOT_MASK_SMALL));
}

/* Every store to a page's tag goes through here: a medium page mirrors it
 * into its other slices' descriptors. */
ca_inline void ca_page_store_tag(ca_page_t *page, uintptr_t tag)
{
    atomic_store_explicit(&page->tag, tag, memory_order_relaxed);
    if (ca_segment_of(page)->kind == CA_SEG_MEDIUM)
        for (unsigned k = 1; k < CA_MEDIUM_STRIDE; k++) atomic_store_explicit(&page[k].tag, tag, memory_order_relaxed);
}

/* The i-th page of a segment (i < npages). */
ca_inline ca_page_t *ca_segment_page(ca_segment_t *seg, uint32_t i)
{
    return &seg->pages[i * seg->stride];
}

ca_inline size_t ca_align_up(size_t n, size_t a) { return (n + a - 1) & ~(a - 1); }

/* Start of the block that contains p (p may be an interior aligned pointer). */
ca_inline ca_block_t *ca_block_start(const ca_page_t *page, const void *p)
{
    size_t off = (size_t)((const uint8_t *)p - page->start);
    return (ca_block_t *)(page->start + off - off % page->block_size);
}

/* ---------------------------------------------------------------------------
 * Cross-layer functions (all hidden)
 * ------------------------------------------------------------------------- */
/* os.c */
ca_hidden void *ca_os_map(size_t size);
ca_hidden void *ca_os_map_aligned(size_t size, size_t align);
ca_hidden void ca_os_unmap(void *p, size_t size);
ca_hidden void ca_os_purge(void *p, size_t size);
ca_hidden void *ca_os_remap(void *p, size_t old_size, size_t new_size, void *target);
ca_hidden uint64_t ca_os_now_ms(void);
ca_hidden size_t ca_os_page_size(void);

/* segment.c */
ca_hidden ca_page_t *ca_segment_page_alloc(ca_heap_t *heap, int kind);
ca_hidden void ca_segment_page_free(ca_heap_t *heap, ca_page_t *page);
ca_hidden void ca_heap_purge(ca_heap_t *heap, bool all);
ca_hidden void ca_segment_cache_collect(bool force);
ca_hidden void ca_segment_lock(void);
ca_hidden void ca_segment_unlock(void);

/* page.c */
ca_hidden ca_page_t *ca_heap_find_page(ca_heap_t *heap, unsigned cls);
ca_hidden ca_page_t *ca_heap_find_page_used(ca_heap_t *heap, unsigned cls);
ca_hidden void ca_heap_drain_notify(ca_heap_t *heap);
ca_hidden void ca_page_unfull(ca_heap_t *heap, ca_page_t *page);
ca_hidden void ca_page_retire(ca_heap_t *heap, ca_page_t *page);
ca_hidden void ca_heap_collect(ca_heap_t *heap, bool release_heads);
ca_hidden void ca_heap_set_direct(ca_heap_t *heap, unsigned cls);
ca_hidden void ca_page_set_aligned(ca_page_t *page);
ca_hidden void ca_page_free_local(ca_heap_t *heap, ca_page_t *page, ca_block_t *b);
ca_hidden void ca_heap_flush_mcache(ca_heap_t *heap);

/* alloc.c */
ca_hidden void *ca_malloc_generic(size_t size);
ca_hidden void *ca_malloc_slow(size_t size);
ca_hidden void *ca_malloc_slow_ex(size_t size, bool cached_ok);
ca_hidden void *ca_do_calloc(size_t n, size_t size);
ca_hidden void *ca_do_realloc(void *p, size_t size);
ca_hidden void *ca_alloc_aligned(size_t align, size_t size);
ca_hidden size_t ca_usable_size(const void *p);

/* free.c */
ca_hidden void ca_free_slow(ca_page_t *slot, void *p);
ca_hidden void ca_free_special(void *p);
ca_hidden void ca_page_emptied(ca_page_t *page);

/* large.c */
ca_hidden void *ca_large_alloc(size_t size, size_t align);
ca_hidden void ca_large_free(ca_segment_t *seg);
ca_hidden void *ca_large_realloc(ca_segment_t *seg, void *p, size_t size);
ca_hidden void *ca_huge_aligned_alloc(size_t size, size_t align);
ca_hidden bool ca_huge_lookup(const void *p, size_t *size);
ca_hidden bool ca_huge_free(void *p);
ca_hidden void ca_large_cache_collect(bool force);
ca_hidden void ca_large_lock(void);
ca_hidden void ca_large_unlock(void);

/* heap.c */
ca_hidden ca_heap_t *ca_heap_thread_init(void);
ca_hidden void ca_heap_tick(ca_heap_t *heap);
ca_hidden void ca_housekeeping(ca_heap_t *heap);
ca_hidden int ca_trim(void);
ca_hidden void *ca_meta_alloc(size_t size);
ca_hidden ca_heap_t *ca_heap_list(void);

/* stats.c */
typedef struct {
    _Atomic(uint64_t) mmap_calls, munmap_calls, madvise_calls, mremap_calls;
    _Atomic(uint64_t) mapped, mapped_peak, purged_bytes;
    _Atomic(uint64_t) segments, segments_peak, large_allocs, large_cache_hits;
    _Atomic(uint64_t) heaps_created, heaps_adopted, heaps_abandoned;
} ca_stats_t;
ca_hidden extern ca_stats_t ca_stats;
ca_hidden extern int ca_stats_enabled;
ca_hidden extern int ca_stats_fd;
#define ca_stat_add(field, n) atomic_fetch_add_explicit(&ca_stats.field, (n), memory_order_relaxed)
ca_hidden void ca_stat_mapped(int64_t delta);
ca_hidden uint64_t ca_stat_get(const char *name);
ca_hidden void ca_stats_print(int fd);

/* ---------------------------------------------------------------------------
 * Fast paths
 * ------------------------------------------------------------------------- */

_Static_assert(offsetof(ca_page_t, free) == 0 && offsetof(ca_page_t, local_free) == 8 &&
               offsetof(ca_page_t, tag) == 16 && offsetof(ca_page_t, used) == 24 &&
               offsetof(ca_segment_t, slot_mask) == 0, "layout the fast paths rely on");

/* The release build of x86-64 spells the two fast paths out in assembly:
 * the C versions below compile to one or two more instructions (a register
 * move on return, a lea for the page pointer), and these paths are the whole
 * cost of a malloc/free pair. The C versions are the reference, used by the
 * sanitizer builds and on other machines; both must stay equivalent. */
#if defined(__x86_64__) && !defined(CUSTOMALLOC_PREFIX) && !defined(CA_NO_ASM)
#define CA_ASM_FAST_PATHS 1
#endif

/* malloc: one bound check, one TLS-indexed load, pop. A size whose direct
 * entry is the empty page (no heap yet, page exhausted) falls to the generic
 * path; nothing else is checked here. */
ca_inline void *ca_malloc_fast(size_t size)
{
#ifdef CA_ASM_FAST_PATHS
    void *b;
    __asm__ goto("cmpq $%c[max], %[size]\n\t"
                 "ja %l[generic]\n\t"
                 "movq ca_tld@gottpoff(%%rip), %%rdx\n\t"
                 "leaq 15(%[size]), %%rcx\n\t"
                 "shrq $4, %%rcx\n\t"
                 "movq %%fs:(%%rdx,%%rcx,8), %%rdx\n\t"   /* page */
                 "movq (%%rdx), %[b]\n\t"                  /* b = page->free */
                 "testq %[b], %[b]\n\t"
                 "je %l[generic]\n\t"
                 "movq (%[b]), %%rcx\n\t"
                 "addl $1, 24(%%rdx)\n\t"                  /* page->used++ */
                 "movq %%rcx, (%%rdx)\n\t"                 /* page->free = b->next */
                 : [b] "=&a"(b)
                 : [size] "r"(size), [max] "i"(CA_DIRECT_MAX)
                 : "rcx", "rdx", "cc", "memory"
                 : generic);
    return b;
generic:
    return ca_malloc_generic(size);
#else
    if (likely(size <= CA_DIRECT_MAX)) {
        ca_page_t *page = ca_tld.direct[(size + 15) >> 4];
        ca_block_t *b = page->free;
        if (likely(b != NULL)) {
            page->free = b->next;
            page->used++;
            return b;
        }
    }
    return ca_malloc_generic(size);
#endif
}

/* free: the slice's descriptor comes from the address alone (segment mask,
 * slice index), no load of the segment header; for a small page that is the
 * page. It is ours to touch without atomics when its tag is exactly our
 * thread pointer
 * (a full page, one with interior pointers, a medium page, and every other
 * thread's page fail that one compare; so do the unused descriptors of a
 * medium page's other slices and of a large block, whose tag is 0: the slow
 * path finds the real page through the header's slot mask). The block goes straight back on the
 * list malloc pops from, so the next malloc of the class reuses the block
 * just freed, still in cache (LIFO, as a thread cache would). `used` never reaches 0 on a queue head (it carries
 * a +1 bias), so a single block ping-ponging never leaves this path. */
ca_inline void ca_free_fast(void *p)
{
#ifdef CA_ASM_FAST_PATHS
    __asm__ goto("movq %[p], %%rdx\n\t"
                 "andq $%c[segmask], %%rdx\n\t"              /* segment */
                 "testl $%c[offmask], %k[p]\n\t"
                 "je %l[special]\n\t"                        /* NULL or 4 MiB aligned */
                 "movq %[p], %%rax\n\t"
                 "shrq $%c[shift], %%rax\n\t"
                 "andq $%c[slots], %%rax\n\t"                /* slice's descriptor */
                 "movq %%fs:0, %%rcx\n\t"
                 "cmpq %%rcx, %c[pages]+16(%%rdx,%%rax)\n\t" /* page->tag == tp ? */
                 "jne %l[slow]\n\t"
                 "movq %c[pages](%%rdx,%%rax), %%rcx\n\t"
                 "movq %%rcx, (%[p])\n\t"                    /* b->next = page->free */
                 "movq %[p], %c[pages](%%rdx,%%rax)\n\t"     /* page->free = b */
                 "subl $1, %c[pages]+24(%%rdx,%%rax)\n\t"    /* --used */
                 "je %l[emptied]\n\t"
                 :
                 : [p] "r"(p), [segmask] "i"(-(long)CA_SEG_SIZE), [offmask] "i"(CA_SEG_MASK),
                   [shift] "i"(CA_PAGE_SHIFT_IN_SLOT), [pages] "i"(offsetof(ca_segment_t, pages)),
                   [slots] "i"(CA_SLOT_MASK_SMALL)
                 : "rax", "rcx", "rdx", "cc", "memory"
                 : special, slow, emptied);
    return;
special:
    ca_free_special(p);
    return;
slow:
    ca_free_slow(ca_slot_of(p), p);
    return;
emptied:
    ca_page_emptied(ca_page_of(p));
#else
    uintptr_t seg = (uintptr_t)p & ~(uintptr_t)CA_SEG_MASK;
    if (unlikely(seg == (uintptr_t)p)) {   /* NULL, or a >= 4 MiB aligned block */
        ca_free_special(p);
        return;
    }
    ca_page_t *page = (ca_page_t *)((uint8_t *)((ca_segment_t *)seg)->pages +
                                    (((uintptr_t)p >> CA_PAGE_SHIFT_IN_SLOT) & CA_SLOT_MASK_SMALL));
    if (likely(ca_tag_peek(page) == ca_thread_tp())) {
        ca_block_t *b = (ca_block_t *)p;
        b->next = page->free;
        page->free = b;
        if (unlikely(--page->used == 0)) ca_page_emptied(page);
        return;
    }
    ca_free_slow(page, p);
#endif
}

#endif
