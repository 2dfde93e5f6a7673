/* large.c: blocks above CA_MEDIUM_MAX. Each is its own mapping that starts
 * with a segment header (kind CA_SEG_LARGE, segment-aligned, so free finds it
 * by masking like any block). Freed mappings wait in a small cache so that a
 * program that keeps allocating and freeing big buffers neither makes system
 * calls nor takes page faults each time; entries decay after
 * CA_LARGE_DECAY_MS. realloc grows with mremap: in place when the address
 * space after the block is free, else moved (without copying) onto a new
 * aligned reservation.
 *
 * Blocks aligned to CA_SEG_SIZE or more cannot have a header in front of
 * them within their segment: they are plain mappings kept in a list. */
#include "internal.h"

#include <pthread.h>

/* The header holds all 64 slice descriptors (zeroed, tag 0), because the free
 * fast path reads the one of the block's slice before it knows the kind. */
#define LARGE_HDR 4096u

static pthread_mutex_t large_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct {
    ca_segment_t *seg;
    size_t size;
    uint64_t time;
} large_entry_t;

static large_entry_t lcache[CA_LARGE_CACHE_COUNT];
static unsigned lcache_count;
static size_t lcache_bytes;

void ca_large_lock(void) { pthread_mutex_lock(&large_lock); }
void ca_large_unlock(void) { pthread_mutex_unlock(&large_lock); }

static void lcache_remove_at(unsigned i)
{
    lcache_bytes -= lcache[i].size;
    lcache[i] = lcache[--lcache_count];
}

static void large_init_header(ca_segment_t *seg, size_t map_size, size_t off, bool zero)
{
    _Static_assert(sizeof(ca_segment_t) + CA_SLICES * sizeof(ca_page_t) <= LARGE_HDR, "large header");
    memset(seg, 0, sizeof(ca_segment_t) + CA_SLICES * sizeof(ca_page_t));
    seg->kind = CA_SEG_LARGE;
    seg->npages = 1;
    seg->map_size = map_size;
    seg->large_off = off;
    seg->large_zero = zero;
    ca_page_t *page = &seg->pages[0];
    page->state = CA_PAGE_INUSE;
    page->start = (uint8_t *)seg + off;
    seg->slot_mask = 0;   /* every address maps to pages[0], whose tag 0 is never local */
    seg->stride = 1;
}

void *ca_large_alloc(size_t size, size_t align)
{
    size_t ps = ca_os_page_size();
    size_t off = align > 16 ? ca_align_up(LARGE_HDR, align) : LARGE_HDR;
    if (size > PTRDIFF_MAX - off - ps) {
        errno = ENOMEM;
        return NULL;
    }
    size_t need = ca_align_up(off + size, ps);
    ca_stat_add(large_allocs, 1);

    /* best fit from the cache, wasting at most half */
    ca_segment_t *seg = NULL;
    size_t map_size = 0;
    pthread_mutex_lock(&large_lock);
    int best = -1;
    for (unsigned i = 0; i < lcache_count; i++) {
        size_t s = lcache[i].size;
        if (s >= need && s - need <= need / 2 && (best < 0 || s < lcache[best].size)) best = (int)i;
    }
    if (best >= 0) {
        seg = lcache[best].seg;
        map_size = lcache[best].size;
        lcache_remove_at((unsigned)best);
    }
    pthread_mutex_unlock(&large_lock);

    bool zero = false;
    if (seg != NULL) {
        ca_stat_add(large_cache_hits, 1);
    } else {
        seg = ca_os_map_aligned(need, CA_SEG_SIZE);
        if (seg == NULL) return NULL;
        map_size = need;
        zero = true;
    }
    large_init_header(seg, map_size, off, zero);
    return (uint8_t *)seg + off;
}

void ca_large_free(ca_segment_t *seg)
{
    size_t size = seg->map_size;
    ca_segment_t *evict[CA_LARGE_CACHE_COUNT + 1];
    unsigned n = 0;
    if (size <= CA_LARGE_CACHE_BYTES / 2) {
        uint64_t now = ca_os_now_ms();
        pthread_mutex_lock(&large_lock);
        lcache[lcache_count++] = (large_entry_t){seg, size, now};
        lcache_bytes += size;
        while (lcache_count > 0 && (lcache_count == CA_LARGE_CACHE_COUNT || lcache_bytes > CA_LARGE_CACHE_BYTES)) {
            unsigned oldest = 0;
            for (unsigned i = 1; i < lcache_count; i++)
                if (lcache[i].time < lcache[oldest].time) oldest = i;
            evict[n] = lcache[oldest].seg;
            evict[n++]->map_size = lcache[oldest].size;
            lcache_remove_at(oldest);
        }
        pthread_mutex_unlock(&large_lock);
    } else {
        evict[n++] = seg;
    }
    for (unsigned i = 0; i < n; i++) ca_os_unmap(evict[i], evict[i]->map_size);
}

