/* large.c: blocks above CA_MEDIUM_MAX, aligned blocks that do not fit a
 * page, and what a thread allocates after its exit destructor: spans of
 * whole OS pages carved from the large arena, address space this file maps
 * in regions of whole 4 MiB granules. Large blocks are not in the segment
 * map (free's fast path sends them to free_unmapped, which asks here): a
 * bitmap of granules says which addresses are the arena's, and a block
 * starts LARGE_HDR bytes after its header, which a keyed hash of its fields
 * and its address protects. So a pointer is recognised as a live block (or
 * a freed one: "double free") with two bit tests and one hash, without a
 * lock or a table, and anything else is refused.
 *
 * The free spans sit in an array sorted by address, each merged with its
 * free neighbours. An allocation takes the first span that fits, in
 * address order (first_fit), so big blocks of any size reuse each
 * other's memory with neither system calls nor page faults; a block grows
 * in place into the free span after it (realloc), and one that must move
 * moves its pages (mremap) instead of copying them.
 *
 * Memory return, without a timer (the process may be idle): the resident
 * bytes of the free spans (their dirty ranges: every page freed and not
 * purged since, an upper bound) are kept within the peak of the live large bytes over the current and the previous decay
 * period plus LARGE_KEEP; a free beyond that purges the oldest spans. So a
 * program that frees its big blocks and allocates them again (a loop, a
 * benchmark's repetitions) keeps its memory and takes no faults, while one
 * whose large use shrinks gives it back at its first large call one to two
 * periods later. A freed block above LARGE_RETURN is purged at once (as
 * glibc unmaps its mmapped chunks above 32 MiB), so an idle process keeps
 * none of it. Housekeeping purges spans idle for CA_DECAY_MS and unmaps
 * the whole granules of those idle for LARGE_UNMAP_MS; malloc_trim and a
 * refused mapping (an address-space limit) unmap every free granule now.
 *
 * Invariants: a granule's bit is set exactly while the granule is mapped,
 * every byte of it in a free span or a live block's span; spans are
 * disjoint and never adjacent; dirty ranges are disjoint, never adjacent,
 * and each lies in one free span; a free span's bytes outside them are not
 * resident (read as zero); dirty_bytes is the sum of their lengths;
 * spans_cap >= nspans + nlive + 1, so that a free (which adds at most one
 * span and takes one live block away) never needs memory for its span (a
 * free whose dirty range finds no room purges it instead). */
#include "internal.h"

#define GRANULE_SHIFT CA_SEG_SHIFT
#define GRANULE       ((size_t)1 << GRANULE_SHIFT)
#define LARGE_HDR     64                    /* header bytes before a block (its alignment, at least) */
#define REGION_MIN    ((size_t)64 << 20)    /* the arena grows by at least this much address space */
#define LARGE_KEEP    ((size_t)32 << 20)    /* resident free bytes kept beyond the recent live peak */
#define LARGE_RETURN  ((size_t)32 << 20)    /* a freed block above this is purged at once */
#define LARGE_UNMAP_MS (4 * CA_DECAY_MS)    /* free spans idle this long give their granules back */
#define SHRINK_MIN    ((size_t)64 << 10)    /* a shrinking block gives back a tail of at least this */
#define REMAP_MIN     ((size_t)1 << 20)     /* a moving block at least this big moves its pages */

/* A block's header, the LARGE_HDR bytes before it. */
typedef struct {
    uint64_t check;     /* hdr_check of the fields and the block's address */
    size_t span;        /* bytes of the block's span, from its start */
    uint32_t off;       /* the block's offset in its span */
    uint8_t live;       /* 0: freed (kept so that a second free says so) */
    uint8_t zero;       /* the span was clean when the block was carved */
} large_hdr_t;
_Static_assert(sizeof(large_hdr_t) <= LARGE_HDR, "the header fits before the block");

/* A free span. */
typedef struct {
    uintptr_t start, end;
    uint64_t time;      /* when a block was last freed into it (ms) */
} large_span_t;

/* A dirty range: free pages that may be resident (blocks freed, tails
 * given back, not purged since), in an array of their own sorted by
 * address, so that a span holds any number of them exactly. One range per
 * span, the hull of what was freed into it, was tried first: blocks that
 * grow (realloc's) are carved at a span's start and the others at its
 * end, so the hull of a fresh 64 MiB region took in all of it, and every
 * free of one 256 KiB block (python's replay) purged 32 MiB of it, the
 * block's own pages with it, which the next calloc faulted in again. */
