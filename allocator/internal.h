/* customalloc: what every layer shares: the constants that shape the memory,
 * the data types, a few one-line helpers, and each file's functions (all
 * hidden). The fast paths live in alloc.c and free.c.
 *
 * Layers, each file using only those listed before it (see DESIGN.md):
 *   os.c       the only file that talks to the kernel; the abort on misuse
 *   segmap.c   which 4 MiB segments of the address space are ours
 *   meta.c     small records for our own bookkeeping (heaps)
 *   cache.c    the decaying cache of free mappings (empty segments)
 *   segment.c  4 MiB aligned segments cut into pages; purging free pages
 *   page.c     a page's free lists, the heap's page queues, remote frees
 *   mcache.c   medium blocks: the per-heap block cache, reuse before growth
 *   large.c    blocks above 128 KiB (and big alignments): the large arena
 *   heap.c     heaps: adoption, abandonment, housekeeping, trim
 *   init.c     process and thread start, thread exit, fork
 *   stats.c    the counters' names and the exit report
 *   alloc.c    malloc (the fast path), calloc, aligned, usable size
 *   free.c     free (the fast path), local and remote frees
 *   realloc.c  realloc: in place where the class or the span allows
 *   override.c the exported symbols (compiled with alloc.c, free.c and
 *              realloc.c as one unit, so that the symbols can be aliases) */
#ifndef CA_INTERNAL_H
#define CA_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef CA_DEBUG
#define CA_VERSION "customalloc 0.1.0 (debug)"
#else
#define CA_VERSION "customalloc 0.1.0"
#endif

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define ca_inline   static inline __attribute__((always_inline))
#define ca_hidden   __attribute__((visibility("hidden")))
#define ca_noinline __attribute__((noinline))
/* The two exported fast paths (alloc.c, free.c): external functions (their
 * declarations below say so) that calls in the same unit always inline.
 * Each starts on a 64-byte line: where a change elsewhere in the unit left
 * free 32 or 48 bytes into a line, a malloc(64)+free loop ran 5% slower
 * (build/bench, alloc_free, 10 processes each: 5.55 against 5.29 ms, the
 * same instructions); aligned, 5.29. */
#define ca_fast     inline __attribute__((always_inline, aligned(64)))


/* Invariants (DESIGN.md) are written as ca_assert; the debug build
 * (-DCA_DEBUG) checks them, the release build compiles them to nothing. */
ca_hidden __attribute__((noreturn, cold)) void ca_os_fatal(const char *what, const void *p);
ca_hidden __attribute__((noreturn, cold)) void ca_os_assert_fail(const char *expr, const char *file, int line);
#ifdef CA_DEBUG
#define ca_assert(c) (likely(c) ? (void)0 : ca_os_assert_fail(#c, __FILE__, __LINE__))
#else
#define ca_assert(c) ((void)sizeof(c))
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
_Static_assert(CA_MEDIUM_STRIDE == 2, "a medium page's second slot is the only one after its own (ca_page_of_slot)");
#define CA_SMALL_MAX    (8 * 1024)                  /* blocks <= 8 KiB: small page */
#define CA_MEDIUM_MAX   (128 * 1024)                /* blocks <= 128 KiB: medium page */
#define CA_MCACHE_MIN   (8 * 1024)                  /* classes above: the block cache (mcache.c) */
#define CA_REUSE_MIN    1024                        /* classes above: reuse before growth (mcache.c) */
#define CA_DIRECT_MAX   CA_SMALL_MAX                /* sizes served by the direct array: every small one */
#define CA_DIRECT_COUNT (CA_DIRECT_MAX / 16 + 1)    /* 513 entries, index (size+15)/16 */
#define CA_DIRECT_CLASS_MAX ca_size_class(CA_DIRECT_MAX)
#define CA_NCLASS       89                          /* class 0 unused; 88 = 128 KiB */
#define CA_MAX_REQUEST  ((size_t)PTRDIFF_MAX)

/* Memory return (milliseconds, bytes); the segment cache's and the large
 * arena's own limits are in segment.c and large.c. */
#define CA_DECAY_MS       1000          /* free pages purged after this idle time */
#define CA_HEAP_DIRTY_MAX (32u << 20)   /* a heap purges at once above this */

/* page->tag low bits (the rest is the owner thread's thread pointer, which
 * is at least 16-byte aligned: the C library's thread control block is 64
 * on x86-64, 16 on aarch64; init.c checks it). */
#define CA_TAG_FULL    ((uintptr_t)1)   /* page is full: in no queue */
#define CA_TAG_ALIGNED ((uintptr_t)2)   /* page handed out interior pointers */
#define CA_TAG_MEDIUM  ((uintptr_t)4)   /* local frees go to the block cache */
#define CA_TAG_PURGED  ((uintptr_t)8)   /* OS pages of it were purged: frees check for lost blocks */
#define CA_TAG_FLAGS   (CA_TAG_FULL | CA_TAG_ALIGNED | CA_TAG_MEDIUM | CA_TAG_PURGED)
/* The whole tag of a medium page's second slot: no owner, no flag, so it
 * matches no thread pointer, and it says the page is the slot before. */
