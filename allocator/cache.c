/* cache.c: a small cache of free mappings that decays to the kernel, for
 * the empty segments (segment.c). A freed mapping waits here so that the
 * next request of about its size takes neither system calls nor page
 * faults; entries idle
 * for purge_ms are purged (their memory goes back, the range stays mapped),
 * entries idle for unmap_ms are unmapped, and the limits (count, bytes,
 * unpurged bytes) evict or purge the oldest first. A get takes the best fit,
 * the warmest of equal fits. */
#include "internal.h"

static void remove_at(ca_cache_t *c, unsigned i)
{
    c->bytes -= c->entries[i].size;
    c->entries[i] = c->entries[--c->count];
}

static unsigned oldest(const ca_cache_t *c, bool dirty_only)
{
    unsigned best = c->count;
    for (unsigned i = 0; i < c->count; i++) {
        if (dirty_only && !c->entries[i].dirty) continue;
        if (best == c->count || c->entries[i].time < c->entries[best].time) best = i;
    }
    return best;
}

/* Purges the oldest unpurged entries until at most max_dirty bytes are. */
static void limit_dirty(ca_cache_t *c)
{
    size_t dirty = 0;
    for (unsigned i = 0; i < c->count; i++)
        if (c->entries[i].dirty) dirty += c->entries[i].size;
    while (dirty > c->max_dirty) {
        ca_cache_entry_t *e = &c->entries[oldest(c, true)];
        ca_os_purge(e->p, e->size);
        e->dirty = false;
        dirty -= e->size;
    }
}

/* Keeps [p, p+size) for reuse, or unmaps it (a mapping above half the
 * cache, or the oldest entries beyond the limits). */
void ca_cache_put(ca_cache_t *c, void *p, size_t size, bool dirty)
{
    ca_cache_entry_t evict[CA_CACHE_SLOTS + 1];
    unsigned n = 0;
    if (size > c->max_bytes / 2) {
        evict[n++] = (ca_cache_entry_t){p, size, 0, dirty};
    } else {
        uint64_t now = ca_os_now_ms();
        pthread_mutex_lock(&c->lock);
        while (c->count == c->max_count || c->bytes + size > c->max_bytes) {
            unsigned i = oldest(c, false);
            evict[n++] = c->entries[i];
            remove_at(c, i);
        }
        c->entries[c->count++] = (ca_cache_entry_t){p, size, now, dirty};
        c->bytes += size;
        limit_dirty(c);
        pthread_mutex_unlock(&c->lock);
    }
    for (unsigned i = 0; i < n; i++) c->unmap(evict[i].p, evict[i].size);
}

/* The smallest entry of at least `need` bytes and at most need + max_slack
 * (the warmest of equal sizes), or NULL. */
void *ca_cache_get(ca_cache_t *c, size_t need, size_t max_slack, size_t *size, bool *dirty)
{
    void *p = NULL;
    pthread_mutex_lock(&c->lock);
    unsigned best = c->count;
    for (unsigned i = 0; i < c->count; i++) {
        const ca_cache_entry_t *e = &c->entries[i];
        if (e->size < need || e->size - need > max_slack) continue;
        if (best == c->count || e->size < c->entries[best].size ||
            (e->size == c->entries[best].size && e->time > c->entries[best].time))
            best = i;
    }
    if (best < c->count) {
        p = c->entries[best].p;
        *size = c->entries[best].size;
        *dirty = c->entries[best].dirty;
        remove_at(c, best);
    }
    pthread_mutex_unlock(&c->lock);
    return p;
}

/* Decay (housekeeping skips it when another thread holds the lock); force:
 * unmap everything now (malloc_trim, a refused mapping). */
void ca_cache_collect(ca_cache_t *c, bool force)
{
    ca_cache_entry_t evict[CA_CACHE_SLOTS];
    unsigned n = 0;
    uint64_t now = ca_os_now_ms();
    if (!ca_lock_unless_busy(&c->lock, force))
        return;
    for (unsigned i = 0; i < c->count;) {
        ca_cache_entry_t *e = &c->entries[i];
        uint64_t idle = now - e->time;
        if (force || idle >= c->unmap_ms) {
            evict[n++] = *e;
            remove_at(c, i);
            continue;
        }
        if (e->dirty && idle >= c->purge_ms) {
            ca_os_purge(e->p, e->size);
            e->dirty = false;
        }
        i++;
    }
    pthread_mutex_unlock(&c->lock);
    for (unsigned i = 0; i < n; i++) c->unmap(evict[i].p, evict[i].size);
}