typedef struct {
    uintptr_t lo, hi;
    uint64_t time;      /* when its latest bytes were freed (ms) */
} large_dirty_t;

static pthread_mutex_t large_lock = PTHREAD_MUTEX_INITIALIZER;
static large_span_t *spans;           /* free spans, sorted by address */
static size_t nspans, spans_cap;
static large_dirty_t *dirty;          /* dirty ranges, sorted by address */
static size_t ndirty, dirty_cap;
static size_t nlive, live_bytes, dirty_bytes;
static size_t peak_now, peak_before;  /* live bytes' peak in this decay period, in the one before */
static uint64_t period_start;
static uint64_t large_key;            /* random, never 0 once a block exists */
static uint8_t granules[(size_t)1 << (CA_ADDRESS_BITS - GRANULE_SHIFT - 3)];

ca_counter_t ca_large_allocs, ca_large_reused, ca_large_live, ca_large_dirty;

void ca_large_lock(void) { pthread_mutex_lock(&large_lock); }
void ca_large_unlock(void) { pthread_mutex_unlock(&large_lock); }

/* ---------------------------------------------------------------------------
 * Granules and headers: what is ours, read without the lock
 * ------------------------------------------------------------------------- */
ca_inline bool granule_ours(uintptr_t a)
{
    size_t g = a >> GRANULE_SHIFT;
    if (g >= sizeof granules * 8) return false;
    uint8_t bits = atomic_load_explicit((_Atomic(uint8_t) *)&granules[g >> 3], memory_order_relaxed);
    return (bits >> (g & 7)) & 1;
}

static void granules_mark(uintptr_t a, size_t size, bool ours)
{
    for (size_t g = a >> GRANULE_SHIFT; g < (a + size) >> GRANULE_SHIFT; g++) {
        _Atomic(uint8_t) *bits = (_Atomic(uint8_t) *)&granules[g >> 3];
        uint8_t bit = (uint8_t)(1u << (g & 7));
        if (ours)
            atomic_fetch_or_explicit(bits, bit, memory_order_relaxed);
        else
            atomic_fetch_and_explicit(bits, (uint8_t)~bit, memory_order_relaxed);
    }
}

/* The header's check: the block's address and the small fields packed
 * into one word (a user address has 47 bits; off is a multiple of
 * LARGE_HDR below a page and a header), keyed, mixed with the span. Two
 * multiplies: it sits on realloc's path. */
ca_inline uint64_t hdr_check(uintptr_t p, const large_hdr_t *h)
{
    uint64_t w = p | (uint64_t)(h->off / LARGE_HDR) << 47 | (uint64_t)h->live << 62 | (uint64_t)h->zero << 63;
    return ((w ^ large_key) * 0x9E3779B97F4A7C15ull) ^ (h->span * 0xBF58476D1CE4E5B9ull);
}

static large_hdr_t *hdr_at(uintptr_t p)
{
    return (large_hdr_t *)(p - LARGE_HDR);
}

static void hdr_write(uintptr_t p, size_t span, uint32_t off, bool live, bool zero)
{
    large_hdr_t *h = hdr_at(p);
    h->span = span;
    h->off = off;
    h->live = live;
    h->zero = zero;
    h->check = hdr_check(p, h);
}

/* The header of the live block p; anything else aborts: "<what>", or
 * "<freed>" for a block freed before (while its header lasts). */
ca_inline large_hdr_t *hdr_live(const void *ptr, const char *what, const char *freed)
{
    uintptr_t p = (uintptr_t)ptr;
    /* (the header is in p's granule unless p is at its very start) */
    if ((p & (LARGE_HDR - 1)) != 0 || !granule_ours(p) ||
        ((p & (GRANULE - 1)) < LARGE_HDR && !granule_ours(p - LARGE_HDR)))
        ca_os_fatal(what, ptr);
    large_hdr_t *h = hdr_at(p);
    if (h->check != hdr_check(p, h)) ca_os_fatal(what, ptr);
    if (!h->live) ca_os_fatal(freed, ptr);
    return h;
}

