/* os.c: the only file that talks to the kernel (mmap, munmap, madvise,
 * mremap, the clock). Every call is counted for the statistics and for the
 * "no system-call thrash" test. errno is left as the kernel set it; callers on
 * the free path save and restore it. */
#include "internal.h"

#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static size_t page_size_cached;

size_t ca_os_page_size(void)
{
    if (unlikely(page_size_cached == 0)) {
        long ps = sysconf(_SC_PAGESIZE);
        page_size_cached = ps > 0 ? (size_t)ps : 4096;
    }
    return page_size_cached;
}

void *ca_os_map(size_t size)
{
    ca_stat_add(mmap_calls, 1);
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        errno = ENOMEM;
        return NULL;
    }
    ca_stat_mapped((int64_t)size);
    return p;
}

void ca_os_unmap(void *p, size_t size)
{
    if (p == NULL || size == 0) return;
    ca_stat_add(munmap_calls, 1);
    munmap(p, size);
    ca_stat_mapped(-(int64_t)size);
}

/* A mapping of `size` bytes aligned to `align`. The kernel usually places a
 * new mapping right below the previous one, so for segment-sized requests a
 * plain mmap is often aligned already: try that first, over-allocate and
 * trim only when it is not. */
void *ca_os_map_aligned(size_t size, size_t align)
{
    if (size % align == 0) {
        void *p = ca_os_map(size);
        if (p == NULL) return NULL;
        if (((uintptr_t)p & (align - 1)) == 0) return p;
        ca_os_unmap(p, size);
    }
    if (size + align < size) {
        errno = ENOMEM;
        return NULL;
    }
    uint8_t *raw = ca_os_map(size + align);
    if (raw == NULL) return NULL;
    uint8_t *aligned = (uint8_t *)ca_align_up((uintptr_t)raw, align);
    size_t head = (size_t)(aligned - raw);
    size_t tail = align - head;
    if (head) ca_os_unmap(raw, head);
    if (tail) ca_os_unmap(aligned + size, tail);
    return aligned;
}

/* Give the physical pages back; the range stays mapped and reads as zero. */
void ca_os_purge(void *p, size_t size)
{
    if (size == 0) return;
    ca_stat_add(madvise_calls, 1);
    ca_stat_add(purged_bytes, size);
    madvise(p, size, MADV_DONTNEED);
}

/* Resize a mapping. target == NULL: only in place (NULL when impossible).
 * Otherwise move it onto `target`, a mapping of new_size bytes the caller
 * reserved (mremap replaces it), so the caller chooses the alignment. */
void *ca_os_remap(void *p, size_t old_size, size_t new_size, void *target)
{
    ca_stat_add(mremap_calls, 1);
    void *r;
    if (target == NULL)
        r = mremap(p, old_size, new_size, 0);
    else
        r = mremap(p, old_size, new_size, MREMAP_MAYMOVE | MREMAP_FIXED, target);
    if (r == MAP_FAILED) return NULL;
    /* moved: the reservation at target was already counted; the old range went */
    ca_stat_mapped(target ? -(int64_t)old_size : (int64_t)new_size - (int64_t)old_size);
    return r;
}

uint64_t ca_os_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
