/* segment.c: where pages come from. A segment is CA_SEG_SIZE bytes aligned
 * to its size, owned by one heap, cut into 16 small pages (256 KiB) or 8
 * medium pages (512 KiB); page 0 is shortened by the header. Free pages stay in their
 * segment (dirty, with the time they were freed) until the heap reuses them
 * or purges them; a segment whose pages are all free goes to a small global
 * cache of empty segments, which decays to the OS. */
#include "internal.h"

#include <pthread.h>

static size_t header_size(void)
{
    return ca_align_up(sizeof(ca_segment_t) + CA_SLICES * sizeof(ca_page_t), 4096);
}

/* ---------------------------------------------------------------------------
 * Global cache of empty segments
 * ------------------------------------------------------------------------- */
typedef struct {
    ca_segment_t *seg;
    uint64_t time;
    bool dirty;
} cache_entry_t;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static cache_entry_t cache[CA_SEG_CACHE_COUNT];
static unsigned cache_count;

void ca_segment_lock(void) { pthread_mutex_lock(&cache_lock); }
void ca_segment_unlock(void) { pthread_mutex_unlock(&cache_lock); }

static void cache_remove_at(unsigned i)
{
    cache[i] = cache[--cache_count];
}

static void segment_os_free(ca_segment_t *seg)
{
    ca_stat_add(segments, (uint64_t)-1);
    ca_os_unmap(seg, CA_SEG_SIZE);
}

/* Keeps the unpurged bytes in the cache under CA_SEG_CACHE_DIRTY, purging the
 * oldest first. Called with the lock held. */
static void cache_limit_dirty(void)
{
    for (;;) {
        size_t dirty = 0;
        int oldest = -1;
        for (unsigned i = 0; i < cache_count; i++) {
            if (!cache[i].dirty) continue;
            dirty += CA_SEG_SIZE;
            if (oldest < 0 || cache[i].time < cache[oldest].time) oldest = (int)i;
        }
        if (dirty <= CA_SEG_CACHE_DIRTY || oldest < 0) return;
        ca_os_purge(cache[oldest].seg, CA_SEG_SIZE);
        cache[oldest].dirty = false;
    }
}

static void cache_put(ca_segment_t *seg, bool dirty, uint64_t now)
{
    ca_segment_t *evict = NULL;
    pthread_mutex_lock(&cache_lock);
    if (cache_count == CA_SEG_CACHE_COUNT) {
        unsigned oldest = 0;
        for (unsigned i = 1; i < cache_count; i++)
            if (cache[i].time < cache[oldest].time) oldest = i;
        evict = cache[oldest].seg;
        cache_remove_at(oldest);
    }
    cache[cache_count++] = (cache_entry_t){seg, now, dirty};
    cache_limit_dirty();
    pthread_mutex_unlock(&cache_lock);
    if (evict) segment_os_free(evict);
}

/* The most recently cached segment (the warmest), or NULL. */
static ca_segment_t *cache_get(bool *dirty)
{
    ca_segment_t *seg = NULL;
    pthread_mutex_lock(&cache_lock);
    if (cache_count > 0) {
        unsigned best = 0;
        for (unsigned i = 1; i < cache_count; i++)
            if (cache[i].time > cache[best].time) best = i;
        seg = cache[best].seg;
        *dirty = cache[best].dirty;
        cache_remove_at(best);
    }
    pthread_mutex_unlock(&cache_lock);
    return seg;
}

/* Decay: purge cached segments idle for CA_DECAY_MS, unmap those idle for
 * four times that; force: unmap all (malloc_trim). */
void ca_segment_cache_collect(bool force)
{
    ca_segment_t *unmap[CA_SEG_CACHE_COUNT];
    unsigned n = 0;
    uint64_t now = ca_os_now_ms();
    if (force)
        pthread_mutex_lock(&cache_lock);
    else if (pthread_mutex_trylock(&cache_lock) != 0)
        return;
    for (unsigned i = 0; i < cache_count;) {
        uint64_t age = now - cache[i].time;
        if (force || age >= 4 * CA_DECAY_MS) {
            unmap[n++] = cache[i].seg;
            cache_remove_at(i);
            continue;
        }
        if (cache[i].dirty && age >= CA_DECAY_MS) {
            ca_os_purge(cache[i].seg, CA_SEG_SIZE);
            cache[i].dirty = false;
        }
        i++;
    }
    pthread_mutex_unlock(&cache_lock);
    for (unsigned i = 0; i < n; i++) segment_os_free(unmap[i]);
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

static ca_segment_t *segment_new(ca_heap_t *heap, int kind)
{
    bool dirty = false;
    ca_segment_t *seg = cache_get(&dirty);
    if (seg == NULL) {
        seg = ca_os_map_aligned(CA_SEG_SIZE, CA_SEG_SIZE);
        if (seg == NULL) return NULL;
        uint64_t n = ca_stat_add(segments, 1) + 1;
        uint64_t peak = atomic_load_explicit(&ca_stats.segments_peak, memory_order_relaxed);
        while (n > peak && !atomic_compare_exchange_weak(&ca_stats.segments_peak, &peak, n)) {
        }
    }
    heap->st_segments++;
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

/* A free page of the given kind for this heap, taken from one of its own
 * segments (a new segment when none has room). */
ca_page_t *ca_segment_page_alloc(ca_heap_t *heap, int kind)
{
    ca_segment_t *seg = heap->avail[kind];
    if (seg == NULL) {
        seg = segment_new(heap, kind);
        if (seg == NULL) return NULL;
    }
    ca_page_t *page = seg->free_pages;
    ca_assert(page != NULL && page->state != CA_PAGE_INUSE);
    seg->free_pages = page->next;
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
    cache_put(seg, dirty, heap->now);
}

/* Gives an empty page back to its segment. The page must not be on any list
 * (queue, notify list). */
void ca_segment_page_free(ca_heap_t *heap, ca_page_t *page)
{
    ca_segment_t *seg = ca_segment_of(page);
    ca_page_store_tag(page, 0);
    atomic_store_explicit(&page->heap, NULL, memory_order_relaxed);
    page->free = page->local_free = NULL;
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
        ca_heap_purge(heap, true);
    }
}

/* Purges a heap's free pages: all of them, or those idle for CA_DECAY_MS.
 * Adjacent pages are purged with one call. */
void ca_heap_purge(ca_heap_t *heap, bool all)
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