/* ---------------------------------------------------------------------------
 * Free spans (under the lock)
 * ------------------------------------------------------------------------- */
static void count_levels(void)
{
    atomic_store_explicit(&ca_large_live, live_bytes, memory_order_relaxed);
    atomic_store_explicit(&ca_large_dirty, dirty_bytes, memory_order_relaxed);
}

/* The first of n records of `size` bytes, sorted by the address at byte
 * `off` of each, whose address is at or after a. */
static size_t sorted_index(const void *base, size_t n, size_t size, size_t off, uintptr_t a)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        uintptr_t key;
        memcpy(&key, (const char *)base + mid * size + off, sizeof key);
        if (key < a) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* The first span that starts at or after a. */
static size_t span_index(uintptr_t a)
{
    return sorted_index(spans, nspans, sizeof *spans, offsetof(large_span_t, start), a);
}

/* Room for `want` elements of `size` bytes in the array *a of *cap, of
 * which `used` are in use (false: no memory). */
static bool array_reserve(void **a, size_t *cap, size_t used, size_t want, size_t size)
{
    if (want <= *cap) return true;
    size_t grown_cap = *cap ? *cap : 256;
    while (grown_cap < want) grown_cap *= 2;
    void *grown = ca_os_map(grown_cap * size);
    if (grown == NULL) return false;
    if (*a) {
        memcpy(grown, *a, used * size);
        ca_os_unmap(*a, *cap * size);
    }
    *a = grown;
    *cap = grown_cap;
    return true;
}

/* Room for `more` spans beyond nspans + nlive (false: no memory). */
static bool spans_reserve(size_t more)
{
    return array_reserve((void **)&spans, &spans_cap, nspans, nspans + nlive + more, sizeof *spans);
}

static void span_remove(size_t i)
{
    memmove(&spans[i], &spans[i + 1], (nspans - i - 1) * sizeof *spans);
    nspans--;
}

static void span_insert(size_t i, large_span_t s)
{
    memmove(&spans[i + 1], &spans[i], (nspans - i) * sizeof *spans);
    spans[i] = s;
    nspans++;
}

/* The first dirty range that ends at or after a. */
static size_t dirty_index(uintptr_t a)
{
    return sorted_index(dirty, ndirty, sizeof *dirty, offsetof(large_dirty_t, hi), a);
}

/* Replaces the dirty ranges [i, j) by d (i == j: inserts it; false: no
 * room for it). */
static bool dirty_replace(size_t i, size_t j, large_dirty_t d)
{
    if (i == j && !array_reserve((void **)&dirty, &dirty_cap, ndirty, ndirty + 1, sizeof *dirty)) return false;
    memmove(&dirty[i + 1], &dirty[j], (ndirty - j) * sizeof *dirty);
    ndirty = ndirty + 1 - (j - i);
    dirty[i] = d;
    return true;
}

/* [lo, hi), free now, may be resident: one range with the ranges it
 * touches; purged at once when there is no room for it. */
static void dirty_add(uintptr_t lo, uintptr_t hi, uint64_t now)
{
    if (lo == hi) return;
    size_t i = dirty_index(lo), j = i;
    large_dirty_t d = {lo, hi, now};
    for (; j < ndirty && dirty[j].lo <= hi; j++) {
        if (dirty[j].lo < d.lo) d.lo = dirty[j].lo;
        if (dirty[j].hi > d.hi) d.hi = dirty[j].hi;
        dirty_bytes -= dirty[j].hi - dirty[j].lo;
    }
    if (dirty_replace(i, j, d)) {
        dirty_bytes += d.hi - d.lo;
        return;
    }
    ca_os_purge((void *)lo, hi - lo);
}

/* Takes [lo, hi) out of the dirty ranges; returns whether none had any of
 * it (it is known to be zero). A range left on both sides of it is split,
 * or, without room for the second piece, purged above hi. */