#define CA_TAG_SECOND  ((uintptr_t)16)

enum { CA_SEG_SMALL = 0, CA_SEG_MEDIUM = 1 };
enum { CA_PAGE_FREE_CLEAN = 0, CA_PAGE_FREE_DIRTY = 1, CA_PAGE_INUSE = 2 };

/* ---------------------------------------------------------------------------
 * Types
 * ------------------------------------------------------------------------- */
/* A free block: its first word is the link to the next free block,
 * encoded with its page's key (ca_link_encode). */
typedef struct ca_block_s {
    uintptr_t link;
} ca_block_t;

struct ca_heap_s;

/* A page: a run of equal-sized blocks. The first cache line holds what the
 * owner touches on every malloc/free; the second what other threads touch, so
 * that remote frees do not keep stealing the owner's line. */
typedef struct __attribute__((aligned(64))) ca_page_s {
    ca_block_t *free_link;        /* the first free block (CA_LIST_END: none) */
    _Atomic(uintptr_t) tag;       /* owner thread pointer | CA_TAG_* ; 0 when unowned */
    uint64_t key;                 /* random: free-list links are encoded with it */
    uint8_t *start;               /* first block */
    uint64_t div_magic;           /* p is a block start iff (p - start) * div_magic <= */
    uint64_t div_limit;           /*   div_limit (ca_page_is_block; page_extend raises it) */
    uint32_t used;                /* blocks out; a queue head: a countdown (page.c) */
    uint8_t cls;                  /* size class (here: a medium free reads it for the block cache) */
    uint8_t free_is_zero;         /* MEDIUM-tagged pages: free-list blocks are zero past the link */
    uint8_t tail_zero;            /* blocks past `reserved` are zero */
    ca_block_t *local_free;       /* collected remote frees, the owner's slow-path frees (CA_LIST_END: none) */
    /* --- second cache line: slow-path fields and what other threads touch --- */
    struct ca_page_s *next;       /* queue / segment free stack */
    struct ca_page_s *prev;
    _Atomic(uintptr_t) thread_free;    /* remote frees (atomic push; 0: none) */
    struct ca_page_s *notify_next;     /* link in heap->notify */
    struct ca_heap_s *_Atomic heap;    /* owner heap while in use */
    union {
        uint64_t retire_time;          /* free page: when it became free (ms) */
        uint64_t purged;               /* page in use: its OS pages purged by page_sweep (bit i: the i-th of the slice) */
    };
    uint32_t block_size;
    uint32_t area;                     /* bytes of the page's memory */
    uint16_t capacity;                 /* blocks that fit */
    uint16_t reserved;                 /* blocks already threaded on a list */
    uint16_t lost;                     /* blocks off the lists in purged OS pages (page_sweep) */
    uint8_t state;                     /* CA_PAGE_* */
    _Atomic(uint8_t) has_aligned;      /* interior pointers were handed out */
} ca_page_t;
_Static_assert(sizeof(ca_page_t) == 128, "page descriptors are 128 bytes");
_Static_assert(offsetof(ca_page_t, local_free) < 64, "free's and malloc's fields share the first line");

/* The medium blocks that are out: a byte per 8 KiB granule (ca_live_byte) */
#define CA_LIVE_COLOURS 16
#define CA_LIVE_GRANULE_SHIFT 13
#define CA_LIVE_GRANULES (CA_SEG_SIZE >> CA_LIVE_GRANULE_SHIFT)   /* 512 */
#define CA_LIVE_BYTES (CA_LIVE_GRANULES + (CA_LIVE_COLOURS - 1) * 64)

/* A segment: CA_SEG_SIZE-aligned; its header holds the page descriptors, one
 * slot per 256 KiB slice. A small page is one slice (slot i); a medium page is
 * 2 slices and uses the slot of its first one (slot 2j). The page of a block
 * is at byte offset ((p >> 11) & slot_mask) in pages[]: slot_mask is 15 << 7
 * for small segments and 14 << 7 for medium ones (ca_page_of). The free fast
 * path uses 15 << 7 always, without reading the header (ca_slot_of): for a
 * small page that is the page; for a medium page's second slice it is the
 * unused slot 2j + 1, whose tag is CA_TAG_SECOND: it never matches, and it
 * lets the slow path step back to slot 2j without the header's mask
 * (ca_page_of_slot). (Large blocks are not in segments: large.c.) */
