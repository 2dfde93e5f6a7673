/* meta.c: memory for our own bookkeeping (heap structs): carved from 64 KiB mappings, zeroed (fresh), never given back.
 * Below every other layer but os.c, so any of them may use it. */
#include "internal.h"

static pthread_mutex_t meta_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t *meta_cur, *meta_end;

void *ca_meta_alloc(size_t size)
{
    size = ca_align_up(size, 64);
    pthread_mutex_lock(&meta_lock);
    if (meta_cur == NULL || (size_t)(meta_end - meta_cur) < size) {
        size_t chunk = size > 65536 ? ca_align_up(size, 65536) : 65536;
        uint8_t *m = ca_os_map(chunk);
        if (m == NULL) {
            pthread_mutex_unlock(&meta_lock);
            return NULL;
        }
        meta_cur = m;
        meta_end = m + chunk;
    }
    void *p = meta_cur;
    meta_cur += size;
    pthread_mutex_unlock(&meta_lock);
    return p;
}

/* fork (init.c) holds every lock across the call. */
void ca_meta_lock(void) { pthread_mutex_lock(&meta_lock); }
void ca_meta_unlock(void) { pthread_mutex_unlock(&meta_lock); }