static bool dirty_cut(uintptr_t lo, uintptr_t hi)
{
    size_t i = dirty_index(lo + 1);
    bool zero = true;
    while (i < ndirty && dirty[i].lo < hi) {
        large_dirty_t d = dirty[i];
        zero = false;
        dirty_bytes -= (d.hi < hi ? d.hi : hi) - (d.lo > lo ? d.lo : lo);
        if (d.lo < lo && d.hi > hi) {
            if (!dirty_replace(i + 1, i + 1, (large_dirty_t){hi, d.hi, d.time})) {
                ca_os_purge((void *)hi, d.hi - hi);
                dirty_bytes -= d.hi - hi;
            }
            dirty[i].hi = lo;
            break;
        }
        if (d.lo < lo) {
            dirty[i++].hi = lo;
        } else if (d.hi > hi) {
            dirty[i].lo = hi;
            break;
        } else {
            memmove(&dirty[i], &dirty[i + 1], (ndirty - i - 1) * sizeof *dirty);
            ndirty--;
        }
    }
    return zero;
}

/* Purges what is dirty in [lo, hi) (no range reaches past both ends). */
static void dirty_purge(uintptr_t lo, uintptr_t hi)
{
    for (size_t i = dirty_index(lo + 1); i < ndirty && dirty[i].lo < hi; i++) {
        uintptr_t a = dirty[i].lo > lo ? dirty[i].lo : lo, b = dirty[i].hi < hi ? dirty[i].hi : hi;
        ca_os_purge((void *)a, b - a);
    }
    dirty_cut(lo, hi);
}

/* A piece [a, b) of span sp. */
static large_span_t span_piece(const large_span_t *sp, uintptr_t a, uintptr_t b)
{
    return (large_span_t){a, b, sp->time};
}

/* [s, e) is free now, resident at most in [dlo, dhi): a span of its own or
 * merged into its neighbours. */
static void span_put(uintptr_t s, uintptr_t e, uintptr_t dlo, uintptr_t dhi, uint64_t now)
{
    size_t i = span_index(s);
    bool left = i > 0 && spans[i - 1].end == s, right = i < nspans && spans[i].start == e;
    large_span_t sp = {s, e, now};
    if (left) {
        sp.start = spans[i - 1].start;
        span_remove(--i);
    }
    if (right) {
        sp.end = spans[i].end;
        span_remove(i);
    }
    span_insert(i, sp);
    dirty_add(dlo, dhi, now);
}

/* Takes [s, e) out of span i, which holds it; returns whether that memory
 * is known to be zero. The pieces left on either side keep the span's
 * time. */
static bool span_take(size_t i, uintptr_t s, uintptr_t e)
{
    large_span_t sp = spans[i];
    span_remove(i);
    if (e < sp.end) span_insert(i, span_piece(&sp, e, sp.end));
    if (sp.start < s) span_insert(i, span_piece(&sp, sp.start, s));
    return dirty_cut(s, e);
}

static void span_purge(const large_span_t *sp)
{
    dirty_purge(sp->start, sp->end);
}

/* Unmaps the whole granules inside span i (purging what is left around
 * them, which stays mapped); returns how many spans are left in its place
 * (0 to 2), or 1 when there was no granule to give back or no room for a
 * second span. */
static size_t span_release(size_t i)
{
    span_purge(&spans[i]);
    large_span_t sp = spans[i];
    uintptr_t g1 = ca_align_up(sp.start, GRANULE), g2 = sp.end & ~(GRANULE - 1);
    if (g1 >= g2 || (g1 > sp.start && g2 < sp.end && !spans_reserve(1))) return 1;
    granules_mark(g1, g2 - g1, false);
    ca_os_unmap((void *)g1, g2 - g1);
    span_remove(i);
    size_t left = 0;
    if (g2 < sp.end) span_insert(i, span_piece(&sp, g2, sp.end)), left++;
    if (g1 > sp.start) span_insert(i, span_piece(&sp, sp.start, g1)), left++;
    return left;
}

/* ---------------------------------------------------------------------------
 * Memory return (under the lock)
 * ------------------------------------------------------------------------- */

/* The live bytes' peak over the current and the previous decay period. */
static void note_live(uint64_t now)
{
    if (now - period_start >= CA_DECAY_MS) {
        peak_before = now - period_start >= 2 * CA_DECAY_MS ? live_bytes : peak_now;
        peak_now = live_bytes;
        period_start = now;
    }
    if (live_bytes > peak_now) peak_now = live_bytes;
    count_levels();
}

/* Purges the oldest dirty ranges (from their end) until the resident
 * free bytes are within the recent live peak plus LARGE_KEEP. */