typedef struct ca_segment_s {
    uintptr_t slot_mask;
    uint8_t kind;                 /* CA_SEG_* */
    uint8_t in_avail;
    uint32_t npages;
    uint32_t stride;              /* slots per page: 1 small, 2 medium */
    uint32_t nfree;               /* pages on free_pages */
    struct ca_heap_s *heap;       /* owner */
    ca_page_t *free_pages;
    struct ca_segment_s *next, *prev;  /* heap->avail[kind] */
    struct ca_segment_s *all_next, *all_prev;  /* heap->segments */
    size_t map_size;              /* bytes mapped from the segment start */
    _Atomic(uint8_t) live[CA_LIVE_BYTES];   /* medium segments: ca_live_byte */
    ca_page_t pages[];            /* CA_SLICES slots */
} ca_segment_t;

typedef struct {
    ca_page_t *first, *last;
} ca_pageq_t;

/* One class's list in the medium block cache (mcache.c): what its push
 * and pop read and write, side by side. */
typedef struct {
    ca_block_t *head;                  /* links encoded with the heap's mkey; NULL: empty */
    uint32_t room;                     /* blocks it may still take */
    uint32_t size;                     /* the class's block size */
} ca_mlist_t;

/* A heap: owned by one thread at a time (or abandoned, owned by none). */
typedef struct ca_heap_s {
    ca_pageq_t queues[CA_NCLASS];      /* head = page malloc allocates from */
    uint32_t npages[CA_NCLASS];        /* pages in use per class (queued or full) */
    ca_mlist_t mcache[CA_NCLASS];      /* medium classes: recently freed blocks (mcache.c) */
    size_t mcache_bytes;
    uint64_t mcache_flushed_at;        /* mcache.c hands it back every 2 s */
    uint16_t borrowed[CA_NCLASS];      /* small classes: blocks borrowed since borrowed_since (mcache.c) */
    uint64_t borrowed_since;
    ca_page_t **direct;                /* owner's TLS direct array, or NULL */
    uintptr_t tp;                      /* owner thread pointer, 0 if abandoned */
    _Atomic(ca_page_t *) notify;       /* pages that got remote frees */
    ca_segment_t *avail[2];            /* segments with free pages, per kind */
    ca_segment_t *segments;            /* every segment the heap owns */
    size_t dirty_bytes;                /* free, unpurged page bytes */
    uint64_t now;                      /* coarse clock, refreshed on ticks */
    uint64_t rng;                      /* the pages' keys come from here */
    uint64_t mkey;                     /* the block cache's links are encoded with it */
    uint64_t dirty_since;              /* oldest unpurged free page, 0 if none */
    uint32_t ticks;
    struct ca_heap_s *next_abandoned;
    struct ca_heap_s *next_all;
    /* statistics (owner only) */
    uint64_t st_pages_init, st_pages_retired, st_pages_swept, st_slow, st_remote_frees;
} ca_heap_t;

/* Thread-local data: the direct size->page array (so malloc needs one TLS
 * load) and the heap. Initial-exec TLS only: dynamic TLS could call malloc. */
typedef struct {
    ca_page_t *direct[CA_DIRECT_COUNT];
    ca_heap_t *heap;
    bool exiting;                 /* past its exit destructor: allocates without a heap */
} ca_tld_t;

extern __thread ca_tld_t ca_tld __attribute__((tls_model("initial-exec"))) ca_hidden;
extern ca_page_t ca_page_empty ca_hidden;

/* Event counters: each layer counts its own events (relaxed atomics, slow
 * paths only); stats.c names them and writes the report. */
typedef _Atomic(uint64_t) ca_counter_t;
#define ca_count(c, n) atomic_fetch_add_explicit(&(c), (uint64_t)(n), memory_order_relaxed)

/* Adds delta to a level and raises its peak to match. */
ca_inline void ca_count_level(ca_counter_t *level, ca_counter_t *peak, int64_t delta)
{
    uint64_t now = atomic_fetch_add_explicit(level, (uint64_t)delta, memory_order_relaxed) + (uint64_t)delta;
    uint64_t top = atomic_load_explicit(peak, memory_order_relaxed);
    while ((int64_t)now > (int64_t)top &&
           !atomic_compare_exchange_weak_explicit(peak, &top, now, memory_order_relaxed, memory_order_relaxed)) {
    }
}

/* Housekeeping takes a lock only when it is free (it runs inside malloc
 * and free, and can wait for the next time); force (malloc_trim, a refused
 * mapping) waits for it. Whether the lock is now held. */
ca_inline bool ca_lock_unless_busy(pthread_mutex_t *lock, bool force)
{
    if (force) {
        pthread_mutex_lock(lock);
        return true;
    }
    return pthread_mutex_trylock(lock) == 0;
}

/* ---------------------------------------------------------------------------
 * Size classes: exact 16-byte steps to 128, then 8 per doubling (<= 12.5%).
 * ------------------------------------------------------------------------- */
/* A 64-bit mixing function (splitmix64's finalizer): keys and checks
 * derived from addresses and counters (page.c, harden.c). */
