/* segment.c: where pages come from. A segment is CA_SEG_SIZE bytes aligned
 * to its size, owned by one heap, cut into 16 small pages (256 KiB) or 8
 * medium pages (512 KiB); page 0 is shortened by the header. Free pages stay
 * in their segment (dirty, with the time they were freed) until the heap
 * reuses them or purges them (ca_segment_purge); a segment whose pages are
 * all free goes to the cache of empty segments, which decays to the kernel.
 * A class that needs a page takes the one it left unpurged itself, else,
 * for its first page, a clean one (ca_segment_page_alloc). */
#include "internal.h"

#define SEG_CACHE_COUNT 8                   /* empty segments kept mapped */
#define SEG_CACHE_DIRTY ((size_t)8 << 20)   /* of which at most this much unpurged */
#define SCAN_SEGMENTS   4                   /* a class looks for its own free page in this many */

ca_counter_t ca_segment_count, ca_segment_peak;   /* mapped, cached ones included */

static void segment_unmap(void *seg, size_t size)
{
    ca_count_level(&ca_segment_count, &ca_segment_peak, -1);
    ca_segmap_clear(seg);
    ca_os_unmap(seg, size);
}

ca_cache_t ca_segment_cache = {
    .max_count = SEG_CACHE_COUNT,
    .max_bytes = SEG_CACHE_COUNT * CA_SEG_SIZE,
    .max_dirty = SEG_CACHE_DIRTY,
    .purge_ms = CA_DECAY_MS,
    .unmap_ms = 4 * CA_DECAY_MS,
    .unmap = segment_unmap,
    .lock = PTHREAD_MUTEX_INITIALIZER,
};

static size_t header_size(void)
{
    return ca_align_up(sizeof(ca_segment_t) + CA_SLICES * sizeof(ca_page_t), 4096);
}

/* ---------------------------------------------------------------------------
 * A heap's segments
 * ------------------------------------------------------------------------- */
static void avail_add(ca_heap_t *heap, ca_segment_t *seg)
{
    ca_segment_t **head = &heap->avail[seg->kind];
    seg->prev = NULL;
    seg->next = *head;
    if (*head) (*head)->prev = seg;
    *head = seg;
    seg->in_avail = 1;
}

static void avail_remove(ca_heap_t *heap, ca_segment_t *seg)
{
    if (seg->prev) seg->prev->next = seg->next;
    else heap->avail[seg->kind] = seg->next;
    if (seg->next) seg->next->prev = seg->prev;
    seg->next = seg->prev = NULL;
    seg->in_avail = 0;
}

static void note_dirty(ca_heap_t *heap, size_t bytes)
{
    if (heap->dirty_bytes == 0) heap->dirty_since = heap->now;
    heap->dirty_bytes += bytes;
}

/* A segment cut into free pages of the given kind: a cached one, else a new
 * mapping (NULL when the kernel refuses it; alloc.c then gives back what
 * no live heap holds and tries again), which is entered in the segment map. */
static ca_segment_t *segment_new(ca_heap_t *heap, int kind)
{
    bool dirty = false;
    size_t size = 0;
    ca_segment_t *seg = ca_cache_get(&ca_segment_cache, CA_SEG_SIZE, 0, &size, &dirty);
    if (seg == NULL) {
        seg = ca_os_map_aligned(CA_SEG_SIZE, CA_SEG_SIZE);
        if (seg == NULL) return NULL;
        ca_segmap_set(seg);
        ca_count_level(&ca_segment_count, &ca_segment_peak, 1);
    }
    size_t hdr = header_size();
    size_t psize = kind == CA_SEG_SMALL ? CA_SMALL_PAGE : CA_MEDIUM_PAGE;
    uint32_t npages = (uint32_t)(CA_SEG_SIZE / psize);
    memset(seg, 0, hdr);
    seg->kind = (uint8_t)kind;
    seg->heap = heap;
    seg->npages = npages;
    seg->map_size = CA_SEG_SIZE;
    seg->stride = (uint32_t)(psize / CA_SLICE_SIZE);
    seg->slot_mask = kind == CA_SEG_SMALL ? CA_SLOT_MASK_SMALL : CA_SLOT_MASK_MEDIUM;
    for (uint32_t i = npages; i-- > 0;) {
        ca_page_t *page = ca_segment_page(seg, i);
        if (seg->stride == 2) ca_tag_set(page + 1, CA_TAG_SECOND);
        uint8_t *area = (uint8_t *)seg + (size_t)i * psize;
        page->start = i == 0 ? (uint8_t *)seg + hdr : area;
        page->area = (uint32_t)(i == 0 ? psize - hdr : psize);
        page->state = dirty ? CA_PAGE_FREE_DIRTY : CA_PAGE_FREE_CLEAN;
        page->retire_time = heap->now;
        page->next = seg->free_pages;
        seg->free_pages = page;
        if (dirty) note_dirty(heap, page->area);
    }
    seg->nfree = npages;
    avail_add(heap, seg);
    seg->all_prev = NULL;
    seg->all_next = heap->segments;
    if (heap->segments) heap->segments->all_prev = seg;
    heap->segments = seg;
    return seg;
}

/* Whether a free page suits class cls better than the first free page:
 * one it left unpurged itself (what is resident there is what that class
 * touched), or, for a class without a page yet, one that holds nothing
 * resident. A dirty page is what another class touched: a class that
 * then uses a few blocks of it keeps the rest resident for nothing, and
 * the class that left it touches a page more of its own when it comes
 * back (sqlite's replay had pages with 3 blocks of 1920 bytes holding 252
 * KiB, left by 4608-byte blocks). */