static void keep_bound(void)
{
    size_t keep = (peak_now > peak_before ? peak_now : peak_before) + LARGE_KEEP;
    while (dirty_bytes > keep) {
        ca_assert(ndirty > 0);
        size_t old = 0;
        for (size_t i = 1; i < ndirty; i++)
            if (dirty[i].time < dirty[old].time) old = i;
        size_t excess = ca_align_up(dirty_bytes - keep, ca_os_page_size());
        uintptr_t lo = dirty[old].lo, hi = dirty[old].hi;
        dirty_purge(excess < hi - lo ? hi - excess : lo, hi);
    }
    count_levels();
}

/* Housekeeping's decay (skipped when another thread holds the lock), or,
 * with force, everything free back to the kernel now. */
void ca_large_collect(bool force)
{
    uint64_t now = ca_os_now_ms();
    if (!ca_lock_unless_busy(&large_lock, force))
        return;
    note_live(now);
    for (size_t i = 0; i < nspans;) {
        uint64_t idle = now - spans[i].time;
        if (force || idle >= LARGE_UNMAP_MS) {
            i += span_release(i);
            continue;
        }
        if (idle >= CA_DECAY_MS) span_purge(&spans[i]);
        i++;
    }
    keep_bound();
    pthread_mutex_unlock(&large_lock);
}

/* ---------------------------------------------------------------------------
 * Allocation (under the lock)
 * ------------------------------------------------------------------------- */

/* Where a block of `size` bytes at `align`, with `room` bytes to spare
 * after it, lies in span sp: its pointer, or 0 when it does not fit. A
 * block that asks for neither goes at the span's end (its pointer
 * LARGE_HDR bytes into a page, like every unaligned block's, so that
 * mremap can move it onto any other): the free part of a region stays at
 * its start, which the next region the kernel maps (below it) joins. */
static uintptr_t span_fit(const large_span_t *sp, size_t size, size_t align, size_t room)
{
    if (room == 0 && align == LARGE_HDR) {
        if (sp->end - sp->start < size + LARGE_HDR) return 0;
        return ((sp->end - size - LARGE_HDR) & ~(ca_os_page_size() - 1)) + LARGE_HDR;
    }
    uintptr_t p = ca_align_up(sp->start + LARGE_HDR, align);
    return p <= sp->end && sp->end - p >= size && sp->end - p - size >= room ? p : 0;
}

/* Maps a region for `size` bytes at align (at least REGION_MIN, else just
 * enough) and makes it a free span; returns the index of the span that
 * holds it, or nspans when the kernel refuses. */
static size_t arena_grow(size_t size, size_t align, uint64_t now)
{
    size_t need = ca_align_up(size + align + LARGE_HDR, GRANULE);
    size_t want = need > REGION_MIN ? need : REGION_MIN;
    void *r = ca_os_map_aligned(want, GRANULE);
    if (r == NULL && want > need) r = ca_os_map_aligned(want = need, GRANULE);
    if (r == NULL) return nspans;
    granules_mark((uintptr_t)r, want, true);
    span_put((uintptr_t)r, (uintptr_t)r + want, 0, 0, now);
    return span_index((uintptr_t)r + 1) - 1;
}

/* The highest span that holds a block of `size` bytes at `align` with
 * `room` bytes to spare after it, or nspans; *p: where the block would lie
 * in it. Address-ordered first fit, from the end at which the arena does
 * not grow (the kernel maps new regions below old ones): on the `large`
 * benchmark's ring of blocks it kept the peak RSS within 1.07 to 1.29 of
 * the peak of live bytes, where best fit (the smallest span) took 1.15 to
 * 1.52, and it stops at the first span that fits. */
static size_t first_fit(size_t size, size_t align, size_t room, uintptr_t *p)
{
    for (size_t i = nspans; i-- > 0;) {
        *p = span_fit(&spans[i], size, align, room);
        if (*p) return i;
    }
    return nspans;
}

/* A live block of `size` bytes at `align`, its header written: carved from
 * the first span that fits (preferring one with `room` bytes to spare
 * after it: a growing block may then grow in place), else from a new
 * region. 0 when the kernel refuses memory. */