/* Unmaps cache entries idle for CA_LARGE_DECAY_MS (all of them if force). */
void ca_large_cache_collect(bool force)
{
    ca_segment_t *evict[CA_LARGE_CACHE_COUNT];
    unsigned n = 0;
    uint64_t now = ca_os_now_ms();
    if (force)
        pthread_mutex_lock(&large_lock);
    else if (pthread_mutex_trylock(&large_lock) != 0)
        return;
    for (unsigned i = 0; i < lcache_count;) {
        if (force || now - lcache[i].time >= CA_LARGE_DECAY_MS) {
            evict[n] = lcache[i].seg;
            evict[n++]->map_size = lcache[i].size;
            lcache_remove_at(i);
            continue;
        }
        i++;
    }
    pthread_mutex_unlock(&large_lock);
    for (unsigned i = 0; i < n; i++) ca_os_unmap(evict[i], evict[i]->map_size);
}

void *ca_large_realloc(ca_segment_t *seg, void *p, size_t size)
{
    size_t ps = ca_os_page_size();
    size_t off = seg->large_off;
    size_t usable = seg->map_size - off;
    if (size > PTRDIFF_MAX - off - ps) {
        errno = ENOMEM;
        return NULL;
    }
    size_t need = ca_align_up(off + size, ps);
    if (size <= usable) {
        /* shrink in place; give the tail back when it is worth a call */
        if (seg->map_size - need >= ((size_t)1 << 20) && need <= seg->map_size / 2) {
            if (ca_os_remap(seg, seg->map_size, need, NULL) != NULL) seg->map_size = need;
        }
        return p;
    }
    /* grow: leave room for a few more steps of a growing buffer */
    size_t grow = need + need / 8;
    grow = ca_align_up(grow, ps);
    if (ca_os_remap(seg, seg->map_size, grow, NULL) != NULL) {
        seg->map_size = grow;
        return p;
    }
    ca_segment_t *target = ca_os_map_aligned(grow, CA_SEG_SIZE);
    if (target != NULL) {
        ca_segment_t *moved = ca_os_remap(seg, seg->map_size, grow, target);
        if (moved != NULL) {
            moved->map_size = grow;
            moved->pages[0].start = (uint8_t *)moved + off;
            return (uint8_t *)moved + off;
        }
        ca_os_unmap(target, grow);
    }
    /* fall back to copying */
    void *q = ca_large_alloc(size, off > LARGE_HDR ? off : 0);
    if (q == NULL) return NULL;
    memcpy(q, p, usable);
    ca_large_free(seg);
    return q;
}

/* ---------------------------------------------------------------------------
 * Blocks aligned to CA_SEG_SIZE or more
 * ------------------------------------------------------------------------- */
typedef struct huge_s {
    struct huge_s *next;
    void *p;
    size_t size;
} huge_t;

static huge_t *huge_list, *huge_spare;

void *ca_huge_aligned_alloc(size_t size, size_t align)
{
    size_t ps = ca_os_page_size();
    size_t len = ca_align_up(size ? size : 1, ps);
    if (len < size || len + align < len) {
        errno = ENOMEM;
        return NULL;
    }
    pthread_mutex_lock(&large_lock);
    huge_t *h = huge_spare;
    if (h) huge_spare = h->next;
    pthread_mutex_unlock(&large_lock);
    if (h == NULL) {
        h = ca_meta_alloc(sizeof(huge_t));
        if (h == NULL) return NULL;
    }
    uint8_t *raw = ca_os_map(len + align);
    if (raw == NULL) {
        pthread_mutex_lock(&large_lock);
        h->next = huge_spare;
        huge_spare = h;
        pthread_mutex_unlock(&large_lock);
        return NULL;
    }
    uint8_t *p = (uint8_t *)ca_align_up((uintptr_t)raw, align);
    if (p > raw) ca_os_unmap(raw, (size_t)(p - raw));
    if (raw + len + align > p + len) ca_os_unmap(p + len, (size_t)(raw + len + align - (p + len)));
    h->p = p;
    h->size = len;
    pthread_mutex_lock(&large_lock);
    h->next = huge_list;
    huge_list = h;
    pthread_mutex_unlock(&large_lock);
    return p;
}

bool ca_huge_lookup(const void *p, size_t *size)
{
    bool found = false;
    pthread_mutex_lock(&large_lock);
    for (huge_t *h = huge_list; h; h = h->next) {
        if (h->p == p) {
            *size = h->size;
            found = true;
            break;
        }
    }
    pthread_mutex_unlock(&large_lock);
    return found;
}

bool ca_huge_free(void *p)
{
    huge_t *found = NULL;
    pthread_mutex_lock(&large_lock);
    for (huge_t **hp = &huge_list; *hp; hp = &(*hp)->next) {
        if ((*hp)->p == p) {
            found = *hp;
            *hp = found->next;
            break;
        }
    }
    pthread_mutex_unlock(&large_lock);
    if (found == NULL) return false;
    ca_os_unmap(found->p, found->size);
    pthread_mutex_lock(&large_lock);
    found->next = huge_spare;
    huge_spare = found;
    pthread_mutex_unlock(&large_lock);
    return true;
}