static bool page_suits(const ca_heap_t *heap, const ca_page_t *page, unsigned cls)
{
    if (page->state == CA_PAGE_FREE_DIRTY) return page->cls == cls;
    return heap->npages[cls] == 0;
}

/* The free page that suits class cls (page_suits) in the first
 * SCAN_SEGMENTS segments of the heap with free pages of this kind (NULL:
 * none), taken off its segment's free list. */
static ca_page_t *take_suited(ca_heap_t *heap, int kind, unsigned cls, ca_segment_t **segp)
{
    unsigned n = 0;
    for (ca_segment_t *seg = heap->avail[kind]; seg != NULL && n < SCAN_SEGMENTS; seg = seg->next, n++) {
        for (ca_page_t **link = &seg->free_pages; *link != NULL; link = &(*link)->next) {
            ca_page_t *page = *link;
            if (!page_suits(heap, page, cls)) continue;
            *link = page->next;
            *segp = seg;
            return page;
        }
    }
    return NULL;
}

/* A free page of the given kind for class cls of this heap, taken from one
 * of its own segments: one that suits it, else the first free one (a new
 * segment when none has room). */
ca_page_t *ca_segment_page_alloc(ca_heap_t *heap, int kind, unsigned cls)
{
    ca_segment_t *seg = NULL;
    ca_page_t *page = take_suited(heap, kind, cls, &seg);
    if (page == NULL) {
        seg = heap->avail[kind];
        if (seg == NULL) {
            seg = segment_new(heap, kind);
            if (seg == NULL) return NULL;
        }
        page = seg->free_pages;
        seg->free_pages = page->next;
    }
    ca_assert(page != NULL && page->state != CA_PAGE_INUSE);
    if (--seg->nfree == 0) avail_remove(heap, seg);
    if (page->state == CA_PAGE_FREE_DIRTY) {
        heap->dirty_bytes -= page->area;
        page->tail_zero = 0;
    } else {
        page->tail_zero = 1;
    }
    page->state = CA_PAGE_INUSE;
    page->next = page->prev = NULL;
    return page;
}

static void segment_release(ca_heap_t *heap, ca_segment_t *seg)
{
    bool dirty = false;
    for (uint32_t i = 0; i < seg->npages; i++) {
        if (ca_segment_page(seg, i)->state == CA_PAGE_FREE_DIRTY) {
            heap->dirty_bytes -= ca_segment_page(seg, i)->area;
            dirty = true;
        }
    }
    if (heap->dirty_bytes == 0) heap->dirty_since = 0;
    avail_remove(heap, seg);
    if (seg->all_prev) seg->all_prev->all_next = seg->all_next;
    else heap->segments = seg->all_next;
    if (seg->all_next) seg->all_next->all_prev = seg->all_prev;
    seg->heap = NULL;
    ca_cache_put(&ca_segment_cache, seg, CA_SEG_SIZE, dirty);
}

/* Gives an empty page back to its segment. The page must not be on any list
 * (queue, notify list). */
void ca_segment_page_free(ca_heap_t *heap, ca_page_t *page)
{
    ca_segment_t *seg = ca_segment_of(page);
    ca_assert(page->state == CA_PAGE_INUSE && seg->heap == heap);
    ca_tag_set(page, 0);
    atomic_store_explicit(&page->heap, NULL, memory_order_relaxed);
    page->free_link = 0;
    page->local_free = NULL;
    page->state = CA_PAGE_FREE_DIRTY;
    page->retire_time = heap->now;
    page->prev = NULL;
    page->next = seg->free_pages;
    seg->free_pages = page;
    note_dirty(heap, page->area);
    heap->st_pages_retired++;
    if (++seg->nfree == 1) avail_add(heap, seg);
    if (seg->nfree == seg->npages) {
        segment_release(heap, seg);
    } else if (heap->dirty_bytes > CA_HEAP_DIRTY_MAX) {
        ca_segment_purge(heap, true);
    }
}

/* Purges a heap's free pages: all of them, or those idle for CA_DECAY_MS.
 * Adjacent pages are purged with one call. */
void ca_segment_purge(ca_heap_t *heap, bool all)
{
    uint64_t oldest_left = 0;
    for (int kind = 0; kind < 2; kind++) {
        for (ca_segment_t *seg = heap->avail[kind]; seg; seg = seg->next) {
            uint8_t *run = NULL;
            size_t run_len = 0;
            for (uint32_t i = 0; i < seg->npages; i++) {
                ca_page_t *page = ca_segment_page(seg, i);
                bool take = page->state == CA_PAGE_FREE_DIRTY &&
                            (all || page->retire_time + CA_DECAY_MS <= heap->now);
                if (page->state == CA_PAGE_FREE_DIRTY && !take &&
                    (oldest_left == 0 || page->retire_time < oldest_left))
                    oldest_left = page->retire_time ? page->retire_time : 1;
                if (take) {
                    page->state = CA_PAGE_FREE_CLEAN;
                    heap->dirty_bytes -= page->area;
                    if (run && run + run_len == page->start) {
                        run_len += page->area;
                        continue;
                    }
                    if (run) ca_os_purge(run, run_len);
                    run = page->start;
                    run_len = page->area;
                } else if (run) {
                    ca_os_purge(run, run_len);
                    run = NULL;
                }
            }
            if (run) ca_os_purge(run, run_len);
        }
    }
    heap->dirty_since = heap->dirty_bytes ? oldest_left : 0;
}