static uintptr_t arena_take(size_t size, size_t align, size_t room, uint64_t now)
{
    uintptr_t p = 0;
    size_t i = first_fit(size, align, room, &p);
    if (i == nspans && room) i = first_fit(size, align, 0, &p);
    if (i < nspans) {
        ca_count(ca_large_reused, 1);
    } else {
        i = arena_grow(size + room, align, now);
        if (i == nspans) return 0;
        p = span_fit(&spans[i], size, align, room);
    }
    size_t ps = ca_os_page_size();
    uintptr_t s = (p - LARGE_HDR) & ~(ps - 1), e = ca_align_up(p + size, ps);
    bool zero = span_take(i, s, e);
    nlive++;
    live_bytes += e - s;
    hdr_write(p, e - s, (uint32_t)(p - s), true, zero);
    return p;
}

/* The checks every entry point makes on a request (sizes near PTRDIFF_MAX
 * fail), and the key made on the first. */
static bool request_ok(size_t size, size_t align)
{
    if (size > PTRDIFF_MAX - align - 2 * GRANULE) {
        errno = ENOMEM;
        return false;
    }
    if (unlikely(large_key == 0)) large_key = ca_os_random() | 1;
    return true;
}

/* A block of `size` bytes at `align` (0 or <= 16: none beyond the
 * header's), preferably with `room` bytes free after it to grow into
 * (realloc's blocks). NULL when the kernel refuses memory. */
void *ca_large_alloc(size_t size, size_t align, size_t room)
{
    if (align < LARGE_HDR) align = LARGE_HDR;
    if (size == 0) size = 1;   /* the pointer lies inside its span */
    if (size > PTRDIFF_MAX / 4 || room > PTRDIFF_MAX / 4) room = 0;
    ca_count(ca_large_allocs, 1);
    uint64_t now = ca_os_now_ms();
    pthread_mutex_lock(&large_lock);
    uintptr_t p = 0;
    if (request_ok(size, align) && spans_reserve(4)) p = arena_take(size, align, room, now);
    note_live(now);
    pthread_mutex_unlock(&large_lock);
    if (p == 0) errno = ENOMEM;
    return (void *)p;
}

/* ---------------------------------------------------------------------------
 * Free, usable size, calloc's question
 * ------------------------------------------------------------------------- */

/* Frees the live block p, span [s, e) (under the lock); `dirty`: whether
 * it may be resident. Its header, when it is still there (h not NULL),
 * says it was freed, so that a second free says so too. */
static void block_free(large_hdr_t *h, uintptr_t p, uintptr_t s, uintptr_t e, bool dirty, uint64_t now)
{
    if (h) {
        h->live = 0;
        h->check = hdr_check(p, h);
    }
    nlive--;
    live_bytes -= e - s;
    uintptr_t dhi = dirty ? e : s;
    if (dirty && e - s > LARGE_RETURN) {
        /* all but the header's page */
        dhi = s + ca_os_page_size();
        ca_os_purge((void *)dhi, e - dhi);
    }
    span_put(s, e, s, dhi, now);
    note_live(now);
    keep_bound();
}

void ca_large_free(void *p)
{
    large_hdr_t *h = hdr_live(p, "invalid free", "double free");
    uint64_t now = ca_os_now_ms();
    pthread_mutex_lock(&large_lock);
    bool live = h->live;   /* a double free racing with this one */
    if (live) block_free(h, (uintptr_t)p, (uintptr_t)p - h->off, (uintptr_t)p - h->off + h->span, true, now);
    pthread_mutex_unlock(&large_lock);
    if (!live) ca_os_fatal("double free", p);
}

size_t ca_large_usable(const void *p, const char *what)
{
    const large_hdr_t *h = hdr_live(p, what, what);
    return h->span - h->off;
}

/* calloc: whether the live block p is known to be zero. Only above 1 MiB:
 * a smaller block is touched by the memset at once anyway (the caller is
 * about to use it), a bigger one is left to fault in lazily. */
bool ca_large_zero(const void *p)
{
    const large_hdr_t *h = hdr_at((uintptr_t)p);
    return h->zero && h->span > ((size_t)1 << 20);
}

/* ---------------------------------------------------------------------------
 * realloc: in place, else moved
 * ------------------------------------------------------------------------- */

/* Extends the live block p (header h, span ending at e) to end at least at
 * `need` (page-aligned), with up to `slack` bytes more, from the free span
 * after it; or, when its span ends at the end of the arena's address space,
 * from a region mapped right there. Under the lock. */