ca_inline uint64_t ca_mix64(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* Whether realloc to n bytes keeps a block of `usable` bytes in place: it
 * fits, unless that would waste more than 3/4 of the block (and at least
 * 1 KiB). realloc.c, and harden.c for its room. */
ca_inline bool ca_realloc_keeps(size_t usable, size_t n)
{
    return n <= usable && (usable <= 1024 || n >= usable / 4);
}

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

/* The class of a medium size (CA_MCACHE_MIN < size <= CA_MEDIUM_MAX), by
 * table: classes above 8 KiB are multiples of 1 KiB, so each KiB of sizes
 * lies in one class, and malloc's medium path loads it instead of
 * computing it (8 instructions fewer a pair). mcache.c builds the table from the
 * same formula; the debug build compares the two for every KiB. */
ca_hidden extern const uint8_t ca_medium_class[CA_MEDIUM_MAX >> 10];
ca_inline unsigned ca_medium_size_class(size_t size)
{
    return ca_medium_class[(size - 1) >> 10];
}

/* The block size of class c: a constant expression for a constant c, so
 * that mcache.c can build its per-class table from it. */
#define CA_CLASS_SIZE(c) \
    ((c) <= 8 ? (c) * 16u : (1u << (7 + ((c) - 9) / 8)) + (((c) - 9) % 8 + 1u) * (1u << (4 + ((c) - 9) / 8)))

ca_inline size_t ca_class_size(unsigned c)
{
    return CA_CLASS_SIZE(c);
}

/* ---------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------- */
/* The thread pointer (%fs:0 on x86-64): unique among live threads, one
 * load, cheaper than reaching the heap through TLS. */
ca_inline uintptr_t ca_thread_tp(void)
{
    return (uintptr_t)__builtin_thread_pointer();
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

ca_inline uintptr_t ca_tag_get(const ca_page_t *page)
{
    return atomic_load_explicit(&page->tag, memory_order_relaxed);
}

ca_inline void ca_tag_set(ca_page_t *page, uintptr_t tag)
{
    atomic_store_explicit(&page->tag, tag, memory_order_relaxed);
}

ca_inline ca_segment_t *ca_segment_of(const void *p)
{
    return (ca_segment_t *)((uintptr_t)p & ~(uintptr_t)CA_SEG_MASK);
}

/* A word another thread may be writing (a racing read is harmless where
 * it is used); a relaxed atomic load in the sanitizer builds, so that TSan
 * sees no race. */
ca_inline uintptr_t ca_peek_word(const void *p)
{
#if defined(__SANITIZE_THREAD__) || defined(CUSTOMALLOC_PREFIX)
    return atomic_load_explicit((_Atomic(uintptr_t) *)p, memory_order_relaxed);
#else
    return *(const uintptr_t *)p;
#endif
}

/* Whether p lies in one of our segments (segmap.c); only then may the
 * descriptors its address leads to be read. */
#define CA_ADDRESS_BITS 47      /* user addresses of x86-64 and aarch64 (48-bit VA) */
ca_hidden extern uint8_t ca_segmap[];

ca_inline bool ca_segmap_has(const void *p)
{
    const uint8_t *b = &ca_segmap[(uintptr_t)p >> CA_SEG_SHIFT];
#if defined(__SANITIZE_THREAD__) || defined(CUSTOMALLOC_PREFIX)
    return atomic_load_explicit((_Atomic(uint8_t) *)b, memory_order_relaxed) != 0;
#else
    return *b != 0;
#endif
}

#define CA_PAGE_SHIFT_IN_SLOT (CA_SLICE_SHIFT - 7)   /* 128-byte descriptors */
#define CA_SLOT_MASK_SMALL  ((uintptr_t)(CA_SLICES - 1) << 7)
#define CA_SLOT_MASK_MEDIUM ((uintptr_t)(CA_SLICES - CA_MEDIUM_STRIDE) << 7)

/* The page of p, which lies in one of our segments. */
ca_inline ca_page_t *ca_page_of(const void *p)
{
    ca_segment_t *seg = ca_segment_of(p);
    return (ca_page_t *)((uint8_t *)seg->pages + (((uintptr_t)p >> CA_PAGE_SHIFT_IN_SLOT) & seg->slot_mask));
}

/* The descriptor of p's slice from the address alone (no header load): see
 * ca_segment_t. */
ca_inline ca_page_t *ca_slot_of(const void *p)
{
    return (ca_page_t *)((uint8_t *)ca_segment_of(p)->pages + (((uintptr_t)p >> CA_PAGE_SHIFT_IN_SLOT) & CA_SLOT_MASK_SMALL));
}

/* The page of the slot ca_slot_of gave: the slot itself, or for a medium
 * page's second slice the slot before it. Reads the slot's tag, which the
 * caller has just read (same line), not the segment header. A masked
 * subtraction, not a branch (gcc made one of `? :` and of `slot - bool`):
 * which slice a medium block lies in is a coin toss, and as a branch it
 * was mispredicted on half of all medium frees (callgrind's branch
 * simulation: 0.49 M of 1 M). */
ca_inline ca_page_t *ca_page_of_slot(ca_page_t *slot)
{
    uintptr_t back = -(uintptr_t)(ca_tag_peek(slot) == CA_TAG_SECOND) & sizeof(ca_page_t);
    return (ca_page_t *)((uintptr_t)slot - back);
}

/* The i-th page of a segment (i < npages). */
ca_inline ca_page_t *ca_segment_page(ca_segment_t *seg, uint32_t i)
{
    return &seg->pages[i * seg->stride];
}

/* Which blocks of a medium segment are out (handed out, not freed by
 * anyone): the byte of the block's 8 KiB granule is 1, exact because
 * medium blocks are larger than 8 KiB, so no two starts share a granule.
 * With it a free tells a double free without reading the block, which for
 * a big heap is usually a cache miss (on mixed sizes up to 64 KiB, the one
 * load free waited for). The owner sets it on every pop and clears it on
 * a local free; another thread's free clears it with an atomic exchange,
 * so that whichever of two frees comes second sees 0, wherever each ran.
 * A byte, not a bit, so that the other thread's exchange touches no
 * neighbour's state (a bit in a shared word measured the same time: a
 * 16 KiB malloc/free loop, 8 live, 0.51 against 0.50 s). The segment's 512 bytes
 * start at one of CA_LIVE_COLOURS lines by the segment's address:
 * segments are 4 MiB-aligned, and at one fixed offset every segment's
 * lines would compete for the same cache sets. */
ca_inline _Atomic(uint8_t) *ca_live_byte(const void *b)
{
    uintptr_t a = (uintptr_t)b;
    uintptr_t colour = (a >> (CA_SEG_SHIFT - 6)) & ((CA_LIVE_COLOURS - 1) << 6);
    return &ca_segment_of(b)->live[colour + ((a >> CA_LIVE_GRANULE_SHIFT) & (CA_LIVE_GRANULES - 1))];
}
ca_inline bool ca_live_is_out(const void *b)
{
    return atomic_load_explicit(ca_live_byte(b), memory_order_relaxed) != 0;
}
ca_inline void ca_live_out(const void *b) { atomic_store_explicit(ca_live_byte(b), 1, memory_order_relaxed); }
ca_inline void ca_live_back(const void *b) { atomic_store_explicit(ca_live_byte(b), 0, memory_order_relaxed); }
/* Another thread's free of block b: whether b was out (it is not now). */
ca_inline bool ca_live_take_back(const void *b)
{
    return atomic_exchange_explicit(ca_live_byte(b), 0, memory_order_relaxed) != 0;
}
_Static_assert(CA_MCACHE_MIN == CA_SMALL_MAX && CA_MCACHE_MIN >= (1 << CA_LIVE_GRANULE_SHIFT),
               "medium blocks: one start per 8 KiB granule");

ca_inline size_t ca_align_up(size_t n, size_t a) { return (n + a - 1) & ~(a - 1); }

/* Start of the block that contains p (p may be an interior aligned pointer). */
ca_inline ca_block_t *ca_block_start(const ca_page_t *page, const void *p)
{
    size_t off = (size_t)((const uint8_t *)p - page->start);
    return (ca_block_t *)(page->start + off - off % page->block_size);
}

/* ---------------------------------------------------------------------------
 * Hardening (see DESIGN.md): links, list ends, block starts, the free mark
 * ------------------------------------------------------------------------- */

/* A free block's link: the next block xor a key, rotated left by 17. The
 * key is the page's for the page's lists, the heap's for the medium block
 * cache. The rotation puts the 17 bits that are constant in every valid
 * link (a user address has 47 bits) at the bottom: an overwrite of the
 * first bytes of a freed block (a small overflow from the block before, a
 * write after free) decodes to a value outside the user address space,
 * which malloc refuses before it makes it the list's head; the key makes
 * any value written there, a pointer included, decode to garbage. Keys
 * have bit 63 clear and CA_MARK in bits 47..54 (ca_page_key), so every
 * link starts with the byte CA_MARK, and 0 decodes to the key itself: not
 * a user address. */
ca_inline uintptr_t ca_link_encode(uint64_t key, uintptr_t next)
{
    uintptr_t x = next ^ key;
    return (x << 17) | (x >> 47);
}

ca_inline uintptr_t ca_link_decode(uint64_t key, uintptr_t link)
{
    return ((link >> 17) | (link << 47)) ^ key;
}

/* A decoded link that may be dereferenced: not 0, a user address. */
ca_inline bool ca_link_ok(uintptr_t b)
{
    return ((b - 1) >> CA_ADDRESS_BITS) == 0;
}

/* The first byte of every free block (its link's low byte: bits 47..54 of
 * every key). A constant, so that free compares it with the block's first
 * byte in one instruction; chosen among the bytes live blocks rarely start
 * with, since each that does costs free a closer look: not a pointer's low
 * byte (its low 4 bits are not 0), not a small number, not printable
 * ASCII, not 0xff. Nothing depends on its being secret: the keys are. */
#define CA_MARK 0x93

/* Every free block starts with CA_MARK (malloc clears it when it hands the
 * block out), so a block without it is certainly not free. One with it may
 * be: free's slow path then checks the whole link (ca_block_marked: 17
 * bits) and confirms by looking for the block on the lists (mcache.c,
 * ca_mcache_is_free). One byte, because the program has often just written
 * a byte there, and a wider load right after a narrower store to the same
 * address waits for the store (no forwarding). */
ca_inline bool ca_block_looks_free(const void *b)
{
    return *(const uint8_t *)b == CA_MARK;
}

/* A page's lists end at a block of our own read-only data whose link
 * decodes, under every key, to a value with bit 63 set: so malloc's one
 * check (the decoded link of the block it hands out is below ca_link_bound)
 * also stops it at the end of the list. The local lists (free_link,
 * local_free) and the remote-free list have different ends (so that a list
 * that ran into another shows it, see page.c); an empty remote-free list
 * is 0 (it is emptied by an atomic exchange). */
ca_hidden extern const ca_block_t ca_list_end[2];
#define CA_LIST_END   ((ca_block_t *)&ca_list_end[0])
#define CA_REMOTE_END ((ca_block_t *)&ca_list_end[1])

/* 2^47, in memory (page.c): malloc compares with it directly, where the
 * constant would take an instruction of its own to load. */
ca_hidden extern const uintptr_t ca_link_bound;

/* Whether p is the start of one of the page's reserved blocks: one multiply
 * and one compare, exact for every class. div_magic = 2^64 / size + 1
 * (rounded down), so for off = p - start = j * size + r the product is
 * j * e + r * div_magic (mod 2^64) with e = size * div_magic - 2^64 in
 * (0, size]: at most div_limit = (reserved - 1) * e exactly when r = 0 and
 * j < reserved; anything else (r > 0, p before start, p past the reserved
 * blocks) gives at least div_magic > 2^47. Checked for every class and
 * every offset from 64 KiB before a page to its end. */
ca_inline bool ca_page_is_block(const ca_page_t *page, const void *p)
{
    return ((uintptr_t)p - (uintptr_t)page->start) * page->div_magic <= ca_peek_word(&page->div_limit);
}

/* The unit page_sweep purges in (page.c): an OS page of 4 KiB (where the
 * kernel's are larger, nothing is swept), so a small page's purged OS pages
 * fit in one word (page->purged). */
#define CA_PURGE_SHIFT 12

/* Whether block b of a page in use starts in one of its purged OS pages:
 * then it is lost (off every list until page.c threads it again), so it
 * is not live: a free of it is a double free. Another thread's look races
 * with the owner's sweep, like its look at the lists (page.c). */
ca_inline bool ca_page_lost(const ca_page_t *page, const void *b)
{
    return (ca_peek_word(&page->purged) >> (((uintptr_t)b & (CA_SLICE_SIZE - 1)) >> CA_PURGE_SHIFT)) & 1;
}

/* Whether b's first word is a valid link under key (a free block's is):
 * the slow paths' first look, before they search the lists. */
ca_inline bool ca_block_marked(uint64_t key, const void *b)
{
    uintptr_t next = ca_link_decode(key, ca_peek_word(b));
    return next == 0 || ca_link_ok(next);   /* 0: the end of the medium block cache's lists */
}

/* Takes the first block b off a page's list, whose link decoded to next
 * (checked by the caller): the list moves on to next, and b's first word is
 * cleared (a block handed out does not start with the mark, nor with a
 * link that gives the key away). */
ca_inline void *ca_page_take(ca_page_t *page, ca_block_t *b, uintptr_t next)
{
    page->free_link = (ca_block_t *)next;
    b->link = 0;
    return b;
}

/* The owner's free of block b (a checked block start) onto the list
 * malloc pops from, LIFO: the fast path's, and a medium head's that takes
 * fast frees (ca_page_fast_frees). True when `used` reached 0 (free.c's
 * free_emptied takes it from there). */
ca_inline bool ca_page_push(ca_page_t *page, void *b)
{
    ((ca_block_t *)b)->link = ca_link_encode(page->key, (uintptr_t)page->free_link);
    page->free_link = b;
    return --page->used == 0;
}

/* The slow paths' pop from a non-empty list: the first block's link must
 * lead to one of the page's blocks or end the list (else a write after
 * free changed it: abort, naming the block), counted as out
 * (for a queue head the count is a countdown that only has to stay away
 * from 0, see page.c) and, in a medium page, marked out (ca_live_byte). */
ca_inline void *ca_page_pop(ca_page_t *page)
{
    ca_block_t *b = page->free_link;
    uintptr_t next = ca_link_decode(page->key, b->link);
    if (unlikely((ca_block_t *)next != CA_LIST_END && (!ca_link_ok(next) || !ca_page_is_block(page, (void *)next))))
        ca_os_fatal("corrupted free list", b);
    page->used++;
    if (page->block_size > CA_MCACHE_MIN) ca_live_out(b);
    return ca_page_take(page, b, next);
}

/* ---------------------------------------------------------------------------
 * The medium block cache's push and pop (mcache.c owns the cache; these two
 * are here so that malloc's and free's paths inline them)
 * ------------------------------------------------------------------------- */
#define CA_MCACHE_CLASS_BYTES (1024 * 1024)   /* per cached class */
#define CA_MCACHE_TOTAL_BYTES (16u << 20)     /* all classes together, per heap */

/* The first cached block of class c, whose list the caller saw is not
 * empty: a user address (a corrupted link decodes outside, see
 * ca_link_encode), as malloc's fast path checks. */
ca_inline void *ca_mcache_pop(ca_heap_t *heap, unsigned c)
{
    ca_mlist_t *l = &heap->mcache[c];
    ca_block_t *b = l->head;
    if (unlikely(!ca_link_ok((uintptr_t)b))) ca_os_fatal("corrupted free list", b);
    l->head = (ca_block_t *)ca_link_decode(heap->mkey, b->link);
    b->link = 0;
    ca_live_out(b);
    l->room++;
    heap->mcache_bytes -= l->size;
    return b;
}

/* free's slow path, for a local free into a MEDIUM page of class c: cache
 * block b (a block start of that page, checked). False when the cache is
 * full: the caller frees into the page. */
ca_inline bool ca_mcache_push(ca_heap_t *heap, unsigned c, ca_block_t *b)
{
    ca_mlist_t *l = &heap->mcache[c];
    if (unlikely(l->room == 0 || heap->mcache_bytes >= CA_MCACHE_TOTAL_BYTES)) return false;
    b->link = ca_link_encode(heap->mkey, (uintptr_t)l->head);
    l->head = b;
    l->room--;
    heap->mcache_bytes += l->size;
    return true;
}

/* ---------------------------------------------------------------------------
 * Each file's functions, in layer order
 * ------------------------------------------------------------------------- */
/* os.c */
typedef struct {
    ca_counter_t mmap_calls, munmap_calls, madvise_calls, mremap_calls, mprotect_calls;
    ca_counter_t mapped, mapped_peak, purged_bytes;
} ca_os_counters_t;
ca_hidden extern ca_os_counters_t ca_os_counters;
ca_hidden void *ca_os_map(size_t size);
ca_hidden void *ca_os_map_aligned(size_t size, size_t align);
ca_hidden void ca_os_unmap(void *p, size_t size);
ca_hidden void ca_os_purge(void *p, size_t size);
ca_hidden void *ca_os_map_at(void *addr, size_t size);
ca_hidden bool ca_os_move(void *from, size_t size, void *to);
ca_hidden uint64_t ca_os_now_ms(void);
ca_hidden size_t ca_os_page_size(void);
ca_hidden bool ca_os_protect(void *p, size_t size, bool access);
ca_hidden uint64_t ca_os_random(void);

/* segmap.c */
ca_hidden void ca_segmap_set(const void *seg);
ca_hidden void ca_segmap_clear(const void *seg);

/* meta.c */
ca_hidden void *ca_meta_alloc(size_t size);
ca_hidden void ca_meta_lock(void);
ca_hidden void ca_meta_unlock(void);

/* cache.c: a cache of free mappings that decays to the kernel (the
 * segment cache). */
#define CA_CACHE_SLOTS 16
typedef struct {
    void *p;
    size_t size;
    uint64_t time;                /* when it was put (ms) */
    bool dirty;                   /* not purged since it was last used */
} ca_cache_entry_t;
typedef struct {
    /* the policy, fixed */
    unsigned max_count;           /* <= CA_CACHE_SLOTS */
    size_t max_bytes;             /* all entries; a mapping above half of it is not kept */
    size_t max_dirty;             /* unpurged entries; the oldest are purged beyond it */
    uint32_t purge_ms, unmap_ms;  /* idle times after which an entry is purged, unmapped */
    void (*unmap)(void *p, size_t size);
    /* the state, under lock (fork, init.c, holds it across the call) */
    pthread_mutex_t lock;
    unsigned count;
    size_t bytes;
    ca_cache_entry_t entries[CA_CACHE_SLOTS];
} ca_cache_t;
ca_hidden void ca_cache_put(ca_cache_t *c, void *p, size_t size, bool dirty);
ca_hidden void *ca_cache_get(ca_cache_t *c, size_t need, size_t max_slack, size_t *size, bool *dirty);
ca_hidden void ca_cache_collect(ca_cache_t *c, bool force);

/* segment.c */
ca_hidden extern ca_cache_t ca_segment_cache;
ca_hidden extern ca_counter_t ca_segment_count, ca_segment_peak;
ca_hidden ca_page_t *ca_segment_page_alloc(ca_heap_t *heap, int kind, unsigned cls);
ca_hidden void ca_segment_page_free(ca_heap_t *heap, ca_page_t *page);
ca_hidden void ca_segment_purge(ca_heap_t *heap, bool all);

/* page.c */
ca_hidden void ca_page_set_direct(ca_heap_t *heap, unsigned cls);
ca_hidden ca_page_t *ca_page_find(ca_heap_t *heap, unsigned cls);
ca_hidden ca_page_t *ca_page_find_used(ca_heap_t *heap, unsigned cls);
ca_hidden void ca_page_drain_notify(ca_heap_t *heap);
ca_hidden void ca_page_free_local(ca_heap_t *heap, ca_page_t *page, ca_block_t *b);
ca_hidden void ca_page_fast_frees(ca_page_t *page);
ca_hidden void ca_page_now_empty(ca_heap_t *heap, ca_page_t *page);
ca_hidden void ca_page_release_heads(ca_heap_t *heap);
ca_hidden void ca_page_sweep(ca_heap_t *heap, size_t want);
ca_hidden void ca_page_set_aligned(ca_page_t *page, ca_block_t *b, void *aligned);
ca_hidden ca_block_t *ca_page_resolve(const ca_page_t *page, const void *p);
ca_hidden bool ca_page_holds(const ca_page_t *page, const ca_block_t *b, bool owner);
ca_hidden uint64_t ca_page_key(ca_heap_t *heap);
ca_hidden void ca_page_check_heap(ca_heap_t *heap);

/* mcache.c */
ca_hidden void *ca_mcache_malloc(ca_heap_t *heap, unsigned cls, size_t size);
ca_hidden void *ca_mcache_reuse(ca_heap_t *heap, unsigned cls, bool cached_ok);
ca_hidden bool ca_mcache_is_free(const ca_page_t *page, const ca_block_t *b, bool owner);
ca_hidden void ca_mcache_init(ca_heap_t *heap);
ca_hidden void ca_mcache_flush(ca_heap_t *heap);
ca_hidden void ca_mcache_decay(ca_heap_t *heap);

/* large.c */
ca_hidden extern ca_counter_t ca_large_allocs, ca_large_reused, ca_large_live, ca_large_dirty;
ca_hidden void *ca_large_alloc(size_t size, size_t align, size_t room);
ca_hidden void ca_large_free(void *p);
ca_hidden size_t ca_large_usable(const void *p, const char *what);
ca_hidden bool ca_large_zero(const void *p);
ca_hidden void *ca_large_resize(void *p, size_t size);
ca_hidden void ca_large_collect(bool force);
ca_hidden void ca_large_lock(void);
ca_hidden void ca_large_unlock(void);

/* heap.c */
ca_hidden extern ca_counter_t ca_heaps_created, ca_heaps_adopted, ca_heaps_abandoned;
ca_hidden ca_heap_t *ca_heap_acquire(uintptr_t tp);
ca_hidden void ca_heap_retag(ca_heap_t *heap, uintptr_t tp);
ca_hidden void ca_heap_abandon(ca_heap_t *heap);
ca_hidden void ca_heap_collect(ca_heap_t *heap, bool release_heads);
ca_hidden void ca_heap_tick(ca_heap_t *heap);
ca_hidden void ca_heap_release_unowned(void);
ca_hidden int ca_heap_trim(ca_heap_t *heap);
ca_hidden ca_heap_t *ca_heap_list(void);
ca_hidden void ca_heap_fork_prepare(void);
ca_hidden void ca_heap_fork_parent(void);
ca_hidden void ca_heap_fork_child(ca_heap_t *mine);

/* init.c */
ca_hidden ca_heap_t *ca_init_thread(void);

/* stats.c */
ca_hidden void ca_stats_init(void);
ca_hidden uint64_t ca_stats_get(const char *name);

/* alloc.c */
ca_hidden void *ca_malloc(size_t size);
ca_hidden void *ca_alloc_large(size_t size, size_t align, size_t room);
ca_hidden size_t ca_alloc_usable(void *p, const char *what);
ca_hidden void *ca_calloc(size_t n, size_t size);
ca_hidden int ca_posix_memalign(void **out, size_t align, size_t size);
ca_hidden void *ca_memalign(size_t align, size_t size);
ca_hidden void *ca_valloc(size_t size);
ca_hidden void *ca_pvalloc(size_t size);
ca_hidden size_t ca_malloc_usable_size(void *p);

/* free.c */
ca_hidden void ca_free(void *p);

/* realloc.c */
ca_hidden void *ca_realloc(void *p, size_t size);
ca_hidden void *ca_reallocarray(void *p, size_t n, size_t size);

#endif