static bool grow_in_place(large_hdr_t *h, uintptr_t p, uintptr_t e, uintptr_t need, size_t slack, uint64_t now)
{
    size_t i = span_index(e);
    if (!(i < nspans && spans[i].start == e)) {
        if ((e & (GRANULE - 1)) != 0 || granule_ours(e)) return false;
        size_t want = ca_align_up(need + slack - e, GRANULE);
        if (!spans_reserve(1) || ca_os_map_at((void *)e, want) == NULL) return false;
        granules_mark(e, want, true);
        span_put(e, e + want, 0, 0, now);
        i = span_index(e);
    }
    if (spans[i].end < need) return false;
    uintptr_t to = ca_align_up(need + slack, ca_os_page_size());
    if (to > spans[i].end) to = spans[i].end;
    span_take(i, e, to);
    live_bytes += to - e;
    hdr_write(p, h->span + (to - e), h->off, true, false);
    note_live(now);
    return true;
}

/* Moves the live block p (header h) to a new block of `size` bytes: its
 * pages when it is big (mremap; the old span is left clean, its header
 * gone with its pages), else a copy. NULL when there is no memory (p is
 * left as it was). */
static void *move_block(large_hdr_t *h, uintptr_t p, size_t size, uint64_t now)
{
    large_hdr_t old = *h;
    uintptr_t s = p - old.off, e = s + old.span;
    size_t usable = old.span - old.off;
    pthread_mutex_lock(&large_lock);
    uintptr_t q = spans_reserve(4) ? arena_take(size, LARGE_HDR, size < PTRDIFF_MAX / 4 ? size / 2 : 0, now) : 0;
    note_live(now);
    pthread_mutex_unlock(&large_lock);
    if (q == 0) {
        errno = ENOMEM;
        return NULL;
    }
    large_hdr_t *qh = hdr_at(q), fresh = *qh;
    bool dirty = true;
    if (old.off == LARGE_HDR && usable >= REMAP_MIN && ca_os_move((void *)s, old.span, (void *)(q - LARGE_HDR))) {
        *qh = fresh;   /* the old header came along with its page */
        h = NULL;
        dirty = false;
    } else {
        memcpy((void *)q, (void *)p, usable < size ? usable : size);
    }
    pthread_mutex_lock(&large_lock);
    block_free(h, p, s, e, dirty, now);
    pthread_mutex_unlock(&large_lock);
    return (void *)q;
}

/* ca_large_resize past its common case: a tail to give back, or growth. */
static ca_noinline void *resize_slow(large_hdr_t *h, void *ptr, size_t size)
{
    uintptr_t p = (uintptr_t)ptr;
    if (size > PTRDIFF_MAX - 2 * GRANULE) {
        errno = ENOMEM;
        return NULL;
    }
    uintptr_t s = p - h->off, e = s + h->span;
    uintptr_t need = ca_align_up(p + size, ca_os_page_size());
    uint64_t now = ca_os_now_ms();
    if (need <= e) {
        /* shrink in place; the tail goes back when it is worth a span */
        size_t tail = e - need;
        if (tail >= SHRINK_MIN && tail >= h->span / 8) {
            pthread_mutex_lock(&large_lock);
            if (spans_reserve(1)) {
                hdr_write(p, need - s, h->off, true, false);
                live_bytes -= tail;
                span_put(need, e, need, e, now);
                note_live(now);
            }
            pthread_mutex_unlock(&large_lock);
        }
        return ptr;
    }
    pthread_mutex_lock(&large_lock);
    bool grown = grow_in_place(h, p, e, need, (need - s) / 8, now);
    pthread_mutex_unlock(&large_lock);
    return grown ? ptr : move_block(h, p, size, now);
}

/* realloc of a large block: its own check of p, then the common case (in
 * place, no tail worth giving back: see resize_slow) without a call. */
void *ca_large_resize(void *p, size_t size)
{
    large_hdr_t *h = hdr_live(p, "invalid realloc", "invalid realloc");
    size_t usable = h->span - h->off;
    if (likely(size <= usable && (usable - size < SHRINK_MIN || usable - size < h->span / 8))) return p;
    return resize_slow(h, p, size);
}
